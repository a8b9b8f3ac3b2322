#include "core/lifecycle.h"

#include <map>

namespace hoso {
namespace {

struct StatusInfo {
  int portal;
  std::vector<std::string> next;
};

const std::map<std::string, StatusInfo, std::less<>>& Table() {
  static const std::map<std::string, StatusInfo, std::less<>> table = {
      {"", {0, {"received", "submitted"}}},
      {"submitted", {1, {"received", "refused", "withdrawn"}}},
      {"received",
       {2,
        {"forwarded", "posted_to_agency", "processing", "supplement_requested", "fees_due",
         "refused", "withdrawn"}}},
      {"refused", {3, {"closed"}}},
      {"posted_to_agency", {4, {"agency_received", "withdrawn"}}},
      {"agency_received",
       {4, {"processing", "supplement_requested", "fees_due", "refused", "withdrawn"}}},
      {"forwarded",
       {4, {"processing", "supplement_requested", "fees_due", "refused", "withdrawn"}}},
      {"processing",
       {4, {"supplement_requested", "fees_due", "result_ready", "stopped", "withdrawn"}}},
      {"supplement_requested", {5, {"processing", "withdrawn", "stopped"}}},
      {"fees_due", {6, {"processing", "withdrawn", "stopped"}}},
      {"withdrawn", {7, {"closed"}}},
      {"stopped", {8, {"returned", "dispatched", "closed"}}},
      {"result_ready", {9, {"dispatched", "returned"}}},
      {"dispatched", {9, {"delivered", "undeliverable"}}},
      {"undeliverable", {9, {"dispatched", "returned"}}},
      {"delivered", {10, {"closed"}}},
      {"returned", {10, {"closed"}}},
      {"closed", {10, {}}},
  };
  return table;
}

}  // namespace

bool IsKnownStatus(std::string_view status) { return !status.empty() && Table().count(status) > 0; }

int PortalStatusCode(std::string_view status) {
  auto it = Table().find(status);
  return it == Table().end() ? 0 : it->second.portal;
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
  return s == "result_ready" || s == "dispatched" || s == "undeliverable" || s == "delivered" ||
         s == "returned" || s == "closed" || s == "stopped" || s == "refused" || s == "withdrawn";
}

bool IsUnjudgedStatus(std::string_view s) { return s == "refused" || s == "withdrawn"; }

}  // namespace hoso
