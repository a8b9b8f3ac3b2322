#include "node/api/responses.h"

#include <charconv>
#include <map>

#include "core/format/cbor.h"
#include "node/json.h"

namespace hoso::node::api {
namespace {

// Vietnamese names of the request fields, for the clerk's messages.
std::string Label(std::string_view field) {
  static const std::map<std::string_view, std::string_view> labels = {
      {"officer", "cán bộ thực hiện"},
      {"code", "mã hồ sơ"},
      {"procedure", "mã thủ tục"},
      {"procedure_name", "tên thủ tục"},
      {"applicant", "thông tin người nộp"},
      {"applicant.name", "họ tên người nộp"},
      {"applicant.id_no", "số định danh cá nhân"},
      {"applicant.phone", "số điện thoại"},
      {"applicant.email", "thư điện tử"},
      {"applicant.address", "địa chỉ người nộp"},
      {"documents", "thành phần hồ sơ"},
      {"channel", "hình thức tiếp nhận"},
      {"return_by_post", "nhận kết quả qua bưu điện"},
      {"return_address", "địa chỉ nhận kết quả qua bưu điện"},
      {"due_at", "ngày hẹn trả kết quả"},
      {"fee", "lệ phí"},
      {"note", "ghi chú"},
      {"status", "trạng thái"},
      {"tracking", "mã vận đơn"},
      {"limit", "số hồ sơ tối đa"},
      {"due_before", "hạn trả trước ngày"},
      {"due_after", "hạn trả từ ngày"},
      {"overdue", "quá hạn"},
      {"valid_from", "ngày hiệu lực"},
      {"body", "nội dung gửi lên"},
  };
  auto it = labels.find(field);
  if (it != labels.end()) return std::string(it->second);
  if (field.rfind("documents", 0) == 0) return "thành phần hồ sơ (" + std::string(field) + ")";
  return std::string(field);
}

// Boost.JSON writes a string's bytes as they are, and text from a request (a path, a query, a
// code named in a store's message) need not be UTF-8, which JSON must be (RFC 8259): a client
// would refuse the whole answer. Each byte of a sequence that is not UTF-8 becomes U+FFFD;
// such bytes can only be inside a string, so the JSON around them stays as it was.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
    if (n <= s.size() - i && cbor::IsValidUtf8(s.substr(i, n))) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

}  // namespace

HttpResponse Json(int status, const json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(v);
  if (!cbor::IsValidUtf8(r.body)) r.body = ValidUtf8(r.body);
  r.body += "\n";
  return r;
}

HttpResponse Error(int status, std::string_view code, std::string_view field,
                   std::string_view reason, std::string_view message_vi) {
  json::object o;
  o["error"] = code;
  if (!field.empty()) o["field"] = field;
  o["reason"] = reason;
  o["message"] = message_vi;
  return Json(status, o);
}

HttpResponse FromStatus(const Status& s, std::string_view field) {
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kOutOfRange:
      return Error(400, "invalid", field, s.message(), "Dữ liệu không hợp lệ: " + s.message());
    case Code::kNotFound:
      return Error(404, "not_found", field, s.message(), "Không tìm thấy: " + s.message());
    case Code::kPermissionDenied:
      return Error(403, "forbidden", field, s.message(),
                   "Đơn vị này không có quyền ghi vào hồ sơ này.");
    case Code::kAlreadyExists:
      return Error(409, "exists", field, s.message(), "Đã tồn tại: " + s.message());
    case Code::kFrozen:
    case Code::kFork:
    case Code::kFailedPrecondition:
      return Error(409, "conflict", field, s.message(), "Không thể thực hiện: " + s.message());
    default:
      return Error(500, "internal", field, s.message(),
                   "Lỗi hệ thống, vui lòng báo bộ phận công nghệ thông tin.");
  }
}

