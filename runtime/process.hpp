#pragma once
// Process: the handle a process's code uses for everything it does (spawn, send, receive, link,
// monitor, exit, timers, names), and the state the engines drive (mailbox, links, fiber).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/engine.hpp"
#include "runtime/fiber_switch.hpp"
#include "runtime/mailbox.hpp"
#include "runtime/message.hpp"
#include "runtime/names.hpp"
#include "runtime/process_body.hpp"
#include "runtime/receive.hpp"
#include "runtime/stack_pool.hpp"
#include "runtime/time.hpp"

namespace moira {

class Node;

// A misuse of the API (a taken name, a send to an unregistered name, ...). Thrown in the calling
// process, where, uncaught, it becomes that process's exit reason like any exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Status : std::uint8_t { runnable, running, waiting, exiting };

struct ProcessInfo {
  Pid pid;
  Status status = Status::running;
  bool stackless = false;
  bool trap_exit = false;
  std::size_t mailbox_length = 0;  // messages waiting to be received
  std::vector<Pid> links;
  std::vector<Pid> monitors;      // processes this one monitors
  std::vector<Pid> monitored_by;  // processes monitoring this one
  std::uint64_t reductions = 0;
  std::string registered_name;
};

namespace detail {
// Thrown inside a process to end it (exit(reason), a fatal exit signal): not a std::exception, so
// `catch (const std::exception&)` in user code does not swallow it. Code that catches (...) must
// rethrow; if it does not, the process still ends at its next receive or yield, and then the rest
// of its stack is abandoned without unwinding (a kill cannot be stopped).
struct ExitNow {
  Reason reason;
};
struct InfoReply {
  Ref ref;
  std::optional<ProcessInfo> info;
};
enum class SliceEnd : std::uint8_t { waiting, yielded, exited };
class ProcessPool;
// How many fiber processes are hibernating now (Process::hibernate), for tests and benchmarks.
std::size_t hibernating_processes() noexcept;
}  // namespace detail

class Process {
 public:
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // ---------------------------------------------------------------- identity
  Pid self() const { return pid_; }
  Engine& engine() const { return *engine_; }
  NodeId node() const { return pid_.node; }

  // ---------------------------------------------------------------- spawning
  template <class F, class... A>
  Pid spawn(F&& f, A&&... args) {
    return spawn_with({}, std::forward<F>(f), std::forward<A>(args)...);
  }
  template <class F, class... A>
  Pid spawn_link(F&& f, A&&... args) {
    SpawnOptions o;
    o.link = true;
    return spawn_with(o, std::forward<F>(f), std::forward<A>(args)...);
  }
  template <class F, class... A>
  std::pair<Pid, Ref> spawn_monitor(F&& f, A&&... args) {
    SpawnOptions o;
    o.monitor = true;
    Pid p = spawn_with(o, std::forward<F>(f), std::forward<A>(args)...);
    return {p, last_spawn_monitor_};
  }
  template <class F, class... A>
  Pid spawn_with(const SpawnOptions& opts, F&& f, A&&... args) {
    return spawn_body(detail::make_fiber_body(std::forward<F>(f), std::forward<A>(args)...), opts);
  }
  template <class T, class... A>
  Pid spawn_stackless(const SpawnOptions& opts, A&&... args) {
    return spawn_body(detail::ProcessBody{nullptr, std::make_unique<T>(std::forward<A>(args)...)}, opts);
  }
  Pid spawn_stackless_object(std::unique_ptr<Stackless> object, const SpawnOptions& opts) {
    return spawn_body(detail::ProcessBody{nullptr, std::move(object)}, opts);
  }
  Ref last_spawn_monitor() const { return last_spawn_monitor_; }

