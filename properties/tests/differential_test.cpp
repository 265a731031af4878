// moira's own property: differential. A program whose result does not depend on the schedule
// (a tree of workers summing ranges, the parent adding their answers in whatever order they come)
// computes the same on the simulator, under every generated schedule and setting, as on the
// threaded engine.
#include <catch2/catch.hpp>

#include <future>

#include "properties/catch.hpp"
#include "runtime/moira.hpp"

using namespace moira;

namespace {

struct Part {
  std::int64_t sum;
};

struct Program {
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;  // one worker per range
  bool use_random = false;  // the mutation: the answer depends on the engine's random numbers
};

// The parent spawns a worker per range and adds up their answers; `done` gets the total.
void parent(Process& self, Program p, std::function<void(std::int64_t)> done) {
  for (auto [from, count] : p.ranges) {
    self.spawn([parent = self.self(), from = from, count = count, r = p.use_random](Process& me) {
      std::int64_t sum = 0;
      for (std::int64_t i = from; i < from + count; ++i) sum += i * i;
      if (r) sum += static_cast<std::int64_t>(me.random() % 7);
      me.send(parent, Part{sum});
    });
  }
  std::int64_t total = 0;
  for (std::size_t i = 0; i < p.ranges.size(); ++i) total += self.receive<Part>().sum;
  done(total);
}

std::int64_t on_threads(const Program& p) {
  ThreadedEngine engine{ThreadedEngine::Options{.workers = 2}};
  auto result = std::make_shared<std::promise<std::int64_t>>();
  auto answer = result->get_future();
  engine.spawn([p, result](Process& self) { parent(self, p, [result](std::int64_t t) { result->set_value(t); }); });
  return answer.get();
}

rc::Gen<Program> programs(bool use_random) {
  auto range = rc::gen::pair(rc::gen::inRange<std::int64_t>(-1000, 1000), rc::gen::inRange<std::int64_t>(0, 50));
  return rc::gen::map(rc::gen::resize(8, rc::gen::nonEmpty(rc::gen::container<std::vector<std::pair<std::int64_t, std::int64_t>>>(
                                             rc::gen::resize(rc::kNominalSize, range)))),
                      [use_random](auto ranges) { return Program{std::move(ranges), use_random}; });
}

void differential_case(sim::Simulation& sim, bool use_random) {
  const Program p = *programs(use_random);
  auto total = std::make_shared<std::optional<std::int64_t>>();
  sim.spawn([p, total](Process& self) { parent(self, p, [total](std::int64_t t) { *total = t; }); });
  properties::run(sim);
  RC_ASSERT(total->has_value());
  RC_ASSERT(**total == on_threads(p));
}

properties::Config config() {
  properties::Config c;
  c.cases = 60;  // each case starts a threaded engine
  return c;
}

}  // namespace

TEST_CASE("property: a schedule-independent program computes the same on the simulator and on threads",
          "[properties][differential]") {
  properties::require("differential", [](sim::Simulation& sim) { differential_case(sim, false); }, config());
}

TEST_CASE("mutation: a program that uses the engine's random numbers differs between engines",
          "[properties][differential][mutation]") {
  properties::Config c = config();
  c.quiet = true;
  c.seed = 4;
  auto r = properties::check("differential, random", [](sim::Simulation& sim) { differential_case(sim, true); }, c);
  INFO(r.report);
  CHECK_FALSE(r.passed);
}
