// spawn is local to the spawning process's node (Erlang's spawn/1), under any schedule and any
// crash/restart/partition: a property over generated schedules, node counts and tree shapes.
#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <memory>
#include <vector>

#include "sim/sim.hpp"
#include "sim/vector_source.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Placement {
  NodeId expected;
  NodeId actual;
};
using Placements = std::vector<Placement>;

class StacklessChild final : public Stackless {
 public:
  StacklessChild(NodeId expected, std::shared_ptr<Placements> out) : expected_(expected), out_(std::move(out)) {}
  void start(Process& self) override { out_->push_back({expected_, self.node()}); }
  void handle(Process&, Message) override {}

 private:
  NodeId expected_;
  std::shared_ptr<Placements> out_;
};

// Records where it landed, then spawns children every way a process can (plain, linked,
// monitored, stackless, and one with an explicit node, which must win).
void grow(Process& self, NodeId expected, int depth, std::shared_ptr<Placements> out) {
  out->push_back({expected, self.node()});
  if (depth == 0) {
    self.receive_for<int>(20ms);
    return;
  }
  const NodeId here = self.node();
  self.spawn(grow, here, depth - 1, out);
  self.spawn_link(grow, here, depth - 1, out);
  (void)self.spawn_monitor(grow, here, depth - 1, out);
  self.spawn_stackless<StacklessChild>(SpawnOptions{}, here, out);
  self.spawn_with(SpawnOptions{.node = NodeId{0}}, grow, NodeId{0}, 0, out);
  self.receive_for<int>(20ms);
}

}  // namespace

TEST_CASE("a plain spawn lands on the spawner's node under every schedule and fault", "[sim][spawn]") {
  rc::prop("no process is placed on another node than its spawner's", [](const std::vector<std::uint64_t>& choices) {
    const int extra_nodes = *rc::gen::inRange(1, 4);
    const int depth = *rc::gen::inRange(1, 3);
    sim::Options o;
    o.seed = 1;
    o.relaxed_delivery = *rc::gen::arbitrary<bool>();
    o.faults.crash_per_second = 5;
    o.faults.restart_after = 30ms;
    o.faults.partition_per_second = 5;
    o.faults.until = 200ms;
    o.max_virtual_time = 10s;
    auto out = std::make_shared<Placements>();
    {
      sim::Simulation s{o, std::make_unique<sim::VectorSource>(choices)};
      for (int i = 0; i < extra_nodes; ++i) {
        s.add_node(fmt::format("n{}", i + 1), [depth, out](Process& boot) { grow(boot, boot.node(), depth, out); });
      }
      s.spawn(grow, NodeId{0}, depth, out);
      (void)s.run();
    }
    RC_ASSERT(!out->empty());
    std::size_t off_node = 0, remote = 0;
    for (const Placement& p : *out) {
      if (p.expected != p.actual) ++off_node;
      if (p.actual != 0) ++remote;
    }
    RC_ASSERT(off_node == 0u);
    RC_ASSERT(remote > 0u);  // the boot functions' trees really live on their own nodes
  });
}
