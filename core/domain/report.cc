#include "core/domain/report.h"

#include <ctime>
#include <map>
#include <tuple>

#include "core/base/coding.h"
#include "core/base/text.h"
#include "core/domain/calendar.h"
#include "core/domain/case_index.h"
#include "core/domain/lifecycle.h"
#include "core/log/directory.h"

namespace hoso {
namespace {

constexpr uint16_t kNone = 0xFFFF;

// The fold keeps canonical CBOR: the scalars a bucket needs are read straight from the bytes
// (every ingested event recomputes its case's bucket, so this is on the ingest path).
const std::string* Raw(const CaseState& st, std::string_view field) {
  const FieldState* f = st.Field(field);
  const LiveWrite* w = f ? st.Winner(*f) : nullptr;
  return w ? &w->value : nullptr;
}

std::optional<int64_t> Number(const CaseState& st, std::string_view field) {
  const std::string* raw = Raw(st, field);
  auto v = raw ? cbor::UintItem(*raw) : std::nullopt;
  if (!v || *v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(*v);
}

std::string_view Text(const CaseState& st, std::string_view field) {
  const std::string* raw = Raw(st, field);
  auto text = raw ? cbor::TextItem(*raw) : std::nullopt;
  return text ? *text : std::string_view();
}

bool True(const CaseState& st, std::string_view field) {
  const std::string* raw = Raw(st, field);
  return raw && *raw == "\xf5";
}

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xFF));
}

uint16_t GetU16(std::string_view s) {
  return static_cast<uint16_t>((static_cast<uint8_t>(s[0]) << 8) | static_cast<uint8_t>(s[1]));
}

uint16_t Month16(std::optional<int64_t> ms) {
  if (!ms) return kNone;
  int m = MonthOf(*ms);
  return m < 0 || m >= kNone ? kNone : static_cast<uint16_t>(m);
}

// When processing ended: "finished_at", else the time of the event that set the final status.
std::optional<int64_t> FinishedAt(const CaseState& st, std::string_view status) {
  if (!IsFinishedStatus(status)) return std::nullopt;
  if (auto at = Number(st, "finished_at")) return at;
  const FieldState* f = st.Field("status");
  const LiveWrite* w = f ? st.Winner(*f) : nullptr;
  if (!w) return std::nullopt;
  return static_cast<int64_t>(st.events()[w->ref].hlc >> 16);
}

struct Bucket {
  std::string office, procedure;
  uint16_t received, due, finished;
  char channel, post, outcome;
  // A routed case counts twice in the log and once in a report (docs/routing.md): 'S' the
  // source case once linked (received here, processed elsewhere), 'P' the linked case
  // (processed here, received elsewhere), '-' every other case.
  char role = '-';
  bool supplemented = false;  // a supplement was asked for at least once
};

std::optional<Bucket> DecodeBucket(std::string_view key) {
  if (key.empty() || key[0] != 'R') return std::nullopt;
  key.remove_prefix(1);
  size_t a = key.find('\0');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = key.find('\0', a + 1);
  // Keys of cases not routed have no role byte (as before routing existed).
  const size_t tail = b == std::string_view::npos ? 0 : key.size() - b - 1;
  if (b == std::string_view::npos || tail < 9 || tail > 11) return std::nullopt;
  std::string_view rest = key.substr(b + 1);
  return Bucket{std::string(key.substr(0, a)),
                std::string(key.substr(a + 1, b - a - 1)),
                GetU16(rest),
                GetU16(rest.substr(2)),
                GetU16(rest.substr(4)),
                rest[6],
                rest[7],
                rest[8],
                rest.size() > 9 ? rest[9] : '-',
                rest.size() > 10 && rest[10] == 'B'};
}

// What one bucket of n cases adds to a period [m1, m2]. Unfinished cases due in a month
// before `late_before` are late; those due in the month of a judgement inside it (the period
// reaches now) are counted on time here and corrected case by case (LateThisMonth).
void Count(const Bucket& b, uint64_t n, int m1, int m2, int late_before, ReportFigures* f) {
  const bool open = b.finished == kNone;
  if (b.role != 'P' && b.received >= m1 && b.received <= m2) {
    f->received += n;
    if (b.channel == 'o') f->received_online += n;
    if (b.channel == 'c') f->received_in_person += n;
    if (b.channel == 'p') f->received_postal += n;
    if (b.post == '1') f->postal += n;
  }
  if (b.role == 'S') return;  // its processing is counted on the linked case
  if (b.received < m1 && (open || b.finished >= m1)) f->carried_over += n;
  if (!open && b.finished >= m1 && b.finished <= m2) {
    f->resolved += n;
    if (b.supplemented) f->supplemented += n;
    if (b.outcome == 'E') f->early += n;
    if (b.outcome == 'O') f->on_time += n;
    if (b.outcome == 'L') f->late += n;
    if (b.outcome == 'U') f->not_judged += n;
  }
  if (b.received <= m2 && (open || b.finished > m2)) {
    f->in_progress += n;
    if (b.due != kNone && b.due < late_before) {
      f->in_progress_late += n;
    } else {
      f->in_progress_on_time += n;
    }
  }
}

}  // namespace

