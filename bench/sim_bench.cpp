// moira_sim_bench: simulator throughput.
//   ping:   1,000 processes (500 ping-pong pairs) — decisions/s and delivered messages/s, per strategy
//   timers: 1,000 processes sleeping random virtual times — virtual seconds per wall second
// Usage: moira_sim_bench [ping|timers] (default: both)
// (Debug vs optimized trace hashes: the sim_hashes_debug_vs_optimized test.)
// Wall clocks are used here, to measure; never inside the simulator.
#include <chrono>
#include <cstdio>
#include <cstring>
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

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void ping_bench(const char* label, std::unique_ptr<sim::ChoiceSource> source, int pairs, int rounds) {
  sim::Options o;
  o.keep_decisions = false;
  o.max_steps = ~0ull;
  sim::Simulation s{o, std::move(source)};
  for (int i = 0; i < pairs; ++i) {
    Pid ponger = s.spawn([](Process& self) {
      for (;;) self.receive([&](const Ping& p) { self.send(p.from, Pong{p.n}); });
    });
    s.spawn(
        [rounds](Process& self, Pid to) {
          for (int r = 0; r < rounds; ++r) {
            self.send(to, Ping{self.self(), r});
            self.receive<Pong>();
          }
        },
        ponger);
  }
  auto t0 = std::chrono::steady_clock::now();
  sim::RunResult r = s.run();
  double wall = seconds_since(t0);
  std::printf("ping %-18s %d processes, %llu steps, %llu decisions, %llu delivered in %.3f s\n", label, 2 * pairs,
              static_cast<unsigned long long>(r.steps), static_cast<unsigned long long>(r.decisions),
              static_cast<unsigned long long>(r.delivered), wall);
  std::printf("     %-18s %.2f M decisions/s, %.2f M delivered messages/s, %.2f M steps/s  (target: >= 5 M decisions/s)\n",
              "", r.decisions / wall / 1e6, r.delivered / wall / 1e6, r.steps / wall / 1e6);
  if (r.outcome != sim::Outcome::deadlocked) std::printf("     unexpected outcome: %s\n", r.describe().c_str());
}

void timer_bench(int processes, int sleeps) {
  sim::Options o;
  o.keep_decisions = false;
  o.max_steps = ~0ull;
  sim::Simulation s{o};
  for (int i = 0; i < processes; ++i) {
    s.spawn([sleeps](Process& self) {
      for (int k = 0; k < sleeps; ++k) self.sleep(std::chrono::milliseconds{1 + self.random() % 1000});
    });
  }
  auto t0 = std::chrono::steady_clock::now();
  sim::RunResult r = s.run();
  double wall = seconds_since(t0);
  double virtual_s = std::chrono::duration<double>(r.virtual_time).count();
  std::printf("timers %d processes x %d sleeps of 1..1000 ms: %.1f virtual s in %.3f wall s = %.0f virtual s per wall s"
              " (%.2f M timers/s)\n",
              processes, sleeps, virtual_s, wall, virtual_s / wall, processes * double(sleeps) / wall / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "all";
  bool all = std::strcmp(mode, "all") == 0;
  if (all || std::strcmp(mode, "ping") == 0) {
    ping_bench("random walk", std::make_unique<sim::RandomWalk>(1), 500, 1000);
    ping_bench("calm (all zeros)", std::make_unique<sim::VectorSource>(std::vector<std::uint64_t>{}), 500, 1000);
    ping_bench("pct d=3", std::make_unique<sim::Pct>(1, 3, 4'000'000), 500, 1000);
    ping_bench("fair-pct d=3", std::make_unique<sim::FairPct>(1, 3, 4'000'000), 500, 1000);
    ping_bench("pos", std::make_unique<sim::Pos>(1), 500, 1000);
    ping_bench("delay-bounding 3", std::make_unique<sim::DelayBounding>(1, 3, 4'000'000), 500, 1000);
  }
  if (all || std::strcmp(mode, "timers") == 0) timer_bench(1000, 200);
  if (!all && std::strcmp(mode, "ping") != 0 && std::strcmp(mode, "timers") != 0) {
    std::fprintf(stderr, "usage: %s [ping|timers]\n", argv[0]);
    return 2;
  }
  return 0;
}
