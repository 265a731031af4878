#include "sim/simulation.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "sim/check.hpp"
#include "sim/random_walk.hpp"

namespace moira::sim {

namespace detail {
void check_failed(const char* file, int line, const char* condition, const std::string& message) {
  std::fprintf(stderr, "moira sim: check failed at %s:%d: %s\n  %s\n", file, line, condition, message.c_str());
  std::fflush(stderr);
  std::abort();
}
}  // namespace detail

namespace {
thread_local Simulation* t_running = nullptr;

// Which simulation is running a process on this thread, for sim::require and monitors.
class RunningScope {
 public:
  explicit RunningScope(Simulation* s) : saved_(t_running) { t_running = s; }
  ~RunningScope() { t_running = saved_; }
  RunningScope(const RunningScope&) = delete;
  RunningScope& operator=(const RunningScope&) = delete;

 private:
  Simulation* saved_;
};

std::uint64_t kind_hash(DecisionKind kind) {
  static const std::array<std::uint64_t, kDecisionKinds> hashes = [] {
    std::array<std::uint64_t, kDecisionKinds> h{};
    for (std::size_t i = 0; i < h.size(); ++i) h[i] = fnv1a(to_string(static_cast<DecisionKind>(i)));
    return h;
  }();
  return hashes[static_cast<std::size_t>(kind)];
}
}  // namespace

Simulation* Simulation::running() { return t_running; }

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::completed: return "completed";
    case Outcome::deadlocked: return "deadlocked";
    case Outcome::bound_exceeded: return "bound_exceeded";
    case Outcome::diverged: return "diverged";
    case Outcome::failed: return "failed";
  }
  return "?";
}

std::string RunResult::describe() const {
  std::string out = fmt::format("{} after {} steps, {} decisions, {} deliveries, virtual time {}ns, trace hash {:#018x}",
                                to_string(outcome), steps, decisions, delivered, virtual_time.count(), trace_hash);
  if (!bound.empty()) out += fmt::format(" (bound: {})", bound);
  if (divergence) out += "\n  " + divergence->describe();
  if (failure) out += "\n  " + failure->describe();
  for (const auto& b : blocked) {
    out += fmt::format("\n  {} blocked in receive, {} message(s) in its mailbox{}", b.pid, b.mailbox_length,
                       b.stackless ? " (stackless)" : "");
  }
  if (!settings.empty()) out += "\n  settings: " + settings;
  return out;
}

// ------------------------------------------------------------------------------------------------
// Construction and teardown

Simulation::Simulation(Options options) : Simulation(std::move(options), nullptr) {}

Simulation::Simulation(Options options, std::unique_ptr<ChoiceSource> source)
    : options_(std::move(options)), fingerprint_(fingerprint(options_)), source_(std::move(source)) {
  if (!source_) source_ = std::make_unique<RandomWalk>(options_.seed);
  jumps_left_ = options_.time_jumps;
  points_before_send_ = options_.preempt_before_send;
  points_at_exit_ = options_.preempt_at_exit;
  if (options_.latency_steps < 1) options_.latency_steps = 1;
  if (options_.latency_max < options_.latency_min) options_.latency_max = options_.latency_min;
  trace_.keep_events(options_.keep_trace);
  trace_.keep_last(options_.trace_last_events, options_.trace_last_window);
  trace_.name_node(0, "node0");
  nodes_.emplace_back();
  nodes_[0].name = "node0";
  nodes_[0].node = std::make_unique<Node>(0, 0);
  links_.resize(1);
  for (const auto& planned : options_.plan) at(planned.at, planned.fault);
  if (options_.heal_at.count() > 0) at(options_.heal_at, Fault::converge());
}

Simulation::~Simulation() { end_all_processes(); }

