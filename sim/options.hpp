#pragma once
// One plain struct of run settings. Units go last in names.
#include <chrono>
#include <cstdint>
#include <vector>

#include "runtime/time.hpp"
#include "sim/fault.hpp"

namespace moira::sim {

// Faults from rates: every `tick` of virtual time (until `until`), each kind of fault happens with
// probability rate * tick. Rate faults never keep a run alive: once only ticks are left, it ends.
struct FaultRates {
  Duration tick = std::chrono::milliseconds{10};
  Duration until = std::chrono::seconds{10};
  double kill_per_second = 0;       // a random live process is killed with reason kill
  double crash_per_second = 0;      // a random up node (not node 0) crashes ...
  Duration restart_after = std::chrono::milliseconds{200};  // ... and restarts this much later (0: stays down)
  double partition_per_second = 0;  // a random node is cut off from all others ...
  Duration heal_after = std::chrono::milliseconds{300};    // ... until this much later
  double drop_probability = 0;      // each message between nodes is lost with this probability
  // Each message between nodes arrives twice with this probability: the copy travels with a
  // latency of its own, outside its pair's FIFO order (never before the original). Erlang's
  // distribution never duplicates; this models an at-least-once transport in user code (retries).
  double duplicate_probability = 0;

  bool any() const {
    return kill_per_second > 0 || crash_per_second > 0 || partition_per_second > 0 || drop_probability > 0 ||
           duplicate_probability > 0;
  }
};

// What processes still waiting in receive when nothing else can happen mean. Undeclared counts
// as a deadlock (RunResult::ok() is false); a world of idle servers declares `fine`.
enum class WaitingAtEnd : std::uint8_t { undeclared, fine, deadlock };

struct Options {
  std::uint64_t seed = 1;  // for the default strategy (the random walk)

  // Bounds: a run that reaches one ends with Outcome::bound_exceeded.
  std::uint64_t max_steps = 50'000'000;
  Duration max_virtual_time = std::chrono::hours{24};

  // Local messages held in flight and delivered in any order that keeps per-pair FIFO.
  bool relaxed_delivery = false;
  // Between nodes: a latency from [min, max], in latency_steps equal steps, chosen per message.
  Duration latency_min = std::chrono::milliseconds{1};
  Duration latency_max = std::chrono::milliseconds{10};
  unsigned latency_steps = 10;

  std::size_t stack_size = std::size_t{128} << 10;

  WaitingAtEnd waiting_at_end = WaitingAtEnd::undeclared;

  // Timing nondeterminism: at a preemption point, virtual time may jump to the next pending event
  // (timer, message arrival, planned fault) although processes could still run, so a timeout can
  // race work in progress (a slow reply, a busy core). At most this many jumps per run (0: time
  // moves only when nothing can run). Each is a `time_jump` decision; 0 is "no jump".
  std::uint32_t time_jumps = 0;
  // With relaxed_delivery and time_jumps: a message between two local processes may also be held
  // in flight until the next pending timer is due (a `time_jump` decision, 0: no; each hold spends
  // one of the time_jumps), so a receive timeout can beat a reply that is already on its way (a
  // busy core, a GC pause). Off by default, so runs recorded before it existed replay.
  bool local_time_jumps = false;
  // A preemption point just before every send too (not only just after one), so a race between a
  // send and another process's step needs no hand-placed yield().
  bool preempt_before_send = false;
  // A preemption point when a process's body has ended, before its links and monitors hear of
  // the exit (fiber processes). Off by default: it adds a decision at every exit, so it would
  // change the schedule (and trace hash) of every run recorded before it existed.
  bool preempt_at_exit = false;
  // BUGGIFY (FoundationDB): sim::buggify() points may fire. Off: buggify() is false, no decision.
  bool buggify = false;

  bool keep_trace = false;        // keep every event (for text / JSON output), not only the hash
  // With keep_trace, keep only the last N events (0: all) / those of the last T of virtual time
  // (0: all), so a long run's trace stays small. Presentation only: runs and hashes are the same.
  std::uint64_t trace_last_events = 0;
  Duration trace_last_window{};
  bool keep_decisions = true;     // keep the decision log (for saving and replay)

  FaultRates faults{};
  // Swarm testing: when no fault rate is set, the run draws its own fault settings (as its first
  // decisions), so each seed explores a different mix.
  bool swarm = false;
  // Swarm also draws duplicate_probability. Separate so swarm runs recorded before duplication
  // existed draw the same settings (and replay).
  bool swarm_duplicate = false;
  std::vector<PlannedFault> plan{};  // scripted faults at virtual times
  // Heal-then-converge (TigerBeetle's VOPR): at virtual time `heal_at` (0: never) the fault phase
  // ends — every partition heals, downed nodes restart, link drops and delays end, rate faults and
  // planned faults not yet applied are cancelled — and every liveness monitor becomes hot with
  // its goal to reach again: one still hot `converge_within` later (or when the run ends) fails the
  // run, "did not converge within X after heal". 0: the monitors' own bounds only.
  Duration heal_at{};
  Duration converge_within{};
};

// A hash of every option that changes what a run does (not the seed: a log carries that itself).
std::uint64_t fingerprint(const Options& options);

}  // namespace moira::sim
