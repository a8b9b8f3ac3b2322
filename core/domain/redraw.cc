#include "core/domain/redraw.h"

#include <map>
#include <set>

#include "core/base/text.h"
#include "core/format/cbor.h"

namespace hoso {

namespace {

constexpr std::string_view kHeader[] = {"old_province", "old_code",     "old_name", "new_code",
                                        "new_name",     "new_province", "share"};

// The unit types of Vietnam's 2025 tree, longest first so "Thành phố" wins over a shorter one.
constexpr std::string_view kTypes[] = {"Thành phố", "Thị trấn", "Đặc khu", "Phường", "Tỉnh", "Xã"};

}  // namespace

std::string UnitTypeFromName(std::string_view name) {
  for (std::string_view t : kTypes) {
    if (name.starts_with(t) && (name.size() == t.size() || name[t.size()] == ' ')) {
      return std::string(t);
    }
  }
  return "";
}

Result<std::vector<RedrawRow>> ParseRedrawCsv(std::string_view text) {
  std::vector<RedrawRow> rows;
  HOSO_RETURN_IF_ERROR(ForEachCsvLine(text, [&](size_t line, const auto& f) {
    std::string where = "re-draw CSV line " + std::to_string(line);
    if (line == 1) {
      bool ok = f.size() == std::size(kHeader);
      for (size_t i = 0; ok && i < f.size(); ++i) ok = f[i] == kHeader[i];
      if (ok) return Status::Ok();
      return Status::InvalidArgument(
          where +
          ": expected header old_province,old_code,old_name,new_code,new_name,"
          "new_province,share");
    }
    if (f.size() != std::size(kHeader)) {
      return Status::InvalidArgument(where + ": expected 7 fields, found " +
                                     std::to_string(f.size()));
    }
    for (size_t i : {0, 1, 3, 5}) {
      HOSO_RETURN_IF_ERROR(ValidateName(kHeader[i], f[i]).Annotate(where));
    }
    for (size_t i : {2, 4}) {
      if (f[i].empty() || !cbor::IsValidUtf8(f[i])) {
        return Status::InvalidArgument(where + ": " + std::string(kHeader[i]) +
                                       " must be non-empty UTF-8 text");
      }
    }
    if (f[6] != "full" && f[6] != "partial") {
      return Status::InvalidArgument(where + ": share must be full or partial, not '" + f[6] + "'");
    }
    rows.push_back({line, f[0], f[1], f[2], f[3], f[4], f[5], f[6] == "full"});
    return Status::Ok();
  }));
  if (rows.empty()) return Status::InvalidArgument("the re-draw CSV has no rows");
  return rows;
}

namespace {

struct Planner {
  const std::vector<RedrawRow>& rows;
  const Directory& dir;
  int64_t at;
  const std::string& officer;
  RedrawPlan plan;

  void Write(const std::string& unit, const char* type, cbor::Value body) {
    plan.writes.push_back({std::string(kDirectoryChannel), unit, type, std::move(body), officer});
  }

  Status NewRoot() {
    plan.old_root = dir.RootAt(at);
    const RedrawRow* province = nullptr;
    for (const RedrawRow& r : rows) {
      if (r.old_code == plan.old_root) province = &r;
    }
    if (!province) {
      return Status::InvalidArgument("the re-draw CSV does not map the root authority " +
                                     plan.old_root + " (the province's own row)");
    }
    if (province->new_province != province->new_code) {
      return Status::InvalidArgument("re-draw CSV line " + std::to_string(province->line) +
                                     ": the province " + plan.old_root + " maps to " +
                                     province->new_code + ", which is not a province");
    }
    plan.new_root = province->new_code;
    UnitRecord root{plan.new_root, "", province->new_name, "Tỉnh"};
    Write(plan.new_root, "unit.set", UnitSetBody(root, at));
    plan.set.push_back(plan.new_root);
    if (plan.new_root != plan.old_root) {
      Write(plan.old_root, "unit.merge", UnitMergeBody(plan.new_root, at));
      plan.merged.emplace_back(plan.old_root, plan.new_root);
    }
    return Status::Ok();
  }

