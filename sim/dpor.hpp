#pragma once
// Exhaustive checking with dynamic partial-order reduction: source-DPOR with sleep sets (Abdulla,
// Aronis, Jonsson, Sagonas, POPL 2014, Algorithm 1), by re-execution like sim::explore_all, over
// the `schedule` and `preempt` decisions. Other decisions (choose, coin, random up to `widest`
// options, latency, drop, fault, time jumps) are branched on in full, as explore_all does.
//
// A step is what one process (or one due event) does between two scheduling queries. Two steps of
// different processes are dependent (their order may matter) when:
//   - either fires an event, touches a timer, a monitor, a fault or an item in flight (every one of
//     those is taken as dependent with everything: the reduction is for local messaging);
//   - one spawns the other's process, or both spawn, or one spawns and one exits (pids, slots);
//   - one sends a signal (link, monitor, exit, down...) to the other's process, or wakes it, or
//     the other sends a signal to the same process;
//   - one sends a message to Q and the other is a receive (or a receive that gave up) of Q whose
//     clauses accept the message's type, or consumed it; or the other exits as Q;
//   - both send messages to Q and some receive of Q in the run consumed one of them with a clause
//     pattern that accepts the other's type: only such a receive can observe their order (the
//     "observers" idea of Aronis et al., CONCUR 2018). Guards are not evaluated: a clause for T
//     accepts every T (conservative). Messages never received are not observed.
// Sleep sets use a coarser relation (any two steps touching the same process are dependent),
// because they cannot see which receive comes later. Not seen, so not allowed to race: state shared
// between processes other than through moira (captured variables both write), names registered
// while others look them up, and sender parking (mailboxes of thousands). Use explore_all there.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "sim/decision_log.hpp"
#include "sim/runner.hpp"

namespace moira::sim {

struct DporReport {
  bool reduced = true;            // false: every schedule (plain DFS, for comparison)
  std::uint64_t executions = 0;   // complete runs: at least one per Mazurkiewicz trace
  std::uint64_t sleep_blocked = 0;  // runs cut short: a sleep set showed them redundant
  std::uint64_t races = 0;        // reversible races found
  bool complete = false;          // the search ended by itself (not by max_runs)
  std::uint64_t failing = 0;      // runs `failed` said yes to
  std::optional<DecisionLog> first_failure;  // replays with sim::replay (decisions kept)
  std::uint64_t runs() const { return executions + sleep_blocked; }
  std::string describe() const;
};

// `failed` judges each complete run. max_runs counts every run, sleep-blocked ones too.
// `reduce` = false explores every schedule (the same tree as explore_all), to compare against.
DporReport explore_dpor(const Scenario& scenario, Options options, const std::function<bool(const RunResult&)>& failed,
                        std::uint64_t max_runs = 1'000'000, bool reduce = true, const std::string& scenario_name = {},
                        std::uint64_t widest = 64);

}  // namespace moira::sim