  // ---------------------------------------------------------------- messages
  template <MessageValue T>
  void send(Pid to, T value) {
    auto item = std::make_unique<detail::ValueItem<T>>(std::move(value));
    send_item(to, std::move(item));
  }
  // Answers a request that `to` awaits under its monitor `tag` (its alias): if `to` has dropped
  // that monitor by the time the reply arrives (it timed out, say), the reply is discarded.
  template <MessageValue T>
  void send_reply(Pid to, Ref tag, T value) {
    auto item = std::make_unique<detail::ValueItem<T>>(std::move(value));
    item->ref = tag;
    item->via_alias = true;
    send_item(to, std::move(item));
  }
  // Throws moira::Error when no process has that name, as Erlang's `Name ! Msg` does.
  template <MessageValue T>
  void send(std::string_view name, T value) {
    send(resolve_name(name), std::move(value));
  }
  // To {name, node}: dropped silently if nobody has the name there, as Erlang's {Name, Node} ! Msg.
  template <MessageValue T>
  void send(const Name& to, T value) {
    if (Pid pid = detail::resolve(*engine_, node(), to).pid) send(pid, std::move(value));
  }
  // Selective receive: clauses are tried in order against each message from the oldest; the
  // first match is removed and handled. Clauses: a callable taking one message type (or Message
  // for any), match<T>(guard, handler), and a last after(timeout, handler).
  template <class... Clauses>
  void receive(Clauses&&... clauses);
  // Receives the oldest T (blocking), leaving other messages in place.
  template <MessageValue T>
  T receive() {
    std::optional<T> out;
    receive([&](T& v) { out.emplace(std::move(v)); });
    return std::move(*out);
  }
  // Like receive<T>(), but gives up after `timeout`.
  template <MessageValue T>
  std::optional<T> receive_for(Duration timeout) {
    std::optional<T> out;
    receive([&](T& v) { out.emplace(std::move(v)); }, after(timeout, [] {}));
    return out;
  }
  std::size_t mailbox_length() const { return queue_.size(); }

  // ---------------------------------------------------------------- links, monitors, exits
  void link(Pid other);
  void unlink(Pid other);
  Ref monitor(Pid other);
  // Removes the monitor; with flush, also any Down for it (and any reply through it, see
  // send_reply) already in the mailbox. Either way no Down for `ref`, and no reply through it, is
  // received after this returns. True if the monitor was active.
  bool demonitor(Ref ref, bool flush = false);
  void trap_exit(bool on) { trap_exit_ = on; }
  bool trapping_exits() const { return trap_exit_; }
  void exit(Pid to, Reason reason);  // send an exit signal
  [[noreturn]] void exit(Reason reason);  // end this process now
  // True once an exit signal (or a node crash) has doomed this process: it is unwinding, not
  // ending by its own exit() or exception. For Stackless::stop, which runs either way.
  bool killed_by_signal() const { return dying_; }
  // By name (process_names.cpp). A name nobody has: monitor gives a Down with noproc at once
  // (noconnection if its node is not there), exit throws moira::Error for a name on this node and
  // does nothing for one elsewhere.
  Ref monitor(const Dest& to);
  void exit(const Dest& to, Reason reason);

  // ---------------------------------------------------------------- names
  void register_name(std::string name);  // throws moira::Error if taken, or if we have a name
  void unregister_name();
  std::optional<Pid> whereis(std::string_view name) const;

  // ---------------------------------------------------------------- time and randomness
  Time now() const { return engine_->now(); }
  std::uint64_t random() { return engine_->random(*this); }
  // One of n alternatives, 0 .. n-1 (n >= 1). In the simulator a recorded decision that replays
  // and shrinks (0 is the calm one); write choose(3) rather than random() % 3, which it cannot see.
  std::uint64_t choose(std::uint64_t n);
  bool coin() { return choose(2) == 1; }  // false is the calm answer
  template <MessageValue T>
  Ref send_after(Pid to, Duration after, T value) {
    auto item = std::make_unique<detail::ValueItem<T>>(std::move(value));
    item->from = pid_;
    return engine_->start_timer(to, after, std::move(item));
  }
  // To a name, the timer looks the name up when it fires (and dies with nobody).
  template <MessageValue T>
  Ref send_after(const Dest& to, Duration after, T value) {
    if (!to.by_name()) return send_after(to.pid(), after, std::move(value));
    auto message = std::make_unique<detail::ValueItem<T>>(std::move(value));
    return send_after(Pid{}, after, detail::TimerToName{to.name(), to.node().value_or(node()), std::move(message)});
  }
  // Both give the time the timer had left, or nullopt if it has fired, was cancelled, or died
  // with its target (Erlang's cancel_timer and read_timer).
  std::optional<Duration> cancel_timer(Ref timer) { return engine_->cancel_timer(timer); }
  std::optional<Duration> read_timer(Ref timer) { return engine_->read_timer(timer); }
  void sleep(Duration d);
  void yield();  // let others run; for long computations between receives
  // Erlang's hibernate: the next time this process waits in receive, it gives its stack's pages
  // back to the kernel, keeping aside only the frames it is waiting in (a few hundred bytes); the
  // message that ends the wait brings them back, at the cost of a page fault. For processes that
  // wait long between messages. Once per call: the wait after that one keeps its stack. A
  // stackless process has no stack to give back: there it does nothing.
  void hibernate() { hibernate_requested_ = stack_.base != nullptr; }

