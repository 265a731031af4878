// Prints the trace hash of a fixed list of seeds of a faulty three-node scenario, one per line.
// Built twice — against the build's own libraries and against -O2 -DNDEBUG copies of them — and
// the outputs compared (ctest: sim_hashes_debug_vs_optimized): a simulation must not depend on
// the optimizer.
#include <cstdio>
#include <string>

#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Req {
  Pid from;
  int n;
};
struct Rep {
  int n;
};

void scenario(sim::Simulation& s) {
  for (int n = 1; n <= 2; ++n) {
    s.add_node(fmt::format("server{}", n), [](Process& self) {
      self.register_name("svc");
      for (;;) {
        self.receive([&](const Req& r) {
          if (self.random() % 4 == 0) self.sleep(3ms);
          self.send(r.from, Rep{r.n});
        });
      }
    });
  }
  s.spawn([](Process& self) {
    self.trap_exit(true);
    for (int i = 0; i < 6; ++i) {
      auto svc = self.engine().whereis("svc", 1 + static_cast<NodeId>(i % 2));
      if (!svc) {
        self.sleep(5ms);
        continue;
      }
      Ref mon = self.monitor(*svc);
      self.send(*svc, Req{self.self(), i});
      self.receive([&](const Rep&) {}, [&](const Down&) {}, after(20ms, [] {}));
      self.demonitor(mon, true);
    }
  });
}

}  // namespace

int main() {
  for (std::uint64_t seed = 1; seed <= 64; ++seed) {
    sim::Options o;
    o.keep_decisions = false;
    o.faults.kill_per_second = 2;
    o.faults.crash_per_second = 2;
    o.faults.restart_after = 20ms;
    o.faults.partition_per_second = 2;
    o.faults.drop_probability = 0.05;
    o.faults.tick = 5ms;
    o.faults.until = 200ms;
    o.relaxed_delivery = seed % 2 == 0;
    o.swarm = seed % 5 == 0;
    if (o.swarm) o.faults = {};
    auto strategy = seed % 3 == 0 ? sim::Strategy::pct(seed, 3, 300) : sim::Strategy::random_walk(seed);
    auto run = sim::run_scenario(scenario, o, strategy);
    std::printf("%llu %016llx %s %llu\n", static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(run.result.trace_hash), std::string{to_string(run.result.outcome)}.c_str(),
                static_cast<unsigned long long>(run.result.steps));
  }
  return 0;
}
