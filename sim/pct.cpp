#include "sim/pct.hpp"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

namespace moira::sim {

Pct::Pct(std::uint64_t seed, unsigned depth, std::uint64_t expected_steps)
    : rng_(seed), seed_(seed), depth_(std::max(1u, depth)), expected_steps_(std::max<std::uint64_t>(1, expected_steps)) {
  // The i-th change point drawn (i = 1 .. d-1) lowers the running process to priority i.
  for (unsigned i = 1; i < depth_; ++i) change_points_.emplace_back(1 + rng_.bounded(expected_steps_), i);
  std::stable_sort(change_points_.begin(), change_points_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

std::string Pct::describe() const {
  return fmt::format("pct depth={} seed={} steps={}", depth_, seed_, expected_steps_);
}

std::uint64_t Pct::priority(std::uint64_t key) {
  if (key >= priorities_.size()) priorities_.resize(std::max<std::size_t>(key + 1, priorities_.size() * 2), 0);
  std::uint64_t& p = priorities_[key];
  if (p == 0) p = depth_ + 1 + (rng_.next() >> 2);  // always above every change-point priority
  return p;
}

std::uint64_t Pct::choose(std::uint64_t n, const ChoiceContext& ctx) {
  if (ctx.kind == DecisionKind::schedule || ctx.kind == DecisionKind::preempt) return schedule(n, ctx);
  return n < 2 ? 0 : rng_.bounded(n);
}

std::uint64_t Pct::schedule(std::uint64_t n, const ChoiceContext& ctx) {
  ++steps_;
  while (next_change_ < change_points_.size() && change_points_[next_change_].first <= steps_) {
    if (ctx.current != 0) {
      priority(ctx.current);
      priorities_[ctx.current] = change_points_[next_change_].second;
    }
    ++next_change_;
  }
  // A process that yields by itself is waiting for someone else: drop it to the lowest of the
  // initial priorities (still above those lowered at change points), or it would run again at
  // once and a busy-polling loop would never end.
  if (ctx.kind == DecisionKind::schedule && ctx.current_yielded && ctx.current != 0) {
    priority(ctx.current);
    priorities_[ctx.current] = depth_;
  }
  if (n < 2) return 0;
  const bool preempt = ctx.kind == DecisionKind::preempt;
  if (!preempt && ctx.events > 0) return 0;  // nothing is running: let the oldest due event happen
  std::uint64_t base = (preempt ? 1 : 0) + ctx.events;
  assert(base + ctx.runnable.size() == n);
  std::uint64_t best = 0;
  std::uint64_t best_priority = preempt ? priority(ctx.current) : 0;
  for (std::size_t i = 0; i < ctx.runnable.size(); ++i) {
    std::uint64_t p = priority(ctx.runnable[i]);
    if (p > best_priority) {
      best_priority = p;
      best = base + i;
    }
  }
  return best;
}

}  // namespace moira::sim