  // ---------------------------------------------------------------- introspection
  // Asks `pid` for its state (a signal round trip, as Erlang's process_info); nullopt if dead.
  std::optional<ProcessInfo> info(Pid pid);
  ProcessInfo own_info() const;
  std::uint64_t reductions() const { return reductions_; }

  // ================================================================ engine side
  // Everything below is for engines, not for process code.
  detail::SliceEnd run_slice();  // run until it waits, yields or exits (engine thread)
  void finish();                 // after run_slice() returned exited: notify, release
  // A sender made this process runnable, if it was waiting: the caller must then schedule it.
  bool try_wake() noexcept {
    std::uint8_t expected = kWaiting;
    bool woke = state_.load(std::memory_order_seq_cst) == kWaiting &&
                state_.compare_exchange_strong(expected, kRunnable, std::memory_order_seq_cst);
    if (woke) open_parking();  // it will run: senders may park behind it
    return woke;
  }
  // After a slice that ended `waiting`: publishes the wait; true if mail arrived meanwhile and
  // the caller must schedule it again.
  bool settle_waiting() noexcept {
    state_.store(kWaiting, std::memory_order_seq_cst);
    std::uint8_t expected = kWaiting;
    bool again = inbox_.has_items() && state_.compare_exchange_strong(expected, kRunnable, std::memory_order_seq_cst);
    if (again) open_parking();
    return again;
  }
  void set_running() noexcept { state_.store(kRunning, std::memory_order_relaxed); }
  // Automatic hibernation (ThreadedEngine::Options::hibernate_after). The engine stamps a process
  // with its sweep epoch when the process starts to wait; a sweep from another thread then calls
  // hibernate_if_idle(e), which hibernates a fiber that still waits and started before epoch e:
  // it claims the process as a waker would (so no sender can resume it meanwhile), puts its frames
  // aside, and publishes the wait again. `runnable`: mail arrived meanwhile and the caller must
  // schedule it (as after settle_waiting).
  void stamp_wait_epoch(std::uint32_t epoch) noexcept { wait_epoch_.store(epoch, std::memory_order_relaxed); }
  enum class IdleSweep : std::uint8_t { skipped, hibernated, runnable };
  // The cheap look a sweep takes first (no claim): waiting, since before `epoch`, not hibernated.
  bool idle_since_before(std::uint32_t epoch) const noexcept {
    return state_.load(std::memory_order_relaxed) == kWaiting && wait_epoch_.load(std::memory_order_relaxed) < epoch;
  }
  IdleSweep hibernate_if_idle(std::uint32_t started_before) noexcept;
  // Called by whoever just made this waiting process runnable (so its fields are stable): starts
  // loading what its next slice touches first. With many processes, a woken fiber's stack top has
  // long left the cache, and the context switch into it otherwise stalls on that miss.
  void prefetch_for_run() const noexcept {
    const char* self = reinterpret_cast<const char*>(this);
    for (int line = 1; line < 5; ++line) __builtin_prefetch(self + 64 * line);
    if (const char* stack = static_cast<const char*>(fiber_ctx_)) {
      // The saved context and the frames it returns into. (Prefetching the lines below, where
      // its next calls go, measured 2x slower.)
      for (int line = 0; line < 8; ++line) __builtin_prefetch(stack + 64 * line);
    }
  }
  // Takes an item into the mailbox; false (item left with caller) when this process is dead.
  bool accept(detail::Item* item) noexcept { return inbox_.push(item); }
  bool retain() noexcept;  // +1 reference unless already released
  void release() noexcept;
  bool is_stackless() const { return stackless_ != nullptr; }
  Node& home() const { return *node_; }
  Status status() const;
  const Reason& exit_reason() const { return exit_reason_; }
  std::uint64_t& rng_state() { return rng_; }
  void*& engine_data() { return engine_data_; }  // one word an engine may keep per process
  // At a receive's preemption point: what the receive accepts (null: anything, stackless).
  const detail::ReceivePattern* receive_pattern() const { return receive_pattern_; }
  // Reductions this process still owes: an engine that charges more than a slice holds (for
  // sends to a congested process) carries the rest into the process's next slices.
  std::int64_t& owed_reductions() { return owed_reductions_; }
  // The threaded engine's affinity: a process whose slice sent to a congested receiver stays in its
  // worker's own queue (not stolen) until a slice of it finds no congestion; parked behind the
  // receiver, it is let go on the receiver's worker. So a fan-in's messages are written and read
  // on one core.
  bool& pinned() { return pinned_; }
  Process* run_next = nullptr;                    // intrusive link for engines' run queues

