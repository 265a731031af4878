#include "sim/dpor.hpp"

#include <fmt/format.h>

#include <limits>
#include <map>
#include <unordered_map>

#include "runtime/receive.hpp"

namespace moira::sim {

namespace {

using moira::detail::Item;
using moira::detail::ReceivePattern;

constexpr std::uint64_t kEventActor = std::uint64_t{1} << 63;  // | option: a due event (never matched)
constexpr std::uint32_t kNoMsg = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

struct Access {
  enum class Kind : std::uint8_t { append, take, missed, wake, spawn, exit };
  Kind kind = Kind::append;
  std::uint64_t proc = 0;  // the process it concerns (its key)
  std::uint32_t msg = kNoMsg;
  TypeId type = nullptr;  // append: the message's type; null: a signal
  const ReceivePattern* pattern = nullptr;  // take, missed; null: accepts anything
};

struct Step {
  std::uint64_t actor = 0;
  bool global = false;    // ordered with every other step
  bool branched = false;  // made another kind of decision: its accesses differ from branch to branch
  std::vector<Access> acc;
};

struct Msg {
  TypeId type = nullptr;
  bool consumed = false;
  const ReceivePattern* consumer = nullptr;  // the pattern of the receive that took it
};

struct Sleeper {
  std::uint64_t actor = 0;
  Step step;  // what it does next: the same until a dependent step runs
};

struct Node {
  bool sched = false;
  std::uint64_t n = 0;
  std::uint64_t taken = 0;
  std::vector<std::uint64_t> actors;  // sched: the actor of each option
  std::vector<bool> backtrack, done;  // sched: by option
  std::vector<Sleeper> sleep;         // asleep on arrival
  std::vector<Sleeper> explored;      // options done, asleep for the later ones
  std::size_t step = kNone;           // the step chosen here in the current run
};

bool asleep(const std::vector<Sleeper>& sleep, std::uint64_t actor) {
  for (const Sleeper& s : sleep)
    if (s.actor == actor) return true;
  return false;
}

bool accepts(const ReceivePattern* p, TypeId type) { return p == nullptr || p->accepts(type); }

bool about(const Step& s, std::uint64_t proc) {
  if (s.actor == proc) return true;
  for (const Access& a : s.acc)
    if (a.proc == proc) return true;
  return false;
}

bool spawnish(const Step& s) {
  for (const Access& a : s.acc)
    if (a.kind == Access::Kind::spawn || a.kind == Access::Kind::exit) return true;
  return false;
}

// For sleep sets: may `sleeper` and `ran` not commute? Coarse, because the receives that would
// observe two sends' order may come later: any process both touch makes them dependent.
bool sleep_dependent(const Step& sleeper, const Step& ran) {
  if (sleeper.global || ran.global || sleeper.branched || sleeper.actor == ran.actor) return true;
  if (about(ran, sleeper.actor) || about(sleeper, ran.actor)) return true;
  for (const Access& a : sleeper.acc)
    if (about(ran, a.proc)) return true;
  return spawnish(sleeper) && spawnish(ran);
}

// One run's steps, as the observer saw them, and the exploration tree over all runs.
class Explorer final : public Observer {
 public:
  Explorer(bool reduce, std::uint64_t widest) : reduce_(reduce), widest_(widest) {}

  void start_run() {
    steps_.clear();
    step_node_.clear();
    msgs_.clear();
    live_.clear();
    keys_.clear();
    base_.clear();
    pos_ = 0;
    blocked_ = false;
    divergence_.reset();
  }
  bool blocked() const { return blocked_; }
  bool replayed_prefix() const { return pos_ >= tree_.size(); }
  const Divergence* divergence() const { return divergence_ ? &*divergence_ : nullptr; }

