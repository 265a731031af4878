// moira's own property: fault isolation. Workers on several nodes, watchers that monitor them and
// trapping linkers that link to them, spread over the nodes; then a node crashes or is cut off.
// Exactly that node's processes end (a crash) and exactly the links and monitors that cross to it
// hear `noconnection`, each monitor once; everything else carries on untouched.
#include <catch2/catch.hpp>

#include <map>

#include "properties/catch.hpp"
#include "runtime/moira.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Watch {
  std::size_t worker;   // index into the workers
  NodeId node;          // where the watcher lives
  bool link = false;    // a trapping linker instead of a monitor
};

struct Layout {
  std::size_t nodes = 2;
  std::vector<NodeId> workers;  // each worker's node
  std::vector<Watch> watches;
  NodeId victim = 1;
  bool partition = false;  // cut the victim off instead of crashing it
  unsigned at_ms = 100;
};

void showValue(const Layout& l, std::ostream& os) {
  os << l.nodes << " nodes; workers on [";
  for (auto n : l.workers) os << ' ' << n;
  os << " ]; watches [";
  for (auto w : l.watches) os << " w" << w.worker << (w.link ? "<-link@" : "<-mon@") << w.node;
  os << " ]; " << (l.partition ? "partition" : "crash") << " node " << l.victim << " at " << l.at_ms << "ms";
}

rc::Gen<Layout> layouts() {
  return rc::gen::mapcat(rc::gen::pair(rc::gen::inRange<std::size_t>(2, 4), rc::gen::inRange<std::size_t>(1, 5)), [](auto p) {
    const auto [nodes, workers] = p;
    const auto node = rc::gen::inRange<NodeId>(0, static_cast<NodeId>(nodes));
    auto watch = rc::gen::apply([](std::size_t w, NodeId n, bool link) { return Watch{w, n, link}; },
                                rc::gen::inRange<std::size_t>(0, workers), node, rc::gen::arbitrary<bool>());
    return rc::gen::apply(
        [nodes = nodes](std::vector<NodeId> ws, std::vector<Watch> watches, NodeId victim, bool partition, unsigned at) {
          return Layout{nodes, std::move(ws), std::move(watches), victim, partition, at};
        },
        rc::gen::container<std::vector<NodeId>>(workers, node),
        rc::gen::resize(8, rc::gen::container<std::vector<Watch>>(rc::gen::resize(rc::kNominalSize, watch))),
        rc::gen::inRange<NodeId>(1, static_cast<NodeId>(nodes)), rc::gen::arbitrary<bool>(), rc::gen::inRange(100u, 1000u));
  });
}

struct Heard {
  std::vector<std::vector<Reason>> per_watch;  // what each watcher heard about its worker
};

// `stray_link`: the mutation — one worker off the victim node does not trap exits and links to a
// worker on it, so the crash spreads to a node it should not touch.
void isolation_case(sim::Simulation& sim, const Layout& l, bool stray_link) {
  for (std::size_t n = 1; n < l.nodes; ++n) sim.add_node(fmt::format("n{}", n));
  // Workers trap exits: a link from a watcher must not take them down with it (links go both ways).
  std::vector<Pid> workers;
  for (NodeId n : l.workers) {
    workers.push_back(sim.spawn_on(n, [](Process& self) {
      self.trap_exit(true);
      for (;;) self.receive<int>();
    }));
  }
  if (stray_link) {
    auto on_victim = std::find(l.workers.begin(), l.workers.end(), l.victim);
    auto elsewhere = std::find_if(l.workers.begin(), l.workers.end(), [&](NodeId n) { return n != l.victim; });
    if (on_victim != l.workers.end() && elsewhere != l.workers.end()) {
      const auto i = static_cast<std::size_t>(elsewhere - l.workers.begin());
      Pid target = workers[static_cast<std::size_t>(on_victim - l.workers.begin())];
      sim.kill(workers[i]);
      workers[i] = sim.spawn_on(*elsewhere, [target](Process& self) {  // does not trap: dies with the link
        self.link(target);
        for (;;) self.receive<int>();
      });
    }
  }
  auto heard = std::make_shared<Heard>();
  heard->per_watch.resize(l.watches.size());
  for (std::size_t i = 0; i < l.watches.size(); ++i) {
    const Watch w = l.watches[i];
    Pid target = workers[w.worker];
    sim.spawn_on(w.node, [heard, i, target, link = w.link](Process& self) {
      if (link) {
        self.trap_exit(true);
        self.link(target);
      } else {
        self.monitor(target);
      }
      for (;;) {
        self.receive([&](const Down& d) { heard->per_watch[i].push_back(d.reason); },
                     [&](const Exit& e) { heard->per_watch[i].push_back(e.reason); });
      }
    });
  }
  const auto at = std::chrono::milliseconds{l.at_ms};
  sim.at(at, l.partition ? sim::Fault::partition({l.victim}) : sim::Fault::crash(l.victim));
  properties::run(sim);

  auto alive = sim.live_processes();
  auto is_alive = [&](Pid p) { return std::find(alive.begin(), alive.end(), p) != alive.end(); };
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const bool on_victim = l.workers[i] == l.victim;
    if (!on_victim || l.partition) RC_ASSERT(is_alive(workers[i]));
    if (on_victim && !l.partition) RC_ASSERT(!is_alive(workers[i]));
  }
  for (std::size_t i = 0; i < l.watches.size(); ++i) {
    const Watch w = l.watches[i];
    const bool crosses = (w.node == l.victim) != (l.workers[w.worker] == l.victim);
    const bool watcher_gone = w.node == l.victim && !l.partition;
    if (watcher_gone) continue;  // it ended with its node; what it heard first does not matter
    const auto& got = heard->per_watch[i];
    if (crosses) {
      RC_ASSERT(got.size() == 1u);  // exactly one Down (or Exit) ...
      RC_ASSERT(got[0] == Reason::noconnection());  // ... saying noconnection
    } else {
      RC_ASSERT(got.empty());  // nothing crossed the cut: nothing heard
    }
  }
}

}  // namespace

TEST_CASE("property: a node crash or partition reaches exactly the links and monitors across it",
          "[properties][isolation]") {
  properties::Config c;
  c.cases = 150;
  c.settings.latency_max_ms = 30;
  properties::require("fault isolation", [](sim::Simulation& sim) { isolation_case(sim, *layouts(), false); }, c);
}

TEST_CASE("mutation: a stray link across the crashed node breaks fault isolation", "[properties][isolation][mutation]") {
  properties::Config c;
  c.quiet = true;
  c.seed = 9;
  auto r = properties::check("fault isolation, stray link", [](sim::Simulation& sim) { isolation_case(sim, *layouts(), true); }, c);
  INFO(r.report);
  CHECK_FALSE(r.passed);
}
