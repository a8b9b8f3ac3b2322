#include "core/domain/register.h"

#include <algorithm>

#include "core/base/coding.h"
#include "core/domain/calendar.h"
#include "core/format/cbor.h"
#include "core/log/case_state.h"

namespace hoso {

namespace {

constexpr char kTag = 'g';

std::string VolumePrefix(std::string_view office, int year) {
  std::string k(1, kTag);
  k += office;
  k.push_back('\0');
  k.push_back(static_cast<char>((year >> 8) & 0xFF));
  k.push_back(static_cast<char>(year & 0xFF));
  return k;
}

int YearOf(uint64_t ms) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(WorkingCalendar::LocalDay(static_cast<int64_t>(ms)), &y, &m, &d);
  return static_cast<int>(y);
}

class Register final : public Projection {
 public:
  Kind kind() const override { return Kind::kEntries; }
  // The reception's event (origin, epoch, seq) and its time.
  std::string Summary(const CaseState& st) const override {
    const FieldState* f = st.Field("received_at");
    const LiveWrite* w = f ? st.Winner(*f) : nullptr;
    if (!w) return "";
    const EventRef& ref = st.events()[w->ref];
    std::string s;
    PutString(&s, ref.origin);
    PutBig32(&s, static_cast<uint32_t>(std::min<uint64_t>(ref.epoch, UINT32_MAX)));
    PutBig64(&s, ref.seq);
    s += w->value;
    return s;
  }
  void Keys(std::string_view summary, std::string_view code, const FieldOpener&,
            std::vector<std::string>* keys) const override {
    Reader r(summary);
    std::string_view origin, epoch, seq;
    if (!r.String(&origin) || !r.Fixed(4, &epoch) || !r.Fixed(8, &seq)) return;
    auto received = cbor::UintItem(r.rest());
    if (!received || origin.empty()) return;
    int year = YearOf(*received);
    if (year < 1 || year > 0xFFFF) return;
    std::string k = VolumePrefix(origin, year);
    k += epoch;
    k += seq;
    k += code;
    keys->push_back(std::move(k));
  }
};

}  // namespace

const Projection& RegisterProjection() {
  static const Register projection;
  return projection;
}

Result<std::vector<RegisterEntry>> RegisterVolume(const Store& store, const std::string& office,
                                                  int year, size_t limit) {
  std::vector<RegisterEntry> out;
  std::string prefix = VolumePrefix(office, year);
  Status s = store.ScanIndex(
      prefix, PrefixUpperBound(prefix), [&](std::string_view key, std::string_view) {
        if (key.size() <= prefix.size() + 12) return true;
        out.push_back(RegisterEntry{office, year, out.size() + 1,
                                    std::string(key.substr(prefix.size() + 12))});
        return out.size() < limit;
      });
  if (!s.ok()) return s.Annotate("reading the register of " + office);
  return out;
}

Result<RegisterPage> RegisterPeriod(const Store& store, const std::string& office, int year,
                                    int64_t from_ms, int64_t to_ms, uint64_t first_line,
                                    size_t limit) {
  HOSO_ASSIGN_OR_RETURN(std::vector<RegisterEntry> volume,
                        RegisterVolume(store, office, year, kMaxVolumeLines + 1));
  if (volume.size() > kMaxVolumeLines) {
    return Status::OutOfRange("the register of " + office + " holds more than " +
                              std::to_string(kMaxVolumeLines) + " lines in " +
                              std::to_string(year));
  }
  // A case not held whole (erased keys keep the time; a bad state) sorts as received at 0.
  auto received = [&](const RegisterEntry& e) -> int64_t {
    auto st = store.GetCaseState(e.code);
    if (!st.ok()) return 0;
    cbor::Value at = st->Get("received_at");
    return at.is_uint() ? static_cast<int64_t>(at.uint()) : 0;
  };
  auto start = std::partition_point(volume.begin(), volume.end(),
                                    [&](const RegisterEntry& e) { return received(e) < from_ms; });
  RegisterPage page;
  page.volume_lines = volume.size();
  uint64_t skip = std::max<uint64_t>(static_cast<uint64_t>(start - volume.begin()),
                                     std::clamp<uint64_t>(first_line, 1, volume.size() + 1) - 1);
  auto it = volume.begin() + static_cast<ptrdiff_t>(skip);
  for (; it != volume.end(); ++it) {
    int64_t at = received(*it);
    if (at >= to_ms) break;
    if (at < from_ms) continue;
    if (page.lines.size() == limit) {
      page.next_line = it->line;
      break;
    }
    page.lines.push_back(std::move(*it));
  }
  return page;
}

Result<RegisterEntry> RegisterLineOf(const Store& store, const std::string& code) {
  HOSO_ASSIGN_OR_RETURN(CaseState st, store.GetCaseState(code));
  std::string summary = RegisterProjection().Summary(st);
  std::vector<std::string> keys;
  struct None final : FieldOpener {
    std::optional<std::string> Open(std::string_view, std::string_view,
                                    std::string_view) const override {
      return std::nullopt;
    }
  } none;
  RegisterProjection().Keys(summary, code, none, &keys);
  if (keys.empty()) return Status::NotFound("case " + code + " has no reception");
  const std::string& mine = keys.front();
  size_t cut = mine.find('\0');
  std::string office = mine.substr(1, cut - 1);
  int year =
      (static_cast<unsigned char>(mine[cut + 1]) << 8) | static_cast<unsigned char>(mine[cut + 2]);
  std::string prefix = VolumePrefix(office, year);
  uint64_t line = 0;
  bool found = false;
  // The rank of the case's key in its volume: the lines before it, counted.
  Status s = store.ScanIndex(prefix, PrefixUpperBound(prefix),
                             [&](std::string_view key, std::string_view) {
                               ++line;
                               found = key == mine;
                               return !found;
                             });
  if (!s.ok()) return s.Annotate("reading the register of " + office);
  if (!found) return Status::NotFound("case " + code + " is not in its register yet");
  return RegisterEntry{office, year, line, code};
}

}  // namespace hoso
