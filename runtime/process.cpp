#include "runtime/process.hpp"

#include <sys/mman.h>

#include <boost/context/detail/fcontext.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <exception>
#include <mutex>

#include "runtime/fiber_switch.hpp"
#include "runtime/arena.hpp"
#include "runtime/eh_state.hpp"
#include "runtime/node.hpp"
#include "runtime/stack_guard.hpp"

namespace moira {

namespace ctx = boost::context::detail;

// ------------------------------------------------------------------------------------------------
// Process objects are pooled and never freed: the process table's lock-free lookup may touch a
// Process after it exited (it then fails to take a reference), so the memory must stay a Process.
namespace detail {

class ProcessPool {
 public:
  static Process* allocate();
  static void free(Process* p);

 private:
  struct Shared {
    std::mutex mutex;
    std::vector<Process*> free;
  };
  static Shared& shared() {
    static Shared* s = new Shared;  // never destroyed: processes may be released during exit
    return *s;
  }
  struct ThreadCache {
    std::vector<Process*> free;
    ~ThreadCache() {
      std::lock_guard lock{shared().mutex};
      shared().free.insert(shared().free.end(), free.begin(), free.end());
    }
  };
  __attribute__((noinline)) static ThreadCache& cache() {
    thread_local ThreadCache c;
    return c;
  }
  static constexpr std::size_t kCacheMax = 1024;
};

Process* ProcessPool::allocate() {
  ThreadCache& c = cache();
  if (c.free.empty()) {
    std::lock_guard lock{shared().mutex};
    auto& s = shared().free;
    std::size_t take = std::min<std::size_t>(s.size(), kCacheMax / 2);
    c.free.insert(c.free.end(), s.end() - static_cast<std::ptrdiff_t>(take), s.end());
    s.resize(s.size() - take);
  }
  if (c.free.empty()) return new (arena_allocate(sizeof(Process))) Process;
  Process* p = c.free.back();
  c.free.pop_back();
  return p;
}

void ProcessPool::free(Process* p) {
  p->reset_for_reuse();
  ThreadCache& c = cache();
  if (c.free.size() < kCacheMax) {
    c.free.push_back(p);
    return;
  }
  std::lock_guard lock{shared().mutex};
  shared().free.insert(shared().free.end(), c.free.begin() + kCacheMax / 2, c.free.end());
  c.free.resize(kCacheMax / 2);
  c.free.push_back(p);
}

}  // namespace detail

// ------------------------------------------------------------------------------------------------
// Creation, reference counting, reuse

Process* Process::create(Engine& engine, Node& node, Process* parent, detail::ProcessBody body,
                         const SpawnOptions& opts, std::size_t default_stack_size) {
  Process* p = detail::ProcessPool::allocate();
  p->engine_ = &engine;
  p->node_ = &node;
  p->fiber_body_ = std::move(body.fiber);
  p->stackless_ = std::move(body.stackless);
  assert(p->fiber_body_ || p->stackless_);
  if (p->fiber_body_) p->stack_ = detail::allocate_stack(opts.stack_size ? opts.stack_size : default_stack_size);
  p->inbox_.reopen();
  p->pid_ = node.table().reserve();
  if (parent && opts.link) {
    p->links_.push_back(parent->pid_);
    parent->links_.push_back(p->pid_);
  }
  if (parent && opts.monitor) {
    Ref ref = engine.make_ref();
    p->monitored_by_.push_back({ref, parent->pid_});
    parent->monitors_.push_back({ref, p->pid_});
    parent->last_spawn_monitor_ = ref;
  }
  p->state_.store(kRunnable, std::memory_order_relaxed);
  p->refs_.store(1, std::memory_order_release);  // the table's reference, dropped by finish()
  node.table().publish(p->pid_, p);
  return p;
}

bool Process::retain() noexcept {
  std::uint32_t r = refs_.load(std::memory_order_relaxed);
  do {
    if (r == 0) return false;
  } while (!refs_.compare_exchange_weak(r, r + 1, std::memory_order_acquire, std::memory_order_relaxed));
  return true;
}

void Process::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) detail::ProcessPool::free(this);
}