int MonthOf(int64_t ms) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(WorkingCalendar::LocalDay(ms), &y, &m, &d);
  return static_cast<int>((y - 2000) * 12 + (m - 1));
}

std::string MonthName(int month) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d", 2000 + month / 12, month % 12 + 1);
  return buf;
}

Result<int> ParseMonth(std::string_view text) {
  // "MM/YYYY", as clerks write a month, is "YYYY-MM".
  std::string s(text);
  if (s.size() == 7 && s[2] == '/') s = s.substr(3) + "-" + s.substr(0, 2);
  if (s.size() != 7 || s[4] != '-') {
    return Status::InvalidArgument("'" + std::string(s) + "' is not a month YYYY-MM");
  }
  auto day = ParseDay(std::string(s) + "-01");
  if (!day.ok()) return Status::InvalidArgument("'" + std::string(s) + "' is not a month YYYY-MM");
  int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2));
  if (y < 2000 || y > 2500) return Status::InvalidArgument("months start at 2000-01");
  return (y - 2000) * 12 + (m - 1);
}

std::optional<std::string> ReportBucketKey(const CaseState& st) {
  auto received = Number(st, "received_at");
  if (!received) return std::nullopt;
  std::string_view status = Text(st, "status");
  auto finished = FinishedAt(st, status);
  auto due = Number(st, "due_at");
  std::string_view channel = Text(st, "channel");
  bool post = channel == "postal" || True(st, "return_by_post");
  char outcome = '-';
  const auto supplements = Number(st, "supplement_count").value_or(0);
  if (finished) {
    if (IsUnjudgedStatus(status)) {
      outcome = 'U';
    } else if (supplements > 1 || (due && *finished > *due)) {
      outcome = 'L';
    } else if (due && *finished <= *due - WorkingCalendar::kDayMs) {
      outcome = 'E';
    } else {
      outcome = 'O';
    }
  }
  std::string_view procedure = Text(st, "procedure");
  std::string key;
  key.reserve(st.channel().size() + procedure.size() + 13);
  key.push_back('R');
  key += st.channel();
  key.push_back('\0');
  key += procedure;
  key.push_back('\0');
  PutU16(&key, Month16(received));
  PutU16(&key, Month16(due));
  PutU16(&key, Month16(finished));
  key.push_back(channel == "online"    ? 'o'
                : channel == "counter" ? 'c'
                : channel == "postal"  ? 'p'
                                       : '?');
  key.push_back(post ? '1' : '0');
  key.push_back(outcome);
  char role = !Text(st, "source").empty() ? 'P' : !Text(st, "linked").empty() ? 'S' : '-';
  if (role != '-' || supplements > 0) key.push_back(role);
  if (supplements > 0) key.push_back('B');
  return key;
}

namespace {

// The summary is the bucket key itself ("" for a case with no bucket yet).
class ReportBuckets final : public Projection {
 public:
  Kind kind() const override { return Kind::kCounters; }
  std::string Summary(const CaseState& st) const override {
    return ReportBucketKey(st).value_or("");
  }
  void Keys(std::string_view summary, std::string_view, const FieldOpener&,
            std::vector<std::string>* keys) const override {
    if (!summary.empty()) keys->emplace_back(summary);
  }
};

}  // namespace

const Projection& ReportProjection() {
  static const ReportBuckets buckets;
  return buckets;
}

namespace {

int64_t MonthStartMs(int month) {
  return WorkingCalendar::DayStartMs(DaysFromCivil(2000 + month / 12, month % 12 + 1, 1));
}

// The buckets of cases still open and due earlier this month than `now`: late now, though a
// bucket's due month cannot say so. Read case by case from the due-date index (one month's
// due dates at most).
Result<std::vector<Bucket>> LateThisMonth(const Store& store, int64_t now) {
  const int month = MonthOf(now);
  HOSO_ASSIGN_OR_RETURN(std::vector<std::string> codes,
                        CasesDueBetween(store, MonthStartMs(month), now, SIZE_MAX));
  std::vector<Bucket> out;
  for (const auto& code : codes) {
    auto st = store.GetCaseState(code);
    if (!st.ok()) continue;
    auto key = ReportBucketKey(*st);
    auto b = key ? DecodeBucket(*key) : std::nullopt;
    if (b && b->finished == kNone && b->role != 'S' && b->due == month) out.push_back(*b);
  }
  return out;
}

void MoveToLate(uint64_t n, ReportFigures* f) {
  n = std::min(n, f->in_progress_on_time);
  f->in_progress_on_time -= n;
  f->in_progress_late += n;
}

}  // namespace

