// Printing for the hoso command line: JSON lines, local times, fields escaped for the terminal.
#include "tools/cli/output.h"

#include <cstdio>
#include <ctime>

#include "core/base/text.h"
#include "core/domain/lifecycle.h"
#include "node/json.h"

namespace hoso::cli {

namespace json = boost::json;

void PrintJson(const json::value& v) { std::printf("%s\n", json::serialize(v).c_str()); }

std::string Local(const json::value& v) {
  if (!v.is_string()) return "";
  auto ms = node::ParseTime(std::string(v.get_string()));
  if (!ms.ok()) return ForTerminal(v.get_string());
  time_t secs = static_cast<time_t>(*ms / 1000 + 7 * 3600);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::string Str(const json::object& o, const char* k) {
  auto it = o.find(k);
  if (it == o.end()) return "";
  if (it->value().is_string()) return ForTerminal(it->value().get_string());
  if (it->value().is_null()) return "";
  return json::serialize(it->value());
}

std::string ValueText(std::string_view field, std::string_view value) {
  if (field == "status" && IsKnownStatus(value)) return StatusNameVi(value);
  struct Label {
    std::string_view field, value, text;
  };
  static constexpr Label kLabels[] = {
      {"channel", "counter", "Trực tiếp tại quầy"},
      {"channel", "online", "Trực tuyến"},
      {"channel", "postal", "Qua bưu điện"},
      {"kind", "original", "bản chính"},
      {"kind", "copy", "bản sao"},
      {"kind", "electronic", "bản điện tử"},
      {"type", "case.received", "Tiếp nhận"},
      {"type", "case.step", "Ghi bước"},
      {"type", "document.attached", "Đính kèm tệp"},
      {"type", "document.withdrawn", "Rút tệp"},
      {"type", "key.destroyed", "Huỷ khoá dữ liệu"},
  };
  for (const Label& l : kLabels) {
    if (l.field == field && l.value == value) return std::string(l.text);
  }
  return ForTerminal(value);
}

std::string ValueText(const json::object& o, const char* k) {
  auto it = o.find(k);
  if (it != o.end() && it->value().is_string()) return ValueText(k, it->value().get_string());
  return Str(o, k);
}

}  // namespace hoso::cli
