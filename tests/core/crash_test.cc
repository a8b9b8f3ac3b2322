// Kill -9 a process in the middle of ingesting and appending, 50 times, and check after each
// restart that every acknowledged commit is there, no partial batch is visible, every chain
// verifies, and the stored case states equal a fresh fold of the log.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "core/domain/case_index.h"
#include "core/domain/case_log.h"
#include "core/log/store.h"
#include "tests/testing/testing.h"

using namespace hoso;

namespace {

struct ChildRun {
  std::vector<std::string> lines;
};

// Starts the child, lets it acknowledge `acks` commits, kills it `ms` later (while it keeps
// working), and returns every line it printed.
ChildRun RunAndKill(const std::string& path, uint64_t seed, int acks, int ms) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    std::string s = std::to_string(seed);
    execl(HOSO_CRASH_CHILD, HOSO_CRASH_CHILD, path.c_str(), s.c_str(), nullptr);
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  auto count_acks = [&] {
    int n = 0;
    for (size_t at = 0; (at = out.find("ACK ", at)) != std::string::npos; ++at) ++n;
    for (size_t at = 0; (at = out.find("LOCAL ", at)) != std::string::npos; ++at) ++n;
    return n;
  };
  while (count_acks() < acks) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // the child died on its own: caught below
    out.append(buf, n);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(fds[0]);
  // Killed by our signal: anything else (a crash, an error exit) is a failure.
  INFO("child exit status " << status);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
  ChildRun run;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) run.lines.push_back(line);
  return run;
}

}  // namespace

TEST_CASE("crash: kill -9 during ingest loses no acknowledged batch and shows no partial one",
          "[store][crash]") {
  testing::TempDir dir;
  const std::string path = dir.Sub("store");
  const StreamKey remote{"30280", "30280", 1};
  const StreamKey local{"30316", "89", 1};
  std::mt19937_64 rng(std::random_device{}());
  const uint64_t base_seed = rng();
  INFO("base seed " << base_seed);
  std::set<uint64_t> boundaries{0};  // heads a remote stream may legally stop at
  std::map<uint64_t, std::string> acked_remote, acked_local;
  size_t total_acks = 0;
  for (int round = 0; round < 50; ++round) {
    // Killed after 0 to 4 acknowledged commits plus 0 to 30 ms: during start-up, recovery,
    // a batch being written or a local append.
    int acks = static_cast<int>(rng() % 5);
    int ms = static_cast<int>(rng() % 31);
    ChildRun run = RunAndKill(path, base_seed + round, acks, ms);  // requires the SIGKILL
    for (const std::string& line : run.lines) {
      std::istringstream l(line);
      std::string kind;
      l >> kind;
      if (kind == "BATCH") {
        uint64_t first, last;
        l >> first >> last;
        boundaries.insert(last);
      } else if (kind == "ACK" || kind == "LOCAL") {
        uint64_t seq;
        std::string id;
        l >> seq >> id;
        (kind == "ACK" ? acked_remote : acked_local)[seq] = id;
        ++total_acks;
      }
    }
    StoreOptions o;
    o.path = path;
    o.root_unit = "89";
    o.identity = Identity{"89", 1, testing::KeyFor(89)};
    UseCaseLogRules(&o);
    auto opened = Store::Open(o);
    REQUIRE(opened.ok());
    Store& store = **opened;
    auto rh = store.Head(remote);
    uint64_t remote_seq = rh ? rh->seq : 0;
    INFO("round " << round << ", remote head " << remote_seq);
    CHECK(boundaries.count(remote_seq) == 1);  // no partial batch
    if (!acked_remote.empty()) {
      REQUIRE(remote_seq >= acked_remote.rbegin()->first);  // nothing acknowledged lost
    }
    for (const auto& [seq, id] : acked_remote) {
      if (seq == remote_seq) CHECK(Hex(rh->id) == id);
    }
    auto lh = store.Head(local);
    if (!acked_local.empty()) {
      REQUIRE(lh);
      REQUIRE(lh->seq >= acked_local.rbegin()->first);
    }
    if (rh) CHECK(store.VerifyStream(remote).ok());
    if (lh) CHECK(store.VerifyStream(local).ok());
    // The stored states and indexes were committed with their events: a fresh fold agrees.
    auto all = [](const std::string&) { return true; };
    Hash fp = store.ScopeFingerprint(all);
    uint64_t cases = store.CaseCount();
    auto processing = CasesByStatus(store, "processing", 1000).value();
    REQUIRE(store.RebuildStates().ok());
    CHECK(store.ScopeFingerprint(all) == fp);
    CHECK(store.CaseCount() == cases);
    CHECK(CasesByStatus(store, "processing", 1000).value() == processing);
  }
  CHECK(total_acks >= 50);  // the kills landed while work was being acknowledged
}
