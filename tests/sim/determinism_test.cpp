// Same seed, same trace hash: 10,000 seeds of a small three-node scenario with every kind of
// fault, each run twice.
#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Req {
  Pid from;
  int n;
};
struct Rep {
  int n;
};

// Two server nodes; a client on node 0 calls each with monitors and timeouts, while rates kill
// processes, crash and restart nodes, partition them and drop messages.
void three_nodes(sim::Simulation& s) {
  for (int n = 1; n <= 2; ++n) {
    s.add_node(fmt::format("server{}", n), [](Process& self) {
      self.register_name("svc");
      for (;;) {
        self.receive([&](const Req& r) {
          if (self.random() % 4 == 0) self.sleep(3ms);
          self.send(r.from, Rep{r.n});
        });
      }
    });
  }
  s.spawn([](Process& self) {
    self.trap_exit(true);
    for (int i = 0; i < 6; ++i) {
      NodeId node = 1 + static_cast<NodeId>(i % 2);
      auto svc = self.engine().whereis("svc", node);
      if (!svc) {
        self.sleep(5ms);
        continue;
      }
      Ref mon = self.monitor(*svc);
      self.send(*svc, Req{self.self(), i});
      self.receive([&](const Rep&) {}, [&](const Down&) {}, after(20ms, [] {}));
      self.demonitor(mon, true);
    }
  });
}

sim::Options faulty(std::uint64_t seed) {
  sim::Options o;
  o.seed = seed;
  o.keep_decisions = false;
  o.faults.kill_per_second = 2;
  o.faults.crash_per_second = 2;
  o.faults.restart_after = 20ms;
  o.faults.partition_per_second = 2;
  o.faults.heal_after = 30ms;
  o.faults.drop_probability = 0.05;
  o.faults.tick = 5ms;
  o.faults.until = 200ms;
  o.relaxed_delivery = seed % 2 == 0;
  return o;
}

std::uint64_t hash_of(std::uint64_t seed) {
  sim::Simulation s{faulty(seed)};
  three_nodes(s);
  sim::RunResult r = s.run();
  REQUIRE(r.ok());
  return r.trace_hash;
}

}  // namespace

TEST_CASE("sim determinism: the same seed gives the same trace hash over 10,000 seeds with faults", "[sim]") {
  constexpr std::uint64_t kSeeds = 10'000;
  std::set<std::uint64_t> distinct;
  std::uint64_t mismatches = 0;
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    std::uint64_t a = hash_of(seed);
    std::uint64_t b = hash_of(seed);
    if (a != b) {
      ++mismatches;
      UNSCOPED_INFO("seed " << seed << ": " << a << " vs " << b);
    }
    distinct.insert(a);
  }
  WARN("determinism: " << kSeeds << " seeds run twice, " << mismatches << " mismatches, " << distinct.size()
                       << " distinct trace hashes");
  CHECK(mismatches == 0);
  CHECK(distinct.size() > kSeeds * 9 / 10);  // the seeds really explore different runs
}

TEST_CASE("sim determinism: check_determinism passes for a faulty scenario and says so", "[sim]") {
  sim::DeterminismReport rep = sim::check_determinism(three_nodes, faulty(77), sim::Strategy::random_walk(77));
  CHECK(rep.deterministic);
  CHECK_THAT(rep.describe(), Catch::StartsWith("deterministic"));
}

TEST_CASE("sim determinism: check_determinism catches state the simulator does not control", "[sim]") {
  // A scenario that leaks state between runs (a static counter): the two runs differ.
  auto leaky = [](sim::Simulation& s) {
    static int runs = 0;
    int n = ++runs;
    s.spawn([n](Process& self) {
      for (int i = 0; i < n; ++i) self.send(self.self(), i);
    });
  };
  sim::DeterminismReport rep = sim::check_determinism(leaky, {}, sim::Strategy::random_walk(1));
  CHECK_FALSE(rep.deterministic);
  REQUIRE(rep.first_difference);
  CHECK_THAT(rep.describe(), Catch::Contains("NOT deterministic") && Catch::Contains("first different event"));
}
