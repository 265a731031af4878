#include "properties/property.hpp"
using namespace moira;

int main() {  // Wrong on purpose: nothing orders the senders, so the last value can be any of them.
  auto r = properties::check("the last of n sends wins", [](sim::Simulation& sim, std::uint8_t n) {
    auto last = std::make_shared<int>(-1);
    Pid counter = sim.spawn([last](Process& self) { for (;;) *last = self.receive<int>(); });
    for (int i = 0; i < n; ++i) sim.spawn([counter, i](Process& self) { self.send(counter, i); });
    properties::run(sim);
    RC_ASSERT(*last == n - 1);
  });
  return r.passed ? 0 : 1;
}
