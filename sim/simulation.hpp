#pragma once
// sim::Simulation: the deterministic engine. One thread; fibers switched by the simulator alone;
// a virtual clock that jumps to the next pending event when nothing can run; every
// nondeterministic decision one ChoiceSource::choose(n), recorded; every event traced and hashed.
// The same process code that runs on ThreadedEngine runs here unchanged.
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/engine.hpp"
#include "runtime/node.hpp"
#include "runtime/process.hpp"
#include "sim/choice_source.hpp"
#include "sim/decision_log.hpp"
#include "sim/fault.hpp"
#include "sim/options.hpp"
#include "sim/run_queue.hpp"
#include "sim/trace.hpp"

namespace moira::sim {

// Runs on a node when it starts and again at every restart: spawn the node's services here.
using Boot = std::function<void(Process&)>;

enum class Outcome : std::uint8_t {
  completed,       // nothing can run, nothing is pending, no process is left
  deadlocked,      // nothing can run, nothing is pending, and processes wait in receive forever
  bound_exceeded,  // max_steps or max_virtual_time reached
  diverged,        // a replay stopped matching its log
  failed,          // a process's sim::require failed, or a liveness monitor stayed hot too long
};
std::string_view to_string(Outcome outcome);

struct BlockedProcess {
  Pid pid;
  std::size_t mailbox_length = 0;  // messages it has not received (none of them matched)
  bool stackless = false;
};

// Why a run failed from the inside: the step it happened at, and who.
struct Failure {
  enum class Kind : std::uint8_t { require, liveness };
  Kind kind = Kind::require;
  std::string message;
  std::uint64_t step = 0;
  Pid pid;                 // require: the process that asserted; liveness: null
  Time virtual_time{};
  // liveness: whether the strategy is fair (ChoiceSource::fair). Under an unfair one (PCT) a hot
  // monitor may only mean a process was starved, so the failure is not evidence of a bug.
  bool trusted = true;
  std::string describe() const;
};

struct RunResult {
  Outcome outcome = Outcome::completed;
  std::optional<Failure> failure;       // failed: what, where, who
  std::string bound;                    // bound_exceeded: "max_steps" or "max_virtual_time"
  std::vector<BlockedProcess> blocked;  // deadlocked: every process left, each waiting in receive
  std::optional<Divergence> divergence;
  std::uint64_t steps = 0;
  std::uint64_t decisions = 0;
  std::uint64_t delivered = 0;  // items put into mailboxes
  Time virtual_time{};
  std::uint64_t trace_hash = 0;
  std::string settings;  // swarm mode: the fault settings this run drew
  bool waiting_fine = false;  // options.waiting_at_end was `fine`: processes left waiting are idle servers

  bool ok() const { return outcome == Outcome::completed || (outcome == Outcome::deadlocked && waiting_fine); }
  std::string describe() const;
};

// What a run does, step by step, for sim/dpor.cpp's partial-order reduction. Null unless set, so a
// normal run pays one untaken branch per event. Calls come from inside the run, between decisions.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual void spawned(Pid child, std::uint64_t key) = 0;  // key: as in ChoiceContext::runnable
  virtual void appended(const moira::detail::Item& item) = 0;  // put into a local mailbox
  virtual void received(Pid by, const moira::detail::Item* item, const moira::detail::ReceivePattern* pattern) = 0;
  virtual void missed(Pid by, const moira::detail::ReceivePattern& pattern) = 0;  // a receive gave up
  virtual void woke(Pid pid) = 0;    // a waiting process became runnable
  virtual void exited(Pid pid) = 0;
  virtual void global() = 0;  // timers, items in flight, faults, monitors: ordered with everything
};

class Simulation final : public Engine {
 public:
  // The strategy is the seeded random walk (options.seed) unless a source is given.
  explicit Simulation(Options options = {});
  Simulation(Options options, std::unique_ptr<ChoiceSource> source);
  ~Simulation() override;  // ends every process left (fibers unwind)
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // ---------------------------------------------------------------- the world
  // Node 0 ("node0") exists from the start. A node's boot runs as a process on it, now and after
  // every restart.
  NodeId add_node(std::string name, Boot boot = {});
  void set_boot(NodeId node, Boot boot);  // replaces the boot and runs it now (node must be up)
  std::size_t node_count() const { return nodes_.size(); }
  bool node_up(NodeId node) const { return node < nodes_.size() && nodes_[node].node != nullptr; }
  std::uint32_t incarnation(NodeId node) const { return nodes_.at(node).incarnation; }
  const std::string& node_name(NodeId node) const { return nodes_.at(node).name; }

