// moira_compare: the moira side of the side-by-side benchmark (moira vs Erlang/OTP vs CAF), run by
// bench/run. Each workload checks its own result (a count or a sum) and exits 1 if the check
// fails, so no work can be skipped.
//
// Usage: moira_compare WORKLOAD ARGS...
//   spawn N fiber|stackless|hibernating
//                             N idle processes (waiting in receive), spawned by one process:
//                             µs per spawn (first spawn until all have run) and resident KiB per
//                             idle process; cold (fresh memory) and warm (a second wave after
//                             the first was killed, so pools and stacks are recycled); and µs per
//                             wake-up of an idle process (a message to each, which it receives
//                             before waiting again). hibernating: fibers that hibernate
//                             (Process::hibernate) each time they wait.
//   pingpong N                two fiber processes, N round trips
//   ring P H [KIND]           P processes in a ring, one token passed H hops; KIND fiber (the
//                             default) or stackless (server processes: result `ring_stackless`)
//   skynet N                  a tree of processes, 10 children each, down to N leaves (N a power
//                             of 10); leaves send their number up, parents sum; sum = N(N-1)/2
//   fanin S M                 S senders each send M/S messages to one receiver
//   sim_pingpong N            the simulator alone (sim::Simulation, one thread): N round trips,
//                             the pinger sleeping 1 ms of virtual time after each
//   sim_ring P H              the simulator alone: P processes, H hops, each sleeping 1 ms of
//                             virtual time before passing the token on
//
// Output (stdout, nothing else): one line per figure, `RESULT <workload> <metric> <value> <unit>`.
// Diagnostics go to stderr. The engine has one worker per hardware thread (MOIRA_BENCH_WORKERS=N
// overrides it, for experiments; bench/run never sets it). MOIRA_BENCH_HIBERNATE_AFTER_MS=T turns
// on automatic hibernation (Options::hibernate_after); spawn then measures memory and wake-up once
// the idle processes have hibernated. Wall clocks are used here, to measure.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/bench_common.hpp"
#include "runtime/moira.hpp"
#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;
using bench::Clock;

namespace {

using bench::resident_bytes;
using bench::seconds_since;
using bench::idle_fiber;
using bench::idle_hibernating_fiber;
using bench::idle_poked;
using bench::Poke;
using bench::idle_started;
using bench::IdleStackless;
using bench::Stop;

// A /proc/self/status figure in KiB (VmHWM: peak resident set; VmPTE: page tables), for
// diagnostics on stderr.
long status_kib(const char* field) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, field, std::strlen(field)) == 0) kib = std::atol(line + std::strlen(field));
  }
  std::fclose(f);
  return kib;
}

long minor_faults() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "moira_compare: CHECK FAILED: %s\n", what.c_str());
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(1);
}

void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

void result(const std::string& workload, const char* metric, double value, const char* unit) {
  std::printf("RESULT %s %s %.6g %s\n", workload.c_str(), metric, value, unit);
  std::fflush(stdout);
}

std::uint64_t arg_u64(int argc, char** argv, int i, const char* name) {
  if (i >= argc) {
    std::fprintf(stderr, "moira_compare: missing argument %s\n", name);
    std::exit(64);
  }
  char* end = nullptr;
  unsigned long long v = std::strtoull(argv[i], &end, 10);
  if (!end || *end != '\0' || v == 0) {
    std::fprintf(stderr, "moira_compare: bad %s '%s'\n", name, argv[i]);
    std::exit(64);
  }
  return v;
}

// The scheduler's counters (stderr): what it cost per unit of work, for comparing a quiet run with
// one where another process competes for the cores.
void report_counters(const char* workload, const ThreadedEngine& engine, std::uint64_t units, const char* unit) {
  ThreadedEngine::Counters c = engine.counters();
  double per = 1000.0 / static_cast<double>(units);
  auto k = [&](std::uint64_t v) { return static_cast<double>(v) * per; };
  std::fprintf(stderr,
               "%s: %u workers; per 1000 %s: slices %.1f migrations %.2f yields %.2f skips %.2f parked %.2f steals %.2f steal_misses %.1f "
               "parks %.2f wakeups %.2f futile_wakeups %.2f notifies %.2f; auto_hibernations %llu\n",
               workload, engine.worker_count(), unit, k(c.slices), k(c.migrations), k(c.yields), k(c.skips), k(c.parked), k(c.steals),
               k(c.steal_misses), k(c.parks), k(c.wakeups), k(c.futile_wakeups), k(c.notifies),
               static_cast<unsigned long long>(c.auto_hibernations));
}

