// Automatic hibernation (ThreadedEngine::Options::hibernate_after, ThreadedEngine::hibernate_idle):
// a fiber idle in receive across a whole sweep period hibernates and still receives correctly; a
// fiber that runs between every two sweeps never does. Counted, not timed. Tagged [hibernate].
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "runtime/moira.hpp"

using namespace moira;

namespace {
struct Ask {
  Pid from;
  std::uint64_t n;
};
struct Answer {
  std::uint64_t n;
};

// Answers each Ask with its n plus a checksum of a block of locals that live across every wait:
// a fiber whose frames came back wrong from hibernation answers wrong.
void answerer(Process& self) {
  unsigned char pattern[2048];
  for (std::size_t i = 0; i < sizeof pattern; ++i) pattern[i] = static_cast<unsigned char>(i * 13 + 5);
  for (;;) {
    Ask a = self.receive<Ask>();
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < sizeof pattern; ++i) sum += pattern[i] == static_cast<unsigned char>(i * 13 + 5) ? 1 : 0;
    self.send(a.from, Answer{a.n + sum});
  }
}

// Asks `to` once from a fresh process and returns the answer (0 if none came).
std::uint64_t ask(ThreadedEngine& engine, Pid to, std::uint64_t n) {
  std::atomic<std::uint64_t> got{0};
  engine.spawn([&got, to, n](Process& self) {
    self.send(to, Ask{self.self(), n});
    got.store(self.receive<Answer>().n);
  });
  engine.run_until_idle();
  return got.load();
}
}  // namespace

TEST_CASE("hibernate_idle hibernates a fiber idle across a whole sweep, never one that ran in between", "[hibernate]") {
  for (unsigned workers : {1u, 2u}) {
    INFO("workers: " << workers);
    ThreadedEngine engine{{.workers = workers}};
    Pid idle = engine.spawn(answerer);
    Pid busy = engine.spawn(answerer);
    engine.run_until_idle();
    std::size_t before = detail::hibernating_processes();
    // The first sweep only starts the period both have waited in.
    CHECK(engine.hibernate_idle() == 0);
    // `busy` runs between every two sweeps; `idle` does not, so the next sweep takes it alone.
    for (std::uint64_t round = 0; round < 20; ++round) {
      REQUIRE(ask(engine, busy, round) == round + 2048);
      std::size_t took = engine.hibernate_idle();
      CHECK(took == (round == 0 ? 1 : 0));
    }
    CHECK(detail::hibernating_processes() == before + 1);
    CHECK(engine.counters().auto_hibernations == 1);
    // The hibernated fiber wakes with its frames intact, and is awake (not hibernating) after.
    CHECK(ask(engine, idle, 7) == 7 + 2048);
    CHECK(detail::hibernating_processes() == before);
    // `busy` has not run since before the loop's last sweep: this sweep takes it; `idle` ran
    // since, so it goes at the next one.
    CHECK(engine.hibernate_idle() == 1);
    CHECK(engine.hibernate_idle() == 1);
    CHECK(ask(engine, idle, 9) == 9 + 2048);
    CHECK(ask(engine, busy, 11) == 11 + 2048);
    CHECK(engine.counters().auto_hibernations == 3);
    engine.shutdown();
    CHECK(detail::hibernating_processes() == before);
  }
}

TEST_CASE("hibernate_after: the sweep thread hibernates an idle fiber, which still receives", "[hibernate]") {
  ThreadedEngine engine{{.workers = 2, .hibernate_after = std::chrono::milliseconds{5}}};
  Pid idle = engine.spawn(answerer);
  engine.run_until_idle();
  // Waits for the sweep thread's count, not for a time (the deadline only stops a hang).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
  while (engine.counters().auto_hibernations == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  REQUIRE(engine.counters().auto_hibernations >= 1);
  CHECK(ask(engine, idle, 3) == 3 + 2048);
}

TEST_CASE("hibernate_idle: mail that arrives during a sweep wakes the process", "[hibernate]") {
  // Sweeps and sends race on purpose: whichever wins, every Ask is answered, correctly.
  ThreadedEngine engine{{.workers = 2}};
  Pid target = engine.spawn(answerer);
  engine.run_until_idle();
  std::atomic<bool> stop{false};
  std::thread sweeps([&] {
    while (!stop.load()) engine.hibernate_idle();
  });
  std::atomic<std::uint64_t> right{0};
  engine.spawn([&right, target](Process& self) {
    for (std::uint64_t i = 0; i < 2000; ++i) {
      self.send(target, Ask{self.self(), i});
      if (self.receive<Answer>().n == i + 2048) right.fetch_add(1);
    }
  });
  engine.run_until_idle();
  stop.store(true);
  sweeps.join();
  CHECK(right.load() == 2000);
}
