#include "node/log.h"

#include <chrono>
#include <ctime>

#include "node/json.h"

namespace hoso::node {

LogLevel ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return LogLevel::kInfo;
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void Logger::Log(LogLevel level, std::string_view component, std::string_view message) {
  if (level < level_.load()) return;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  json::object line;
  line["ts"] = FormatTime(now);
  line["level"] = LogLevelName(level);
  line["component"] = component;
  line["msg"] = message;
  std::string text = json::serialize(line);
  std::lock_guard lock(mu_);
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace hoso::node
