#pragma once
// Chase-Lev work-stealing deque (Lê, Pop, Cohen, Zappa Nardelli, PPoPP 2013): the owner pushes
// and pops at the bottom (LIFO, so a spawn tree runs depth-first and stays small); thieves take
// from the top (the oldest work). Arrays grow and are kept until the deque dies, since a thief may
// still be reading an old one.
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace moira::detail {

template <class T>
class WorkDeque {
  static_assert(std::is_pointer_v<T>);

 public:
  explicit WorkDeque(std::int64_t capacity = 256) {
    arrays_.push_back(std::make_unique<Array>(capacity));
    array_.store(arrays_.back().get(), std::memory_order_relaxed);
  }

  void push(T item) {  // owner only
    std::int64_t b = bottom_.load(std::memory_order_relaxed);
    std::int64_t t = top_.load(std::memory_order_acquire);
    Array* a = array_.load(std::memory_order_relaxed);
    if (b - t > a->capacity - 1) a = grow(a, t, b);
    a->put(b, item);
    bottom_.store(b + 1, std::memory_order_release);
  }

  T pop() {  // owner only; nullptr when empty
    std::int64_t b = bottom_.load(std::memory_order_relaxed) - 1;
    Array* a = array_.load(std::memory_order_relaxed);
    // seq_cst store then seq_cst load: the store-load ordering the paper gets from a fence,
    // expressed in a form ThreadSanitizer understands (on x86 both are one xchg/mfence).
    bottom_.store(b, std::memory_order_seq_cst);
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    if (t > b) {
      bottom_.store(b + 1, std::memory_order_relaxed);
      return nullptr;
    }
    T item = a->get(b);
    if (t == b) {  // the last one: race the thieves for it
      if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed)) item = nullptr;
      bottom_.store(b + 1, std::memory_order_relaxed);
    }
    return item;
  }

  // pop() for a deque that no other thread ever steals from (the engine has a single worker):
  // no fence and no race for the last item, which on one worker is every pop.
  T pop_unshared() {  // owner only, and no thieves
    std::int64_t b = bottom_.load(std::memory_order_relaxed);
    std::int64_t t = top_.load(std::memory_order_relaxed);
    if (t >= b) return nullptr;
    T item = array_.load(std::memory_order_relaxed)->get(b - 1);
    bottom_.store(b - 1, std::memory_order_relaxed);
    return item;
  }

  T steal() {  // any thread; nullptr when empty or when another thief won
    std::int64_t t = top_.load(std::memory_order_seq_cst);
    std::int64_t b = bottom_.load(std::memory_order_seq_cst);
    if (t >= b) return nullptr;
    Array* a = array_.load(std::memory_order_acquire);
    T item = a->get(t);
    if (!top_.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed)) return nullptr;
    return item;
  }

  std::int64_t size_hint() const {
    return bottom_.load(std::memory_order_relaxed) - top_.load(std::memory_order_relaxed);
  }

 private:
  struct Array {
    explicit Array(std::int64_t cap) : capacity(cap), slots(new std::atomic<T>[static_cast<std::size_t>(cap)]) {}
    T get(std::int64_t i) const { return slots[static_cast<std::size_t>(i & (capacity - 1))].load(std::memory_order_relaxed); }
    void put(std::int64_t i, T v) { slots[static_cast<std::size_t>(i & (capacity - 1))].store(v, std::memory_order_relaxed); }
    std::int64_t capacity;  // a power of two
    std::unique_ptr<std::atomic<T>[]> slots;
  };

  Array* grow(Array* old, std::int64_t t, std::int64_t b) {
    arrays_.push_back(std::make_unique<Array>(old->capacity * 2));
    Array* a = arrays_.back().get();
    for (std::int64_t i = t; i < b; ++i) a->put(i, old->get(i));
    array_.store(a, std::memory_order_release);
    return a;
  }

  alignas(64) std::atomic<std::int64_t> top_{0};
  alignas(64) std::atomic<std::int64_t> bottom_{0};
  std::atomic<Array*> array_{nullptr};
  std::vector<std::unique_ptr<Array>> arrays_;  // owner only
};

}  // namespace moira::detail