void Process::reset_for_reuse() {
  state_.store(kFree, std::memory_order_relaxed);
  engine_ = nullptr;
  node_ = nullptr;
  trap_exit_ = dying_ = exit_thrown_ = started_ = yield_requested_ = timed_out_ = pinned_ = false;
  congestion_.store(0, std::memory_order_relaxed);
  slice_end_ = detail::SliceEnd::waiting;
  queue_.clear();
  links_.clear();
  monitors_.clear();
  monitored_by_.clear();
  active_timeout_ = last_spawn_monitor_ = Ref{};
  exit_reason_ = Reason::normal();
  name_.reset();
  reductions_ = rng_ = 0;
  owed_reductions_ = 0;
  wait_epoch_.store(0, std::memory_order_relaxed);
  parked_senders_.store(parking_closed(), std::memory_order_relaxed);  // released by finish()
  engine_data_ = nullptr;
  run_next = nullptr;
  fiber_body_.reset();
  stackless_.reset();
  stack_ = {};
  fiber_ctx_ = sched_ctx_ = nullptr;
  fiber_switch_ = {};
  hibernate_requested_ = false;
  std::free(saved_frames_);  // null: a process only ends after waking
  saved_frames_ = nullptr;
}

Status Process::status() const {
  switch (state_.load(std::memory_order_relaxed)) {
    case kRunnable: return Status::runnable;
    case kWaiting: return Status::waiting;
    case kExiting: return Status::exiting;
    default: return Status::running;
  }
}

// ------------------------------------------------------------------------------------------------
// Running: fiber processes switch stacks; stackless ones run their callbacks right here.

void Process::fiber_entry(void* transfer_fctx, void* data) {
  auto* p = static_cast<Process*>(data);
  p->sched_ctx_ = transfer_fctx;
  p->fiber_switch_.arrived_in_fiber();
  p->run_fiber_body();
  p->slice_end_ = detail::SliceEnd::exited;
  p->fiber_switch_.leave_fiber_for_good();
  ctx::jump_fcontext(p->sched_ctx_, nullptr);
  __builtin_unreachable();
}

namespace {
void fiber_trampoline(ctx::transfer_t t) { Process::fiber_entry(t.fctx, t.data); }
}  // namespace

void Process::run_fiber_body() {
  try {
    handle_signals();  // killed before it ever ran: never runs its body
    throw_if_dying();
    fiber_body_->run(*this);
    if (!dying_) exit_reason_ = Reason::normal();
  } catch (const detail::ExitNow& e) {
    if (!dying_) exit_reason_ = e.reason;
  } catch (...) {
    exit_reason_ = Reason::from_exception(std::current_exception());
  }
  try {
    fiber_body_.reset();  // destroy the body's captures on the fiber, as the process ends
  } catch (...) {
  }
  // Others may run between the body's end and its exit signals (as they can in Erlang): the
  // process parks here, and signals that arrive meanwhile are not handled (it is exiting already).
  if (engine_->points_at_exit() && engine_->preemption_point(*this, PointKind::exit, nullptr))
    park(detail::SliceEnd::yielded);
}

