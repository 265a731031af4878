// Source-DPOR over the simulator's schedules (sim/dpor.hpp): it finds a known bug on every run,
// covers a correct example with fewer executions than plain DFS, finds the same observable results
// as plain DFS, and tells apart sends a selective receive can and cannot observe the order of.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <set>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;

namespace {

struct Get {
  Pid from;
};
struct Value {
  int v;
};
struct Set {
  int v;
};
struct Inc {
  int who;
};
struct A {
  int who;
};
struct B {
  int who;
};

using Results = std::set<std::vector<int>>;

// A server with a value and two clients that each read it and write it back plus one: a lost
// update (final value 1) unless one client's read-write runs after the other's. `seen` gets the
// final value.
sim::Scenario lost_update(std::shared_ptr<std::vector<int>> seen, bool check) {
  return [seen, check](sim::Simulation& s) {
    Pid server = s.spawn([seen, check](Process& self) {
      int value = 0;
      for (int handled = 0; handled < 4; ++handled)
        self.receive([&](const Get& g) { self.send(g.from, Value{value}); }, [&](const Set& w) { value = w.v; });
      *seen = {value};
      if (check) sim::require(value == 2, "lost update: the value is {} after two increments", value);
    });
    for (int c = 0; c < 2; ++c)
      s.spawn([server](Process& self) {
        self.send(server, Get{self.self()});
        int v = self.receive<Value>().v;
        self.send(server, Set{v + 1});
      });
  };
}

// Smaller, for plain DFS to finish: one client reads and writes back plus one, the other writes 10.
sim::Scenario read_write(std::shared_ptr<std::vector<int>> seen) {
  return [seen](sim::Simulation& s) {
    Pid server = s.spawn([seen](Process& self) {
      int value = 0;
      for (int handled = 0; handled < 3; ++handled)
        self.receive([&](const Get& g) { self.send(g.from, Value{value}); }, [&](const Set& w) { value = w.v; });
      *seen = {value};
    });
    s.spawn([server](Process& self) {
      self.send(server, Get{self.self()});
      self.send(server, Set{self.receive<Value>().v + 1});
    });
    s.spawn([server](Process& self) { self.send(server, Set{10}); });
  };
}

// Correct: two clients send two increments each; the server counts them and notes who sent each.
sim::Scenario increments(std::shared_ptr<std::vector<int>> seen) {
  return [seen](sim::Simulation& s) {
    Pid server = s.spawn([seen](Process& self) {
      seen->clear();
      for (int i = 0; i < 4; ++i) seen->push_back(self.receive<Inc>().who);
      sim::require(seen->size() == 4, "lost an increment");
    });
    for (int c = 0; c < 2; ++c)
      s.spawn([server, c](Process& self) {
        for (int i = 0; i < 2; ++i) self.send(server, Inc{c});
      });
  };
}

// Two senders, one message each; the receiver takes an A, then a B (or, same_type, two As).
sim::Scenario selective(std::shared_ptr<std::vector<int>> seen, bool same_type) {
  return [seen, same_type](sim::Simulation& s) {
    Pid r = s.spawn([seen, same_type](Process& self) {
      seen->clear();
      seen->push_back(self.receive<A>().who);
      seen->push_back(same_type ? self.receive<A>().who : self.receive<B>().who);
    });
    s.spawn([r](Process& self) { self.send(r, A{1}); });
    s.spawn([r, same_type](Process& self) {
      if (same_type) {
        self.send(r, A{2});
      } else {
        self.send(r, B{2});
      }
    });
  };
}

// A poll (receive with after(0)) races a send; a spawned child sends too, and a monitor's Down.
sim::Scenario poll_and_spawn(std::shared_ptr<std::vector<int>> seen) {
  return [seen](sim::Simulation& s) {
    Pid r = s.spawn([seen](Process& self) {
      seen->clear();
      self.receive([&](const A& a) { seen->push_back(a.who); }, after(std::chrono::milliseconds{0}, [&] { seen->push_back(0); }));
      Pid child = self.spawn([parent = self.self()](Process& me) { me.send(parent, B{7}); });
      self.monitor(child);
      for (std::size_t left = seen->front() == 0 ? 3 : 2; left > 0; --left)
        self.receive([&](const A& a) { seen->push_back(a.who); }, [&](const B& b) { seen->push_back(b.who); },
                     [&](const Down&) { seen->push_back(9); });
    });
    s.spawn([r](Process& self) { self.send(r, A{1}); });
  };
}

struct Explored {
  sim::DporReport report;
  Results results;
  double seconds = 0;
};

Explored run_dpor(const std::function<sim::Scenario(std::shared_ptr<std::vector<int>>)>& make, bool reduce) {
  auto seen = std::make_shared<std::vector<int>>();
  Explored out;
  auto start = std::chrono::steady_clock::now();
  out.report = sim::explore_dpor(make(seen), {}, [&](const sim::RunResult& r) {
    out.results.insert(*seen);
    return !r.ok();
  }, 1'000'000, reduce);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

struct Plain {
  sim::DfsReport report;
  Results results;
  double seconds = 0;
};

Plain run_plain(const std::function<sim::Scenario(std::shared_ptr<std::vector<int>>)>& make) {
  auto seen = std::make_shared<std::vector<int>>();
  Plain out;
  auto start = std::chrono::steady_clock::now();
  out.report = sim::explore_all(make(seen), {}, [&](const sim::RunResult& r) {
    out.results.insert(*seen);
    return !r.ok();
  });
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace

TEST_CASE("dpor: finds the lost update of a 3-process example on every run, and it replays", "[sim][dpor]") {
  auto seen = std::make_shared<std::vector<int>>();
  sim::Scenario scenario = lost_update(seen, true);
  auto failed = [](const sim::RunResult& r) { return r.outcome == sim::Outcome::failed; };
  sim::DporReport a = sim::explore_dpor(scenario, {}, failed, 1'000'000, true, "lost-update-3");
  sim::DporReport b = sim::explore_dpor(scenario, {}, failed, 1'000'000, true, "lost-update-3");
  WARN(a.describe());
  CHECK(a.complete);
  CHECK(a.failing > 0);
  CHECK(a.failing < a.executions);
  CHECK(b.executions == a.executions);  // deterministic: the same count, the same first failure
  REQUIRE(a.first_failure);
  REQUIRE(b.first_failure);
  CHECK(b.first_failure->decisions == a.first_failure->decisions);
  sim::ReplayResult again = sim::replay(*a.first_failure, scenario, {}, "lost-update-3");
  CHECK(again.reproduced);
  CHECK(again.result.outcome == sim::Outcome::failed);
  REQUIRE(again.result.failure);
  CHECK_THAT(again.result.failure->message, Catch::Contains("lost update: the value is 1"));
}

TEST_CASE("dpor: covers a correct 3-process example with fewer executions than plain DFS", "[sim][dpor]") {
  Explored dpor = run_dpor(increments, true);
  Explored every = run_dpor(increments, false);
  Plain plain = run_plain(increments);
  WARN("increments: plain dfs " << plain.report.runs << " schedules in " << plain.seconds << " s; dpor "
                                << dpor.report.describe() << " in " << dpor.seconds << " s");
  CHECK(dpor.report.complete);
  CHECK(dpor.report.failing == 0);
  CHECK(plain.report.complete);
  CHECK(dpor.report.executions < plain.report.runs);
  // The four increments arrive in any order that keeps each client's two in order: 4!/(2!2!) = 6.
  CHECK(dpor.results.size() == 6);
  CHECK(dpor.report.executions >= 6);
  // Without the reduction the search is plain DFS's tree, run for run.
  CHECK(every.report.executions == plain.report.runs);
}

TEST_CASE("dpor: finds the same results as plain DFS (soundness)", "[sim][dpor]") {
  auto check = [](const char* name, const std::function<sim::Scenario(std::shared_ptr<std::vector<int>>)>& make) {
    Explored dpor = run_dpor(make, true);
    Plain plain = run_plain(make);
    INFO(name << ": plain " << plain.report.runs << ", " << dpor.report.describe());
    CHECK(dpor.report.complete);
    CHECK(plain.report.complete);
    CHECK(dpor.results == plain.results);
    CHECK(dpor.report.executions <= plain.report.runs);
    WARN(name << ": plain dfs " << plain.report.runs << " runs, " << plain.results.size() << " results; "
              << dpor.report.describe() << ", " << dpor.results.size() << " results");
  };
  check("read-write", read_write);
  check("increments", increments);
  check("selective, two types", [](auto seen) { return selective(seen, false); });
  check("selective, one type", [](auto seen) { return selective(seen, true); });
  check("poll, spawn, monitor", poll_and_spawn);
}

TEST_CASE("dpor: sends a selective receive cannot tell apart are not reordered", "[sim][dpor]") {
  Explored two_types = run_dpor([](auto seen) { return selective(seen, false); }, true);
  Explored one_type = run_dpor([](auto seen) { return selective(seen, true); }, true);
  WARN("A then B: " << two_types.report.describe() << "; A then A: " << one_type.report.describe());
  CHECK(two_types.report.complete);
  CHECK(one_type.report.complete);
  // A then B: the order the two arrive in is never seen, so one execution is enough.
  CHECK(two_types.report.executions == 1);
  CHECK(two_types.results == Results{{1, 2}});
  // Two As: the receive sees which came first, so both orders are run.
  CHECK(one_type.report.executions >= 2);
  CHECK(one_type.results == Results{{1, 2}, {2, 1}});
}
