#include "runtime/timer_thread.hpp"

#include <algorithm>
#include <iterator>

#if defined(__SANITIZE_THREAD__)
#define MOIRA_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MOIRA_TSAN 1
#endif
#endif

namespace moira::detail {
namespace {
// start() and cancel_for() are the two sides of a store-then-load-the-other handshake with the
// process table, which needs a full fence on each side. TSan does not model fences (GCC rejects
// them under -fsanitize=thread); there seq_cst read-modify-writes of `tied` give the same order.
void full_fence() {
#if !MOIRA_TSAN
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}
std::size_t read_after_fence(std::atomic<std::size_t>& tied) {
#if MOIRA_TSAN
  return tied.fetch_add(0, std::memory_order_seq_cst);
#else
  full_fence();
  return tied.load(std::memory_order_relaxed);
#endif
}
}  // namespace

TimerThread::TimerThread(std::function<void(ItemPtr)> fire, std::function<void()> after_fire)
    : fire_(std::move(fire)), after_fire_(std::move(after_fire)), thread_([this] { run(); }) {}

TimerThread::~TimerThread() { stop(); }

void TimerThread::start(std::uint64_t id, Clock::time_point due, ItemPtr item, Pid target) {
  bool earliest;
  {
    std::lock_guard lock{mutex_};
    earliest = heap_.empty() || due < heap_.top().due;
    heap_.push(Entry{due, id});
    items_.emplace(id, Pending{due, std::move(item), target});
    if (target) {
      by_target_.emplace(target, id);
      tied_.fetch_add(1, std::memory_order_seq_cst);
    }
    pending_.fetch_add(1, std::memory_order_release);
  }
  // Pairs with the fence in cancel_for: the caller's look at the process table that follows must
  // not pass the count above (store-load order needs a full fence on both sides).
  if (target) full_fence();
  if (earliest) cv_.notify_one();  // only a new earliest deadline changes the thread's sleep
}

void TimerThread::forget_target(const Pending& p, std::uint64_t id) {
  if (!p.target) return;
  auto [first, last] = by_target_.equal_range(p.target);
  for (auto it = first; it != last; ++it) {
    if (it->second == id) {
      by_target_.erase(it);
      tied_.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
}

std::optional<TimerThread::Clock::duration> TimerThread::cancel(std::uint64_t id) {
  auto now = Clock::now();
  std::lock_guard lock{mutex_};
  auto it = items_.find(id);
  if (it == items_.end()) return std::nullopt;
  auto left = std::max(it->second.due - now, Clock::duration::zero());
  forget_target(it->second, id);
  items_.erase(it);
  pending_.fetch_sub(1, std::memory_order_release);
  return left;
}

std::optional<TimerThread::Clock::duration> TimerThread::read(std::uint64_t id) {
  auto now = Clock::now();
  std::lock_guard lock{mutex_};
  auto it = items_.find(id);
  if (it == items_.end()) return std::nullopt;
  return std::max(it->second.due - now, Clock::duration::zero());
}

void TimerThread::cancel_for(Pid target) {
  if (read_after_fence(tied_) == 0) return;  // the caller's table erase comes first
  std::vector<ItemPtr> dropped;  // freed outside the lock
  std::lock_guard lock{mutex_};
  auto [first, last] = by_target_.equal_range(target);
  for (auto it = first; it != last; ++it) {
    auto item = items_.find(it->second);
    if (item == items_.end()) continue;
    dropped.push_back(std::move(item->second.item));
    items_.erase(item);
    pending_.fetch_sub(1, std::memory_order_release);
  }
  tied_.fetch_sub(static_cast<std::size_t>(std::distance(first, last)), std::memory_order_relaxed);
  by_target_.erase(first, last);
}

void TimerThread::cancel_all() {
  std::unordered_map<std::uint64_t, Pending> dropped;
  {
    std::lock_guard lock{mutex_};
    pending_.fetch_sub(items_.size(), std::memory_order_release);  // a batch in flight stays counted
    dropped.swap(items_);
    by_target_.clear();
    tied_.store(0, std::memory_order_relaxed);
    heap_ = {};
  }
  after_fire_();
}

void TimerThread::stop() {
  {
    std::lock_guard lock{mutex_};
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void TimerThread::run() {
  std::unique_lock lock{mutex_};
  std::vector<ItemPtr> due;
  while (!stopping_) {
    if (heap_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto next = heap_.top().due;
    if (Clock::now() < next) {
      cv_.wait_until(lock, next);
      continue;
    }
    auto now = Clock::now();
    while (!heap_.empty() && heap_.top().due <= now) {
      auto it = items_.find(heap_.top().id);
      heap_.pop();
      if (it == items_.end()) continue;  // cancelled
      forget_target(it->second, it->first);
      due.push_back(std::move(it->second.item));
      items_.erase(it);
    }
    lock.unlock();
    std::size_t n = due.size();
    for (auto& item : due) fire_(std::move(item));
    due.clear();
    // Only now is the batch delivered: counting it as no longer pending earlier would let
    // run_until_idle() see an idle engine with a wake-up still on its way.
    pending_.fetch_sub(n, std::memory_order_release);
    after_fire_();
    lock.lock();
  }
}

}  // namespace moira::detail