detail::SliceEnd Process::run_slice() {
  if (stackless_) {
    // Callbacks run on this stack, but not inside whatever it is unwinding or handling.
    const detail::EhState scheduler_eh = detail::EhState::take();
    detail::SliceEnd end = run_stackless_slice();
    scheduler_eh.restore();
    return end;
  }
  if (!fiber_ctx_) fiber_ctx_ = ctx::make_fcontext(stack_.top(), stack_.size, &fiber_trampoline);
  if (saved_frames_) wake_from_hibernation();
  detail::RunningFiber guard_claim{stack_, this, &Process::stack_overflowed};
  const detail::EhState scheduler_eh = detail::EhState::take();
  fiber_switch_.enter_fiber(stack_);
  ctx::transfer_t t = ctx::jump_fcontext(fiber_ctx_, this);
  fiber_switch_.back_in_scheduler();
  scheduler_eh.restore();
  fiber_ctx_ = t.fctx;
  // Still running as far as senders know (the engine publishes the wait after this returns), so
  // nobody can resume the fiber while its frames are being put aside.
  if (hibernate_requested_ && slice_end_ == detail::SliceEnd::waiting) hibernate_now();
  return slice_end_;
}

// ------------------------------------------------------------------------------------------------
// Hibernation: a waiting fiber's live frames are [fiber_ctx_, stack top) (the fcontext is its
// saved stack pointer; nothing below it is live). They go to the heap, and the whole stack's
// pages back to the kernel; the fiber resumes on the same addresses, so pointers into its frames
// stay valid.

namespace {
std::atomic<std::size_t> hibernating{0};
constexpr std::size_t kSavedHeader = 16;  // the size, and the frames 16-byte aligned after it

// Byte-exact copies of a fiber's frames, which ASan poisons in places (its redzones between
// locals): unchecked, and word by word through volatile so the compiler cannot make it a
// (checked) memcpy call. Both ends are 8-byte aligned.
__attribute__((no_sanitize("address"))) void copy_frames(void* to, const void* from, std::size_t bytes) {
  auto* d = static_cast<volatile std::uint64_t*>(to);
  auto* s = static_cast<const volatile std::uint64_t*>(from);
  for (std::size_t i = 0; i < bytes / 8; ++i) d[i] = s[i];
}
}  // namespace

std::size_t detail::hibernating_processes() noexcept { return hibernating.load(std::memory_order_relaxed); }

void Process::hibernate_now() {
  hibernate_requested_ = false;
  char* sp = static_cast<char*>(fiber_ctx_);
  char* top = static_cast<char*>(stack_.top());
  auto bytes = static_cast<std::size_t>(top - sp);
  void* saved = std::malloc(kSavedHeader + bytes);
  if (!saved) return;  // no memory to put the frames in: keep the stack as it is
  *static_cast<std::uint32_t*>(saved) = static_cast<std::uint32_t>(bytes);
  copy_frames(static_cast<char*>(saved) + kSavedHeader, sp, bytes);
  ::madvise(stack_.base, stack_.size, MADV_DONTNEED);
  saved_frames_ = static_cast<std::uint32_t*>(saved);
  hibernating.fetch_add(1, std::memory_order_relaxed);
}

Process::IdleSweep Process::hibernate_if_idle(std::uint32_t started_before) noexcept {
  std::uint8_t expected = kWaiting;
  if (!state_.compare_exchange_strong(expected, kRunning, std::memory_order_seq_cst)) return IdleSweep::skipped;
  // Ours now, as if a sender had woken it: its fields are stable, and senders only queue mail.
  // Stackless processes, fibers that never ran, and ones already hibernating keep what they have.
  bool idle = wait_epoch_.load(std::memory_order_relaxed) < started_before;
  bool hibernated = idle && stack_.base != nullptr && fiber_ctx_ != nullptr && saved_frames_ == nullptr;
  if (hibernated) {
    hibernate_now();
    hibernated = saved_frames_ != nullptr;  // read before the wait is published again
  }
  // Out of later sweeps' way until it waits again (the engine stamps it then).
  if (idle) wait_epoch_.store(~std::uint32_t{0}, std::memory_order_relaxed);
  if (settle_waiting()) return IdleSweep::runnable;
  return hibernated ? IdleSweep::hibernated : IdleSweep::skipped;
}