ThreadedEngine::Options engine_options() {
  ThreadedEngine::Options o;
  if (const char* w = std::getenv("MOIRA_BENCH_WORKERS")) o.workers = static_cast<unsigned>(std::atoi(w));
  if (const char* k = std::getenv("MOIRA_BENCH_STACK_KIB")) o.stack_size = std::size_t(std::atoi(k)) << 10;
  if (const char* h = std::getenv("MOIRA_BENCH_HIBERNATE_AFTER_MS")) o.hibernate_after = std::chrono::milliseconds{std::atoi(h)};
  return o;
}

// ------------------------------------------------------------------------------------------------
// spawn

// One wave: a process spawns n idle processes (as Erlang code would: spawns from inside a process
// go to its worker's own deque); timed from before the spawner is spawned until the engine is
// idle, i.e. every process has run to its receive.
enum class IdleKind { fiber, stackless, hibernating };

double spawn_wave(ThreadedEngine& engine, IdleKind kind, std::uint64_t n, std::vector<Pid>& pids) {
  pids.clear();
  idle_started.store(0);
  long faults0 = minor_faults();
  auto t0 = Clock::now();
  engine.spawn([&pids, kind, n](Process& self) {
    for (std::uint64_t i = 0; i < n; ++i) {
      pids.push_back(kind == IdleKind::fiber         ? self.spawn(idle_fiber)
                     : kind == IdleKind::hibernating ? self.spawn(idle_hibernating_fiber)
                                                     : self.spawn_stackless<IdleStackless>({}));
    }
  });
  engine.run_until_idle();
  double s = seconds_since(t0);
  std::fprintf(stderr, "spawn: wave of %llu took %.3f s, %ld minor page faults\n", static_cast<unsigned long long>(n), s,
               minor_faults() - faults0);
  check(idle_started.load() == n, "spawn: " + std::to_string(idle_started.load()) + " of " + std::to_string(n) + " started");
  check(pids.size() == n, "spawn: pid count");
  check(engine.process_count() == n, "spawn: process count " + std::to_string(engine.process_count()));
  return s;
}

// One process sends each idle process a Poke, which wakes it; timed until all have received it
// and are waiting again.
double poke_wave(ThreadedEngine& engine, const std::vector<Pid>& pids) {
  idle_poked.store(0);
  auto t0 = Clock::now();
  engine.spawn([&pids](Process& self) {
    for (Pid p : pids) self.send(p, Poke{});
  });
  engine.run_until_idle();
  double s = seconds_since(t0);
  check(idle_poked.load() == pids.size(), "spawn: " + std::to_string(idle_poked.load()) + " of " +
                                              std::to_string(pids.size()) + " woken");
  return s;
}

void kill_wave(ThreadedEngine& engine, const std::vector<Pid>& pids) {
  auto t0 = Clock::now();
  for (Pid p : pids) engine.exit(p, Reason::kill());
  engine.run_until_idle();
  std::fprintf(stderr, "spawn: killing %zu took %.3f s\n", pids.size(), seconds_since(t0));
  check(engine.process_count() == 0, "spawn: processes left after kill: " + std::to_string(engine.process_count()));
}

