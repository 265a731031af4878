// Supervisor against OTP's supervisor, on every engine: start functions that throw or answer
// ignore, temporary bystanders, simple_one_for_one's by-id errors, a dead supervisor, and the
// failed-start reason. Each case names the supervisor_SUITE case it follows.
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

struct Crash {};
struct Ready {
  Pid pid;
};

// A linked worker that has run its first line by the time its start returns; records its start
// and (via a destructor) its end.
struct Lifetime {
  Recorder* rec;
  std::string name;
  ~Lifetime() { rec->add("stop " + name); }
};

Result<Pid> start_worker(Process& sup, Recorder& rec, const std::string& name) {
  Pid child = sup.spawn_link(
      [&rec, name](Process& me, Pid parent) {
        rec.add("start " + name);
        Lifetime life{&rec, name};
        me.send(parent, Ready{me.self()});
        me.receive([](Crash) { throw std::runtime_error("crash"); });
      },
      sup.self());
  sup.receive(match<Ready>([&](const Ready& r) { return r.pid == child; }, [](const Ready&) {}));
  return child;
}

ChildSpec worker(Recorder& rec, std::string name, Restart restart = Restart::permanent) {
  ChildSpec spec;
  spec.id = name;
  spec.restart = restart;
  spec.start = [&rec, name](Process& sup) { return start_worker(sup, rec, name); };
  return spec;
}

ChildSpec answering(std::string id, Restart restart, Result<Pid> answer) {
  ChildSpec spec;
  spec.id = std::move(id);
  spec.restart = restart;
  spec.start = [answer](Process&) { return answer; };
  return spec;
}

std::string listing(Process& self, Pid sup) {
  std::string out;
  for (auto& c : which_children(self, sup).value()) out += c.id + (c.pid ? "+ " : "- ");
  return out;
}

Pid child_pid(Process& self, Pid sup, const std::string& id) {
  for (auto& c : which_children(self, sup).value())
    if (c.id == id) return c.pid;
  return Pid{};
}

}  // namespace

TEST_CASE("supervisor_SUITE:sup_start_child_returns_error — a start function that throws fails start_child and the "
          "supervisor lives on",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      Pid sup = start_supervisor(self, {Strategy::one_for_one, 1, 5s, {worker(rec, "a")}}).value();
      ChildSpec bad;
      bad.id = "bad";
      bad.start = [](Process&) -> Result<Pid> { throw std::runtime_error("no disk"); };
      auto r = start_child(self, sup, bad);
      seen.push_back(r ? "started?!" : fmt::format("error {}", r.error()));
      seen.push_back(self.info(sup) ? "supervisor alive" : "supervisor died?!");
      seen.push_back(listing(self, sup));
      self.exit(sup, Reason::shutdown());
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"error std::runtime_error: no disk", "supervisor alive", "a+ "});
    CHECK(rec.events() == std::vector<std::string>{"start a", "stop a"});
  });
}

TEST_CASE("supervisor_SUITE:sup_start_ignore_child / sup_start_ignore_temporary_child — a start that answers ignore "
          "leaves the child not running",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      auto ignore = Result<Pid>::failure(Reason::ignore());
      auto sup = start_supervisor(self, {Strategy::one_for_one, 1, 5s,
                                         {answering("perm", Restart::permanent, ignore),
                                          answering("temp", Restart::temporary, ignore), worker(rec, "a")}});
      seen.push_back(sup ? "supervisor started" : fmt::format("supervisor failed: {}", sup.error()));
      if (!sup) return;
      seen.push_back(listing(self, sup.value()));
      auto late = start_child(self, sup.value(), answering("late", Restart::transient, ignore));
      seen.push_back(late ? fmt::format("start_child ok, pid {}", late.value()) : fmt::format("error {}", late.error()));
      seen.push_back(listing(self, sup.value()));
      auto n = count_children(self, sup.value()).value();
      seen.push_back(fmt::format("specs {} active {}", n.specs, n.active));
      self.exit(sup.value(), Reason::shutdown());
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"supervisor started", "perm- a+ ", "start_child ok, pid <none>",
                                           "perm- a+ late- ", "specs 3 active 1"});
  });
}

TEST_CASE("supervisor_SUITE:temporary_bystander — after a one_for_all or rest_for_one restart the temporary bystanders "
          "are gone",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    for (Strategy strategy : {Strategy::one_for_all, Strategy::rest_for_one}) {
      INFO((strategy == Strategy::one_for_all ? "one_for_all" : "rest_for_one"));
      Recorder rec;
      std::string after;
      h.engine().spawn([&](Process& self) {
        Pid sup = start_supervisor(self, {strategy, 3, 5s,
                                          {worker(rec, "a"), worker(rec, "temp", Restart::temporary),
                                           worker(rec, "b")}})
                      .value();
        Pid a = child_pid(self, sup, "a");
        Pid b = child_pid(self, sup, "b");
        self.send(a, Crash{});
        Pid b2;
        while (!(b2 = child_pid(self, sup, "b")) || b2 == b) self.yield();  // until the restart is done
        after = listing(self, sup);
        self.exit(sup, Reason::shutdown());
      });
      h.run();
      CHECK(after == "a+ b+ ");
      // temp was stopped with the others and not started again.
      auto ev = rec.events();
      CHECK(std::count(ev.begin(), ev.end(), "start temp") == 1);
      CHECK(std::count(ev.begin(), ev.end(), "stop temp") == 1);
    }
  });
}

