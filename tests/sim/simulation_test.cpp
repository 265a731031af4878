// The simulator's core: runs process code to completion, deterministically, in virtual time.
#include <catch2/catch.hpp>

#include <memory>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Ping {
  Pid from;
  int n;
};
struct Pong {
  int n;
};

void ponger(Process& self) {
  for (;;) self.receive([&](const Ping& p) { self.send(p.from, Pong{p.n}); });
}

// A pinger that records what it got into `out`.
void pinger(Process& self, Pid to, int rounds, std::shared_ptr<int> got) {
  for (int i = 0; i < rounds; ++i) {
    self.send(to, Ping{self.self(), i});
    if (self.receive<Pong>().n == i) ++*got;
  }
}

}  // namespace

TEST_CASE("sim: ping pong runs to the end, and the ponger is left waiting", "[sim]") {
  sim::Simulation s{{.seed = 7}};
  auto got = std::make_shared<int>(0);
  Pid p = s.spawn(ponger);
  s.spawn(pinger, p, 100, got);
  sim::RunResult r = s.run();
  INFO(r.describe());
  CHECK(*got == 100);
  REQUIRE(r.outcome == sim::Outcome::deadlocked);
  REQUIRE(r.blocked.size() == 1);
  CHECK(r.blocked[0].pid == p);
  CHECK(r.blocked[0].mailbox_length == 0);
  CHECK(r.decisions > 0);
}

TEST_CASE("sim: a run with no process left is completed", "[sim]") {
  sim::Simulation s;
  auto done = std::make_shared<bool>(false);
  s.spawn([done](Process& self) {
    Pid child = self.spawn([](Process& c) { c.send(c.self(), 1); c.receive<int>(); });
    (void)child;
    *done = true;
  });
  sim::RunResult r = s.run();
  CHECK(*done);
  CHECK(r.outcome == sim::Outcome::completed);
  CHECK(r.blocked.empty());
}

TEST_CASE("sim: the same seed gives the same trace hash; another seed another schedule", "[sim]") {
  auto run = [](std::uint64_t seed) {
    sim::Simulation s{{.seed = seed}};
    auto got = std::make_shared<int>(0);
    for (int i = 0; i < 4; ++i) {
      Pid p = s.spawn(ponger);
      s.spawn(pinger, p, 20, got);
    }
    return s.run().trace_hash;
  };
  CHECK(run(1) == run(1));
  CHECK(run(2) == run(2));
  CHECK(run(1) != run(2));
}

TEST_CASE("sim: time is virtual: sleeps and timeouts jump the clock", "[sim]") {
  sim::Simulation s;
  auto seen = std::make_shared<std::vector<std::int64_t>>();
  s.spawn([seen](Process& self) {
    self.sleep(5s);
    seen->push_back(std::chrono::duration_cast<std::chrono::milliseconds>(self.now()).count());
    auto nothing = self.receive_for<int>(250ms);
    seen->push_back(nothing ? -1 : std::chrono::duration_cast<std::chrono::milliseconds>(self.now()).count());
  });
  sim::RunResult r = s.run();
  CHECK(r.outcome == sim::Outcome::completed);
  REQUIRE(*seen == std::vector<std::int64_t>{5000, 5250});
  CHECK(r.virtual_time == 5250ms);
}

TEST_CASE("sim: a process blocked forever is reported with its mailbox", "[sim]") {
  sim::Simulation s;
  Pid waiter = s.spawn([](Process& self) { self.receive<Pong>(); });
  s.send(waiter, Ping{{}, 1});
  s.send(waiter, Ping{{}, 2});
  sim::RunResult r = s.run();
  REQUIRE(r.outcome == sim::Outcome::deadlocked);
  REQUIRE(r.blocked.size() == 1);
  CHECK(r.blocked[0].pid == waiter);
  CHECK(r.blocked[0].mailbox_length == 2);
  CHECK_THAT(r.describe(), Catch::Contains("2 message(s) in its mailbox"));
}

TEST_CASE("sim: bounds end a run that would not end", "[sim]") {
  SECTION("max_steps") {
    sim::Simulation s{{.max_steps = 10'000}};
    s.spawn([](Process& self) {
      for (;;) {
        self.send(self.self(), 1);
        self.receive<int>();
      }
    });
    sim::RunResult r = s.run();
    CHECK(r.outcome == sim::Outcome::bound_exceeded);
    CHECK(r.bound == "max_steps");
    CHECK(r.steps >= 10'000);
  }
  SECTION("max_virtual_time") {
    sim::Simulation s{{.max_virtual_time = 1h}};
    s.spawn([](Process& self) {
      for (;;) self.sleep(1min);
    });
    sim::RunResult r = s.run();
    CHECK(r.outcome == sim::Outcome::bound_exceeded);
    CHECK(r.bound == "max_virtual_time");
    CHECK(r.virtual_time <= 1h);
    CHECK(r.virtual_time >= 59min);
  }
}

TEST_CASE("sim: random() comes from the seed and is recorded", "[sim]") {
  auto draw = [](std::uint64_t seed) {
    sim::Simulation s{{.seed = seed}};
    auto out = std::make_shared<std::vector<std::uint64_t>>();
    s.spawn([out](Process& self) {
      for (int i = 0; i < 3; ++i) out->push_back(self.random());
    });
    s.run();
    CHECK(s.decisions().size() == 3);
    CHECK(s.decisions()[0].kind == sim::DecisionKind::random);
    return *out;
  };
  CHECK(draw(5) == draw(5));
  CHECK(draw(5) != draw(6));
}

TEST_CASE("sim: links and exit signals follow Erlang's rules", "[sim]") {
  sim::Simulation s;
  auto got = std::make_shared<std::vector<std::string>>();
  s.spawn([got](Process& self) {
    self.trap_exit(true);
    Pid child = self.spawn_link([](Process& c) { c.exit(Reason{"boom"}); });
    auto [m, ref] = self.spawn_monitor([](Process&) { throw std::runtime_error("bad"); });
    self.receive([&](const Exit& e) { got->push_back(fmt::format("exit {}", e.reason)); });
    self.receive([&](const Down& d) { got->push_back(fmt::format("down {}", d.reason)); });
    (void)child;
    (void)m;
    (void)ref;
  });
  sim::RunResult r = s.run();
  CHECK(r.outcome == sim::Outcome::completed);
  REQUIRE(got->size() == 2);
  CHECK((*got)[0] == "exit boom");
  CHECK((*got)[1] == "down std::runtime_error: bad");
}
