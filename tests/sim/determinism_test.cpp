// Same seed, same trace hash: 10,000 seeds of a small three-node scenario with every kind of
// fault, each run twice.
#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <vector>

#include "sim/sim.hpp"
#include "tests/sim/three_nodes.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

using test::three_nodes;

sim::Options faulty(std::uint64_t seed) { return test::three_nodes_faults(seed); }

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
