// Supervisor on every engine: strategies, restart types, intensity, shutdown, dynamic children,
// nested trees, and the child-management API.
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

struct Crash {
  std::string why;
};
struct Ready {
  Pid pid;
};

// Like OTP's proc_lib:start_link: returns once the child has run its first lines, so children
// start in order and are never killed before they ran.
template <class F>
Result<Pid> start_link_sync(Process& sup, F body) {
  Pid child = sup.spawn_link([body](Process& me, Pid parent) { body(me, [&] { me.send(parent, Ready{me.self()}); }); },
                             sup.self());
  sup.receive(match<Ready>([&](const Ready& r) { return r.pid == child; }, [](const Ready&) {}));
  return child;
}
struct Quit {};
struct Hold {};

// Records "start <name>" and, however it ends, "stop <name>".
struct Lifetime {
  Recorder* rec;
  std::string name;
  ~Lifetime() { rec->add("stop " + name); }
};

// A worker: crashes or quits on request, otherwise waits.
ChildSpec worker(Recorder& rec, std::string name, Restart restart = Restart::permanent) {
  ChildSpec spec;
  spec.id = name;
  spec.restart = restart;
  spec.start = [&rec, name](Process& sup) -> Result<Pid> {
    return start_link_sync(sup, [&rec, name](Process& self, auto ready) {
      rec.add("start " + name);
      Lifetime life{&rec, name};
      ready();
      self.receive([&](const Crash& c) { throw std::runtime_error(c.why); }, [&](Quit) {});
    });
  };
  return spec;
}

Pid child_pid(Process& self, Pid sup, const std::string& id) {
  auto children = which_children(self, sup);
  if (!children) return Pid{};  // the supervisor has gone
  for (auto& c : children.value())
    if (c.id == id) return c.pid;
  return Pid{};
}

std::vector<std::string> without_prefix(std::vector<std::string> ev, std::size_t n) {
  return {ev.begin() + static_cast<std::ptrdiff_t>(std::min(n, ev.size())), ev.end()};
}

}  // namespace

TEST_CASE("Supervisor one_for_one: only the crashed child restarts", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> checks;
    h.engine().spawn([&](Process& self) {
      auto sup = start_supervisor(self, {Strategy::one_for_one, 3, 5s, {worker(rec, "a"), worker(rec, "b"), worker(rec, "c")}});
      REQUIRE_FALSE(!sup);
      Pid a = child_pid(self, sup.value(), "a"), b = child_pid(self, sup.value(), "b");
      Ref m = self.monitor(b);
      self.send(b, Crash{"b broke"});
      self.receive(match<Down>([&](const Down& d) { return d.ref == m; }, [](const Down&) {}));
      Pid b2;
      while (!(b2 = child_pid(self, sup.value(), "b")) || b2 == b) self.yield();  // until restarted
      checks.push_back(child_pid(self, sup.value(), "a") == a ? "a kept" : "a restarted?!");
      checks.push_back(b2 != b ? "b restarted" : "b same?!");
      self.exit(sup.value(), Reason::shutdown());
    });
    h.run();
    CHECK(checks == std::vector<std::string>{"a kept", "b restarted"});
    // Started in order, b again after its crash, and on shutdown stopped in reverse start order.
    CHECK(rec.events() == std::vector<std::string>{"start a", "start b", "start c", "stop b", "start b",
                                                   "stop c", "stop b", "stop a"});
  });
}