void Process::wake_from_hibernation() {
  std::size_t bytes = *saved_frames_;
  copy_frames(static_cast<char*>(stack_.top()) - bytes, reinterpret_cast<char*>(saved_frames_) + kSavedHeader, bytes);
  std::free(saved_frames_);
  saved_frames_ = nullptr;
  hibernating.fetch_sub(1, std::memory_order_relaxed);
}

void Process::park(detail::SliceEnd why) {
  check_stack_left();
  slice_end_ = why;
  const detail::EhState fiber_eh = detail::EhState::take();
  fiber_switch_.leave_fiber();
  ctx::transfer_t t = ctx::jump_fcontext(sched_ctx_, nullptr);
  fiber_switch_.arrived_in_fiber();
  fiber_eh.restore();
  sched_ctx_ = t.fctx;
}

detail::SliceEnd Process::run_stackless_slice() {
  try {
    if (!started_) {
      started_ = true;
      handle_signals();
      throw_if_dying();
      stackless_->start(*this);
    }
    handle_signals();  // every slice starts with the signals that arrived meanwhile
    for (;;) {
      if (queue_.empty()) handle_signals();
      throw_if_dying();
      if (yield_requested_) {
        yield_requested_ = false;
        return detail::SliceEnd::yielded;
      }
      detail::ItemPtr item = queue_.pop_front();
      if (!item) {
        release_parked_senders(true);  // it waits: nobody may wait on it
        return detail::SliceEnd::waiting;
      }
      note_receive(item.get());
      stackless_->handle(*this, Message{std::unique_ptr<detail::MessageItem>(static_cast<detail::MessageItem*>(item.release()))});
    }
  } catch (const detail::ExitNow& e) {
    if (!dying_) exit_reason_ = e.reason;
  } catch (...) {
    exit_reason_ = Reason::from_exception(std::current_exception());
  }
  try {
    stackless_->stop(*this, exit_reason_);
  } catch (...) {
    // stop() failing cannot change how the process ended; the reason stays.
  }
  return detail::SliceEnd::exited;
}

// ------------------------------------------------------------------------------------------------
// Exit: tell links and monitors, answer what arrives too late, give the slot back.

void Process::finish() {
  state_.store(kExiting, std::memory_order_relaxed);
  Engine& engine = *engine_;
  // Killed while waiting in receive ... after: that timer would otherwise fire into the void
  // (and keep run_until_idle waiting for it).
  if (!active_timeout_.is_null()) engine.cancel_timer(active_timeout_);
  if (name_) node_->registry().remove(*name_, pid_);
  for (detail::Item* item = inbox_.close(); item;) {
    detail::Item* next = item->next;
    item->next = nullptr;
    answer_for_dead(engine, detail::ItemPtr{item});
    item = next;
  }
  queue_.clear();
  release_parked_senders(true);
  node_->table().erase(pid_);
  for (Pid linked : links_) send_signal(linked, detail::ItemKind::exit, exit_reason_, {}, true);
  for (auto& m : monitored_by_) send_signal(m.pid, detail::ItemKind::down, exit_reason_, m.ref);
  for (auto& m : monitors_) send_signal(m.pid, detail::ItemKind::demonitor, {}, m.ref);
  if (stack_.base) {
    fiber_switch_.fiber_gone();
    detail::release_stack(stack_);
    stack_ = {};
  }
  stackless_.reset();
  release();  // the table's reference
}

// No reference is taken: a refcount on the receiver is a cache line every sender would fight over
// (a fan-in spent 18% of its time there). The slot's process may exit, or its Process object be
// reused by a new process, while we push; an item that lands in the wrong mailbox is noticed by its
// owner (handle_signals compares item->to) and answered for the dead, and a stale wake-up only
// makes the new process look at its mailbox once more.
unsigned Process::deliver_local(Engine& engine, Node& node, detail::ItemPtr item) {
  Process* p = node.table().find_unretained(item->to);
  if (!p) {
    answer_for_dead(engine, std::move(item));
    return 0;
  }
  detail::Item* raw = item.release();
  if (!p->accept(raw)) {
    answer_for_dead(engine, detail::ItemPtr{raw});
    return 0;
  }
  // The backlog as of the owner's last fetch, or what has piled up since, whichever is larger: a
  // receiver that is slow to fetch (busy with an earlier batch, or its worker descheduled) must not
  // hide a growing backlog from its senders until its next fetch.
  unsigned level = std::max<unsigned>(p->congestion_.load(std::memory_order_relaxed), congestion_level(p->inbox_.unfetched()));
  if (p->try_wake()) {
    p->prefetch_for_run();
    engine.schedule(*p);
  }
  return level;
}

