// The hoso command line's arguments: a command's flags as parsed (Args), the table entry that
// says which flags a command takes (Command), the exit codes and the one way errors are
// printed. The parsing rules are those of docs/cli.md: `--name value` or `--name=value`, a
// flag given twice keeps both values, `--json` and `--help` anywhere.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace hoso::cli {

// The exit codes of docs/cli.md, printed by `hoso --help`.
enum Exit { kOk = 0, kFailed = 1, kUsage = 2, kUnreachable = 3, kNotFound = 4, kFindings = 5 };

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> flags;
  bool json = false;

  bool Has(const std::string& f) const { return flags.count(f) > 0; }
  std::string Get(const std::string& f, const std::string& fallback = "") const {
    auto it = flags.find(f);
    return it == flags.end() ? fallback : it->second.back();
  }
};

struct Command {
  std::string name;  // "case new"
  std::string synopsis;
  std::string help;
  std::set<std::string> value_flags;
  std::set<std::string> bool_flags;
  std::set<std::string> required;
  size_t min_positional = 0, max_positional = 0;
  std::function<int(const Args&)> run;
};

// Parses args[first...] for `cmd` into *out. Returns an exit code when the command line is
// already dealt with (its --help printed: kOk; a usage error printed: kUsage), or nullopt
// when the command is to run.
std::optional<int> ParseArgs(const Command& cmd, const std::vector<std::string>& args, size_t first,
                             Args* out);

// Prints "hoso: MESSAGE" on stderr and returns `code`.
int Fail(int code, const std::string& message);
// Fail with kNotFound for a NotFound status, else kFailed.
int FromStatus(const Status& s);

// A decimal number of at most 18 digits; *ok says whether `s` was one.
uint64_t ParseNumber(const std::string& s, bool* ok);

// The node's data directory: --dir, else $HOSO_DIR, else the current directory.
std::string NodeDirOf(const Args& a);

}  // namespace hoso::cli
