#include "sim/pos.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "sim/run_queue.hpp"

namespace moira::sim {

std::string Pos::describe() const { return fmt::format("pos seed={}", seed_); }

void Pos::redraw(std::uint64_t key) {
  if (key >= priorities_.size()) priorities_.resize(std::max<std::size_t>(key + 1, priorities_.size() * 2), 0);
  const std::uint64_t p = rng_.next() | 1;  // never 0
  priorities_[key] = p;
  heap_.emplace_back(p, key);
  std::push_heap(heap_.begin(), heap_.end());
  if (heap_.size() > 8 * priorities_.size() + 1024) {  // mostly stale entries: keep the live ones
    std::erase_if(heap_, [&](const auto& e) { return priorities_[e.second] != e.first; });
    std::make_heap(heap_.begin(), heap_.end());
  }
}

std::uint64_t Pos::choose(std::uint64_t n, const ChoiceContext& ctx) {
  if (ctx.kind == DecisionKind::schedule || ctx.kind == DecisionKind::preempt) return schedule(n, ctx);
  return n < 2 ? 0 : rng_.bounded(n);
}

std::uint64_t Pos::schedule(std::uint64_t n, const ChoiceContext& ctx) {
  const bool preempt = ctx.kind == DecisionKind::preempt;
  if (preempt && ctx.current != 0) redraw(ctx.current);  // it just took a step
  if (ctx.queue) {
    if (ctx.queue->fresh_overflowed()) {
      for (std::uint64_t key : ctx.runnable) redraw(key);
    } else {
      for (std::uint64_t key : ctx.queue->fresh()) redraw(key);
    }
  }
  if (n < 2) return 0;
  if (!preempt && ctx.events > 0) return rng_.bounded(ctx.events);
  const std::uint64_t base = (preempt ? 1 : 0) + ctx.events;
  std::uint64_t best_priority = 0;
  std::size_t best_index = RunQueue::npos;
  if (ctx.queue) {
    while (!heap_.empty()) {
      auto [p, key] = heap_.front();
      std::size_t i = priorities_[key] == p ? ctx.queue->index_of(key) : RunQueue::npos;
      if (i == RunQueue::npos) {
        // Stale, or not runnable now: when it is again it arrives fresh and draws anew.
        std::pop_heap(heap_.begin(), heap_.end());
        heap_.pop_back();
        continue;
      }
      best_priority = p;
      best_index = i;
      break;
    }
  } else {
    for (std::size_t i = 0; i < ctx.runnable.size(); ++i) {
      std::uint64_t key = ctx.runnable[i];
      if (key >= priorities_.size() || priorities_[key] == 0) redraw(key);
      if (priorities_[key] > best_priority) {
        best_priority = priorities_[key];
        best_index = i;
      }
    }
  }
  if (best_index == RunQueue::npos) return 0;
  if (preempt && ctx.current < priorities_.size() && priorities_[ctx.current] > best_priority) return 0;
  return base + best_index;
}

}  // namespace moira::sim
