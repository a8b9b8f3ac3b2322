#include "node/log.h"

#include <sys/stat.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
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

int SyslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return 7;  // LOG_DEBUG
    case LogLevel::kInfo:
      return 6;  // LOG_INFO
    case LogLevel::kWarn:
      return 4;  // LOG_WARNING
    case LogLevel::kError:
      return 3;  // LOG_ERR
  }
  return 6;
}

bool IsJournalStream(int fd, const char* journal_stream) {
  if (fd < 0 || !journal_stream) return false;
  std::string_view v(journal_stream);
  size_t colon = v.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0, ino = 0;
  const char* end = v.data() + v.size();
  auto [p1, e1] = std::from_chars(v.data(), v.data() + colon, dev);
  auto [p2, e2] = std::from_chars(v.data() + colon + 1, end, ino);
  if (e1 != std::errc() || p1 != v.data() + colon || e2 != std::errc() || p2 != end || colon == 0 ||
      colon + 1 == v.size()) {
    return false;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

LogPrefix DetectLogPrefix(FILE* out) {
  if (!out) return LogPrefix::kNone;
  return IsJournalStream(::fileno(out), std::getenv("JOURNAL_STREAM")) ? LogPrefix::kPriority
                                                                       : LogPrefix::kNone;
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
  std::string text;
  if (prefix_ == LogPrefix::kPriority) {
    text = "<" + std::to_string(SyslogPriority(level)) + ">";
  }
  text += json::serialize(line);
  std::lock_guard lock(mu_);
  std::fprintf(out_, "%s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace hoso::node
