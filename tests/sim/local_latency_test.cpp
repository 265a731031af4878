// Time jumps for local messages under relaxed_delivery (Options::local_time_jumps): a message to
// a local process may be held until the next timer is due, so a receive timeout can beat a reply
// that was sent at once.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Hello {};

// The receiver waits 100ms for a Hello that the sender sends straight away.
void hello_race(sim::Simulation& s, const std::shared_ptr<bool>& timed_out) {
  Pid r = s.spawn([timed_out](Process& self) {
    self.receive([](const Hello&) {}, after(100ms, [&] { *timed_out = true; }));
  });
  s.spawn([r](Process& self) { self.send(r, Hello{}); });
}

}  // namespace

TEST_CASE("sim timing: with local_time_jumps a receive timeout beats a local reply sent at once, and replays",
          "[sim][timing][local-jumps]") {
  auto timed_out = std::make_shared<bool>(false);
  auto scenario = [timed_out](sim::Simulation& s) {
    *timed_out = false;
    hello_race(s, timed_out);
  };
  auto count = [&](bool local, std::uint64_t* first) {
    sim::Options o;
    o.relaxed_delivery = true;
    o.time_jumps = 1;
    o.local_time_jumps = local;
    int fired = 0;
    for (std::uint64_t seed = 1; seed <= 10'000; ++seed) {
      sim::run_scenario(scenario, o, sim::Strategy::random_walk(seed));
      if (*timed_out && fired++ == 0 && first) *first = seed;
    }
    return fired;
  };
  std::uint64_t first = 0;
  const int without = count(false, nullptr);
  const int with = count(true, &first);
  WARN("timeout fired on " << with << " of 10,000 runs with local_time_jumps (first: seed " << first << "), " << without
                           << " without");
  CHECK(without == 0);
  REQUIRE(with > 0);

  sim::Options o;
  o.relaxed_delivery = true;
  o.time_jumps = 1;
  o.local_time_jumps = true;
  auto run = sim::run_scenario(scenario, o, sim::Strategy::random_walk(first));
  *timed_out = false;
  CHECK(sim::replay(run.log, scenario, o).reproduced);
  CHECK(*timed_out);
  // Choice 0 holds nothing: the calm run delivers the Hello.
  sim::Simulation calm{o, std::make_unique<sim::VectorSource>(std::vector<std::uint64_t>{})};
  scenario(calm);
  calm.run();
  CHECK_FALSE(*timed_out);
}
