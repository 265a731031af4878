// Exploration power (issue 13): choose/coin as recorded decisions, sim::require ending a run at
// the step it broke, declared end states (idle vs deadlock), liveness monitors, timing
// nondeterminism (a timeout racing a local reply) and preemption points before sends.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Ping {
  Pid from;
};
struct Pong {};

// Records the context of every decision it is asked, answering as the random walk would.
class Recorder final : public sim::ChoiceSource {
 public:
  explicit Recorder(std::uint64_t seed) : walk_(seed) {}
  std::uint64_t choose(std::uint64_t n, const sim::ChoiceContext& ctx) override {
    if (n >= 2) seen.push_back({ctx.kind, ctx.point, n});
    return walk_.choose(n, ctx);
  }
  std::string describe() const override { return "recorder"; }
  struct Seen {
    sim::DecisionKind kind;
    PointKind point;
    std::uint64_t n;
  };
  std::vector<Seen> seen;

 private:
  sim::RandomWalk walk_;
};

// A client asks a local server and waits 50 ms for the reply; the server answers at once. On a
// real machine the timeout can still win (a busy core, a GC pause); the client treats that as a
// bug (sim::require), so a strategy that explores timing finds it.
void timeout_race(sim::Simulation& s) {
  Pid server = s.spawn([](Process& self) {
    self.receive([&](const Ping& p) { self.send(p.from, Pong{}); });
  });
  s.spawn([server](Process& self) {
    self.send(server, Ping{self.self()});
    self.receive([](const Pong&) {}, after(50ms, [] { sim::require(false, "the reply lost the race with the timeout"); }));
  });
}

int failures(const sim::Scenario& scenario, sim::Options o, sim::Strategy st, int runs) {
  int found = 0;
  o.keep_decisions = false;
  const std::uint64_t first = st.seed;
  for (int i = 0; i < runs; ++i) {
    st.seed = first + static_cast<std::uint64_t>(i);
    auto r = sim::run_scenario(scenario, o, st);
    found += r.result.outcome == sim::Outcome::failed;
  }
  return found;
}

}  // namespace

TEST_CASE("sim choose: a process's choose(n) and coin() are recorded decisions, calm at 0, replayable", "[sim]") {
  auto picks = std::make_shared<std::vector<std::uint64_t>>();
  auto scenario = [picks](sim::Simulation& s) {
    picks->clear();
    s.spawn([picks](Process& self) {
      for (int i = 0; i < 20; ++i) picks->push_back(self.choose(5));
      picks->push_back(self.coin() ? 1 : 0);
      picks->push_back(self.choose(1));  // one alternative: no decision
    });
  };
  {  // calm: every answer 0
    sim::Simulation s{{}, std::make_unique<sim::VectorSource>(std::vector<std::uint64_t>{})};
    scenario(s);
    REQUIRE(s.run().outcome == sim::Outcome::completed);
    CHECK(*picks == std::vector<std::uint64_t>(22, 0));
    REQUIRE(s.decisions().size() == 21);
    CHECK(s.decisions()[0].kind == sim::DecisionKind::choice);
    CHECK(s.decisions()[0].n == 5);
    CHECK(s.decisions()[20].n == 2);
  }
  // A random walk covers every alternative, and its log replays the same picks.
  sim::Options o;
  auto run = sim::run_scenario(scenario, o, sim::Strategy::random_walk(3));
  std::set<std::uint64_t> distinct(picks->begin(), picks->begin() + 20);
  CHECK(distinct == std::set<std::uint64_t>{0, 1, 2, 3, 4});
  auto first = *picks;
  auto again = sim::replay(run.log, scenario, o);
  CHECK(again.reproduced);
  CHECK(*picks == first);
}

TEST_CASE("sim choose: choose(0) is refused with what to write instead", "[sim]") {
  sim::Simulation s;
  auto message = std::make_shared<std::string>();
  s.spawn([message](Process& self) {
    try {
      self.choose(0);
    } catch (const Error& e) {
      *message = e.what();
    }
  });
  s.run();
  CHECK_THAT(*message, Catch::Contains("choose(0)") && Catch::Contains("at least one alternative"));
}