int run_spawn(std::uint64_t n, std::string_view kind_name) {
  IdleKind kind = kind_name == "fiber" ? IdleKind::fiber : kind_name == "hibernating" ? IdleKind::hibernating : IdleKind::stackless;
  if (kind == IdleKind::stackless && kind_name != "stackless") {
    std::fprintf(stderr, "moira_compare: spawn KIND is fiber, stackless or hibernating\n");
    return 64;
  }
  ThreadedEngine engine{engine_options()};
  std::vector<Pid> pids;
  pids.reserve(n);
  engine.run_until_idle();
  // Resident memory is "what N idle processes hold": RSS while they wait minus RSS before the
  // first wave (the pid vector is reserved before, so it is not counted). Warm: the same baseline,
  // so the figure is what the second wave holds, on recycled memory.
  double rss0 = static_cast<double>(resident_bytes());
  double cold = spawn_wave(engine, kind, n, pids);
  // Automatic hibernation (MOIRA_BENCH_HIBERNATE_AFTER_MS): the idle processes hibernate once
  // they have waited a whole sweep period; memory and wake-up are measured after that.
  Duration hibernate_after = engine_options().hibernate_after;
  if (hibernate_after > Duration::zero()) {
    auto t0 = Clock::now();
    while (detail::hibernating_processes() < n && Clock::now() - t0 < 10 * hibernate_after + 60s) std::this_thread::sleep_for(hibernate_after);
    std::fprintf(stderr, "spawn: %zu hibernated automatically after %.3f s\n", detail::hibernating_processes(), seconds_since(t0));
  }
  double rss_cold = static_cast<double>(resident_bytes());
  // Page tables are not in the resident set, but a stack's first touch costs its share of one.
  std::fprintf(stderr, "spawn: page tables %ld KiB (%.2f KiB per process)\n", status_kib("VmPTE:"),
               static_cast<double>(status_kib("VmPTE:")) / static_cast<double>(n));
  if (kind == IdleKind::hibernating) {
    std::fprintf(stderr, "spawn: %zu hibernating\n", detail::hibernating_processes());
    check(detail::hibernating_processes() == n, "spawn: not every idle process hibernates");
  }
  double wake = poke_wave(engine, pids);
  kill_wave(engine, pids);
  double warm = spawn_wave(engine, kind, n, pids);
  if (hibernate_after > Duration::zero()) {
    auto t0 = Clock::now();
    while (detail::hibernating_processes() < n && Clock::now() - t0 < 10 * hibernate_after + 60s) std::this_thread::sleep_for(hibernate_after);
  }
  double rss_warm = static_cast<double>(resident_bytes());
  kill_wave(engine, pids);
  double dn = static_cast<double>(n);
  std::string k{kind_name};
  result("spawn_cold_" + k, "us_per_spawn", cold * 1e6 / dn, "us");
  result("spawn_cold_" + k, "kib_per_process", (rss_cold - rss0) / 1024.0 / dn, "KiB");
  result("spawn_warm_" + k, "us_per_spawn", warm * 1e6 / dn, "us");
  result("spawn_warm_" + k, "kib_per_process", (rss_warm - rss0) / 1024.0 / dn, "KiB");
  result("wake_idle_" + k, "us_per_wakeup", wake * 1e6 / dn, "us");
  return 0;
}

// ------------------------------------------------------------------------------------------------
// pingpong

struct Ping {  // for the simulator's ping-pong below
  Pid from;
  std::uint64_t n;
};
struct Pong {
  std::uint64_t n;
};

int run_pingpong(std::uint64_t n) {
  ThreadedEngine engine{engine_options()};
  bench::PingPongRun run = bench::pingpong(engine, n);
  check(run.pongs_matched == n, "pingpong: matching pongs");
  check(run.pings_seen == n, "pingpong: pings seen by the ponger");
  check(run.checksum == n * (n - 1) / 2, "pingpong: checksum");
  check(engine.process_count() == 0, "pingpong: processes left");
  report_counters("pingpong", engine, n, "round trips");
  result("pingpong", "round_trips_per_s", static_cast<double>(n) / run.seconds, "1/s");
  return 0;
}

// ------------------------------------------------------------------------------------------------
// ring

struct Next {
  Pid pid;
};
struct Token {
  std::uint64_t left;  // hops still to make
};
struct Done {};

