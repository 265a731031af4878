// Registers the simulator with the conformance suite: every conformance test also runs here,
// under several seeds and strategies.
#include <catch2/catch.hpp>

#include "sim/sim.hpp"
#include "tests/harness.hpp"

namespace moira::test {
namespace {

class SimHarness final : public Harness {
 public:
  SimHarness(std::string name, sim::Options options, const sim::Strategy& strategy)
      : name_(std::move(name)), sim_(with_seed(std::move(options), strategy.seed), strategy.make()) {}
  Engine& engine() override { return sim_; }
  void run() override {
    sim::RunResult r = sim_.run();
    INFO(name_ << ": " << r.describe());
    REQUIRE(r.ok());
  }
  std::string name() const override { return name_; }
  bool simulated() const override { return true; }

 private:
  static sim::Options with_seed(sim::Options o, std::uint64_t seed) {
    o.seed = seed;
    o.max_steps = 20'000'000;
    o.max_virtual_time = std::chrono::hours{1};
    o.keep_decisions = false;
    o.waiting_at_end = sim::WaitingAtEnd::fine;  // as on threads, processes may be left waiting
    return o;
  }
  std::string name_;
  sim::Simulation sim_;
};

HarnessFactory factory(std::string name, sim::Strategy strategy, sim::Options options = {}) {
  return {name, [name, strategy, options] { return std::make_unique<SimHarness>(name, options, strategy); }};
}

sim::Options relaxed() {
  sim::Options o;
  o.relaxed_delivery = true;
  return o;
}

const bool registered = [] {
  register_harness(factory("sim seed 1", sim::Strategy::random_walk(1)));
  register_harness(factory("sim seed 2", sim::Strategy::random_walk(2)));
  register_harness(factory("sim pct seed 3", sim::Strategy::pct(3, 3, 2000)));
  register_harness(factory("sim relaxed seed 4", sim::Strategy::random_walk(4), relaxed()));
  return true;
}();

}  // namespace
}  // namespace moira::test