TEST_CASE("Supervisor one_for_all: a crash restarts every child; rest_for_one restarts the later ones", "[behaviours]") {
  on_each_engine([](Harness& h) {
    for (Strategy strategy : {Strategy::one_for_all, Strategy::rest_for_one}) {
      Recorder rec;
      h.engine().spawn([&, strategy](Process& self) {
        auto sup = start_supervisor(self, {strategy, 3, 5s, {worker(rec, "a"), worker(rec, "b"), worker(rec, "c")}});
        Pid b = child_pid(self, sup.value(), "b");
        Pid c = child_pid(self, sup.value(), "c");
        self.send(b, Crash{"b broke"});
        Pid c2;
        while (!(c2 = child_pid(self, sup.value(), "c")) || c2 == c) self.yield();
        self.exit(sup.value(), Reason::shutdown());
      });
      h.run();
      auto ev = without_prefix(rec.events(), 3);  // after the three starts
      if (strategy == Strategy::one_for_all) {
        INFO("one_for_all");
        // b's own crash; the others stopped in reverse order; all started again in order.
        CHECK(ev == std::vector<std::string>{"stop b", "stop c", "stop a", "start a", "start b", "start c",
                                             "stop c", "stop b", "stop a"});
      } else {
        INFO("rest_for_one");
        CHECK(ev == std::vector<std::string>{"stop b", "stop c", "start b", "start c", "stop c", "stop b", "stop a"});
      }
    }
  });
}

TEST_CASE("Supervisor restart types: permanent always, transient on abnormal exit, temporary never", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      auto sup = start_supervisor(self, {Strategy::one_for_one, 10, 5s,
                                         {worker(rec, "perm", Restart::permanent), worker(rec, "trans", Restart::transient),
                                          worker(rec, "temp", Restart::temporary)}}).value();
      auto end_and_wait = [&](const std::string& id, auto msg) {
        Pid p = child_pid(self, sup, id);
        Ref m = self.monitor(p);
        self.send(p, msg);
        self.receive(match<Down>([&](const Down& d) { return d.ref == m; }, [](const Down&) {}));
        // Let the supervisor act on the exit: a request is queued behind it.
        (void)count_children(self, sup);
        return p;
      };
      Pid before = end_and_wait("perm", Quit{});
      Pid now = child_pid(self, sup, "perm");
      seen.push_back(now && now != before ? "perm restarted after normal exit" : "perm not restarted?!");
      end_and_wait("trans", Quit{});
      seen.push_back(!child_pid(self, sup, "trans") ? "trans stays down after normal exit" : "trans restarted?!");
      seen.push_back(restart_child(self, sup, "trans") ? "trans restarted by hand" : "restart_child failed?!");
      before = end_and_wait("trans", Crash{"x"});
      now = child_pid(self, sup, "trans");
      seen.push_back(now && now != before ? "trans restarted after crash" : "trans not restarted?!");
      end_and_wait("temp", Crash{"y"});
      auto ids = which_children(self, sup).value();
      bool temp_listed = std::any_of(ids.begin(), ids.end(), [](const ChildInfo& c) { return c.id == "temp"; });
      seen.push_back(temp_listed ? "temp still listed?!" : "temp gone");
      self.exit(sup, Reason::shutdown());
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"perm restarted after normal exit", "trans stays down after normal exit",
                                           "trans restarted by hand", "trans restarted after crash", "temp gone"});
  });
}

TEST_CASE("Supervisor intensity: more than R restarts in T shuts children down in reverse order and exits with shutdown", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::string sup_reason;
    h.engine().spawn([&](Process& self) {
      self.trap_exit(true);
      auto sup = start_supervisor(self, {Strategy::one_for_one, 2, 5s, {worker(rec, "a"), worker(rec, "b")}}).value();
      Ref m = self.monitor(sup);
      for (int i = 0; i < 3; ++i) {  // three crashes: the third restart is one too many
        Pid b = child_pid(self, sup, "b");
        if (!b) break;
        Ref mb = self.monitor(b);
        self.send(b, Crash{"again"});
        self.receive(match<Down>([&](const Down& d) { return d.ref == mb || d.ref == m; },
                                 [&](const Down& d) { if (d.ref == m) sup_reason = fmt::format("{}", d.reason); }));
      }
      if (sup_reason.empty()) {
        self.receive(match<Down>([&](const Down& d) { return d.ref == m; },
                                 [&](const Down& d) { sup_reason = fmt::format("{}", d.reason); }));
      }
    });
    h.run();
    CHECK(sup_reason == "shutdown");
    CHECK(without_prefix(rec.events(), 2) ==
          std::vector<std::string>{"stop b", "start b", "stop b", "start b", "stop b", "stop a"});
  });
}

