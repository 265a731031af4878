#include "sim/delay_bounding.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace moira::sim {

DelayBounding::DelayBounding(std::uint64_t seed, unsigned delays, std::uint64_t expected_steps)
    : rng_(seed), seed_(seed), delays_(delays), expected_steps_(std::max<std::uint64_t>(1, expected_steps)) {
  for (unsigned i = 0; i < delays_; ++i) points_.push_back(rng_.bounded(expected_steps_));  // step 0: the first pick
  std::sort(points_.begin(), points_.end());
}

std::string DelayBounding::describe() const {
  return fmt::format("delay-bounding delays={} seed={} steps={}", delays_, seed_, expected_steps_);
}

std::uint64_t DelayBounding::choose(std::uint64_t n, const ChoiceContext& ctx) {
  if (ctx.kind != DecisionKind::schedule && ctx.kind != DecisionKind::preempt) return n < 2 ? 0 : rng_.bounded(n);
  // Delay points passed while there was nothing to pass over are spent: the bound is on delays.
  unsigned due = 0;
  while (next_ < points_.size() && points_[next_] <= ctx.step) {
    ++next_;
    ++due;
  }
  if (due == 0 || n < 2) return 0;
  // Preempt: 0 keeps the current process, so a delay moves on to the first option after it.
  // Schedule: the oldest option is the calm one; a delay passes over it (and over one more for
  // each further delay due at once), wrapping round.
  return ctx.kind == DecisionKind::preempt ? 1 + (due - 1) % (n - 1) : due % n;
}

}  // namespace moira::sim
