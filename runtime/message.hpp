#pragma once
// Messages and the items a mailbox holds. A message is a value: any copyable or movable type
// that is not a pointer or reference, moved into the receiver's mailbox on send.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <fmt/core.h>

#include "runtime/pid.hpp"
#include "runtime/reason.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MOIRA_ITEM_CACHE_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MOIRA_ITEM_CACHE_OFF 1
#endif
#endif

namespace moira {

namespace detail {
struct MessageItem;
}

// What the runtime knows of a message type: its type_info, and how a trace shows a value of it.
struct TypeDescriptor {
  const std::type_info* info;
  // The value of a MessageItem of this type through its fmt::formatter; "" when it has none.
  // Only the simulator calls it, and only while it keeps a trace: sends never pay for it.
  std::string (*render)(const detail::MessageItem&);
  // A copy of the value in a new item (from, to and ref unset); null for a type that cannot be
  // copied. Only the simulator calls it, to duplicate a message on a faulty link.
  detail::MessageItem* (*clone)(const detail::MessageItem&);
};
template <class T>
std::string render_message(const detail::MessageItem& item);  // defined below ValueItem
template <class T>
detail::MessageItem* clone_message(const detail::MessageItem& item);  // defined below ValueItem

// The identity of a message type: the address of a per-type static, unique across translation units.
template <class T>
struct TypeKey {
  static constexpr TypeDescriptor descriptor{&typeid(T), &render_message<T>, &clone_message<T>};
};
using TypeId = const TypeDescriptor*;
template <class T>
constexpr TypeId type_id_of() {
  return &TypeKey<T>::descriptor;
}

template <class T>
concept MessageValue = std::is_object_v<T> && !std::is_pointer_v<T> && !std::is_array_v<T> &&
                       std::is_move_constructible_v<T> && std::is_same_v<T, std::remove_cvref_t<T>>;

namespace detail {

// What travels through a mailbox: a user message, or a signal (exit, link, monitor traffic).
// Signals travel in the same queue as messages, so a message followed by a signal from the same
// sender arrives in that order, as Erlang promises.
enum class ItemKind : std::uint8_t {
  message,
  exit,          // exit signal: from a link (via_link) or from exit(pid, reason)
  link,          // please link back to `from`
  unlink,        // `from` removed its link to us
  monitor,       // `from` monitors us with `ref`
  demonitor,     // `from` dropped monitor `ref`
  down,          // the process we monitored with `ref` is gone (becomes a Down message if still active)
  timeout,       // a receive ... after timer with `ref` fired
  info_request,  // `from` asks for our ProcessInfo, to be answered with `ref`
};

// Per-thread free lists for mailbox items (every send allocates one, the receiver frees it): a
// small item is recycled without malloc. A thread keeps up to kKeep blocks per size class; beyond
// that it hands a batch of kBatch to a shared depot, where a thread whose list ran dry takes one.
// Mail mostly flows one way (senders allocate, a receiver frees on another worker), so without the
// depot every item would cross threads through glibc's slow, locked free path. Off under
// sanitizers, so ASan still sees every use after free.
class ItemCache {
 public:
  static constexpr std::size_t kGrain = 16;
  static constexpr std::size_t kClasses = 8;  // items up to 128 bytes
  static constexpr std::uint32_t kKeep = 256;
  static constexpr std::uint32_t kBatch = 128;
  static constexpr std::size_t kDepotBatches = 64;  // per class: beyond this, blocks go back to the heap

  static void* allocate(std::size_t n) {
#if !MOIRA_ITEM_CACHE_OFF
    if (n <= kGrain * kClasses) {
      std::size_t c = (n - 1) / kGrain;
      Lists& l = lists();
      if (!l.head[c]) refill(l, c);
      if (Block* b = l.head[c]) {
        l.head[c] = b->next;
        --l.count[c];
        return b;
      }
      return ::operator new((c + 1) * kGrain);
    }
#endif
    return ::operator new(n);
  }
  // Batches waiting in the depot for blocks of n bytes (for tests and diagnostics).
  static std::size_t depot_batches(std::size_t n);

  static void deallocate(void* p, [[maybe_unused]] std::size_t n) noexcept {
#if !MOIRA_ITEM_CACHE_OFF
    if (n <= kGrain * kClasses) {
      std::size_t c = (n - 1) / kGrain;
      Lists& l = lists();
      if (l.alive) {
        if (l.count[c] >= kKeep) spill(l, c);
        auto* b = static_cast<Block*>(p);
        b->next = l.head[c];
        l.head[c] = b;
        ++l.count[c];
        return;
      }
    }
#endif
    ::operator delete(p);
  }

