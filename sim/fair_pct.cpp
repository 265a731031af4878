#include "sim/fair_pct.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace moira::sim {

FairPct::FairPct(std::uint64_t seed, unsigned depth, std::uint64_t expected_steps, std::uint64_t fair_after)
    : pct_(seed, depth, expected_steps),
      rng_(seed ^ 0x9e3779b97f4a7c15ull),
      seed_(seed),
      depth_(std::max(1u, depth)),
      expected_steps_(std::max<std::uint64_t>(1, expected_steps)),
      fair_after_(fair_after ? fair_after : std::max<std::uint64_t>(1, expected_steps)) {}

std::string FairPct::describe() const {
  return fmt::format("fair-pct depth={} seed={} steps={} fair_after={}", depth_, seed_, expected_steps_, fair_after_);
}

std::uint64_t FairPct::choose(std::uint64_t n, const ChoiceContext& ctx) {
  const bool scheduling = ctx.kind == DecisionKind::schedule || ctx.kind == DecisionKind::preempt;
  if (scheduling && ctx.step >= fair_after_) return n < 2 ? 0 : rng_.bounded(n);
  return pct_.choose(n, ctx);
}

}  // namespace moira::sim
