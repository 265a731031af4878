#pragma once
// Every nondeterministic decision the simulator makes is one ChoiceSource::choose(n) call; the
// sequence of answers is the schedule. Choice 0 is always the calm one: keep running the current
// process, deliver the oldest due event, the shortest latency, no drop, no fault.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "runtime/engine.hpp"

namespace moira::sim {

class RunQueue;

enum class DecisionKind : std::uint8_t {
  schedule,  // nothing runs: which due event fires or which runnable process runs next
  preempt,   // at a preemption point: 0 keeps the current process, i > 0 switches (see ChoiceContext)
  latency,   // how long a message takes between nodes (0: the minimum)
  drop,      // whether a message is lost on a lossy link (0: delivered)
  fault,     // whether a fault happens now, and to whom (0: none)
  random,    // a process's random() value
  setting,   // swarm mode: the fault settings of this run (0: the calm setting)
  choice,    // a process's choose(n) / coin() (0: the calm alternative)
  time_jump, // at a preemption point: let virtual time jump to the next pending event now (0: no)
  buggify,   // sim::buggify(): is this point enabled this run / does it fire now (0: no)
  duplicate, // whether a message between nodes arrives twice (0: once)
};
inline constexpr std::size_t kDecisionKinds = 11;
std::string_view to_string(DecisionKind kind);
std::optional<DecisionKind> decision_kind_from(std::string_view text);

// What the simulator knows about a decision, for strategies that care (PCT); others need only n.
// For schedule and preempt the options are laid out as:
//   [the current process (preempt only)] [`events` due events, oldest first] [runnable processes]
struct ChoiceContext {
  DecisionKind kind = DecisionKind::random;
  std::uint64_t step = 0;
  std::uint64_t current = 0;  // key of the running process (preempt) or the one that ran last; 0: none
  std::size_t events = 0;
  std::span<const std::uint64_t> runnable;  // stable per-process keys (1, 2, ... in spawn order)
  // schedule: `current` gave up the CPU itself (Process::yield), not because it was preempted or
  // blocked — a priority-based strategy must let others run, or a busy-polling process spins.
  bool current_yielded = false;
  // preempt: which kind of point the running process reached.
  PointKind point = PointKind::yield;
  // schedule and preempt: the run queue itself, for strategies that keep their own index of it
  // (RunQueue::fresh lists what became runnable since the last decision).
  const RunQueue* queue = nullptr;
};

// Where a replay stopped matching its log.
struct Divergence {
  std::uint64_t decision = 0;  // index into the log
  std::uint64_t step = 0;      // the run's step when it happened
  std::string expected;        // what the log says
  std::string found;           // what the run asked for
  std::string describe() const;
};

class ChoiceSource {
 public:
  virtual ~ChoiceSource() = default;
  // A value in [0, n). The simulator also asks with n == 1 (so PCT can count steps): such a
  // query is not a decision; answer 0 and consume nothing.
  virtual std::uint64_t choose(std::uint64_t n, const ChoiceContext& ctx) = 0;
  std::uint64_t choose(std::uint64_t n) { return choose(n, ChoiceContext{}); }
  // "random seed=7", "pct depth=2 seed=3 steps=200", ... (written into decision logs)
  virtual std::string describe() const = 0;
  // Replay only: set once the run asked for something the log does not hold.
  virtual const Divergence* divergence() const { return nullptr; }
  // The run ended at `step`; a replay checks that the whole log was used.
  virtual void run_ended(std::uint64_t step) { (void)step; }
  // Whether every process that can run eventually does (with probability 1): only then is a
  // liveness failure (a monitor hot for too long) evidence of a bug rather than of starvation.
  virtual bool fair() const { return false; }
};

}  // namespace moira::sim
