// moira_property_bench: property-testing throughput, side by side with PropEr
// (bench/peers/proper/moira_proper_account.erl runs the same model; bench/property_vs_proper runs
// both, interleaved). The model is the lost-update account server of properties/tests/account.hpp.
//   moira_property_bench sequential N   N sequential statem tests (racy deposit: passes sequentially)
//   moira_property_bench parallel N     N parallel statem tests of the atomic account (linearizable)
//   moira_property_bench race N         the parallel statem on the racy account: found, shrunk, replayed
//   moira_property_bench faults N       N cases of a 10-process, 3-node system under a generated fault plan
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "properties/property.hpp"
#include "properties/statem.hpp"
#include "properties/tests/account.hpp"
#include "runtime/moira.hpp"

using namespace moira;
using namespace moira::properties;
using namespace moira::properties::examples;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;  // bench code: wall time is what is measured

Config quiet(int cases) {
  Config c;
  c.quiet = true;
  c.cases = cases;
  c.seed = 1;
  return c;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void rate(const char* what, const properties::Result& r, double secs) {
  std::printf("RESULT moira %s tests_per_s %.1f (%d tests in %.3f s)%s\n", what, r.cases / secs, r.cases, secs,
              r.passed ? "" : " FAILED");
  if (!r.passed) std::printf("%s\n", r.report.c_str());
}

struct Ping {
  int seq;
};

// Ten processes on three nodes, each sending numbered pings to the next; every receiver checks
// that what it got from its one sender is in order (true under any fault: drops lose, never reorder).
void ten_processes(sim::Simulation& sim) {
  sim.add_node("n1");
  sim.add_node("n2");
  auto disorder = std::make_shared<int>(0);
  std::vector<Pid> pids;
  for (std::size_t i = 0; i < 10; ++i) {
    pids.push_back(sim.spawn_on(static_cast<NodeId>(i % 3), [disorder](Process& self) {
      const Pid next = self.receive<Pid>();
      int last = -1;
      for (int k = 0; k < 20; ++k) {
        self.send(next, Ping{k});
        self.receive([&](const Ping& p) {
          if (p.seq <= last) ++*disorder;
          last = p.seq;
        },
                     after(5ms, [] {}));
      }
    }));
  }
  for (std::size_t i = 0; i < pids.size(); ++i) sim.spawn([to = pids[i], next = pids[(i + 1) % pids.size()]](Process& self) {
    self.send(to, next);
  });
  properties::run(sim);
  RC_ASSERT(*disorder == 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: moira_property_bench sequential|parallel|race|faults N\n");
    return 64;
  }
  const std::string what = argv[1];
  const int n = std::atoi(argv[2]);
  if (n <= 0) {
    std::fprintf(stderr, "moira_property_bench: N must be a positive number of tests, not '%s'\n", argv[2]);
    return 64;
  }
  const auto t0 = Clock::now();
  if (what == "sequential") {
    auto r = check_sequential<LostUpdateAccount>("account, sequential", quiet(n));
    rate("sequential", r, seconds_since(t0));
  } else if (what == "parallel") {
    auto r = check_parallel<AtomicAccount>("account, parallel", quiet(n));
    rate("parallel", r, seconds_since(t0));
  } else if (what == "race") {
    auto r = check_parallel<LostUpdateAccount>("lost update, parallel", quiet(n));
    const double secs = seconds_since(t0);
    if (r.passed || !r.failure) {
      std::printf("RESULT moira race found=false in %.3f s (%d tests)\n", secs, r.cases);
      return 1;
    }
    std::printf("RESULT moira race found=true after %d passing tests, %zu shrink steps, in %.3f s (search + shrink)\n",
                r.cases, r.failure->shrinks, secs);
    std::printf("RESULT moira race counterexample %s\n", r.failure->inputs.empty() ? "?" : r.failure->inputs.front().c_str());
    std::printf("RESULT moira race invariant %s\n", r.failure->invariant.c_str());
    // Replay: the reproduce string alone gives the same run, trace hash and all.
    Config again = quiet(n);
    again.reproduce = r.failure->reproduce;
    auto replayed = check_parallel<LostUpdateAccount>("lost update, parallel", again);
    const bool same = replayed.failure && replayed.failure->trace_hash == r.failure->trace_hash;
    std::printf("RESULT moira race replay %s (trace hash %016llx %s %016llx): %s\n", same ? "exact" : "DIFFERENT",
                static_cast<unsigned long long>(r.failure->trace_hash), same ? "==" : "!=",
                static_cast<unsigned long long>(replayed.failure ? replayed.failure->trace_hash : 0),
                r.failure->command_line.c_str());
    return same ? 0 : 1;
  } else if (what == "faults") {
    Config c = quiet(n);
    c.faults = FaultSpace::all();
    c.faults.horizon = 100ms;
    auto r = check("ten processes under faults", ten_processes, c);
    rate("faults_10proc", r, seconds_since(t0));
  } else {
    std::fprintf(stderr, "moira_property_bench: unknown workload '%s' (sequential, parallel, race, faults)\n", what.c_str());
    return 64;
  }
  return 0;
}