  // ---------------------------------------------------------------- running
  // Runs until nothing can run and nothing is pending, or a bound is hit. May be called again
  // (after spawning more, or injecting faults); steps and virtual time carry on.
  RunResult run();

  // ---------------------------------------------------------------- faults (all traced)
  // From outside a process they act at once; from inside one, as soon as it is preempted.
  void inject(const Fault& fault);
  void at(Duration time, Fault fault);  // at virtual time `time` (now, if that has passed)
  void kill(Pid pid, Reason reason = Reason::kill()) { inject(Fault::kill(pid, std::move(reason))); }
  void crash_node(NodeId node) { inject(Fault::crash(node)); }
  void restart_node(NodeId node) { inject(Fault::restart(node)); }
  void partition(std::vector<NodeId> side_a, std::vector<NodeId> side_b = {}, bool one_way = false) {
    inject(Fault::partition(std::move(side_a), std::move(side_b), one_way));
  }
  void heal() { inject(Fault::heal()); }

  // ---------------------------------------------------------------- in-run checks (liveness.cpp)
  // The simulation whose process is running on this thread, or null (see sim/require.hpp).
  static Simulation* running();
  // Ends the run as failed at this step, blaming the running process (sim::require calls it);
  // the process stops here. Outside a process it only records the failure.
  void fail(std::string message);
  // Liveness monitors (Coyote's hot/cold monitors, TLA+'s "eventually"): code marks a goal as
  // pending (hot) and reached (cold); a monitor hot for more than `max_hot_steps` steps (0: no
  // limit) or `max_hot_time` of virtual time (0: no limit), or hot when the run ends, fails the run.
  using MonitorId = std::size_t;
  MonitorId add_monitor(std::string name, std::uint64_t max_hot_steps, Duration max_hot_time = {});
  void hot(MonitorId monitor);
  void cold(MonitorId monitor);
  bool is_hot(MonitorId monitor) const { return monitors_.at(monitor).hot; }
  // BUGGIFY (sim/buggify.hpp): whether the point `point` misbehaves now. With options.buggify,
  // each point is enabled or not once per run (when first reached: 1 in 4), and an enabled one
  // fires at 1 in 4 of its evaluations; both are `buggify` decisions, 0 being "no".
  bool buggify(std::uint64_t point);

  // ---------------------------------------------------------------- observation
  void set_observer(Observer* observer) { observer_ = observer; }
  Time virtual_now() const { return now_; }
  std::uint64_t steps() const { return steps_; }
  std::uint64_t decision_count() const { return decisions_; }
  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t trace_hash() const { return trace_.hash(); }
  const Trace& trace() const { return trace_; }
  Trace take_trace() { return std::move(trace_); }  // after run(): the views keep it, the simulation is done
  // A note for the trace views, at this moment, on `pid`'s lane: a scenario marks where its
  // invariant broke, and `moira trace --why` starts from the first mark. Never hashed; a no-op
  // unless the trace is kept.
  void mark(Pid pid, std::string_view text);
  const std::vector<DecisionRecord>& decisions() const { return log_; }
  // The run so far as a replayable log (keep_decisions must be on).
  DecisionLog decision_log(std::string scenario = {}) const;
  ChoiceSource& source() { return *source_; }
  const Options& options() const { return options_; }
  std::size_t process_count() const;
  std::vector<Pid> live_processes() const;  // node by node, in slot order
  // A process's state, read between slices (nullopt: no such live process).
  std::optional<ProcessInfo> process_info(Pid pid) const;

  // ---------------------------------------------------------------- Engine
  Pid spawn_process(Process* parent, moira::detail::ProcessBody body, const SpawnOptions& opts) override;
  void deliver(moira::detail::ItemPtr item) override;
  void schedule(Process& p) override;
  bool preemption_point(Process& p, PointKind kind, const moira::detail::Item* received) override;
  void receive_missed(Process& p, const moira::detail::ReceivePattern& pattern) override {
    if (observer_) observer_->missed(p.self(), pattern);
  }
  Time now() const override;
  Ref start_timer(Pid to, Duration after, moira::detail::ItemPtr item) override;
  std::optional<Duration> cancel_timer(Ref timer) override;
  std::optional<Duration> read_timer(Ref timer) override;
  std::uint64_t random(Process& p) override;
  std::uint64_t choose(Process& p, std::uint64_t n) override;
  Ref make_ref() override { return Ref{++last_ref_}; }
  Node* find_node(NodeId id) override { return id < nodes_.size() ? nodes_[id].node.get() : nullptr; }

