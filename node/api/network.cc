// The offices of this node's scope and their latest health reports (docs/api.md, "Network"):
// GET /v1/network and the per-office lines of /metrics.
#include <cstdio>

#include "core/log/directory.h"
#include "node/api/responses.h"
#include "node/json.h"
#include "node/local_api.h"

namespace hoso::node {

using api::Json;

namespace {

json::object ReportJson(const sync::HealthReport& r) {
  json::object o;
  o["epoch"] = r.epoch;
  o["seq"] = r.seq;
  o["made_at"] = FormatTime(r.made_at_ms);
  o["version"] = r.version;
  o["protocol"] = r.protocol;
  o["store_format"] = r.store_format;
  o["clock_skew_ms"] = r.clock_skew_ms;
  if (r.last_sync_ms) o["last_sync"] = FormatTime(r.last_sync_ms);
  o["events_waiting"] = r.events_waiting;
  o["self_check"] = r.self_check;
  o["disk_free_bytes"] = r.disk_free_bytes;
  return o;
}

}  // namespace

std::vector<LocalApi::Office> LocalApi::Offices() const {
  const std::string me = store_->options().identity ? store_->options().identity->unit : "";
  const int64_t now = clock_->NowMs();
  auto dir = store_->DirectorySnapshot();
  std::map<std::string, sync::HeldHealth> held;
  if (view_.health) {
    for (auto& h : view_.health()) held[h.report.unit] = std::move(h);
  }
  std::vector<Office> out;
  for (const std::string& unit : dir->Units()) {
    if (!dir->Exists(unit, now) || !dir->IsAncestorOrSelf(me, unit, now)) continue;
    Office o;
    o.unit = unit;
    if (auto rec = dir->UnitAt(unit, now)) o.record = *rec;
    if (unit == me) {
      // This node's own state, as it would report it now.
      o.self = true;
      sync::LocalHealth local = view_.local_health ? view_.local_health() : sync::LocalHealth{};
      sync::HealthReport r;
      r.unit = me;
      r.epoch = store_->options().identity ? store_->options().identity->epoch : 0;
      r.made_at_ms = now;
      r.version = local.version;
      r.protocol = sync::kProtocolVersion;
      r.store_format = local.store_format;
      for (const auto& p : CurrentPeers()) {
        if (p.upstream && p.connected) r.clock_skew_ms = -p.clock_skew_ms;
      }
      r.last_sync_ms = local.last_sync_ms;
      r.events_waiting = local.events_waiting;
      r.self_check = local.self_check;
      r.disk_free_bytes = local.disk_free_bytes;
      o.held = sync::HeldHealth{r, {}, "", now, 0};
    } else if (auto it = held.find(unit); it != held.end()) {
      o.held = std::move(it->second);
    }
    out.push_back(std::move(o));
  }
  return out;
}

HttpResponse LocalApi::Network(Call&) {
  const int64_t now = clock_->NowMs();
  json::array offices;
  size_t reporting = 0;
  for (const Office& o : Offices()) {
    json::object j;
    j["unit"] = o.unit;
    j["name"] = o.record.name;
    j["type"] = o.record.type;
    j["parent"] = o.record.parent;
    j["self"] = o.self;
    if (o.held) {
      ++reporting;
      j["report"] = ReportJson(o.held->report);
      j["received_at"] = FormatTime(o.held->received_ms);
      j["relayed_by"] = o.held->relayed_by;
    } else {
      j["report"] = nullptr;
    }
    offices.push_back(std::move(j));
  }
  json::object out;
  out["unit"] = store_->options().identity ? store_->options().identity->unit : "";
  out["at"] = FormatTime(now);
  out["offices_total"] = offices.size();
  out["offices_reporting"] = reporting;
  out["offices"] = std::move(offices);
  return Json(200, out);
}

std::string LocalApi::NetworkMetrics() const {
  const int64_t now = clock_->NowMs();
  std::vector<Office> offices = Offices();
  std::string out;
  size_t silent = 0;
  for (const Office& o : offices) silent += o.held ? 0 : 1;
  out +=
      "# HELP hoso_offices_silent Offices of this node's scope it holds no health report of "
      "(never heard from).\n# TYPE hoso_offices_silent gauge\nhoso_offices_silent " +
      std::to_string(silent) + "\n";
  struct Gauge {
    const char* name;
    const char* help;
    std::function<std::optional<double>(const sync::HeldHealth&)> value;
  };
  const Gauge gauges[] = {
      {"hoso_office_clock_skew_ms", "An office's clock minus its parent's, as it reported.",
       [](const auto& h) { return static_cast<double>(h.report.clock_skew_ms); }},
      {"hoso_office_last_sync_age_seconds",
       "Seconds since an office's last settled session with its parent (its report's age added).",
       [now](const auto& h) -> std::optional<double> {
         if (!h.report.last_sync_ms) return std::nullopt;
         return static_cast<double>(h.report.made_at_ms - h.report.last_sync_ms) / 1000 +
                static_cast<double>(now - h.received_ms) / 1000;
       }},
      {"hoso_office_events_waiting", "Events an office holds that its parent lacks.",
       [](const auto& h) { return static_cast<double>(h.report.events_waiting); }},
      {"hoso_office_self_check_ok", "1 when an office's store passed its self-check.",
       [](const auto& h) { return h.report.self_check == "passed" ? 1.0 : 0.0; }},
      {"hoso_office_disk_free_bytes", "Disk free under an office's data directory.",
       [](const auto& h) { return static_cast<double>(h.report.disk_free_bytes); }},
      {"hoso_office_report_age_seconds", "Seconds since this node received an office's report.",
       [now](const auto& h) { return static_cast<double>(now - h.received_ms) / 1000; }},
  };
  for (const auto& g : gauges) {
    out += std::string("# HELP ") + g.name + " " + g.help + "\n# TYPE " + g.name + " gauge\n";
    for (const Office& o : offices) {
      if (!o.held) continue;
      auto v = g.value(*o.held);
      if (!v) continue;
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", *v);
      out += std::string(g.name) + "{unit=\"" + o.unit + "\"} " + buf + "\n";
    }
  }
  return out;
}

}  // namespace hoso::node
