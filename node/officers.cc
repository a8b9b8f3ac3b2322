#include "node/officers.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>

#include "core/format/aead.h"
#include "core/format/crypto.h"
#include "node/daemon.h"
#include "node/json.h"

namespace hoso::node {
namespace {

Status CheckPassword(std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return Status::InvalidArgument("the password must have at least " +
                                   std::to_string(kMinPasswordLength) + " characters");
  }
  return Status::Ok();
}

Status ValidateLogin(std::string_view login) {
  if (login.empty() || login.size() > 64 ||
      login.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos) {
    return Status::InvalidArgument("a login is 1 to 64 of a-z, 0-9, '.', '_', '-'");
  }
  return Status::Ok();
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kReception:
      return "reception";
    case Role::kProcessing:
      return "processing";
    case Role::kHead:
      return "head";
    case Role::kAuditor:
      return "auditor";
  }
  return "auditor";
}

Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kReception, Role::kProcessing, Role::kHead, Role::kAuditor}) {
    if (RoleName(r) == name) return r;
  }
  return Status::InvalidArgument("role '" + std::string(name) +
                                 "' is not reception, processing, head or auditor");
}

bool RoleMayRecord(Role role, std::string_view status) {
  if (status == kDecision) return role == Role::kHead;
  static const std::vector<std::string_view> hand_over = {
      "received",  "posted_to_agency", "agency_received", "forwarded", "dispatched",
      "delivered", "undeliverable",    "returned",        "closed",    "withdrawn"};
  static const std::vector<std::string_view> processing = {
      "processing", "supplement_requested", "fees_due", "result_ready", "stopped", "refused"};
  auto in = [&](const auto& list) {
    return std::find(list.begin(), list.end(), status) != list.end();
  };
  switch (role) {
    case Role::kReception:
      return in(hand_over);
    case Role::kProcessing:
      return in(processing);
    case Role::kHead:
      return in(hand_over) || in(processing);
    case Role::kAuditor:
      return false;
  }
  return false;
}

Result<std::string> HashPassword(std::string_view password, std::string_view salt,
                                 uint32_t iterations) {
  std::string out(32, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return Status::IOError("PBKDF2 failed");
  }
  return out;
}

Result<OfficerDirectory> OfficerDirectory::Load(const std::string& path) {
  OfficerDirectory dir;
  auto text = ReadPrivateFile(path, "officers file");
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) return dir;
    return text.status();
  }
  auto v = ParseJson(*text);
  if (!v.ok() || !v->is_object() || !v->as_object().contains("officers") ||
      !v->at("officers").is_array()) {
    return Status::Corruption(path + " is not an officers file");
  }
  for (const auto& item : v->at("officers").as_array()) {
    const auto* o = item.if_object();
    if (!o) return Status::Corruption(path + ": an entry is not an object");
    Officer off;
    try {
      off.login = std::string(o->at("login").as_string());
      off.name = std::string(o->at("name").as_string());
      HOSO_ASSIGN_OR_RETURN(off.role, ParseRole(std::string(o->at("role").as_string())));
      HOSO_ASSIGN_OR_RETURN(off.salt, FromHex(std::string(o->at("salt").as_string())));
      HOSO_ASSIGN_OR_RETURN(off.hash, FromHex(std::string(o->at("hash").as_string())));
      off.iterations = o->at("iterations").to_number<uint32_t>();
    } catch (const std::exception&) {
      return Status::Corruption(path +
                                ": an entry lacks login, name, role, salt, hash or "
                                "iterations");
    }
    dir.officers_.push_back(std::move(off));
  }
  return dir;
}

Status OfficerDirectory::Save(const std::string& path) const {
  json::array list;
  for (const auto& o : officers_) {
    list.push_back(json::object{{"login", o.login},
                                {"name", o.name},
                                {"role", RoleName(o.role)},
                                {"salt", Hex(o.salt)},
                                {"hash", Hex(o.hash)},
                                {"iterations", o.iterations}});
  }
  return WritePrivateFile(path, json::serialize(json::object{{"officers", list}}) + "\n");
}

Officer* OfficerDirectory::Find(std::string_view login) {
  for (auto& o : officers_) {
    if (o.login == login) return &o;
  }
  return nullptr;
}

Status OfficerDirectory::Add(std::string login, std::string name, Role role,
                             std::string_view password, uint32_t iterations) {
  HOSO_RETURN_IF_ERROR(ValidateLogin(login));
  if (Find(login)) return Status::AlreadyExists("officer " + login + " exists");
  HOSO_RETURN_IF_ERROR(CheckPassword(password));
  Officer o{std::move(login), std::move(name), role, "", "", iterations};
  HOSO_ASSIGN_OR_RETURN(o.salt, RandomBytes(16));
  HOSO_ASSIGN_OR_RETURN(o.hash, HashPassword(password, o.salt, iterations));
  officers_.push_back(std::move(o));
  return Status::Ok();
}

Status OfficerDirectory::SetPassword(std::string_view login, std::string_view password) {
  Officer* o = Find(login);
  if (!o) return Status::NotFound("no officer " + std::string(login));
  HOSO_RETURN_IF_ERROR(CheckPassword(password));
  HOSO_ASSIGN_OR_RETURN(o->salt, RandomBytes(16));
  HOSO_ASSIGN_OR_RETURN(o->hash, HashPassword(password, o->salt, o->iterations));
  return Status::Ok();
}

Status OfficerDirectory::Remove(std::string_view login) {
  auto it = std::find_if(officers_.begin(), officers_.end(),
                         [&](const Officer& o) { return o.login == login; });
  if (it == officers_.end()) return Status::NotFound("no officer " + std::string(login));
  officers_.erase(it);
  return Status::Ok();
}

Result<Officer> OfficerDirectory::Verify(std::string_view login, std::string_view password) const {
  const Status refused = Status::PermissionDenied("wrong login or password");
  for (const auto& o : officers_) {
    if (o.login != login) continue;
    HOSO_ASSIGN_OR_RETURN(std::string hash, HashPassword(password, o.salt, o.iterations));
    if (hash.size() == o.hash.size() &&
        CRYPTO_memcmp(hash.data(), o.hash.data(), hash.size()) == 0) {
      return o;
    }
    return refused;
  }
  // The same work for an unknown login, so timing does not tell which logins exist.
  (void)HashPassword(password, "unknown-login-salt", kPasswordIterations);
  return refused;
}

}  // namespace hoso::node