void Simulation::end_all_processes() {
  mode_ = Mode::teardown;
  // Ending a process may spawn more (destructors, supervisors): go round until none is left.
  for (;;) {
    auto pids = live_processes();
    if (pids.empty()) break;
    for (Pid pid : pids) {
      Process* p = find_live(pid);
      if (!p) continue;
      p->condemn(Reason::killed());
      run_to_exit(p);
      retire(p);
    }
  }
  runnable_ = RunQueue{};
  in_flight_.clear();
  timers_.clear();
  timer_index_.clear();
  timers_by_target_.clear();
}

NodeId Simulation::add_node(std::string name, Boot boot) {
  MOIRA_SIM_CHECK(nodes_.size() < 4096, "too many nodes");
  auto id = static_cast<NodeId>(nodes_.size());
  std::vector<LinkState> grown((nodes_.size() + 1) * (nodes_.size() + 1));
  for (std::size_t a = 0; a < nodes_.size(); ++a)
    for (std::size_t b = 0; b < nodes_.size(); ++b) grown[a * (nodes_.size() + 1) + b] = links_[a * nodes_.size() + b];
  links_ = std::move(grown);
  nodes_.emplace_back();
  trace_.name_node(id, name);
  nodes_[id].name = std::move(name);
  nodes_[id].boot = std::move(boot);
  nodes_[id].node = std::make_unique<Node>(id, 0);
  if (nodes_[id].boot) spawn_boot(id);
  return id;
}

void Simulation::set_boot(NodeId node, Boot boot) {
  MOIRA_SIM_CHECK(node_up(node), "set_boot: node {} is not up", node);
  nodes_[node].boot = std::move(boot);
  if (nodes_[node].boot) spawn_boot(node);
}

void Simulation::spawn_boot(NodeId node) {
  SpawnOptions opts;
  opts.node = node;
  spawn_process(nullptr, moira::detail::make_fiber_body(nodes_[node].boot), opts);
}

// ------------------------------------------------------------------------------------------------
// Decisions

std::uint64_t Simulation::decide(std::uint64_t n, ChoiceContext& ctx) {
  ctx.step = steps_;
  std::uint64_t c = source_->choose(n, ctx);
  if (ctx.queue) runnable_.clear_fresh();  // the strategy has seen them
  if (n < 2) return 0;
  MOIRA_SIM_CHECK(c < n, "{} answered {} to a {} decision among {}", source_->describe(), c, to_string(ctx.kind), n);
  ++decisions_;
  if (options_.keep_decisions) log_.push_back(DecisionRecord{steps_, ctx.kind, n, c});
  trace_.add(steps_, now_, EventKind::decision, {}, {}, n, c, to_string(ctx.kind), kind_hash(ctx.kind));
  return c;
}

std::uint64_t Simulation::decide(DecisionKind kind, std::uint64_t n) {
  ChoiceContext ctx;
  ctx.kind = kind;
  ctx.current = current_ ? key_of(*current_) : 0;
  return decide(n, ctx);
}

// True with `probability`; choice 0 is always "no".
bool Simulation::chance(DecisionKind kind, double probability) {
  constexpr std::uint64_t n = 1'000'000;
  if (!(probability > 0)) return false;
  auto threshold = static_cast<std::uint64_t>(probability * static_cast<double>(n) + 0.5);
  if (threshold == 0) return false;
  if (threshold >= n) return true;
  return decide(kind, n) >= n - threshold;
}

// ------------------------------------------------------------------------------------------------
// The loop

void Simulation::collect_due() {
  due_.clear();
  const std::int64_t now = now_.count();
  int sources = 0;
  if (!in_flight_.empty() && in_flight_.begin()->first.due <= now) {
    ++sources;
    for (auto it = in_flight_.begin(); it != in_flight_.end() && it->first.due <= now; ++it)
      if (is_head(it->second)) due_.push_back(Due{it->first, DueType::message});
  }
  if (!timers_.empty() && timers_.begin()->first.due <= now) {
    ++sources;
    for (auto it = timers_.begin(); it != timers_.end() && it->first.due <= now; ++it)
      due_.push_back(Due{it->first, DueType::timer});
  }
  if (!plan_.empty() && plan_.begin()->first.due <= now) {
    ++sources;
    for (auto it = plan_.begin(); it != plan_.end() && it->first.due <= now; ++it)
      due_.push_back(Due{it->first, DueType::fault});
  }
  if (tick_.due <= now) {
    ++sources;
    due_.push_back(Due{tick_, DueType::tick});
  }
  if (sources > 1) std::sort(due_.begin(), due_.end(), [](const Due& a, const Due& b) { return a.key < b.key; });
}

