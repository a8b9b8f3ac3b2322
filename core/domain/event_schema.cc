#include "core/domain/event_schema.h"

#include <algorithm>
#include <initializer_list>
#include <vector>

#include "core/domain/access_log.h"
#include "core/domain/reference_data.h"
#include "core/domain/subject_requests.h"
#include "core/format/document.h"
#include "core/format/sealed_field.h"
#include "core/log/revocations.h"

namespace hoso {

namespace {

// One rule: a field's CBOR type and bounds. Text: `max` bytes; uint: `min`..`max`; array:
// at most `max` entries, each checked against `element`; map: its known fields in `fields`.
struct Rule {
  enum class Kind { kText, kUint, kBool, kArray, kMap, kBytes };
  std::string_view name;
  Kind kind;
  uint64_t max = 0;
  uint64_t min = 0;
  std::vector<std::string_view> choices;  // text: the only values allowed, when not empty
  std::vector<Rule> fields;               // map: known fields; array: fields[0] is the element
  bool required = false;
  bool sealable = false;  // personal data: may be a sealed value (core/format/sealed_field.h)
};

using Kind = Rule::Kind;
constexpr uint64_t kMaxTime = (uint64_t{1} << 48) - 1;  // ms since the epoch, as the HLC holds
constexpr uint64_t kShort = 64;
constexpr uint64_t kLong = 2000;
constexpr size_t kMaxMapFields = 64;

Rule Text(std::string_view name, uint64_t max, std::vector<std::string_view> choices = {}) {
  return Rule{name, Kind::kText, max, 0, std::move(choices), {}};
}
Rule Uint(std::string_view name, uint64_t max, uint64_t min = 0) {
  return Rule{name, Kind::kUint, max, min, {}, {}};
}
Rule Bool(std::string_view name) { return Rule{name, Kind::kBool}; }
// A byte string of exactly `size` bytes.
Rule Bytes(std::string_view name, uint64_t size) {
  return Rule{name, Kind::kBytes, size, size, {}, {}};
}
Rule Map(std::string_view name, std::vector<Rule> fields) {
  return Rule{name, Kind::kMap, 0, 0, {}, std::move(fields)};
}
Rule Array(std::string_view name, uint64_t max, Rule element) {
  return Rule{name, Kind::kArray, max, 0, {}, {std::move(element)}};
}
Rule Required(Rule r) {
  r.required = true;
  return r;
}
Rule Sealable(Rule r) {
  r.sealable = true;
  return r;
}
// A sealed value holds at most this much plaintext: more than any personal field's bounds.
constexpr size_t kMaxSealedBytes = 8192 + kSealedFieldOverhead;

std::string_view KindName(const cbor::Value& v) {
  switch (v.kind()) {
    case cbor::Value::Kind::kUint:
      return "an unsigned integer";
    case cbor::Value::Kind::kNegInt:
      return "a negative integer";
    case cbor::Value::Kind::kBytes:
      return "a byte string";
    case cbor::Value::Kind::kText:
      return "text";
    case cbor::Value::Kind::kArray:
      return "an array";
    case cbor::Value::Kind::kMap:
      return "a map";
    case cbor::Value::Kind::kBool:
      return "a boolean";
    case cbor::Value::Kind::kNull:
      return "null";
  }
  return "unknown";
}

std::string_view Expected(Kind k) {
  switch (k) {
    case Kind::kText:
      return "text";
    case Kind::kUint:
      return "an unsigned integer";
    case Kind::kBool:
      return "true or false";
    case Kind::kArray:
      return "an array";
    case Kind::kMap:
      return "a map";
    case Kind::kBytes:
      return "a byte string";
  }
  return "";
}

Status Bad(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + " " + what);
}

// Control characters could rewrite a terminal or a log line, and bidirectional overrides and
// line separators make text read as something else; no field needs them.
bool HasControl(std::string_view s, bool multiline = true) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && !(multiline && (c == '\t' || c == '\n'))) return true;
    if (c == 0x7f) return true;
    // C1 controls U+0080..U+009F are C2 80..C2 9F in UTF-8 (the decoder checked UTF-8).
    if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xa0) return true;
    // U+2028..U+202E (E2 80 A8..AE) and U+2066..U+2069 (E2 81 A6..A9).
    if (c == 0xe2 && i + 2 < s.size()) {
      auto b = static_cast<unsigned char>(s[i + 1]), d = static_cast<unsigned char>(s[i + 2]);
      if ((b == 0x80 && d >= 0xa8 && d <= 0xae) || (b == 0x81 && d >= 0xa6 && d <= 0xa9)) {
        return true;
      }
    }
  }
  return false;
}

