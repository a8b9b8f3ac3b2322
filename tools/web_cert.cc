#include "tools/web_cert.h"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>

#include "core/format/certificate.h"
#include "core/format/web_certificate.h"
#include "node/daemon.h"
#include "node/json.h"

namespace hoso::tools {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr int64_t kDay = 86400;
constexpr int kMaxDays = 825;
// Valid from an hour ago: clocks of offices differ (as provision.cc).
constexpr int64_t kBackdate = 3600;
const char* const kLoopback[] = {"localhost", "127.0.0.1", "::1"};

int64_t Now() { return static_cast<int64_t>(::time(nullptr)); }

}  // namespace

std::string RootUnitOf(const std::string& ca_pem) {
  BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!cert) return "";
  char cn[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  std::string s = cn;
  return s.rfind("hoso CA ", 0) == 0 ? s.substr(8) : s;
}

namespace {

Result<uint64_t> RandomSerial() {
  uint64_t serial = 0;
  // Random, not counted: two web certificates of one root must never share a serial (NSS
  // refuses the second), whatever happened to web-issued.tsv.
  while (serial == 0) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1) {
      return Status::IOError("no randomness");
    }
    serial &= ~(uint64_t{1} << 63);
  }
  return serial;
}

}  // namespace

Status WebCaInit(const std::string& ca_dir, const std::string& root_unit, int years) {
  if (fs::exists(ca_dir + "/web-ca.pem")) return Status::Ok();
  HOSO_ASSIGN_OR_RETURN(WebKeyPair root, MakeWebCa(root_unit, Now() - kBackdate,
                                                   Now() + int64_t{years} * 365 * kDay));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/web-ca.key", root.key_pem, 0600));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/web-ca.pem", root.cert_pem));
  if (!fs::exists(ca_dir + "/web-issued.tsv")) {
    HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/web-issued.tsv", ""));
  }
  return Status::Ok();
}

Result<WebIssued> IssueWeb(const std::string& ca_dir, const std::string& unit,
                           const std::vector<std::string>& names, int days, const WebFiles& files) {
  HOSO_RETURN_IF_ERROR(ValidateName("unit", unit));
  if (days < 1 || days > kMaxDays) {
    return Status::InvalidArgument("a web certificate lasts 1 to " + std::to_string(kMaxDays) +
                                   " days (Apple's systems refuse longer ones)");
  }
  HOSO_ASSIGN_OR_RETURN(std::string ca_pem, node::ReadTextFile(ca_dir + "/ca.pem", "CA"));
  HOSO_RETURN_IF_ERROR(WebCaInit(ca_dir, RootUnitOf(ca_pem), 10));
  HOSO_ASSIGN_OR_RETURN(std::string root_key,
                        node::ReadPrivateFile(ca_dir + "/web-ca.key", "web root key"));
  HOSO_ASSIGN_OR_RETURN(std::string root, node::ReadTextFile(ca_dir + "/web-ca.pem", "web root"));
  std::vector<std::string> all = names;
  all.insert(all.end(), std::begin(kLoopback), std::end(kLoopback));
  HOSO_ASSIGN_OR_RETURN(uint64_t serial, RandomSerial());
  int64_t not_after = Now() + int64_t{days} * kDay;
  HOSO_ASSIGN_OR_RETURN(WebKeyPair issued, IssueWebCertificate(root_key, root, unit, all, serial,
                                                               Now() - kBackdate, not_after));
  HOSO_ASSIGN_OR_RETURN(WebCertificateInfo info, ParseWebCertificate(issued.cert_pem));
  for (const auto& path : {files.cert, files.key, files.ca}) {
    std::error_code ec;
    fs::create_directories(fs::path(path).parent_path(), ec);
    if (ec) return Status::IOError("cannot create the directory of " + path + ": " + ec.message());
  }
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(files.key, issued.key_pem, 0600));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(files.cert, issued.cert_pem));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(files.ca, root));
  std::string list;
  if (fs::exists(ca_dir + "/web-issued.tsv")) {
    HOSO_ASSIGN_OR_RETURN(list, node::ReadTextFile(ca_dir + "/web-issued.tsv", "web issued list"));
  }
  std::string joined;
  for (const auto& n : info.names) joined += (joined.empty() ? "" : ",") + n;
  list += std::to_string(serial) + "\t" + unit + "\t" + std::to_string(not_after) + "\t" + joined +
          "\n";
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/web-issued.tsv", list));
  return WebIssued{serial, unit, info.names, info.not_after};
}

