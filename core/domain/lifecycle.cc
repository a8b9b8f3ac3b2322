#include "core/domain/lifecycle.h"

#include <algorithm>
#include <map>

#include "core/format/cbor.h"

namespace hoso {
namespace {

// The one table of the lifecycle (DOMAIN.md): per status its portal code, its rank (for the
// winner of concurrent status changes: further along wins), whether processing has ended
// (the first such status is the case's finish for the on-time rule), whether it ends without
// a judgement of timeliness, and the statuses a step may move it to.
struct StatusInfo {
  int portal;
  int rank;
  bool finished;
  bool unjudged;
  std::vector<std::string> next;
};

const std::map<std::string, StatusInfo, std::less<>>& Table() {
  static const std::map<std::string, StatusInfo, std::less<>> table = {
      {"", {0, 0, false, false, {"received", "submitted"}}},
      {"submitted", {1, 1, false, false, {"received", "refused", "withdrawn"}}},
      {"received",
       {2,
        2,
        false,
        false,
        {"forwarded", "posted_to_agency", "processing", "supplement_requested", "fees_due",
         "refused", "withdrawn"}}},
      {"refused", {3, 9, true, true, {"closed"}}},
      {"posted_to_agency", {4, 3, false, false, {"agency_received", "withdrawn"}}},
      {"agency_received",
       {4,
        3,
        false,
        false,
        {"processing", "supplement_requested", "fees_due", "refused", "withdrawn"}}},
      {"forwarded",
       {4,
        3,
        false,
        false,
        {"processing", "supplement_requested", "fees_due", "refused", "withdrawn"}}},
      {"processing",
       {4,
        4,
        false,
        false,
        {"supplement_requested", "fees_due", "result_ready", "stopped", "withdrawn"}}},
      {"supplement_requested", {5, 4, false, false, {"processing", "withdrawn", "stopped"}}},
      {"fees_due", {6, 4, false, false, {"processing", "withdrawn", "stopped"}}},
      {"withdrawn", {7, 9, true, true, {"closed"}}},
      {"stopped", {8, 9, true, false, {"returned", "dispatched", "closed"}}},
      {"result_ready", {9, 6, true, false, {"dispatched", "returned"}}},
      {"dispatched", {9, 7, true, false, {"delivered", "undeliverable"}}},
      {"undeliverable", {9, 8, true, false, {"dispatched", "returned"}}},
      {"delivered", {10, 8, true, false, {"closed"}}},
      {"returned", {10, 8, true, false, {"closed"}}},
      {"closed", {10, 9, true, false, {}}},
  };
  return table;
}

const StatusInfo* Find(std::string_view status) {
  auto it = Table().find(status);
  return it == Table().end() ? nullptr : &it->second;
}

class LifecyclePolicy final : public ConflictPolicy {
 public:
  bool Ranks(std::string_view field) const override { return field == "status"; }
  int Rank(std::string_view, std::string_view value) const override {
    auto status = cbor::TextItem(value);
    return status ? StatusRank(*status) : 0;
  }
};

}  // namespace

std::string StatusNameVi(std::string_view status, std::string_view previous) {
  // As the web app's STATUS table (node/web/case.js), which clerks read.
  static const std::map<std::string, std::string, std::less<>> names = {
      {"submitted", "Mới nộp trực tuyến"},
      {"received", "Đã tiếp nhận"},
      {"refused", "Từ chối tiếp nhận"},
      {"posted_to_agency", "Đã chuyển bưu điện đến cơ quan"},
      {"agency_received", "Cơ quan đã nhận"},
      {"forwarded", "Đã chuyển cơ quan giải quyết"},
      {"processing", "Đang giải quyết"},
      {"supplement_requested", "Chờ bổ sung"},
      {"fees_due", "Chờ nộp phí"},
      {"withdrawn", "Công dân rút hồ sơ"},
      {"stopped", "Dừng giải quyết"},
      {"result_ready", "Đã có kết quả"},
      {"dispatched", "Đã gửi kết quả qua bưu điện"},
      {"undeliverable", "Bưu điện không phát được"},
      {"delivered", "Đã phát kết quả"},
      {"returned", "Đã trả kết quả tại quầy"},
      {"closed", "Đã lưu trữ"},
  };
  if (status == "refused" && StatusRank(previous) >= StatusRank("agency_received")) {
    return "Từ chối giải quyết";  // refused once the agency had it: not at the counter
  }
  if (status.empty()) return "mới";
  auto it = names.find(status);
  return it == names.end() ? std::string(status) : it->second;
}

bool IsKnownStatus(std::string_view status) { return !status.empty() && Table().count(status) > 0; }

int PortalStatusCode(std::string_view status) {
  const StatusInfo* info = Find(status);
  return info ? info->portal : 0;
}

int StatusRank(std::string_view status) {
  const StatusInfo* info = status.empty() ? nullptr : Find(status);
  return info ? info->rank : 0;
}

const std::vector<std::string>& AllStatuses() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> v;
    for (const auto& [name, info] : Table()) {
      if (!name.empty()) v.push_back(name);
    }
    std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
      return std::pair(StatusRank(a), a) < std::pair(StatusRank(b), b);
    });
    return v;
  }();
  return all;
}

const ConflictPolicy& LifecycleConflictPolicy() {
  static const LifecyclePolicy policy;
  return policy;
}

const std::vector<std::string>& AllowedNextSteps(std::string_view current) {
  static const std::vector<std::string> none;
  auto it = Table().find(current);
  return it == Table().end() ? none : it->second.next;
}

Status CheckStep(std::string_view current, std::string_view next) {
  const auto& allowed = AllowedNextSteps(current);
  for (const auto& a : allowed) {
    if (a == next) return Status::Ok();
  }
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  return Status::FailedPrecondition(
      "a case in status '" + std::string(current) + "' cannot go to '" + std::string(next) +
      "'; allowed next: " + (list.empty() ? std::string("none (the case is closed)") : list));
}

bool IsFinishedStatus(std::string_view s) {
  const StatusInfo* info = s.empty() ? nullptr : Find(s);
  return info && info->finished;
}

bool IsUnjudgedStatus(std::string_view s) {
  const StatusInfo* info = s.empty() ? nullptr : Find(s);
  return info && info->unjudged;
}

}  // namespace hoso
