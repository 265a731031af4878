// Process::hibernate (Erlang's hibernate): a fiber waiting in receive gives its stack's pages back
// and resumes with its frames intact. Tagged [hibernate].
#include <catch2/catch.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <vector>

#include "runtime/moira.hpp"

using namespace moira;

namespace {
struct Go {};

// Touches `bytes` of stack below the caller (so those pages become resident), then returns.
__attribute__((noinline)) std::uint64_t touch_stack(std::size_t bytes) {
  volatile unsigned char block[4096];
  for (std::size_t i = 0; i < sizeof block; i += 64) block[i] = static_cast<unsigned char>(i);
  std::uint64_t below = bytes > sizeof block ? touch_stack(bytes - sizeof block) : 0;
  return below + block[64];
}
}  // namespace

TEST_CASE("a hibernating fiber resumes with its frames intact, on any worker", "[hibernate]") {
  for (unsigned workers : {1u, 2u}) {
    INFO("workers: " << workers);
    ThreadedEngine engine{{.workers = workers}};
    std::atomic<int> intact{0};
    std::vector<Pid> pids;
    constexpr int kFibers = 64;
    for (int f = 0; f < kFibers; ++f) {
      pids.push_back(engine.spawn([&intact, f](Process& self) {
        // Locals that live across the wait, and a pointer into this frame.
        unsigned char pattern[3000];
        for (std::size_t i = 0; i < sizeof pattern; ++i) pattern[i] = static_cast<unsigned char>(i * 7 + f);
        unsigned char* inside = &pattern[1234];
        touch_stack(32 << 10);
        for (int round = 0; round < 3; ++round) {
          self.hibernate();
          self.receive<Go>();
        }
        bool ok = *inside == static_cast<unsigned char>(1234 * 7 + f);
        for (std::size_t i = 0; i < sizeof pattern; ++i) ok = ok && pattern[i] == static_cast<unsigned char>(i * 7 + f);
        if (ok) ++intact;
      }));
    }
    engine.run_until_idle();
    CHECK(detail::hibernating_processes() == kFibers);
    for (int round = 0; round < 3; ++round) {
      for (Pid p : pids) engine.send(p, Go{});
      engine.run_until_idle();
    }
    CHECK(intact == kFibers);
    CHECK(detail::hibernating_processes() == 0);
    CHECK(engine.process_count() == 0);
  }
}

TEST_CASE("hibernate applies to one wait; a kill wakes a hibernating fiber, which unwinds", "[hibernate]") {
  ThreadedEngine engine{{.workers = 2}};
  std::atomic<int> destroyed{0};
  struct Guard {
    std::atomic<int>* n;
    ~Guard() { ++*n; }
  };
  Pid once = engine.spawn([&](Process& self) {
    Guard g{&destroyed};
    self.hibernate();
    self.receive<Go>();  // hibernates here
    self.receive<Go>();  // not here
  });
  Pid killed = engine.spawn([&](Process& self) {
    Guard g{&destroyed};
    self.hibernate();
    self.receive<Go>();
  });
  engine.run_until_idle();
  CHECK(detail::hibernating_processes() == 2);
  engine.send(once, Go{});
  engine.run_until_idle();
  CHECK(detail::hibernating_processes() == 1);  // `once` waits again, awake
  engine.exit(killed, Reason::kill());
  engine.run_until_idle();
  CHECK(detail::hibernating_processes() == 0);
  CHECK(destroyed == 1);  // the killed fiber's destructors ran on its restored stack
  engine.send(once, Go{});
  engine.run_until_idle();
  CHECK(destroyed == 2);
}

TEST_CASE("hibernating fibers give their stack pages back", "[hibernate]") {
  ThreadedEngine engine{{.workers = 2}};
  constexpr int kFibers = 100;
  for (bool hibernate : {false, true}) {
    INFO("hibernate: " << hibernate);
    std::atomic<int> deep_resident{0};  // fibers whose deep stack pages were resident after the wait
    std::atomic<int> mincore_failed{0};
    std::vector<Pid> pids;
    for (int f = 0; f < kFibers; ++f) {
      pids.push_back(engine.spawn([hibernate, &deep_resident, &mincore_failed](Process& self) {
        touch_stack(64 << 10);
        if (hibernate) self.hibernate();
        self.receive<Go>();
        // Pages 24-56 KiB below this frame were touched before the wait and not since.
        char here = 0;
        auto low = (reinterpret_cast<std::uintptr_t>(&here) - (56 << 10)) & ~std::uintptr_t{4095};
        unsigned char pages[8] = {};
        if (::mincore(reinterpret_cast<void*>(low), sizeof pages * 4096, pages) != 0) ++mincore_failed;
        int resident = 0;
        for (unsigned char p : pages) resident += p & 1;
        if (resident == 8) ++deep_resident;
      }));
    }
    engine.run_until_idle();
    CHECK(detail::hibernating_processes() == (hibernate ? kFibers : 0));
    for (Pid p : pids) engine.send(p, Go{});
    engine.run_until_idle();
    CHECK(mincore_failed == 0);
    CHECK(deep_resident == (hibernate ? 0 : kFibers));
  }
}
