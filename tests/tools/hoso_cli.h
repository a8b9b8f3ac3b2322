// Running the hoso binary as a user does, for the process tests of tests/tools.
#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "node/daemon.h"
#include "node/json.h"
#include "tests/testing/testing.h"

namespace hoso::testing {

struct Run {
  int rc;
  std::string out, err;
};

// `hoso ARGS...` with its stdout and stderr kept in files of `tmp`.
inline Run Hoso(const TempDir& tmp, std::vector<std::string> args) {
  std::string cmd = HOSO_BIN_DIR "/hoso";
  for (const auto& a : args) {
    std::string quoted;
    for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    cmd += " '" + quoted + "'";
  }
  cmd += " >" + tmp.Sub("out.txt") + " 2>" + tmp.Sub("err.txt");
  int status = std::system(cmd.c_str());
  return {WEXITSTATUS(status), node::ReadTextFile(tmp.Sub("out.txt"), "out").value(),
          node::ReadTextFile(tmp.Sub("err.txt"), "err").value()};
}

inline boost::json::value Json(const Run& r) {
  auto v = node::ParseJson(r.out);
  REQUIRE(v.ok());
  return std::move(v).value();
}

}  // namespace hoso::testing
