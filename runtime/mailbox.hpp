#pragma once
// A process's mailbox: a lock-free inbox any thread may push to, and a private queue that only
// the owner touches (where selective receive scans and unmatched messages keep their order).
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "runtime/message.hpp"

namespace moira::detail {

// Multi-producer, single-consumer. Producers push onto a LIFO chain with one CAS; the owner takes
// the whole chain at once and reverses it, so per-producer order is kept. Closing swaps in a
// sentinel, after which push() refuses: that is how a sender learns its target is dead.
class Inbox {
 public:
  Inbox() = default;
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Takes ownership on success; on false (closed) the item stays with the caller.
  bool push(Item* item) noexcept {
    Item* head = head_.load(std::memory_order_relaxed);
    do {
      if (head == closed()) return false;
      item->next = head;
      // seq_cst: pairs with the owner's seq_cst store of "waiting" (Dekker) — see Process::try_wake.
    } while (!head_.compare_exchange_weak(head, item, std::memory_order_seq_cst, std::memory_order_relaxed));
    // On the line the exchange just took, so the count costs no extra cache miss.
    unfetched_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  // Items pushed and not yet taken (approximate while pushes run): what senders see of a backlog
  // the owner has not fetched yet.
  std::uint32_t unfetched() const noexcept { return unfetched_.load(std::memory_order_relaxed); }
  // Oldest first; nullptr when empty. Owner only, while open. The plain load first spares the
  // locked exchange when the inbox is empty, as it usually is when a receive starts or re-checks.
  Item* take_all() noexcept {
    if (head_.load(std::memory_order_relaxed) == nullptr) return nullptr;
    std::uint32_t taken = 0;
    Item* oldest_first = reversed(head_.exchange(nullptr, std::memory_order_acquire), &taken);
    unfetched_.fetch_sub(taken, std::memory_order_relaxed);
    return oldest_first;
  }
  // Refuses later pushes and returns what was left, oldest first.
  Item* close() noexcept { return reversed(head_.exchange(closed(), std::memory_order_acquire)); }
  void reopen() noexcept {
    head_.store(nullptr, std::memory_order_relaxed);
    unfetched_.store(0, std::memory_order_relaxed);
  }
  bool has_items() const noexcept {
    Item* h = head_.load(std::memory_order_seq_cst);
    return h != nullptr && h != closed();
  }

 private:
  static Item* closed() noexcept { return reinterpret_cast<Item*>(&closed_tag_); }
  static Item* reversed(Item* chain, std::uint32_t* count = nullptr) noexcept {
    if (chain == closed()) return nullptr;
    Item* out = nullptr;
    std::uint32_t n = 0;
    while (chain) {
      Item* next = chain->next;
      chain->next = out;
      out = chain;
      chain = next;
      ++n;
    }
    if (count) *count = n;
    return out;
  }
  static inline char closed_tag_ = 0;
  std::atomic<Item*> head_{nullptr};
  std::atomic<std::uint32_t> unfetched_{0};
};

// The owner's FIFO of messages, scanned by selective receive through a Cursor.
class MessageQueue {
 public:
  MessageQueue() = default;
  MessageQueue(const MessageQueue&) = delete;
  MessageQueue& operator=(const MessageQueue&) = delete;
  ~MessageQueue() { clear(); }

  void append(Item* item) noexcept {
    item->next = nullptr;
    *tail_ = item;
    tail_ = &item->next;
    ++size_;
  }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return head_ == nullptr; }
  void clear() noexcept {
    while (head_) delete unlink(&head_).release();
  }

  // A position in the queue: the link that points at the current item. Appends never invalidate
  // it, so a receive that waits for more mail resumes its scan where it stopped.
  class Cursor {
   public:
    explicit Cursor(MessageQueue& q) : q_(&q), link_(&q.head_) {}
    Item* current() const noexcept { return *link_; }
    void advance() noexcept { link_ = &(*link_)->next; }
    ItemPtr remove() noexcept { return q_->unlink(link_); }

   private:
    MessageQueue* q_;
    Item** link_;
  };

  ItemPtr pop_front() noexcept { return head_ ? unlink(&head_) : nullptr; }
  // Removes every item for which pred is true (demonitor's flush).
  template <class Pred>
  void remove_if(Pred pred) {
    for (Item** link = &head_; *link;) {
      if (pred(**link)) {
        unlink(link).reset();
      } else {
        link = &(*link)->next;
      }
    }
  }

 private:
  ItemPtr unlink(Item** link) noexcept {
    Item* item = *link;
    *link = item->next;
    if (tail_ == &item->next) tail_ = link;
    item->next = nullptr;
    --size_;
    return ItemPtr{item};
  }

  Item* head_ = nullptr;
  Item** tail_ = &head_;
  std::size_t size_ = 0;
};

}  // namespace moira::detail