bool IsKeyName(std::string_view k) {
  return !k.empty() && k.size() <= kShort && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Status CheckAny(const cbor::Value& v, const std::string& path);

// A map's size and keys, and the general bounds of the values no rule names (the rules check
// their own values, so nothing is walked twice).
Status CheckMap(const cbor::Value& map, const std::string& path, const std::vector<Rule>* rules) {
  if (map.size() > kMaxMapFields) {
    return Bad(path, "has more than " + std::to_string(kMaxMapFields) + " fields");
  }
  for (size_t i = 0; i + 1 < map.items().size(); i += 2) {
    const cbor::Value& k = map.items()[i];
    if (!k.is_text() || !IsKeyName(k.str())) {
      return Bad(path, "has a key that is not 1 to 64 bytes of [a-z0-9_]");
    }
    bool ruled = rules && std::any_of(rules->begin(), rules->end(),
                                      [&](const Rule& r) { return r.name == k.str(); });
    if (!ruled) HOSO_RETURN_IF_ERROR(CheckAny(map.items()[i + 1], path + "." + k.str()));
  }
  return Status::Ok();
}

// General bounds for what no rule names: text free of controls, keys that are names.
Status CheckAny(const cbor::Value& v, const std::string& path) {
  if (v.is_text() && HasControl(v.str())) return Bad(path, "holds a control character");
  if (v.is_array()) {
    for (size_t i = 0; i < v.items().size(); ++i) {
      HOSO_RETURN_IF_ERROR(CheckAny(v.items()[i], path + "[" + std::to_string(i) + "]"));
    }
  }
  if (v.is_map()) return CheckMap(v, path, nullptr);
  return Status::Ok();
}

Status CheckFields(const std::vector<Rule>& rules, const cbor::Value& map, const std::string& path);

Status CheckValue(const Rule& r, const cbor::Value& v, const std::string& path) {
  // What a sealed value holds is checked where it is opened (CheckCaseField).
  if (r.sealable && v.is_bytes() && !(r.kind == Kind::kBytes && v.str().size() == r.max)) {
    if (!ParseSealedField(v.str()) || v.str().size() > kMaxSealedBytes) {
      return Bad(path, "is a byte string that is not a sealed value of at most " +
                           std::to_string(kMaxSealedBytes) + " bytes");
    }
    return Status::Ok();
  }
  bool typed = (r.kind == Kind::kText && v.is_text()) || (r.kind == Kind::kUint && v.is_uint()) ||
               (r.kind == Kind::kBool && v.is_bool()) || (r.kind == Kind::kArray && v.is_array()) ||
               (r.kind == Kind::kMap && v.is_map()) || (r.kind == Kind::kBytes && v.is_bytes());
  if (!typed) {
    return Bad(path,
               "must be " + std::string(Expected(r.kind)) + ", not " + std::string(KindName(v)));
  }
  switch (r.kind) {
    case Kind::kText:
      if (v.str().size() > r.max) {
        return Bad(path, "must be at most " + std::to_string(r.max) + " bytes");
      }
      if (!r.choices.empty() &&
          std::find(r.choices.begin(), r.choices.end(), v.str()) == r.choices.end()) {
        std::string list;
        for (auto c : r.choices) list += (list.empty() ? "" : ", ") + std::string(c);
        return Bad(path, "must be one of " + list);
      }
      return CheckAny(v, path);
    case Kind::kUint:
      if (v.uint() < r.min || v.uint() > r.max) {
        return Bad(path, "must be from " + std::to_string(r.min) + " to " + std::to_string(r.max));
      }
      return Status::Ok();
    case Kind::kBool:
      return Status::Ok();
    case Kind::kArray:
      if (v.items().size() > r.max) {
        return Bad(path, "must have at most " + std::to_string(r.max) + " entries");
      }
      for (size_t i = 0; i < v.items().size(); ++i) {
        HOSO_RETURN_IF_ERROR(
            CheckValue(r.fields[0], v.items()[i], path + "[" + std::to_string(i) + "]"));
      }
      return Status::Ok();
    case Kind::kMap:
      return CheckFields(r.fields, v, path);
    case Kind::kBytes:
      if (v.str().size() != r.max) {
        return Bad(path, "must be " + std::to_string(r.max) + " bytes");
      }
      return Status::Ok();
  }
  return Status::Ok();
}

Status CheckFields(const std::vector<Rule>& rules, const cbor::Value& map,
                   const std::string& path) {
  HOSO_RETURN_IF_ERROR(CheckMap(map, path, &rules));
  for (const Rule& r : rules) {
    const cbor::Value* v = map.Find(r.name);
    if (!v) {
      if (r.required) return Bad(path + "." + std::string(r.name), "is required");
      continue;
    }
    HOSO_RETURN_IF_ERROR(CheckValue(r, *v, path + "." + std::string(r.name)));
  }
  return Status::Ok();
}

// Every field a case event may write (docs/event-format.md, "Case fields").
const std::vector<Rule>& CaseFields() {
  static const std::vector<Rule> rules = {
      Text("status", kShort),
      Text("procedure", kShort),
      Text("procedure_name", kLong),
      Text("agency", kLong),
      Sealable(Map("applicant", {Text("name", 200), Text("id_no", 12), Text("phone", 15),
                                 Text("email", 200), Text("address", kLong)})),
      Array("documents", 100,
            Map("", {Required(Text("name", kLong)),
                     Text("kind", kShort, {"original", "copy", "electronic"}),
                     Uint("count", 1000, 1)})),
      Text("channel", kShort, {"counter", "online", "postal"}),
      Uint("received_at", kMaxTime),
      Uint("due_at", kMaxTime),
      Uint("finished_at", kMaxTime),
      Uint("delivered_at", kMaxTime),
      Uint("supplement_since", kMaxTime),
      Uint("supplement_count", 1000),
      Uint("paused_ms", kMaxTime),
      Uint("processing_days", 3650),
      Bool("working_days"),
      Uint("fee", 1'000'000'000'000),
      Bool("return_by_post"),
      Sealable(Text("return_address", kLong)),
      Text("note", kLong),
      Text("tracking", kShort),
      // Routing (docs/routing.md): units and case codes.
      Text("residence", kShort),
      Text("route_to", kShort),
      Text("linked", kShort),
      Text("source", kShort),
      // Documents (docs/documents.md): "document" is a docref the store checks
      // (core/format/document.h); its key and the file's name are personal data.
      Map("document", {Required(Bytes("sha256", 32)), Required(Uint("size", kMaxDocumentBytes)),
                       Required(Array("chunks", kMaxDocumentChunks, Bytes("", 32)))}),
      Sealable(Bytes("document_key", kDocumentKeySize)),
      Sealable(Text("document_name", 255)),
      Text("document_type", kShort, {"application/pdf", "image/jpeg", "image/png"}),
      Text("document_item", kLong),
      Text("document_kind", kShort, {"original", "copy", "electronic"}),
      Text("document_role", kShort, {"application", "supplement", "result"}),
      Bytes("withdrawn_document", 32),
      Text("withdraw_reason", kLong),
      // The counter's forms and decisions (docs/forms.md, core/domain/case_decisions.h).
      Text("supplement_missing", kLong),
      Text("step_reason", kLong),
      Text("seal_no", kShort),
      Uint("sets", 99, 1),
      Uint("postal_fee", 1'000'000'000'000),
      Text("resolved_field", kShort),
      Text("resolution_note", kLong),
      Uint("appointment_at", kMaxTime),
      Text("delay_reason", kLong),
      Uint("delay_count", 1000),
      Text("assigned_to", kShort),
  };
  return rules;
}

}  // namespace

