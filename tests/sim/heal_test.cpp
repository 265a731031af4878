// Heal-then-converge (Options::heal_at, converge_within): after the fault phase the world is made
// whole and every liveness monitor must go cold again within the bound.
#include <catch2/catch.hpp>

#include <memory>

#include "scenarios/scenario.hpp"
#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Hello {
  Pid ponger;
};
struct Ping {
  Pid from;
};
struct Pong {};

// A pinger on node 0 and a ponger on node b, which crashes at 100ms and is not restarted by the
// plan. Each ponger incarnation says hello. A pinger that `learns` switches to the newest ponger;
// one that does not keeps pinging the first one forever: after the heal it never converges.
void pinging(sim::Simulation& s, bool learns) {
  auto answered = s.add_monitor("pong", 0);
  Pid pinger = s.spawn([&s, answered, learns](Process& self) {
    Pid ponger;
    while (self.now() < Time{3s}) {
      if (ponger) self.send(ponger, Ping{self.self()});
      self.receive([&](const Pong&) { s.cold(answered); },
                   [&](const Hello& h) {
                     if (learns || !ponger) ponger = h.ponger;
                   },
                   after(50ms, [] {}));
    }
  });
  s.add_node("b", [pinger](Process& self) {
    self.spawn([pinger](Process& me) {
      me.send(pinger, Hello{me.self()});
      for (;;) me.send(me.receive<Ping>().from, Pong{});
    });
  });
}

sim::Options healing() {
  sim::Options o;
  o.plan = {{100ms, sim::Fault::crash(1)}};
  o.heal_at = 1s;
  o.converge_within = 500ms;
  o.waiting_at_end = sim::WaitingAtEnd::fine;
  return o;
}

}  // namespace

TEST_CASE("sim heal: a system that converges after the heal passes; one that cannot fails, saying so",
          "[sim][heal]") {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    auto good = sim::run_scenario([](sim::Simulation& s) { pinging(s, true); }, healing(), sim::Strategy::random_walk(seed));
    CHECK(good.result.ok());
    auto bad = sim::run_scenario([](sim::Simulation& s) { pinging(s, false); }, healing(), sim::Strategy::random_walk(seed));
    REQUIRE(bad.result.outcome == sim::Outcome::failed);
    REQUIRE(bad.result.failure);
    CHECK(bad.result.failure->describe().find("did not converge within 500ms after heal (at 1000ms): monitor 'pong' still hot") !=
          std::string::npos);
  }
  // Without the heal phase the broken pinger is not caught: its node just stays down.
  sim::Options no_heal = healing();
  no_heal.heal_at = {};
  CHECK(sim::run_scenario([](sim::Simulation& s) { pinging(s, false); }, no_heal, sim::Strategy::random_walk(1)).result.ok());
}

TEST_CASE("sim heal: ping-monitor converges after crashes and after partitions", "[sim][heal][scenarios]") {
  scenarios::add_builtin();
  const scenarios::Scenario* s = scenarios::find("ping-monitor");
  REQUIRE(s);
  auto failures = [&](bool partitions) {
    scenarios::Scenario healed = *s;
    healed.options.heal_at = 3s;
    healed.options.converge_within = 1s;
    if (!partitions) healed.options.faults.partition_per_second = 0;
    int failed = 0;
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
      auto run = scenarios::run(healed, sim::Strategy::random_walk(seed), false);
      if (!run.outcome.failed()) continue;
      ++failed;
      CHECK(run.outcome.why().find("did not converge within 1000ms after heal (at 3000ms): monitor 'pong after heal'") !=
            std::string::npos);
    }
    return failed;
  };
  // Crashes only: every restarted ponger says hello, and the pinger pings it again.
  CHECK(failures(false) == 0);
  // Partitions too. A partition ends the pinger's monitor with noconnection while the ponger
  // lives on and never says hello again: the pinger used to forget it, and 48 of these 100 seeds
  // never converged. It now keeps the ponger and monitors it again.
  CHECK(failures(true) == 0);
}
