// The library itself: a wrong property fails, shrinks to its smallest inputs and a calm schedule,
// reports what a person needs, and its reproduce string replays the same run (same trace hash).
#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <filesystem>
#include <fstream>

#include "properties/catch.hpp"
#include "properties/property.hpp"
#include "sim/sim.hpp"

using namespace moira;

namespace {

// Wrong on purpose: nothing orders the senders (the README example).
void last_send_wins(sim::Simulation& sim, std::uint8_t n) {
  auto last = std::make_shared<int>(-1);
  Pid counter = sim.spawn([last](Process& self) {
    for (;;) *last = self.receive<int>();
  });
  for (int i = 0; i < n; ++i) sim.spawn([counter, i](Process& self) { self.send(counter, i); });
  properties::run(sim);
  RC_ASSERT(*last == n - 1);
}

properties::Config quiet_config() {
  properties::Config c;
  c.quiet = true;  // the tests print the report (INFO) only when they fail
  c.seed = 7;
  return c;
}

}  // namespace

TEST_CASE("a wrong property fails and shrinks to two senders and one decision", "[properties][library]") {
  auto r = properties::check("last send wins", last_send_wins, quiet_config());
  REQUIRE_FALSE(r.passed);
  REQUIRE(r.failure);
  const auto& f = *r.failure;
  INFO(r.report);
  REQUIRE(f.inputs.size() == 1);
  CHECK(f.inputs[0].rfind("(2)", 0) == 0);  // n == 2: the fewest senders that can race
  CHECK(f.non_calm == 1);                    // one decision away from the calm run
  CHECK(f.invariant.find("*last == n - 1") != std::string::npos);
  CHECK(f.command_line.find("RC_PARAMS=\"reproduce=") == 0);
  CHECK(r.report.find("reproduce:  RC_PARAMS=") != std::string::npos);
}

TEST_CASE("the reproduce string replays the minimal case with the same trace hash", "[properties][library]") {
  auto first = properties::check("last send wins", last_send_wins, quiet_config());
  REQUIRE(first.failure);
  properties::Config again = quiet_config();
  again.reproduce = first.failure->reproduce;
  auto second = properties::check("last send wins", last_send_wins, again);
  REQUIRE(second.failure);
  CHECK(second.failure->trace_hash == first.failure->trace_hash);
  CHECK(second.failure->decisions == first.failure->decisions);
  CHECK(second.failure->non_calm == first.failure->non_calm);
}

TEST_CASE("a failure saves the decision log and trace of the minimal case", "[properties][library]") {
  auto r = properties::check("last send wins", last_send_wins, quiet_config());
  REQUIRE(r.failure);
  REQUIRE(std::filesystem::exists(r.failure->log_path));
  REQUIRE(std::filesystem::exists(r.failure->trace_path));
  sim::DecisionLog log = sim::DecisionLog::load(r.failure->log_path);
  CHECK(log.trace_hash == r.failure->trace_hash);
  CHECK(log.decisions.size() == r.failure->decisions);
  std::ifstream trace(r.failure->trace_path);
  std::string first_line;
  std::getline(trace, first_line);
  CHECK_FALSE(first_line.empty());
}

TEST_CASE("a true property passes every case", "[properties][library]") {
  auto r = properties::check(
      "one sender's messages arrive in order",
      [](sim::Simulation& sim, std::uint8_t n) {
        auto got = std::make_shared<std::vector<int>>();
        Pid sink = sim.spawn([got](Process& self) {
          for (;;) got->push_back(self.receive<int>());
        });
        sim.spawn([sink, n](Process& self) {
          for (int i = 0; i < n; ++i) self.send(sink, i);
        });
        properties::run(sim);
        RC_ASSERT(got->size() == n);
        for (int i = 0; i < n; ++i) RC_ASSERT((*got)[static_cast<std::size_t>(i)] == i);
      },
      quiet_config());
  CHECK(r.passed);
  CHECK(r.cases == 100);
}

