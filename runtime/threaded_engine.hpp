#pragma once
// Runs processes on N worker threads: per-worker LIFO deques with work stealing, a shared FIFO
// for work from outside and for processes that used up their reduction budget, a per-worker FIFO
// that is never stolen from for senders kept with a congested receiver (pin_congested_senders),
// workers that park (futex) when there is nothing to steal, and a timer thread.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "runtime/engine.hpp"
#include "runtime/process.hpp"

namespace moira {

class ThreadedEngine final : public Engine {
 public:
  struct Options {
    unsigned workers = 0;  // 0: one per hardware thread
    std::size_t stack_size = std::size_t{128} << 10;
    std::uint64_t seed = 0x6d6f697261;  // for Process::random()
    int reductions_per_slice = 4000;    // sends/receives/spawns before a process must yield
    // A sender that finds its receiver's backlog long (Process::kParkLevel) is parked behind it
    // until the backlog is worked down. Off only to measure what it prevents.
    bool park_congested_senders = true;
    // A sender whose slice found its receiver congested stays on its worker (not stolen) until a
    // slice finds no congestion; parked behind the receiver, it comes back on the receiver's
    // worker. Off only to measure what it prevents.
    bool pin_congested_senders = true;
    // Automatic hibernation: a fiber process that has waited in receive for hibernate_after (up to
    // twice that: a sweep thread looks every hibernate_after) hibernates as if it had called
    // Process::hibernate(), giving its stack pages back until its next message. Zero: never.
    Duration hibernate_after = Duration::zero();
  };

  ThreadedEngine();
  explicit ThreadedEngine(Options options);
  ~ThreadedEngine() override;  // shutdown()

  // Blocks until no process can run and no timer is pending (processes may still be waiting in
  // receive without a timeout: those will never run again without a message).
  void run_until_idle();
  // Kills every process (destructors of blocked fibers run), then joins every thread. Idempotent.
  void shutdown();
  unsigned worker_count() const;
  std::size_t process_count() const;
  // For code outside any process; blocks until the process answers (nullopt: it does not exist).
  std::optional<ProcessInfo> process_info(Pid pid);
  // One hibernation sweep now (what the sweep thread of Options::hibernate_after does at each
  // period): hibernates every fiber that has waited in receive since before the previous sweep.
  // Returns how many it hibernated. For tests, and for a program that knows it is about to idle.
  std::size_t hibernate_idle();

  // What the scheduler did, per worker: for benchmarks and for tests that bound the scheduler's
  // overhead per message (a count, unlike a time, does not depend on the machine's load). Each
  // worker counts on its own cache line with relaxed stores; read while workers run, the figures
  // are a moment's approximation.
  struct Counters {
    std::uint64_t slices = 0;          // process slices run
    std::uint64_t migrations = 0;      // slices run on another worker than the process's previous one
    std::uint64_t yields = 0;          // slices that used up their budget (to the shared FIFO, or a pinned one to its worker)
    std::uint64_t skips = 0;           // turns a process sat out, still owing reductions for congested sends
    std::uint64_t parked = 0;          // senders parked behind a congested receiver (Process::park_sender)
    std::uint64_t steals = 0;          // processes taken from another worker's deque or the FIFO while searching
    std::uint64_t steal_misses = 0;    // steal attempts (one sweep over the victims) that found nothing
    std::uint64_t parks = 0;           // times the worker went to sleep (futex wait)
    std::uint64_t wakeups = 0;         // times it was woken from sleep
    std::uint64_t futile_wakeups = 0;  // woken, then asleep again without running anything
    std::uint64_t notifies = 0;        // wake-ups of a sleeping worker this worker asked for
    std::uint64_t auto_hibernations = 0;  // fibers hibernated by sweeps (hibernate_idle); engine-wide, in counters() only
    Counters& operator+=(const Counters& o);
  };
  Counters counters() const;  // summed over the workers
  std::vector<Counters> worker_counters() const;

  // Engine
  Pid spawn_process(Process* parent, detail::ProcessBody body, const SpawnOptions& opts) override;
  void deliver(detail::ItemPtr item) override;
  void schedule(Process& p) override;
  bool preemption_point(Process& p, PointKind kind, const detail::Item* received) override;
  Time now() const override;
  Ref start_timer(Pid to, Duration after, detail::ItemPtr item) override;
  std::optional<Duration> cancel_timer(Ref timer) override;
  std::optional<Duration> read_timer(Ref timer) override;
  std::uint64_t random(Process& p) override;
  Ref make_ref() override;
  Node* find_node(NodeId id) override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace moira