  // Every new unit of the new province, once, in file order.
  Status NewUnits() {
    std::map<std::string, const RedrawRow*> named;
    for (const RedrawRow& r : rows) {
      if (r.new_province != plan.new_root || r.new_code == plan.new_root) continue;
      auto [it, fresh] = named.emplace(r.new_code, &r);
      if (!fresh) {
        if (it->second->new_name != r.new_name) {
          return Status::InvalidArgument("re-draw CSV line " + std::to_string(r.line) + ": unit " +
                                         r.new_code + " is named '" + r.new_name + "' here and '" +
                                         it->second->new_name + "' on line " +
                                         std::to_string(it->second->line));
        }
        continue;
      }
      std::string type = UnitTypeFromName(r.new_name);
      if (type.empty()) {
        return Status::InvalidArgument("re-draw CSV line " + std::to_string(r.line) +
                                       ": the type of unit '" + r.new_name +
                                       "' cannot be told from its name (Xã, Phường, Đặc khu…)");
      }
      Write(r.new_code, "unit.set", UnitSetBody({r.new_code, plan.new_root, r.new_name, type}, at));
      plan.set.push_back(r.new_code);
    }
    return Status::Ok();
  }

  // Where each unit this deployment holds goes.
  Status OldUnits() {
    std::map<std::string, std::vector<const RedrawRow*>> by_old;
    for (const RedrawRow& r : rows) by_old[r.old_code].push_back(&r);
    std::set<std::string> created(plan.set.begin(), plan.set.end());
    std::set<std::string> held;
    for (const std::string& u : dir.ScopeOf(plan.old_root, at)) {
      if (u != plan.old_root) held.insert(u);
    }
    for (const auto& [old_code, its_rows] : by_old) {
      if (!held.count(old_code) && old_code != plan.old_root) plan.rows_not_held += its_rows.size();
    }
    for (const std::string& u : held) {
      auto it = by_old.find(u);
      if (it == by_old.end()) {
        if (created.count(u)) continue;  // no row of its own, but a new unit took its code
        Write(u, "unit.merge", UnitMergeBody(plan.new_root, at));
        plan.dissolved.emplace_back(u, plan.new_root);
        continue;
      }
      std::vector<const RedrawRow*> inside;
      for (const RedrawRow* r : it->second) {
        if (r->new_province == plan.new_root) inside.push_back(r);
      }
      if (inside.empty()) {
        const RedrawRow& to = *it->second.front();
        Write(u, "unit.leave", UnitLeaveBody(to.new_code, to.new_province, at));
        plan.left.emplace_back(u, to.new_code + "@" + to.new_province);
        continue;
      }
      const RedrawRow* successor = inside.front();
      for (const RedrawRow* r : inside) {
        if (r->new_code == u) successor = r;
      }
      if (inside.size() > 1) {
        std::vector<std::string> shares{u, successor->new_code};
        for (const RedrawRow* r : inside) {
          if (r != successor) shares.push_back(r->new_code);
        }
        plan.split.push_back(std::move(shares));
      }
      if (successor->new_code == u) continue;  // the new unit of that code keeps the channel
      if (created.count(u)) {
        return Status::InvalidArgument(
            "unit " + u + " goes into " + successor->new_code +
            " while a new unit takes its code: one channel cannot have two owners");
      }
      if (u == plan.new_root) {
        return Status::InvalidArgument("unit " + u + " has the new province's code but goes into " +
                                       successor->new_code);
      }
      Write(u, "unit.merge", UnitMergeBody(successor->new_code, at));
      plan.merged.emplace_back(u, successor->new_code);
    }
    return Status::Ok();
  }
};

}  // namespace

Result<RedrawPlan> PlanRedraw(const std::vector<RedrawRow>& rows, const Directory& dir,
                              int64_t at_ms, const std::string& officer) {
  if (at_ms <= 0) return Status::InvalidArgument("the re-draw needs the time it takes effect");
  Planner p{rows, dir, at_ms, officer, {}};
  HOSO_RETURN_IF_ERROR(p.NewRoot());
  HOSO_RETURN_IF_ERROR(p.NewUnits());
  HOSO_RETURN_IF_ERROR(p.OldUnits());
  return std::move(p.plan);
}

}  // namespace hoso
