#pragma once
// The runnable processes, oldest first, with their keys side by side so a strategy can see them
// as one contiguous span. take(0) pops the oldest; take(i) moves the oldest into the hole, so
// every removal is O(1) and an all-zero schedule is plain FIFO.
#include <cassert>
#include <cstdint>
#include <span>
#include <vector>

namespace moira {
class Process;
}

namespace moira::sim {

class RunQueue {
 public:
  void push(Process* p, std::uint64_t key) {
    procs_.push_back(p);
    keys_.push_back(key);
  }
  std::size_t size() const { return procs_.size() - head_; }
  bool empty() const { return size() == 0; }
  Process* at(std::size_t i) const { return procs_[head_ + i]; }
  std::span<const std::uint64_t> keys() const { return {keys_.data() + head_, size()}; }

  Process* take(std::size_t i) {
    assert(i < size());
    std::size_t at = head_ + i;
    Process* p = procs_[at];
    procs_[at] = procs_[head_];
    keys_[at] = keys_[head_];
    ++head_;
    if (head_ == procs_.size()) {
      procs_.clear();
      keys_.clear();
      head_ = 0;
    } else if (head_ >= 256 && head_ * 2 >= procs_.size()) {
      procs_.erase(procs_.begin(), procs_.begin() + static_cast<std::ptrdiff_t>(head_));
      keys_.erase(keys_.begin(), keys_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
    return p;
  }

  // Drops every entry for which pred(process) is true, keeping the others' order.
  template <class Pred>
  void remove_if(Pred pred) {
    std::size_t out = 0;
    for (std::size_t i = head_; i < procs_.size(); ++i) {
      if (pred(procs_[i])) continue;
      procs_[out] = procs_[i];
      keys_[out] = keys_[i];
      ++out;
    }
    procs_.resize(out);
    keys_.resize(out);
    head_ = 0;
  }

 private:
  std::vector<Process*> procs_;
  std::vector<std::uint64_t> keys_;
  std::size_t head_ = 0;
};

}  // namespace moira::sim