std::optional<std::size_t> Simulation::take_pending(std::size_t events) {
  if (!pending_.set) return std::nullopt;
  pending_.set = false;
  if (!pending_.is_event) {
    if (pending_.index < runnable_.size()) return events + pending_.index;
    return std::nullopt;
  }
  for (std::size_t i = 0; i < events; ++i)
    if (due_[i].key == pending_.event.key && due_[i].type == pending_.event.type) return i;
  return std::nullopt;  // cancelled meanwhile (a timer): decide afresh
}

RunResult Simulation::run() {
  MOIRA_SIM_CHECK(current_ == nullptr, "Simulation::run() called from inside a process");
  if (!settings_drawn_) draw_settings();
  bound_hit_.clear();
  std::optional<Outcome> stopped;
  for (;;) {
    if (source_->divergence()) {
      stopped = Outcome::diverged;
      break;
    }
    if (steps_ >= liveness_step_deadline_ || now_.count() >= liveness_time_deadline_) check_liveness(false);
    if (failure_) {
      stopped = Outcome::failed;
      break;
    }
    if (steps_ >= options_.max_steps) {
      bound_hit_ = "max_steps";
      stopped = Outcome::bound_exceeded;
      break;
    }
    collect_due();
    const std::size_t events = due_.size();
    const std::size_t n = events + runnable_.size();
    if (n == 0) {
      if (advance_clock()) continue;
      if (!bound_hit_.empty()) stopped = Outcome::bound_exceeded;
      if (!stopped) {
        check_liveness(true);  // a goal still pending when the run is over was never reached
        if (failure_) stopped = Outcome::failed;
      }
      break;
    }
    std::optional<std::size_t> choice = take_pending(events);
    if (!choice) {
      ChoiceContext ctx;
      ctx.kind = DecisionKind::schedule;
      ctx.current = last_ran_;
      ctx.current_yielded = last_yielded_;
      ctx.events = events;
      ctx.runnable = runnable_.keys();
      ctx.queue = &runnable_;
      choice = decide(n, ctx);
    }
    ++steps_;
    if (*choice < events) {
      fire(due_[*choice]);
    } else {
      run_process(runnable_.take(*choice - events));
    }
  }
  return make_result(stopped);
}

// Nothing can run: jump to the earliest pending event. False when nothing is pending that keeps
// the run alive (rate-fault ticks do not), or when the jump would pass max_virtual_time.
bool Simulation::advance_clock() {
  std::int64_t next = kNever;
  if (!in_flight_.empty()) next = std::min(next, in_flight_.begin()->first.due);
  if (!timers_.empty()) next = std::min(next, timers_.begin()->first.due);
  if (!plan_.empty()) next = std::min(next, plan_.begin()->first.due);
  if (next == kNever) return false;
  next = std::min(next, tick_.due);
  if (next > options_.max_virtual_time.count()) {
    bound_hit_ = "max_virtual_time";
    return false;
  }
  now_ = Time{std::max(next, now_.count())};
  return true;
}

