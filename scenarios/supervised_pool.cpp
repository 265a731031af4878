// supervised-pool: a one_for_one supervisor keeps three Server workers; a client calls them by
// name, round-robin, while random processes are killed (the client and the supervisor too).
// Invariants: every answer is right; every call returned (an answer or an error, never a hang),
// unless the client itself was killed in the middle of one; the run ends.
#include <fmt/format.h>

#include <variant>

#include "runtime/behaviours/supervisor.hpp"
#include "scenarios/all.hpp"

namespace moira::scenarios {
namespace {

using namespace std::chrono_literals;

class Squarer final : public Server<Squarer, long, long> {
 public:
  explicit Squarer(int id) : id_(id) {}
  void init(Process& self) override { self.register_name(fmt::format("worker-{}", id_)); }
  std::optional<long> handle_call(Process&, long n, From) override { return n * n; }

 private:
  int id_;
};

struct State {
  int calls_made = 0;
  int calls_returned = 0;
  int wrong_answers = 0;
  int errors = 0;
  bool in_call = false;
  bool client_killed = false;
  std::string first_wrong;
  Pid supervisor;
};

struct NoteKilled {  // unwinding past this means the client was killed
  State* st;
  bool finished = false;
  ~NoteKilled() { st->client_killed = !finished; }
};

}  // namespace

Scenario supervised_pool() {
  Scenario s;
  s.name = "supervised-pool";
  s.summary = "a supervisor keeps 3 Server workers alive under random kills; a client calls them by name";
  s.options.faults.kill_per_second = 4;
  s.options.faults.tick = 10ms;
  s.options.faults.until = 2s;
  s.options.max_virtual_time = 1h;
  s.setup = [](sim::Simulation& sim) -> Check {
    auto st = std::make_shared<State>();
    sim.spawn([st](Process& self) {
      NoteKilled note{st.get()};
      SupervisorSpec spec{Strategy::one_for_one, 1000, 1s, {}};
      for (int i = 0; i < 3; ++i) {
        ChildSpec c;
        c.id = fmt::format("worker-{}", i);
        c.start = [i](Process& sup) { return start_server<Squarer>(sup, {.link = true}, i); };
        spec.children.push_back(c);
      }
      self.trap_exit(true);  // the supervisor may be killed: we want to see it, not die of it
      auto sup = start_supervisor(self, spec);
      if (!sup) return;
      st->supervisor = sup.value();
      for (long n = 1; n <= 300; ++n) {
        auto pid = self.whereis(fmt::format("worker-{}", n % 3));
        if (!pid) {
          self.sleep(1ms);  // being restarted, or the supervisor is gone
          continue;
        }
        ++st->calls_made;
        st->in_call = true;
        auto r = call<Squarer>(self, *pid, n, 100ms);
        st->in_call = false;
        ++st->calls_returned;
        if (!r) {
          ++st->errors;
        } else if (r.value() != n * n) {
          if (st->wrong_answers++ == 0) st->first_wrong = fmt::format("{}^2 answered {}", n, r.value());
        }
        self.sleep(5ms);
      }
      self.exit(st->supervisor, Reason::shutdown());
      note.finished = true;
    });
    return [st](const sim::RunResult&) -> Verdict {
      if (st->wrong_answers) return Verdict::fail(fmt::format("{} wrong answers, first: {}", st->wrong_answers, st->first_wrong));
      int interrupted = st->client_killed && st->in_call ? 1 : 0;
      if (st->calls_returned + interrupted != st->calls_made)
        return Verdict::fail(fmt::format("{} calls made, {} returned", st->calls_made, st->calls_returned));
      return Verdict::pass();
    };
  };
  return s;
}

}  // namespace moira::scenarios
