#pragma once
// Fair PCT (Coyote's "fairpct"): PCT for the first `fair_after` steps, where its change points
// fall, then a uniform random walk, under which every process that can run eventually does. So a
// liveness monitor that stays hot is evidence of a bug, not of a process PCT starved. Use it
// instead of PCT whenever the program has liveness monitors or never-blocking processes.
#include <cstdint>

#include "sim/choice_source.hpp"
#include "sim/pct.hpp"
#include "sim/rng.hpp"

namespace moira::sim {

class FairPct final : public ChoiceSource {
 public:
  // fair_after 0: the expected run length (PCT has no change point after it).
  FairPct(std::uint64_t seed, unsigned depth, std::uint64_t expected_steps, std::uint64_t fair_after = 0);
  std::uint64_t choose(std::uint64_t n, const ChoiceContext& ctx) override;
  std::string describe() const override;
  bool fair() const override { return true; }

 private:
  Pct pct_;
  Rng rng_;
  std::uint64_t seed_;
  unsigned depth_;
  std::uint64_t expected_steps_;
  std::uint64_t fair_after_;
};

}  // namespace moira::sim