std::vector<std::string> WebNamesOf(const node::NodeConfig& config) {
  std::vector<std::string> out;
  if (auto api = node::ParseHostPort(config.api);
      api.ok() && api->host != "0.0.0.0" && api->host != "::" && !node::IsLoopbackHost(api->host)) {
    out.push_back(api->host);
  }
  out.insert(out.end(), config.api_names.begin(), config.api_names.end());
  return out;
}

int CertWebCommand(const std::map<std::string, std::vector<std::string>>& flags, bool as_json) {
  auto get = [&](const char* f) {
    auto it = flags.find(f);
    return it == flags.end() || it->second.empty() ? std::string() : it->second.back();
  };
  auto fail = [](int code, const std::string& message) {
    std::fprintf(stderr, "hoso: %s\n", message.c_str());
    return code;
  };
  const std::string ca = get("ca"), dir = get("dir"), out = get("out");
  if (ca.empty() || dir.empty() == out.empty()) {
    return fail(2,
                "usage: hoso cert web --ca DIR (--dir DATA | --out BUNDLE --unit UNIT) "
                "[--name NAME ...] [--days 730]");
  }
  int days = 730;
  if (std::string d = get("days"); !d.empty()) {
    if (d.size() > 4 || d.find_first_not_of("0123456789") != std::string::npos) {
      return fail(2, "--days must be a number of days");
    }
    days = std::stoi(d);
  }
  std::vector<std::string> names;
  std::string unit = get("unit");
  WebFiles files;
  bool loopback_only = false;  // a node serving HTTPS on loopback only (api_tls = always)
  if (!dir.empty()) {
    auto config = node::LoadNodeConfig({"--dir", dir});
    if (!config.ok()) return fail(1, config.status().message());
    auto cert = node::ReadTextFile(config->Path(config->cert), "node certificate");
    auto id = cert.ok() ? ParseCertificate(*cert) : Result<CertificateInfo>(cert.status());
    if (!id.ok()) return fail(1, id.status().message());
    if (!unit.empty() && unit != id->unit) {
      return fail(2, "--unit " + unit + " is not the node's unit (" + id->unit + ")");
    }
    unit = id->unit;
    names = WebNamesOf(*config);
    auto api = node::ParseHostPort(config->api);
    loopback_only = api.ok() && node::IsLoopbackHost(api->host);
    files = {config->Path(config->api_cert), config->Path(config->api_key),
             config->Path(config->api_ca)};
  } else {
    if (unit.empty()) return fail(2, "--out needs --unit UNIT");
    files = {out + "/web.pem", out + "/web.key", out + "/web-ca.pem"};
  }
  if (auto it = flags.find("name"); it != flags.end()) {
    names.insert(names.end(), it->second.begin(), it->second.end());
  }
  if (names.empty() && !loopback_only) {
    return fail(2,
                "no host name or address to certify: give the names and addresses clerks type "
                "(--name hoso.xa-my-binh.vn --name 192.168.1.10), or set api / api_names in the "
                "node's config");
  }
  auto issued = IssueWeb(ca, unit, names, days, files);
  if (!issued.ok()) return fail(1, issued.status().message());
  json::array shown;
  std::string joined;
  for (const auto& n : issued->names) {
    shown.push_back(json::value(n));
    joined += (joined.empty() ? "" : ", ") + n;
  }
  if (as_json) {
    std::printf("%s\n", json::serialize(
                            json::object{{"unit", unit},
                                         {"serial", issued->serial},
                                         {"names", std::move(shown)},
                                         {"not_after", node::FormatTime(issued->not_after * 1000)},
                                         {"cert", files.cert},
                                         {"key", files.key},
                                         {"web_root", files.ca}})
                            .c_str());
    return 0;
  }
  std::printf(
      "web certificate for %s, valid until %s, naming: %s\n"
      "written: %s, %s (0600), %s\n"
      "Office browsers trust %s/web-ca.pem once (docs/operations.md, \"HTTPS on the office "
      "LAN\");\n%s\n",
      unit.c_str(), node::FormatTime(issued->not_after * 1000).c_str(), joined.c_str(),
      files.cert.c_str(), files.key.c_str(), files.ca.c_str(), ca.c_str(),
      dir.empty() ? "copy the bundle to the office and run `hoso init --tls BUNDLE` (or copy the "
                    "three files into the node's tls/)."
                  : "reload the node to serve it: systemctl reload hoso-node.");
  return 0;
}

}  // namespace hoso::tools