  std::uint64_t choose(std::uint64_t n, const ChoiceContext& ctx) {
    if (divergence_) return 0;
    if (ctx.kind != DecisionKind::schedule && ctx.kind != DecisionKind::preempt) {
      if (n < 2 || n > widest_) return 0;
      if (!steps_.empty()) {
        steps_.back().branched = true;
        if (ctx.kind == DecisionKind::time_jump) steps_.back().global = true;
      }
      return branch(n, ctx, {});
    }
    std::vector<std::uint64_t> actors;
    if (ctx.kind == DecisionKind::preempt) actors.push_back(ctx.current);
    for (std::size_t i = 0; i < ctx.events; ++i) actors.push_back(kEventActor | actors.size());
    actors.insert(actors.end(), ctx.runnable.begin(), ctx.runnable.end());
    if (actors.size() != n) return stop(ctx, "the options are not [current] [events] [runnable]");
    // The sleep set here: those asleep before the last step that it did not disturb.
    std::vector<Sleeper> sleep;
    if (!steps_.empty())
      for (Sleeper& s : base_)
        if (s.actor != steps_.back().actor && !sleep_dependent(s.step, steps_.back())) sleep.push_back(std::move(s));
    std::uint64_t c = 0;
    std::size_t node = kNone;
    if (n >= 2) {
      node = pos_;
      c = branch(n, ctx, std::move(actors), std::move(sleep), ctx.events > 0);
      if (divergence_) return 0;
      const Node& nd = tree_[node];
      base_ = nd.sleep;
      base_.insert(base_.end(), nd.explored.begin(), nd.explored.end());
      actors = nd.actors;
    } else {
      base_ = std::move(sleep);
    }
    Step s;
    s.actor = actors[c];
    s.global = (s.actor & kEventActor) != 0;
    steps_.push_back(std::move(s));
    step_node_.push_back(node);
    if (node != kNone) tree_[node].step = steps_.size() - 1;
    return c;
  }

  // ---- Observer
  void spawned(Pid child, std::uint64_t key) override {
    keys_[child] = key;
    add({Access::Kind::spawn, key});
  }
  void appended(const Item& item) override {
    auto it = keys_.find(item.to);
    if (it == keys_.end()) return global();
    Access a{Access::Kind::append, it->second};
    if (item.kind == moira::detail::ItemKind::message) {
      a.type = static_cast<const moira::detail::MessageItem&>(item).type;
      a.msg = static_cast<std::uint32_t>(msgs_.size());
      msgs_.push_back(Msg{a.type});
      live_[&item] = a.msg;  // looked up by address while it is queued, never iterated
    }
    add(a);
  }
  void received(Pid by, const Item* item, const ReceivePattern* pattern) override {
    Access a{Access::Kind::take, key(by)};
    a.pattern = pattern;
    if (auto it = live_.find(item); item && it != live_.end()) {
      Msg& m = msgs_[it->second];
      if (item->kind == moira::detail::ItemKind::message &&
          static_cast<const moira::detail::MessageItem*>(item)->type == m.type) {
        a.msg = it->second;
        m.consumed = true;
        m.consumer = pattern;
      }
      live_.erase(it);
    }
    add(a);
  }
  void missed(Pid by, const ReceivePattern& pattern) override {
    Access a{Access::Kind::missed, key(by)};
    a.pattern = &pattern;
    add(a);
  }
  void woke(Pid pid) override { add({Access::Kind::wake, key(pid)}); }
  void exited(Pid pid) override { add({Access::Kind::exit, key(pid)}); }
  void global() override {
    if (!steps_.empty() && !divergence_) steps_.back().global = true;
  }

  std::uint64_t analyze();
  bool next();

