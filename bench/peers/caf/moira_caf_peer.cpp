// moira_caf_peer: the CAF (C++ Actor Framework 0.17, Debian's libcaf-dev) side of bench/run.
//
// Built OUTSIDE the project's CMake (CI has no CAF), with Debian's g++ 12:
//   g++ -std=c++17 -O2 -o moira_caf_peer bench/peers/caf/moira_caf_peer.cpp -lcaf_core -pthread
//
// Usage: moira_caf_peer WORKLOAD ARGS...
//   spawn N        N idle event-based actors (cold wave, then a warm wave after the first exited)
//   pingpong N     two actors, N round trips
//   ring P H       P actors in a ring, a token passed H hops in total
//   skynet N       tree of actors, 10 children each, down to N leaves; leaves return their number
//   fanin S M      S senders each send M/S messages to one receiver
//
// Same algorithms as the Erlang and moira versions; each workload checks its own result and exits 1
// if the check fails. Output: one line per figure, `RESULT <workload> <metric> <value> <unit>`,
// nothing else on stdout. Timing uses std::chrono::steady_clock.
//
// Scheduler: CAF's defaults (work-stealing, worker threads = hardware concurrency). Nothing tuned.
// The main thread talks to the actors through a scoped_actor; it counts as a running actor (even
// when "hidden"), so the workload waits for the registry's running count to fall back to that one.

#include <caf/all.hpp>

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using namespace caf;

namespace {

using started_atom = atom_constant<atom("started")>;
using all_atom = atom_constant<atom("all")>;
using stop_atom = atom_constant<atom("stop")>;
using ping_atom = atom_constant<atom("ping")>;
using pong_atom = atom_constant<atom("pong")>;
using done_atom = atom_constant<atom("done")>;
using next_atom = atom_constant<atom("next")>;
using token_atom = atom_constant<atom("token")>;
using result_atom = atom_constant<atom("result")>;
using msg_atom = atom_constant<atom("msg")>;

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

void result(const char* workload, const char* metric, double value, const char* unit) {
  std::printf("RESULT %s %s %.6g %s\n", workload, metric, value, unit);
  std::fflush(stdout);
}

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "moira_caf_peer: check failed: %s\n", what.c_str());
  std::exit(1);
}

