// moira's own property: supervision TREES. Generated trees of supervisors up to three levels deep
// (all four strategies, all restart types, intensity and period, every shutdown kind, workers that
// ignore `shutdown` so a timeout has to kill them) and generated crash plans (exit normal,
// shutdown or an error). A model of OTP's rules, run over the whole tree, says which processes
// start how often, the exact order in which workers end (the crashed one, then the siblings its
// restart terminates, in reverse start order; a supervisor that gives up stops its children in
// reverse start order and exits with `shutdown`, which its parent then handles by the child's
// restart type), whether the root gives up, and that nothing is left alive once the tree stops.
#include <catch2/catch.hpp>

#include <deque>

#include "properties/catch.hpp"
#include "runtime/moira.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

enum class Why : std::uint8_t { normal, shutdown, boom };
Reason reason_of(Why w) { return w == Why::normal ? Reason::normal() : w == Why::shutdown ? Reason::shutdown() : Reason{"boom"}; }

struct TreeCrash {
  std::size_t node = 0;  // a worker's index in the flattened tree
  Why why = Why::boom;
};
struct DynamicSlot {
  std::size_t node;
};

// One node of a generated tree: a worker or a supervisor (with its children).
struct Spec {
  bool supervisor = false;
  Restart restart = Restart::permanent;  // as its parent's child (the root's is not used)
  // Workers: 0 brutal_kill, 1 a 1 ms timeout (the worker traps exits and ignores `shutdown`, so the
  // timeout kills it), 2 infinity. Supervisors: 1 a 1 s timeout, 2 infinity.
  int shutdown = 2;
  Strategy strategy = Strategy::one_for_one;
  int intensity = 1;
  unsigned period_ms = 150;
  std::vector<Spec> children;
};

// The tree flattened in preorder: node 0 is the root supervisor.
struct Tree {
  Spec root;  // the nodes below point into it
  std::vector<const Spec*> spec;
  std::vector<std::size_t> parent;
  std::vector<std::vector<std::size_t>> kids;
  std::vector<std::size_t> workers;
};

void flatten(const Spec& s, std::size_t parent, Tree& t) {
  const std::size_t i = t.spec.size();
  t.spec.push_back(&s);
  t.parent.push_back(parent);
  t.kids.emplace_back();
  if (i != 0) t.kids[parent].push_back(i);
  if (!s.supervisor) t.workers.push_back(i);
  for (const Spec& c : s.children) flatten(c, i, t);
}

struct Plan {
  Spec root;
  std::vector<TreeCrash> crashes;  // crash k comes at (k + 1) * 100 ms
};

const char* name_of(Strategy s) {
  const char* names[] = {"one_for_one", "one_for_all", "rest_for_one", "simple_one_for_one"};
  return names[static_cast<int>(s)];
}
const char* name_of(Restart r) {
  const char* names[] = {"permanent", "transient", "temporary"};
  return names[static_cast<int>(r)];
}

void show(const Spec& s, std::ostream& os, std::size_t& id) {
  const std::size_t me = id++;
  if (!s.supervisor) {
    const char* sd[] = {"brutal_kill", "1ms/stubborn", "infinity"};
    os << 'w' << me << ':' << name_of(s.restart) << '/' << sd[s.shutdown];
    return;
  }
  os << 's' << me << ':' << name_of(s.restart) << '/' << (s.shutdown == 1 ? "1s" : "infinity") << ' '
     << name_of(s.strategy) << ' ' << s.intensity << '/' << s.period_ms << "ms [";
  for (const Spec& c : s.children) {
    os << ' ';
    show(c, os, id);
  }
  os << " ]";
}

void showValue(const Plan& p, std::ostream& os) {
  std::size_t id = 0;
  show(p.root, os, id);
  os << " crashes [";
  const char* why[] = {"normal", "shutdown", "boom"};
  for (auto c : p.crashes) os << " w" << c.node << ':' << why[static_cast<int>(c.why)];
  os << " ]";
}

rc::Gen<Restart> restarts() { return rc::gen::element(Restart::permanent, Restart::transient, Restart::temporary); }

rc::Gen<Spec> workers() {
  return rc::gen::apply(
      [](Restart r, int shutdown) {
        Spec s;
        s.restart = r;
        s.shutdown = shutdown;
        return s;
      },
      restarts(), rc::gen::inRange(0, 3));
}

