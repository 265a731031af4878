// A user's own scenario in a user's own binary: linking moira::cli_main makes counter_cli a moira
// command line (list, run, sweep, replay, shrink, trace, determinism) for the scenarios registered
// here. The counter has a bug on purpose: a client reads the count, then writes count + 1, and
// another client's write can land in between, so sweeps find seeds that lose an increment.
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "runtime/moira.hpp"
#include "scenarios/scenario.hpp"

using namespace moira;

namespace {

struct GetCount {
  Pid from;
};
struct SetCount {
  int value;
};

constexpr int kClients = 2;
constexpr int kIncrements = 3;

scenarios::Scenario counter() {
  scenarios::Scenario s;
  s.name = "counter";
  s.summary = "two clients increment a counter by get-then-set: some schedules lose an increment";
  s.setup = [](sim::Simulation& sim) -> scenarios::Check {
    auto final_count = std::make_shared<int>(-1);
    sim.spawn([final_count](Process& self) {
      Pid counter = self.spawn([](Process& me) {
        int count = 0;
        for (;;) {
          me.receive([&](const GetCount& g) { me.send(g.from, count); }, [&](const SetCount& s) { count = s.value; });
        }
      });
      self.trap_exit(true);  // before the clients start, so their exits arrive as messages
      for (int c = 0; c < kClients; ++c) {
        self.spawn_link([counter](Process& me) {
          for (int i = 0; i < kIncrements; ++i) {
            me.sleep(std::chrono::milliseconds{1 + static_cast<long>(me.random() % 30)});  // think time
            me.send(counter, GetCount{me.self()});
            me.send(counter, SetCount{me.receive<int>() + 1});  // the bug: not atomic with the read
          }
        });
      }
      for (int c = 0; c < kClients; ++c) self.receive<Exit>();
      self.send(counter, GetCount{self.self()});  // after every SetCount already in its mailbox
      *final_count = self.receive<int>();
      self.exit(counter, Reason::shutdown());
    });
    return [final_count](const sim::RunResult&) {
      const int expected = kClients * kIncrements;
      if (*final_count == expected) return scenarios::Verdict::pass();
      return scenarios::Verdict::fail(fmt::format("count {} after {} increments", *final_count, expected));
    };
  };
  return s;
}

}  // namespace

MOIRA_SCENARIO(counter);
