// The reads of personal data that the read log records (node/read_log.h, docs/privacy.md "The
// read log"): a case's page (GET /v1/cases/{code}, which the web app's page and slip and `hoso
// case show` read) and a list or search that shows applicants' names (GET /v1/cases). The read
// is queued after the answer is made; the answer never waits for it to be written.
#include "core/domain/access_log.h"
#include "node/api/responses.h"
#include "node/local_api.h"
#include "node/read_log.h"

namespace hoso::node {

namespace {

// The query parameters of a read's context, which the handlers do not read.
constexpr const char* kReadParams[] = {"purpose", "view", "officer"};

std::string Param(const std::map<std::string, std::string>& query, const char* name) {
  auto it = query.find(name);
  return it == query.end() ? std::string() : it->second;
}

}  // namespace

void LocalApi::RecordRead(const Call& call, std::vector<std::string> cases, std::string view) {
  if (!view_.read_log || cases.empty()) return;
  AccessRead read;
  // A session is its officer's; with the API token (the CLI, the IT team) the caller may name
  // the officer it acts for, else the read is the token's.
  if (call.session) {
    read.officer = call.session->officer.login;
  } else {
    std::string named = Param(call.query, "officer");
    read.officer = named.empty() ? "api-token" : "api-token:" + named;
  }
  read.purpose = Param(call.query, "purpose");
  std::string asked = Param(call.query, "view");
  for (std::string_view v : kReadViews) {
    if (asked == v) view = asked;  // the slip reads the case's page too
  }
  read.view = std::move(view);
  read.cases = std::move(cases);
  (void)view_.read_log->Record(std::move(read));  // a drop is counted and logged by the log
}

HttpResponse LocalApi::ReadCase(Call& call, const std::string& code) {
  HttpResponse r = GetCase(call, code);
  if (r.status == 200 && !IsAccessCaseCode(code)) RecordRead(call, {code}, "case");
  return r;
}

HttpResponse LocalApi::ReadCaseList(Call& call) {
  std::map<std::string, std::string> context;
  for (const char* p : kReadParams) {
    if (auto it = call.query.find(p); it != call.query.end()) {
      context.insert(call.query.extract(it));
    }
  }
  HttpResponse r = ListCases(call);
  call.query.merge(context);
  if (r.status != 200 || !view_.read_log) return r;
  // The cases whose applicant the list shows.
  auto answer = ParseJson(r.body);
  const json::object* o = answer.ok() ? answer->if_object() : nullptr;
  const json::array* list = o && o->contains("cases") ? o->at("cases").if_array() : nullptr;
  std::vector<std::string> shown;
  for (const json::value& c : list ? *list : json::array()) {
    const json::object* entry = c.if_object();
    if (!entry || !entry->contains("code") || !entry->contains("applicant")) continue;
    const json::string* name = entry->at("applicant").if_string();
    const json::string* code = entry->at("code").if_string();
    if (name && code && !name->empty()) shown.emplace_back(*code);
  }
  RecordRead(call, std::move(shown), "list");
  return r;
}

}  // namespace hoso::node