// A ring member: learns its successor, then passes the token on until it has no hops left, which
// it reports to the coordinator; on Stop it adds the hops it made to `hops`.
void ring_member(Process& self, Pid coordinator, std::atomic<std::uint64_t>* hops) {
  Pid next = self.receive<Next>().pid;
  std::uint64_t made = 0;
  for (bool done = false; !done;) {
    self.receive(
        [&](const Token& t) {
          if (t.left == 0) {
            self.send(coordinator, Done{});
          } else {
            ++made;
            self.send(next, Token{t.left - 1});
          }
        },
        [&](const Stop&) { done = true; });
  }
  hops->fetch_add(made, std::memory_order_relaxed);
}

// The same member as a server (stackless) process: no stack, so a hop touches only the Process.
class RingMemberServer final : public Stackless {
 public:
  RingMemberServer(Pid coordinator, std::atomic<std::uint64_t>* hops) : coordinator_(coordinator), hops_(hops) {}
  void handle(Process& self, Message msg) override {
    if (const Token* t = msg.try_get<Token>()) {
      if (t->left == 0) {
        self.send(coordinator_, Done{});
      } else {
        ++made_;
        self.send(next_, Token{t->left - 1});
      }
    } else if (const Next* n = msg.try_get<Next>()) {
      next_ = n->pid;
    } else if (msg.is<Stop>()) {
      hops_->fetch_add(made_, std::memory_order_relaxed);
      self.exit(Reason::normal());
    }
  }

 private:
  Pid coordinator_;
  Pid next_;
  std::uint64_t made_ = 0;
  std::atomic<std::uint64_t>* hops_;
};

int run_ring(std::uint64_t p, std::uint64_t h, bool fiber) {
  ThreadedEngine engine{engine_options()};
  std::atomic<std::uint64_t> hops{0};
  std::atomic<double> elapsed{0};
  std::atomic<bool> done{false};
  engine.spawn([&, p, h](Process& self) {
    std::vector<Pid> ring;
    ring.reserve(p);
    for (std::uint64_t i = 0; i < p; ++i) {
      ring.push_back(fiber ? self.spawn(ring_member, self.self(), &hops)
                           : self.spawn_stackless<RingMemberServer>({}, self.self(), &hops));
    }
    for (std::uint64_t i = 0; i < p; ++i) self.send(ring[i], Next{ring[(i + 1) % p]});
    auto t0 = Clock::now();
    self.send(ring[0], Token{h});
    self.receive<Done>();
    elapsed.store(seconds_since(t0));
    done.store(true);
    for (Pid m : ring) self.send(m, Stop{});
  });
  engine.run_until_idle();
  check(done.load(), "ring: the token never came back");
  check(hops.load() == h, "ring: " + std::to_string(hops.load()) + " hops made, " + std::to_string(h) + " asked");
  check(engine.process_count() == 0, "ring: processes left");
  report_counters("ring", engine, h, "hops");
  result(fiber ? "ring" : "ring_stackless", "hops_per_s", static_cast<double>(h) / elapsed.load(), "1/s");
  return 0;
}

// ------------------------------------------------------------------------------------------------
// skynet
//
// Fiber processes. 1M leaves make 1,111,111 processes in all; each idle fiber holds ~4.4 KiB
// resident, so all of them alive at once would be ~4.8 GiB (of 24 GiB here). They are not: a
// spawn goes to the spawning worker's LIFO deque, so the tree unfolds depth-first and most
// processes have finished before their cousins start (thieves take the oldest, i.e. breadth, so
// some more are alive at once). The peak resident set is printed on stderr.

struct Sum {
  std::uint64_t value;
};

void skynet(Process& self, Pid parent, std::uint64_t num, std::uint64_t size) {
  if (size == 1) {
    self.send(parent, Sum{num});
    return;
  }
  std::uint64_t step = size / 10;
  for (std::uint64_t i = 0; i < 10; ++i) self.spawn(skynet, self.self(), num + i * step, step);
  std::uint64_t total = 0;
  for (int i = 0; i < 10; ++i) total += self.receive<Sum>().value;
  self.send(parent, Sum{total});
}