TEST_CASE("sim require: a failed requirement ends the run at that step, naming the process and the message", "[sim]") {
  auto after_failure = std::make_shared<bool>(false);
  auto others = std::make_shared<int>(0);
  auto failing = std::make_shared<Pid>();
  auto scenario = [after_failure, others, failing](sim::Simulation& s) {
    *after_failure = false;
    *others = 0;
    s.spawn([others](Process& self) {
      for (int i = 0; i < 100; ++i) {
        ++*others;
        self.yield();
      }
    });
    *failing = s.spawn([after_failure](Process& self) {
      for (int i = 0;; ++i) {
        self.send(self.self(), i);
        sim::require(i < 3, "i is {} (the limit is {})", i, 3);
        if (i >= 3) *after_failure = true;  // never reached: the process stops in require
      }
    });
  };
  sim::Options o;
  auto run = sim::run_scenario(scenario, o, sim::Strategy::random_walk(5));
  const sim::RunResult& r = run.result;
  REQUIRE(r.outcome == sim::Outcome::failed);
  REQUIRE(r.failure);
  CHECK(r.failure->kind == sim::Failure::Kind::require);
  CHECK(r.failure->message == "i is 3 (the limit is 3)");
  CHECK(r.failure->pid == *failing);
  CHECK(r.failure->step > 0);
  CHECK(r.failure->step <= r.steps);
  CHECK_FALSE(r.ok());
  CHECK_FALSE(*after_failure);
  CHECK(*others < 100);  // the run stopped: the other process did not finish
  CHECK_THAT(r.describe(), Catch::Contains("require failed at step") && Catch::Contains("i is 3"));
  // The failing run replays to the same failure.
  auto again = sim::replay(run.log, scenario, o);
  CHECK(again.reproduced);
  REQUIRE(again.result.failure);
  CHECK(again.result.failure->step == r.failure->step);
}

TEST_CASE("sim require: outside the simulator it throws moira::Error", "[sim]") {
  CHECK_THROWS_WITH(sim::require(1 + 1 == 3, "arithmetic is {}", "broken"), Catch::Contains("arithmetic is broken"));
  CHECK_NOTHROW(sim::require(true, "fine"));
}

TEST_CASE("sim end state: processes left waiting are a deadlock unless the world declares them idle", "[sim]") {
  auto server = [](sim::Simulation& s) {
    s.spawn([](Process& self) { self.receive([](int) {}); });
  };
  for (auto declared : {sim::WaitingAtEnd::undeclared, sim::WaitingAtEnd::deadlock, sim::WaitingAtEnd::fine}) {
    sim::Options o;
    o.waiting_at_end = declared;
    sim::Simulation s{o};
    server(s);
    sim::RunResult r = s.run();
    CHECK(r.outcome == sim::Outcome::deadlocked);
    CHECK(r.ok() == (declared == sim::WaitingAtEnd::fine));
  }
  sim::Simulation done;
  done.spawn([](Process&) {});
  CHECK(done.run().ok());  // completed is always ok
}

TEST_CASE("sim liveness: a monitor hot past its bound fails the run, trusted only under a fair strategy", "[sim]") {
  // A worker that is asked for something and never answers: the goal stays pending.
  auto scenario = [](bool answer) {
    return [answer](sim::Simulation& s) {
      auto m = s.add_monitor("request answered", 200);
      Pid worker = s.spawn([answer, m](Process& self) {
        self.receive([&](int) {
          if (answer) sim::cold(m);
        });
      });
      s.spawn([worker, m](Process& self) {
        sim::hot(m);
        for (int i = 0; i < 1000; ++i) self.send(self.self(), i);  // busy long after asking
        self.send(worker, 1);
      });
    };
  };
  sim::Options o;
  o.waiting_at_end = sim::WaitingAtEnd::fine;
  {
    auto r = sim::run_scenario(scenario(false), o, sim::Strategy::random_walk(1)).result;
    REQUIRE(r.outcome == sim::Outcome::failed);
    REQUIRE(r.failure);
    CHECK(r.failure->kind == sim::Failure::Kind::liveness);
    CHECK(r.failure->trusted);
    CHECK_THAT(r.failure->message, Catch::Contains("'request answered' hot for 200 steps"));
    CHECK(r.steps < 1000);  // ended at the bound, not at the end of the run
  }
  {
    auto r = sim::run_scenario(scenario(false), o, sim::Strategy::pct(1, 2, 2000)).result;
    REQUIRE(r.failure);
    CHECK_FALSE(r.failure->trusted);
    CHECK_THAT(r.describe(), Catch::Contains("NOT trusted"));
  }
  {  // answered, but only after the bound: still a failure; without a bound, hot at the end is one
    sim::Simulation s{o};
    auto m = s.add_monitor("never cooled", 0);
    s.spawn([m](Process&) { sim::hot(m); });
    auto r = s.run();
    REQUIRE(r.failure);
    CHECK_THAT(r.failure->message, Catch::Contains("still hot when the run ended"));
  }
  {  // answered in time: ok
    sim::Options quick = o;
    auto fast = [](sim::Simulation& s) {
      auto m = s.add_monitor("request answered", 200);
      Pid worker = s.spawn([m](Process& self) { self.receive([&](int) { sim::cold(m); }); });
      s.spawn([worker, m](Process& self) {
        sim::hot(m);
        self.send(worker, 1);
      });
    };
    auto r = sim::run_scenario(fast, quick, sim::Strategy::random_walk(1)).result;
    CHECK(r.outcome == sim::Outcome::completed);
    CHECK_FALSE(r.failure);
  }
}