  // The process must end with `reason` at its next safe point; the engine then runs it (a fiber
  // unwinds: destructors run) until run_slice() returns exited. Used for node crashes.
  void condemn(Reason reason) {
    if (!dying_) die_later(std::move(reason));
  }
  struct MonitorEntry {
    Ref ref;
    Pid pid;
  };
  // Read by engines between slices (the simulator uses them to cut links across a partition).
  const std::vector<Pid>& links() const { return links_; }
  const std::vector<MonitorEntry>& monitors() const { return monitors_; }
  const std::vector<MonitorEntry>& monitored_by() const { return monitored_by_; }
  const std::string* registered_name() const { return name_.get(); }  // null: none

  // Puts an item into its target's mailbox now, waking the target if it was waiting (the engine's
  // schedule() is called), or answers for a dead target. Every engine's delivery ends here.
  // Returns how congested the target is: 0 when its queue held fewer than kCongestedAt messages
  // the last time it fetched mail, and one more for each doubling beyond. An engine may make the
  // sender pay for it, so a fast sender cannot bury a slower receiver in memory.
  static unsigned deliver_local(Engine& engine, Node& node, detail::ItemPtr item);
  static constexpr std::size_t kCongestedAt = 1024;
  static constexpr unsigned congestion_level(std::size_t queued) {
    unsigned level = 0;
    for (std::size_t n = queued; n >= kCongestedAt && level < 16; n >>= 1) ++level;
    return level;
  }
  unsigned congestion() const noexcept { return congestion_.load(std::memory_order_relaxed); }
  // Back-pressure that takes a sender off the CPU: a sender whose message found this process's
  // backlog at kParkLevel or more may be parked behind it (not runnable) while this process runs;
  // it lets its parked senders go (rescheduled through the engine) when a fetch finds its backlog
  // below kParkLevel, and when it waits in receive, parks itself, or exits. True if `sender` is
  // now parked. Engine thread, between the sender's slices. The sender's own parked senders go
  // first, so no cycle of processes can wait on one another.
  static constexpr unsigned kParkLevel = 4;  // a backlog of 8k messages: still in the cache
  bool park_sender(Process& sender);
  // Answers an item addressed to a dead process on behalf of that process (bounce: a link gets
  // an exit with noproc, a monitor a Down with noproc, an info request nullopt).
  static void answer_for_dead(Engine& engine, detail::ItemPtr item);
  // Shared spawn logic for engines: makes the process (not yet scheduled).
  // Where a new fiber starts (called by the context-switch trampoline).
  static void fiber_entry(void* transfer_fctx, void* data);
  static Process* create(Engine& engine, Node& node, Process* parent, detail::ProcessBody body,
                         const SpawnOptions& opts, std::size_t default_stack_size);

 private:
  friend class detail::ProcessPool;
  Process() = default;
  ~Process() = default;

  static constexpr std::uint8_t kRunnable = 0, kRunning = 1, kWaiting = 2, kExiting = 3, kFree = 4;

  Pid spawn_body(detail::ProcessBody body, const SpawnOptions& opts);
  void send_item(Pid to, detail::ItemPtr item);
  void send_signal(Pid to, detail::ItemKind kind, Reason reason = {}, Ref ref = {}, bool via_link = false);
  Pid resolve_name(std::string_view name) const;
  void preempt(PointKind kind, const detail::Item* received = nullptr);
  // The one suspension point of a fiber process: back to the engine until it resumes us.
  void park(detail::SliceEnd why);
  // Moves the inbox into the queue, acting on signals; throws ExitNow when one is fatal.
  void handle_signals();
  void on_exit_signal(detail::SignalItem& s);
  void die_later(Reason r);  // record a fatal reason; the next safe point throws it
  void throw_if_dying();
  // Ends the fiber without unwinding: back to the engine, never to run again.
  [[noreturn]] void abandon_fiber();
  // A fiber that ran out of stack (its guard page faulted, or a preemption point found less than
  // kStackReserve left) ends with stack_overflow: its frames cannot be unwound, only abandoned.
  [[noreturn]] static void stack_overflowed(void* self);
  void check_stack_left() {
    auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    auto base = reinterpret_cast<std::uintptr_t>(stack_.base);  // 0 when stackless
    if (here < base + std::min<std::uintptr_t>(kStackReserve, stack_.size / 4)) stack_overflowed(this);
  }
  static constexpr std::uintptr_t kStackReserve = 4096;
  bool monitor_active(Ref ref) const;
  void note_receive(const detail::Item* item, const detail::ReceivePattern* pattern = nullptr);
  // receive(): wait for mail beyond the cursor; false when the timeout fired.
  bool wait_for_more(detail::MessageQueue::Cursor& cursor, std::optional<Duration> timeout, Ref& timer);
  void cancel_receive_timer(Ref& timer);

