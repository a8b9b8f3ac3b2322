// Officer accounts for tests that write with the API token: every event names a known
// account (docs/api.md, "Officer"). 1,000 PBKDF2 iterations: tests only (the CLI uses 600,000).
#pragma once

#include <string>

#include "node/officers.h"

namespace hoso::testing {

inline std::string WriteTestOfficers(const std::string& path) {
  node::OfficerDirectory officers;
  for (const char* login :
       {"nv.lan", "nv.hung", "nv.thao", "cb.minh", "cb.tam", "cb.phuc", "it", "it.tinh"}) {
    (void)officers.Add(login, login, node::Role::kHead, "mat-khau-thu-nghiem", 1000);
  }
  (void)officers.Save(path);
  return path;
}

}  // namespace hoso::testing
