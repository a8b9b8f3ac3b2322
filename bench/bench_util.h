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
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
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

inline double PeakRssMb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
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

// "--name value" from argv, or the default.
inline std::string Flag(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return def;
}

}  // namespace hoso::bench
