// PCT against the random walk on a depth-2 ordering bug: two senders each send a batch of ten to
// a receiver, and the bug is one batch landing whole inside the other — one preemption in the
// right window. PCT with depth 2 needs one change point in that window; the random walk needs a
// long run of matching coin flips.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;

namespace {

constexpr int kBatch = 10;

struct Item {
  int sender;
};

struct SplitBatch {
  std::shared_ptr<std::vector<int>> order = std::make_shared<std::vector<int>>();

  void operator()(sim::Simulation& s) const {
    auto out = order;
    Pid rx = s.spawn([out](Process& self) {
      for (int i = 0; i < 2 * kBatch; ++i) out->push_back(self.receive<Item>().sender);
    });
    for (int who = 0; who < 2; ++who) {
      s.spawn([rx, who](Process& self) {
        for (int i = 0; i < kBatch; ++i) self.send(rx, Item{who});
      });
    }
  }

  // One sender's batch arrived contiguous, strictly inside the other's.
  bool bug() const {
    const auto& o = *order;
    if (o.size() != 2 * kBatch) return false;
    int outer = o.front();
    if (o.back() != outer) return false;
    int changes = 0;
    for (std::size_t i = 1; i < o.size(); ++i) changes += o[i] != o[i - 1];
    return changes == 2;
  }
};

int failures(const sim::Strategy& base, int runs) {
  int found = 0;
  for (int i = 0; i < runs; ++i) {
    sim::Strategy st = base;
    st.seed = base.seed + static_cast<std::uint64_t>(i);
    SplitBatch scenario;
    sim::Options o;
    o.keep_decisions = false;
    auto r = sim::run_scenario(scenario, o, st);
    REQUIRE(r.result.outcome == sim::Outcome::completed);
    found += scenario.bug();
  }
  return found;
}

}  // namespace

TEST_CASE("sim pct: finds a depth-2 ordering bug much more often than the random walk", "[sim]") {
  // k for PCT: the steps of one calm run.
  SplitBatch calm;
  sim::Simulation s{{}, std::make_unique<sim::VectorSource>(std::vector<std::uint64_t>{})};
  calm(s);
  s.run();
  CHECK_FALSE(calm.bug());
  const std::uint64_t k = s.steps();

  constexpr int kRuns = 1000;
  int pct = failures(sim::Strategy::pct(1, 2, k), kRuns);
  int random = failures(sim::Strategy::random_walk(1), kRuns);
  WARN("depth-2 bug found by PCT(d=2, k=" << k << ") in " << pct << "/" << kRuns << " runs, by the random walk in "
                                          << random << "/" << kRuns);
  CHECK(pct >= 50);
  CHECK(pct >= 4 * std::max(random, 1));
}

TEST_CASE("sim pct: a process busy-polling with yield() lets the others run", "[sim]") {
  // The poller may well get the higher priority; without yield lowering it, PCT would run it
  // again at every step until max_steps.
  int bounded = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    sim::Options o;
    o.max_steps = 200'000;
    sim::Simulation s{o, sim::Strategy::pct(seed, 2, 100'000'000).make()};  // change points far away
    auto flag = std::make_shared<bool>(false);
    s.spawn([flag](Process& self) {
      while (!*flag) self.yield();
    });
    s.spawn([flag](Process&) { *flag = true; });
    auto r = s.run();
    if (r.outcome != sim::Outcome::completed) ++bounded;
  }
  CHECK(bounded == 0);
}
