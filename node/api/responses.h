// The local API's answers and the request-field readers every handler shares (node/api/*.cc).
//
// An error is the JSON body {"error": code, "field": name, "reason": English for software,
// "message": Vietnamese for the clerk} (docs/api.md, "Errors"); a Status maps to its HTTP
// status, a case rule's refusal (core/domain/case_rules.h) to 400 or 409. The readers refuse
// with the field named and leave what the clerk typed as it is. Kept in one place so that every
// route words its refusals the same way.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/domain/case_rules.h"
#include "node/json.h"
#include "node/local_api.h"

namespace hoso::node::api {

inline constexpr size_t kMaxShortText = 64;  // codes, names of officers and statuses
inline constexpr size_t kMaxText = 2000;     // notes, addresses, document names
inline constexpr size_t kDefaultLimit = 100, kMaxLimit = 10000;  // lists

// The Vietnamese reasons of a malformed time and boolean.
inline constexpr const char* kViTime =
    "không đúng định dạng thời gian (ví dụ 2026-12-05T17:00:00+07:00)";
inline constexpr const char* kViBool = "chỉ nhận true hoặc false";

// `v` serialized, with a final newline.
HttpResponse Json(int status, const json::value& v);
// The error body: {"error": code, "field": name, "reason": English, "message": Vietnamese}.
HttpResponse Error(int status, std::string_view code, std::string_view field,
                   std::string_view reason, std::string_view message_vi);
// A failed Status as its HTTP answer (400, 403, 404, 409, else 500), naming `field`.
HttpResponse FromStatus(const Status& s, std::string_view field = "");
// A case that could not be read: 404 when this node does not hold it.
HttpResponse CaseReadError(const Status& s, const std::string& code);
// 400 for a required field left out, or a field with a wrong value (reason in both languages).
HttpResponse Missing(const std::string& field);
HttpResponse Invalid(const std::string& field, const std::string& reason,
                     const std::string& reason_vi);
// A case rule's refusal as the API's answer (400; a step the lifecycle forbids: 409 with
// the steps allowed).
HttpResponse Refused(const Refusal& r);

// 400 naming the first field of `o` not in `known` (`prefix` + its name), if any.
std::optional<HttpResponse> UnknownFields(const json::object& o, const std::set<std::string>& known,
                                          const std::string& prefix);
// Reads an optional (or required) text field of at most `max` bytes, trimmed of nothing:
// what the clerk typed is what is stored. `path` names it in the refusal.
std::optional<HttpResponse> TextField(const json::object& o, const std::string& name,
                                      const std::string& path, bool required, size_t max,
                                      std::string* out);
// The optional whole-number query parameter `name` into *out (left as it is when absent): 400
// naming it unless it is a number from `min` to `max`.
std::optional<HttpResponse> NumberParam(const std::map<std::string, std::string>& query,
                                        const std::string& name, uint64_t min, uint64_t max,
                                        uint64_t* out);
// The request body as a JSON object with only the `known` fields.
std::optional<HttpResponse> ParseBody(const HttpRequest& req, const std::set<std::string>& known,
                                      json::object* out);

}  // namespace hoso::node::api