HttpResponse CaseReadError(const Status& s, const std::string& code) {
  if (s.code() != Code::kNotFound) return FromStatus(s);
  return Error(404, "not_found", "code", "no case " + code + " on this node",
               "Không tìm thấy hồ sơ " + code + ".");
}

HttpResponse Missing(const std::string& field) {
  return Error(400, "invalid", field, "is required", "Thiếu " + Label(field) + ".");
}

HttpResponse Invalid(const std::string& field, const std::string& reason,
                     const std::string& reason_vi) {
  // A reason that is a sentence already ends with its own full stop.
  const bool sentence = !reason_vi.empty() && reason_vi.back() == '.';
  return Error(
      400, "invalid", field, reason,
      "Thông tin không hợp lệ – " + Label(field) + ": " + reason_vi + (sentence ? "" : "."));
}

HttpResponse Refused(const Refusal& r) {
  // A rule that says in words what is missing ("Cần ghi lý do chậm trễ.") is shown so.
  if (r.kind == Refusal::Kind::kMissing && !r.message_vi.empty()) {
    return Error(400, "invalid", r.field, r.reason, r.message_vi);
  }
  if (r.kind == Refusal::Kind::kMissing) return Missing(r.field);
  if (r.kind == Refusal::Kind::kInvalid) return Invalid(r.field, r.reason, r.message_vi);
  json::object e{{"error", "invalid_step"},
                 {"field", r.field},
                 {"reason", r.reason},
                 {"message", r.message_vi}};
  json::array allowed;
  for (const auto& a : r.allowed) allowed.push_back(json::value(a));
  e["allowed"] = std::move(allowed);
  return Json(409, e);
}

std::optional<HttpResponse> UnknownFields(const json::object& o, const std::set<std::string>& known,
                                          const std::string& prefix) {
  for (const auto& [k, v] : o) {
    std::string key(k.data(), k.size());
    if (!known.count(key)) {
      return Error(400, "invalid", prefix + key, "unknown field",
                   "Trường không được hỗ trợ: " + prefix + key + ".");
    }
  }
  return std::nullopt;
}

std::optional<HttpResponse> NumberParam(const std::map<std::string, std::string>& query,
                                        const std::string& name, uint64_t min, uint64_t max,
                                        uint64_t* out) {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  const std::string& v = it->second;
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < min || n > max) {
    return Invalid(name,
                   "must be a number from " + std::to_string(min) + " to " + std::to_string(max),
                   "phải là số từ " + std::to_string(min) + " đến " + std::to_string(max));
  }
  *out = n;
  return std::nullopt;
}

std::optional<HttpResponse> TextField(const json::object& o, const std::string& name,
                                      const std::string& path, bool required, size_t max,
                                      std::string* out) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) {
    if (required) return Missing(path);
    return std::nullopt;
  }
  if (!it->value().is_string()) return Invalid(path, "must be a string", "phải là chuỗi ký tự");
  const auto& s = it->value().get_string();
  std::string_view text(s.data(), s.size());
  if (required && text.find_first_not_of(" \t") == std::string_view::npos) return Missing(path);
  if (text.size() > max)
    return Invalid(path, "longer than " + std::to_string(max) + " bytes",
                   "dài quá " + std::to_string(max) + " byte");
  if (!cbor::IsValidUtf8(text)) return Invalid(path, "invalid UTF-8", "sai mã UTF-8");
  *out = std::string(text);
  return std::nullopt;
}

std::optional<HttpResponse> ParseBody(const HttpRequest& req, const std::set<std::string>& known,
                                      json::object* out) {
  auto parsed = ParseJson(req.body);
  if (!parsed.ok() || !parsed->is_object()) {
    return Error(400, "invalid", "",
                 parsed.ok() ? "the body must be a JSON object" : parsed.status().message(),
                 "Dữ liệu gửi lên không đúng định dạng.");
  }
  *out = std::move(parsed->as_object());
  return UnknownFields(*out, known, "");
}

}  // namespace hoso::node::api
