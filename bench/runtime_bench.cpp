// moira_runtime_bench: the runtime's design targets, measured on the ThreadedEngine.
//
//   spawn cost          µs per process, 100k idle processes (waiting in receive), fiber and
//                       stackless, cold (fresh memory) and warm (a second wave reusing the pools)
//   resident memory     RSS growth per idle process (from /proc/self/statm), fiber and stackless
//   ping-pong           round trips per second between two fiber processes, on 1 and 2 workers
//
// Each measurement runs in a fresh child process (fork), so "cold" really is fresh memory and one
// measurement's pools never flatter the next; each is repeated and the median printed.
//
// Usage: moira_runtime_bench [--quick] [--reps N] [--spawn-n N] [--only WHAT]
//   --quick      small sizes, one repetition (a CI smoke run of a few seconds)
//   --spawn-n N  idle processes per spawn wave (default 100000)
//   --only WHAT  run one measurement in this process (no fork), for profilers:
//                spawn-fiber, spawn-stackless, pingpong-1, pingpong-2
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_common.hpp"
#include "runtime/moira.hpp"

using namespace moira;
using bench::Clock;

namespace {

struct Config {
  std::size_t spawn_n = 100'000;
  std::size_t pingpong_n = 1'000'000;
  int reps = 3;
};

using bench::resident_bytes;
using bench::seconds_since;
using bench::idle_fiber;
using bench::idle_started;
using bench::IdleStackless;
using bench::Stop;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "runtime_bench: CHECK FAILED: %s\n", what);
  std::fflush(stderr);
  std::_Exit(2);
}

// ------------------------------------------------------------------------------------------------
// Spawn cost and resident memory of idle processes

enum class Kind { fiber, stackless };

struct SpawnResult {
  double cold_us = 0;     // per process, first wave
  double warm_us = 0;     // per process, second wave
  double inside_us = 0;   // per process, a third wave spawned by a process rather than from outside
  double bytes_per = 0;   // RSS growth per idle process, first wave
};

// Spawns n idle processes from outside the engine and waits until every one has run to its
// receive. Returns seconds.
double spawn_wave(ThreadedEngine& engine, Kind kind, std::size_t n, std::vector<Pid>& pids) {
  pids.clear();
  idle_started.store(0);
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    pids.push_back(kind == Kind::fiber ? engine.spawn(idle_fiber) : engine.spawn_stackless<IdleStackless>());
  }
  engine.run_until_idle();
  double s = seconds_since(t0);
  if (idle_started.load() != n) fail("not every spawned process started");
  if (engine.process_count() != n) fail("process count after spawn wave");
  return s;
}

// The same, but the n processes are spawned by one process running on a worker (as Erlang code
// spawns), so spawns go to the worker's own queue instead of through the shared one.
double spawn_wave_inside(ThreadedEngine& engine, Kind kind, std::size_t n, std::vector<Pid>& pids) {
  pids.clear();
  idle_started.store(0);
  auto t0 = Clock::now();
  engine.spawn([&, kind, n](Process& self) {
    for (std::size_t i = 0; i < n; ++i) {
      pids.push_back(kind == Kind::fiber ? self.spawn(idle_fiber) : self.spawn_stackless<IdleStackless>({}));
    }
  });
  engine.run_until_idle();
  double s = seconds_since(t0);
  if (idle_started.load() != n || pids.size() != n) fail("not every process spawned by a process started");
  if (engine.process_count() != n) fail("process count after spawn wave");
  return s;
}

void kill_wave(ThreadedEngine& engine, const std::vector<Pid>& pids) {
  for (Pid p : pids) engine.exit(p, Reason::kill());
  engine.run_until_idle();
  if (engine.process_count() != 0) fail("processes left after kill");
}

SpawnResult measure_spawn(Kind kind, std::size_t n, unsigned workers) {
  ThreadedEngine engine{ThreadedEngine::Options{.workers = workers}};
  std::vector<Pid> pids;
  pids.reserve(n);
  engine.run_until_idle();
  SpawnResult r;
  std::size_t rss0 = resident_bytes();
  double cold = spawn_wave(engine, kind, n, pids);
  std::size_t rss1 = resident_bytes();
  kill_wave(engine, pids);
  double warm = spawn_wave(engine, kind, n, pids);
  kill_wave(engine, pids);
  double inside = spawn_wave_inside(engine, kind, n, pids);
  kill_wave(engine, pids);
  r.inside_us = inside * 1e6 / static_cast<double>(n);
  r.cold_us = cold * 1e6 / static_cast<double>(n);
  r.warm_us = warm * 1e6 / static_cast<double>(n);
  r.bytes_per = (static_cast<double>(rss1) - static_cast<double>(rss0)) / static_cast<double>(n);
  return r;
}