TEST_CASE("Supervisor shutdown: a child that ignores shutdown is killed after its timeout; brutal_kill kills at once", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> reasons;
    h.engine().spawn([&](Process& self) {
      ChildSpec stubborn;
      stubborn.id = "stubborn";
      stubborn.shutdown = Shutdown::after(50ms);
      stubborn.start = [&](Process& sup) -> Result<Pid> {
        return start_link_sync(sup, [&](Process& me, auto ready) {
          me.trap_exit(true);  // turns shutdown into a message it ignores
          Lifetime life{&rec, "stubborn"};
          ready();
          for (;;) me.receive([&](const Exit& e) { rec.add(fmt::format("ignored {}", e.reason)); });
        });
      };
      ChildSpec brutal = worker(rec, "brutal");
      brutal.shutdown = Shutdown::brutal_kill();
      auto sup = start_supervisor(self, {Strategy::one_for_one, 1, 5s, {stubborn, brutal}}).value();
      Pid s = child_pid(self, sup, "stubborn"), b = child_pid(self, sup, "brutal");
      Ref ms = self.monitor(s), mb = self.monitor(b);
      Time t0 = self.now();
      reasons.push_back(terminate_child(self, sup, "brutal") ? "terminated" : "?!");
      reasons.push_back(terminate_child(self, sup, "stubborn") ? "terminated" : "?!");
      if (self.now() - t0 >= 50ms) reasons.push_back("waited the timeout");
      for (int i = 0; i < 2; ++i) {
        auto d = self.receive<Down>();
        reasons.push_back(fmt::format("{} {}", d.ref == ms ? "stubborn" : d.ref == mb ? "brutal" : "?", d.reason));
      }
      auto counts = count_children(self, sup).value();
      reasons.push_back(fmt::format("specs {} active {}", counts.specs, counts.active));
      reasons.push_back(delete_child(self, sup, "brutal") ? "deleted" : "delete failed?!");
      reasons.push_back(fmt::format("specs {}", count_children(self, sup).value().specs));
      self.exit(sup, Reason::shutdown());
    });
    h.run();
    CHECK(reasons == std::vector<std::string>{"terminated", "terminated", "waited the timeout", "brutal killed",
                                              "stubborn killed", "specs 2 active 0", "deleted", "specs 1"});
    CHECK(rec.events() == std::vector<std::string>{"start brutal", "stop brutal", "ignored shutdown", "stop stubborn"});
  });
}

TEST_CASE("Supervisor: a child that fails to start fails the supervisor's start with its reason", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::string result;
    h.engine().spawn([&](Process& self) {
      self.trap_exit(true);  // the linked supervisor exits: do not die with it
      ChildSpec bad;
      bad.id = "bad";
      bad.start = [](Process&) -> Result<Pid> { return Result<Pid>::failure(Reason{"no database"}); };
      auto sup = start_supervisor(self, {Strategy::one_for_one, 1, 5s, {worker(rec, "a"), worker(rec, "b"), bad, worker(rec, "c")}});
      result = sup ? "started?!" : fmt::format("{}", sup.error());
    });
    h.run();
    CHECK(result == "{shutdown, {failed_to_start_child, bad, no database}}");
    CHECK(rec.events() == std::vector<std::string>{"start a", "start b", "stop b", "stop a"});
  });
}

TEST_CASE("Supervisor: start_child, terminate_child, restart_child, delete_child, which_children, count_children", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      Pid sup = start_supervisor(self, {Strategy::one_for_one, 1, 5s, {worker(rec, "a")}}).value();
      auto b = start_child(self, sup, worker(rec, "b"));
      seen.push_back(b ? "b started" : "b failed?!");
      auto again = start_child(self, sup, worker(rec, "b"));
      seen.push_back(again ? "twice?!" : fmt::format("{}", again.error()));
      seen.push_back(terminate_child(self, sup, "b") ? "b terminated" : "?!");
      auto again2 = start_child(self, sup, worker(rec, "b"));
      seen.push_back(again2 ? "twice?!" : fmt::format("{}", again2.error()));
      auto running = delete_child(self, sup, "a");
      seen.push_back(running ? "deleted a running child?!" : fmt::format("{}", running.error()));
      auto r = restart_child(self, sup, "b");
      seen.push_back(r ? "b restarted" : "restart failed?!");
      seen.push_back(fmt::format("{}", restart_child(self, sup, "b").error()));
      seen.push_back(fmt::format("{}", terminate_child(self, sup, "zzz").error()));
      std::string ids;
      for (auto& c : which_children(self, sup).value()) ids += c.id + (c.pid ? "+" : "-");
      seen.push_back(ids);
      auto n = count_children(self, sup).value();
      seen.push_back(fmt::format("{} {} {} {}", n.specs, n.active, n.workers, n.supervisors));
      self.exit(sup, Reason::shutdown());
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"b started", "already_started", "b terminated", "already_present", "running",
                                           "b restarted", "running", "not_found", "a+b+", "2 2 2 0"});
  });
}

