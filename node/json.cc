#include "node/json.h"

// Boost.JSON compiled into this one translation unit (header-only mode), so no extra
// library package is needed.
#include <boost/json/src.hpp>
#include <charconv>
#include <ctime>

#include "core/format/crypto.h"

namespace hoso::node {

std::string FormatTime(int64_t ms) {
  time_t secs = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  int millis = static_cast<int>(ms - static_cast<int64_t>(secs) * 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

Result<int64_t> ParseTime(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument("'" + std::string(s) +
                                   "' is not a time: use 2026-11-26T16:12:03+07:00, "
                                   "2026-11-26 (midnight UTC) or ms since the epoch");
  };
  if (!s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t ms = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
    if (ec != std::errc()) return bad();
    return ms;
  }
  int y, mo, d, h = 0, mi = 0, sec = 0, millis = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return bad();
  }
  size_t pos = 10;
  int64_t offset_min = 0;
  if (pos < s.size()) {
    if ((s[pos] != 'T' && s[pos] != ' ') || !Digits(s, pos + 1, 2, &h) || s.size() < pos + 9 ||
        s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &mi) || s[pos + 6] != ':' ||
        !Digits(s, pos + 7, 2, &sec)) {
      return bad();
    }
    pos += 9;
    if (pos < s.size() && s[pos] == '.') {
      size_t start = ++pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
      std::string frac(s.substr(start, pos - start));
      if (frac.empty()) return bad();
      frac = (frac + "00").substr(0, 3);
      millis = std::stoi(frac);
    }
    if (pos == s.size()) return bad();  // a time of day needs its zone
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
    } else if ((s[pos] == '+' || s[pos] == '-') && s.size() == pos + 6 && s[pos + 3] == ':') {
      int oh, om;
      if (!Digits(s, pos + 1, 2, &oh) || !Digits(s, pos + 4, 2, &om)) return bad();
      offset_min = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    } else {
      return bad();
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return bad();
  struct tm tm = {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t secs = timegm(&tm);
  struct tm check;
  time_t t = static_cast<time_t>(secs);
  gmtime_r(&t, &check);
  if (check.tm_mday != d) return bad();  // 2026-02-30
  return (secs - offset_min * 60) * 1000 + millis;
}

json::value CborToJson(const cbor::Value& v) {
  using Kind = cbor::Value::Kind;
  switch (v.kind()) {
    case Kind::kUint:
      return json::value(v.uint());
    case Kind::kNegInt: {
      int64_t i = 0;
      if (v.ToInt64(&i)) return json::value(i);
      return json::value("-1-" + std::to_string(v.uint()));
    }
    case Kind::kBytes:
      return json::value(Hex(v.str()));
    case Kind::kText:
      return json::value(v.str());
    case Kind::kBool:
      return json::value(v.boolean());
    case Kind::kNull:
      return json::value(nullptr);
    case Kind::kArray: {
      json::array a;
      for (const auto& item : v.items()) a.push_back(CborToJson(item));
      return a;
    }
    case Kind::kMap: {
      json::object o;
      for (size_t i = 0; i + 1 < v.items().size(); i += 2) {
        const cbor::Value& k = v.items()[i];
        o[k.is_text() ? k.str() : cbor::Diagnostic(k)] = CborToJson(v.items()[i + 1]);
      }
      return o;
    }
  }
  return nullptr;
}

Result<cbor::Value> JsonToCbor(const json::value& v, const std::string& path) {
  switch (v.kind()) {
    case json::kind::null:
      return cbor::Value::Null();
    case json::kind::bool_:
      return cbor::Value::Bool(v.get_bool());
    case json::kind::int64:
      return cbor::Value::Int(v.get_int64());
    case json::kind::uint64:
      return cbor::Value::Uint(v.get_uint64());
    case json::kind::double_:
      return Status::InvalidArgument(path + ": fractional numbers are not accepted");
    case json::kind::string: {
      const auto& s = v.get_string();
      std::string_view text(s.data(), s.size());
      if (!cbor::IsValidUtf8(text)) return Status::InvalidArgument(path + ": invalid UTF-8");
      return cbor::Value::Text(text);
    }
    case json::kind::array: {
      cbor::Value a = cbor::Value::Array();
      size_t i = 0;
      for (const auto& item : v.get_array()) {
        HOSO_ASSIGN_OR_RETURN(auto c, JsonToCbor(item, path + "[" + std::to_string(i++) + "]"));
        a.Append(std::move(c));
      }
      return a;
    }
    case json::kind::object: {
      cbor::Value m = cbor::Value::Map();
      for (const auto& [k, item] : v.get_object()) {
        std::string key(k.data(), k.size());
        HOSO_ASSIGN_OR_RETURN(auto c, JsonToCbor(item, path.empty() ? key : path + "." + key));
        m.Set(key, std::move(c));
      }
      return m;
    }
  }
  return Status::InvalidArgument(path + ": unsupported value");
}

Result<json::value> ParseJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return Status::InvalidArgument("the body is not valid JSON: " + ec.message());
  return v;
}

}  // namespace hoso::node
