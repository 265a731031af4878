// supervised-pool: a one_for_one supervisor keeps three Server workers; a client calls them by
// name, round-robin, while a chaos monkey kills workers at seeded random moments. Invariants:
// every answer is right; every call returns (an answer or an error, never a hang); all 300 calls
// are made; at the end all three workers are running again; the run ends.
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
  int kills = 0;
  std::size_t active_at_end = 0;
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
      // The chaos monkey: kills a random worker every 20..100 ms of virtual time, 15 times.
      Pid monkey = self.spawn([st](Process& me) {
        for (int i = 0; i < 15; ++i) {
          me.sleep(std::chrono::milliseconds{20 + static_cast<long>(me.random() % 81)});
          if (auto victim = me.whereis(fmt::format("worker-{}", me.random() % 3))) {
            me.exit(*victim, Reason::kill());
            ++st->kills;
          }
        }
      });
      (void)monkey;
      for (long n = 1; n <= 300; ++n) {
        auto pid = self.whereis(fmt::format("worker-{}", n % 3));
        while (!pid) {  // being restarted
          self.sleep(1ms);
          pid = self.whereis(fmt::format("worker-{}", n % 3));
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
      self.sleep(200ms);  // the monkey is done by now; the last restart too
      auto counts = count_children(self, st->supervisor);  // noproc if the supervisor gave up
      st->active_at_end = counts ? counts.value().active : 0;
      self.exit(st->supervisor, Reason::shutdown());
      note.finished = true;
    });
    return [st](const sim::RunResult&) -> Verdict {
      if (st->wrong_answers) return Verdict::fail(fmt::format("{} wrong answers, first: {}", st->wrong_answers, st->first_wrong));
      if (st->client_killed) return Verdict::fail("the client was killed");
      if (st->calls_returned != st->calls_made)
        return Verdict::fail(fmt::format("{} calls made, {} returned", st->calls_made, st->calls_returned));
      if (st->calls_made != 300) return Verdict::fail(fmt::format("only {} of 300 calls made", st->calls_made));
      if (st->active_at_end != 3)
        return Verdict::fail(fmt::format("{} of 3 workers running at the end (after {} kills)", st->active_at_end, st->kills));
      return Verdict::pass();
    };
  };
  return s;
}

}  // namespace moira::scenarios