// How long the memory of n idle fiber processes stays resident after they exit: free stacks stay
// warm for reuse for a while, then go back to the kernel.
struct ReturnResult {
  double held_mib = 0;   // resident growth right after every process exited
  double left_mib = 0;   // what is left of it once it stopped falling (pooled process objects etc.)
  double seconds = 0;    // when it last fell
};
ReturnResult measure_memory_return(std::size_t n, double give_up_s) {
  ThreadedEngine engine{ThreadedEngine::Options{.workers = 1}};
  std::vector<Pid> pids;
  pids.reserve(n);
  engine.run_until_idle();
  double rss0 = static_cast<double>(resident_bytes());
  spawn_wave(engine, Kind::fiber, n, pids);
  kill_wave(engine, pids);
  auto t0 = Clock::now();
  ReturnResult r;
  r.held_mib = (static_cast<double>(resident_bytes()) - rss0) / (1 << 20);
  r.left_mib = r.held_mib;
  // Watch until it has not fallen for a while: the scavenger's first 1 s period may have begun
  // mid-burst, so the bulk can come back only at the end of its second period.
  while (seconds_since(t0) < give_up_s && seconds_since(t0) < r.seconds + 2.5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    double now = (static_cast<double>(resident_bytes()) - rss0) / (1 << 20);
    if (now < r.left_mib - 0.5) {
      r.left_mib = now;
      r.seconds = seconds_since(t0);
    }
  }
  return r;
}

// What one first touch of a fresh page costs on this machine (fault + zeroing): the floor under a
// cold fiber spawn, whose stack's top page is new memory.
struct FaultResult {
  double us_per_page = 0;
};
FaultResult measure_page_fault(std::size_t n) {
  const std::size_t stride = std::size_t{128} << 10;  // like fiber stacks: one touched page each
  void* mem = ::mmap(nullptr, n * stride, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) fail("mmap");
  auto* base = static_cast<volatile char*>(mem);
  auto t0 = Clock::now();
  for (std::size_t i = 0; i < n; ++i) base[i * stride + stride - 64] = 1;
  double s = seconds_since(t0);
  ::munmap(mem, n * stride);
  return {s * 1e6 / static_cast<double>(n)};
}

// ------------------------------------------------------------------------------------------------
// Ping-pong

struct PingPongResult {
  double round_trips_per_s = 0;
};

PingPongResult measure_pingpong(std::size_t n, unsigned workers) {
  ThreadedEngine engine{ThreadedEngine::Options{.workers = workers}};
  bench::PingPongRun run = bench::pingpong(engine, n);
  if (!run.ok(n)) fail("ping-pong: pongs, pings or checksum wrong");
  if (engine.process_count() != 0) fail("ping-pong: processes left");
  return {static_cast<double>(n) / run.seconds};
}

// ------------------------------------------------------------------------------------------------
// Running each measurement in a fresh child process

template <class R, class F>
R in_child(F&& f) {
  int fds[2];
  if (::pipe(fds) != 0) fail("pipe");
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t child = ::fork();
  if (child < 0) fail("fork");
  if (child == 0) {
    ::close(fds[0]);
    R r = f();
    if (::write(fds[1], &r, sizeof r) != static_cast<ssize_t>(sizeof r)) std::_Exit(3);
    ::close(fds[1]);
    std::fflush(stdout);
    std::_Exit(0);  // the engine was destroyed inside f(): nothing else to clean up
  }
  ::close(fds[1]);
  R r{};
  ssize_t got = ::read(fds[0], &r, sizeof r);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != static_cast<ssize_t>(sizeof r)) {
    std::fprintf(stderr, "runtime_bench: a measurement failed (child status %d)\n", status);
    std::exit(1);
  }
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

std::string spread(const std::vector<double>& v, const char* fmt) {
  if (v.size() < 2) return "";
  auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  char buf[96];
  std::string f = std::string("  (") + fmt + " .. " + fmt + ")";
  std::snprintf(buf, sizeof buf, f.c_str(), *lo, *hi);
  return buf;
}

int misses = 0;

void line(const char* what, double value, const char* unit, const char* fmt, const char* target, bool pass,
          const std::vector<double>& all) {
  char v[32];
  std::snprintf(v, sizeof v, fmt, value);
  std::printf("  %-40s %10s %-9s target %-14s %s%s\n", what, v, unit, target, pass ? "PASS" : "MISS",
              spread(all, fmt).c_str());
  if (!pass) ++misses;
}