void Simulation::fire(const Due& due) {
  switch (due.type) {
    case DueType::message:
      fire_message(due.key);
      break;
    case DueType::timer: {
      auto it = timers_.find(due.key);
      MOIRA_SIM_CHECK(it != timers_.end(), "due timer vanished");
      const std::uint64_t ref = it->second.ref.value;
      moira::detail::ItemPtr item = std::move(it->second.item);
      erase_timer(it);
      if (observer_) observer_->global();
      trace_.add(steps_, now_, EventKind::timer_fire, {}, item->to, ref, 0, {});
      if (Event* e = trace_.last()) decorate(*e, stamped(*item));
      CauseScope scope{*this, last_seq()};
      moira::detail::fire_timer(*this, std::move(item));
      break;
    }
    case DueType::fault: {
      auto node = plan_.extract(due.key);
      MOIRA_SIM_CHECK(!node.empty(), "due fault vanished");
      apply(node.mapped());
      break;
    }
    case DueType::tick:
      tick_faults();
      break;
  }
}

void Simulation::run_process(Process* p) {
  current_ = p;
  yield_asked_ = false;
  p->set_running();
  RunningScope running{this};
  moira::detail::SliceEnd end = p->run_slice();
  current_ = nullptr;
  if (trace_.keeping_events())
    if (const std::string* name = p->registered_name()) trace_.name_process(p->self(), *name);
  last_ran_ = key_of(*p);
  // A yield the simulator did not ask for (a preemption sets yield_asked_) is the process's own.
  last_yielded_ = end == moira::detail::SliceEnd::yielded && !yield_asked_;
  switch (end) {
    case moira::detail::SliceEnd::exited:
      retire(p);
      break;
    case moira::detail::SliceEnd::yielded:
      runnable_.push(p, key_of(*p));
      break;
    case moira::detail::SliceEnd::waiting:
      if (p->settle_waiting()) runnable_.push(p, key_of(*p));
      break;
  }
}

// Runs a condemned process until it has unwound (a crash, or the end of the simulation).
void Simulation::run_to_exit(Process* p) {
  for (int attempt = 0;; ++attempt) {
    MOIRA_SIM_CHECK(attempt < 1000, "{} does not end after being condemned (does a destructor block in receive?)",
                    p->self());
    current_ = p;
    p->set_running();
    RunningScope running{this};
    moira::detail::SliceEnd end = p->run_slice();
    current_ = nullptr;
    if (end == moira::detail::SliceEnd::exited) return;
  }
}

void Simulation::retire(Process* p) {
  Pid pid = p->self();
  if (observer_) observer_->exited(pid);
  note(EventKind::exit, pid, {}, 0, 0, p->exit_reason().text());
  NodeState& ns = nodes_[pid.node];
  MOIRA_SIM_CHECK(pid.index < ns.slots.size() && ns.slots[pid.index] == p, "retiring unknown process {}", pid);
  ns.slots[pid.index] = nullptr;
  --ns.live;
  p->finish();  // may release p: not touched after this
  cancel_timers_to(pid);
}

RunResult Simulation::make_result(std::optional<Outcome> stopped) {
  RunResult r;
  r.steps = steps_;
  r.decisions = decisions_;
  r.delivered = delivered_;
  r.virtual_time = now_;
  r.trace_hash = trace_.hash();
  r.settings = settings_;
  r.bound = bound_hit_;
  r.failure = failure_;
  r.waiting_fine = options_.waiting_at_end == WaitingAtEnd::fine;
  if (const Divergence* d = source_->divergence()) r.divergence = *d;
  if (stopped) {
    r.outcome = *stopped;
    return r;
  }
  for (Pid pid : live_processes()) {
    Process* p = find_live(pid);
    r.blocked.push_back(BlockedProcess{pid, p->mailbox_length(), p->is_stackless()});
  }
  r.outcome = r.blocked.empty() ? Outcome::completed : Outcome::deadlocked;
  return r;
}

// ------------------------------------------------------------------------------------------------
// Processes

