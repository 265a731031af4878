// Odds and ends: stackless processes under the simulator, info requests across a cut, the
// conformance harness registration.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "sim/sim.hpp"
#include "tests/harness.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Add {
  Pid from;
  int n;
};
struct Sum {
  int total;
};

// A stackless accumulator: answers each Add with the running total.
class Accumulator final : public Stackless {
 public:
  void handle(Process& self, Message msg) override {
    if (auto* a = msg.try_get<Add>()) {
      total_ += a->n;
      self.send(a->from, Sum{total_});
      self.send(a->from, Sum{-1});  // a second send: a second preemption point in one callback
    }
  }

 private:
  int total_ = 0;
};

}  // namespace

TEST_CASE("sim: stackless processes run under preemption, deterministically", "[sim]") {
  auto run = [](std::uint64_t seed) {
    sim::Simulation s{{.seed = seed}};
    Pid acc = s.spawn_stackless<Accumulator>();
    auto totals = std::make_shared<std::vector<int>>();
    for (int c = 0; c < 3; ++c) {
      s.spawn([acc, totals](Process& self) {
        for (int i = 0; i < 5; ++i) {
          self.send(acc, Add{self.self(), 1});
          totals->push_back(self.receive<Sum>().total);
          self.receive<Sum>();
        }
      });
    }
    sim::RunResult r = s.run();
    CHECK(r.outcome == sim::Outcome::deadlocked);  // the accumulator waits on
    REQUIRE(r.blocked.size() == 1);
    CHECK(r.blocked[0].stackless);
    return std::pair{*totals, r.trace_hash};
  };
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    auto [totals, hash] = run(seed);
    CHECK(totals.size() == 15);
    CHECK(*std::max_element(totals.begin(), totals.end()) == 15);
    CHECK(run(seed).second == hash);
  }
}

TEST_CASE("sim net: info() about a process across a partition answers nullopt instead of hanging", "[sim]") {
  sim::Simulation s;
  NodeId b = s.add_node("b");
  Pid far = s.spawn_on(b, [](Process& self) { self.receive<int>(); });
  s.partition({0}, {b});
  auto answers = std::make_shared<std::vector<std::string>>();
  s.spawn([far, answers](Process& self) { answers->push_back(self.info(far) ? "info" : "nullopt"); });
  s.run();
  s.heal();
  s.spawn([far, answers](Process& self) { answers->push_back(self.info(far) ? "info" : "nullopt"); });
  s.run();
  CHECK(*answers == std::vector<std::string>{"nullopt", "info"});
}

TEST_CASE("sim: the simulator is registered with the conformance suite", "[sim]") {
  std::vector<std::string> names;
  for (const auto& f : test::harness_factories()) names.push_back(f.name);
  for (const char* want : {"sim seed 1", "sim seed 2", "sim pct seed 3", "sim relaxed seed 4"}) {
    INFO(want);
    CHECK(std::find(names.begin(), names.end(), want) != names.end());
  }
  auto h = std::find_if(test::harness_factories().begin(), test::harness_factories().end(),
                        [](const test::HarnessFactory& f) { return f.name == "sim seed 1"; })
               ->make();
  CHECK(h->simulated());
  auto got = std::make_shared<int>(0);
  h->engine().spawn([got](Process& self) {
    self.sleep(1h);
    *got = 1;
  });
  h->run();
  CHECK(*got == 1);
}
