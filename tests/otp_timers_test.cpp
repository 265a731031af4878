// Timers against OTP's timer BIFs (erlang:send_after, cancel_timer, read_timer), on every engine:
// a timer dies with its target process, and tells how long it has left. Each case names the
// timer_bif_SUITE case (or the erlang man page) it follows.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <vector>

#include "tests/harness.hpp"
#include "tests/recorder.hpp"

using namespace moira;
using namespace std::chrono_literals;
using moira::test::Harness;
using moira::test::on_each_engine;
using moira::test::Recorder;

namespace {
struct Quit {};
struct Tick {};
}  // namespace

TEST_CASE("timer_bif_SUITE:cleanup — a timer to a process that exits is cancelled with it", "[conformance][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Pid target = self.spawn([](Process& me) { me.receive<Quit>(); });
      Ref timer = self.send_after(target, 1h, Tick{});
      Ref m = self.monitor(target);
      self.send(target, Quit{});
      self.receive(match<Down>([&](const Down& d) { return d.ref == m; }, [](const Down&) {}));
      rec.add(self.cancel_timer(timer) ? "cancelled a live timer?!" : "already gone");
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"already gone"});
  });
}

TEST_CASE("erlang:send_after (man page) — a timer to a process that is already dead is never set", "[conformance][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      auto [target, m] = self.spawn_monitor([](Process&) {});
      self.receive(match<Down>([&, m = m](const Down& d) { return d.ref == m; }, [](const Down&) {}));
      Ref timer = self.send_after(target, 1h, Tick{});
      rec.add(self.cancel_timer(timer) ? "cancelled a live timer?!" : "never set");
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"never set"});
  });
}

// Before timers died with their targets, the threaded engine's run_until_idle waited for this
// timer (2 h), and the simulator ran into its virtual-time bound (1 h) to fire it into the void.
TEST_CASE("timer_bif_SUITE:cleanup — an engine does not wait for a timer whose target died", "[conformance][otp]") {
  on_each_engine([](Harness& h) {
    std::atomic<bool> done{false};
    h.engine().spawn([&](Process& self) {
      Pid target = self.spawn([](Process& me) { me.receive<Quit>(); });
      self.send_after(target, 2h, Tick{});
      self.send(target, Quit{});
      done = true;
    });
    h.run();
    CHECK(done);
  });
}

TEST_CASE("timer_bif_SUITE:read_timer_trivial — read_timer and cancel_timer give the time left", "[conformance][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Ref timer = self.send_after(self.self(), 10s, Tick{});
      auto left = self.read_timer(timer);
      rec.add(left && *left > 0s && *left <= 10s ? "read: some of 10s left" : "read: wrong");
      auto cancelled = self.cancel_timer(timer);
      rec.add(cancelled && *cancelled > 0s && *cancelled <= *left ? "cancel: no more than read" : "cancel: wrong");
      rec.add(self.read_timer(timer) ? "still there?!" : "read after cancel: none");
      rec.add(self.cancel_timer(timer) ? "cancelled twice?!" : "cancel again: none");
      Ref fired = self.send_after(self.self(), 1ms, Tick{});
      self.receive<Tick>();
      rec.add(self.read_timer(fired) ? "fired but readable?!" : "read after firing: none");
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"read: some of 10s left", "cancel: no more than read",
                                                   "read after cancel: none", "cancel again: none",
                                                   "read after firing: none"});
  });
}

TEST_CASE("timer_bif_SUITE:registered_process — send_after to a name looks it up when the timer fires",
          "[conformance][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      // Nobody has the name yet: the timer is set anyway, and not tied to any process. (300 ms
      // is time enough, on threads, for the name to be taken before it fires.)
      Ref early = self.send_after("late-comer", 300ms, std::string{"hello"});
      rec.add(self.read_timer(early) ? "set" : "not set?!");
      self.spawn([&](Process& me) {
        me.register_name("late-comer");
        me.receive([&](const std::string& s) { rec.add("late-comer got " + s); });
      });
      self.send_after("nobody", 1ms, std::string{"lost"});  // dropped when it fires: no error
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"set", "late-comer got hello"});
  });
}