 private:
  std::uint64_t key(Pid pid) {
    auto it = keys_.find(pid);
    if (it != keys_.end()) return it->second;
    global();  // a process it never saw: assume the worst
    return 0;
  }
  void add(const Access& a) {
    if (!steps_.empty() && !divergence_) steps_.back().acc.push_back(a);  // once stopped, nothing counts
  }
  std::uint64_t stop(const ChoiceContext& ctx, std::string why) {
    divergence_ = Divergence{pos_, ctx.step, "the run of the same prefix before", std::move(why)};
    return 0;
  }
  std::uint64_t branch(std::uint64_t n, const ChoiceContext& ctx, std::vector<std::uint64_t> actors,
                       std::vector<Sleeper> sleep = {}, bool every = false);
  bool dependent(std::size_t i, std::size_t j, bool reversible = false) const;
  bool conflict(const Access& x, const Access& y) const;
  bool observed(std::uint32_t m1, std::uint32_t m2) const;
  bool enables(std::size_t i, std::size_t j) const;
  void backtrack(std::size_t i, std::size_t j, const std::vector<std::vector<bool>>& hb);

  bool reduce_;
  std::uint64_t widest_;
  std::vector<Node> tree_;
  std::size_t pos_ = 0;
  std::vector<Step> steps_;
  std::vector<std::size_t> step_node_;
  std::vector<Msg> msgs_;
  std::unordered_map<const Item*, std::uint32_t> live_;
  std::map<Pid, std::uint64_t> keys_;
  std::vector<Sleeper> base_;  // asleep when the current step was chosen
  bool blocked_ = false;
  std::optional<Divergence> divergence_;
};

// A decision node: replayed from the tree while the prefix lasts, then new.
std::uint64_t Explorer::branch(std::uint64_t n, const ChoiceContext& ctx, std::vector<std::uint64_t> actors,
                               std::vector<Sleeper> sleep, bool every) {
  const bool sched = ctx.kind == DecisionKind::schedule || ctx.kind == DecisionKind::preempt;
  if (pos_ < tree_.size()) {
    Node& nd = tree_[pos_];
    if (nd.sched != sched || nd.n != n || (sched && nd.actors != actors))
      return stop(ctx, fmt::format("a {} decision among {}: the scenario is not deterministic", to_string(ctx.kind), n));
    ++pos_;
    return nd.taken;
  }
  Node nd;
  nd.sched = sched;
  nd.n = n;
  if (sched) {
    nd.actors = std::move(actors);
    nd.sleep = reduce_ ? std::move(sleep) : std::vector<Sleeper>{};
    nd.backtrack.assign(n, every || !reduce_);  // due events: every option (their identity is not known)
    nd.done.assign(n, false);
    std::uint64_t c = 0;
    while (c < n && asleep(nd.sleep, nd.actors[c])) ++c;
    if (c == n) {  // every option is asleep: this run only repeats earlier ones
      blocked_ = true;
      return stop(ctx, "sleep-set blocked");
    }
    nd.taken = c;
    nd.backtrack[c] = nd.done[c] = true;
  }
  tree_.push_back(std::move(nd));
  ++pos_;
  return tree_.back().taken;
}

bool Explorer::observed(std::uint32_t m1, std::uint32_t m2) const {
  const Msg& a = msgs_[m1];
  const Msg& b = msgs_[m2];
  return (a.consumed && accepts(a.consumer, b.type)) || (b.consumed && accepts(b.consumer, a.type));
}

// Accesses of two steps of different processes that do not commute (see dpor.hpp).
bool Explorer::conflict(const Access& x, const Access& y) const {
  using K = Access::Kind;
  const bool x_spawnish = x.kind == K::spawn || x.kind == K::exit;
  const bool y_spawnish = y.kind == K::spawn || y.kind == K::exit;
  if (x_spawnish && y_spawnish && (x.kind == K::spawn || y.kind == K::spawn)) return true;
  if (x.proc != y.proc) return false;
  if (x.kind == K::append && y.kind == K::append) {
    if (!x.type || !y.type) return true;
    return x.msg != kNoMsg && y.msg != kNoMsg && observed(x.msg, y.msg);
  }
  if (y.kind == K::append) return conflict(y, x);
  if (x.kind != K::append) return false;
  switch (y.kind) {
    case K::take: return !x.type || y.msg == x.msg || accepts(y.pattern, x.type);
    case K::missed: return !x.type || accepts(y.pattern, x.type);
    case K::exit: return true;
    default: return false;
  }
}

// i ran before j: i created j's process or woke it (j could not have run before i).
bool Explorer::enables(std::size_t i, std::size_t j) const {
  for (const Access& a : steps_[i].acc)
    if ((a.kind == Access::Kind::spawn || a.kind == Access::Kind::wake) && a.proc == steps_[j].actor) return true;
  return false;
}

// `reversible`: only what running j before i could change. Not i enabling j, nor j taking i's
// message in a receive without after(): run earlier, that receive would only wait for it (another
// message it might take instead is a race between the two sends, found as such).
bool Explorer::dependent(std::size_t i, std::size_t j, bool reversible) const {
  const Step& a = steps_[i];
  const Step& b = steps_[j];
  if (a.actor == b.actor || a.global || b.global) return true;
  if (enables(i, j)) {
    if (!reversible) return true;
  }
  for (const Access& x : a.acc)
    if (x.kind == Access::Kind::append && !x.type && x.proc == b.actor) return true;
  for (const Access& y : b.acc)
    if (y.kind == Access::Kind::append && !y.type && y.proc == a.actor) return true;
  for (const Access& x : a.acc)
    for (const Access& y : b.acc) {
      if (reversible && x.kind == Access::Kind::append && y.kind == Access::Kind::take && x.msg != kNoMsg &&
          y.msg == x.msg && (!y.pattern || !y.pattern->gives_up))
        continue;
      if (conflict(x, y)) return true;
    }
  return false;
}

// Source-DPOR's race handling: i and j race; v = the steps after i that do not depend on it, then
// j. Unless an initial of v (a process whose first step in v depends on nothing before it in v)
// is already in i's backtrack set, add one there.
void Explorer::backtrack(std::size_t i, std::size_t j, const std::vector<std::vector<bool>>& hb) {
  if (step_node_[i] == kNone) {  // nothing else could run at i: every option at the last choice before
    for (std::size_t k = i; k-- > 0;) {
      if (step_node_[k] == kNone) continue;
      tree_[step_node_[k]].backtrack.assign(tree_[step_node_[k]].n, true);
      return;
    }
    return;
  }
  Node& nd = tree_[step_node_[i]];
  std::vector<std::size_t> v;
  for (std::size_t k = i + 1; k < j; ++k)
    if (!hb[k][i]) v.push_back(k);
  v.push_back(j);
  std::vector<std::uint64_t> initials;
  for (std::size_t x = 0; x < v.size(); ++x) {
    bool first = true;
    for (std::size_t y = 0; y < x && first; ++y) first = !hb[v[x]][v[y]];
    if (first) initials.push_back(steps_[v[x]].actor);
  }
  std::optional<std::size_t> pick;
  for (std::uint64_t actor : initials) {
    for (std::size_t o = 0; o < nd.n; ++o) {
      if (nd.actors[o] != actor || (actor & kEventActor)) continue;
      if (nd.backtrack[o]) return;  // already there
      if (!pick || actor == steps_[j].actor) pick = o;
    }
  }
  if (!pick) {  // not an option there: every option, to be safe
    nd.backtrack.assign(nd.n, true);
    return;
  }
  nd.backtrack[*pick] = true;
}

std::uint64_t Explorer::analyze() {
  if (!reduce_) return 0;
  const std::size_t m = steps_.size();
  std::vector<std::vector<bool>> hb(m, std::vector<bool>(m, false));  // hb[j][i]: i happens before j
  std::vector<std::vector<bool>> dep(m, std::vector<bool>(m, false));
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < j; ++i)
      if ((dep[j][i] = dependent(i, j))) {
        hb[j][i] = true;
        for (std::size_t k = 0; k < i; ++k)
          if (hb[i][k]) hb[j][k] = true;
      }
  std::uint64_t races = 0;
  for (std::size_t j = 0; j < m; ++j)
    for (std::size_t i = 0; i < j; ++i) {
      if (!dep[j][i] || steps_[i].actor == steps_[j].actor || !dependent(i, j, true)) continue;
      bool direct = true;  // no k with i -> k -> j
      for (std::size_t k = i + 1; k < j && direct; ++k) direct = !(hb[k][i] && hb[j][k]);
      if (!direct) continue;
      ++races;
      backtrack(i, j, hb);
    }
  return races;
}

// The next run's prefix: the deepest node with an option still to explore.
bool Explorer::next() {
  while (!tree_.empty()) {
    Node& nd = tree_.back();
    if (nd.sched) {
      if (reduce_ && nd.step != kNone) nd.explored.push_back(Sleeper{nd.actors[nd.taken], steps_[nd.step]});
      for (std::uint64_t o = 0; o < nd.n; ++o) {
        if (!nd.backtrack[o] || nd.done[o]) continue;
        nd.done[o] = true;
        if (asleep(nd.sleep, nd.actors[o]) || asleep(nd.explored, nd.actors[o])) continue;
        nd.taken = o;
        nd.step = kNone;
        return true;
      }
    } else if (nd.taken + 1 < nd.n) {
      ++nd.taken;
      return true;
    }
    tree_.pop_back();
  }
  return false;
}

class DporSource final : public ChoiceSource {
 public:
  explicit DporSource(Explorer& ex, bool reduce) : ex_(ex), reduce_(reduce) {}
  std::uint64_t choose(std::uint64_t n, const ChoiceContext& ctx) override { return ex_.choose(n, ctx); }
  std::string describe() const override { return reduce_ ? "dpor" : "dfs"; }
  const Divergence* divergence() const override { return ex_.divergence(); }

