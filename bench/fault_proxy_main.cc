// fault_proxy: the fault proxy of the benches (tests/testing/fault_proxy.h) as a program, so a
// peer's baseline (bench/peers/pouchdb) crosses the very same shaped link as hoso does.
//   fault_proxy --target PORT [--delay-ms MS] [--rate-bps BPS] [--cut-bytes N]
// Prints the port it listens on (loopback), then forwards until its stdin closes.
#include <cstdio>
#include <iostream>
#include <string>

#include "bench/bench_util.h"
#include "tests/testing/fault_proxy.h"

int main(int argc, char** argv) {
  hoso::bench::Flags flags(
      argc, argv,
      "fault_proxy --target PORT [--delay-ms MS] [--rate-bps BPS] "
      "[--cut-bytes N]",
      {{"target", "0"}, {"delay-ms", "0"}, {"rate-bps", "0"}, {"cut-bytes", "0"}});
  auto number = [&](const char* name) {
    uint64_t n = 0;
    if (!hoso::bench::ParseWholeNumber(flags.Text(name), &n)) flags.Fail(std::string("--") + name);
    return n;
  };
  const uint64_t target = number("target"), cut = number("cut-bytes");
  if (target == 0 || target > 65535) flags.Fail("--target needs a port");
  hoso::testing::FaultProxy::Options o;
  o.delay = std::chrono::milliseconds(number("delay-ms"));
  o.rate_bps = number("rate-bps");
  if (cut) o.cuts.assign(100000, cut);
  hoso::testing::FaultProxy proxy(static_cast<uint16_t>(target), o);
  std::printf("%u\n", proxy.port());
  std::fflush(stdout);
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  std::fprintf(stderr, "fault_proxy: %d connections, %llu bytes\n", proxy.connections(),
               static_cast<unsigned long long>(proxy.bytes()));
  return 0;
}
