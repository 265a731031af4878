#pragma once
// The runnable processes, oldest first, with their keys side by side so a strategy can see them
// as one contiguous span. take(0) pops the oldest; take(i) moves the oldest into the hole, so
// every removal is O(1) and an all-zero schedule is plain FIFO.
//
// For strategies that keep their own index of what can run (PCT keeps a heap by priority), the
// queue also lists the keys pushed since the simulator last called clear_fresh(), and says where a
// key is, so no strategy has to scan every runnable process at every decision.
#include <cassert>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace moira {
class Process;
}

namespace moira::sim {

class RunQueue {
 public:
  static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t kFreshLimit = 4096;  // beyond: fresh_overflowed(), rescan keys()

  void push(Process* p, std::uint64_t key) {
    if (key >= pos_.size()) pos_.resize(key + 1 + key / 2, kAbsent);
    pos_[key] = static_cast<std::uint32_t>(procs_.size());
    procs_.push_back(p);
    keys_.push_back(key);
    if (fresh_.size() < kFreshLimit) {
      fresh_.push_back(key);
    } else {
      fresh_overflow_ = true;
    }
  }
  std::size_t size() const { return procs_.size() - head_; }
  bool empty() const { return size() == 0; }
  Process* at(std::size_t i) const { return procs_[head_ + i]; }
  std::span<const std::uint64_t> keys() const { return {keys_.data() + head_, size()}; }
  // Where the process with `key` is in keys(), or npos when it is not runnable.
  std::size_t index_of(std::uint64_t key) const {
    if (key >= pos_.size() || pos_[key] == kAbsent) return npos;
    return pos_[key] - head_;
  }
  std::span<const std::uint64_t> fresh() const { return fresh_; }
  bool fresh_overflowed() const { return fresh_overflow_; }
  void clear_fresh() {
    fresh_.clear();
    fresh_overflow_ = false;
  }

  Process* take(std::size_t i) {
    assert(i < size());
    std::size_t at = head_ + i;
    Process* p = procs_[at];
    pos_[keys_[at]] = kAbsent;
    procs_[at] = procs_[head_];
    keys_[at] = keys_[head_];
    if (at != head_) pos_[keys_[at]] = static_cast<std::uint32_t>(at);
    ++head_;
    if (head_ == procs_.size()) {
      procs_.clear();
      keys_.clear();
      head_ = 0;
    } else if (head_ >= 256 && head_ * 2 >= procs_.size()) {
      procs_.erase(procs_.begin(), procs_.begin() + static_cast<std::ptrdiff_t>(head_));
      keys_.erase(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
      reindex();
    }
    return p;
  }

  // Drops every entry for which pred(process) is true, keeping the others' order.
  template <class Pred>
  void remove_if(Pred pred) {
    std::size_t out = 0;
    for (std::size_t i = head_; i < procs_.size(); ++i) {
      if (pred(procs_[i])) {
        pos_[keys_[i]] = kAbsent;
        continue;
      }
      procs_[out] = procs_[i];
      keys_[out] = keys_[i];
      ++out;
    }
    procs_.resize(out);
    keys_.resize(out);
    head_ = 0;
    reindex();
  }

 private:
  static constexpr std::uint32_t kAbsent = std::numeric_limits<std::uint32_t>::max();
  void reindex() {
    for (std::size_t i = head_; i < keys_.size(); ++i) pos_[keys_[i]] = static_cast<std::uint32_t>(i);
  }

  std::vector<Process*> procs_;
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> pos_;  // by key: index into procs_, or kAbsent
  std::vector<std::uint64_t> fresh_;
  bool fresh_overflow_ = false;
  std::size_t head_ = 0;
};

}  // namespace moira::sim
