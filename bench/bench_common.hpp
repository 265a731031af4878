#pragma once
// What the moira benchmarks share: wall-clock timing, resident memory, and the ping-pong
// workload (counted, so a broken run is caught rather than timed). Wall clocks belong here in
// bench/, never in the simulator.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "runtime/moira.hpp"

namespace moira::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

inline std::size_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  if (got != 2) return 0;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// The idle processes of the spawn workloads: each counts itself started, then waits for Stop,
// counting each Poke (a message that wakes it and sends it back to waiting).
struct Stop {};
struct Poke {};
inline std::atomic<std::uint64_t> idle_started{0};
inline std::atomic<std::uint64_t> idle_poked{0};

inline void idle_fiber(Process& self) {
  idle_started.fetch_add(1, std::memory_order_relaxed);
  for (bool done = false; !done;) {
    self.receive([](const Poke&) { idle_poked.fetch_add(1, std::memory_order_relaxed); }, [&](const Stop&) { done = true; });
  }
}

// The same, hibernating (Process::hibernate) each time it waits.
inline void idle_hibernating_fiber(Process& self) {
  idle_started.fetch_add(1, std::memory_order_relaxed);
  for (bool done = false; !done;) {
    self.hibernate();
    self.receive([](const Poke&) { idle_poked.fetch_add(1, std::memory_order_relaxed); }, [&](const Stop&) { done = true; });
  }
}

class IdleStackless final : public Stackless {
 public:
  void start(Process&) override { idle_started.fetch_add(1, std::memory_order_relaxed); }
  void handle(Process& self, Message msg) override {
    if (msg.is<Stop>()) self.exit(Reason::normal());
    if (msg.is<Poke>()) idle_poked.fetch_add(1, std::memory_order_relaxed);
  }
};

struct PingPongRun {
  double seconds = 0;
  std::uint64_t pongs_matched = 0;  // pongs answering the ping just sent
  std::uint64_t pings_seen = 0;     // by the ponger
  std::uint64_t checksum = 0;       // sum of the pong values: n(n-1)/2 when nothing was skipped
  bool ok(std::uint64_t n) const { return pongs_matched == n && pings_seen == n && checksum == n * (n - 1) / 2; }
};

// Two fiber processes, n round trips, timed from the first ping to the last pong.
inline PingPongRun pingpong(ThreadedEngine& engine, std::uint64_t n) {
  struct Ping {
    Pid from;
    std::uint64_t n;
  };
  struct Pong {
    std::uint64_t n;
  };
  struct Stop {};
  std::atomic<std::uint64_t> pongs{0}, pings{0}, sum{0};
  std::atomic<double> elapsed{0};
  Pid ponger = engine.spawn([&](Process& self) {
    std::uint64_t count = 0;
    for (bool done = false; !done;) {
      self.receive(
          [&](const Ping& p) {
            ++count;
            self.send(p.from, Pong{p.n});
          },
          [&](const Stop&) { done = true; });
    }
    pings.store(count);
  });
  engine.spawn(
      [&, n](Process& self, Pid to) {
        std::uint64_t count = 0, total = 0;
        auto t0 = Clock::now();
        for (std::uint64_t i = 0; i < n; ++i) {
          self.send(to, Ping{self.self(), i});
          self.receive([&](const Pong& p) {
            if (p.n == i) ++count;
            total += p.n;
          });
        }
        elapsed.store(seconds_since(t0));
        self.send(to, Stop{});
        pongs.store(count);
        sum.store(total);
      },
      ponger);
  engine.run_until_idle();
  return {elapsed.load(), pongs.load(), pings.load(), sum.load()};
}

}  // namespace moira::bench
