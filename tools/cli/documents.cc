// A case's files through a node's local API (docs/api.md "Documents", docs/documents.md):
// doc add|list|get|verify. What the node sends back is checked here too: a file got or
// verified must hash to the SHA-256 it was asked by, whatever the node answered.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/format/crypto.h"
#include "core/format/document.h"
#include "node/daemon.h"
#include "node/json.h"
#include "tools/api_client.h"
#include "tools/cli/commands.h"
#include "tools/cli/node_api.h"
#include "tools/cli/output.h"
#include "tools/provision.h"

namespace hoso::cli {

namespace json = boost::json;

namespace {

// A file's name in the API: 64 lower-case hex digits (what a node lists is checked too).
bool IsDigest(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

std::string DocumentsPath(const std::string& code) {
  return "/v1/cases/" + tools::UrlEncode(code) + "/documents";
}

// The read's context for the node's read log (docs/privacy.md), as "&officer=..&purpose=..".
std::string ReadContext(const Args& a) {
  std::string query;
  for (const char* flag : {"officer", "purpose"}) {
    if (a.Has(flag)) query += std::string("&") + flag + "=" + tools::UrlEncode(a.Get(flag));
  }
  return query;
}

// The whole file, refused past the largest document the format carries before it is read.
Result<std::string> ReadUpload(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound("cannot read " + path + ": " + ec.message());
  if (size > kMaxDocumentBytes) {
    return Status::OutOfRange(path + " has " + std::to_string(size) + " bytes; a file may have " +
                              std::to_string(kMaxDocumentBytes >> 20) + " MiB at most");
  }
  return node::ReadTextFile(path, "file");
}

std::string Size(const json::object& d) {
  const json::value* v = d.if_contains("size");
  if (!v || !v->is_number()) return "";
  json::error_code ec;
  const double bytes = v->to_number<double>(ec);
  char out[32];
  if (bytes >= 1 << 20) {
    std::snprintf(out, sizeof out, "%.1f MiB", bytes / (1 << 20));
  } else {
    std::snprintf(out, sizeof out, "%.0f KiB", (bytes + 1023) / 1024);
  }
  return out;
}

// "có ở đây", "đang tải về, 40%", "chưa mở được (erased)"; then "đã rút" when withdrawn.
std::string StateText(const Answer& d) {
  const std::string state = d.Str("state");
  std::string text = state == "here"       ? "có ở đây"
                     : state == "arriving" ? "đang tải về, " + d.Str("progress") + "%"
                                           : "chưa mở được (" + d.Str("hidden") + ")";
  if (d.Str("withdrawn") == "true") text += ", đã rút: " + d.Str("withdraw_reason");
  return text;
}

Status PrintDocuments(const Answer& answer) {
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> docs, answer.Elements("documents"));
  std::printf("Hồ sơ %s: %zu tệp\n", answer.Str("code").c_str(), docs.size());
  for (const Answer& d : docs) {
    HOSO_ASSIGN_OR_RETURN(const json::object* o, d.Object());
    HOSO_ASSIGN_OR_RETURN(Answer sha, d.Field("sha256"));
    HOSO_ASSIGN_OR_RETURN(std::string hex, sha.Text());
    std::printf("  %s  %s\n", hex.substr(0, 16).c_str(), d.Str("name").c_str());
    std::printf("      %s, %s, %s (%s)%s%s; %s, %s %s\n", Size(*o).c_str(), d.Str("type").c_str(),
                d.Str("role").c_str(), d.Str("kind").c_str(), d.Str("item").empty() ? "" : ", ",
                d.Str("item").c_str(), StateText(d).c_str(), d.Str("office").c_str(),
                Local(o->contains("attached_at") ? o->at("attached_at") : json::value()).c_str());
  }
  return Status::Ok();
}

// The case's files as the node lists them, into *out.
int ListOf(const Args& a, const std::string& code, json::value* out) {
  std::string context = ReadContext(a);
  if (!context.empty()) context[0] = '?';
  return CallNode(a, "GET", DocumentsPath(code) + context, "", out);
}

// The full SHA-256 of the case's file that `given` names: itself, or the one file whose
// digest begins with it (at least 8 hex digits), found in the case's list.
int ResolveFile(const Args& a, const std::string& code, const std::string& given,
                std::string* sha256) {
  if (given.size() == 64) {
    if (!IsDigest(given)) return Fail(kUsage, given + " is not a SHA-256 in lower-case hex");
    *sha256 = given;
    return kOk;
  }
  if (given.size() < 8)
    return Fail(kUsage, "a file is named by its SHA-256 (8 hex digits at least)");
  json::value list;
  if (int rc = ListOf(a, code, &list); rc != kOk) return rc;
  auto docs = Answer(list).Elements("documents");
  if (!docs.ok()) return BadAnswer(docs.status());
  std::vector<std::string> matches;
  for (const Answer& d : *docs) {
    const std::string sha256 = d.Str("sha256");
    if (IsDigest(sha256) && sha256.rfind(given, 0) == 0) matches.push_back(sha256);
  }
  if (matches.empty()) return Fail(kNotFound, "case " + code + " has no file " + given);
  if (matches.size() > 1)
    return Fail(kUsage, given + " names more than one file: give more digits");
  *sha256 = matches[0];
  return kOk;
}

// The file's bytes from the node, checked against its SHA-256. kOk with *bytes; else the exit
// code with *why: kFindings when the file is damaged (the node found it so, or what it sent
// does not hash to the name), kNotFound when the case has no such file, kFailed when the node
// cannot give it yet (not all arrived, the case's key not here).
int Download(const Args& a, const std::string& code, const std::string& sha256, std::string* bytes,
             std::string* why) {
  auto client = tools::ApiClient::ForNode(NodeDirOf(a), a.Get("api-ca"));
  if (!client.ok()) return *why = client.status().message(), kFailed;
  auto reply =
      client->Call("GET", DocumentsPath(code) + "/" + sha256 + "?download=1" + ReadContext(a));
  if (!reply.ok()) return *why = reply.status().message(), kUnreachable;
  if (reply->status != 200) {
    auto parsed = node::ParseJson(reply->body);
    const json::object* o = parsed.ok() ? parsed->if_object() : nullptr;
    const std::string error = o ? Str(*o, "error") : "";
    *why = (o ? Str(*o, "message") : "") + " (HTTP " + std::to_string(reply->status) +
           (error.empty() ? "" : ", " + error) + ")";
    if (error == "corrupt") return kFindings;
    return reply->status == 404 ? kNotFound : kFailed;
  }
  if (Hex(Sha256(reply->body)) != sha256) {
    *why = "the node sent " + std::to_string(reply->body.size()) + " bytes that do not hash to " +
           sha256;
    return kFindings;
  }
  *bytes = std::move(reply->body);
  return kOk;
}

}  // namespace

int DocAddCmd(const Args& a) {
  const std::string& code = a.positional[0];
  const std::string& file = a.positional[1];
  auto bytes = ReadUpload(file);
  if (!bytes.ok()) return FromStatus(bytes.status());
  std::string query =
      "?name=" + tools::UrlEncode(a.Get("name", std::filesystem::path(file).filename().string()));
  for (const char* flag : {"officer", "item", "kind", "role"}) {
    if (a.Has(flag)) query += std::string("&") + flag + "=" + tools::UrlEncode(a.Get(flag));
  }
  json::value out;
  if (int rc = CallNode(a, "POST", DocumentsPath(code) + query, *bytes, &out,
                        "application/octet-stream");
      rc != kOk) {
    return rc;
  }
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  Answer d(out);
  std::printf("Đã đính kèm tệp %s vào hồ sơ %s\n  SHA-256: %s\n", d.Str("name").c_str(),
              code.c_str(), d.Str("sha256").c_str());
  return kOk;
}

int DocListCmd(const Args& a) {
  json::value out;
  if (int rc = ListOf(a, a.positional[0], &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else if (Status s = PrintDocuments(Answer(out)); !s.ok()) {
    return BadAnswer(s);
  }
  return kOk;
}

int DocGetCmd(const Args& a) {
  const std::string& code = a.positional[0];
  std::string sha256;
  if (int rc = ResolveFile(a, code, a.positional[1], &sha256); rc != kOk) return rc;
  std::string bytes, why;
  if (int rc = Download(a, code, sha256, &bytes, &why); rc != kOk) return Fail(rc, why);
  const std::string out = a.Get("out", sha256);
  if (Status s = tools::WriteFileAtomic(out, bytes, 0600); !s.ok()) return FromStatus(s);
  if (a.json) {
    PrintJson(json::object{{"sha256", sha256}, {"size", bytes.size()}, {"file", out}});
  } else {
    std::printf("Đã lưu tệp %s (%zu byte, đúng SHA-256) vào %s\n", sha256.substr(0, 16).c_str(),
                bytes.size(), out.c_str());
  }
  return kOk;
}

int DocVerifyCmd(const Args& a) {
  const std::string& code = a.positional[0];
  json::value list;
  if (int rc = ListOf(a, code, &list); rc != kOk) return rc;
  auto docs = Answer(list).Elements("documents");
  if (!docs.ok()) return BadAnswer(docs.status());
  int worst = kOk;  // kFindings (a file damaged) over kFailed (one not verifiable here)
  json::array results;
  for (const Answer& d : *docs) {
    const std::string sha256 = d.Str("sha256");
    if (a.positional.size() > 1 && sha256.rfind(a.positional[1], 0) != 0) continue;
    std::string bytes, why = IsDigest(sha256) ? "" : "the node lists a file by no SHA-256";
    const int rc = why.empty() ? Download(a, code, sha256, &bytes, &why) : kFailed;
    if (rc == kUnreachable) return Fail(rc, why);
    const char* result = rc == kOk ? "intact" : rc == kFindings ? "corrupt" : "unverified";
    if (rc == kFindings) worst = kFindings;
    if (rc != kOk && worst == kOk) worst = kFailed;
    if (!a.json) {
      const char* shown = rc == kOk ? "nguyên vẹn" : rc == kFindings ? "HỎNG" : "chưa kiểm được";
      std::printf("  %s  %s  %s%s%s\n", sha256.substr(0, 16).c_str(), shown, d.Str("name").c_str(),
                  why.empty() ? "" : ": ", why.c_str());
    }
    results.push_back(json::object{
        {"sha256", sha256}, {"name", d.Str("name")}, {"result", result}, {"why", why}});
  }
  if (a.positional.size() > 1 && results.empty()) {
    return Fail(kNotFound, "case " + code + " has no file " + a.positional[1]);
  }
  if (a.json) {
    PrintJson(json::object{{"code", code}, {"ok", worst == kOk}, {"files", std::move(results)}});
  } else {
    std::printf("Hồ sơ %s: %zu tệp kiểm tra, %s\n", code.c_str(), results.size(),
                worst == kOk         ? "tất cả nguyên vẹn"
                : worst == kFindings ? "CÓ TỆP HỎNG"
                                     : "có tệp chưa kiểm được (chưa tải về hết)");
  }
  return worst;
}

}  // namespace hoso::cli
