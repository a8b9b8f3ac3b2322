// The API's erasures (docs/api.md, "Erasures"; docs/privacy.md): the root erases a case's
// personal data; every node lists the erasures it holds, who has confirmed each and who not yet.
#include <set>

#include "core/domain/access_log.h"
#include "core/domain/personal_data.h"
#include "core/log/erasure.h"
#include "node/api/responses.h"
#include "node/local_api.h"

namespace hoso::node {

using api::Error;
using api::FromStatus;
using api::Json;
using api::ParseBody;
using api::TextField;

namespace {

// The units that hold the case and so must confirm: its channel's unit and its ancestors that
// are not relays (a relay holds keys in passing and scrubs them, but signs nothing).
std::vector<std::string> Holders(const class Directory& dir, const std::string& channel,
                                 int64_t now) {
  std::vector<std::string> out;
  std::string unit = channel;
  for (int depth = 0; depth < 64 && !unit.empty() && dir.Exists(unit, now); ++depth) {
    if (!dir.IsRelay(unit, now)) out.push_back(unit);
    auto parent = dir.ParentAt(unit, now);
    if (!parent) break;
    unit = *parent;
  }
  return out;
}

}  // namespace

HttpResponse LocalApi::Erasures(Call& call) {
  auto case_param = call.query.find("case");
  const std::string only = case_param == call.query.end() ? "" : case_param->second;
  auto erasures = store_->Erasures();
  if (!erasures.ok()) return FromStatus(erasures.status());
  auto dir = store_->DirectorySnapshot();
  const int64_t now = clock_->NowMs();
  json::array list;
  for (const Erasure& e : *erasures) {
    if (!only.empty() && e.case_code != only) continue;
    json::object o{{"case", e.case_code},
                   {"at", FormatTime(e.at_ms)},
                   {"by", e.by},
                   {"decision", e.decision},
                   {"ground", e.ground}};
    auto state = store_->GetCaseState(e.case_code);
    o["held"] = state.ok();
    if (state.ok()) {
      json::array confirmed, awaiting;
      std::set<std::string> done;
      auto confirmations = ErasureConfirmations(*store_, e.case_code);
      if (!confirmations.ok()) return FromStatus(confirmations.status());
      for (const Confirmation& c : *confirmations) {
        if (!done.insert(c.unit).second) continue;
        confirmed.push_back(json::object{{"unit", c.unit}, {"at", FormatTime(c.at_ms)}});
      }
      for (const std::string& unit : Holders(*dir, state->channel(), now)) {
        if (!done.count(unit)) awaiting.push_back(json::value(unit));
      }
      o["confirmed"] = std::move(confirmed);
      o["awaiting"] = std::move(awaiting);
    }
    list.push_back(std::move(o));
  }
  return Json(200, json::object{{"erasures", std::move(list)}});
}

HttpResponse LocalApi::Erase(Call& call) {
  if (auto e = RootOnly("erasures")) return *e;
  json::object in;
  if (auto e = ParseBody(call.req, {"officer", "case", "person", "decision", "ground"}, &in)) {
    return *e;
  }
  std::string officer, code, person, decision, ground;
  if (auto e = TextField(in, "officer", "officer", true, api::kMaxShortText, &officer)) return *e;
  if (auto e = ReferenceOfficer(officer)) return *e;
  if (auto e = TextField(in, "case", "case", false, api::kMaxShortText, &code)) return *e;
  if (auto e = TextField(in, "person", "person", false, 12, &person)) return *e;
  if (code.empty() == person.empty()) {
    return Error(400, "invalid", "case", "give the case, or the person's ID number, not both",
                 "Nhập mã hồ sơ hoặc số định danh cá nhân (một trong hai).");
  }
  if (auto e = TextField(in, "decision", "decision", true, kMaxErasureDecision, &decision)) {
    return *e;
  }
  if (auto e = TextField(in, "ground", "ground", true, kMaxErasureGround, &ground)) return *e;
  std::vector<std::string> codes;
  if (!person.empty()) {
    // The root holds every case: the person's are found by their opened applicant.
    auto found = CasesOfPerson(*store_, person);
    if (!found.ok()) return FromStatus(found.status());
    codes = std::move(found).value();
  } else {
    // A read log or request record names no person of its own (it has no applicant).
    if (IsAccessCaseCode(code)) {
      return Error(400, "invalid", "case", "a read log case holds no personal data to erase",
                   "Hồ sơ nhật ký truy cập không có dữ liệu cá nhân để xoá.");
    }
    auto state = store_->GetCaseState(code);
    if (!state.ok() && state.status().code() != Code::kNotFound) {
      return FromStatus(state.status());
    }
    if (state.ok()) codes.push_back(code);
  }
  if (codes.empty()) {
    return Error(
        404, "not_found", person.empty() ? "case" : "person",
        "no case of that " + std::string(person.empty() ? "code" : "person") + " is held here",
        person.empty() ? "Không tìm thấy hồ sơ " + code + "."
                       : "Không có hồ sơ nào của người có số định danh " + person + ".");
  }
  // From the check to the commit: the first erasure of a case stands; a second answers 409.
  std::lock_guard lock(reference_writes_mu_);
  std::vector<LocalWrite> writes;
  json::array erased;
  for (const std::string& c : codes) {
    auto held = store_->ErasureOf(c);
    if (!held.ok()) return FromStatus(held.status());
    if (*held) continue;
    writes.push_back(LocalWrite{std::string(kErasureChannel), c, std::string(kEraseType),
                                ErasureBody(decision, ground), officer});
    erased.push_back(json::value(c));
  }
  if (writes.empty()) {
    return Error(409, "exists", person.empty() ? "case" : "person", "already erased",
                 "Dữ liệu cá nhân này đã được xoá.");
  }
  auto appended = store_->Append(std::move(writes));
  if (!appended.ok()) return FromStatus(appended.status());
  return Json(201, json::object{{"cases", std::move(erased)},
                                {"at", FormatTime(HlcMillis(appended->front().hlc))},
                                {"decision", decision},
                                {"ground", ground}});
}

}  // namespace hoso::node