Pid Simulation::spawn_process(Process* parent, moira::detail::ProcessBody body, const SpawnOptions& opts) {
  const NodeId node = opts.node_for(parent ? parent->node() : NodeId{0});
  if (node >= nodes_.size()) throw Error(fmt::format("spawn on node {}: there is no such node", node));
  NodeState& ns = nodes_[node];
  if (!ns.node) throw Error(fmt::format("spawn on node {} ({}): the node is down", node, ns.name));
  Process* p = Process::create(*this, *ns.node, parent, std::move(body), opts, options_.stack_size);
  std::uint64_t key = ++last_key_;
  p->engine_data() = reinterpret_cast<void*>(static_cast<std::uintptr_t>(key));
  Pid pid = p->self();
  if (ns.slots.size() <= pid.index) ns.slots.resize(pid.index + 1, nullptr);
  ns.slots[pid.index] = p;
  ++ns.live;
  if (observer_) observer_->spawned(pid, key);
  note(EventKind::spawn, pid, parent ? parent->self() : Pid{}, (opts.link ? 1u : 0u) | (opts.monitor ? 2u : 0u));
  if (mode_ == Mode::teardown || (mode_ != Mode::normal && node == crashing_)) {
    p->condemn(Reason::noconnection());  // picked up by the crash or teardown loop
    return pid;
  }
  runnable_.push(p, key);
  if (parent && parent->node() != node && (opts.link || opts.monitor)) sever_new_spawn(parent, p);
  return pid;
}

void Simulation::schedule(Process& p) {
  if (observer_) observer_->woke(p.self());
  runnable_.push(&p, key_of(p));
}

bool Simulation::preemption_point(Process& p, PointKind kind, const moira::detail::Item* received) {
  ++steps_;
  if (kind == PointKind::receive) {
    trace_.add(steps_, now_, EventKind::receive, p.self(), {}, 0, 0, {});
    if (Event* e = trace_.last()) decorate(*e, received ? stamped(*received) : kNoEvent);
    if (observer_) observer_->received(p.self(), received, p.receive_pattern());
  }
  if (mode_ != Mode::normal) return false;
  if (yield_asked_) return true;
  MOIRA_SIM_CHECK(&p == current_, "preemption point of {}, which is not running", p.self());
  // A process that never blocks may never leave its slice: the bounds are checked here too.
  if (steps_ >= liveness_step_deadline_ || now_.count() >= liveness_time_deadline_) check_liveness(false);
  if (steps_ >= options_.max_steps || source_->divergence() || failure_) {
    yield_asked_ = true;
    return true;
  }
  if (jumps_left_ > 0) maybe_jump_time(p, kind);
  collect_due();
  const std::size_t events = due_.size();
  ChoiceContext ctx;
  ctx.kind = DecisionKind::preempt;
  ctx.current = key_of(p);
  ctx.events = events;
  ctx.runnable = runnable_.keys();
  ctx.point = kind;
  ctx.queue = &runnable_;
  std::uint64_t c = decide(1 + events + runnable_.size(), ctx);
  if (c == 0) return false;
  pending_.set = true;
  pending_.is_event = c - 1 < events;
  if (pending_.is_event) {
    pending_.event = due_[c - 1];
  } else {
    pending_.index = c - 1 - events;
  }
  yield_asked_ = true;
  return true;
}

// Lets virtual time run ahead to the next pending event while work is still in progress, so the
// event (a timeout, a lease's end, a late message) races it. Rate-fault ticks do not count: they
// are not something a process waits for.
void Simulation::maybe_jump_time(Process& p, PointKind kind) {
  std::int64_t next = kNever;
  if (!in_flight_.empty()) next = std::min(next, in_flight_.begin()->first.due);
  if (!timers_.empty()) next = std::min(next, timers_.begin()->first.due);
  if (!plan_.empty()) next = std::min(next, plan_.begin()->first.due);
  if (next == kNever || next <= now_.count() || next > options_.max_virtual_time.count()) return;
  ChoiceContext ctx;
  ctx.kind = DecisionKind::time_jump;
  ctx.current = key_of(p);
  ctx.point = kind;
  if (decide(2, ctx) == 0) return;
  if (observer_) observer_->global();
  --jumps_left_;
  now_ = Time{next};
}