void Process::answer_for_dead(Engine& engine, detail::ItemPtr item) {
  auto reply = [&](detail::ItemPtr r) {
    r->from = item->to;
    r->to = item->from;
    r->ref = item->ref;
    engine.deliver(std::move(r));
  };
  switch (item->kind) {
    case detail::ItemKind::link:
      reply(std::make_unique<detail::SignalItem>(detail::ItemKind::exit, Reason::noproc(), true));
      break;
    case detail::ItemKind::monitor:
      reply(std::make_unique<detail::SignalItem>(detail::ItemKind::down, Reason::noproc()));
      break;
    case detail::ItemKind::info_request:
      reply(std::make_unique<detail::ValueItem<detail::InfoReply>>(detail::InfoReply{item->ref, std::nullopt}));
      break;
    default:
      break;  // messages and other signals to the dead are dropped, as in Erlang
  }
}

// ------------------------------------------------------------------------------------------------
// Signals

void Process::handle_signals() {
  using detail::ItemKind;
  for (detail::Item* item = inbox_.take_all(); item;) {
    detail::Item* next = item->next;
    item->next = nullptr;
    detail::ItemPtr owned{item};
    if (item->to != pid_) {  // meant for this Process object's previous occupant (deliver_local)
      answer_for_dead(*engine_, std::move(owned));
      item = next;
      continue;
    }
    switch (item->kind) {
      case ItemKind::message:
        if (!item->via_alias || monitor_active(item->ref)) queue_.append(owned.release());
        break;
      case ItemKind::exit:
        on_exit_signal(static_cast<detail::SignalItem&>(*item));
        break;
      case ItemKind::link:
        if (std::find(links_.begin(), links_.end(), item->from) == links_.end()) links_.push_back(item->from);
        break;
      case ItemKind::unlink:
        std::erase(links_, item->from);
        break;
      case ItemKind::monitor:
        monitored_by_.push_back({item->ref, item->from});
        break;
      case ItemKind::demonitor:
        std::erase_if(monitored_by_, [&](const MonitorEntry& m) { return m.ref == item->ref; });
        break;
      case ItemKind::down: {
        // Only an active monitor yields a Down: this is what makes demonitor final.
        auto it = std::find_if(monitors_.begin(), monitors_.end(), [&](const MonitorEntry& m) { return m.ref == item->ref; });
        if (it != monitors_.end()) {
          monitors_.erase(it);
          auto down = std::make_unique<detail::ValueItem<Down>>(
              Down{item->ref, item->from, static_cast<detail::SignalItem&>(*item).reason});
          down->from = item->from;
          queue_.append(down.release());
        }
        break;
      }
      case ItemKind::timeout:
        if (!active_timeout_.is_null() && item->ref == active_timeout_) timed_out_ = true;
        break;
      case ItemKind::info_request: {
        auto reply = std::make_unique<detail::ValueItem<detail::InfoReply>>(detail::InfoReply{item->ref, own_info()});
        reply->from = pid_;
        reply->to = item->from;
        engine_->deliver(std::move(reply));
        break;
      }
    }
    item = next;
  }
  // The backlog as of this fetch, on a log scale; stored only when it changes, as senders read it
  // on every send.
  auto level = static_cast<std::uint8_t>(congestion_level(queue_.size()));
  if (congestion_.load(std::memory_order_relaxed) != level) congestion_.store(level, std::memory_order_relaxed);
  update_parking(level);
}