void info(const char* what, double value, const char* unit, const char* fmt, const std::vector<double>& all) {
  char v[32];
  std::snprintf(v, sizeof v, fmt, value);
  std::printf("  %-40s %10s %-9s %-26s%s\n", what, v, unit, "(information)", spread(all, fmt).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--quick") {
      cfg.spawn_n = 10'000;
      cfg.pingpong_n = 100'000;
      cfg.reps = 1;
    } else if (a == "--reps" && i + 1 < argc) {
      cfg.reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--spawn-n" && i + 1 < argc) {
      cfg.spawn_n = static_cast<std::size_t>(std::max(1L, std::atol(argv[++i])));
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--reps N] [--spawn-n N] [--only spawn-fiber|spawn-stackless|pingpong-1|pingpong-2]\n",
                   argv[0]);
      return 64;
    }
  }
  if (!only.empty()) {
    if (only == "spawn-fiber" || only == "spawn-stackless") {
      auto r = measure_spawn(only == "spawn-fiber" ? Kind::fiber : Kind::stackless, cfg.spawn_n, 1);
      std::printf("%s: cold %.3f us/proc, warm %.3f us/proc, by a process %.3f us/proc, %.0f bytes/proc\n",
                  only.c_str(), r.cold_us, r.warm_us, r.inside_us, r.bytes_per);
    } else if (only == "pingpong-1" || only == "pingpong-2") {
      auto r = measure_pingpong(cfg.pingpong_n, only == "pingpong-1" ? 1 : 2);
      std::printf("%s: %.2f M round trips/s\n", only.c_str(), r.round_trips_per_s / 1e6);
    } else {
      std::fprintf(stderr, "unknown measurement '%s'\n", only.c_str());
      return 64;
    }
    return 0;
  }
  auto t_start = Clock::now();
  std::printf("moira runtime bench: ThreadedEngine, %u hardware threads, %d repetition(s), median shown "
              "(min .. max in brackets)\n",
              std::thread::hardware_concurrency(), cfg.reps);
  std::printf("  sizeof(Process) = %zu bytes, default fiber stack %zu KiB reserved\n\n", sizeof(Process),
              ThreadedEngine::Options{}.stack_size >> 10);

  {
    std::vector<double> fault;
    for (int r = 0; r < cfg.reps; ++r) {
      fault.push_back(in_child<FaultResult>([&] { return measure_page_fault(cfg.spawn_n / 5); }).us_per_page);
    }
    std::printf("this machine\n");
    info("first touch of a fresh page (fault+zero)", median(fault), "us/page", "%.3f", fault);
    std::printf("\n");
  }

  for (Kind kind : {Kind::fiber, Kind::stackless}) {
    const char* name = kind == Kind::fiber ? "fiber" : "stackless";
    std::vector<double> cold, warm, inside, bytes;
    for (int r = 0; r < cfg.reps; ++r) {
      auto res = in_child<SpawnResult>([&] { return measure_spawn(kind, cfg.spawn_n, 1); });
      cold.push_back(res.cold_us);
      warm.push_back(res.warm_us);
      inside.push_back(res.inside_us);
      bytes.push_back(res.bytes_per);
    }
    std::printf("%s processes: %zu idle (waiting in receive), spawned from outside, 1 worker\n", name, cfg.spawn_n);
    char what[64];
    std::snprintf(what, sizeof what, "spawn, cold (fresh memory)");
    line(what, median(cold), "us/proc", "%.3f", "<= 1 us", median(cold) <= 1.0, cold);
    std::snprintf(what, sizeof what, "spawn, warm (pools recycled)");
    line(what, median(warm), "us/proc", "%.3f", "<= 1 us", median(warm) <= 1.0, warm);
    info("spawn, warm, by a process on the worker", median(inside), "us/proc", "%.3f", inside);
    double limit = kind == Kind::fiber ? 8192 : 1024;
    line("resident memory per idle process", median(bytes), "bytes", "%.0f",
         kind == Kind::fiber ? "<= 8 KiB" : "<= 1 KiB", median(bytes) <= limit, bytes);
    if (kind == Kind::fiber) {
      auto ret = in_child<ReturnResult>([&] { return measure_memory_return(cfg.spawn_n, 5.0); });
      std::printf("  after all %zu exit, resident growth: %.1f MiB at once, down to %.1f MiB after %.2f s\n", cfg.spawn_n,
                  ret.held_mib, ret.left_mib, ret.seconds);
    }
    std::printf("\n");
  }

  for (unsigned workers : {1u, 2u}) {
    std::vector<double> rts;
    for (int r = 0; r < cfg.reps; ++r) {
      rts.push_back(in_child<PingPongResult>([&] { return measure_pingpong(cfg.pingpong_n, workers); }).round_trips_per_s / 1e6);
    }
    std::printf("ping-pong: two fiber processes, %zu round trips, %u worker%s\n", cfg.pingpong_n, workers,
                workers == 1 ? "" : "s");
    if (workers == 1) {
      line("round trips per second", median(rts), "M/s", "%.2f", ">= 5 M/s", median(rts) >= 5.0, rts);
    } else {
      info("round trips per second", median(rts), "M/s", "%.2f", rts);
    }
    std::printf("\n");
  }
  std::printf("%d target(s) missed; total %.1f s\n", misses, seconds_since(t_start));
  return 0;
}
