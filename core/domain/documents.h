// The files of a case (docs/documents.md): what a clerk may attach (the content decides its
// type, never its name or what the browser claims), the events that attach and withdraw a
// file, and what a case's log says of its files. The bytes themselves are the store's
// (Store::PutDocument, ReadDocument); this is the domain's view of them.
// Thread-safety: pure functions (DocumentsOfCase reads a store, whose reads are thread-safe).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/format/cbor.h"
#include "core/format/document.h"
#include "core/log/store.h"

namespace hoso {

constexpr std::string_view kDocumentAttachedType = "document.attached";
constexpr std::string_view kDocumentWithdrawnType = "document.withdrawn";

// Whether a case field is one a file's event writes ("document", "document_key", ...): each
// such event is about one file, so these fields are no value of the case (and two files
// attached on two nodes are no conflict): the files are listed by DocumentsOfCase.
bool IsFileField(std::string_view field);
// The case's conflicts other than of file fields.
size_t CaseConflictCount(const CaseState& state);

// "application/pdf", "image/jpeg" or "image/png" when the bytes begin as such a file does;
// "" otherwise (HTML, SVG, scripts, archives, anything else: refused).
std::string_view SniffMediaType(std::string_view bytes);

struct DocumentLimits {
  uint64_t max_file_bytes = 20ull << 20;
  uint64_t max_case_bytes = 200ull << 20;  // withdrawn files count: their bytes stay
  size_t max_case_files = 200;
};

// What a clerk says of a file at upload.
struct AttachRequest {
  std::string name;                  // the file's name as given: shown, never trusted
  std::string item;                  // the checklist item it answers; "" for none
  std::string kind = "copy";         // original, copy or electronic
  std::string role = "application";  // application, supplement or result
};

// A file of a case as its log tells it.
struct CaseDocument {
  DocumentRef ref;
  std::string key;     // opened; "" when hidden
  std::string hidden;  // "" or why its key and name cannot be read: erased, no_key, invalid
  std::string name, media_type, item, kind, role;
  std::string office, officer;  // who attached it
  int64_t attached_ms = 0;
  bool withdrawn = false;
  std::string withdraw_reason;
};

// Checks a request's fields before the upload is stored (InvalidArgument naming the field).
Status CheckAttachRequest(const AttachRequest& request);
// Whether a file of `size` bytes may join the case's files: InvalidArgument when empty,
// OutOfRange past the limits (the message names which, in words a clerk can act on).
Status CheckAttachSize(uint64_t size, const std::vector<CaseDocument>& held,
                       const DocumentLimits& limits);
// The case's status allows attaching a file in this role: a result once the case is being
// processed, anything else before it is closed.
Status CheckAttachStatus(std::string_view status, std::string_view role);
// The event bodies.
cbor::Value AttachBody(const SealedDocument& doc, std::string_view media_type,
                       const AttachRequest& request);
cbor::Value WithdrawBody(const Hash& sha256, std::string_view reason);

// The case's files in the order attached (a file attached twice is listed once, as last
// attached); withdrawn ones are marked, not dropped.
Result<std::vector<CaseDocument>> DocumentsOfCase(const Store& store, const CaseView& view);
// The one whose content hash is `sha256`, NotFound when the case has none.
Result<CaseDocument> FindCaseDocument(const std::vector<CaseDocument>& documents,
                                      const Hash& sha256);

}  // namespace hoso