std::uint64_t Simulation::choose(Process& p, std::uint64_t n) {
  ChoiceContext ctx;
  ctx.kind = DecisionKind::choice;
  ctx.current = key_of(p);
  return decide(n, ctx);
}

std::uint64_t Simulation::random(Process& p) {
  ChoiceContext ctx;
  ctx.kind = DecisionKind::random;
  ctx.current = key_of(p);
  return decide(std::numeric_limits<std::uint64_t>::max(), ctx);
}

Time Simulation::local_time(const NodeState& ns, Time t) const {
  auto drift = static_cast<std::int64_t>(static_cast<__int128>(t.count()) * ns.drift_ppm / 1'000'000);
  return t + ns.clock_offset + Time{drift};
}

Time Simulation::now() const {
  if (!current_) return now_;
  return local_time(nodes_[current_->node()], now_);
}

Ref Simulation::start_timer(Pid to, Duration after, moira::detail::ItemPtr item) {
  Ref ref = make_ref();
  if (observer_) observer_->global();
  item->to = to;
  item->ref = ref;
  NodeId owner = current_ ? current_->node() : to.node;
  if (mode_ != Mode::normal && (mode_ == Mode::teardown || owner == crashing_)) return ref;  // dies with its node
  // A node whose clock runs fast sees its timers expire early in global time.
  std::int64_t drift = owner < nodes_.size() ? nodes_[owner].drift_ppm : 0;
  auto global = static_cast<std::int64_t>(static_cast<__int128>(std::max<std::int64_t>(0, after.count())) * 1'000'000 /
                                          std::max<std::int64_t>(1, 1'000'000 + drift));
  Key key{global > kNever - now_.count() ? kNever : now_.count() + global, ++seq_};
  note(EventKind::timer_start, item->from, to, ref.value, static_cast<std::uint64_t>(key.due));
  if (to && !find_live(to)) {  // a timer to the dead is never set (Erlang cancels it at once)
    note(EventKind::timer_cancel, {}, {}, ref.value);
    return ref;
  }
  stamp(*item);
  timer_index_.emplace(ref.value, key);
  if (to) timers_by_target_.emplace(std::pair{to, ref.value}, key);
  timers_.emplace(key, Timer{ref, owner, to, std::move(item)});
  return ref;
}

std::map<Simulation::Key, Simulation::Timer>::iterator Simulation::erase_timer(std::map<Key, Timer>::iterator it) {
  timer_index_.erase(it->second.ref.value);
  if (it->second.target) timers_by_target_.erase({it->second.target, it->second.ref.value});
  return timers_.erase(it);
}

// The timers to a process that just exited go with it, in the order they were started, so the
// trace is the same for the same seed.
void Simulation::cancel_timers_to(Pid target) {
  auto first = timers_by_target_.lower_bound({target, 0});
  while (first != timers_by_target_.end() && first->first.first == target) {
    Key key = first->second;
    ++first;  // erase_timer removes the entry under the iterator
    auto it = timers_.find(key);
    MOIRA_SIM_CHECK(it != timers_.end(), "timer of {} vanished", target);
    note(EventKind::timer_cancel, {}, {}, it->second.ref.value);
    erase_timer(it);
  }
}

// A span of global time as the node's own (drifting) clock measures it.
Duration Simulation::local_duration(NodeId node, std::int64_t global_ns) const {
  std::int64_t drift = node < nodes_.size() ? nodes_[node].drift_ppm : 0;
  return Duration{static_cast<std::int64_t>(static_cast<__int128>(global_ns) * (1'000'000 + drift) / 1'000'000)};
}

std::optional<Duration> Simulation::read_timer(Ref timer) {
  if (observer_) observer_->global();
  auto it = timer_index_.find(timer.value);
  if (it == timer_index_.end()) return std::nullopt;
  const Timer& t = timers_.at(it->second);
  return local_duration(t.owner, std::max<std::int64_t>(0, it->second.due - now_.count()));
}