 private:
  Explorer& ex_;
  bool reduce_;
};

}  // namespace

std::string DporReport::describe() const {
  std::string out = fmt::format("{} {} executions", reduced ? "dpor:" : "dfs (no reduction):", executions);
  if (reduced) out += fmt::format(" ({} more cut short by sleep sets, {} races reversed)", sleep_blocked, races);
  out += complete ? ", exhaustive" : ", NOT exhaustive";
  if (failing) out += fmt::format(", {} failing", failing);
  return out;
}

DporReport explore_dpor(const Scenario& scenario, Options options, const std::function<bool(const RunResult&)>& failed,
                        std::uint64_t max_runs, bool reduce, const std::string& scenario_name, std::uint64_t widest) {
  DporReport report;
  report.reduced = reduce;
  options.keep_decisions = true;
  Explorer ex{reduce, widest};
  for (;;) {
    if (report.runs() >= max_runs) return report;
    ex.start_run();
    Simulation sim{options, std::make_unique<DporSource>(ex, reduce)};
    sim.set_observer(&ex);
    scenario(sim);
    RunResult r = sim.run();
    sim.set_observer(nullptr);  // teardown is not part of the run
    if ((r.outcome == Outcome::diverged && !ex.blocked()) || !ex.replayed_prefix())
      throw Error(fmt::format("dpor: {}; explore needs a scenario that does the same for the same decisions",
                              r.divergence ? r.divergence->found : "the run diverged"));
    if (ex.blocked()) {
      ++report.sleep_blocked;
    } else {
      ++report.executions;
      if (failed(r)) {
        if (!report.failing) {
          report.first_failure = sim.decision_log(scenario_name);
          report.first_failure->outcome = std::string{to_string(r.outcome)};
        }
        ++report.failing;
      }
    }
    report.races += ex.analyze();
    if (!ex.next()) {
      report.complete = true;
      return report;
    }
  }
}

}  // namespace moira::sim