  void run_fiber_body();
  detail::SliceEnd run_stackless_slice();
  void reset_for_reuse();

  // Fields shared with other threads.
  std::atomic<std::uint8_t> state_{kFree};
  std::atomic<std::uint32_t> refs_{0};
  std::atomic<std::uint8_t> congestion_{0};  // written by the owner only when it changes; read by senders
  bool pinned_ = false;  // engine-owned (pinned()); here it fills padding
  std::atomic<std::uint32_t> wait_epoch_{0};  // stamp_wait_epoch: when the current wait began
  detail::Inbox inbox_;

  // Fields only this process (or its engine between slices) touches.
  Engine* engine_ = nullptr;
  Node* node_ = nullptr;
  Pid pid_;
  bool trap_exit_ = false;
  bool dying_ = false;       // a fatal signal arrived; reason in exit_reason_
  bool exit_thrown_ = false; // ExitNow for it has been thrown once already
  bool started_ = false;
  bool yield_requested_ = false;
  bool hibernate_requested_ = false;

  bool timed_out_ = false;
  detail::SliceEnd slice_end_ = detail::SliceEnd::waiting;
  detail::MessageQueue queue_;
  std::vector<Pid> links_;
  std::vector<MonitorEntry> monitors_;      // ours, on others
  std::vector<MonitorEntry> monitored_by_;  // others', on us
  Ref active_timeout_;                      // the timer of the receive in progress
  const detail::ReceivePattern* receive_pattern_ = nullptr;  // at a receive's preemption point
  Ref last_spawn_monitor_;
  Reason exit_reason_;
  std::unique_ptr<std::string> name_;  // registered name; a pointer keeps every Process a line smaller
  std::uint64_t reductions_ = 0;
  std::int64_t owed_reductions_ = 0;
  // Senders parked behind this process (park_sender), linked through run_next; or parking_closed()
  // when it refuses them: set when it is about to wait (or parks, or exits), cleared by whatever
  // makes it runnable again. Senders push with a CAS from any other value, so a close (one
  // exchange, by the owner) and a park never cross; no lock is taken per wait.
  std::atomic<Process*> parked_senders_{parking_closed()};
  static Process* parking_closed() noexcept { return reinterpret_cast<Process*>(&parking_closed_tag_); }
  static inline char parking_closed_tag_ = 0;
  // Only the owner while running, or the one waker of a waiting process: nobody parks meanwhile.
  void open_parking() noexcept {
    if (parked_senders_.load(std::memory_order_relaxed) == parking_closed()) parked_senders_.store(nullptr, std::memory_order_relaxed);
  }
  void update_parking(unsigned level);  // after a fetch, with the backlog's level
  void release_parked_senders(bool close);
  std::uint64_t rng_ = 0;
  void* engine_data_ = nullptr;

  std::unique_ptr<detail::FiberBody> fiber_body_;
  std::unique_ptr<Stackless> stackless_;
  detail::Stack stack_;
  void* fiber_ctx_ = nullptr;  // the suspended fiber (boost fcontext)
  // While hibernating: the fiber's live frames, [fiber_ctx_, stack top), with their size in front.
  std::uint32_t* saved_frames_ = nullptr;
  void hibernate_now();  // scheduler side, after the fiber parked to wait
  void wake_from_hibernation();
  void* sched_ctx_ = nullptr;  // where the fiber returns to when it parks
  detail::FiberSwitch fiber_switch_;
};

}  // namespace moira

#include "runtime/receive_impl.hpp"