// ------------------------------------------------------------------------------------------------
// Parked senders (park_sender): a lock-free list per receiver (parked_senders_). A global lock
// here, taken at every wait to close the list, cost ~12% of a message's instructions and a cache
// line shared by every worker.

namespace {
void reschedule_parked(Process* list) {
  while (list) {
    Process* next = list->run_next;
    list->run_next = nullptr;
    list->owed_reductions() = 0;  // the wait paid for the congested sends
    list->engine().schedule(*list);
    list = next;
  }
}
}  // namespace

bool Process::park_sender(Process& sender) {
  // The sender's own parked senders go first, and nobody parks behind a parked sender.
  Process* freed = sender.parked_senders_.exchange(parking_closed(), std::memory_order_acq_rel);
  if (freed == parking_closed()) freed = nullptr;
  bool parked = false;
  if (&sender != this) {
    Process* head = parked_senders_.load(std::memory_order_relaxed);
    while (head != parking_closed()) {
      sender.run_next = head;
      if (parked_senders_.compare_exchange_weak(head, &sender, std::memory_order_release, std::memory_order_relaxed)) {
        parked = true;
        break;
      }
    }
  }
  reschedule_parked(freed);
  return parked;
}

void Process::release_parked_senders(bool close) {
  Process* head = parked_senders_.load(std::memory_order_relaxed);
  if (head == parking_closed() || (!close && head == nullptr)) return;
  // Owner only: while it runs, nobody else closes its list, so the exchange cannot take a close.
  Process* freed = parked_senders_.exchange(close ? parking_closed() : nullptr, std::memory_order_acquire);
  reschedule_parked(freed);
}

void Process::update_parking(unsigned level) {
  open_parking();  // it runs
  if (level < kParkLevel) release_parked_senders(false);
}

void Process::on_exit_signal(detail::SignalItem& s) {
  if (dying_) return;
  if (s.via_link) {
    auto it = std::find(links_.begin(), links_.end(), s.from);
    if (it == links_.end()) return;  // unlinked meanwhile: a link's exit needs a link
    links_.erase(it);
  }
  if (s.reason.is_kill() && !s.via_link) return die_later(Reason::killed());  // untrappable
  if (trap_exit_) {
    auto msg = std::make_unique<detail::ValueItem<Exit>>(Exit{s.from, s.reason});
    msg->from = s.from;
    queue_.append(msg.release());
    return;
  }
  if (s.reason.is_normal()) {
    if (s.from == pid_) die_later(Reason::normal());  // exit(self(), normal) does end the caller
    return;
  }
  die_later(s.reason);
}

bool Process::monitor_active(Ref ref) const {
  return std::any_of(monitors_.begin(), monitors_.end(), [&](const MonitorEntry& m) { return m.ref == ref; });
}

void Process::die_later(Reason r) {
  dying_ = true;
  exit_reason_ = std::move(r);
}

void Process::throw_if_dying() {
  if (!dying_ || std::uncaught_exceptions() != 0) return;
  if (!exit_thrown_ || stackless_) {
    exit_thrown_ = true;
    throw detail::ExitNow{exit_reason_};
  }
  // The body caught the first ExitNow and carried on (catch (...) without rethrow). A kill must
  // not be stoppable, so this fiber never runs again; what is still on its stack is not unwound.
  abandon_fiber();
}

void Process::abandon_fiber() {
  slice_end_ = detail::SliceEnd::exited;
  fiber_switch_.leave_fiber_for_good();
  ctx::jump_fcontext(sched_ctx_, nullptr);
  __builtin_unreachable();
}

