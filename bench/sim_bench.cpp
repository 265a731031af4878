// moira_sim_bench: simulator throughput.
//   ping:   1,000 processes (500 ping-pong pairs) — decisions/s and delivered messages/s
//   timers: 1,000 processes sleeping random virtual times — virtual seconds per wall second
//   hashes: trace hashes of a fixed list of seeds of a faulty three-node scenario, one per line,
//           for comparing a Debug and a Release build (`diff` the two outputs; CI does)
// Usage: moira_sim_bench [ping|timers|hashes] (default: ping and timers)
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

struct Req {
  Pid from;
  int n;
};
struct Rep {
  int n;
};

// The same shape as tests/sim/determinism_test.cpp: servers on two nodes, a client calling them
// with monitors and timeouts, every kind of fault from rates.
void faulty_scenario(sim::Simulation& s) {
  for (int n = 1; n <= 2; ++n) {
    s.add_node(fmt::format("server{}", n), [](Process& self) {
      self.register_name("svc");
      for (;;) {
        self.receive([&](const Req& r) {
          if (self.random() % 4 == 0) self.sleep(3ms);
          self.send(r.from, Rep{r.n});
        });
      }
    });
  }
  s.spawn([](Process& self) {
    self.trap_exit(true);
    for (int i = 0; i < 6; ++i) {
      auto svc = self.engine().whereis("svc", 1 + static_cast<NodeId>(i % 2));
      if (!svc) {
        self.sleep(5ms);
        continue;
      }
      Ref mon = self.monitor(*svc);
      self.send(*svc, Req{self.self(), i});
      self.receive([&](const Rep&) {}, [&](const Down&) {}, after(20ms, [] {}));
      self.demonitor(mon, true);
    }
  });
}

void hashes() {
  for (std::uint64_t seed = 1; seed <= 64; ++seed) {
    sim::Options o;
    o.keep_decisions = false;
    o.faults.kill_per_second = 2;
    o.faults.crash_per_second = 2;
    o.faults.restart_after = 20ms;
    o.faults.partition_per_second = 2;
    o.faults.drop_probability = 0.05;
    o.faults.tick = 5ms;
    o.faults.until = 200ms;
    o.relaxed_delivery = seed % 2 == 0;
    auto run = sim::run_scenario(faulty_scenario, o, seed % 3 == 0 ? sim::Strategy::pct(seed, 3, 300)
                                                                      : sim::Strategy::random_walk(seed));
    std::printf("%llu %016llx %s\n", static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(run.result.trace_hash), std::string{to_string(run.result.outcome)}.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "all";
  bool all = std::strcmp(mode, "all") == 0;
  if (std::strcmp(mode, "hashes") == 0) {
    hashes();
    return 0;
  }
  if (all || std::strcmp(mode, "ping") == 0) {
    ping_bench("random walk", std::make_unique<sim::RandomWalk>(1), 500, 1000);
    ping_bench("calm (all zeros)", std::make_unique<sim::VectorSource>(std::vector<std::uint64_t>{}), 500, 1000);
    ping_bench("pct d=3", std::make_unique<sim::Pct>(1, 3, 4'000'000), 500, 1000);
  }
  if (all || std::strcmp(mode, "timers") == 0) timer_bench(1000, 200);
  if (!all && std::strcmp(mode, "ping") != 0 && std::strcmp(mode, "timers") != 0) {
    std::fprintf(stderr, "usage: %s [ping|timers|hashes]\n", argv[0]);
    return 2;
  }
  return 0;
}
