// What the hoso command line prints: JSON on stdout for --json, and for people the times of a
// node's answer in Vietnam's local time and its fields escaped for the terminal (a peer may
// have put control characters in an error message or a unit name).
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>

namespace hoso::cli {

// One line of JSON on stdout.
void PrintJson(const boost::json::value& v);

// Dates for people: local time of Vietnam (+07:00), "2026-11-26 16:30"; "" for a value that
// is not a string, the text itself (escaped as Str does) when it is no time.
std::string Local(const boost::json::value& v);

// A field of a node's answer for the terminal: whatever a peer put in it (an error message, a
// unit name) is printed with its control characters escaped. "" when absent or null; any
// other value as JSON.
std::string Str(const boost::json::object& o, const char* k);

// A case field's value as clerks read it: a status, channel or document kind in words
// ("Đang giải quyết", "Qua bưu điện", "bản sao"), an event type in words ("Ghi bước"), any
// other value escaped as Str does.
std::string ValueText(std::string_view field, std::string_view value);
// The same for the field `k` of `o` ("" when absent).
std::string ValueText(const boost::json::object& o, const char* k);

}  // namespace hoso::cli
