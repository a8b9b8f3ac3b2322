#include "core/domain/documents.h"

#include <algorithm>

#include "core/domain/personal_data.h"
#include "core/format/hlc.h"

namespace hoso {
namespace {

constexpr std::string_view kKinds[] = {"original", "copy", "electronic"};
constexpr std::string_view kRoles[] = {"application", "supplement", "result"};
// Statuses from which a result may be attached (the case is with its competent unit, or
// done), and those after which nothing may be.
constexpr std::string_view kResultStatuses[] = {"processing", "result_ready",  "stopped",
                                                "dispatched", "undeliverable", "delivered",
                                                "returned"};
constexpr std::string_view kClosedStatuses[] = {"closed", "refused", "withdrawn"};

template <size_t N>
bool OneOf(std::string_view v, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), v) != std::end(set);
}

std::string Mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

// A sealed field's text, opened; "" and *hidden set when it cannot be.
std::string OpenedText(const Store& store, const std::string& code, const cbor::Value& body,
                       std::string_view field, std::string* hidden, std::string* bytes = nullptr) {
  const cbor::Value* v = body.Find(field);
  if (!v) return "";
  ShownField shown = ShowField(store, code, field, cbor::Encode(*v));
  if (shown.hidden != ShownField::Hidden::kNone) {
    *hidden = std::string(HiddenName(shown.hidden));
    return "";
  }
  if (bytes) {
    if (shown.value.is_bytes()) *bytes = shown.value.str();
    return "";
  }
  return shown.value.is_text() ? shown.value.str() : "";
}

std::string PlainText(const cbor::Value& body, std::string_view field) {
  const cbor::Value* v = body.Find(field);
  return v && v->is_text() ? v->str() : "";
}

}  // namespace

bool IsFileField(std::string_view field) {
  return field == "document" || field.starts_with("document_");
}

size_t CaseConflictCount(const CaseState& state) {
  size_t n = 0;
  for (const FieldState* f : state.Conflicts()) n += !IsFileField(f->name);
  return n;
}

std::string_view SniffMediaType(std::string_view b) {
  if (b.starts_with("%PDF-")) return "application/pdf";
  if (b.size() >= 3 && b.substr(0, 3) == std::string_view("\xFF\xD8\xFF", 3)) return "image/jpeg";
  if (b.starts_with(std::string_view("\x89PNG\r\n\x1A\n", 8))) return "image/png";
  return "";
}

namespace {

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// What was given, quoted in an error only when it is short, printable UTF-8.
std::string Given(std::string_view s) {
  if (s.size() > 32 || !cbor::IsValidUtf8(s) || HasControl(s)) return "";
  return ", got '" + std::string(s) + "'";
}

}  // namespace

Status CheckAttachRequest(const AttachRequest& r) {
  if (r.name.empty()) return Status::InvalidArgument("name: the file needs a name");
  if (r.name.size() > 255) return Status::InvalidArgument("name: longer than 255 bytes");
  if (!cbor::IsValidUtf8(r.name)) return Status::InvalidArgument("name: not valid UTF-8");
  if (HasControl(r.name) || r.name.find_first_of("/\\") != std::string::npos) {
    return Status::InvalidArgument("name: control characters and slashes are not allowed");
  }
  if (r.item.size() > 2000) return Status::InvalidArgument("item: longer than 2000 bytes");
  if (!cbor::IsValidUtf8(r.item)) return Status::InvalidArgument("item: not valid UTF-8");
  if (HasControl(r.item)) {
    return Status::InvalidArgument("item: control characters are not allowed");
  }
  if (!OneOf(r.kind, kKinds)) {
    return Status::InvalidArgument("kind: expected original, copy or electronic" + Given(r.kind));
  }
  if (!OneOf(r.role, kRoles)) {
    return Status::InvalidArgument("role: expected application, supplement or result" +
                                   Given(r.role));
  }
  return Status::Ok();
}