// Runs on the fiber's stack, but on a fresh frame at its top (stack_guard.cpp's handler put it
// there), or deep in it with at least a few hundred bytes left (check_stack_left). Takes no lock
// and allocates nothing: the overflow may have struck inside malloc.
void Process::stack_overflowed(void* self) {
  auto* p = static_cast<Process*>(self);
  if (!p->dying_) p->die_later(Reason::stack_overflow());  // a kill already under way keeps its reason
  detail::forget_stack_frames(p->stack_);
  p->abandon_fiber();
}

// ------------------------------------------------------------------------------------------------
// The process API

Pid Process::spawn_body(detail::ProcessBody body, const SpawnOptions& opts) {
  Pid pid = engine_->spawn_process(this, std::move(body), opts);
  preempt(PointKind::spawn);
  return pid;
}

void Process::send_item(Pid to, detail::ItemPtr item) {
  if (engine_->points_before_send()) preempt(PointKind::before_send);
  item->from = pid_;
  item->to = to;
  engine_->deliver(std::move(item));
  preempt(PointKind::send);
}

void Process::send_signal(Pid to, detail::ItemKind kind, Reason reason, Ref ref, bool via_link) {
  auto s = std::make_unique<detail::SignalItem>(kind, std::move(reason), via_link);
  s->from = pid_;
  s->to = to;
  s->ref = ref;
  engine_->deliver(std::move(s));
}

void Process::preempt(PointKind kind, const detail::Item* received) {
  check_stack_left();
  ++reductions_;
  if (!engine_->preemption_point(*this, kind, received)) return;
  if (stackless_) {
    yield_requested_ = true;
    return;
  }
  park(detail::SliceEnd::yielded);
  handle_signals();
  throw_if_dying();
}

std::uint64_t Process::choose(std::uint64_t n) {
  if (n == 0) throw Error(fmt::format("{}: choose(0): there must be at least one alternative (choose(n) gives 0 .. n-1)", pid_));
  return n == 1 ? 0 : engine_->choose(*this, n);
}

void Process::note_receive(const detail::Item* item, const detail::ReceivePattern* pattern) {
  receive_pattern_ = pattern;  // null: a stackless handle(), which takes every message
  preempt(PointKind::receive, item);
}

void Process::yield() {
  ++reductions_;
  if (stackless_) {
    yield_requested_ = true;
    return;
  }
  park(detail::SliceEnd::yielded);
  handle_signals();
  throw_if_dying();
}

void Process::sleep(Duration d) {
  receive(after(d, [] {}));
}

bool Process::wait_for_more(detail::MessageQueue::Cursor& cursor, std::optional<Duration> timeout, Ref& timer) {
  for (;;) {
    handle_signals();
    throw_if_dying();
    if (timed_out_) {
      timed_out_ = false;
      active_timeout_ = timer = Ref{};
      return false;
    }
    if (cursor.current()) return true;
    if (timeout && timeout->count() <= 0) return false;
    if (stackless_) {
      throw Error(fmt::format("{}: a stackless process cannot wait in receive (only after(0) polls); "
                              "handle its messages in handle() instead",
                              pid_));
    }
    // A process that waits is not working its backlog down: its parked senders must not wait on it.
    release_parked_senders(true);
    if (timeout) {
      if (timer.is_null()) {
        auto item = std::make_unique<detail::SignalItem>(detail::ItemKind::timeout);
        item->from = pid_;
        timer = active_timeout_ = engine_->start_timer(pid_, *timeout, std::move(item));
      }
    }
    park(detail::SliceEnd::waiting);
  }
}

void Process::cancel_receive_timer(Ref& timer) {
  if (timer.is_null()) return;
  engine_->cancel_timer(timer);
  active_timeout_ = timer = Ref{};
}

void Process::link(Pid other) {
  if (other == pid_) return;
  if (std::find(links_.begin(), links_.end(), other) == links_.end()) links_.push_back(other);
  send_signal(other, detail::ItemKind::link);
  preempt(PointKind::link);
}

