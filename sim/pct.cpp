#include "sim/pct.hpp"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "sim/run_queue.hpp"

namespace moira::sim {

namespace {
// Initial priorities are drawn from [2^62, 2^63); the i-th change point gives 2^61 + i (below all
// of them, in the paper's order); a busy-poller goes below everything (floor_ counts down from
// 2^61), so it cannot starve even a process a change point lowered.
constexpr std::uint64_t kBand = std::uint64_t{1} << 62;
constexpr std::uint64_t kChanged = std::uint64_t{1} << 61;
}  // namespace

Pct::Pct(std::uint64_t seed, unsigned depth, std::uint64_t expected_steps)
    : rng_(seed),
      seed_(seed),
      depth_(std::max(1u, depth)),
      expected_steps_(std::max<std::uint64_t>(1, expected_steps)),
      floor_(kChanged) {
  // The i-th change point drawn (i = 1 .. d-1) lowers the running process to priority i; sorted
  // by step, the priorities they give are in random order, as in the paper.
  for (unsigned i = 1; i < depth_; ++i) change_points_.emplace_back(1 + rng_.bounded(expected_steps_), kChanged + i);
  std::stable_sort(change_points_.begin(), change_points_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

std::string Pct::describe() const {
  return fmt::format("pct depth={} seed={} steps={}", depth_, seed_, expected_steps_);
}

std::uint64_t Pct::priority(std::uint64_t key) {
  if (key >= priorities_.size()) {
    std::size_t size = std::max<std::size_t>(key + 1, priorities_.size() * 2);
    priorities_.resize(size, 0);
    in_heap_.resize(size, 0);
  }
  std::uint64_t& p = priorities_[key];
  if (p == 0) p = kBand | (rng_.next() >> 2);
  return p;
}

void Pct::heap_push(std::uint64_t p, std::uint64_t key) {
  heap_.emplace_back(p, key);
  std::push_heap(heap_.begin(), heap_.end());
}

void Pct::heap_pop() {
  std::pop_heap(heap_.begin(), heap_.end());
  heap_.pop_back();
}

void Pct::set_priority(std::uint64_t key, std::uint64_t p) {
  priority(key);
  priorities_[key] = p;
  if (in_heap_[key] != 0) {  // the old entry is dead from now on
    in_heap_[key] = p;
    heap_push(p, key);
  }
}

void Pct::ingest(std::uint64_t key) {
  std::uint64_t p = priority(key);
  if (in_heap_[key] == p) return;
  in_heap_[key] = p;
  heap_push(p, key);
}

Pct::Best Pct::best(const ChoiceContext& ctx) {
  Best b;
  if (!ctx.queue) {  // a caller without the run queue (a test driving choose by hand): scan
    for (std::size_t i = 0; i < ctx.runnable.size(); ++i) {
      std::uint64_t p = priority(ctx.runnable[i]);
      if (!b.found || p > b.priority) b = Best{p, i, true};
    }
    return b;
  }
  while (!heap_.empty()) {
    auto [p, key] = heap_.front();
    if (in_heap_[key] != p) {
      heap_pop();
      continue;
    }
    std::size_t i = ctx.queue->index_of(key);
    if (i == RunQueue::npos) {
      heap_pop();
      in_heap_[key] = 0;
      continue;
    }
    return Best{p, i, true};
  }
  return b;
}

std::uint64_t Pct::choose(std::uint64_t n, const ChoiceContext& ctx) {
  if (ctx.kind == DecisionKind::schedule || ctx.kind == DecisionKind::preempt) return schedule(n, ctx);
  return n < 2 ? 0 : rng_.bounded(n);
}

std::uint64_t Pct::schedule(std::uint64_t n, const ChoiceContext& ctx) {
  while (next_change_ < change_points_.size() && change_points_[next_change_].first <= ctx.step) {
    if (ctx.current != 0) set_priority(ctx.current, change_points_[next_change_].second);
    ++next_change_;
  }
  if (ctx.kind == DecisionKind::schedule) {
    if (ctx.current_yielded && ctx.current != 0) {
      spin_count_ = ctx.current == spin_key_ ? spin_count_ + 1 : 1;
      spin_key_ = ctx.current;
      if (spin_count_ >= kSpinYields) {
        set_priority(ctx.current, floor_--);
        spin_count_ = 0;
      }
    } else {
      spin_key_ = 0;
      spin_count_ = 0;
    }
  }
  if (ctx.queue) {
    if (ctx.queue->fresh_overflowed()) {
      heap_.clear();
      std::fill(in_heap_.begin(), in_heap_.end(), 0);
      for (std::uint64_t key : ctx.runnable) ingest(key);
    } else {
      for (std::uint64_t key : ctx.queue->fresh()) ingest(key);
    }
  }
  if (n < 2) return 0;
  const bool preempt = ctx.kind == DecisionKind::preempt;
  // Due events happen as soon as they are due, before any process's next step (with time_jumps,
  // this is how a timeout that time ran ahead to races the step in progress).
  if (ctx.events > 0) return preempt ? 1 : 0;
  const std::uint64_t base = (preempt ? 1 : 0) + ctx.events;
  assert(base + ctx.runnable.size() == n);
  Best b = best(ctx);
  if (!b.found) return 0;
  if (preempt && priority(ctx.current) > b.priority) return 0;
  return base + b.index;
}

}  // namespace moira::sim