Status CheckAttachSize(uint64_t size, const std::vector<CaseDocument>& held,
                       const DocumentLimits& limits) {
  if (size == 0) return Status::InvalidArgument("the file is empty");
  if (size > limits.max_file_bytes) {
    return Status::OutOfRange("the file is " + Mib(size) + ", over the limit of " +
                              Mib(limits.max_file_bytes) + " per file");
  }
  if (held.size() >= limits.max_case_files) {
    return Status::OutOfRange("the case already has " + std::to_string(held.size()) +
                              " files, the most one case may hold");
  }
  uint64_t total = size;
  for (const CaseDocument& d : held) total += d.ref.size;
  if (total > limits.max_case_bytes) {
    return Status::OutOfRange("the case's files would be " + Mib(total) + ", over the limit of " +
                              Mib(limits.max_case_bytes) + " per case");
  }
  return Status::Ok();
}

Status CheckAttachStatus(std::string_view status, std::string_view role) {
  if (OneOf(status, kClosedStatuses)) {
    return Status::FailedPrecondition("the case is " + std::string(status) +
                                      ": no file can be attached");
  }
  if (role == "result" && !OneOf(status, kResultStatuses)) {
    return Status::FailedPrecondition(
        "a result can be attached once the case is processed (it is " + std::string(status) + ")");
  }
  return Status::Ok();
}

cbor::Value AttachBody(const SealedDocument& doc, std::string_view media_type,
                       const AttachRequest& r) {
  cbor::Value body = cbor::Value::Map();
  body.Set("document", DocumentRefValue(doc.ref));
  body.Set("document_key", cbor::Value::Bytes(doc.key));
  body.Set("document_name", cbor::Value::Text(r.name));
  body.Set("document_type", cbor::Value::Text(media_type));
  body.Set("document_kind", cbor::Value::Text(r.kind));
  body.Set("document_role", cbor::Value::Text(r.role));
  if (!r.item.empty()) body.Set("document_item", cbor::Value::Text(r.item));
  return body;
}

cbor::Value WithdrawBody(const Hash& sha256, std::string_view reason) {
  cbor::Value body = cbor::Value::Map();
  body.Set("withdrawn_document", cbor::Value::Bytes(AsView(sha256)));
  body.Set("withdraw_reason", cbor::Value::Text(reason));
  return body;
}

Result<std::vector<CaseDocument>> DocumentsOfCase(const Store& store, const CaseView& view) {
  std::vector<CaseDocument> out;
  auto find = [&](const Hash& sha) {
    return std::find_if(out.begin(), out.end(),
                        [&](const CaseDocument& d) { return d.ref.sha256 == sha; });
  };
  for (const HistoryEntry& h : view.history) {
    const Event& e = h.event;
    if (e.type == kDocumentAttachedType) {
      const cbor::Value* refv = e.body.Find("document");
      if (!refv) continue;
      auto ref = ParseDocumentRef(*refv);
      if (!ref.ok()) continue;  // the store refuses such an event; nothing to show
      CaseDocument d;
      d.ref = std::move(ref).value();
      const std::string& code = e.case_code;
      OpenedText(store, code, e.body, "document_key", &d.hidden, &d.key);
      d.name = OpenedText(store, code, e.body, "document_name", &d.hidden);
      if (!d.hidden.empty()) d.key.clear(), d.name.clear();
      d.media_type = PlainText(e.body, "document_type");
      d.item = PlainText(e.body, "document_item");
      d.kind = PlainText(e.body, "document_kind");
      d.role = PlainText(e.body, "document_role");
      d.office = e.stream.origin;
      d.officer = e.officer;
      d.attached_ms = HlcMillis(e.hlc);
      auto it = find(d.ref.sha256);
      if (it != out.end()) out.erase(it);  // attached again: listed once, as last attached
      out.push_back(std::move(d));
    } else if (e.type == kDocumentWithdrawnType) {
      const cbor::Value* w = e.body.Find("withdrawn_document");
      if (!w || !w->is_bytes() || w->str().size() != 32) continue;
      auto it = find(HashFromView(w->str()));
      if (it == out.end()) continue;
      it->withdrawn = true;
      it->withdraw_reason = PlainText(e.body, "withdraw_reason");
    }
  }
  return out;
}

Result<CaseDocument> FindCaseDocument(const std::vector<CaseDocument>& documents,
                                      const Hash& sha256) {
  for (const CaseDocument& d : documents) {
    if (d.ref.sha256 == sha256) return d;
  }
  return Status::NotFound("the case has no file " + Hex(sha256));
}

}  // namespace hoso
