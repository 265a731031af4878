// Simulations on several threads at once, as `moira sweep --jobs N` and a user's parallel test
// runner run them: each Simulation must share nothing mutable with another (no static counters,
// caches or registries in sim/ or runtime/). Under TSan (the `threads` label) a shared write is a
// reported race; in every build, a run's hash must not depend on what ran beside it.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "sim/sim.hpp"
#include "tests/sim/three_nodes.hpp"

using namespace moira;

namespace {

struct Outcome {
  std::uint64_t hash = 0;
  std::uint64_t steps = 0;
  sim::Outcome outcome = sim::Outcome::completed;
};

Outcome run_seed(std::uint64_t seed) {
  sim::Options o = test::three_nodes_faults(seed);
  o.swarm = seed % 5 == 0;
  if (o.swarm) o.faults = {};
  auto strategy = seed % 3 == 0 ? sim::Strategy::pct(seed, 3, 300) : sim::Strategy::random_walk(seed);
  const auto run = sim::run_scenario(test::three_nodes, o, strategy);
  return {run.result.trace_hash, run.result.steps, run.result.outcome};
}

}  // namespace

TEST_CASE("simulations on two threads give each seed the hash it has alone", "[parallel-sims]") {
  constexpr std::uint64_t kSeeds = 200;
  std::vector<Outcome> alone(kSeeds), beside(kSeeds);
  for (std::uint64_t i = 0; i < kSeeds; ++i) alone[i] = run_seed(i + 1);

  std::atomic<std::uint64_t> next{0};
  auto work = [&] {
    for (std::uint64_t i; (i = next.fetch_add(1)) < kSeeds;) beside[i] = run_seed(i + 1);
  };
  std::thread other{work};
  work();
  other.join();

  for (std::uint64_t i = 0; i < kSeeds; ++i) {
    INFO("seed " << i + 1);
    CHECK(beside[i].hash == alone[i].hash);
    CHECK(beside[i].steps == alone[i].steps);
    CHECK(beside[i].outcome == alone[i].outcome);
  }
  // The seeds differ from each other, so equal hashes above are not equal by accident.
  CHECK(alone[0].hash != alone[1].hash);
}
