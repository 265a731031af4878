#pragma once
// The threaded engine's timers: one thread sleeping until the earliest deadline, then handing
// the due items to a delivery callback.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/message.hpp"

namespace moira::detail {

class TimerThread {
 public:
  using Clock = std::chrono::steady_clock;
  // fire: delivers one due item; after_fire: runs once a batch has been delivered.
  TimerThread(std::function<void(ItemPtr)> fire, std::function<void()> after_fire);
  ~TimerThread();

  // A timer tied to `target` (not null) is cancelled by cancel_for(target) when that process ends.
  // The caller must look for the target after start() (the engine's process table), and
  // cancel_for must come after the target left that table: one of the two then sees the other.
  void start(std::uint64_t id, Clock::time_point due, ItemPtr item, Pid target);
  std::optional<Clock::duration> cancel(std::uint64_t id);  // the time it had left
  std::optional<Clock::duration> read(std::uint64_t id);
  void cancel_for(Pid target);
  void cancel_all();
  std::size_t pending() const { return pending_.load(std::memory_order_acquire); }
  void stop();

 private:
  void run();
  struct Entry {
    Clock::time_point due;
    std::uint64_t id;
    bool operator>(const Entry& o) const { return due != o.due ? due > o.due : id > o.id; }
  };
  std::function<void(ItemPtr)> fire_;
  std::function<void()> after_fire_;
  std::mutex mutex_;
  std::condition_variable cv_;
  struct Pending {
    Clock::time_point due;
    ItemPtr item;
    Pid target;
  };
  void forget_target(const Pending& p, std::uint64_t id);  // mutex_ held
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
  std::unordered_map<std::uint64_t, Pending> items_;
  std::unordered_multimap<Pid, std::uint64_t> by_target_;
  // by_target_.size(), readable without the mutex: every process exit calls cancel_for, and with
  // no tied timer pending (spawn-heavy work) it must not touch the mutex.
  std::atomic<std::size_t> tied_{0};
  std::atomic<std::size_t> pending_{0};
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace moira::detail
