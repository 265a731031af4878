#include "runtime/threaded_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/node.hpp"
#include "runtime/splitmix.hpp"
#include "runtime/timer_thread.hpp"
#include "runtime/work_deque.hpp"

namespace moira {
namespace detail {
struct Worker;
}
using detail::Worker;

namespace {

// A send to a congested process costs the sender kCongestedSendCost reductions, doubling with each
// doubling of the receiver's backlog, up to kCongestedSendCost << kMaxCongestionShift (25 slices).
constexpr int kCongestedSendCost = 50;
constexpr unsigned kMaxCongestionShift = 11;

// noinline: schedule() runs on fibers, which may move between threads; each call must read the
// thread-local afresh.
__attribute__((noinline)) Worker*& current_worker() {
  thread_local Worker* w = nullptr;
  return w;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace

namespace detail {
// One worker's counters (ThreadedEngine::Counters): only the worker writes them, so an increment
// is a plain load and store, no locked instruction.
struct WorkerCounters {
  using Cell = std::atomic<std::uint64_t>;
  Cell slices{0}, migrations{0}, yields{0}, skips{0}, parked{0}, steals{0}, steal_misses{0}, parks{0}, wakeups{0},
      futile_wakeups{0}, notifies{0};
  static void bump(Cell& c) { c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  ThreadedEngine::Counters read() const {
    auto r = [](const Cell& c) { return c.load(std::memory_order_relaxed); };
    return {r(slices), r(migrations), r(yields),  r(skips),          r(parked),
            r(steals), r(steal_misses), r(parks), r(wakeups), r(futile_wakeups), r(notifies)};
  }
};

struct Worker {
  ThreadedEngine::Impl* engine = nullptr;
  unsigned index = 0;
  detail::WorkDeque<Process*> deque;
  std::atomic<bool> woken{false};
  std::uint64_t tick = 0;
  int budget = 0;
  std::uint32_t steal_seed = 0;
  Pid congested_on;  // this slice sent to a process at Process::kParkLevel: park behind it after
  bool saw_congestion = false;  // this slice sent to a congested process (any level)
  // Pinned processes (Process::pinned) queued on this worker: its own FIFO, never stolen.
  Process* pinned_head = nullptr;
  Process* pinned_tail = nullptr;
  std::thread thread;
  alignas(64) WorkerCounters counters;
};
}  // namespace detail

struct ThreadedEngine::Impl {
  ThreadedEngine& self;
  Options options;
  Node node{0, 0};
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> next_ref{1};

  std::vector<std::unique_ptr<Worker>> workers;
  // With one worker nobody steals from its deque, so it pops without the Chase-Lev fence.
  bool single_worker = false;
  bool pin_senders = false;  // options.pin_congested_senders, with more than one worker

  // Shared FIFO: work from outside the workers, and processes that used up their budget.
  std::mutex inject_mutex;
  Process* inject_head = nullptr;
  Process* inject_tail = nullptr;
  std::atomic<std::size_t> inject_size{0};

  // Parking. `searching` counts workers spinning for work: while one is, nobody needs waking.
  std::mutex sleep_mutex;
  std::vector<Worker*> sleepers;
  std::atomic<int> sleeping{0};
  std::atomic<int> searching{0};
  std::condition_variable idle_cv;
  bool stopping = false;  // guarded by sleep_mutex
  bool shut_down = false;

  std::unique_ptr<detail::TimerThread> timers;

  // Automatic hibernation (Options::hibernate_after): a process starting to wait is stamped with
  // the epoch; each sweep advances it and hibernates what has waited since before the last one.
  std::atomic<std::uint32_t> wait_epoch{1};
  std::atomic<int> sweep_claims{0};  // processes a sweep holds (not runnable, not waiting): not idle
  std::atomic<std::uint64_t> auto_hibernations{0};
  std::mutex sweep_mutex;  // one sweep at a time; guards sweep_stop
  std::condition_variable sweep_cv;
  bool sweep_stop = false;
  std::thread sweeper;

  explicit Impl(ThreadedEngine& e, Options o) : self(e), options(o) {
    if (options.workers == 0) options.workers = std::max(1u, std::thread::hardware_concurrency());
    if (options.reductions_per_slice < 1) options.reductions_per_slice = 1;
    timers = std::make_unique<detail::TimerThread>(
        [this](detail::ItemPtr item) { detail::fire_timer(self, std::move(item)); }, [this] { notify_if_idle(); });
    single_worker = options.workers == 1;
    pin_senders = !single_worker && options.pin_congested_senders;
    for (unsigned i = 0; i < options.workers; ++i) {
      auto w = std::make_unique<Worker>();
      w->engine = this;
      w->index = i;
      w->steal_seed = i * 2654435761u + 1;
      workers.push_back(std::move(w));
    }
    for (auto& w : workers) w->thread = std::thread([this, wp = w.get()] { worker_main(*wp); });
    if (options.hibernate_after > Duration::zero()) sweeper = std::thread([this] { sweep_main(); });
  }

  // ---------------------------------------------------------------- automatic hibernation
  std::size_t sweep_idle() {
    std::uint32_t before = wait_epoch.fetch_add(1, std::memory_order_relaxed);  // waiting since before this sweep's start
    std::size_t hibernated = 0;
    node.table().for_each_live([&](Process& p) {
      if (!p.idle_since_before(before)) return;  // stackless ones are claimed, and left as they are
      // Counted before the claim: while a sweep holds a process, a sender's wake-up of it fails,
      // so the engine must not look idle until the claim is settled (then idleness is re-checked).
      sweep_claims.fetch_add(1, std::memory_order_seq_cst);
      Process::IdleSweep r = p.hibernate_if_idle(before);
      if (r == Process::IdleSweep::runnable) push_inject(&p);
      if (r == Process::IdleSweep::hibernated) ++hibernated;
      sweep_claims.fetch_sub(1, std::memory_order_seq_cst);
      notify_if_idle();
    });
    auto_hibernations.fetch_add(hibernated, std::memory_order_relaxed);
    return hibernated;
  }

  void sweep_main() {
    std::unique_lock lock{sweep_mutex};
    for (;;) {
      if (sweep_cv.wait_for(lock, options.hibernate_after, [&] { return sweep_stop; })) return;
      sweep_idle();
    }
  }

  void stop_sweeper() {
    if (!sweeper.joinable()) return;
    {
      std::lock_guard lock{sweep_mutex};
      sweep_stop = true;
    }
    sweep_cv.notify_all();
    sweeper.join();
  }

  // ---------------------------------------------------------------- queues
  void push_inject(Process* p) {
    p->run_next = nullptr;
    {
      std::lock_guard lock{inject_mutex};
      if (inject_tail) {
        inject_tail->run_next = p;
      } else {
        inject_head = p;
      }
      inject_tail = p;
      inject_size.fetch_add(1, std::memory_order_seq_cst);
    }
    notify_work();
  }
  Process* pop_inject() {
    if (inject_size.load(std::memory_order_relaxed) == 0) return nullptr;
    std::lock_guard lock{inject_mutex};
    Process* p = inject_head;
    if (!p) return nullptr;
    inject_head = p->run_next;
    if (!inject_head) inject_tail = nullptr;
    p->run_next = nullptr;
    inject_size.fetch_sub(1, std::memory_order_relaxed);
    return p;
  }

  // Wakes one parked worker if there is one and no worker is already looking for work.
  void notify_work() {
    if (sleeping.load(std::memory_order_seq_cst) == 0) return;
    int expected = 0;
    if (!searching.compare_exchange_strong(expected, 1, std::memory_order_seq_cst)) return;
    Worker* w = nullptr;
    {
      std::lock_guard lock{sleep_mutex};
      if (!sleepers.empty()) {
        w = sleepers.back();
        sleepers.pop_back();
        sleeping.fetch_sub(1, std::memory_order_seq_cst);
      }
    }
    if (!w) {
      searching.fetch_sub(1, std::memory_order_seq_cst);
      return;
    }
    if (Worker* me = current_worker(); me && me->engine == this) detail::WorkerCounters::bump(me->counters.notifies);
    w->woken.store(true, std::memory_order_release);
    w->woken.notify_one();
  }

  bool work_visible() const {
    if (inject_size.load(std::memory_order_seq_cst) > 0) return true;
    for (auto& w : workers)
      if (w->deque.size_hint() > 0) return true;
    return false;
  }

  bool idle_locked() const {
    return sleeping.load(std::memory_order_seq_cst) == static_cast<int>(workers.size()) &&
           inject_size.load(std::memory_order_seq_cst) == 0 && timers->pending() == 0 &&
           sweep_claims.load(std::memory_order_seq_cst) == 0;
  }
  void notify_if_idle() {
    std::lock_guard lock{sleep_mutex};
    if (idle_locked()) idle_cv.notify_all();
  }

  // A worker's pinned FIFO: only its own thread touches it, so no lock and no fence.
  static void push_pinned(Worker& w, Process* p) {
    p->run_next = nullptr;
    if (w.pinned_tail) {
      w.pinned_tail->run_next = p;
    } else {
      w.pinned_head = p;
    }
    w.pinned_tail = p;
  }
  static Process* pop_pinned(Worker& w) {
    Process* p = w.pinned_head;
    if (!p) return nullptr;
    w.pinned_head = p->run_next;
    if (!w.pinned_head) w.pinned_tail = nullptr;
    p->run_next = nullptr;
    return p;
  }

  // ---------------------------------------------------------------- workers
  Process* find_local(Worker& w) {
    // Every 61st pick (as Go does) serve the shared FIFO and our own oldest work first, so a pair
    // of processes ping-ponging on the LIFO end cannot starve the rest.
    if (++w.tick % 61 == 0) {
      if (Process* p = pop_inject()) return p;
      if (Process* p = w.deque.steal()) return p;
      if (Process* p = pop_pinned(w)) return p;
    }
    if (Process* p = single_worker ? w.deque.pop_unshared() : w.deque.pop()) return p;
    if (Process* p = pop_pinned(w)) return p;
    return pop_inject();
  }

  Process* steal(Worker& w) {
    std::size_t n = workers.size();
    w.steal_seed = w.steal_seed * 1664525u + 1013904223u;
    std::size_t start = w.steal_seed % n;
    Process* p = nullptr;
    for (std::size_t i = 0; i < n && !p; ++i) {
      Worker& victim = *workers[(start + i) % n];
      if (&victim != &w) p = victim.deque.steal();
    }
    if (!p) p = pop_inject();
    detail::WorkerCounters::bump(p ? w.counters.steals : w.counters.steal_misses);
    return p;
  }

  enum class Wake { stop, recheck, woken };
  // Parks until woken. `woken` comes back counted as searching (the waker counted it).
  Wake park(Worker& w) {
    {
      std::lock_guard lock{sleep_mutex};
      if (stopping) return Wake::stop;
      if (inject_size.load(std::memory_order_seq_cst) > 0) return Wake::recheck;
      sleepers.push_back(&w);
      sleeping.fetch_add(1, std::memory_order_seq_cst);
      if (idle_locked()) idle_cv.notify_all();
    }
    // A pusher that looked before we counted ourselves asleep did not wake anyone: look again.
    if (work_visible()) {
      std::lock_guard lock{sleep_mutex};
      auto it = std::find(sleepers.begin(), sleepers.end(), &w);
      if (it != sleepers.end()) {
        sleepers.erase(it);
        sleeping.fetch_sub(1, std::memory_order_seq_cst);
        return Wake::recheck;
      }
      // Someone already took us off the list to wake us: fall through and take the wake-up.
    }
    detail::WorkerCounters::bump(w.counters.parks);
    w.woken.wait(false, std::memory_order_acquire);
    w.woken.store(false, std::memory_order_relaxed);
    std::lock_guard lock{sleep_mutex};
    return stopping ? Wake::stop : Wake::woken;
  }

  void worker_main(Worker& w) {
    current_worker() = &w;
    bool counted_searching = false;
    bool ran_since_wakeup = true;
    for (;;) {
      Process* p = find_local(w);
      if (!p) {
        if (!counted_searching) searching.fetch_add(1, std::memory_order_seq_cst);
        counted_searching = true;
        for (int spin = 0; spin < 64 && !p; ++spin) {
          p = steal(w);
          if (!p) cpu_relax();
        }
        if (!p) {
          searching.fetch_sub(1, std::memory_order_seq_cst);
          counted_searching = false;
          if (!ran_since_wakeup) detail::WorkerCounters::bump(w.counters.futile_wakeups);
          Wake why = park(w);
          if (why == Wake::stop) break;
          counted_searching = why == Wake::woken;
          if (counted_searching) {
            detail::WorkerCounters::bump(w.counters.wakeups);
            ran_since_wakeup = false;
          }
          continue;
        }
      }
      if (counted_searching) {
        counted_searching = false;
        // The last searcher found work: there may be more, so let another worker look.
        if (searching.fetch_sub(1, std::memory_order_seq_cst) == 1 && work_visible()) notify_work();
      }
      ran_since_wakeup = true;
      run(w, p);
    }
    current_worker() = nullptr;
  }

  void run(Worker& w, Process* p) {
    const int slice = options.reductions_per_slice;
    std::int64_t& owed = p->owed_reductions();
    if (owed >= slice) {
      // Still paying for sends to a congested process: it sits this turn out (no switch into
      // it), so the turn goes to the others, the receiver among them.
      owed -= slice;
      detail::WorkerCounters::bump(w.counters.skips);
      push_yielded(w, p);
      return;
    }
    p->set_running();
    detail::WorkerCounters::bump(w.counters.slices);
    if (p->engine_data() != &w) {
      if (p->engine_data()) detail::WorkerCounters::bump(w.counters.migrations);
      p->engine_data() = &w;
    }
    w.budget = slice - static_cast<int>(owed);
    owed = 0;
    w.congested_on = Pid{};
    w.saw_congestion = false;
    const detail::SliceEnd end = p->run_slice();
    // Before the process is published again (queued, or its wait settled): nobody else reads it.
    if (end != detail::SliceEnd::exited) p->pinned() = w.saw_congestion && pin_senders;
    switch (end) {
      case detail::SliceEnd::exited: {
        Pid pid = p->self();
        p->finish();  // may release p
        // After finish() took it out of the table: start_timer checks the table after adding.
        timers->cancel_for(pid);
        break;
      }
      case detail::SliceEnd::yielded:
        detail::WorkerCounters::bump(w.counters.yields);
        carry_debt(w, *p);
        if (!w.congested_on.is_null() && park_behind(w, *p)) break;
        push_yielded(w, p);
        break;
      case detail::SliceEnd::waiting:
        carry_debt(w, *p);  // before the wait is published: then another worker may run it
        p->stamp_wait_epoch(wait_epoch.load(std::memory_order_relaxed));
        if (p->settle_waiting()) push_local(p);
        break;
    }
  }

  // A process that used up its budget (or sits a turn out) goes to the shared FIFO, where any
  // worker takes it; a pinned one stays with this worker.
  void push_yielded(Worker& w, Process* p) {
    if (p->pinned()) {
      push_pinned(w, p);
    } else {
      push_inject(p);
    }
  }

  // Back-pressure that does not saturate: a sender charged more than its slice held owes the rest,
  // and sits out turns until it has paid (run()). Without the carry, a congested sender still sent
  // one message per slice, however long the receiver's backlog; with senders on one worker and the
  // receiver on another (or descheduled), that was enough to keep a backlog of 10^5-10^6 cold
  // messages for good, and each sender slice carried one message: fan-in fell 5-8x.
  static void carry_debt(Worker& w, Process& p) {
    if (w.budget < 0) p.owed_reductions() = -static_cast<std::int64_t>(w.budget);
  }

  // Takes a sender that flooded a congested receiver off the CPU until the receiver has worked
  // its backlog down (Process::park_sender). Yielding alone is not enough with two workers: the
  // senders on one keep the other's receiver behind a backlog too long to stay in the cache.
  bool park_behind(Worker& w, Process& sender) {
    Pid to = std::exchange(w.congested_on, Pid{});
    Process* receiver = node.table().acquire(to);
    if (!receiver) return false;
    // The receiver lets it go from its own worker (Process::release_parked_senders), which then
    // keeps it if it is pinned (run() pinned it: its slice found the receiver congested).
    bool parked = receiver->park_sender(sender);
    receiver->release();
    if (parked) detail::WorkerCounters::bump(w.counters.parked);
    return parked;
  }

  void push_local(Process* p) {
    Worker* w = current_worker();
    if (w && w->engine == this) {
      if (p->pinned()) return push_pinned(*w, p);  // no wake-up: nobody else may run it
      w->deque.push(p);
      // One queued process is what this worker runs next; only a surplus is worth a wake-up.
      if (w->deque.size_hint() >= 2) notify_work();
    } else {
      push_inject(p);
    }
  }
};

// ------------------------------------------------------------------------------------------------

ThreadedEngine::ThreadedEngine() : ThreadedEngine(Options{}) {}

ThreadedEngine::ThreadedEngine(Options options) : impl_(std::make_unique<Impl>(*this, options)) {}

ThreadedEngine::~ThreadedEngine() { shutdown(); }

unsigned ThreadedEngine::worker_count() const { return static_cast<unsigned>(impl_->workers.size()); }

std::size_t ThreadedEngine::process_count() const { return impl_->node.table().size(); }

ThreadedEngine::Counters& ThreadedEngine::Counters::operator+=(const Counters& o) {
  slices += o.slices;
  migrations += o.migrations;
  yields += o.yields;
  skips += o.skips;
  parked += o.parked;
  steals += o.steals;
  steal_misses += o.steal_misses;
  parks += o.parks;
  wakeups += o.wakeups;
  futile_wakeups += o.futile_wakeups;
  notifies += o.notifies;
  auto_hibernations += o.auto_hibernations;
  return *this;
}

ThreadedEngine::Counters ThreadedEngine::counters() const {
  Counters sum;
  for (auto& w : impl_->workers) sum += w->counters.read();
  sum.auto_hibernations = impl_->auto_hibernations.load(std::memory_order_relaxed);
  return sum;
}

std::vector<ThreadedEngine::Counters> ThreadedEngine::worker_counters() const {
  std::vector<Counters> out;
  for (auto& w : impl_->workers) out.push_back(w->counters.read());
  return out;
}

void ThreadedEngine::run_until_idle() {
  std::unique_lock lock{impl_->sleep_mutex};
  impl_->idle_cv.wait(lock, [&] { return impl_->idle_locked(); });
}

void ThreadedEngine::shutdown() {
  Impl& m = *impl_;
  if (m.shut_down) return;
  m.shut_down = true;
  m.stop_sweeper();
  // Kill until nothing is left: a dying process's destructors or a supervisor may spawn more.
  for (;;) {
    m.timers->cancel_all();
    auto pids = m.node.table().live_pids();
    if (pids.empty()) break;
    for (Pid pid : pids) exit(pid, Reason::kill());
    run_until_idle();
  }
  m.timers->stop();
  {
    std::lock_guard lock{m.sleep_mutex};
    m.stopping = true;
  }
  for (auto& w : m.workers) {
    w->woken.store(true, std::memory_order_release);
    w->woken.notify_one();
  }
  for (auto& w : m.workers) w->thread.join();
}

std::size_t ThreadedEngine::hibernate_idle() {
  std::lock_guard lock{impl_->sweep_mutex};
  return impl_->sweep_idle();
}

std::optional<ProcessInfo> ThreadedEngine::process_info(Pid pid) {
  std::promise<std::optional<ProcessInfo>> answer;
  auto future = answer.get_future();
  spawn([pid, &answer](Process& self) { answer.set_value(self.info(pid)); });
  return future.get();
}

Pid ThreadedEngine::spawn_process(Process* parent, detail::ProcessBody body, const SpawnOptions& opts) {
  if (opts.node_for(0) != 0) {
    throw Error(fmt::format("spawn on node {}: a ThreadedEngine has one node, 0 (nodes are a simulator feature)", *opts.node));
  }
  Process* p = Process::create(*this, impl_->node, parent, std::move(body), opts, impl_->options.stack_size);
  Pid pid = p->self();
  p->rng_state() = impl_->options.seed ^ (std::uint64_t{pid.index} << 32 | pid.generation);
  schedule(*p);
  return pid;
}

void ThreadedEngine::deliver(detail::ItemPtr item) {
  Pid to = item->to;
  unsigned congestion = Process::deliver_local(*this, impl_->node, std::move(item));
  if (congestion == 0) return;
  // The target is congested: the sending process pays reductions, doubling with each doubling of
  // the receiver's backlog, so it yields sooner and the receiver gets the CPU (BEAM once charged
  // senders by the receiver's queue length, for the same end).
  Worker* w = current_worker();
  if (!w || w->engine != impl_.get()) return;
  w->saw_congestion = true;
  w->budget -= kCongestedSendCost << std::min(congestion - 1, kMaxCongestionShift);
  if (congestion >= Process::kParkLevel && impl_->options.park_congested_senders) {
    w->congested_on = to;  // the slice ends at this send, and the sender parks behind `to`
    w->budget = std::min(w->budget, 0);
  }
}

void ThreadedEngine::schedule(Process& p) { impl_->push_local(&p); }

bool ThreadedEngine::preemption_point(Process& p, PointKind, const detail::Item*) {
  auto* w = static_cast<Worker*>(p.engine_data());
  return --w->budget <= 0;
}

Time ThreadedEngine::now() const { return std::chrono::steady_clock::now() - impl_->start; }

Ref ThreadedEngine::start_timer(Pid to, Duration after, detail::ItemPtr item) {
  Ref ref = make_ref();
  item->to = to;
  item->ref = ref;
  // A receive's own timeout needs no tie: the process cancels it, even as it dies.
  bool tied = to && item->kind != detail::ItemKind::timeout;
  auto now = std::chrono::steady_clock::now();
  auto due = after >= std::chrono::steady_clock::time_point::max() - now ? std::chrono::steady_clock::time_point::max()
                                                                          : now + after;
  impl_->timers->start(ref.value, due, std::move(item), tied ? to : Pid{});
  if (tied) {
    // Added before this look, so a target that exits meanwhile finds the timer in cancel_for.
    Process* target = impl_->node.table().acquire(to);
    if (target) {
      target->release();
    } else {
      impl_->timers->cancel(ref.value);
    }
  }
  return ref;
}

std::optional<Duration> ThreadedEngine::cancel_timer(Ref timer) {
  auto left = impl_->timers->cancel(timer.value);
  if (!left) return std::nullopt;
  return std::chrono::duration_cast<Duration>(*left);
}

std::optional<Duration> ThreadedEngine::read_timer(Ref timer) {
  auto left = impl_->timers->read(timer.value);
  if (!left) return std::nullopt;
  return std::chrono::duration_cast<Duration>(*left);
}

std::uint64_t ThreadedEngine::random(Process& p) { return splitmix64(p.rng_state()); }

Ref ThreadedEngine::make_ref() { return Ref{impl_->next_ref.fetch_add(1, std::memory_order_relaxed)}; }

Node* ThreadedEngine::find_node(NodeId id) { return id == 0 ? &impl_->node : nullptr; }

}  // namespace moira