// Depth 1 is the root; supervisors at depth 3 have only workers. At most 3 x 2 x 2 = 12 workers.
rc::Gen<Spec> supervisors(int depth) {
  rc::Gen<Spec> child = depth < 3 ? rc::gen::weightedOneOf<Spec>({{3, workers()}, {1, supervisors(depth + 1)}}) : workers();
  const std::size_t most = depth == 1 ? 3 : 2;
  auto shape = rc::gen::pair(
      rc::gen::element(Strategy::one_for_one, Strategy::one_for_all, Strategy::rest_for_one, Strategy::simple_one_for_one),
      rc::gen::inRange<std::size_t>(1, most + 1));
  return rc::gen::mapcat(shape, [child](std::pair<Strategy, std::size_t> p) {
    const auto [strategy, n] = p;
    // simple_one_for_one: n dynamic children of one template.
    rc::Gen<std::vector<Spec>> kids = strategy == Strategy::simple_one_for_one
                                          ? rc::gen::map(workers(), [n = n](Spec w) { return std::vector<Spec>(n, w); })
                                          : rc::gen::container<std::vector<Spec>>(n, child);
    return rc::gen::apply(
        [strategy = strategy](std::vector<Spec> kids, Restart r, int shutdown, int intensity, unsigned period) {
          Spec s;
          s.supervisor = true;
          s.restart = r;
          s.shutdown = shutdown;
          s.strategy = strategy;
          s.intensity = intensity;
          s.period_ms = period;
          s.children = std::move(kids);
          return s;
        },
        kids, restarts(), rc::gen::inRange(1, 3), rc::gen::inRange(0, 4), rc::gen::element(150u, 350u, 1050u));
  });
}

rc::Gen<Plan> plans() {
  return rc::gen::mapcat(supervisors(1), [](Spec root) {
    Tree t;
    flatten(root, 0, t);
    auto crash = rc::gen::apply([](std::size_t w, Why why) { return TreeCrash{w, why}; }, rc::gen::elementOf(t.workers),
                                rc::gen::element(Why::boom, Why::normal, Why::shutdown));
    return rc::gen::map(rc::gen::resize(6, rc::gen::container<std::vector<TreeCrash>>(rc::gen::resize(rc::kNominalSize, crash))),
                        [root](std::vector<TreeCrash> crashes) { return Plan{root, std::move(crashes)}; });
  });
}

// ------------------------------------------------------------------ the model

// OTP's rules over the whole tree. Restart times are the crash times: the only virtual time a
// restart takes is the 1 ms timeouts of stubborn workers (at most 12 ms), far from every period
// boundary (periods are 150/350/1050 ms, crashes 100 ms apart).
struct Model {
  const Tree& t;
  std::vector<int> starts;
  std::vector<bool> running, present;
  std::vector<std::deque<long>> restarts;
  std::vector<std::size_t> stops;  // workers, in the order they end
  bool gave_up = false;

  explicit Model(const Tree& tree)
      : t(tree), starts(tree.spec.size(), 0), running(tree.spec.size(), false), present(tree.spec.size(), true),
        restarts(tree.spec.size()) {}

  void start(std::size_t i) {
    running[i] = true;
    ++starts[i];
    restarts[i].clear();
    for (std::size_t c : t.kids[i]) {
      present[c] = true;
      start(c);
    }
  }
  void stop(std::size_t i) {
    if (!running[i]) return;
    for (auto c = t.kids[i].rbegin(); c != t.kids[i].rend(); ++c) stop(*c);
    running[i] = false;
    if (!t.spec[i]->supervisor) stops.push_back(i);
  }
  // `i` has ended (already stopped) with `why`: its supervisor reacts.
  void exited(std::size_t i, Why why, long now) {
    if (i == 0) {
      gave_up = true;
      return;
    }
    const std::size_t p = t.parent[i];
    const Spec& ps = *t.spec[p];
    const Restart r = t.spec[i]->restart;
    if (r == Restart::temporary) {
      present[i] = false;
      return;
    }
    if (r == Restart::transient && why != Why::boom) return;
    auto& q = restarts[p];
    q.push_back(now);
    while (now - q.front() > static_cast<long>(ps.period_ms)) q.pop_front();
    if (static_cast<int>(q.size()) > ps.intensity) {
      stop(p);
      exited(p, Why::shutdown, now);
      return;
    }
    if (ps.strategy == Strategy::one_for_one || ps.strategy == Strategy::simple_one_for_one) {
      start(i);
      return;
    }
    const auto& kids = t.kids[p];
    const std::size_t pos = static_cast<std::size_t>(std::find(kids.begin(), kids.end(), i) - kids.begin());
    const std::size_t first = ps.strategy == Strategy::one_for_all ? 0 : pos;
    for (std::size_t k = kids.size(); k-- > first;) stop(kids[k]);
    for (std::size_t k = first; k < kids.size(); ++k) {
      const std::size_t c = kids[k];
      if (!present[c]) continue;
      if (c != i && t.spec[c]->restart == Restart::temporary) {  // OTP: a temporary sibling is not restarted
        present[c] = false;
        continue;
      }
      start(c);
    }
  }
  void crash(const TreeCrash& c, long now) {
    if (!running[c.node]) return;  // nothing to crash: the driver skips it too
    stop(c.node);
    exited(c.node, c.why, now);
  }
};

