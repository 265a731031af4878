#pragma once
// Runs processes on N worker threads: per-worker LIFO deques with work stealing, a shared FIFO
// for work from outside and for processes that used up their reduction budget, workers that park
// (futex) when there is nothing to steal, and a timer thread.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

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
