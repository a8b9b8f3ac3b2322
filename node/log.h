// Logger: the node's structured, levelled log, one JSON object per line on stderr (systemd's
// journal keeps it):
//
//   {"ts":"2026-11-26T09:12:03.120Z","level":"info","component":"sync","msg":"..."}
//
// Under systemd, stderr is a stream to the journal, which gives every line the one priority
// of the unit (SyslogLevel=, info) unless the line starts with the sd-daemon prefix "<N>"
// (sd-daemon(3); the journal strips it, SyslogLevelPrefix= is on by default). So when stderr is
// the journal's stream, each line starts with its level's syslog priority: "<3>" error,
// "<4>" warn, "<6>" info, "<7>" debug, and `journalctl -p err` finds the errors. The stream is
// recognised as systemd documents it (systemd.exec(5), $JOURNAL_STREAM): the variable holds
// "device:inode" of the stream, and it is ours only when stderr's fstat matches it (a child
// with stderr redirected inherits the variable, but not the match). Anywhere else (a terminal,
// a file, a pipe to another logger) lines are plain JSON.
//
// Messages never carry personal data (names, ID numbers, addresses, phones, request bodies or
// query strings) or key material: callers log codes, units, counts and errors only. A failed
// login names the client's network address (a machine of the office LAN), never the login
// typed, which may be someone's name or a mistyped password.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace hoso::node {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

// "debug", "info", "warn", "error"; anything else is kInfo.
LogLevel ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);
// The syslog priority of a level, as the journal reads it: 3 error, 4 warning, 6 info, 7 debug.
int SyslogPriority(LogLevel level);

// Whether each line starts with its syslog priority ("<3>...") for the journal.
enum class LogPrefix { kNone, kPriority };
// Whether `fd` is the journal stream named by `journal_stream` (the value of $JOURNAL_STREAM,
// "device:inode" in decimal; null or malformed: no).
bool IsJournalStream(int fd, const char* journal_stream);
// kPriority when `out` is the journal stream named by the environment's $JOURNAL_STREAM.
LogPrefix DetectLogPrefix(FILE* out);

class Logger {
 public:
  // Lines to `out`, prefixed when `out` is the journal's stream (DetectLogPrefix).
  explicit Logger(FILE* out = stderr) : Logger(out, DetectLogPrefix(out)) {}
  Logger(FILE* out, LogPrefix prefix) : out_(out), prefix_(prefix) {}
  void SetLevel(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  LogPrefix prefix() const { return prefix_; }
  void Log(LogLevel level, std::string_view component, std::string_view message);

 private:
  FILE* out_;
  const LogPrefix prefix_;
  std::atomic<LogLevel> level_{LogLevel::kInfo};
  std::mutex mu_;
};

}  // namespace hoso::node