TEST_CASE("sim timing: a timeout racing a local reply is found only when virtual time may jump", "[sim][timing]") {
  // Before issue 13 time moved only when nothing could run, so the timeout could never win: that
  // is the first half (time_jumps = 0), kept to show what the option changes.
  constexpr int kRuns = 10'000;
  sim::Options calm_time;
  calm_time.waiting_at_end = sim::WaitingAtEnd::fine;
  CHECK(failures(timeout_race, calm_time, sim::Strategy::random_walk(1), kRuns) == 0);
  CHECK(failures(timeout_race, calm_time, sim::Strategy::pct(1, 2, 20), kRuns) == 0);

  sim::Options jumpy = calm_time;
  jumpy.time_jumps = 1;
  int random = failures(timeout_race, jumpy, sim::Strategy::random_walk(1), kRuns);
  int pct = failures(timeout_race, jumpy, sim::Strategy::pct_learning(1, 2), kRuns);
  WARN("timeout racing a local reply, time_jumps=1: random walk " << random << "/" << kRuns << ", PCT " << pct << "/"
                                                                  << kRuns);
  CHECK(random > 0);
  CHECK(pct > 0);

  // The failing run names the client and replays.
  sim::Options o = jumpy;
  for (std::uint64_t seed = 1; seed < 200; ++seed) {
    auto run = sim::run_scenario(timeout_race, o, sim::Strategy::random_walk(seed));
    if (run.result.outcome != sim::Outcome::failed) continue;
    CHECK_FALSE(run.result.failure->pid.is_null());
    CHECK(run.result.failure->message == "the reply lost the race with the timeout");
    auto again = sim::replay(run.log, timeout_race, o);
    CHECK(again.reproduced);
    bool jumped = false;
    for (const auto& d : run.log.decisions) jumped |= d.kind == sim::DecisionKind::time_jump && d.choice == 1;
    CHECK(jumped);
    break;
  }
}

TEST_CASE("sim timing: time_jumps bounds how often time runs ahead, and choice 0 never jumps", "[sim][timing]") {
  auto sleeper = [](sim::Simulation& s) {
    s.spawn([](Process& self) {
      for (int i = 0; i < 10; ++i) self.sleep(100ms);
    });
    s.spawn([](Process& self) {
      for (int i = 0; i < 200; ++i) self.send(self.self(), i);
    });
  };
  sim::Options o;
  o.waiting_at_end = sim::WaitingAtEnd::fine;
  o.time_jumps = 3;
  {
    sim::Simulation s{o, std::make_unique<sim::VectorSource>(std::vector<std::uint64_t>{})};
    sleeper(s);
    s.run();
    for (const auto& d : s.decisions()) CHECK(d.choice == 0);
  }
  int most = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    auto run = sim::run_scenario(sleeper, o, sim::Strategy::random_walk(seed));
    int jumps = 0;
    for (const auto& d : run.log.decisions) jumps += d.kind == sim::DecisionKind::time_jump && d.choice == 1;
    CHECK(jumps <= 3);
    most = std::max(most, jumps);
  }
  CHECK(most == 3);
}

TEST_CASE("sim points: with preempt_before_send the strategy also sees the point before each send", "[sim]") {
  auto two = [](sim::Simulation& s) {
    for (int k = 0; k < 2; ++k)
      s.spawn([](Process& self) {
        for (int i = 0; i < 5; ++i) self.send(self.self(), i);
      });
  };
  auto kinds = [&](bool before) {
    sim::Options o;
    o.preempt_before_send = before;
    auto rec = std::make_unique<Recorder>(1);
    Recorder* seen = rec.get();
    sim::Simulation s{o, std::move(rec)};
    two(s);
    s.run();
    std::set<PointKind> out;
    for (const auto& d : seen->seen)
      if (d.kind == sim::DecisionKind::preempt) out.insert(d.point);
    return out;
  };
  CHECK(kinds(false) == std::set<PointKind>{PointKind::send});
  CHECK(kinds(true) == std::set<PointKind>{PointKind::send, PointKind::before_send});
}