int run_skynet(std::uint64_t n) {
  for (std::uint64_t m = n; m > 1; m /= 10) {
    if (m % 10 != 0) {
      std::fprintf(stderr, "moira_compare: skynet N must be a power of 10\n");
      return 64;
    }
  }
  ThreadedEngine engine{engine_options()};
  std::atomic<std::uint64_t> sum{0};
  std::atomic<double> elapsed{0};
  std::atomic<bool> done{false};
  engine.spawn([&, n](Process& self) {
    auto t0 = Clock::now();
    self.spawn(skynet, self.self(), std::uint64_t{0}, n);
    sum.store(self.receive<Sum>().value);
    elapsed.store(seconds_since(t0));
    done.store(true);
  });
  engine.run_until_idle();
  check(done.load(), "skynet: no answer");
  check(sum.load() == n * (n - 1) / 2, "skynet: sum " + std::to_string(sum.load()) + ", expected " +
                                           std::to_string(n * (n - 1) / 2));
  check(engine.process_count() == 0, "skynet: processes left");
  std::fprintf(stderr, "skynet: peak resident %ld KiB\n", status_kib("VmHWM:"));
  result("skynet", "seconds", elapsed.load(), "s");
  return 0;
}

// ------------------------------------------------------------------------------------------------
// fanin

struct FanItem {
  std::uint64_t value;
};

int run_fanin(std::uint64_t s, std::uint64_t m) {
  ThreadedEngine engine{engine_options()};
  std::atomic<std::uint64_t> count{0}, sum{0};
  std::atomic<double> elapsed{0};
  engine.spawn([&, s, m](Process& self) {
    auto t0 = Clock::now();
    // t0 by value: the spawning process may have ended (its stack reused) before the receiver does.
    Pid receiver = self.spawn([&, m, t0](Process& me) {
      std::uint64_t c = 0, total = 0;
      while (c < m) {
        me.receive([&](const FanItem& it) {
          ++c;
          total += it.value;
        });
      }
      elapsed.store(seconds_since(t0));
      count.store(c);
      sum.store(total);
    });
    // Sender i sends values i*per .. (i+1)*per-1 (the last one also the remainder): together 0..m-1.
    std::uint64_t per = m / s;
    for (std::uint64_t i = 0; i < s; ++i) {
      std::uint64_t first = i * per, last = i + 1 == s ? m : first + per;
      self.spawn(
          [](Process& me, Pid to, std::uint64_t a, std::uint64_t b) {
            for (std::uint64_t v = a; v < b; ++v) me.send(to, FanItem{v});
          },
          receiver, first, last);
    }
  });
  engine.run_until_idle();
  check(count.load() == m, "fanin: count " + std::to_string(count.load()));
  check(sum.load() == m * (m - 1) / 2, "fanin: checksum");
  check(engine.process_count() == 0, "fanin: processes left");
  report_counters("fanin", engine, m, "messages");
  std::fprintf(stderr, "fanin: peak resident %ld KiB\n", status_kib("VmHWM:"));
  result("fanin", "messages_per_s", static_cast<double>(m) / elapsed.load(), "1/s");
  return 0;
}

// ------------------------------------------------------------------------------------------------
// The simulator alone

sim::Options sim_options() {
  sim::Options o;
  o.keep_decisions = false;
  o.max_steps = ~0ull;
  o.max_virtual_time = std::chrono::hours{24 * 365};
  return o;
}

void sim_results(const std::string& workload, const sim::RunResult& r, double wall) {
  double virtual_s = std::chrono::duration<double>(r.virtual_time).count();
  std::fprintf(stderr, "%s: %llu steps, %llu decisions, %llu delivered, %.3f virtual s in %.3f wall s\n",
               workload.c_str(), static_cast<unsigned long long>(r.steps), static_cast<unsigned long long>(r.decisions),
               static_cast<unsigned long long>(r.delivered), virtual_s, wall);
  result(workload, "decisions_per_s", static_cast<double>(r.decisions) / wall, "1/s");
  result(workload, "virtual_s_per_wall_s", virtual_s / wall, "x");
}

