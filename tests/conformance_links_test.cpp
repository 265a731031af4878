// Conformance: links, monitors, exit signals and trap_exit, with Erlang's rules — on every engine.
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

namespace links_test {
struct Boom : std::runtime_error {
  Boom() : std::runtime_error("boom") {}
};
}  // namespace links_test
using links_test::Boom;

namespace {
struct Go {};
std::string describe(const Exit& e) { return fmt::format("Exit {}", e.reason); }
}  // namespace

TEST_CASE("an abnormal exit spreads along a link and kills a process that does not trap", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<bool> after_receive{false};
    Pid victim = h.engine().spawn([&](Process& self) {
      self.receive<Go>();  // never comes
      after_receive = true;
    });
    h.engine().spawn([victim](Process& self) {
      self.link(victim);
      throw Boom{};
    });
    h.run();
    CHECK(!after_receive);
    CHECK(!h.engine().whereis("x"));
    // The victim is gone: a monitor on it reports noproc.
    Recorder rec;
    h.engine().spawn([&, victim](Process& self) {
      Ref r = self.monitor(victim);
      auto d = self.receive<Down>();
      rec.add(fmt::format("{} {}", d.ref == r, d.reason));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"true noproc"});
  });
}

TEST_CASE("a normal exit does not kill a linked process that does not trap", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<int> got{0};
    Pid survivor = h.engine().spawn([&](Process& self) { got = self.receive<int>(); });
    h.engine().spawn([survivor](Process& self) { self.link(survivor); });  // ends normally
    h.run();
    h.engine().send(survivor, 5);
    h.run();
    CHECK(got == 5);
  });
}

TEST_CASE("trap_exit turns exit signals into Exit messages, normal ones included", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      self.trap_exit(true);
      Pid a = self.spawn_link([](Process&) { throw Boom{}; });
      Pid b = self.spawn_link([](Process&) {});
      for (int i = 0; i < 2; ++i) {
        auto e = self.receive<Exit>();
        rec.add((e.from == a ? "a: " : e.from == b ? "b: " : "?: ") + fmt::format("{}", e.reason));
      }
    });
    h.run();
    auto ev = rec.events();
    std::sort(ev.begin(), ev.end());
    CHECK(ev == std::vector<std::string>{"a: links_test::Boom: boom", "b: normal"});
  });
}

TEST_CASE("exit(pid, kill) cannot be trapped; the victim dies with killed, which spreads as killed", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid observer = h.engine().spawn([&](Process& self) {
      self.trap_exit(true);
      auto e = self.receive<Exit>();
      rec.add(describe(e));
    });
    Pid victim = h.engine().spawn([&, observer](Process& self) {
      self.trap_exit(true);
      self.link(observer);
      self.receive([&](const Exit&) { rec.add("victim trapped kill?!"); });
    });
    h.run();
    h.engine().spawn([victim](Process& self) { self.exit(victim, Reason::kill()); });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"Exit killed"});
  });
}

TEST_CASE("exit(pid, reason) kills a non-trapping process with that reason; a trapping one gets Exit", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid plain = h.engine().spawn([](Process& self) { self.receive<Go>(); });
    Pid trapping = h.engine().spawn([&](Process& self) {
      self.trap_exit(true);
      auto e = self.receive<Exit>();
      rec.add("trapped " + fmt::format("{}", e.reason));
    });
    h.run();
    h.engine().spawn([&, plain, trapping](Process& self) {
      Ref m = self.monitor(plain);
      self.exit(plain, Reason{"custom"});
      self.exit(trapping, Reason{"custom"});
      auto d = self.receive<Down>();
      rec.add(fmt::format("plain {} {}", d.ref == m, d.reason));
    });
    h.run();
    auto ev = rec.events();
    std::sort(ev.begin(), ev.end());
    CHECK(ev == std::vector<std::string>{"plain true custom", "trapped custom"});
  });
}

TEST_CASE("exit(self, normal) ends the caller; exit(reason) ends it with that reason", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      auto [p1, m1] = self.spawn_monitor([](Process& me) {
        me.exit(me.self(), Reason::normal());
        throw Boom{};  // not reached
      });
      auto [p2, m2] = self.spawn_monitor([](Process& me) { me.exit(Reason{"done here"}); });
      for (int i = 0; i < 2; ++i) {
        auto d = self.receive<Down>();
        rec.add((d.pid == p1 ? "p1 " : "p2 ") + fmt::format("{}", d.reason));
      }
      (void)m1;
      (void)m2;
    });
    h.run();
    auto ev = rec.events();
    std::sort(ev.begin(), ev.end());
    CHECK(ev == std::vector<std::string>{"p1 normal", "p2 done here"});
  });
}