TEST_CASE("Supervisor simple_one_for_one: dynamic children from arguments", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      auto spec = dynamic_child<std::string>("conn", [&](Process& sup, std::string name) -> Result<Pid> {
        return start_link_sync(sup, [&, name](Process& me, auto ready) {
          rec.add("start " + name);
          Lifetime life{&rec, name};
          ready();
          me.receive<Quit>();
        });
      });
      Pid sup = start_supervisor(self, {Strategy::simple_one_for_one, 5, 5s, {spec}}).value();
      Pid x = start_dynamic_child(self, sup, std::string{"x"}).value();
      Pid y = start_dynamic_child(self, sup, std::string{"y"}).value();
      seen.push_back(x != y ? "two children" : "same?!");
      auto bad = start_dynamic_child(self, sup, 42);
      seen.push_back(bad ? "int accepted?!" : fmt::format("{}", bad.error()));
      seen.push_back(terminate_child(self, sup, x) ? "x terminated" : "?!");
      seen.push_back(fmt::format("active {}", count_children(self, sup).value().active));
      Ref m = self.monitor(y);
      self.send(y, Quit{});  // temporary: not restarted, removed
      self.receive<Down>();
      (void)m;
      seen.push_back(fmt::format("active {}", count_children(self, sup).value().active));
      self.exit(sup, Reason::shutdown());
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"two children", "badarg", "x terminated", "active 1", "active 0"});
    CHECK(rec.events() == std::vector<std::string>{"start x", "start y", "stop x", "stop y"});
  });
}

TEST_CASE("Supervisor trees: a child supervisor that gives up is restarted by its parent", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      ChildSpec inner;
      inner.id = "inner";
      inner.type = ChildType::supervisor;
      inner.start = [&](Process& sup) {
        return start_supervisor(sup, {Strategy::one_for_one, 0, 5s, {worker(rec, "leaf")}});  // gives up at once
      };
      Pid top = start_supervisor(self, {Strategy::one_for_one, 3, 5s, {inner}}).value();
      Pid inner1 = child_pid(self, top, "inner");
      Pid leaf1 = child_pid(self, inner1, "leaf");
      Ref m = self.monitor(inner1);
      self.send(leaf1, Crash{"leaf broke"});
      auto d = self.receive<Down>();
      seen.push_back(fmt::format("inner exited {}", d.reason));
      (void)m;
      Pid inner2;
      while (!(inner2 = child_pid(self, top, "inner")) || inner2 == inner1) self.yield();
      Pid leaf2 = child_pid(self, inner2, "leaf");
      seen.push_back(leaf2 && leaf2 != leaf1 ? "new tree" : "old tree?!");
      auto n = count_children(self, top).value();
      seen.push_back(fmt::format("supervisors {}", n.supervisors));
      Ref mt = self.monitor(top);
      self.trap_exit(true);  // we are linked to top: its shutdown would end us too
      self.exit(top, Reason::shutdown());
      auto dt = self.receive<Down>();
      seen.push_back(fmt::format("top {} {}", dt.ref == mt, dt.reason));
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"inner exited shutdown", "new tree", "supervisors 1", "top true shutdown"});
    CHECK(rec.events() == std::vector<std::string>{"start leaf", "stop leaf", "start leaf", "stop leaf"});
  });
}