std::optional<Duration> Simulation::cancel_timer(Ref timer) {
  if (observer_) observer_->global();
  auto it = timer_index_.find(timer.value);
  if (it == timer_index_.end()) return std::nullopt;
  std::optional<Duration> left = read_timer(timer);
  note(EventKind::timer_cancel, {}, {}, timer.value);
  erase_timer(timers_.find(it->second));
  return left;
}

// ------------------------------------------------------------------------------------------------
// Observation

Process* Simulation::find_live(Pid pid) const {
  if (pid.node >= nodes_.size()) return nullptr;
  const NodeState& ns = nodes_[pid.node];
  if (!ns.node || pid.incarnation != ns.incarnation || pid.index >= ns.slots.size()) return nullptr;
  Process* p = ns.slots[pid.index];
  return p && p->self() == pid ? p : nullptr;
}

std::size_t Simulation::process_count() const {
  std::size_t n = 0;
  for (const auto& ns : nodes_) n += ns.live;
  return n;
}

std::vector<Pid> Simulation::live_processes() const {
  std::vector<Pid> out;
  for (const auto& ns : nodes_)
    for (Process* p : ns.slots)
      if (p) out.push_back(p->self());
  return out;
}

std::optional<ProcessInfo> Simulation::process_info(Pid pid) const {
  Process* p = find_live(pid);
  if (!p) return std::nullopt;
  return p->own_info();
}

DecisionLog Simulation::decision_log(std::string scenario) const {
  DecisionLog log;
  log.seed = options_.seed;
  log.strategy = source_->describe();
  log.scenario = std::move(scenario);
  log.options_fingerprint = fingerprint_;
  log.decisions = log_;
  log.trace_hash = trace_.hash();
  log.steps = steps_;
  return log;
}

const Simulation::TypeName& Simulation::type_name(TypeId type) {
  if (type == last_type_) return *last_type_name_;
  auto [it, fresh] = type_names_.try_emplace(type);
  if (fresh) {
    it->second.name = moira::detail::demangled_name(*type->info);
    it->second.hash = fnv1a(it->second.name);
  }
  last_type_ = type;
  last_type_name_ = &it->second;
  return it->second;
}

void Simulation::note_item(moira::detail::Item& item) {
  using moira::detail::ItemKind;
  auto reason = [&] { return static_cast<const moira::detail::SignalItem&>(item).reason.text(); };
  switch (item.kind) {
    case ItemKind::message: {
      const auto& m = static_cast<const moira::detail::MessageItem&>(item);
      const TypeName& t = type_name(m.type);
      trace_.add(steps_, now_, EventKind::send, item.from, item.to, 0, 0, t.name, t.hash);
      if (Event* e = trace_.last()) {
        decorate(*e, kNoEvent);
        e->detail = m.type->render(m);
      }
      break;
    }
    case ItemKind::exit:
      note(EventKind::exit_signal, item.from, item.to, static_cast<const moira::detail::SignalItem&>(item).via_link, 0,
           reason());
      break;
    case ItemKind::link: note(EventKind::link, item.from, item.to); break;
    case ItemKind::unlink: note(EventKind::unlink, item.from, item.to); break;
    case ItemKind::monitor: note(EventKind::monitor, item.from, item.to, item.ref.value); break;
    case ItemKind::demonitor: note(EventKind::demonitor, item.from, item.to, item.ref.value); break;
    case ItemKind::down: note(EventKind::down, item.from, item.to, item.ref.value, 0, reason()); break;
    case ItemKind::timeout: note(EventKind::timeout, item.from, item.to, item.ref.value); break;
    case ItemKind::info_request: note(EventKind::info, item.from, item.to, item.ref.value); break;
  }
  stamp(item);
}

}  // namespace moira::sim
