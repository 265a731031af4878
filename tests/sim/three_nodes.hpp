#pragma once
// The faulty three-node scenario that the determinism test runs 10,000 seeds of and that
// sim_hashes prints hashes of for the Debug-vs-optimized comparison: one definition, so both
// check the same thing. Two server nodes; a client on node 0 asks each in turn with a monitor
// and a timeout, while rates kill processes, crash and restart nodes, partition them and drop
// messages.
#include <chrono>
#include <cstdint>

#include "sim/sim.hpp"

namespace moira::test {

struct Req {
  Pid from;
  int n;
};
struct Rep {
  int n;
};

inline void three_nodes(sim::Simulation& s) {
  using namespace std::chrono_literals;
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

inline sim::Options three_nodes_faults(std::uint64_t seed) {
  using namespace std::chrono_literals;
  sim::Options o;
  o.seed = seed;
  o.keep_decisions = false;
  o.faults.kill_per_second = 2;
  o.faults.crash_per_second = 2;
  o.faults.restart_after = 20ms;
  o.faults.partition_per_second = 2;
  o.faults.heal_after = 30ms;
  o.faults.drop_probability = 0.05;
  o.faults.tick = 5ms;
  o.faults.until = 200ms;
  o.relaxed_delivery = seed % 2 == 0;
  o.waiting_at_end = sim::WaitingAtEnd::fine;  // the servers stay, idle
  return o;
}

}  // namespace moira::test
