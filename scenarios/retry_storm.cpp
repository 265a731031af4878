// retry-storm (a deliberately seeded liveness bug): a client makes 20 calls to a worker, each with
// a 5 ms timeout, and when one times out sends the request again at once. The worker's latency is
// drawn once from the seed, 3..7 ms; it queues requests and answers every one, stale ones too.
// When its latency exceeds the timeout, every answer comes too late and each retry queues behind
// stale work: the client never finishes, and the run ends only at its step bound (liveness, exit
// code 2) after some 5 million events — the long run the bounded trace (`moira trace --last N`)
// is for. Invariant: all 20 calls are answered.
#include <fmt/format.h>

#include <deque>

#include "scenarios/all.hpp"

namespace moira::scenarios {
namespace {

using namespace std::chrono_literals;

struct Request {
  Pid from;
  long attempt;
};
struct Reply {
  long attempt;
};

constexpr int kCalls = 20;
constexpr Duration kTimeout = 5ms;

struct State {
  int answered = 0;
};

}  // namespace
}  // namespace moira::scenarios

template <>
struct fmt::formatter<moira::scenarios::Request> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::scenarios::Request& r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "Request{{attempt {}}}", r.attempt);
  }
};
template <>
struct fmt::formatter<moira::scenarios::Reply> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::scenarios::Reply& r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "Reply{{attempt {}}}", r.attempt);
  }
};

namespace moira::scenarios {

Scenario retry_storm() {
  Scenario s;
  s.name = "retry-storm";
  s.summary = "seeded liveness bug: retries at once on a 5 ms timeout; a worker as slow as that never catches up";
  s.seeded_bug = true;
  s.options.max_steps = 3'000'000;
  s.setup = [](sim::Simulation& sim) -> Check {
    auto st = std::make_shared<State>();
    sim.spawn([st](Process& self) {
      Pid worker = self.spawn([](Process& me) {
        const Duration latency = std::chrono::milliseconds{3 + static_cast<long>(me.random() % 5)};
        // Requests wait in the worker's own queue, not its mailbox, so its sleep (a receive)
        // never scans a backlog.
        std::deque<Request> work;
        for (;;) {
          while (auto r = me.receive_for<Request>(Duration{0})) work.push_back(*r);
          if (work.empty()) {
            work.push_back(me.receive<Request>());
            continue;
          }
          Request r = work.front();
          work.pop_front();
          me.sleep(latency);
          me.send(r.from, Reply{r.attempt});
        }
      });
      self.register_name("client");
      long attempt = 0;
      for (int call = 0; call < kCalls; ++call) {
        bool answered = false;
        while (!answered) {
          self.send(worker, Request{self.self(), ++attempt});
          const Time deadline = self.now() + kTimeout;
          while (!answered && self.now() < deadline)  // stale replies are taken and dropped
            self.receive([&](const Reply& r) { answered = r.attempt == attempt; }, after(deadline - self.now(), [] {}));
        }
        ++st->answered;
      }
      self.exit(worker, Reason::shutdown());
    });
    return [st](const sim::RunResult& r) -> Verdict {
      // Stopped at the bound, the calls may still be under way: that is the liveness failure, and
      // the outcome (bound_exceeded, exit code 2) says so.
      if (r.outcome == sim::Outcome::bound_exceeded) return Verdict::pass();
      if (st->answered != kCalls) return Verdict::fail(fmt::format("{} of {} calls answered", st->answered, kCalls));
      return Verdict::pass();
    };
  };
  return s;
}

}  // namespace moira::scenarios