 private:
  struct NodeState {
    std::string name;
    Boot boot;
    std::unique_ptr<Node> node;  // null while down
    std::uint32_t incarnation = 0;
    std::vector<Process*> slots;  // by pid.index; null: free
    std::size_t live = 0;
    Duration clock_offset{};
    std::int64_t drift_ppm = 0;
  };
  // Pending events are ordered by (due, seq); seq is unique across every kind of event.
  struct Key {
    std::int64_t due = 0;
    std::uint64_t seq = 0;
    friend auto operator<=>(const Key&, const Key&) = default;
  };
  struct InFlight {
    moira::detail::ItemPtr item;
    Pid from;
    Pid to;
    NodeId src = 0;
    NodeId dst = 0;
    std::uint64_t pair_no = 0;  // its place in the (from, to) pair's order
    bool unordered = false;     // a duplicate: outside the pair's order (pair_no unused) ...
    Key after{};                // ... but due only once its original (this key) has arrived
  };
  struct PairState {
    Time last_due{};
    std::uint64_t sent = 0;
    std::uint64_t delivered = 0;
  };
  struct Timer {
    Ref ref;
    NodeId owner = 0;
    Pid target;  // null: not tied to a process (a timer to a name)
    moira::detail::ItemPtr item;
  };
  struct LinkState {
    bool blocked = false;
    double drop_probability = 0;
    Duration delay{};
  };
  enum class DueType : std::uint8_t { message, timer, fault, tick };
  struct Due {
    Key key;
    DueType type = DueType::message;
  };
  struct Pending {  // a preemption chose what runs next; the loop does it once the process is off
    bool set = false;
    bool is_event = false;
    Due event;
    std::size_t index = 0;  // into the run queue
  };
  enum class Mode : std::uint8_t { normal, crash_unwind, crash_finish, teardown };
  static constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();
  static constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

  // loop (simulation.cpp)
  static std::uint64_t key_of(Process& p) { return reinterpret_cast<std::uintptr_t>(p.engine_data()); }
  std::uint64_t decide(std::uint64_t n, ChoiceContext& ctx);
  std::uint64_t decide(DecisionKind kind, std::uint64_t n);
  bool chance(DecisionKind kind, double probability);
  void collect_due();
  std::optional<std::size_t> take_pending(std::size_t events);
  bool advance_clock();
  void fire(const Due& due);
  void run_process(Process* p);
  void maybe_jump_time(Process& p, PointKind kind);
  void check_liveness(bool at_end);
  void update_liveness_deadline();
  void run_to_exit(Process* p);
  void retire(Process* p);
  Process* find_live(Pid pid) const;
  RunResult make_result(std::optional<Outcome> stopped);
  void note(EventKind kind, Pid a = {}, Pid b = {}, std::uint64_t x = 0, std::uint64_t y = 0,
            std::string_view text = {}) {
    trace_.add(steps_, now_, kind, a, b, x, y, text);
    if (Event* e = trace_.last()) decorate(*e, kNoEvent);
  }
  void note_item(moira::detail::Item& item);
  // Presentation data of a kept event (trace_views.cpp): who ran, and what caused it.
  void decorate(Event& e, std::uint64_t cause);
  // An item carries the seq of the last event it passed through (31 bits of it), so the next
  // event it makes (delivery, receive, bounce) can name it as its cause.
  void stamp(moira::detail::Item& item);
  void note_drop(moira::detail::Item& item, std::string_view why);
  std::uint64_t stamped(const moira::detail::Item& item) const;
  // While the engine acts on behalf of an event (a fault, a timer firing, a bounce), the events it
  // makes without a process running are caused by that event.
  class CauseScope {
   public:
    CauseScope(Simulation& s, std::uint64_t cause) : s_(s), saved_(s.cause_) { s.cause_ = cause; }
    ~CauseScope() { s_.cause_ = saved_; }
    CauseScope(const CauseScope&) = delete;
    CauseScope& operator=(const CauseScope&) = delete;

