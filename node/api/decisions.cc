// A head's decisions on a case (docs/api.md, "Decisions"): POST /v1/cases/{code}/resolve
// (settle a conflict), /delay (apology and new appointment, Form 04), /assign (give the case
// to an officer). Each parses, calls its rule (core/domain/case_decisions.h) on the case as it
// is under the case's lock, and commits one event.
#include "core/domain/case_decisions.h"
#include "node/api/responses.h"
#include "node/local_api.h"

namespace hoso::node {

using api::Error;
using api::FromStatus;
using api::Invalid;
using api::kMaxShortText;
using api::kMaxText;
using api::ParseBody;
using api::Refused;
using api::TextField;

namespace {

struct Decision {
  const char* type;
  std::set<std::string> fields;
};

const Decision* FindDecision(const std::string& action) {
  static const std::map<std::string, Decision> decisions = {
      {"resolve", {"case.resolved", {"officer", "field", "choose", "note"}}},
      {"delay", {"case.delayed", {"officer", "appointment_at", "reason"}}},
      {"assign", {"case.assigned", {"officer", "assign_to"}}},
  };
  auto it = decisions.find(action);
  return it == decisions.end() ? nullptr : &it->second;
}

}  // namespace

bool LocalApi::IsDecisionPath(std::string_view path) {
  size_t slash = path.rfind('/');
  return path.rfind("/v1/cases/", 0) == 0 && slash > 10 &&
         FindDecision(std::string(path.substr(slash + 1))) != nullptr;
}

HttpResponse LocalApi::Decide(Call& call, const std::string& code, const std::string& action) {
  const Decision* d = FindDecision(action);
  json::object in;
  if (auto e = ParseBody(call.req, d->fields, &in)) return *e;
  std::string officer;
  if (auto e = ActingOfficer(call, in, kDecision, &officer)) return *e;
  api::CaseLocks::Held held = case_locks_.Lock(code);
  auto state = store_->GetCaseState(code);
  if (!state.ok()) return api::CaseReadError(state.status(), code);
  cbor::Value body;
  std::optional<Refusal> refused;
  if (action == "resolve") {
    std::string field, choose, note;
    if (auto e = TextField(in, "field", "field", true, kMaxShortText, &field)) return *e;
    if (auto e = TextField(in, "choose", "choose", true, kMaxShortText, &choose)) return *e;
    if (auto e = TextField(in, "note", "note", false, kMaxText, &note)) return *e;
    auto id = FromHex(choose);
    if (!id.ok() || id->size() != 32) {
      return Invalid("choose", "must be the id of a candidate (64 hex digits)",
                     "phải là mã của một giá trị đang xung đột");
    }
    refused = BuildResolution(*state, field, HashFromView(*id), note, &body);
  } else if (action == "delay") {
    std::string at, reason;
    if (auto e = TextField(in, "appointment_at", "appointment_at", true, kMaxShortText, &at))
      return *e;
    if (auto e = TextField(in, "reason", "reason", false, kMaxText, &reason)) return *e;
    auto when = ParseTime(at);
    if (!when.ok()) return Invalid("appointment_at", when.status().message(), api::kViTime);
    refused = BuildDelay(*state, *when, reason, clock_->NowMs(), &body);
  } else {
    std::string to;
    if (auto e = TextField(in, "assign_to", "assign_to", true, kMaxShortText, &to)) return *e;
    auto officers = Officers();
    bool known = false;
    for (const auto& o : officers->officers())
      known = known || (o.login == to && o.role != Role::kAuditor);
    if (!known) {
      return Invalid("assign_to", "no officer " + to + " who may work on cases at this node",
                     "Không có cán bộ " + to + " tại đơn vị này.");
    }
    refused = BuildAssignment(*state, to, &body);
  }
  if (refused) return Refused(*refused);
  auto appended =
      store_->Append(LocalWrite{state->channel(), code, d->type, std::move(body), officer});
  if (!appended.ok()) return FromStatus(appended.status());
  HttpResponse r = GetCase(call, code);
  r.status = 201;
  return r;
}

}  // namespace hoso::node
