// Officers: the people who use an office's node through the web app, their roles, and their
// passwords (PBKDF2-HMAC-SHA256 from OpenSSL, 600,000 iterations, a random salt each).
//
// Accounts are local to the office (never replicated): <data dir>/officers.json, mode 0600:
//
//   {"officers": [{"login": tstr, "name": tstr, "role": role, "salt": hex, "hash": hex,
//                  "iterations": uint}]}
//   role = "reception" | "processing" | "head" | "auditor"
//
// Roles: a reception clerk receives cases and records the hand-over steps (to and from the
// post, delivery); a processing officer records processing steps; the office head may do
// both, and alone settles conflicts, moves an appointment and assigns cases; an auditor
// reads only.
// Thread-safety: an OfficerDirectory is a value; callers serialize changes to the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace hoso::node {

enum class Role { kReception, kProcessing, kHead, kAuditor };
std::string_view RoleName(Role role);
Result<Role> ParseRole(std::string_view name);
// May an officer of this role record a step to `status`? (Receiving: status "received";
// kDecision: a head's decision on a case, core/domain/case_decisions.h.)
inline constexpr std::string_view kDecision = "$decision";
bool RoleMayRecord(Role role, std::string_view status);

constexpr uint32_t kPasswordIterations = 600000;
constexpr size_t kMinPasswordLength = 10;

// PBKDF2-HMAC-SHA256, 32 bytes.
Result<std::string> HashPassword(std::string_view password, std::string_view salt,
                                 uint32_t iterations);

struct Officer {
  std::string login, name;
  Role role = Role::kReception;
  std::string salt, hash;  // raw bytes
  uint32_t iterations = kPasswordIterations;
};

class OfficerDirectory {
 public:
  // A missing file is an empty directory.
  static Result<OfficerDirectory> Load(const std::string& path);
  Status Save(const std::string& path) const;

  Status Add(std::string login, std::string name, Role role, std::string_view password,
             uint32_t iterations = kPasswordIterations);
  Status SetPassword(std::string_view login, std::string_view password);
  Status Remove(std::string_view login);
  // The officer whose login and password these are; PermissionDenied otherwise (the same
  // message whether the login or the password was wrong).
  Result<Officer> Verify(std::string_view login, std::string_view password) const;
  const std::vector<Officer>& officers() const { return officers_; }

 private:
  Officer* Find(std::string_view login);
  std::vector<Officer> officers_;
};

}  // namespace hoso::node
