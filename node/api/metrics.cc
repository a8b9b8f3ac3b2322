// GET /metrics: the node in Prometheus's text format (docs/api.md, "GET /metrics"; alert
// rules that use these names in docs/prometheus-alerts.yml).
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "core/base/version.h"
#include "core/domain/case_index.h"
#include "core/domain/case_rules.h"
#include "core/domain/lifecycle.h"
#include "core/domain/routing.h"
#include "core/format/certificate.h"
#include "node/api/responses.h"
#include "node/local_api.h"
#include "node/read_log.h"

namespace hoso::node {

namespace {

// Prometheus's label value escaping: backslash, double quote and newline.
std::string LabelValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

Result<std::map<std::string, uint64_t>> LocalApi::OverdueByOffice() {
  const int64_t now = clock_->NowMs();
  std::lock_guard lock(overdue_mu_);
  if (overdue_at_ms_ != INT64_MIN && now >= overdue_at_ms_ && now - overdue_at_ms_ < kOverdueMs) {
    return overdue_;
  }
  // Only cases not yet at their result may be overdue (IsOverdue): read those from the status
  // index rather than every case past its due date, which at a province is mostly closed ones.
  std::map<std::string, uint64_t> by_office;
  if (store_->options().identity) by_office[store_->options().identity->unit] = 0;
  const int result_ready = StatusRank("result_ready");
  for (const std::string& status : AllStatuses()) {
    if (StatusRank(status) >= result_ready) continue;
    HOSO_ASSIGN_OR_RETURN(std::vector<std::string> codes,
                          CasesByStatus(*store_, status, std::numeric_limits<size_t>::max()));
    for (const auto& code : codes) {
      auto st = store_->GetCaseState(code);
      if (!st.ok()) continue;
      uint64_t& n = by_office[st->channel()];  // an office with open cases shows 0 too
      if (IsOverdue(*st, now)) ++n;
    }
  }
  overdue_ = std::move(by_office);
  overdue_at_ms_ = now;
  return overdue_;
}

HttpResponse LocalApi::Metrics(Call&) {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto line = [&](const std::string& name, const std::string& labels, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + buf + "\n";
  };
  const int64_t now = clock_->NowMs();
  metric("hoso_build_info", "gauge",
         "The running build: its version, git commit and the format of its store.");
  line("hoso_build_info",
       "version=\"" + LabelValue(HosoVersion()) + "\",commit=\"" + LabelValue(HosoGitCommit()) +
           "\",store_format=\"" + LabelValue(store_->format()) + "\"",
       1);
  metric("hoso_cases", "gauge", "Cases held by this node.");
  line("hoso_cases", "", static_cast<double>(store_->CaseCount()));
  metric("hoso_commits_total", "counter", "Commits to the case log since it was created.");
  line("hoso_commits_total", "", static_cast<double>(store_->CommitCounter()));
  metric("hoso_forks", "gauge", "Forked streams kept as evidence.");
  line("hoso_forks", "", static_cast<double>(store_->Forks().size()));
  if (view_.self_check) {
    SelfCheckReport check = view_.self_check();
    metric("hoso_self_check_state", "gauge",
           "The store's check at start: 0 running (sync held), 1 passed, 2 damaged (sync held).");
    line("hoso_self_check_state", "", static_cast<double>(check.state));
    metric("hoso_self_check_findings", "gauge", "What the store's check at start found wrong.");
    line("hoso_self_check_findings", "", static_cast<double>(check.findings));
  }
  // Unreadable indexes leave the gauge out rather than show a wrong 0.
  if (auto overdue = OverdueByOffice(); overdue.ok()) {
    metric("hoso_cases_overdue", "gauge",
           "Cases past their due date and not yet at their result, by office (the channel "
           "they belong to; every office with an open case, and this node's own); counted at "
           "most every 30 s.");
    for (const auto& [office, n] : *overdue) {
      line("hoso_cases_overdue", "office=\"" + LabelValue(office) + "\"", static_cast<double>(n));
    }
  }
  if (auto routed = RoutedSources(*store_); routed.ok()) {
    metric("hoso_routed_cases_open", "gauge",
           "Routed cases this node holds that are not yet closed: the router's work list "
           "(docs/routing.md).");
    line("hoso_routed_cases_open", "", static_cast<double>(routed->size()));
  }
  if (struct statvfs fs{}; !view_.data_dir.empty() && statvfs(view_.data_dir.c_str(), &fs) == 0) {
    metric("hoso_data_disk_free_bytes", "gauge",
           "Bytes free for the node's user on the data directory's file system.");
    line("hoso_data_disk_free_bytes", "",
         static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize));
    metric("hoso_data_disk_total_bytes", "gauge", "Size of the data directory's file system.");
    line("hoso_data_disk_total_bytes", "",
         static_cast<double>(fs.f_blocks) * static_cast<double>(fs.f_frsize));
  }
  if (std::string crl = view_.crl_pem ? view_.crl_pem() : ""; !crl.empty()) {
    if (auto times = ReadCrlTimes(crl); times.ok()) {
      metric("hoso_crl_this_update_timestamp_seconds", "gauge",
             "When the CA signed the CRL this node enforces (unix time).");
      line("hoso_crl_this_update_timestamp_seconds", "", static_cast<double>(times->this_update));
      if (times->next_update) {
        metric("hoso_crl_next_update_timestamp_seconds", "gauge",
               "When the CRL this node enforces should have been replaced (unix time); past "
               "it, the CRL is stale.");
        line("hoso_crl_next_update_timestamp_seconds", "", static_cast<double>(times->next_update));
      }
    }
  }
  if (view_.api_tls_metrics) out += view_.api_tls_metrics();
  metric("hoso_uptime_seconds", "gauge", "Seconds since the node started.");
  line("hoso_uptime_seconds", "", static_cast<double>(now - view_.started_ms) / 1000);
  std::vector<sync::PeerStatus> peers = CurrentPeers();
  const std::string me = store_->options().identity ? store_->options().identity->unit : "";
  // Unreadable knowledge leaves the gauges out, as an unreadable store leaves out the clocks.
  auto behind = EventsBehind(peers, me);
  using Value = std::function<std::optional<double>(const sync::PeerStatus&)>;
  struct PeerMetric {
    const char* name;
    const char* type;
    const char* help;
    Value value;
  };
  const PeerMetric peer_metrics[] = {
      {"hoso_peer_connected", "gauge", "1 while the peer is connected.",
       [](const auto& p) { return p.connected ? 1.0 : 0.0; }},
      {"hoso_peer_last_success_timestamp_seconds", "gauge",
       "When the last session with the peer settled, both sides holding what the other sent "
       "(unix time); no line before the first.",
       [](const auto& p) -> std::optional<double> {
         if (!p.last_success_ms) return std::nullopt;
         return static_cast<double>(p.last_success_ms) / 1000;
       }},
      {"hoso_peer_events_behind", "gauge", "Events this node holds that the peer lacks.",
       behind.ok() ? Value([&](const auto& p) {
         return static_cast<double>((*behind)[&p - peers.data()]);  // p is an element of peers
       })
                   : Value()},
      {"hoso_peer_clock_skew_ms", "gauge", "The peer's clock minus ours.",
       [](const auto& p) { return static_cast<double>(p.clock_skew_ms); }},
      {"hoso_peer_bytes_sent_total", "counter", "Protocol bytes sent to the peer.",
       [](const auto& p) { return static_cast<double>(p.bytes_sent); }},
      {"hoso_peer_bytes_received_total", "counter", "Protocol bytes received from the peer.",
       [](const auto& p) { return static_cast<double>(p.bytes_received); }},
      {"hoso_peer_events_sent_total", "counter", "Events sent to the peer.",
       [](const auto& p) { return static_cast<double>(p.events_sent); }},
      {"hoso_peer_events_received_total", "counter", "Events received from the peer.",
       [](const auto& p) { return static_cast<double>(p.events_received); }},
  };
  for (const auto& m : peer_metrics) {
    if (!m.value) continue;
    metric(m.name, m.type, m.help);
    for (const auto& p : peers) {
      auto v = m.value(p);
      if (!v) continue;
      std::string labels = "peer=\"" +
                           LabelValue(p.unit.empty() ? std::string("unknown") : p.unit) +
                           "\",address=\"" + LabelValue(p.address) + "\",direction=\"" +
                           (p.upstream ? "upstream" : "downstream") + "\"";
      line(m.name, labels, *v);
    }
  }
  // The queue of this node's own work towards its parent: as its health report says it
  // (sync/health.h), the fewest events any identified upstream lacks.
  if (!view_.upstreams.empty() && behind.ok()) {
    std::optional<uint64_t> waiting;
    for (size_t i = 0; i < peers.size(); ++i) {
      if (!peers[i].upstream || peers[i].unit.empty()) continue;
      waiting = std::min(waiting.value_or(UINT64_MAX), (*behind)[i]);
    }
    if (waiting) {
      metric("hoso_upstream_events_waiting", "gauge",
             "Events this node holds that its upstream lacks, as far as sync knows: what "
             "waits to go up.");
      line("hoso_upstream_events_waiting", "", static_cast<double>(*waiting));
    }
  }
  if (auto ahead = store_->OriginsAhead(); ahead.ok()) {
    metric(
        "hoso_origin_clock_ahead_ms", "gauge",
        "How far ahead of this node's clock an origin's events were stamped (beyond the drift).");
    for (const auto& a : *ahead) {
      line("hoso_origin_clock_ahead_ms",
           "origin=\"" + LabelValue(a.unit) + "\",epoch=\"" + std::to_string(a.epoch) + "\"",
           static_cast<double>(a.max_ahead_ms));
    }
  }
  out += NetworkMetrics();  // the offices of this node's scope (node/api/network.cc)
  if (view_.read_log) out += view_.read_log->Metrics();
  metric("hoso_login_failures_total", "counter",
         "Wrong passwords or unknown logins at POST /v1/login.");
  line("hoso_login_failures_total", "", static_cast<double>(login_failures_total_.load()));
  metric("hoso_login_throttled_total", "counter",
         "Login attempts refused (429) within the wait after wrong passwords.");
  line("hoso_login_throttled_total", "", static_cast<double>(logins_throttled_.load()));
  metric("hoso_api_responses_total", "counter", "Local API responses by HTTP status.");
  {
    std::lock_guard lock(counts_mu_);
    for (const auto& [code, n] : responses_) {
      line("hoso_api_responses_total", "code=\"" + std::to_string(code) + "\"",
           static_cast<double>(n));
    }
  }
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  return r;
}

}  // namespace hoso::node
