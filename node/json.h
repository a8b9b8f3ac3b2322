// JSON for the local API and the logs (Boost.JSON), and its mapping to the case log's CBOR:
// text <-> string, uint/nint <-> integer, bool, null, array, map with text keys <-> object,
// bytes -> lowercase hex string. JSON floats have no CBOR counterpart here (events carry no
// floats) and are refused.
// Times on the API are RFC 3339 in UTC with milliseconds ("2026-11-26T09:12:03.120Z");
// inputs may also carry an offset ("2026-11-26T16:12:03+07:00") or be ms since the epoch.
// Thread-safety: pure functions.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/format/cbor.h"

namespace hoso::node {

namespace json = boost::json;

std::string FormatTime(int64_t ms);
Result<int64_t> ParseTime(std::string_view text);

json::value CborToJson(const cbor::Value& v);
// `path` names the value in errors ("applicant.name").
Result<cbor::Value> JsonToCbor(const json::value& v, const std::string& path);

// Parses a request body; the error says where the JSON is malformed.
Result<json::value> ParseJson(std::string_view text);

}  // namespace hoso::node
