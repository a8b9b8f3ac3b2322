#include "tools/workload.h"

#include <cstdio>

namespace hoso {

namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return state_ = SplitMix(state_); }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Next() % N];
  }
  std::string Digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + Next() % 10));
    return s;
  }

 private:
  uint64_t state_;
};

const char* const kFamily[] = {"Nguyễn", "Trần", "Lê",  "Phạm", "Huỳnh", "Hoàng", "Phan",  "Vũ",
                               "Võ",     "Đặng", "Bùi", "Đỗ",   "Hồ",    "Ngô",   "Dương", "Lý"};
const char* const kMiddle[] = {"Văn", "Thị",  "Hữu",      "Minh",  "Ngọc", "Thanh",
                               "Đức", "Quốc", "Thị Ngọc", "Hoàng", "Kim",  "Công"};
const char* const kGiven[] = {"An",  "Bình", "Cường", "Dũng",  "Hoa", "Hùng",  "Lan",  "Long",
                              "Mai", "Nam",  "Phúc",  "Quang", "Tâm", "Thảo",  "Tuấn", "Vy",
                              "Yến", "Khoa", "Hạnh",  "Lộc",   "Trí", "Nhung", "Sơn",  "Thư"};
const char* const kHamlet[] = {"Ấp Vĩnh Thạnh",   "Ấp Mỹ Hòa",      "Ấp Bình Đức", "Ấp Hòa Long",
                               "Ấp Tân Phú",      "Ấp Long Hòa",    "Ấp Phú Hiệp", "Ấp An Thạnh",
                               "Khóm Đông Thịnh", "Khóm Bình Khánh"};
const char* const kCommune[] = {"xã Vĩnh Châu",    "phường Mỹ Bình", "xã Mỹ Khánh",
                                "phường Núi Sam",  "xã Khánh An",    "xã Vĩnh Tế",
                                "phường Bình Đức", "xã Mỹ Hoà Hưng"};
const char* const kDistrict[] = {"Long Xuyên", "Châu Đốc", "An Phú",    "Tân Châu",
                                 "Phú Tân",    "Châu Phú", "Tịnh Biên", "Tri Tôn",
                                 "Châu Thành", "Chợ Mới",  "Thoại Sơn"};
const char* const kProcedure[] = {"TEST-1002668", "TEST-1001193", "TEST-1004227", "TEST-2000908",
                                  "TEST-1003596", "TEST-1000894", "TEST-2001157", "TEST-1001612",
                                  "TEST-1004946", "TEST-2002165"};
const char* const kChannel[] = {"postal", "postal", "online", "counter"};
const uint64_t kFee[] = {0, 25000, 50000, 100000};
const char* const kStep[] = {"",           "forwarded", "processing", "result_ready",
                             "dispatched", "delivered", "closed"};
const char* const kOfficer[] = {"nv.lan", "nv.hung", "nv.thao", "cb.minh", "cb.tam", "cb.phuc"};

constexpr int64_t kFirstDay = 1575849600000;  // 2019-12-09T00:00:00Z
constexpr int64_t kDayMs = 86400000;
constexpr uint64_t kPerDay = 9999;

cbor::Value Text(const std::string& s) { return cbor::Value::Text(s); }

}  // namespace

const std::vector<std::string>& WorkloadProcedureCodes() {
  static const std::vector<std::string> codes(std::begin(kProcedure), std::end(kProcedure));
  return codes;
}

CaseWorkload::CaseWorkload(uint64_t seed, std::vector<std::string> offices)
    : seed_(seed), offices_(std::move(offices)) {}

std::string CaseWorkload::CaseCode(uint64_t i) const {
  int64_t day = kFirstDay + static_cast<int64_t>(i / kPerDay) * kDayMs;
  time_t secs = day / 1000;
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%02d%02d%02d-%04u", Office(i).c_str(), tm.tm_year % 100,
                tm.tm_mon + 1, tm.tm_mday, static_cast<unsigned>(i % kPerDay + 1));
  return buf;
}

const std::string& CaseWorkload::Office(uint64_t i) const {
  return offices_[SplitMix(seed_ ^ (i * 7919)) % offices_.size()];
}

int64_t CaseWorkload::ReceivedAt(uint64_t i) const {
  // 07:00 +07:00 is 00:00Z; one case every 3 s.
  return kFirstDay + static_cast<int64_t>(i / kPerDay) * kDayMs +
         static_cast<int64_t>(i % kPerDay) * 3000;
}

LocalWrite CaseWorkload::Reception(uint64_t i) const {
  Rng rng(SplitMix(seed_ + i));
  std::string name =
      std::string(rng.Pick(kFamily)) + " " + rng.Pick(kMiddle) + " " + rng.Pick(kGiven);
  cbor::Value applicant = cbor::Value::Map();
  applicant.Set("name", Text(name));
  applicant.Set("id_no", Text("0" + rng.Digits(11)));
  applicant.Set("phone", Text("09" + rng.Digits(8)));
  applicant.Set("address", Text(std::string(rng.Pick(kHamlet)) + ", " + rng.Pick(kCommune) + ", " +
                                rng.Pick(kDistrict) + ", An Giang"));
  int64_t received = ReceivedAt(i);
  cbor::Value body = cbor::Value::Map();
  body.Set("procedure", Text(rng.Pick(kProcedure)));
  body.Set("applicant", std::move(applicant));
  body.Set("status", Text("received"));
  body.Set("received_at", cbor::Value::Uint(static_cast<uint64_t>(received)));
  body.Set("due_at", cbor::Value::Uint(static_cast<uint64_t>(received + 7 * kDayMs)));
  body.Set("channel", Text(rng.Pick(kChannel)));
  body.Set("fee", cbor::Value::Uint(rng.Pick(kFee)));
  return {Office(i), CaseCode(i), "case.received", std::move(body), rng.Pick(kOfficer)};
}

LocalWrite CaseWorkload::Update(uint64_t i, int k) const {
  Rng rng(SplitMix(seed_ + i * 31 + static_cast<uint64_t>(k)));
  cbor::Value body = cbor::Value::Map();
  body.Set("status", Text(kStep[k]));
  if (k == 4) body.Set("tracking", Text("EB" + rng.Digits(9) + "VN"));
  if (k == 5) body.Set("delivered_at", cbor::Value::Uint(static_cast<uint64_t>(UpdateAt(i, k))));
  if (k == 6) body.Set("note", Text("Hồ sơ đã hoàn tất, lưu trữ"));
  return {Office(i), CaseCode(i), "case.step", std::move(body), rng.Pick(kOfficer)};
}

}  // namespace hoso