long resident_kib() {  // second field of /proc/self/statm (resident pages) x page size
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

size_t baseline_running = 0;

// Waits until every actor the workload spawned has terminated (only main's scoped_actor is left).
void await_workload_actors(actor_system& sys) {
  sys.registry().await_running_count_equal(baseline_running);
}

// ---------------------------------------------------------------------------------------------
// spawn: counter collects N `started` signals, then tells main; idle actors wait for `stop`.

behavior spawn_counter(event_based_actor* self, int64_t n, actor main_actor) {
  auto count = std::make_shared<int64_t>(0);
  return {
    [=](started_atom) {
      if (++*count == n) self->send(main_actor, all_atom::value, *count);
    },
    [=](stop_atom) { self->quit(); },
  };
}

behavior idle_actor(event_based_actor* self, actor counter) {
  self->send(counter, started_atom::value);  // runs on a worker when the actor first runs
  return {
    [=](stop_atom) { self->quit(); },
  };
}

// Resident memory is "what N idle actors hold": RSS while they all wait minus RSS before the first
// wave (the handle vector is allocated and touched before, so it is not counted). The warm wave uses
// the same baseline, so its figure is what the second wave holds on the recycled memory (the same
// convention as bench/compare_moira.cpp).
void spawn_wave(actor_system& sys, scoped_actor& self, std::vector<actor>& actors, long rss0,
                const char* label) {
  auto n = static_cast<int64_t>(actors.size());
  auto t0 = clock_type::now();
  auto counter = sys.spawn(spawn_counter, n, actor{self});
  for (auto& a : actors) a = sys.spawn(idle_actor, counter);
  int64_t got = 0;
  self->receive([&](all_atom, int64_t c) { got = c; });
  double elapsed = seconds_since(t0);
  long rss1 = resident_kib();
  if (got != n) fail("spawn: " + std::to_string(got) + " started, expected " + std::to_string(n));
  if (sys.registry().running() != baseline_running + static_cast<size_t>(n) + 1)
    fail("spawn: " + std::to_string(sys.registry().running() - baseline_running - 1) +
         " actors running, expected " + std::to_string(n));
  result(label, "us_per_spawn", elapsed * 1e6 / static_cast<double>(n), "us");
  result(label, "kib_per_process", static_cast<double>(rss1 - rss0) / static_cast<double>(n), "KiB");
  for (auto& a : actors) self->send(a, stop_atom::value);
  // Handles dropped only after all stops are sent: dropping each right after its send made the
  // teardown (not timed) 2-10x slower, main and the workers contending on the allocator.
  for (auto& a : actors) a = actor{};
  self->send(counter, stop_atom::value);
  await_workload_actors(sys);
}

int run_spawn(actor_system& sys, scoped_actor& self, int64_t n) {
  std::vector<actor> actors(static_cast<size_t>(n));
  long rss0 = resident_kib();
  spawn_wave(sys, self, actors, rss0, "spawn_cold");
  spawn_wave(sys, self, actors, rss0, "spawn_warm");
  return 0;
}

// ---------------------------------------------------------------------------------------------
// pingpong

behavior pong_actor(event_based_actor* self) {
  return {
    [=](ping_atom, int64_t i) {
      self->send(actor_cast<actor>(self->current_sender()), pong_atom::value, i);
    },
    [=](stop_atom) { self->quit(); },
  };
}

behavior ping_actor(event_based_actor* self, actor pong, int64_t n, actor main_actor) {
  auto count = std::make_shared<int64_t>(0);
  self->send(pong, ping_atom::value, int64_t{1});
  return {
    [=](pong_atom, int64_t i) {
      ++*count;
      if (i == n) {
        self->send(main_actor, done_atom::value, *count);
        self->send(pong, stop_atom::value);
        self->quit();
      } else {
        self->send(pong, ping_atom::value, i + 1);
      }
    },
  };
}

int run_pingpong(actor_system& sys, scoped_actor& self, int64_t n) {
  auto t0 = clock_type::now();
  auto pong = sys.spawn(pong_actor);
  sys.spawn(ping_actor, pong, n, actor{self});
  int64_t got = 0;
  self->receive([&](done_atom, int64_t c) { got = c; });
  double elapsed = seconds_since(t0);
  if (got != n) fail("pingpong: " + std::to_string(got) + " round trips, expected " + std::to_string(n));
  result("pingpong", "round_trips_per_s", static_cast<double>(n) / elapsed, "1/s");
  await_workload_actors(sys);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// ring: node i forwards the token (hops left) to node i+1; the node receiving 0 reports its index.

behavior ring_node(event_based_actor* self, int64_t index, actor main_actor) {
  return {
    [=](next_atom, actor next) {
      self->become(
        [=](token_atom, int64_t left) {
          if (left == 0)
            self->send(main_actor, done_atom::value, index);
          else
            self->send(next, token_atom::value, left - 1);
        },
        [=](stop_atom) { self->quit(); });
    },
  };
}

int run_ring(actor_system& sys, scoped_actor& self, int64_t p, int64_t h) {
  auto t0 = clock_type::now();
  std::vector<actor> nodes;
  nodes.reserve(static_cast<size_t>(p));
  for (int64_t i = 0; i < p; ++i) nodes.push_back(sys.spawn(ring_node, i, actor{self}));
  for (int64_t i = 0; i < p; ++i)
    self->send(nodes[static_cast<size_t>(i)], next_atom::value, nodes[static_cast<size_t>((i + 1) % p)]);
  self->send(nodes[0], token_atom::value, h);
  int64_t last = -1;
  self->receive([&](done_atom, int64_t index) { last = index; });
  double elapsed = seconds_since(t0);
  if (last != h % p)
    fail("ring: token ended at node " + std::to_string(last) + ", expected " + std::to_string(h % p));
  result("ring", "hops_per_s", static_cast<double>(h) / elapsed, "1/s");
  for (auto& n : nodes) self->send(n, stop_atom::value);
  nodes.clear();
  await_workload_actors(sys);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// skynet: each actor spawns 10 children down to leaves of size 1; leaves return their number.

behavior skynet_actor(event_based_actor* self, int64_t num, int64_t size, actor parent) {
  if (size == 1) {
    self->send(parent, result_atom::value, num);
    self->quit();
    return {};
  }
  int64_t sub = size / 10;
  for (int64_t i = 0; i < 10; ++i) self->spawn(skynet_actor, num + i * sub, sub, actor{self});
  auto sum = std::make_shared<int64_t>(0);
  auto pending = std::make_shared<int>(10);
  return {
    [=](result_atom, int64_t v) {
      *sum += v;
      if (--*pending == 0) {
        self->send(parent, result_atom::value, *sum);
        self->quit();
      }
    },
  };
}

int run_skynet(actor_system& sys, scoped_actor& self, int64_t n) {
  int64_t leaves = 1;
  while (leaves < n) leaves *= 10;
  if (leaves != n) fail("skynet: N must be a power of 10");
  auto t0 = clock_type::now();
  sys.spawn(skynet_actor, int64_t{0}, n, actor{self});
  int64_t sum = -1;
  self->receive([&](result_atom, int64_t v) { sum = v; });
  double elapsed = seconds_since(t0);
  int64_t expected = n * (n - 1) / 2;
  if (sum != expected) fail("skynet: sum " + std::to_string(sum) + ", expected " + std::to_string(expected));
  result("skynet", "seconds", elapsed, "s");
  await_workload_actors(sys);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// fanin: S senders each send M/S messages to one receiver, which counts M and tells main.

behavior fanin_receiver(event_based_actor* self, int64_t m, actor main_actor) {
  auto count = std::make_shared<int64_t>(0);
  return {
    [=](msg_atom, int64_t) {
      if (++*count == m) {
        self->send(main_actor, done_atom::value, *count);
        self->quit();
      }
    },
  };
}

void fanin_sender(event_based_actor* self, actor receiver, int64_t k) {
  for (int64_t i = 0; i < k; ++i) self->send(receiver, msg_atom::value, i);
  // no behavior returned: the actor terminates after this function
}

int run_fanin(actor_system& sys, scoped_actor& self, int64_t s, int64_t m) {
  if (s <= 0 || m % s != 0) fail("fanin: M must be a multiple of S");
  auto t0 = clock_type::now();
  auto receiver = sys.spawn(fanin_receiver, m, actor{self});
  for (int64_t i = 0; i < s; ++i) sys.spawn(fanin_sender, receiver, m / s);
  int64_t got = 0;
  self->receive([&](done_atom, int64_t c) { got = c; });
  double elapsed = seconds_since(t0);
  if (got != m) fail("fanin: " + std::to_string(got) + " messages, expected " + std::to_string(m));
  result("fanin", "messages_per_s", static_cast<double>(m) / elapsed, "1/s");
  await_workload_actors(sys);
  return 0;
}

int64_t arg(char** argv, int i) {
  char* end = nullptr;
  long long v = std::strtoll(argv[i], &end, 10);
  if (end == argv[i] || *end != '\0' || v <= 0) {
    std::fprintf(stderr, "moira_caf_peer: bad number '%s'\n", argv[i]);
    std::exit(2);
  }
  return static_cast<int64_t>(v);
}

int usage() {
  std::fprintf(stderr,
               "usage: moira_caf_peer spawn N | pingpong N | ring P H | skynet N | fanin S M\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  std::string w = argv[1];
  actor_system_config cfg;
  // MOIRA_CAF_THREADS=N: N scheduler threads instead of CAF's default max(cores, 4), so bench/run
  // can report CAF at its best configuration as well as at its default.
  if (const char* threads = std::getenv("MOIRA_CAF_THREADS")) {
    if (auto err = cfg.parse(actor_system_config::string_list{std::string{"--scheduler.max-threads="} + threads})) {
      std::fprintf(stderr, "moira_caf_peer: bad MOIRA_CAF_THREADS '%s'\n", threads);
      return 64;
    }
  }
  actor_system sys{cfg};
  std::fprintf(stderr, "moira_caf_peer: %zu scheduler threads\n", sys.scheduler().num_workers());
  scoped_actor self{sys};
  baseline_running = sys.registry().running();  // the scoped_actor counts as running in 0.17.6
  if (w == "spawn" && argc == 3) return run_spawn(sys, self, arg(argv, 2));
  if (w == "pingpong" && argc == 3) return run_pingpong(sys, self, arg(argv, 2));
  if (w == "ring" && argc == 4) return run_ring(sys, self, arg(argv, 2), arg(argv, 3));
  if (w == "skynet" && argc == 3) return run_skynet(sys, self, arg(argv, 2));
  if (w == "fanin" && argc == 4) return run_fanin(sys, self, arg(argv, 2), arg(argv, 3));
  return usage();
}