TEST_CASE("a monitor delivers exactly one Down with the exit reason", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      auto [pid, ref] = self.spawn_monitor([](Process& me) {
        me.receive<Go>();
        throw std::logic_error("bad state");
      });
      Ref second = self.monitor(pid);  // two monitors, two Downs
      self.send(pid, Go{});
      for (int i = 0; i < 2; ++i) {
        auto d = self.receive<Down>();
        rec.add(fmt::format("{} {} {}", d.ref == ref ? "first" : d.ref == second ? "second" : "?", d.pid == pid, d.reason));
      }
      self.receive([&](const Down&) { rec.add("a third Down?!"); }, after(10ms, [] {}));
    });
    h.run();
    auto ev = rec.events();
    std::sort(ev.begin(), ev.end());
    CHECK(ev == std::vector<std::string>{"first true std::logic_error: bad state", "second true std::logic_error: bad state"});
  });
}

TEST_CASE("monitoring a dead pid gives noproc at once; linking to one gives an exit with noproc", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid dead = h.engine().spawn([](Process&) {});
    h.run();
    h.engine().spawn([&, dead](Process& self) {
      Ref r = self.monitor(dead);
      auto d = self.receive<Down>();
      rec.add(fmt::format("down {} {}", d.ref == r, d.reason));
      self.trap_exit(true);
      self.link(dead);
      auto e = self.receive<Exit>();
      rec.add(fmt::format("exit {} {}", e.from == dead, e.reason));
    });
    Pid non_trapping = h.engine().spawn([&, dead](Process& self) {
      self.link(dead);
      self.receive<Go>();
      rec.add("survived a link to a dead pid?!");
    });
    h.run();
    (void)non_trapping;
    CHECK(rec.events() == std::vector<std::string>{"down true noproc", "exit true noproc"});
  });
}

TEST_CASE("demonitor guarantees no later Down; with flush it also removes one already queued", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      auto [p2, r2_] = self.spawn_monitor([](Process& me) { me.receive<Go>(); });
      Ref r2 = r2_;  // a plain variable: clang 14 cannot capture structured bindings
      rec.add(self.demonitor(r2) ? "demonitor active" : "demonitor inactive?!");
      self.send(p2, Go{});  // p2 now exits; its Down must never arrive
      self.receive([&](const Down& d) { rec.add(d.ref == r2 ? "Down after demonitor?!" : "other Down"); },
                   after(20ms, [&] { rec.add("no Down"); }));

      // Whether p3's Down is already queued, still on its way, or not sent yet, flush removes it.
      auto [p3, r3_] = self.spawn_monitor([](Process&) {});
      Ref r3 = r3_;
      self.sleep(10ms);
      rec.add(self.demonitor(r3, true) ? "flush: was active" : "flush: already down");
      self.receive([&](const Down& d) { rec.add(d.ref == r3 ? "Down survived flush?!" : "other Down"); },
                   after(20ms, [&] { rec.add("flushed"); }));
      (void)p3;
    });
    h.run();
    auto ev = rec.events();
    REQUIRE(ev.size() == 4);
    CHECK(ev[0] == "demonitor active");
    CHECK(ev[1] == "no Down");
    CHECK((ev[2] == "flush: was active" || ev[2] == "flush: already down"));
    CHECK(ev[3] == "flushed");
  });
}

TEST_CASE("unlink: no exit signal from an unlinked process", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<bool> alive{false};
    h.engine().spawn([&](Process& self) {
      Pid child = self.spawn_link([](Process& me) {
        me.receive<Go>();
        throw Boom{};
      });
      self.unlink(child);
      self.send(child, Go{});
      self.sleep(20ms);
      alive = true;
    });
    h.run();
    CHECK(alive);
  });
}

TEST_CASE("spawn_link and spawn_monitor set up the link or monitor before the child runs", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      self.trap_exit(true);
      self.spawn_link([](Process&) { throw Boom{}; });  // dies at once: the link must already exist
      auto e = self.receive<Exit>();
      rec.add(fmt::format("{}", e.reason));
      auto [pid, ref] = self.spawn_monitor([](Process&) { throw 42; });  // not a std::exception
      auto d = self.receive<Down>();
      rec.add(fmt::format("{} {}", d.ref == ref && d.pid == pid, d.reason));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"links_test::Boom: boom", "true int: (not a std::exception)"});
  });
}

TEST_CASE("a crash stays local: unrelated processes keep running", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<int> sum{0};
    Pid worker = h.engine().spawn([&](Process& self) {
      for (int i = 0; i < 3; ++i) sum += self.receive<int>();
    });
    for (int i = 0; i < 10; ++i) h.engine().spawn([](Process&) { throw std::runtime_error("crash"); });
    h.run();
    for (int i = 1; i <= 3; ++i) h.engine().send(worker, i);
    h.run();
    CHECK(sum == 6);
  });
}
