#include "core/log/directory.h"

#include <algorithm>
#include <tuple>

#include "core/base/text.h"

namespace hoso {

namespace {

const std::string* TextField(const cbor::Value& body, std::string_view key) {
  const cbor::Value* v = body.Find(key);
  return v && v->is_text() ? &v->str() : nullptr;
}

}  // namespace

Result<std::vector<UnitRecord>> ParseUnitsCsv(std::string_view text) {
  std::vector<UnitRecord> out;
  HOSO_RETURN_IF_ERROR(ForEachCsvLine(text, [&](size_t line_no, const auto& fields) {
    std::string where = "units CSV line " + std::to_string(line_no);
    if (line_no == 1) {
      if (fields.size() < 4 || fields[0] != "code" || fields[1] != "parent_code") {
        return Status::InvalidArgument(where + ": expected header code,parent_code,name,type");
      }
      return Status::Ok();
    }
    if (fields.size() != 4) {
      return Status::InvalidArgument(where + ": expected 4 fields, found " +
                                     std::to_string(fields.size()));
    }
    HOSO_RETURN_IF_ERROR(ValidateName("unit code", fields[0]).Annotate(where));
    if (!fields[1].empty()) {
      HOSO_RETURN_IF_ERROR(ValidateName("parent code", fields[1]).Annotate(where));
    }
    if (!cbor::IsValidUtf8(fields[2])) {
      return Status::InvalidArgument(where + ": name is not valid UTF-8");
    }
    out.push_back({fields[0], fields[1], fields[2], fields[3]});
    return Status::Ok();
  }));
  if (out.empty()) return Status::InvalidArgument("units CSV has no units");
  return out;
}

std::string UnitsCsv(const std::vector<UnitRecord>& units) {
  std::string out = "code,parent_code,name,type\n";
  for (const auto& u : units) {
    out += CsvField(u.code) + "," + CsvField(u.parent) + "," + CsvField(u.name) + "," +
           CsvField(u.type) + "\n";
  }
  return out;
}

cbor::Value UnitSetBody(const UnitRecord& unit, int64_t valid_from_ms) {
  cbor::Value body = cbor::Value::Map();
  body.Set("parent", cbor::Value::Text(unit.parent));
  body.Set("name", cbor::Value::Text(unit.name));
  body.Set("type", cbor::Value::Text(unit.type));
  body.Set("valid_from", cbor::Value::Uint(static_cast<uint64_t>(valid_from_ms)));
  return body;
}

cbor::Value UnitMergeBody(std::string_view into, int64_t valid_from_ms) {
  cbor::Value body = cbor::Value::Map();
  body.Set("into", cbor::Value::Text(into));
  body.Set("valid_from", cbor::Value::Uint(static_cast<uint64_t>(valid_from_ms)));
  return body;
}

cbor::Value UnitLeaveBody(std::string_view to, std::string_view province, int64_t valid_from_ms) {
  cbor::Value body = cbor::Value::Map();
  body.Set("province", cbor::Value::Text(province));
  body.Set("to", cbor::Value::Text(to));
  body.Set("valid_from", cbor::Value::Uint(static_cast<uint64_t>(valid_from_ms)));
  return body;
}

Status Directory::ValidateEvent(const Event& e) {
  std::string where = "directory event " + e.stream.ToString() + " seq " + std::to_string(e.seq);
  HOSO_RETURN_IF_ERROR(ValidateName("unit code", e.case_code).Annotate(where));
  if (e.type != "unit.set" && e.type != "unit.merge" && e.type != "unit.leave") {
    return Status::InvalidArgument(where + ": unknown directory event type '" + e.type + "'");
  }
  const cbor::Value* from = e.body.Find("valid_from");
  if (!from || !from->is_uint()) {
    return Status::InvalidArgument(where + ": body.valid_from must be an unsigned integer");
  }
  if (e.type == "unit.set") {
    for (const char* k : {"parent", "name", "type"}) {
      if (!TextField(e.body, k)) {
        return Status::InvalidArgument(where + ": body." + k + " must be text");
      }
    }
    const std::string& parent = *TextField(e.body, "parent");
    if (!parent.empty()) HOSO_RETURN_IF_ERROR(ValidateName("parent", parent).Annotate(where));
    if (parent == e.case_code) return Status::InvalidArgument(where + ": unit is its own parent");
    return Status::Ok();
  }
  if (e.type == "unit.merge") {
    const std::string* into = TextField(e.body, "into");
    if (!into) return Status::InvalidArgument(where + ": body.into must be text");
    HOSO_RETURN_IF_ERROR(ValidateName("into", *into).Annotate(where));
    if (*into == e.case_code) return Status::InvalidArgument(where + ": unit merged into itself");
    return Status::Ok();
  }
  if (e.type == "unit.leave") {
    for (const char* k : {"to", "province"}) {
      const std::string* v = TextField(e.body, k);
      if (!v) return Status::InvalidArgument(where + ": body." + k + " must be text");
      HOSO_RETURN_IF_ERROR(ValidateName(k, *v).Annotate(where));
    }
    return Status::Ok();
  }
  return Status::InvalidArgument(where + ": unknown directory event type '" + e.type + "'");
}

void Directory::AddVersion(const std::string& unit, Version v) {
  auto& versions = units_[unit];
  auto key = [](const Version& x) {
    return std::tie(x.valid_from, x.order_hlc, x.order_origin, x.order_seq);
  };
  auto pos = std::upper_bound(versions.begin(), versions.end(), v,
                              [&](const Version& a, const Version& b) { return key(a) < key(b); });
  versions.insert(pos, std::move(v));
}

Status Directory::Apply(const Event& e) {
  HOSO_RETURN_IF_ERROR(ValidateEvent(e));
  Version v;
  v.valid_from = static_cast<int64_t>(e.body.Find("valid_from")->uint());
  v.order_hlc = e.hlc;
  v.order_origin = e.stream.origin;
  v.order_seq = e.seq;
  if (e.type == "unit.set") {
    v.parent = *TextField(e.body, "parent");
    v.name = *TextField(e.body, "name");
    v.type = *TextField(e.body, "type");
  } else {
    // A merge or a departure keeps the unit's name and type; a merge hangs it under `into`.
    const Version* before = VersionAt(e.case_code, v.valid_from);
    if (before) {
      v.name = before->name;
      v.type = before->type;
    }
    if (e.type == "unit.merge") {
      v.parent = *TextField(e.body, "into");
      v.merged_into = v.parent;
    } else {
      v.left_to = *TextField(e.body, "to") + "@" + *TextField(e.body, "province");
    }
  }
  AddVersion(e.case_code, std::move(v));
  return Status::Ok();
}

void Directory::Load(const std::vector<UnitRecord>& units, int64_t valid_from_ms) {
  uint64_t seq = 0;
  for (const UnitRecord& u : units) {
    AddVersion(u.code, Version{valid_from_ms, 0, root_, ++seq, u.parent, u.name, u.type, ""});
  }
}

const Directory::Version* Directory::VersionAt(std::string_view unit, int64_t t_ms) const {
  auto it = units_.find(unit);
  if (it == units_.end()) return nullptr;
  const Version* found = nullptr;
  for (const Version& v : it->second) {
    if (v.valid_from > t_ms) break;
    found = &v;
  }
  return found;
}

const Directory::Version* Directory::PresentAt(std::string_view unit, int64_t t_ms) const {
  const Version* v = VersionAt(unit, t_ms);
  return v && v->left_to.empty() ? v : nullptr;
}

bool Directory::Exists(std::string_view unit, int64_t t_ms) const {
  return PresentAt(unit, t_ms) != nullptr;
}

std::optional<std::string> Directory::LeftTo(std::string_view unit, int64_t t_ms) const {
  const Version* v = VersionAt(unit, t_ms);
  if (!v || v->left_to.empty()) return std::nullopt;
  return v->left_to;
}

std::optional<std::string> Directory::MergedInto(std::string_view unit, int64_t t_ms) const {
  const Version* v = PresentAt(unit, t_ms);
  if (!v || v->merged_into.empty()) return std::nullopt;
  return v->merged_into;
}

bool Directory::IsRelay(std::string_view unit, int64_t t_ms) const {
  const Version* v = PresentAt(unit, t_ms);
  return v && v->type == kRelayType;
}

std::string Directory::RootAt(int64_t t_ms) const { return std::string(AuthorityAt(t_ms, "")); }

std::string_view Directory::AuthorityAt(int64_t t_ms, std::string_view unit) const {
  std::string_view cur = root_;
  // Each succession hangs the root under a new parentless unit; the bound guards a cycle.
  bool former = false;
  for (size_t depth = 0; depth < 64; ++depth) {
    const Version* v = PresentAt(cur, t_ms);
    if (!v || v->merged_into.empty()) break;
    const Version* successor = PresentAt(v->merged_into, t_ms);
    if (!successor || !successor->parent.empty()) break;
    former = former || cur == unit;
    cur = v->merged_into;
  }
  return unit.empty() || former ? cur : unit;
}

std::optional<int64_t> Directory::NextChangeAfter(int64_t t_ms) const {
  std::optional<int64_t> next;
  for (const auto& [unit, versions] : units_) {
    for (const Version& v : versions) {
      if (v.valid_from > t_ms && (!next || v.valid_from < *next)) next = v.valid_from;
    }
  }
  return next;
}

std::optional<std::string> Directory::ParentAt(std::string_view unit, int64_t t_ms) const {
  const Version* v = PresentAt(unit, t_ms);
  if (!v) return std::nullopt;
  return v->parent;
}

std::optional<UnitRecord> Directory::UnitAt(std::string_view unit, int64_t t_ms) const {
  const Version* v = PresentAt(unit, t_ms);
  if (!v) return std::nullopt;
  return UnitRecord{std::string(unit), v->parent, v->name, v->type};
}

bool Directory::IsAncestorOrSelf(std::string_view ancestor, std::string_view unit,
                                 int64_t t_ms) const {
  ancestor = AuthorityAt(t_ms, ancestor);  // a former root acts as its successor
  std::string_view cur = unit;             // then views of parents held by the directory
  // The depth bound guards against a cycle a bad re-draw could create.
  for (size_t depth = 0; depth < 64; ++depth) {
    const Version* v = PresentAt(cur, t_ms);
    if (!v) return false;
    if (cur == ancestor) return true;
    if (v->parent.empty()) return false;
    cur = v->parent;
  }
  return false;
}

Status Directory::CheckWrite(std::string_view origin, std::string_view channel,
                             int64_t t_ms) const {
  if (IsSystemChannel(channel)) {
    std::string root = RootAt(t_ms);
    if (IsRootAuthority(origin, t_ms)) return Status::Ok();
    return Status::PermissionDenied(
        "unit " + std::string(origin) + " may not write system channel " + std::string(channel) +
        " (only the root authority " + root + " may at the event's time)");
  }
  if (!Exists(origin, t_ms)) {
    return Status::PermissionDenied("unit " + std::string(origin) +
                                    " is not in the directory at the event's time");
  }
  if (!Exists(channel, t_ms)) {
    return Status::PermissionDenied("channel " + std::string(channel) +
                                    " is not a unit in the directory at the event's time");
  }
  if (IsRelay(origin, t_ms)) {
    return Status::PermissionDenied("unit " + std::string(origin) +
                                    " is a relay at the event's time: it writes no channel");
  }
  if (IsRelay(channel, t_ms)) {
    return Status::PermissionDenied("channel " + std::string(channel) +
                                    " is a relay's at the event's time: a relay has no channel "
                                    "of its own");
  }
  if (IsAncestorOrSelf(origin, channel, t_ms)) return Status::Ok();
  return Status::PermissionDenied("unit " + std::string(origin) + " may not write channel " +
                                  std::string(channel) +
                                  ": it is neither that unit nor an ancestor of it at the "
                                  "event's time");
}

bool Directory::InScope(std::string_view node, std::string_view channel, int64_t t_ms) const {
  return IsSystemChannel(channel) || IsAncestorOrSelf(node, channel, t_ms);
}

std::vector<std::string> Directory::ScopeOf(std::string_view node, int64_t t_ms) const {
  std::vector<std::string> out;
  for (const auto& [unit, versions] : units_) {
    if (IsAncestorOrSelf(node, unit, t_ms)) out.push_back(unit);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Directory::Units() const {
  std::vector<std::string> out;
  for (const auto& [unit, versions] : units_) out.push_back(unit);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace hoso