TEST_CASE("sim buggify: points fire in some runs only, never when calm or off, and replay", "[sim]") {
  auto fired = std::make_shared<std::vector<int>>();
  auto scenario = [fired](sim::Simulation& s) {
    fired->clear();
    s.spawn([fired](Process&) {
      for (int i = 0; i < 20; ++i) {
        if (sim::buggify()) fired->push_back(1);
        if (sim::buggify()) fired->push_back(2);
      }
    });
  };
  sim::Options on;
  on.buggify = true;
  {
    sim::Simulation s{on, std::make_unique<sim::VectorSource>(std::vector<std::uint64_t>{})};
    scenario(s);
    s.run();
    CHECK(fired->empty());
  }
  {
    sim::Simulation s{sim::Options{}, std::make_unique<sim::RandomWalk>(1)};
    scenario(s);
    s.run();
    CHECK(fired->empty());
    CHECK(s.decisions().empty());
  }
  int runs_with_1 = 0, runs_with_2 = 0, runs_with_none = 0;
  std::optional<sim::DecisionLog> firing;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    auto run = sim::run_scenario(scenario, on, sim::Strategy::random_walk(seed));
    bool one = std::count(fired->begin(), fired->end(), 1) > 0;
    bool two = std::count(fired->begin(), fired->end(), 2) > 0;
    runs_with_1 += one;
    runs_with_2 += two;
    runs_with_none += !one && !two;
    if (one && !firing) firing = run.log;
  }
  CHECK(runs_with_1 > 10);
  CHECK(runs_with_2 > 10);
  CHECK(runs_with_none > 50);  // each point is off in most runs
  REQUIRE(firing);
  auto again = sim::replay(*firing, scenario, on);
  CHECK(again.reproduced);
  CHECK_FALSE(fired->empty());
}

TEST_CASE("sim portfolio: a sweep rotates strategies by seed", "[sim]") {
  auto tiny = [](sim::Simulation& s) {
    for (int k = 0; k < 2; ++k)
      s.spawn([](Process& self) {
        for (int i = 0; i < 3; ++i) self.send(self.self(), i);
      });
  };
  std::vector<std::string> seen;
  sim::Strategy st = sim::Strategy::portfolio(0);
  for (std::uint64_t seed = 10; seed < 15; ++seed) {
    st.seed = seed;
    seen.push_back(sim::run_scenario(tiny, {}, st).log.strategy);
  }
  CHECK_THAT(seen[0], Catch::StartsWith("random"));
  CHECK_THAT(seen[1], Catch::StartsWith("pct depth=2"));
  CHECK_THAT(seen[2], Catch::StartsWith("pct depth=3"));
  CHECK_THAT(seen[3], Catch::StartsWith("pos"));
  CHECK_THAT(seen[4], Catch::StartsWith("delay-bounding delays=2"));
  CHECK(st.memory->runs == 5);
}

TEST_CASE("sim dfs: exhausts every schedule of a 3-process example and finds its bug every time", "[sim][dfs]") {
  // Two senders send two messages each to a collector, which requires that the second sender's
  // pair does not arrive whole before the first sender's first message.
  auto scenario = [](sim::Simulation& s) {
    Pid collector = s.spawn([](Process& self) {
      std::vector<int> order;
      for (int i = 0; i < 4; ++i) order.push_back(self.receive<int>());
      sim::require(!(order[0] == 1 && order[1] == 1), "sender 1's pair arrived before sender 0's first message");
    });
    for (int who = 0; who < 2; ++who)
      s.spawn([collector, who](Process& self) {
        for (int i = 0; i < 2; ++i) self.send(collector, who);
      });
  };
  auto failed = [](const sim::RunResult& r) { return r.outcome == sim::Outcome::failed; };
  sim::DfsReport a = sim::explore_all(scenario, {}, failed);
  sim::DfsReport b = sim::explore_all(scenario, {}, failed);
  WARN("dfs: " << a.runs << " schedules (every one: " << a.complete << "), " << a.failing << " failing");
  CHECK(a.complete);
  CHECK(a.runs > 10);
  CHECK(a.failing > 0);
  CHECK(a.failing < a.runs);
  CHECK(b.runs == a.runs);  // deterministic: the same count and the same first failure
  CHECK(b.first_failure == a.first_failure);
  REQUIRE(a.first_failure);
  sim::Simulation s{{}, std::make_unique<sim::VectorSource>(*a.first_failure)};
  scenario(s);
  CHECK(s.run().outcome == sim::Outcome::failed);
  // A bound on runs stops early and says so.
  sim::DfsReport bounded = sim::explore_all(scenario, {}, failed, 5);
  CHECK(bounded.runs == 5);
  CHECK_FALSE(bounded.complete);
}
