#pragma once
// PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS
// 2010). Each process gets a random priority when first seen, above d; d-1 change points are
// drawn uniformly over [1, expected_steps]; at every scheduling step the highest-priority process
// runs, and at the i-th change point the process that ran the step drops to priority i (< d).
// A bug of depth d is found with probability at least 1 / (n * k^(d-1)).
//
// Due events (message arrivals, timers) are taken as soon as nothing runs; decisions other than
// scheduling (latency, drops, faults, random()) are drawn from the seeded PRNG.
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/choice_source.hpp"
#include "sim/rng.hpp"

namespace moira::sim {

class Pct final : public ChoiceSource {
 public:
  // depth >= 1; expected_steps: an estimate of how many scheduling steps a run takes (the k of the
  // paper; measure one calm run and use its step count).
  Pct(std::uint64_t seed, unsigned depth, std::uint64_t expected_steps);
  std::uint64_t choose(std::uint64_t n, const ChoiceContext& ctx) override;
  std::string describe() const override;

 private:
  std::uint64_t priority(std::uint64_t key);
  std::uint64_t schedule(std::uint64_t n, const ChoiceContext& ctx);

  Rng rng_;
  std::uint64_t seed_;
  unsigned depth_;
  std::uint64_t expected_steps_;
  std::uint64_t steps_ = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> change_points_;  // (step, new priority), by step
  std::size_t next_change_ = 0;
  std::vector<std::uint64_t> priorities_;  // by process key; 0: not yet drawn
};

}  // namespace moira::sim