int run_sim_pingpong(std::uint64_t n) {
  sim::Simulation s{sim_options()};
  std::uint64_t pongs = 0, pings = 0, total = 0;  // one thread: plain variables
  Pid ponger = s.spawn([&](Process& self) {
    for (bool done = false; !done;) {
      self.receive(
          [&](const Ping& p) {
            ++pings;
            self.send(p.from, Pong{p.n});
          },
          [&](const Stop&) { done = true; });
    }
  });
  s.spawn(
      [&, n](Process& self, Pid to) {
        for (std::uint64_t i = 0; i < n; ++i) {
          self.send(to, Ping{self.self(), i});
          Pong p = self.receive<Pong>();
          if (p.n == i) ++pongs;
          total += p.n;
          self.sleep(1ms);
        }
        self.send(to, Stop{});
      },
      ponger);
  auto t0 = Clock::now();
  sim::RunResult r = s.run();
  double wall = seconds_since(t0);
  check(r.outcome == sim::Outcome::completed, "sim_pingpong: " + r.describe());
  check(pongs == n && pings == n && total == n * (n - 1) / 2, "sim_pingpong: counts");
  sim_results("sim_pingpong", r, wall);
  return 0;
}

int run_sim_ring(std::uint64_t p, std::uint64_t h) {
  sim::Simulation s{sim_options()};
  std::uint64_t hops = 0;
  bool done = false;
  s.spawn([&, p, h](Process& self) {
    std::vector<Pid> ring;
    ring.reserve(p);
    for (std::uint64_t i = 0; i < p; ++i) {
      ring.push_back(self.spawn([&hops](Process& me, Pid coordinator) {
        Pid next = me.receive<Next>().pid;
        for (bool stop = false; !stop;) {
          me.receive(
              [&](const Token& t) {
                if (t.left == 0) {
                  me.send(coordinator, Done{});
                } else {
                  me.sleep(1ms);
                  ++hops;
                  me.send(next, Token{t.left - 1});
                }
              },
              [&](const Stop&) { stop = true; });
        }
      }, self.self()));
    }
    for (std::uint64_t i = 0; i < p; ++i) self.send(ring[i], Next{ring[(i + 1) % p]});
    self.send(ring[0], Token{h});
    self.receive<Done>();
    done = true;
    for (Pid m : ring) self.send(m, Stop{});
  });
  auto t0 = Clock::now();
  sim::RunResult r = s.run();
  double wall = seconds_since(t0);
  check(r.outcome == sim::Outcome::completed, "sim_ring: " + r.describe());
  check(done && hops == h, "sim_ring: " + std::to_string(hops) + " hops of " + std::to_string(h));
  sim_results("sim_ring", r, wall);
  return 0;
}

// The optional process-kind argument: fiber (the default) or stackless; -1 if it is neither.
int kind_arg(int argc, char** argv, int i) {
  if (i >= argc) return 1;
  std::string_view k = argv[i];
  return k == "fiber" ? 1 : k == "stackless" ? 0 : -1;
}

int usage() {
  std::fprintf(stderr,
               "usage: moira_compare spawn N fiber|stackless|hibernating | pingpong N | ring P H | skynet N | fanin S M |"
               " sim_pingpong N | sim_ring P H\n");
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string_view w = argv[1];
  if (w == "spawn") {
    if (argc < 4) return usage();
    return run_spawn(arg_u64(argc, argv, 2, "N"), argv[3]);
  }
  if (w == "pingpong") return run_pingpong(arg_u64(argc, argv, 2, "N"));
  if (w == "ring") {
    int fiber = kind_arg(argc, argv, 4);
    if (fiber < 0) return usage();
    return run_ring(arg_u64(argc, argv, 2, "P"), arg_u64(argc, argv, 3, "H"), fiber == 1);
  }
  if (w == "skynet") return run_skynet(arg_u64(argc, argv, 2, "N"));
  if (w == "fanin") return run_fanin(arg_u64(argc, argv, 2, "S"), arg_u64(argc, argv, 3, "M"));
  if (w == "sim_pingpong") return run_sim_pingpong(arg_u64(argc, argv, 2, "N"));
  if (w == "sim_ring") return run_sim_ring(arg_u64(argc, argv, 2, "P"), arg_u64(argc, argv, 3, "H"));
  return usage();
}
