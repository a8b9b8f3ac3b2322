#include "core/domain/register.h"

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
