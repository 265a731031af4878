#pragma once
// PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS
// 2010). Every process gets a distinct random priority when first seen (an independent draw from
// one band, so a process spawned mid-run lands at a uniformly random rank among the others);
// d-1 change points are drawn uniformly over steps [1, k]; at every scheduling step the
// highest-priority process that can run runs, and at the i-th change point the running process
// drops to priority i, below every initial one. A bug of depth d is found with probability at
// least 1 / (n * k^(d-1)). Steps are the simulator's (RunResult::steps), so k is a run's length.
//
// yield() is an ordinary scheduling point (the priority stays), as in the paper — except that a
// process that yields kSpinYields times in a row with nobody else running in between is busy-
// polling, and drops below every other priority, or the run would never end.
// Due events (message arrivals, timers) are taken as soon as they are due, at the next scheduling
// step or preemption point, oldest first; decisions other than
// scheduling (latency, drops, faults, random(), choose(), time jumps) come from the seeded PRNG.
// Not fair: a process that never blocks can starve the others (see FairPct).
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/choice_source.hpp"
#include "sim/rng.hpp"

namespace moira::sim {

class Pct final : public ChoiceSource {
 public:
  static constexpr unsigned kSpinYields = 64;

  // depth >= 1; expected_steps: the k of the paper, how many steps a run takes (a sweep can learn
  // it: Strategy::memory).
  Pct(std::uint64_t seed, unsigned depth, std::uint64_t expected_steps);
  std::uint64_t choose(std::uint64_t n, const ChoiceContext& ctx) override;
  std::string describe() const override;

 private:
  struct Best {
    std::uint64_t priority = 0;
    std::size_t index = 0;  // in ctx.runnable
    bool found = false;
  };
  std::uint64_t priority(std::uint64_t key);
  void set_priority(std::uint64_t key, std::uint64_t p);
  void ingest(std::uint64_t key);
  void heap_push(std::uint64_t p, std::uint64_t key);
  void heap_pop();
  Best best(const ChoiceContext& ctx);
  std::uint64_t schedule(std::uint64_t n, const ChoiceContext& ctx);

  Rng rng_;
  std::uint64_t seed_;
  unsigned depth_;
  std::uint64_t expected_steps_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> change_points_;  // (step, new priority), by step
  std::size_t next_change_ = 0;
  std::vector<std::uint64_t> priorities_;  // by process key; 0: not yet drawn
  // A max-heap of (priority, key) over the processes seen runnable, checked lazily: an entry is
  // live while in_heap_[key] equals its priority, and dropped when it surfaces and the process
  // is no longer runnable. Each decision costs O(log n), not a scan of every runnable process.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> heap_;
  std::vector<std::uint64_t> in_heap_;  // by key: the priority of its live entry; 0: none
  std::uint64_t floor_;                 // the next busy-poller's priority (decreasing)
  std::uint64_t spin_key_ = 0;
  unsigned spin_count_ = 0;
};

}  // namespace moira::sim
