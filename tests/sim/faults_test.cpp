// Faults: kill, crash and restart nodes, scripted plans, rates, swarm settings.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Guard {  // counts destructor runs: proof that a fiber was unwound
  std::shared_ptr<int> count;
  ~Guard() { ++*count; }
};

std::int64_t ms(Time t) { return std::chrono::duration_cast<std::chrono::milliseconds>(t).count(); }

using Events = std::shared_ptr<std::vector<std::string>>;

// Traps exits and records every Exit and Down it gets, forever.
void watcher(Process& self, Events events) {
  self.trap_exit(true);
  for (;;) {
    self.receive([&](const Exit& e) { events->push_back(fmt::format("exit {}", e.reason)); },
                 [&](const Down& d) { events->push_back(fmt::format("down {}", d.reason)); },
                 [&](const Pid& p) {
                   self.link(p);
                   self.monitor(p);
                 });
  }
}

}  // namespace

TEST_CASE("sim fault: killing a process from outside, with any reason", "[sim]") {
  sim::Simulation s;
  Events events = std::make_shared<std::vector<std::string>>();
  Pid w = s.spawn(watcher, events);
  Pid victim = s.spawn([](Process& self) { self.receive<int>(); });
  s.send(w, victim);
  s.run();
  s.kill(victim, Reason{"chaos monkey"});
  s.run();
  CHECK(*events == std::vector<std::string>{"exit chaos monkey", "down chaos monkey"});
}

TEST_CASE("sim fault: crashing a node unwinds its processes and tells remote links and monitors noconnection", "[sim]") {
  sim::Simulation s{{.seed = 9}};
  NodeId b = s.add_node("b");
  auto unwound = std::make_shared<int>(0);
  auto after_crash_sent = std::make_shared<int>(0);
  Events events = std::make_shared<std::vector<std::string>>();
  Pid w = s.spawn(watcher, events);
  std::vector<Pid> victims;
  for (int i = 0; i < 3; ++i) {
    victims.push_back(s.spawn_on(b, [unwound](Process& self) {
      Guard g{unwound};
      self.receive<int>();
    }));
  }
  for (Pid v : victims) s.send(w, v);
  s.run();
  s.crash_node(b);
  CHECK(*unwound == 3);
  CHECK_FALSE(s.node_up(b));
  CHECK(s.find_node(b) == nullptr);
  // Nothing reaches a crashed node; a monitor of a pid there gets noconnection.
  s.spawn([victims, after_crash_sent, events](Process& self) {
    self.send(victims[0], 1);
    ++*after_crash_sent;
    self.monitor(victims[1]);
    Down d = self.receive<Down>();
    events->push_back(fmt::format("late down {}", d.reason));
  });
  CHECK_THROWS_AS(s.spawn_on(b, [](Process&) {}), Error);
  sim::RunResult r = s.run();
  CHECK(*after_crash_sent == 1);
  std::sort(events->begin(), events->end());
  CHECK(*events == std::vector<std::string>{"down noconnection", "down noconnection", "down noconnection",
                                            "exit noconnection", "exit noconnection", "exit noconnection",
                                            "late down noconnection"});
  CHECK(r.outcome == sim::Outcome::deadlocked);  // the watcher waits on
}

TEST_CASE("sim fault: a restarted node boots again with a new incarnation; old pids never reach it", "[sim]") {
  sim::Simulation s;
  auto boots = std::make_shared<int>(0);
  NodeId b = s.add_node("b", [boots](Process& self) {
    ++*boots;
    self.register_name("svc");
    for (;;) self.receive<int>();
  });
  s.run();
  auto old_pid = s.whereis("svc", b);
  REQUIRE(old_pid);
  CHECK(old_pid->incarnation == 0);
  s.restart_node(b);
  s.run();
  CHECK(*boots == 2);
  CHECK(s.incarnation(b) == 1);
  auto new_pid = s.whereis("svc", b);
  REQUIRE(new_pid);
  CHECK(new_pid->incarnation == 1);
  CHECK(*new_pid != *old_pid);
  Events events = std::make_shared<std::vector<std::string>>();
  s.spawn([old = *old_pid, events](Process& self) {
    self.monitor(old);
    events->push_back(fmt::format("{}", self.receive<Down>().reason));
  });
  s.run();
  CHECK(*events == std::vector<std::string>{"noproc"});
}