void Process::unlink(Pid other) {
  std::erase(links_, other);
  send_signal(other, detail::ItemKind::unlink);
  preempt(PointKind::link);
}

Ref Process::monitor(Pid other) {
  Ref ref = engine_->make_ref();
  monitors_.push_back({ref, other});
  send_signal(other, detail::ItemKind::monitor, {}, ref);
  preempt(PointKind::monitor);
  return ref;
}

bool Process::demonitor(Ref ref, bool flush) {
  auto it = std::find_if(monitors_.begin(), monitors_.end(), [&](const MonitorEntry& m) { return m.ref == ref; });
  bool active = it != monitors_.end();
  if (active) {
    send_signal(it->pid, detail::ItemKind::demonitor, {}, ref);
    monitors_.erase(it);
  }
  if (flush) {
    handle_signals();
    queue_.remove_if([&](const detail::Item& item) {
      if (item.via_alias) return item.ref == ref;
      auto& m = static_cast<const detail::MessageItem&>(item);
      return m.type == type_id_of<Down>() && static_cast<const detail::ValueItem<Down>&>(m).value.ref == ref;
    });
  }
  return active;
}

void Process::exit(Pid to, Reason reason) {
  send_signal(to, detail::ItemKind::exit, std::move(reason));
  preempt(PointKind::exit_signal);
  if (to == pid_) {  // a signal to ourselves takes effect now, not at the next receive
    handle_signals();
    throw_if_dying();
  }
}

void Process::exit(Reason reason) { throw detail::ExitNow{std::move(reason)}; }

void Process::register_name(std::string name) {
  if (name_) throw Error(fmt::format("register_name('{}'): {} is already registered as '{}'", name, pid_, *name_));
  if (!node_->registry().add(name, pid_)) {
    auto owner = node_->registry().find(name);
    throw Error(fmt::format("register_name('{}'): the name is taken by {}", name, owner.value_or(Pid{})));
  }
  name_ = std::make_unique<std::string>(std::move(name));
}

void Process::unregister_name() {
  if (!name_) return;
  node_->registry().remove(*name_, pid_);
  name_.reset();
}

std::optional<Pid> Process::whereis(std::string_view name) const { return node_->registry().find(name); }

Pid Process::resolve_name(std::string_view name) const {
  auto pid = whereis(name);
  if (!pid) throw Error(fmt::format("send to '{}': no process is registered under that name", name));
  return *pid;
}

std::optional<ProcessInfo> Process::info(Pid pid) {
  if (pid == pid_) return own_info();
  Ref ref = engine_->make_ref();
  send_signal(pid, detail::ItemKind::info_request, {}, ref);
  std::optional<ProcessInfo> out;
  receive(match<detail::InfoReply>([&](const detail::InfoReply& r) { return r.ref == ref; },
                                   [&](detail::InfoReply& r) { out = std::move(r.info); }));
  return out;
}

ProcessInfo Process::own_info() const {
  ProcessInfo i;
  i.pid = pid_;
  i.status = dying_ ? Status::exiting : status();
  i.stackless = stackless_ != nullptr;
  i.trap_exit = trap_exit_;
  i.mailbox_length = queue_.size();
  i.links = links_;
  for (auto& m : monitors_) i.monitors.push_back(m.pid);
  for (auto& m : monitored_by_) i.monitored_by.push_back(m.pid);
  i.reductions = reductions_;
  if (name_) i.registered_name = *name_;
  return i;
}

// ------------------------------------------------------------------------------------------------
// Engine conveniences that need Process

void Engine::exit(Pid to, Reason reason) {
  auto s = std::make_unique<detail::SignalItem>(detail::ItemKind::exit, std::move(reason));
  s->to = to;
  deliver(std::move(s));
}

std::optional<Pid> Engine::whereis(std::string_view name, NodeId node) {
  Node* n = find_node(node);
  return n ? n->registry().find(name) : std::nullopt;
}

}  // namespace moira