// simple_one_for_one stops its children all at once (OTP gives no order): sort each run of
// consecutive stops of one such supervisor's children, in the model and in what happened alike.
std::vector<std::size_t> canonical(const Tree& t, std::vector<std::size_t> stops) {
  auto group = [&](std::size_t w) {
    const std::size_t p = t.parent[w];
    return t.spec[p]->strategy == Strategy::simple_one_for_one ? p : w + t.spec.size();
  };
  for (std::size_t a = 0; a < stops.size();) {
    std::size_t b = a + 1;
    while (b < stops.size() && group(stops[b]) == group(stops[a])) ++b;
    std::sort(stops.begin() + static_cast<std::ptrdiff_t>(a), stops.begin() + static_cast<std::ptrdiff_t>(b));
    a = b;
  }
  return stops;
}

// ------------------------------------------------------------------ the real tree

struct Observed {
  std::vector<Pid> pid;            // per node: the running incarnation
  std::vector<int> starts;         // per node
  std::vector<std::size_t> stops;  // workers, in the order they ended
  std::optional<Reason> gave_up;   // the root's exit reason, when it stopped on its own
};

struct StopWitness {  // logs a worker's end as its fiber unwinds
  std::shared_ptr<Observed> obs;
  std::size_t i;
  Pid self;
  ~StopWitness() {
    obs->stops.push_back(i);
    if (obs->pid[i] == self) obs->pid[i] = Pid{};
  }
};

// The mutation: child supervisors started without a link to their parent.
struct Mutation {
  bool unlinked_supervisors = false;
};

Pid start_worker(Process& sup, const std::shared_ptr<Observed>& obs, std::size_t i, bool stubborn) {
  Pid pid = sup.spawn_link([obs, i, stubborn](Process& self) {
    StopWitness w{obs, i, self.self()};
    self.trap_exit(stubborn);
    for (;;) {
      self.receive([&](const TreeCrash& c) { self.exit(reason_of(c.why)); },
                   [&](const Exit& e) {  // only a stubborn worker gets these: it ignores `shutdown`
                     if (!(e.reason == Reason::shutdown())) self.exit(e.reason);
                   });
    }
  });
  ++obs->starts[i];
  obs->pid[i] = pid;
  return pid;
}

using TreePtr = std::shared_ptr<const Tree>;
SupervisorSpec supervisor_spec(const TreePtr& tree, std::size_t i, const std::shared_ptr<Observed>& obs, Mutation m);

// Starts supervisor `i` (linked to `caller` unless the mutation says otherwise) and, for a
// simple_one_for_one one, its dynamic children.
Result<Pid> start_node(Process& caller, const TreePtr& tree, std::size_t i, const std::shared_ptr<Observed>& obs, Mutation m,
                       bool link) {
  const Tree& t = *tree;
  Result<Pid> r = start_supervisor(caller, supervisor_spec(tree, i, obs, m), {.link = link});
  if (!r) return r;
  ++obs->starts[i];
  obs->pid[i] = r.value();
  if (t.spec[i]->strategy == Strategy::simple_one_for_one)
    for (std::size_t k : t.kids[i])
      if (!start_dynamic_child(caller, r.value(), DynamicSlot{k})) return Result<Pid>::failure(Reason{"dynamic child"});
  return r;
}

ChildSpec child_spec(const TreePtr& tree, std::size_t i, const std::shared_ptr<Observed>& obs, Mutation m) {
  const Tree& t = *tree;
  const Spec& s = *t.spec[i];
  ChildSpec c;
  c.id = fmt::format("n{}", i);
  c.restart = s.restart;
  if (!s.supervisor) {
    c.shutdown = s.shutdown == 0 ? Shutdown::brutal_kill() : s.shutdown == 1 ? Shutdown::after(1ms) : Shutdown::infinity();
    const bool stubborn = s.shutdown == 1;
    c.start = [obs, i, stubborn](Process& sup) -> Result<Pid> { return start_worker(sup, obs, i, stubborn); };
    return c;
  }
  c.type = ChildType::supervisor;
  c.shutdown = s.shutdown == 1 ? Shutdown::after(1s) : Shutdown::infinity();
  c.start = [tree, i, obs, m](Process& parent) -> Result<Pid> { return start_node(parent, tree, i, obs, m, !m.unlinked_supervisors); };
  return c;
}