TEST_CASE("supervisor_SUITE:child_adm_simple — simple_one_for_one refuses child ids; terminating a dead child is ok",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      auto spec = dynamic_child<std::string>(
          "conn", [&](Process& sup, std::string name) { return start_worker(sup, rec, name); });
      Pid sup = start_supervisor(self, {Strategy::simple_one_for_one, 5, 5s, {spec}}).value();
      Pid x = start_dynamic_child(self, sup, std::string{"x"}).value();
      seen.push_back(fmt::format("terminate by id: {}", terminate_child(self, sup, "conn").error()));
      seen.push_back(fmt::format("restart by id: {}", restart_child(self, sup, "conn").error()));
      seen.push_back(fmt::format("delete by id: {}", delete_child(self, sup, "conn").error()));
      Ref m = self.monitor(x);
      self.send(x, Crash{});  // temporary: gone, not restarted
      self.receive(match<Down>([&](const Down& d) { return d.ref == m; }, [](const Down&) {}));
      auto dead = terminate_child(self, sup, x);
      seen.push_back(dead ? "dead child: ok" : fmt::format("dead child: {}", dead.error()));
      auto stranger = terminate_child(self, sup, self.self());  // alive, but not its child
      seen.push_back(stranger ? "stranger: ok?!" : fmt::format("stranger: {}", stranger.error()));
      self.exit(sup, Reason::shutdown());
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"terminate by id: simple_one_for_one", "restart by id: simple_one_for_one",
                                           "delete by id: simple_one_for_one", "dead child: ok",
                                           "stranger: not_found"});
  });
}

TEST_CASE("supervisor_SUITE:sup_start_fail — the failed start names the child: {shutdown {failed_to_start_child "
          "Id Reason}}",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      self.trap_exit(true);  // the linked supervisor exits with the same reason
      auto sup = start_supervisor(self, {Strategy::one_for_one, 1, 5s,
                                         {worker(rec, "a"),
                                          answering("db", Restart::permanent,
                                                    Result<Pid>::failure(Reason{"no database"}))}});
      seen.push_back(sup ? "started?!" : fmt::format("{}", sup.error()));
      auto e = self.receive<Exit>();
      seen.push_back(fmt::format("supervisor exited {}", e.reason));
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"{shutdown, {failed_to_start_child, db, no database}}",
                                           "supervisor exited {shutdown, {failed_to_start_child, db, no database}}"});
    CHECK(rec.events() == std::vector<std::string>{"start a", "stop a"});
  });
}

TEST_CASE("supervisor_SUITE:count_children — asking a dead supervisor fails with noproc", "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      self.trap_exit(true);
      Pid sup = start_supervisor(self, {Strategy::one_for_one, 1, 5s, {worker(rec, "a")}}).value();
      Ref m = self.monitor(sup);
      self.exit(sup, Reason::shutdown());
      self.receive(match<Down>([&](const Down& d) { return d.ref == m; }, [](const Down&) {}));
      auto which = which_children(self, sup);
      seen.push_back(which ? "which_children answered?!" : fmt::format("which_children: {}", which.error()));
      auto count = count_children(self, sup);
      seen.push_back(count ? "count_children answered?!" : fmt::format("count_children: {}", count.error()));
      seen.push_back(fmt::format("start_child: {}", start_child(self, sup, worker(rec, "b")).error()));
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"which_children: noproc", "count_children: noproc", "start_child: noproc"});
  });
}

TEST_CASE("supervisor_SUITE:transient_shutdown — a transient child ending with {shutdown Term} is not restarted",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      ChildSpec t;
      t.id = "t";
      t.restart = Restart::transient;
      t.start = [&](Process& sup) -> Result<Pid> {
        return sup.spawn_link([&](Process& me) {
          rec.add("start t");
          me.receive<Crash>();
          me.exit(Reason::shutdown(std::string{"maintenance"}));
        });
      };
      Pid sup = start_supervisor(self, {Strategy::one_for_one, 5, 5s, {t}}).value();
      Pid child = which_children(self, sup).value().front().pid;
      Ref m = self.monitor(child);
      self.send(child, Crash{});
      self.receive(match<Down>([&](const Down& d) { return d.ref == m; },
                               [&](const Down& d) { seen.push_back(fmt::format("down {}", d.reason)); }));
      // The supervisor may see the exit after our request (no causal order across three
      // processes): ask until it has, or it restarted the child.
      std::string now = listing(self, sup);
      for (int i = 0; i < 1000 && now == "t+ " && which_children(self, sup).value().front().pid == child; ++i) {
        self.yield();
        now = listing(self, sup);
      }
      seen.push_back(now);
      self.exit(sup, Reason::shutdown());
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"down {shutdown, maintenance}", "t- "});
    CHECK(rec.events() == std::vector<std::string>{"start t"});
  });
}

namespace {
class Ignoring final : public Server<Ignoring, int, int> {
 public:
  void init(Process& self) override { ignore(self); }
  std::optional<int> handle_call(Process&, int n, From) override { return n; }
};
}  // namespace

TEST_CASE("supervisor_SUITE:sup_start_ignore_temporary_child_start_child_simple — a dynamic child that answers ignore "
          "is not kept",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    std::vector<std::string> seen;
    h.engine().spawn([&](Process& self) {
      auto spec = dynamic_child<int>(
          "srv", [](Process& sup, int) { return start_server<Ignoring>(sup, {.link = true}); });
      Pid sup = start_supervisor(self, {Strategy::simple_one_for_one, 5, 5s, {spec}}).value();
      auto r = start_dynamic_child(self, sup, 1);
      seen.push_back(r ? fmt::format("ok, pid {}", r.value()) : fmt::format("error {}", r.error()));
      auto n = count_children(self, sup).value();
      seen.push_back(fmt::format("specs {} active {} workers {}", n.specs, n.active, n.workers));
      self.exit(sup, Reason::shutdown());
    });
    h.run();
    CHECK(seen == std::vector<std::string>{"ok, pid <none>", "specs 1 active 0 workers 0"});
  });
}