TEST_CASE("sim fault: a scripted plan acts at its virtual times, and is traced", "[sim]") {
  sim::Options o;
  o.keep_trace = true;
  o.plan = {{2s, sim::Fault::crash(1)}, {5s, sim::Fault::restart(1)}};
  sim::Simulation s{o};
  auto boot_times = std::make_shared<std::vector<std::int64_t>>();
  s.add_node("b", [boot_times](Process& self) {
    boot_times->push_back(ms(self.now()));
    self.receive<int>();
  });
  sim::RunResult r = s.run();
  CHECK(*boot_times == std::vector<std::int64_t>{0, 5000});
  CHECK(r.virtual_time == 5s);
  std::vector<std::string> faults;
  for (const auto& e : s.trace().events())
    if (e.kind == sim::EventKind::fault) faults.push_back(fmt::format("{} {}", ms(e.time), e.text));
  CHECK(faults == std::vector<std::string>{"2000 crash node 1", "5000 restart node 1"});
}

TEST_CASE("sim fault: a kill planned by name", "[sim]") {
  sim::Options o;
  o.plan = {{1s, sim::Fault::kill_named(0, "target", Reason{"planned"})}};
  sim::Simulation s{o};
  Events events = std::make_shared<std::vector<std::string>>();
  Pid w = s.spawn(watcher, events);
  Pid t = s.spawn([](Process& self) {
    self.register_name("target");
    self.receive<int>();
  });
  s.send(w, t);
  s.run();
  CHECK(*events == std::vector<std::string>{"exit planned", "down planned"});
}

TEST_CASE("sim fault: rates inject faults, recorded, and the run still ends", "[sim]") {
  sim::Options o;
  o.seed = 11;
  o.keep_trace = true;
  o.faults.kill_per_second = 20;
  o.faults.crash_per_second = 5;
  o.faults.partition_per_second = 5;
  o.faults.until = 2s;
  sim::Simulation s{o};
  for (int n = 0; n < 2; ++n) {
    s.add_node(fmt::format("n{}", n), [](Process& self) {
      for (int i = 0; i < 40; ++i) {
        self.sleep(50ms);
        self.spawn([](Process& c) { c.sleep(10ms); });
      }
    });
  }
  sim::RunResult r = s.run();
  INFO(r.describe());
  CHECK(r.outcome == sim::Outcome::completed);
  CHECK(r.virtual_time < 5s);
  int faults = 0;
  for (const auto& e : s.trace().events()) faults += e.kind == sim::EventKind::fault;
  CHECK(faults > 3);
}

TEST_CASE("sim fault: swarm mode draws fault settings from the seed", "[sim]") {
  std::set<std::string> settings;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::Options o;
    o.seed = seed;
    o.swarm = true;
    sim::Simulation s{o};
    s.add_node("b");
    sim::RunResult r = s.run();
    CHECK_FALSE(r.settings.empty());
    settings.insert(r.settings);
    CHECK(s.decisions().size() >= 5);
    CHECK(s.decisions()[0].kind == sim::DecisionKind::setting);
  }
  CHECK(settings.size() > 10);
  // All-zero choices draw the calm settings.
  sim::Options o;
  o.swarm = true;
  sim::Simulation calm{o, std::make_unique<sim::VectorSource>(std::vector<std::uint64_t>{})};
  CHECK_THAT(calm.run().settings, Catch::Contains("kill_per_second=0 crash_per_second=0 partition_per_second=0 "
                                                  "drop_probability=0"));
}