   private:
    Simulation& s_;
    std::uint64_t saved_;
  };
  std::uint64_t last_seq() const { return trace_.seen() == 0 ? kNoEvent : trace_.seen() - 1; }
  Time local_time(const NodeState& ns, Time t) const;
  void end_all_processes();
  // timers (simulation.cpp)
  std::map<Key, Timer>::iterator erase_timer(std::map<Key, Timer>::iterator it);
  void cancel_timers_to(Pid target);
  Duration local_duration(NodeId node, std::int64_t global_ns) const;

  // network (network.cpp)
  void deliver_now(moira::detail::ItemPtr item);
  void send_remote(NodeId src, NodeId dst, moira::detail::ItemPtr item);
  Key enqueue(NodeId src, NodeId dst, moira::detail::ItemPtr item, Duration latency);
  void maybe_duplicate(NodeId src, NodeId dst, const moira::detail::Item& item, Key original, Duration extra);
  void bounce(moira::detail::ItemPtr item);
  Duration choose_latency();
  Duration local_latency();
  LinkState& link(NodeId src, NodeId dst) { return links_[src * nodes_.size() + dst]; }
  bool blocked(NodeId a, NodeId b) { return a != b && link(a, b).blocked; }
  bool is_head(const InFlight& f) const;
  void fire_message(const Key& key);
  template <class Pred>
  void purge_in_flight(Pred pred);
  void deliver_from_crashed(moira::detail::ItemPtr item);
  // Delivers noconnection for every link and monitor crossing the node pairs `cut` says are cut.
  template <class Cut>
  void sever(Cut cut);
  void sever_new_spawn(Process* parent, Process* child);

  // faults (faults.cpp)
  void apply(const Fault& fault);
  void crash_now(NodeId node);
  void restart_now(NodeId node);
  void partition_now(const Fault& fault);
  void heal_now(const Fault& fault);
  void kill_random_now(const Reason& reason);
  void converge_now();
  void tick_faults();
  void draw_settings();
  void spawn_boot(NodeId node);

  Options options_;
  Observer* observer_ = nullptr;
  std::uint64_t fingerprint_ = 0;
  std::unique_ptr<ChoiceSource> source_;
  std::vector<NodeState> nodes_;
  std::vector<LinkState> links_;  // nodes x nodes, by (src, dst)
  RunQueue runnable_;
  std::map<Key, InFlight> in_flight_;
  std::map<std::pair<Pid, Pid>, PairState> pairs_;
  std::map<Key, Timer> timers_;
  std::unordered_map<std::uint64_t, Key> timer_index_;  // by ref value; looked up, never iterated
  // (target, ref) of every timer tied to a process: those go when it exits, in ref order.
  std::map<std::pair<Pid, std::uint64_t>, Key> timers_by_target_;
  std::map<Key, Fault> plan_;
  Key tick_{kNever, 0};
  std::vector<Due> due_;
  Pending pending_;

  Process* current_ = nullptr;
  bool yield_asked_ = false;
  std::uint64_t last_ran_ = 0;
  bool last_yielded_ = false;  // the last slice ended in the process's own yield()
  Mode mode_ = Mode::normal;
  NodeId crashing_ = kNoNode;
  bool settings_drawn_ = false;
  std::string settings_;
  std::string bound_hit_;

  Time now_{};
  std::uint64_t steps_ = 0;
  std::uint64_t decisions_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t last_key_ = 0;
  std::uint64_t last_ref_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<DecisionRecord> log_;
  std::uint32_t jumps_left_ = 0;
  std::optional<Failure> failure_;
  struct Monitor {
    std::string name;
    std::uint64_t max_hot_steps = 0;
    std::int64_t max_hot_ns = 0;
    bool hot = false;
    std::uint64_t hot_since_step = 0;
    std::int64_t hot_since_ns = 0;
    std::int64_t converge_by_ns = kNever;  // after the heal: cold by then, or the run did not converge
  };
  std::vector<Monitor> monitors_;
  std::unordered_map<std::uint64_t, bool> buggify_points_;  // looked up, never iterated
  std::uint64_t liveness_step_deadline_ = std::numeric_limits<std::uint64_t>::max();
  std::int64_t liveness_time_deadline_ = kNever;
  Trace trace_;
  std::uint64_t cause_ = kNoEvent;  // see CauseScope

  // Message type names, demangled once per type (looked up by type, never iterated).
  struct TypeName {
    std::string name;
    std::uint64_t hash = 0;
  };
  const TypeName& type_name(TypeId type);
  std::unordered_map<TypeId, TypeName> type_names_;
  TypeId last_type_ = nullptr;
  const TypeName* last_type_name_ = nullptr;
};

}  // namespace moira::sim
