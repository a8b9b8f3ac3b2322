// Shared helpers of the bench programs: the JSON-lines output convention, timers, RSS,
// percentiles, and scratch directories.
//
// Every bench prints one JSON object per line:
//   {"bench": "<program>", "metric": "<name>", "value": <number>, "unit": "<unit>"}
// Thread-safety: Emit writes whole lines to stdout under a mutex; the rest is reentrant.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hoso::bench {

inline void Emit(const std::string& bench, const std::string& metric, double value,
                 const std::string& unit) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::printf("{\"bench\": \"%s\", \"metric\": \"%s\", \"value\": %.6g, \"unit\": \"%s\"}\n",
              bench.c_str(), metric.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Polls `done` every `every` until it holds or `seconds` pass; its last answer.
inline bool WaitFor(const std::function<bool()>& done, double seconds,
                    std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  Stopwatch t;
  while (t.Seconds() < seconds) {
    if (done()) return true;
    std::this_thread::sleep_for(every);
  }
  return done();
}

inline double PeakRssMb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

// User and system CPU seconds of the whole process so far, all its threads.
inline double ProcessCpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

// A scratch directory removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& base) {
    std::string tmpl = base + "/hoso-bench-XXXXXX";
    std::filesystem::create_directories(base);
    path_ = mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// True if `text` is all of a whole number (decimal digits, no sign, no spaces).
inline bool ParseWholeNumber(std::string_view text, uint64_t* n) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *n);
  return ec == std::errc() && end == text.data() + text.size();
}

// The "--name value" flags of a bench program. Unknown flags, a flag without a value, or a
// value that is not a number where one is needed print the usage and exit with status 2.
class Flags {
 public:
  // `defaults` names every flag the program takes, with its default value.
  Flags(int argc, char** argv, std::string usage, std::map<std::string, std::string> defaults)
      : usage_(std::move(usage)), values_(std::move(defaults)) {
    for (int i = 1; i < argc; i += 2) {
      std::string flag = argv[i];
      if (flag == "--help" || flag == "-h") Fail("");
      auto v = flag.rfind("--", 0) == 0 ? values_.find(flag.substr(2)) : values_.end();
      if (v == values_.end()) Fail("unknown argument " + flag);
      if (i + 1 >= argc) Fail(flag + " needs a value");
      v->second = argv[i + 1];
    }
  }
  const std::string& Text(const std::string& name) const { return values_.at(name); }
  uint64_t Number(const std::string& name) const {
    const std::string& text = values_.at(name);
    uint64_t n = 0;
    if (!ParseWholeNumber(text, &n) || n == 0) {
      Fail("--" + name + " needs a positive whole number, not \"" + text + "\"");
    }
    return n;
  }
  // Prints `why` and the usage, and exits with status 2.
  [[noreturn]] void Fail(const std::string& why) const {
    if (!why.empty()) std::fprintf(stderr, "%s\n", why.c_str());
    std::fprintf(stderr, "usage: %s\n", usage_.c_str());
    std::exit(2);
  }

 private:
  std::string usage_;
  std::map<std::string, std::string> values_;
};

}  // namespace hoso::bench
