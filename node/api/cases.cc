// The cases: reception, steps, one case, the list (docs/api.md, "Cases").
#include <set>

#include "core/base/text.h"
#include "core/domain/access_log.h"
#include "core/domain/case_decisions.h"
#include "core/domain/case_index.h"
#include "core/domain/case_rules.h"
#include "core/domain/case_search.h"
#include "core/domain/documents.h"
#include "core/domain/event_schema.h"
#include "core/domain/lifecycle.h"
#include "core/domain/personal_data.h"
#include "core/domain/register.h"
#include "core/domain/routing.h"
#include "core/domain/subject_requests.h"
#include "core/log/case_state.h"
#include "node/api/responses.h"
#include "node/json.h"
#include "node/local_api.h"

namespace hoso::node {

using api::CaseReadError;
using api::Error;
using api::FromStatus;
using api::Invalid;
using api::Json;
using api::kDefaultLimit;
using api::kMaxLimit;
using api::kMaxShortText;
using api::kMaxText;
using api::kViBool;
using api::kViTime;
using api::Missing;
using api::NumberParam;
using api::ParseBody;
using api::Refused;
using api::TextField;
using api::UnknownFields;

namespace {

bool IsDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// A field as shown: sealed personal data opened, or null with the reason in *hidden.
json::value FieldValue(const Store& store, const CaseState& st, const std::string& field,
                       const LiveWrite& w, json::object* hidden) {
  ShownField shown = ShowField(store, st.case_code(), field, w.value);
  if (shown.hidden != ShownField::Hidden::kNone && hidden) {
    (*hidden)[field] = HiddenName(shown.hidden);
  }
  return CborToJson(shown.value);
}

// What the API says of an erased case: when, by whom, by which decision, on which ground.
json::value ErasureJson(const Store& store, const std::string& code) {
  auto erasure = store.ErasureOf(code);
  if (!erasure.ok() || !*erasure) return nullptr;
  const Erasure& e = **erasure;
  return json::object{
      {"at", FormatTime(e.at_ms)}, {"by", e.by}, {"decision", e.decision}, {"ground", e.ground}};
}

std::optional<HttpResponse> ReadApplicant(const json::object& in, cbor::Value* applicant) {
  auto app = in.find("applicant");
  if (app == in.end() || app->value().is_null()) return Missing("applicant");
  if (!app->value().is_object()) {
    return Invalid("applicant", "must be an object", "phải là một đối tượng");
  }
  const json::object& a = app->value().get_object();
  if (auto e = UnknownFields(a, {"name", "id_no", "phone", "email", "address"}, "applicant.")) {
    return e;
  }
  *applicant = cbor::Value::Map();
  for (std::string_view f : {"name", "id_no", "phone", "email", "address"}) {
    std::string value;
    std::string path = "applicant." + std::string(f);
    size_t max = f == "address" ? kMaxText : 200;
    if (auto e = TextField(a, std::string(f), path, f == "name", max, &value)) return e;
    if (value.empty()) continue;
    if (f == "id_no" && (!IsDigits(value) || (value.size() != 9 && value.size() != 12))) {
      return Invalid(path, "must be 9 or 12 digits", "phải gồm 9 hoặc 12 chữ số");
    }
    if (f == "phone" && (value.size() < 8 || value.size() > 15 ||
                         value.find_first_not_of("+0123456789 ") != std::string::npos)) {
      return Invalid(path, "must be 8 to 15 digits", "phải gồm 8 đến 15 chữ số");
    }
    applicant->Set(f, cbor::Value::Text(value));
  }
  return std::nullopt;
}

// Documents: [{name, kind: original|copy, count}].
std::optional<HttpResponse> ReadDocuments(const json::object& in, cbor::Value* documents) {
  *documents = cbor::Value::Array();
  auto d = in.find("documents");
  if (d == in.end() || d->value().is_null()) return std::nullopt;
  if (!d->value().is_array()) {
    return Invalid("documents", "must be an array", "phải là một danh sách");
  }
  size_t i = 0;
  for (const auto& item : d->value().get_array()) {
    std::string path = "documents[" + std::to_string(i++) + "]";
    if (!item.is_object()) return Invalid(path, "must be an object", "phải là một đối tượng");
    const json::object& doc = item.get_object();
    if (auto e = UnknownFields(doc, {"name", "kind", "count"}, path + ".")) return e;
    std::string name, kind = "copy";
    if (auto e = TextField(doc, "name", path + ".name", true, kMaxText, &name)) return e;
    if (auto e = TextField(doc, "kind", path + ".kind", false, kMaxShortText, &kind)) return e;
    if (kind != "original" && kind != "copy") {
      return Invalid(path + ".kind", "must be \"original\" or \"copy\"",
                     "chỉ nhận original (bản chính) hoặc copy (bản sao)");
    }
    uint64_t count = 1;
    if (auto c = doc.find("count"); c != doc.end()) {
      if (!c->value().is_int64() || c->value().get_int64() < 1 || c->value().get_int64() > 1000) {
        return Invalid(path + ".count", "must be a whole number from 1 to 1000",
                       "phải là số nguyên từ 1 đến 1000");
      }
      count = static_cast<uint64_t>(c->value().get_int64());
    }
    cbor::Value entry = cbor::Value::Map();
    entry.Set("name", cbor::Value::Text(name));
    entry.Set("kind", cbor::Value::Text(kind));
    entry.Set("count", cbor::Value::Uint(count));
    documents->Append(std::move(entry));
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> LocalApi::MintCaseCode(int64_t now_ms, api::CaseLocks::Held* held) {
  const Identity& id = *store_->options().identity;
  const std::string prefix = CaseCodePrefix(id.unit, id.epoch, now_ms);
  // A code is free when no other request holds it (one may be committing it, unseen by the
  // scan) and the store does not hold it. The hold is taken first: a request lets go of a
  // code only once its commit can be read. Only "not found" makes a code free: a read error
  // is passed on.
  auto is_free = [&](const std::string& code) -> Result<bool> {
    api::CaseLocks::Held candidate = case_locks_.TryLock(code);
    if (!candidate) return false;
    auto state = store_->GetCaseState(code);
    if (state.status().code() == Code::kNotFound) {
      *held = std::move(candidate);
      return true;
    }
    if (!state.ok()) return state.status();
    return false;
  };
  // Reading every code of the day for each reception cost more than its commit past a few
  // thousand codes: the day's highest number is read once and then kept as a mark. The mark
  // may lag what others write in the day's numbers (a code given in a request, an ancestor's
  // events): NextCaseCode skips what is not free, and when the 64 numbers after the mark are
  // all taken the day's codes are read again. One minting at a time: each reads a code or two.
  std::lock_guard lock(mint_mu_);
  auto read_highest = [&]() -> Status {
    HOSO_ASSIGN_OR_RETURN(std::vector<std::string> codes, store_->CaseCodes(prefix, SIZE_MAX));
    mint_last_ = HighestCaseNumber(prefix, codes);
    mint_prefix_ = prefix;
    return Status::Ok();
  };
  bool read = false;
  if (mint_prefix_ != prefix) {  // a new day (or a failed read before)
    HOSO_RETURN_IF_ERROR(read_highest());
    read = true;
  }
  Result<std::string> code = NextCaseCode(prefix, mint_last_, is_free);
  if (!read && code.status().code() == Code::kAlreadyExists) {
    HOSO_RETURN_IF_ERROR(read_highest());
    code = NextCaseCode(prefix, mint_last_, is_free);
  }
  // A number taken and then not committed (the commit failed) stays unused: minting has
  // always skipped a code held by a request whatever became of its write.
  if (code.ok()) mint_last_ = CaseCodeNumber(prefix, *code).value_or(mint_last_);
  return code;
}

HttpResponse LocalApi::ReceiveCase(Call& call) {
  if (!store_->options().identity) return FromStatus(Status::FailedPrecondition("no identity"));
  json::object in;
  if (auto e = ParseBody(call.req,
                         {"officer", "code", "procedure", "procedure_name", "applicant",
                          "documents", "channel", "return_by_post", "return_address", "due_at",
                          "fee", "note", "residence", "seal_no", "postal_fee", "sets"},
                         &in)) {
    return *e;
  }
  std::string officer, code, procedure, procedure_name, channel, return_address, note, residence;
  if (auto e = ActingOfficer(call, in, "received", &officer)) return *e;
  if (auto e = TextField(in, "residence", "residence", false, kMaxShortText, &residence)) return *e;
  if (auto e = TextField(in, "code", "code", false, kMaxShortText, &code)) return *e;
  if (auto e = TextField(in, "procedure", "procedure", true, kMaxShortText, &procedure)) return *e;
  if (auto e = TextField(in, "procedure_name", "procedure_name", false, kMaxText, &procedure_name))
    return *e;
  if (auto e = TextField(in, "channel", "channel", true, kMaxShortText, &channel)) return *e;
  if (auto e = TextField(in, "note", "note", false, kMaxText, &note)) return *e;
  if (!code.empty() && (!ValidateName("case code", code).ok() || code.front() == '$')) {
    return Invalid("code", "use letters, digits, '.', '_' and '-' only",
                   "chỉ dùng chữ, số và các dấu . _ -");
  }
  cbor::Value applicant, documents;
  if (auto e = ReadApplicant(in, &applicant)) return *e;
  if (auto e = ReadDocuments(in, &documents)) return *e;

  bool by_post = false;
  if (auto r = in.find("return_by_post"); r != in.end() && !r->value().is_null()) {
    if (!r->value().is_bool()) return Invalid("return_by_post", "must be true or false", kViBool);
    by_post = r->value().get_bool();
  }
  if (auto e =
          TextField(in, "return_address", "return_address", by_post, kMaxText, &return_address)) {
    return *e;
  }
  ReceptionRequest request{procedure,
                           procedure_name,
                           channel,
                           return_address,
                           note,
                           std::move(applicant),
                           std::move(documents),
                           by_post};
  if (auto f = in.find("fee"); f != in.end() && !f->value().is_null()) {
    if (!f->value().is_int64() || f->value().get_int64() < 0) {
      return Invalid("fee", "must be a whole number of đồng, 0 or more",
                     "phải là số tiền nguyên (đồng), không âm");
    }
    request.fee = static_cast<uint64_t>(f->value().get_int64());
  }
  if (auto d = in.find("due_at"); d != in.end() && !d->value().is_null()) {
    Result<int64_t> t =
        d->value().is_string()
            ? ParseTime(std::string(d->value().get_string()))
            : (d->value().is_int64() ? Result<int64_t>(d->value().get_int64())
                                     : Result<int64_t>(Status::InvalidArgument("must be a time")));
    if (!t.ok()) return Invalid("due_at", t.status().message(), kViTime);
    request.due_at = *t;
  }
  const int64_t now = clock_->NowMs();
  const std::string& unit = store_->options().identity->unit;
  auto dir = store_->DirectorySnapshot();
  if (dir->IsRelay(unit, now)) {
    return Error(409, "relay", "", "this node is a relay: it receives no case",
                 "Máy chủ chuyển tiếp không tiếp nhận hồ sơ.");
  }
  auto ref = Reference();
  cbor::Value body;
  if (auto refused = BuildReception(request, *ref, unit, now, &body)) return Refused(*refused);
  std::string competent;
  if (auto refused = ChooseCompetentUnit(ref->FindProcedure(procedure), residence, unit, *dir, now,
                                         &competent)) {
    return Refused(*refused);
  }
  if (!residence.empty()) body.Set("residence", cbor::Value::Text(residence));
  // The post's reception (Decision 45/2016): the seal put on the file and the fees collected.
  std::string seal_no;
  if (auto e = TextField(in, "seal_no", "seal_no", false, kMaxShortText, &seal_no)) return *e;
  if (!seal_no.empty()) body.Set("seal_no", cbor::Value::Text(seal_no));
  // The number of sets of the file handed in (Form 01 "Số lượng hồ sơ"), 1 when not said.
  if (auto f = in.find("sets"); f != in.end() && !f->value().is_null()) {
    if (!f->value().is_int64() || f->value().get_int64() < 1 || f->value().get_int64() > 99) {
      return Invalid("sets", "must be a whole number from 1 to 99", "phải là số từ 1 đến 99");
    }
    body.Set("sets", cbor::Value::Uint(static_cast<uint64_t>(f->value().get_int64())));
  }
  if (auto f = in.find("postal_fee"); f != in.end() && !f->value().is_null()) {
    if (!f->value().is_int64() || f->value().get_int64() < 0) {
      return Invalid("postal_fee", "must be a whole number of đồng, 0 or more",
                     "phải là số tiền nguyên (đồng), không âm");
    }
    body.Set("postal_fee", cbor::Value::Uint(static_cast<uint64_t>(f->value().get_int64())));
  }
  if (competent != unit) body.Set("route_to", cbor::Value::Text(competent));
  api::CaseLocks::Held held;  // from the check that the code is free to the commit
  if (code.empty()) {
    auto minted = MintCaseCode(now, &held);
    if (!minted.ok()) return FromStatus(minted.status());
    code = std::move(minted).value();
  } else if (!CaseCodeBelongsTo(code, unit)) {
    return Invalid("code", "a case code received here starts with this office's unit " + unit,
                   "mã hồ sơ tiếp nhận tại đây phải bắt đầu bằng mã đơn vị " + unit);
  } else {
    held = case_locks_.Lock(code);  // a reception of the same code commits or fails first
    auto state = store_->GetCaseState(code);
    if (state.ok()) {
      return Error(409, "exists", "code", "case " + code + " already exists",
                   "Mã hồ sơ " + code + " đã tồn tại.");
    }
    if (state.status().code() != Code::kNotFound) return FromStatus(state.status());
  }
  auto appended = store_->Append(LocalWrite{unit, code, "case.received", std::move(body), officer});
  if (!appended.ok()) return FromStatus(appended.status());
  HttpResponse r = GetCase(call, code);
  r.status = 201;
  return r;
}

HttpResponse LocalApi::RecordStep(Call& call, const std::string& code) {
  json::object in;
  if (auto e = ParseBody(call.req, {"officer", "status", "note", "tracking", "missing", "reason"},
                         &in)) {
    return *e;
  }
  std::string officer, status, note, tracking, missing, reason;
  if (auto e = TextField(in, "status", "status", true, kMaxShortText, &status)) return *e;
  if (auto e = ActingOfficer(call, in, status, &officer)) return *e;
  if (auto e = TextField(in, "note", "note", false, kMaxText, &note)) return *e;
  if (auto e = TextField(in, "tracking", "tracking", false, kMaxShortText, &tracking)) return *e;
  // Form 02 (what is missing, why) and Form 03 (why refused); "note" says how to complete.
  if (auto e = TextField(in, "missing", "missing", false, kMaxText, &missing)) return *e;
  if (auto e = TextField(in, "reason", "reason", false, kMaxText, &reason)) return *e;
  if (!missing.empty() && status != "supplement_requested") {
    return Invalid("missing", "only a supplement request names what is missing",
                   "chỉ ghi khi yêu cầu bổ sung hồ sơ");
  }
  if (auto refused = CheckStepStatus(status)) return Refused(*refused);
  api::CaseLocks::Held held = case_locks_.Lock(code);  // the check and the write see one state
  auto state = store_->GetCaseState(code);
  if (!state.ok()) return CaseReadError(state.status(), code);
  cbor::Value body;
  if (auto refused =
          BuildStep(*state, status, note, tracking, *Reference(), clock_->NowMs(), &body)) {
    return Refused(*refused);
  }
  if (!missing.empty()) body.Set("supplement_missing", cbor::Value::Text(missing));
  if (!reason.empty()) body.Set("step_reason", cbor::Value::Text(reason));
  auto appended =
      store_->Append(LocalWrite{state->channel(), code, "case.step", std::move(body), officer});
  if (!appended.ok()) return FromStatus(appended.status());
  HttpResponse r = GetCase(call, code);
  r.status = 201;
  return r;
}

HttpResponse LocalApi::GetCase(Call& call, const std::string& code) {
  auto view = store_->GetCase(code);
  if (!view.ok()) return CaseReadError(view.status(), code);
  const CaseState& st = view->state;
  std::map<std::string, const HistoryEntry*> by_id;
  for (const auto& h : view->history) by_id[std::string(AsView(h.id))] = &h;
  json::object fields, hidden;
  json::array conflicts;
  for (const auto& f : st.fields()) {
    if (IsFileField(f.name)) continue;  // the files: GET .../documents
    if (const LiveWrite* w = st.Winner(f))
      fields[f.name] = FieldValue(*store_, st, f.name, *w, &hidden);
    if (f.live.size() < 2) continue;
    json::array candidates;
    for (const auto& w : f.live) {
      const EventRef& ref = st.events()[w.ref];
      json::object c;
      c["value"] = FieldValue(*store_, st, f.name, w, nullptr);
      c["origin"] = ref.origin;
      c["id"] = Hex(ref.id);  // what a resolution chooses (POST .../resolve)
      c["at"] = FormatTime(static_cast<int64_t>(ref.hlc >> 16));
      auto h = by_id.find(std::string(AsView(ref.id)));
      if (h != by_id.end()) c["officer"] = h->second->event.officer;
      c["winner"] = (&w == st.Winner(f));
      candidates.push_back(std::move(c));
    }
    conflicts.push_back(json::object{{"field", f.name}, {"candidates", std::move(candidates)}});
  }
  json::array history;
  // Officers' full names for the forms' signatures, where this office holds their accounts.
  auto officers = Officers();
  const std::string me = store_->options().identity ? store_->options().identity->unit : "";
  for (const auto& h : view->history) {
    const Event& e = h.event;
    json::object entry;
    if (e.stream.origin == me) {
      for (const auto& o : officers->officers()) {
        if (o.login == e.officer) entry["officer_name"] = o.name;
      }
    }
    entry["at"] = FormatTime(static_cast<int64_t>(e.hlc >> 16));
    entry["office"] = e.stream.origin;
    entry["epoch"] = e.stream.epoch;
    entry["seq"] = e.seq;
    entry["officer"] = e.officer;
    entry["type"] = e.type;
    entry["changes"] = CborToJson(ShowBody(*store_, code, e.body, nullptr));
    entry["id"] = Hex(h.id);
    if (h.recorded_before_deps) entry["recorded_before_deps"] = true;
    history.push_back(std::move(entry));
  }
  json::object out;
  out["code"] = code;
  out["office"] = st.channel();
  // The receiving office as it was at the reception (its forms' header): name, type, depth in
  // the tree of then (0 the province; a commune is 2 in the three-tier tree, 1 since 2025).
  auto dir = store_->DirectorySnapshot();
  cbor::Value received_v = st.Get("received_at");
  const int64_t at = received_v.is_uint() && received_v.uint() < INT64_MAX
                         ? static_cast<int64_t>(received_v.uint())
                         : clock_->NowMs();
  if (auto u = dir->UnitAt(st.channel(), at)) {
    out["office_name"] = u->name;
    out["office_type"] = u->type;
    int depth = 0;
    for (auto p = u; p && !p->parent.empty() && depth < 8; p = dir->UnitAt(p->parent, at)) ++depth;
    out["office_depth"] = depth;
  }
  out["fields"] = std::move(fields);
  // Personal fields that could not be shown, and why: "erased" (then "erasure" says when and
  // by which decision), "no_key" (this node has not received the case's key), "invalid".
  if (!hidden.empty()) out["hidden"] = std::move(hidden);
  if (json::value erasure = ErasureJson(*store_, code); !erasure.is_null()) {
    out["erasure"] = std::move(erasure);
  }
  out["conflicts"] = std::move(conflicts);
  out["history"] = std::move(history);
  out["fingerprint"] = Hex(st.Fingerprint());
  json::array next;
  for (const auto& a : AllowedNextSteps(st.TextOr("status", ""))) next.push_back(json::value(a));
  out["allowed_next"] = std::move(next);
  // The receipt's "Vào Sổ theo dõi hồ sơ, Quyển số…, Số thứ tự…" (core/domain/register.h).
  // Counting a case's line reads its volume up to it: done for a read, not for the answer of
  // a write (a reception or step), which the clerk does not print.
  if (auto line = call.req.method == "GET" ? RegisterLineOf(*store_, code)
                                           : Result<RegisterEntry>(Status::NotFound(""));
      line.ok()) {
    out["register"] =
        json::object{{"office", line->office}, {"volume", line->year}, {"line", line->line}};
  }
  const int64_t now = clock_->NowMs();
  out["overdue"] = IsOverdue(st, now);
  out["due_soon"] = IsDueSoon(st, Reference()->CalendarFor(st.channel()), now);
  return Json(200, out);
}

HttpResponse LocalApi::ListCases(Call& call) {
  static const std::set<std::string> known = {"status",    "office",   "applicant", "due_before",
                                              "due_after", "overdue",  "limit",     "channel",
                                              "q",         "assigned", "due_soon"};
  for (const auto& [k, v] : call.query) {
    if (!known.count(k)) {
      return Error(400, "invalid", k, "unknown query parameter", "Tham số không hợp lệ: " + k);
    }
  }
  uint64_t limit = kDefaultLimit;
  if (auto e = NumberParam(call.query, "limit", 1, kMaxLimit, &limit)) return *e;
  int64_t now = clock_->NowMs();
  int64_t due_after = INT64_MIN, due_before = INT64_MAX;
  for (auto [name, bound] : {std::pair{"due_after", &due_after}, {"due_before", &due_before}}) {
    if (auto it = call.query.find(name); it != call.query.end()) {
      auto t = ParseTime(it->second);
      if (!t.ok()) return Invalid(name, t.status().message(), kViTime);
      *bound = *t;
    }
  }
  bool overdue = false;
  if (auto it = call.query.find("overdue"); it != call.query.end()) {
    if (it->second != "true" && it->second != "false" && it->second != "1" && it->second != "0") {
      return Invalid("overdue", "must be true or false", kViBool);
    }
    overdue = it->second == "true" || it->second == "1";
    if (overdue) due_before = std::min(due_before, now);
  }
  auto get = [&](const char* k) {
    auto it = call.query.find(k);
    return it == call.query.end() ? std::string() : it->second;
  };
  std::string status = get("status"), office = get("office"), applicant = get("applicant");
  std::string channel = get("channel"), query = get("q"), assigned = get("assigned");
  const std::string typed = LowerVietnamese(query);
  bool due_soon = false;
  if (auto it = call.query.find("due_soon"); it != call.query.end()) {
    if (it->second != "true" && it->second != "false") {
      return Invalid("due_soon", "must be true or false", kViBool);
    }
    due_soon = it->second == "true";
  }
  // Candidates from the most selective index asked for; the others filter them.
  constexpr size_t kScan = 1 << 20;
  Result<std::vector<std::string>> found = std::vector<std::string>();
  std::map<std::string, int> scores;  // the search's rank of each case found by "q"
  bool search_truncated = false;
  if (!query.empty() && !applicant.empty()) {
    return Invalid("applicant", "q searches the applicant's name too: give one of them",
                   "chỉ dùng một trong hai cách tìm: q hoặc applicant");
  }
  if (!query.empty()) {
    // With other filters the search finds more than a page, for them to choose from.
    bool filtered = !status.empty() || !office.empty() || !channel.empty() || !assigned.empty() ||
                    due_soon || overdue || due_after != INT64_MIN || due_before != INT64_MAX;
    auto searched = SearchCases(*store_, query, filtered ? kMaxLimit : limit);
    if (!searched.ok())
      return Invalid("q", searched.status().message(), "cần ít nhất một từ để tìm");
    std::vector<std::string> codes;
    for (const auto& h : searched->hits) {
      codes.push_back(h.code);
      scores[h.code] = h.score;
    }
    search_truncated = searched->truncated;
    found = std::move(codes);
  } else if (!applicant.empty()) {
    found = CasesByApplicant(*store_, applicant, kScan);
  } else if (!assigned.empty()) {
    found = CasesAssignedTo(*store_, assigned, kScan);
  } else if (!status.empty()) {
    found = CasesByStatus(*store_, status, kScan);
  } else if (!office.empty()) {
    found = store_->CasesOfChannel(office, kScan);
  } else if (due_after != INT64_MIN || due_before != INT64_MAX) {
    found = CasesDueBetween(*store_, std::max<int64_t>(due_after, 0), due_before, kScan);
  } else {
    found = store_->CaseCodes("", kScan);
  }
  if (!found.ok()) return FromStatus(found.status());
  std::vector<std::string> candidates = std::move(found).value();
  const auto reference = Reference();
  json::array out;
  size_t matched = 0;
  for (const auto& code : candidates) {
    // The read log's cases and data-subject requests: no clerk's work.
    if (IsAccessCaseCode(code) || IsSubjectCaseCode(code)) continue;
    auto st = store_->GetCaseState(code);
    if (!st.ok()) continue;
    std::string s = st->TextOr("status", "");
    if (!status.empty() && s != status) continue;
    if (!office.empty() && st->channel() != office) continue;
    if (!channel.empty() && st->TextOr("channel", "") != channel) continue;
    cbor::Value due_v = st->Get("due_at");
    bool has_due = due_v.is_uint();
    int64_t due = has_due ? static_cast<int64_t>(due_v.uint()) : 0;
    if ((due_after != INT64_MIN || due_before != INT64_MAX) &&
        (!has_due || due < due_after || due >= due_before)) {
      continue;
    }
    bool late = IsOverdue(*st, now);
    if (overdue && !late) continue;
    if (!assigned.empty() && st->TextOr("assigned_to", "") != assigned) continue;
    bool soon = IsDueSoon(*st, reference->CalendarFor(st->channel()), now);
    if (due_soon && !soon) continue;
    // One more than the limit tells that the list goes on; counting further would load every
    // case of a large scope.
    if (++matched > limit) break;
    json::object c;
    c["code"] = code;
    c["office"] = st->channel();
    c["status"] = s;
    c["procedure"] = st->TextOr("procedure", "");
    c["procedure_name"] = st->TextOr("procedure_name", "");
    c["channel"] = st->TextOr("channel", "");
    c["return_by_post"] =
        st->Get("return_by_post").is_bool() && st->Get("return_by_post").boolean();
    const FieldState* app_field = st->Field("applicant");
    const LiveWrite* app_winner = app_field ? st->Winner(*app_field) : nullptr;
    cbor::Value app = app_winner ? ShowField(*store_, code, "applicant", app_winner->value).value
                                 : cbor::Value::Null();
    const cbor::Value* name = app.is_map() ? app.Find("name") : nullptr;
    c["applicant"] = name && name->is_text() ? name->str() : "";
    if (auto sc = scores.find(code); sc != scores.end()) {
      // The name as typed, diacritics and all ("Ánh Tuyết", "ánh tuyết"), ranks above a
      // folded match.
      bool as_typed =
          name && name->is_text() && LowerVietnamese(name->str()).find(typed) != std::string::npos;
      c["score"] = sc->second + (as_typed ? 2 : 0);
    }
    cbor::Value received = st->Get("received_at");
    if (received.is_uint()) c["received_at"] = FormatTime(static_cast<int64_t>(received.uint()));
    if (has_due) c["due_at"] = FormatTime(due);
    c["overdue"] = late;
    c["due_soon"] = soon;
    if (cbor::Value a = st->Get("appointment_at"); a.is_uint()) {
      c["appointment_at"] = FormatTime(static_cast<int64_t>(a.uint()));
    }
    c["assigned_to"] = st->TextOr("assigned_to", "");
    c["conflicts"] = CaseConflictCount(*st);
    out.push_back(std::move(c));
  }
  if (!scores.empty()) {
    std::stable_sort(out.begin(), out.end(), [](const json::value& a, const json::value& b) {
      return a.at("score").as_int64() > b.at("score").as_int64();
    });
  }
  json::object body;
  body["count"] = out.size();
  body["truncated"] = matched > limit || search_truncated;
  body["cases"] = std::move(out);
  return Json(200, body);
}

}  // namespace hoso::node
