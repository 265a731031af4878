#pragma once
// The one seam between process code and what runs it. ThreadedEngine (runtime/) runs processes on
// worker threads; sim::Simulation (sim/) runs them on one thread and makes every nondeterministic
// decision from a seed. Process code sees only Process&; nothing in runtime/ asks which it is on.
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "runtime/message.hpp"
#include "runtime/pid.hpp"
#include "runtime/process_body.hpp"
#include "runtime/time.hpp"

namespace moira {

namespace detail {
struct ReceivePattern;
}
class Process;
class Node;

// Where a process may be preempted; the simulator records which kind each decision was made at.
// `send` is just after a send; `before_send` just before one (only when the engine asks for it:
// Engine::points_before_send, so engines that do not care pay nothing). `exit`: the process's body
// has ended (returned, thrown, or been killed) and its links and monitors are not told yet (only
// when the engine asks for it: Engine::points_at_exit).
enum class PointKind : std::uint8_t { send, receive, spawn, link, monitor, exit_signal, yield, before_send, exit };

class Engine {
 public:
  virtual ~Engine() = default;

  // ---- the seam ----
  // Makes a process on `opts.node` (parent: the spawning process, or null from outside) and
  // places it. Throws moira::Error when the node does not exist.
  virtual Pid spawn_process(Process* parent, detail::ProcessBody body, const SpawnOptions& opts) = 0;
  // An item (message or signal) leaves its sender for item->to.
  virtual void deliver(detail::ItemPtr item) = 0;
  // A process became runnable (it was waiting, or is new).
  virtual void schedule(Process& p) = 0;
  // Called by a running process at each point where it may be preempted; true: yield now.
  // `received`: at a receive, the item just taken from the mailbox (the simulator's trace links it
  // to its send); null elsewhere.
  virtual bool preemption_point(Process& p, PointKind kind, const detail::Item* received) = 0;
  // A receive gave up (its after() clause runs) having matched nothing: only the simulator's
  // partial-order reduction cares (an empty poll is as much a read of the mailbox as a receive).
  virtual void receive_missed(Process& p, const detail::ReceivePattern& pattern) {
    (void)p;
    (void)pattern;
  }
  virtual Time now() const = 0;
  // Sends `item` to `to` after `after`; the returned ref is also stored in item->ref. A timer to
  // a pid dies with that process (as a BIF timer in Erlang): one to a process that is dead or
  // exits before it fires is cancelled. detail::fire_timer delivers what fires.
  virtual Ref start_timer(Pid to, Duration after, detail::ItemPtr item) = 0;
  // The time the timer had left, or nullopt if it fired, was cancelled or died with its target.
  virtual std::optional<Duration> cancel_timer(Ref timer) = 0;
  virtual std::optional<Duration> read_timer(Ref timer) = 0;  // the time left, without cancelling
  virtual std::uint64_t random(Process& p) = 0;
  // A value in [0, n) for Process::choose (n >= 2). The simulator makes it a recorded decision
  // (0 the calm one); elsewhere it is just random.
  virtual std::uint64_t choose(Process& p, std::uint64_t n) { return random(p) % n; }
  virtual Ref make_ref() = 0;
  // Whether processes stop at a preemption point just before each send, too.
  bool points_before_send() const { return points_before_send_; }
  // Whether a process stops once more when its body has ended, before its exit is signalled.
  bool points_at_exit() const { return points_at_exit_; }
  virtual Node* find_node(NodeId id) = 0;  // null when there is no such node (or it is down)

  // ---- conveniences for code outside any process (tests, main) ----
  template <class F, class... A>
  Pid spawn(F&& f, A&&... args) {
    return spawn_process(nullptr, detail::make_fiber_body(std::forward<F>(f), std::forward<A>(args)...), {});
  }
  template <class F, class... A>
  Pid spawn_on(NodeId node, F&& f, A&&... args) {
    SpawnOptions opts;
    opts.node = node;
    return spawn_process(nullptr, detail::make_fiber_body(std::forward<F>(f), std::forward<A>(args)...), opts);
  }
  template <class T, class... A>
  Pid spawn_stackless(A&&... args) {
    return spawn_process(nullptr, detail::ProcessBody{nullptr, std::make_unique<T>(std::forward<A>(args)...)}, {});
  }
  template <MessageValue T>
  void send(Pid to, T value) {
    auto item = std::make_unique<detail::ValueItem<T>>(std::move(value));
    item->to = to;
    deliver(std::move(item));
  }
  void exit(Pid to, Reason reason);  // an exit signal from outside (from the null pid)
  std::optional<Pid> whereis(std::string_view name, NodeId node = 0);

 protected:
  bool points_before_send_ = false;
  bool points_at_exit_ = false;
};

}  // namespace moira