 private:
  struct Block {
    Block* next;
  };
  struct Lists {  // trivially destructible, so usable until the very end of its thread
    Block* head[kClasses];
    std::uint32_t count[kClasses];
    bool alive;
  };
  // Moves kBatch blocks from the thread's list to the depot (or frees them if it is full).
  static void spill(Lists& l, std::size_t c) noexcept;
  // Takes a batch from the depot into an empty thread list, if there is one.
  static void refill(Lists& l, std::size_t c) noexcept;
  static void drain(Lists& l) noexcept;
  struct Drain {  // gives the blocks back when the thread ends; later frees bypass the cache
    Lists* lists;
    ~Drain() { drain(*lists); }
  };
  // noinline: fibers may move between threads; a caller must never keep another thread's lists.
  __attribute__((noinline)) static Lists& lists() {
    static thread_local Lists l{};
    static thread_local bool registered = false;
    if (!registered) {
      registered = true;
      l.alive = true;
      static thread_local Drain drain{&l};
      (void)drain;
    }
    return l;
  }
};

struct Item {
  explicit Item(ItemKind k) : kind(k) {}
  virtual ~Item() = default;
  Item(const Item&) = delete;
  Item& operator=(const Item&) = delete;

  static void* operator new(std::size_t n) { return ItemCache::allocate(n); }
  static void operator delete(void* p, std::size_t n) noexcept { ItemCache::deallocate(p, n); }
  // Over-aligned message types bypass the cache.
  static void* operator new(std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
  static void operator delete(void* p, std::size_t, std::align_val_t a) noexcept { ::operator delete(p, a); }

  Item* next = nullptr;
  Pid from;
  Pid to;
  Ref ref;
  ItemKind kind;
  // A reply through an alias: dropped on arrival unless the receiver still holds monitor `ref`
  // (OTP's process aliases), so a reply that comes after its caller gave up never lands.
  bool via_alias = false;
  // For the simulator's trace only: which traced event this item last passed through (send,
  // delivery), so a receive can name its cause. Fills what was padding; the runtime never reads it.
  std::uint32_t trace_stamp = 0;
};
static_assert(sizeof(void*) != 8 || sizeof(Item) == 64, "Item grew: trace_stamp must stay in the padding");

struct MessageItem : Item {
  explicit MessageItem(TypeId t) : Item(ItemKind::message), type(t) {}
  TypeId type;
};

template <class T>
struct ValueItem final : MessageItem {
  template <class... A>
  explicit ValueItem(A&&... a) : MessageItem(type_id_of<T>()), value(std::forward<A>(a)...) {}
  T value;
};

struct SignalItem final : Item {
  SignalItem(ItemKind k, Reason r = {}, bool link = false) : Item(k), reason(std::move(r)), via_link(link) {}
  Reason reason;
  bool via_link;
};

using ItemPtr = std::unique_ptr<Item>;

}  // namespace detail

template <class T>
std::string render_message(const detail::MessageItem& item) {
  if constexpr (fmt::is_formattable<T>::value) {
    return fmt::format("{}", static_cast<const detail::ValueItem<T>&>(item).value);
  } else {
    (void)item;
    return {};
  }
}

template <class T>
detail::MessageItem* clone_message(const detail::MessageItem& item) {
  if constexpr (std::is_copy_constructible_v<T>) {
    return new detail::ValueItem<T>(static_cast<const detail::ValueItem<T>&>(item).value);
  } else {
    (void)item;
    return nullptr;
  }
}

namespace detail {

std::string demangled_name(const std::type_info& t);

}  // namespace detail

// A received message whose type is known only at run time (a catch-all receive clause, or a
// stackless process's handler).
class Message {
 public:
  Message() = default;
  explicit Message(std::unique_ptr<detail::MessageItem> item) : item_(std::move(item)) {}

  template <MessageValue T>
  static Message of(T value) {
    return Message{std::make_unique<detail::ValueItem<T>>(std::move(value))};
  }

  explicit operator bool() const { return item_ != nullptr; }
  template <class T>
  bool is() const {
    return item_ && item_->type == type_id_of<T>();
  }
  template <class T>
  T& get() {
    return static_cast<detail::ValueItem<T>&>(*item_).value;  // caller checked is<T>()
  }
  template <class T>
  const T& get() const {
    return static_cast<const detail::ValueItem<T>&>(*item_).value;
  }
  template <class T>
  T* try_get() {
    return is<T>() ? &get<T>() : nullptr;
  }
  Pid sender() const { return item_ ? item_->from : Pid{}; }
  std::string type_name() const { return item_ ? detail::demangled_name(*item_->type->info) : "(empty)"; }

  std::unique_ptr<detail::MessageItem> release() { return std::move(item_); }

 private:
  std::unique_ptr<detail::MessageItem> item_;
};

// System messages a process receives.
struct Exit {  // an exit signal, turned into a message because the receiver traps exits
  Pid from;
  Reason reason;
};
struct Down {  // a monitored process is gone
  Ref ref;
  Pid pid;
  Reason reason;
};

}  // namespace moira

template <>
struct fmt::formatter<moira::Exit> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::Exit& e, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "Exit from {}: {}", e.from, e.reason);
  }
};
template <>
struct fmt::formatter<moira::Down> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::Down& d, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "Down {} {}: {}", d.ref, d.pid, d.reason);
  }
};