TEST_CASE("a property that never calls properties::run is told so", "[properties][library]") {
  auto r = properties::check(
      "forgets run", [](sim::Simulation& sim) { sim.run(); }, quiet_config());
  REQUIRE(r.failure);
  CHECK(r.failure->invariant.find("never called properties::run") != std::string::npos);
}

TEST_CASE("properties::require passes inside Catch2", "[properties][library]") {
  properties::Config c = quiet_config();
  c.cases = 20;
  properties::require("a spawned process ends", [](sim::Simulation& sim) {
    sim.spawn([](Process&) {});
    RC_ASSERT(properties::run(sim).outcome == sim::Outcome::completed);
  }, c);
}

// ------------------------------------------------------------------ the generators

TEST_CASE("fault plans name only nodes that exist, within the horizon", "[properties][library]") {
  rc::prop("valid plans", [] {
    const auto nodes = *rc::gen::inRange<std::size_t>(1, 6);
    properties::FaultSpace space = properties::FaultSpace::all();
    space.max_faults = 8;
    space.horizon = std::chrono::milliseconds{*rc::gen::inRange(1, 5000)};
    const auto plan = *properties::gen::fault_plan(properties::World{nodes, {}}, space);
    RC_ASSERT(plan.events.size() <= space.max_faults);
    for (const auto& e : plan.events) {
      RC_ASSERT(e.node < nodes);
      RC_ASSERT(e.other < nodes);
      if (e.kind == properties::FaultEvent::Kind::crash) RC_ASSERT(e.node != 0u);
      if (e.kind == properties::FaultEvent::Kind::drop) RC_ASSERT(e.node != e.other);
      if (nodes == 1) RC_ASSERT(e.kind == properties::FaultEvent::Kind::kill);
    }
    for (const auto& p : plan.planned()) RC_ASSERT(p.at < space.horizon + space.horizon);
    for (const auto& p : plan.planned())
      if (p.fault.kind != sim::FaultKind::restart && p.fault.kind != sim::FaultKind::heal &&
          !(p.fault.kind == sim::FaultKind::drop && p.fault.probability == 0))
        RC_ASSERT(p.at < space.horizon);
  });
}

TEST_CASE("schedules shrink to all zeros first, then by halving chunks", "[properties][library]") {
  properties::Schedule s{{5, 0, 7, 9}};
  std::vector<properties::Schedule> shrinks;
  auto seq = properties::shrink_schedule(s);
  while (auto next = seq.next()) shrinks.push_back(*next);
  REQUIRE(shrinks.size() >= 3);
  CHECK(shrinks[0].choices.empty());
  CHECK(shrinks[1].choices == std::vector<std::uint64_t>{0, 0, 7, 9});  // first half zeroed
  CHECK(shrinks[2].choices == std::vector<std::uint64_t>{5});           // second half cut
  for (const auto& x : shrinks) CHECK((x.nonzero() < s.nonzero() || x.choices.size() < s.choices.size()));
  // Calm stretches before a surprising decision are cut out, moving it earlier.
  properties::Schedule late{{0, 0, 0, 4}};
  auto later = properties::shrink_schedule(late);
  bool moved = false;
  while (auto next = later.next()) moved = moved || next->choices == std::vector<std::uint64_t>{0, 4};
  CHECK(moved);
}

TEST_CASE("a fault plan shrinks by dropping faults and moving the one left to the end of the horizon",
          "[properties][library]") {
  // Wrong on purpose: any kill breaks it. The shrunk plan is one kill, as late as the horizon allows.
  properties::Config c = quiet_config();
  c.faults.kill = true;
  c.faults.max_faults = 3;
  c.faults.horizon = std::chrono::milliseconds{500};
  auto r = properties::check("no kill ever", [](sim::Simulation& sim) {
    std::vector<Pid> workers;
    for (int i = 0; i < 3; ++i) workers.push_back(sim.spawn([](Process& self) { self.receive<int>(); }));
    properties::run(sim, workers);
    RC_ASSERT(sim.process_count() == 3u);
  }, c);
  REQUIRE(r.failure);
  INFO(r.report);
  CHECK(r.failure->fault_count == 1);
  CHECK(r.failure->faults.rfind("499ms kill", 0) == 0);  // the last millisecond of the horizon
}