Result<std::vector<ReportRow>> BuildReport(const Store& store, const ReportQuery& q) {
  if (q.to_month < q.from_month) {
    return Status::InvalidArgument("the period ends before it starts");
  }
  if (q.by_month && q.to_month - q.from_month >= 240) {
    return Status::InvalidArgument("a report by month covers at most 20 years");
  }
  auto dir = store.DirectorySnapshot();
  const int64_t now = q.now_ms ? q.now_ms : SystemClock::Default()->NowMs();
  // Unfinished cases are judged at the end of the period, or now when it has not ended.
  const int month_now = MonthOf(now);
  auto late_before = [&](int m2) { return std::min(m2 + 1, month_now); };
  std::map<std::string, bool> in_scope;
  auto visible = [&](const std::string& office) {
    auto [it, fresh] = in_scope.try_emplace(office, false);
    if (fresh) it->second = dir->IsAncestorOrSelf(q.scope, office, now);
    return it->second;
  };
  using Group = std::tuple<std::string, std::string, int>;
  std::map<Group, ReportFigures> groups;
  ReportFigures total;
  auto group_of = [&](const Bucket& b, int month) -> Group {
    return {q.by_unit ? b.office : "", q.by_procedure ? b.procedure : "", month};
  };
  const bool grouped = q.by_unit || q.by_procedure || q.by_month;
  HOSO_RETURN_IF_ERROR(store.ScanIndexCounters("R", "S", [&](std::string_view key, int64_t n) {
    if (n <= 0) return;
    auto b = DecodeBucket(key);
    if (!b || !visible(b->office)) return;
    uint64_t count = static_cast<uint64_t>(n);
    Count(*b, count, q.from_month, q.to_month, late_before(q.to_month), &total);
    if (!grouped) return;
    if (!q.by_month) {
      Count(*b, count, q.from_month, q.to_month, late_before(q.to_month),
            &groups[group_of(*b, -1)]);
      return;
    }
    for (int m = q.from_month; m <= q.to_month; ++m) {
      Count(*b, count, m, m, late_before(m), &groups[group_of(*b, m)]);
    }
  }));
  if (q.to_month >= month_now) {
    HOSO_ASSIGN_OR_RETURN(std::vector<Bucket> late, LateThisMonth(store, now));
    for (const Bucket& b : late) {
      if (!visible(b.office)) continue;
      MoveToLate(1, &total);
      if (!grouped) continue;
      if (!q.by_month) {
        MoveToLate(1, &groups[group_of(b, -1)]);
        continue;
      }
      for (int m = std::max(q.from_month, month_now); m <= q.to_month; ++m) {
        MoveToLate(1, &groups[group_of(b, m)]);
      }
    }
  }
  std::vector<ReportRow> rows;
  for (const auto& [g, f] : groups) {
    const auto& [unit, proc, month] = g;
    if (f.received + f.carried_over + f.resolved + f.in_progress == 0) continue;
    rows.push_back({unit, proc, month < 0 ? "" : MonthName(month), f});
  }
  rows.push_back({"", "", "", total});
  return rows;
}

std::string ReportCsv(const std::vector<ReportRow>& rows,
                      const std::function<std::string(const std::string&)>& unit_name) {
  // A UTF-8 byte order mark: Excel, which the offices open it with, reads the file as UTF-8.
  std::string out =
      "\xEF\xBB\xBF"
      "Mã đơn vị,Đơn vị,Thủ tục,Tháng,Tiếp nhận,Trực tuyến,Trực tiếp,Qua bưu chính,"
      "Kỳ trước chuyển sang,Đã giải quyết,Trước hạn,Đúng hạn,Quá hạn,Không đánh giá,"
      "Đang giải quyết,Đang giải quyết trong hạn,Đang giải quyết quá hạn,"
      "Tiếp nhận hoặc trả qua bưu chính,Tỷ lệ qua bưu chính,Tỷ lệ trực tuyến,"
      "Tỷ lệ đúng hạn,Tỷ lệ phải bổ sung\r\n";
  // A share over nothing is left empty: no data, not 0%.
  auto share = [](uint64_t part, uint64_t whole) {
    if (!whole) return std::string();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(part) / whole);
    return std::string(buf);
  };
  for (const auto& r : rows) {
    const ReportFigures& f = r.figures;
    const bool total = r.unit.empty() && r.procedure.empty() && r.month.empty();
    std::string name = total            ? "Tổng cộng"
                       : r.unit.empty() ? ""
                       : unit_name      ? unit_name(r.unit)
                                        : r.unit;
    out += CsvField(r.unit) + "," + CsvField(name) + "," + CsvField(r.procedure) + "," + r.month;
    for (uint64_t v : {f.received, f.received_online, f.received_in_person, f.received_postal,
                       f.carried_over, f.resolved, f.early, f.on_time, f.late, f.not_judged,
                       f.in_progress, f.in_progress_on_time, f.in_progress_late, f.postal}) {
      out += "," + std::to_string(v);
    }
    const uint64_t judged = f.early + f.on_time + f.late;
    out += "," + share(f.postal, f.received) + "," + share(f.received_online, f.received) + "," +
           share(f.early + f.on_time, judged) + "," + share(f.supplemented, f.resolved) + "\r\n";
  }
  return out;
}

}  // namespace hoso
