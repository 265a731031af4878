// Test cases that fail ON PURPOSE while an engine is alive with processes blocked in receive,
// asleep, and waiting in a call. tests/failures_never_abort_test.cpp runs this binary and checks
// that every case is reported as failed (no abort, no signal) and that every process unwound.
#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <cstdio>
#include <latch>
#include <memory>
#include <stdexcept>

#include "runtime/behaviours/server.hpp"
#include "runtime/moira.hpp"
#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

// Printed when the process holding it unwinds: the driver counts these lines.
struct Witness {
  const char* what;
  ~Witness() {
    std::printf("unwound: %s\n", what);
    std::fflush(stdout);
  }
};

class Silent final : public Server<Silent, int, int> {
 public:
  std::optional<int> handle_call(Process&, int, From) override { return std::nullopt; }
};

// Three processes that will not finish by themselves: in receive, asleep, in a call.
void populate(Engine& engine, std::shared_ptr<std::latch> ready) {
  engine.spawn([ready](Process& self) {
    Witness w{"receive"};
    ready->count_down();
    self.receive<int>();
  });
  engine.spawn([ready](Process& self) {
    Witness w{"sleep"};
    ready->count_down();
    self.sleep(1h);
  });
  engine.spawn([ready](Process& self) {
    Pid server = start_server<Silent>(self, {}).value();
    Witness w{"call"};
    ready->count_down();
    (void)call<Silent>(self, server, 1, 1h);
  });
}

// A simulation left with the three processes pending: its clock stops before their timers.
std::unique_ptr<sim::Simulation> simulation_with_pending_processes() {
  auto s = std::make_unique<sim::Simulation>(sim::Options{.seed = 5, .max_virtual_time = 1min});
  auto ready = std::make_shared<std::latch>(3);
  populate(*s, ready);
  s->run();
  return s;
}

std::unique_ptr<ThreadedEngine> threads_with_pending_processes() {
  auto e = std::make_unique<ThreadedEngine>(ThreadedEngine::Options{.workers = 2});
  auto ready = std::make_shared<std::latch>(3);
  populate(*e, ready);
  ready->wait();
  return e;
}

}  // namespace

TEST_CASE("a failing REQUIRE with a live Simulation", "[sim][require]") {
  auto s = simulation_with_pending_processes();
  REQUIRE(s->process_count() == 0);
}

TEST_CASE("a plain throw with a live Simulation", "[sim][throw]") {
  auto s = simulation_with_pending_processes();
  throw std::runtime_error("thrown on purpose with a live Simulation");
}

TEST_CASE("a failing REQUIRE with a live ThreadedEngine", "[threads][require]") {
  auto e = threads_with_pending_processes();
  REQUIRE(e->process_count() == 0);
}

TEST_CASE("a plain throw with a live ThreadedEngine", "[threads][throw]") {
  auto e = threads_with_pending_processes();
  throw std::runtime_error("thrown on purpose with a live ThreadedEngine");
}

// RapidCheck finds the failure, then shrinks it: every attempt unwinds a live engine again.
TEST_CASE("a failing RC_ASSERT with a live Simulation", "[sim][rapidcheck]") {
  rc::prop("shrinks to n == 10", [](int n) {
    auto s = simulation_with_pending_processes();
    RC_ASSERT(n < 10);
  });
}

TEST_CASE("a failing RC_ASSERT with a live ThreadedEngine", "[threads][rapidcheck]") {
  rc::prop("shrinks to n == 10", [](int n) {
    auto e = threads_with_pending_processes();
    RC_ASSERT(n < 10);
  });
}