SupervisorSpec supervisor_spec(const TreePtr& tree, std::size_t i, const std::shared_ptr<Observed>& obs, Mutation m) {
  const Tree& t = *tree;
  const Spec& s = *t.spec[i];
  SupervisorSpec spec;
  spec.strategy = s.strategy;
  spec.intensity = s.intensity;
  spec.period = std::chrono::milliseconds{s.period_ms};
  if (s.strategy == Strategy::simple_one_for_one) {
    const Spec& w = s.children.front();
    const bool stubborn = w.shutdown == 1;
    ChildSpec c = dynamic_child<DynamicSlot>(
        "w", [obs, stubborn](Process& sup, const DynamicSlot& slot) -> Result<Pid> { return start_worker(sup, obs, slot.node, stubborn); },
        w.restart);
    c.shutdown = w.shutdown == 0 ? Shutdown::brutal_kill() : w.shutdown == 1 ? Shutdown::after(1ms) : Shutdown::infinity();
    spec.children.push_back(std::move(c));
    return spec;
  }
  for (std::size_t k : t.kids[i]) spec.children.push_back(child_spec(tree, k, obs, m));
  return spec;
}

void tree_case(sim::Simulation& sim, const Plan& plan, Mutation m) {
  auto tree = std::make_shared<Tree>();
  tree->root = plan.root;
  flatten(tree->root, 0, *tree);
  TreePtr t = tree;
  auto obs = std::make_shared<Observed>();
  obs->pid.assign(t->spec.size(), Pid{});
  obs->starts.assign(t->spec.size(), 0);
  sim.spawn([obs, t, crashes = plan.crashes, m](Process& self) {
    self.trap_exit(true);
    Pid root = start_node(self, t, 0, obs, m, true).value();
    auto root_exited = [&] {
      self.receive(match<Exit>([&](const Exit& e) { return e.from == root; }, [&](const Exit& e) { obs->gave_up = e.reason; }),
                   after(0ms, [] {}));
      return obs->gave_up.has_value();
    };
    for (const TreeCrash& c : crashes) {
      self.sleep(100ms);
      if (root_exited()) break;
      if (obs->pid[c.node]) self.send(obs->pid[c.node], c);
    }
    self.sleep(100ms);
    if (!root_exited()) {  // the orderly stop of the whole tree
      self.exit(root, Reason::shutdown());
      self.receive(match<Exit>([&](const Exit& e) { return e.from == root; }, [](const Exit&) {}));
    }
  });
  properties::run(sim);

  Model model(*t);
  model.start(0);
  for (std::size_t k = 0; k < plan.crashes.size() && !model.gave_up; ++k)
    model.crash(plan.crashes[k], static_cast<long>(k + 1) * 100);
  if (!model.gave_up) model.stop(0);

  RC_ASSERT(obs->starts == model.starts);  // exactly the right processes (re)started
  RC_ASSERT(obs->gave_up.has_value() == model.gave_up);
  if (model.gave_up) RC_ASSERT(*obs->gave_up == Reason::shutdown());
  // Every worker's end, in order: crashes, restarts' terminations and shutdowns in reverse start order.
  RC_ASSERT(canonical(*t, obs->stops) == canonical(*t, model.stops));
  RC_ASSERT(sim.process_count() == 0u);  // nothing left alive once the tree has stopped
}

}  // namespace

TEST_CASE("property: supervision trees (depth <= 3) restart and stop exactly as OTP's rules say",
          "[properties][supervision]") {
  properties::Config c;
  c.cases = 200;
  properties::require("supervision trees", [](sim::Simulation& sim) { tree_case(sim, *plans(), {}); }, c);
}

TEST_CASE("mutation: child supervisors started without a link break the supervision-tree property",
          "[properties][supervision][mutation]") {
  properties::Config c;
  c.quiet = true;
  c.seed = 4;
  auto r = properties::check("supervision trees, unlinked supervisors",
                             [](sim::Simulation& sim) { tree_case(sim, *plans(), {.unlinked_supervisors = true}); }, c);
  INFO(r.report);
  CHECK_FALSE(r.passed);
}
