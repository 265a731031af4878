// The preemption point at a process's own exit (Options::preempt_at_exit): between the end of its
// body and the signals that tell its links and monitors, others may run.
#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;

namespace {

// Records the point kind of every preempt decision, answering as the random walk would.
class PointRecorder final : public sim::ChoiceSource {
 public:
  explicit PointRecorder(std::uint64_t seed) : walk_(seed) {}
  std::uint64_t choose(std::uint64_t n, const sim::ChoiceContext& ctx) override {
    if (n >= 2 && ctx.kind == sim::DecisionKind::preempt) seen.insert(ctx.point);
    return walk_.choose(n, ctx);
  }
  std::string describe() const override { return "point-recorder"; }
  std::set<PointKind> seen;

 private:
  sim::RandomWalk walk_;
};

struct Shared {
  bool finished = false;       // set by A as the last thing its body does
  bool seen_finishing = false;  // C saw A's body done while A was still alive
};

// A's body ends right after a state change; C looks for the moment between that and A's exit.
void finishing_race(sim::Simulation& s, const std::shared_ptr<Shared>& st) {
  Pid a = s.spawn([st](Process& self) {
    self.send(self.self(), 1);  // a preemption point before the last step
    st->finished = true;
  });
  s.spawn([st, a, &s](Process& self) {
    for (int i = 0; i < 20 && !st->seen_finishing; ++i) {
      if (st->finished && s.process_info(a)) st->seen_finishing = true;
      self.yield();
    }
  });
}

}  // namespace

TEST_CASE("sim points: with preempt_at_exit the strategy sees the exit point; without, never", "[sim][exit-point]") {
  auto kinds = [](bool at_exit) {
    sim::Options o;
    o.preempt_at_exit = at_exit;
    auto rec = std::make_unique<PointRecorder>(3);
    PointRecorder* seen = rec.get();
    sim::Simulation s{o, std::move(rec)};
    for (int k = 0; k < 3; ++k)
      s.spawn([](Process& self) {
        for (int i = 0; i < 3; ++i) self.send(self.self(), i);
      });
    CHECK(s.run().outcome == sim::Outcome::completed);
    return seen->seen;
  };
  CHECK(kinds(false) == std::set<PointKind>{PointKind::send});
  CHECK(kinds(true) == std::set<PointKind>{PointKind::send, PointKind::exit});
}

TEST_CASE("sim points: a process's end races others only with preempt_at_exit, and the run replays",
          "[sim][exit-point]") {
  auto st = std::make_shared<Shared>();
  auto scenario = [st](sim::Simulation& s) {
    *st = Shared{};
    finishing_race(s, st);
  };
  auto count = [&](bool at_exit, std::uint64_t* first) {
    sim::Options o;
    o.preempt_at_exit = at_exit;
    int found = 0;
    for (std::uint64_t seed = 1; seed <= 1000; ++seed) {
      auto run = sim::run_scenario(scenario, o, sim::Strategy::random_walk(seed));
      REQUIRE(run.result.outcome == sim::Outcome::completed);
      if (st->seen_finishing && found++ == 0 && first) *first = seed;
    }
    return found;
  };
  std::uint64_t first = 0;
  const int without = count(false, nullptr);
  const int with = count(true, &first);
  WARN("a process seen between its body's end and its exit: " << with << " of 1000 seeds with preempt_at_exit (first: seed "
                                                              << first << "), " << without << " without");
  CHECK(without == 0);
  REQUIRE(with > 0);

  sim::Options o;
  o.preempt_at_exit = true;
  auto run = sim::run_scenario(scenario, o, sim::Strategy::random_walk(first));
  *st = Shared{};
  auto again = sim::replay(run.log, scenario, o);
  CHECK(again.reproduced);
  CHECK(st->seen_finishing);

  // The calm schedule is today's: choice 0 at the exit point lets the process end at once.
  sim::Simulation calm{o, std::make_unique<sim::VectorSource>(std::vector<std::uint64_t>{})};
  scenario(calm);
  calm.run();
  CHECK_FALSE(st->seen_finishing);
}