Status CheckCaseField(std::string_view field, const cbor::Value& value) {
  for (const Rule& r : CaseFields()) {
    if (r.name != field) continue;
    Rule opened = r;
    opened.sealable = false;
    return CheckValue(opened, value, "body." + std::string(field));
  }
  return CheckAny(value, "body." + std::string(field));
}

namespace {

bool IsStatusName(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

// A read log case (core/domain/access_log.h) holds "access.read" events of that body alone, so
// it never carries a case field (a status, an applicant) that queues, searches or reports read.
Status CheckAccessRead(const Event& e) {
  static const std::vector<std::string_view> views(std::begin(kReadViews), std::end(kReadViews));
  static const std::vector<Rule> rules = {
      Required(Array("reads", kMaxReadsPerEvent,
                     Map("", {Required(Text("officer", kMaxReaderBytes)),
                              Required(Array("cases", kMaxCasesPerRead, Text("", kShort))),
                              Required(Uint("at", kMaxTime)), Text("purpose", kMaxPurposeBytes),
                              Text("view", kShort, views)})))};
  if (e.type != kAccessReadType) {
    return Status::InvalidArgument("case " + e.case_code +
                                   " is a read log case: it holds access.read events only");
  }
  if (e.body.size() != 1) return Status::InvalidArgument("an access.read body holds reads only");
  HOSO_RETURN_IF_ERROR(CheckFields(rules, e.body, "body"));
  const auto& reads = e.body.Find("reads")->items();
  if (reads.empty()) return Status::InvalidArgument("body.reads must not be empty");
  for (size_t i = 0; i < reads.size(); ++i) {
    const auto& cases = reads[i].Find("cases")->items();
    std::string path = "body.reads[" + std::to_string(i) + "].cases";
    if (cases.empty()) return Status::InvalidArgument(path + " must not be empty");
    for (const cbor::Value& c : cases) HOSO_RETURN_IF_ERROR(ValidateName(path, c.str()));
  }
  return Status::Ok();
}

// A data-subject request's case (core/domain/subject_requests.h) holds its request, its
// answer and, once erased, the holders' "key.destroyed": no case field, so it stays out of
// queues, searches and reports.
Status CheckSubjectEvent(const Event& e) {
  static const std::vector<Rule> request = {Required(Text("received", 10)),
                                            Required(Sealable(Text("id_number", 12)))};
  static const std::vector<Rule> answered = {Required(Uint("answered_at", kMaxTime)),
                                             Required(Uint("cases", kMaxSubjectCases))};
  const std::vector<Rule>* rules = e.type == kSubjectRequestType    ? &request
                                   : e.type == kSubjectAnsweredType ? &answered
                                                                    : nullptr;
  if (e.type == kKeyDestroyedType && e.body.size() == 0) return Status::Ok();
  if (!rules) {
    return Status::InvalidArgument("case " + e.case_code +
                                   " is a data-subject request: it holds subject.request and "
                                   "subject.answered events only");
  }
  if (e.body.size() != rules->size()) {
    return Status::InvalidArgument(
        "a " + e.type + " body holds " +
        (rules == &request ? "received and id_number" : "answered_at and cases") + " only");
  }
  HOSO_RETURN_IF_ERROR(CheckFields(*rules, e.body, "body"));
  if (rules == &request) {
    if (!ParseDay(e.body.Find("received")->str()).ok()) {
      return Status::InvalidArgument("body.received must be a date YYYY-MM-DD");
    }
    const cbor::Value* id = e.body.Find("id_number");
    if (id->is_text() && !IsIdNumber(id->str())) {
      return Status::InvalidArgument("body.id_number must be 9 or 12 digits");
    }
  }
  return Status::Ok();
}

// A document's event names all it needs: an attached file its reference, key, name, type and
// role; a withdrawal the file and why. No other event writes a document field.
Status CheckDocumentEvent(const Event& e) {
  static const char* const kAttached[] = {"document", "document_key", "document_name",
                                          "document_type", "document_role"};
  static const char* const kWithdrawn[] = {"withdrawn_document", "withdraw_reason"};
  const bool attached = e.type == "document.attached", withdrawn = e.type == "document.withdrawn";
  for (const char* f : kAttached) {
    if (attached && !e.body.Find(f)) {
      return Status::InvalidArgument(std::string("body.") + f + " is required in " + e.type);
    }
    if (!attached && e.body.Find(f)) {
      return Status::InvalidArgument(std::string("body.") + f +
                                     " is written by document.attached only");
    }
  }
  for (const char* f : kWithdrawn) {
    if (withdrawn && !e.body.Find(f)) {
      return Status::InvalidArgument(std::string("body.") + f + " is required in " + e.type);
    }
    if (!withdrawn && e.body.Find(f)) {
      return Status::InvalidArgument(std::string("body.") + f +
                                     " is written by document.withdrawn only");
    }
  }
  return Status::Ok();
}

Status CheckCaseEvent(const Event& e) {
  HOSO_RETURN_IF_ERROR(ValidateName("case code", e.case_code));
  if (e.case_code.front() == '$')
    return Status::InvalidArgument("case code must not start with '$'");
  if (!CaseCodeBelongsTo(e.case_code, e.stream.channel)) {
    return Status::InvalidArgument("case code " + e.case_code + " does not belong to channel " +
                                   e.stream.channel +
                                   ": a case code starts with its channel's unit");
  }
  if (IsAccessCaseCode(e.case_code)) return CheckAccessRead(e);
  if (IsSubjectCaseCode(e.case_code)) return CheckSubjectEvent(e);
  if (e.type == kSubjectRequestType || e.type == kSubjectAnsweredType) {
    return Status::InvalidArgument("a " + e.type +
                                   " event belongs in a data-subject request's case, " +
                                   e.stream.channel + "-subject-<yyyymmdd>-<n>");
  }
  if (e.type == kAccessReadType) {
    return Status::InvalidArgument("an access.read event belongs in a read log case, " +
                                   e.stream.channel + "-access-<yyyymmdd>");
  }
  HOSO_RETURN_IF_ERROR(CheckFields(CaseFields(), e.body, "body"));
  // Codes a clerk types into searches and a spreadsheet reads: names only (no "=..." formula).
  for (const char* code : {"procedure", "tracking", "residence", "route_to", "linked", "source"}) {
    const cbor::Value* v = e.body.Find(code);
    if (v && !v->str().empty() && !ValidateName(code, v->str()).ok()) {
      return Status::InvalidArgument(std::string("body.") + code +
                                     " must be letters, digits, '.', '_' and '-'");
    }
  }
  const cbor::Value* status = e.body.Find("status");
  if (status && !IsStatusName(status->str())) {
    return Status::InvalidArgument("body.status must be a status name of [a-z_]");
  }
  if (!status && (e.type == "case.received" || e.type == "case.step")) {
    return Status::InvalidArgument("body.status is required in " + e.type);
  }
  HOSO_RETURN_IF_ERROR(CheckDocumentEvent(e));
  return Status::Ok();
}

Status CheckRevocation(const Event& e) {
  static const std::vector<Rule> revoke = {
      Required(Text("unit", kShort)), Required(Uint("epoch", uint64_t{1} << 32, 1)),
      Required(Uint("revoked_at", kMaxTime)), Text("reason", kLong)};
  if (e.type != kRevokeType) {
    return Status::InvalidArgument("a $revocations event is of type origin.revoke");
  }
  HOSO_RETURN_IF_ERROR(CheckFields(revoke, e.body, "body"));
  const std::string& unit = e.body.Find("unit")->str();
  HOSO_RETURN_IF_ERROR(ValidateName("body.unit", unit));
  if (e.case_code != RevocationKey(unit, e.body.Find("epoch")->uint())) {
    return Status::InvalidArgument("a revocation's case code is <unit>#<epoch> of its body");
  }
  return Status::Ok();
}

Status CheckReferenceEvent(const Event& e) {
  static const std::vector<Rule> procedure = {Required(Text("name", kLong)),
                                              Text("agency", kLong),
                                              Uint("days", 3650),
                                              Bool("working_days"),
                                              Bool("postal"),
                                              Uint("fee", 1'000'000'000'000),
                                              Array("documents", 200, Text("", kLong)),
                                              Text("competent", kShort),
                                              Uint("retention_years", 100),
                                              Text("source", kLong)};
  static const std::vector<Rule> year = {Required(Uint("year", 2200, 1900)),
                                         Array("holidays", 366, Text("", 10)),
                                         Array("working_days", 366, Text("", 10))};
  static const std::vector<Rule> hours = {
      Required(Array("sessions", 8, Rule{"", Kind::kArray, 2, 0, {}, {Text("", 5)}}))};
  if (HasControl(e.case_code))
    return Status::InvalidArgument("object key holds a control character");
  if (e.stream.channel == kCatalogueChannel && e.type == "procedure.set") {
    return CheckFields(procedure, e.body, "body");
  }
  if (e.stream.channel == kCalendarChannel && e.type == "calendar.year") {
    return CheckFields(year, e.body, "body");
  }
  if (e.stream.channel == kCalendarChannel && e.type == "calendar.hours") {
    return CheckFields(hours, e.body, "body");
  }
  if (e.stream.channel == kRevocationsChannel) return CheckRevocation(e);
  return CheckAny(e.body, "body");
}

}  // namespace

bool CaseCodeBelongsTo(std::string_view case_code, std::string_view channel) {
  std::string_view unit = case_code.substr(0, case_code.find('-'));
  if (unit.size() == case_code.size() || !unit.starts_with(channel)) return false;
  // A node past its first epoch mints "<unit>e<epoch>-...".
  std::string_view epoch = unit.substr(channel.size());
  return epoch.empty() ||
         (epoch.size() >= 2 && epoch[0] == 'e' && epoch[1] != '0' &&
          std::all_of(epoch.begin() + 1, epoch.end(), [](char c) { return c >= '0' && c <= '9'; }));
}

Status CheckEventSchema(const Event& e) {
  auto type_ok = !e.type.empty() && e.type.size() <= kShort &&
                 std::all_of(e.type.begin(), e.type.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
                 });
  if (!type_ok) return Status::InvalidArgument("event type must be 1 to 64 bytes of [a-z0-9_.]");
  if (e.officer.size() > 128 || HasControl(e.officer, /*multiline=*/false)) {
    return Status::InvalidArgument("officer must be at most 128 bytes with no control character");
  }
  if (!e.body.is_map()) return Status::InvalidArgument("body must be a map");
  if (!IsSystemChannel(e.stream.channel)) return CheckCaseEvent(e);
  if (e.stream.channel == kDirectoryChannel) return CheckAny(e.body, "body");
  return CheckReferenceEvent(e);
}

}  // namespace hoso
