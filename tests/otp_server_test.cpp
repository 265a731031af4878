// Server against OTP's gen_server, on every engine: when terminate runs and when it does not,
// init answering ignore, stop_server, call without a timeout, get_state. Each case names the
// gen_server_SUITE case (or the gen_server man page) it follows.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <variant>
#include <vector>

#include "tests/harness.hpp"
#include "tests/recorder.hpp"

using namespace moira;
using namespace std::chrono_literals;
using moira::test::Harness;
using moira::test::on_each_engine;
using moira::test::Recorder;

namespace {

struct Get {};
struct Ping {};

// Records its life: init (trapping exits or not), every info message, terminate.
class Probe final : public Server<Probe, Get, int> {
 public:
  Probe(Recorder* rec, bool trap) : rec_(rec), trap_(trap) {}
  void init(Process& self) override {
    self.trap_exit(trap_);
    rec_->add("init");
  }
  std::optional<int> handle_call(Process&, Get, From) override { return calls_++; }
  void handle_info(Process&, Message m) override {
    if (auto* e = m.try_get<Exit>()) rec_->add(fmt::format("info Exit {}", e->reason));
  }
  void terminate(Process&, const Reason& r) override { rec_->add(fmt::format("terminate {}", r)); }

 private:
  Recorder* rec_;
  bool trap_;
  int calls_ = 0;
};

class InitFails final : public Server<InitFails, Get, int> {
 public:
  explicit InitFails(Recorder* rec) : rec_(rec) {}
  void init(Process& self) override { self.exit(Reason{"no config"}); }  // OTP's {stop, no_config}
  std::optional<int> handle_call(Process&, Get, From) override { return 0; }
  void terminate(Process&, const Reason& r) override { rec_->add(fmt::format("terminate {}", r)); }

 private:
  Recorder* rec_;
};

ChildSpec probe_child(Recorder& rec, Shutdown shutdown) {
  ChildSpec spec;
  spec.id = "probe";
  spec.shutdown = shutdown;
  spec.start = [&rec](Process& sup) { return start_server<Probe>(sup, {.link = true}, &rec, true); };
  return spec;
}

Pid only_child(Process& self, Pid sup) {
  auto children = which_children(self, sup).value();
  return children.empty() ? Pid{} : children.front().pid;
}

}  // namespace

TEST_CASE("supervisor_SUITE:sup_stop_infinity / sup_stop_timeout — a trapping Server stopped by its supervisor runs terminate(shutdown)",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    for (Shutdown shutdown : {Shutdown::infinity(), Shutdown::after(1h)}) {
      INFO("shutdown " << (shutdown.kind == Shutdown::Kind::infinity ? "infinity" : "after 1h"));
      Recorder rec;
      h.engine().spawn([&](Process& self) {
        Pid sup = start_supervisor(self, {Strategy::one_for_one, 1, 5s, {probe_child(rec, shutdown)}}).value();
        Pid server = only_child(self, sup);
        Ref m = self.monitor(server);
        auto done = terminate_child(self, sup, "probe");
        rec.add(done ? "terminated" : fmt::format("terminate_child failed: {}", done.error()));
        self.receive(match<Down>([&](const Down& d) { return d.ref == m; },
                                 [&](const Down& d) { rec.add(fmt::format("down {}", d.reason)); }));
        self.exit(sup, Reason::shutdown());
      });
      h.run();
      CHECK(rec.events() == std::vector<std::string>{"init", "terminate shutdown", "terminated", "down shutdown"});
    }
  });
}

TEST_CASE("gen_server terminate/2 (man page): an exit signal from the parent is not handed to handle_info",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      self.trap_exit(true);  // the server's exit reaches us through the link
      Pid server = start_server<Probe>(self, {.link = true}, &rec, true).value();
      // An exit signal from anyone else is a message like any other...
      Pid other = self.spawn([server](Process& me) { me.exit(server, Reason{"from a stranger"}); });
      (void)other;
      while (rec.events().size() < 2) self.yield();
      // ... but the parent's is the order to stop.
      self.exit(server, Reason{"parent says stop"});
      auto e = self.receive<Exit>();
      rec.add(fmt::format("server exited {}", e.reason));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"init", "info Exit from a stranger", "terminate parent says stop",
                                                   "server exited parent says stop"});
  });
}

TEST_CASE("gen_server terminate/2 (man page): a Server that does not trap exits dies of an exit signal without terminate",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      for (Reason r : {Reason::kill(), Reason{"boom"}, Reason::shutdown()}) {
        Pid server = start_server<Probe>(self, {}, &rec, false).value();
        Ref m = self.monitor(server);
        self.exit(server, r);
        self.receive(match<Down>([&](const Down& d) { return d.ref == m; },
                                 [&](const Down& d) { rec.add(fmt::format("down {}", d.reason)); }));
      }
    });
    h.run();
    CHECK(rec.events() ==
          std::vector<std::string>{"init", "down killed", "init", "down boom", "init", "down shutdown"});
  });
}

TEST_CASE("gen_server_SUITE:start (init stop) — init that stops does not call terminate", "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      auto r = start_server<InitFails>(self, {}, &rec);
      rec.add(r ? "started?!" : fmt::format("error {}", r.error()));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"error no config"});
  });
}

namespace {
class Ignores final : public Server<Ignores, Get, int> {
 public:
  explicit Ignores(Recorder* rec) : rec_(rec) {}
  void init(Process& self) override {
    self.register_name("ignorer");
    ignore(self);
  }
  std::optional<int> handle_call(Process&, Get, From) override { return 0; }
  void terminate(Process&, const Reason& r) override { rec_->add(fmt::format("terminate {}", r)); }

 private:
  Recorder* rec_;
};

// Answers Get with how many it has seen, and Hold later (never, unless released).
struct Hold {};
class Keeper final : public Server<Keeper, std::variant<Get, Hold>, int> {
 public:
  explicit Keeper(Recorder* rec) : rec_(rec) {}
  std::optional<int> handle_call(Process&, std::variant<Get, Hold> req, From) override {
    ++seen_;
    if (std::holds_alternative<Hold>(req)) return std::nullopt;
    return seen_;
  }
  void terminate(Process&, const Reason& r) override { rec_->add(fmt::format("terminate {}", r)); }
  int seen() const { return seen_; }

 private:
  Recorder* rec_;
  int seen_ = 0;
};
}  // namespace

TEST_CASE("gen_server_SUITE:start (init ignore) — init answers ignore: no process is left", "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      auto r = start_server<Ignores>(self, {.link = true}, &rec);
      rec.add(r ? "started?!" : fmt::format("error {}", r.error()));
      rec.add(r.error() == Reason::ignore() ? "is ignore" : "not ignore?!");
      rec.add(self.whereis("ignorer") ? "still registered?!" : "gone");
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"error ignore", "is ignore", "gone"});
  });
}

TEST_CASE("gen_server_SUITE:stop1 / stop2 / stop3 — stop_server runs terminate and waits for the end",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Pid a = start_server<Keeper>(self, {}, &rec).value();
      auto r = stop_server(self, a);
      rec.add(r ? "stopped normal" : fmt::format("error {}", r.error()));
      rec.add(self.info(a) ? "alive?!" : "not alive");
      rec.add(fmt::format("again: {}", stop_server(self, a).error()));
      Pid b = start_server<Keeper>(self, {}, &rec).value();
      auto r2 = stop_server(self, b, Reason{"other_reason"}, infinity);
      rec.add(r2 ? "stopped other_reason" : fmt::format("error {}", r2.error()));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"terminate normal", "stopped normal", "not alive",
                                                   "again: noproc", "terminate other_reason",
                                                   "stopped other_reason"});
  });
}

TEST_CASE("gen_server_SUITE:get_state — the state read inside the server between its messages", "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Pid k = start_server<Keeper>(self, {}, &rec).value();
      for (int i = 0; i < 3; ++i) call<Keeper>(self, k, Get{});
      auto seen = get_state<Keeper>(self, k, [](const Keeper& s) { return s.seen(); });
      rec.add(seen ? fmt::format("seen {}", seen.value()) : fmt::format("error {}", seen.error()));
      auto text = get_state<Keeper>(self, k, [](const Keeper& s) { return fmt::format("{} calls", s.seen()); });
      rec.add(text ? text.value() : "?!");
      stop_server(self, k);
      rec.add(fmt::format("dead: {}", get_state<Keeper>(self, k, [](const Keeper& s) { return s.seen(); }).error()));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"seen 3", "3 calls", "terminate normal", "dead: noproc"});
  });
}

TEST_CASE("gen_server_SUITE:call (infinity) — a call without a timeout waits for a late reply", "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Pid k = start_server<Keeper>(self, {}, &rec).value();
      Pid caller = self.spawn([&, k](Process& me) {
        auto r = call<Keeper>(me, k, Hold{}, infinity);  // answered by nobody: the server dies first
        rec.add(r ? "answered?!" : fmt::format("held call ended: {}", r.error()));
      });
      while (get_state<Keeper>(self, k, [](const Keeper& s) { return s.seen(); }).value() < 1) self.yield();
      // Virtual time is free: in the simulator wait longer than any finite default would.
      self.sleep(h.simulated() ? Duration{30min} : Duration{10ms});
      rec.add(self.info(caller) ? "caller still waiting" : "caller gave up?!");
      self.exit(k, Reason{"bye"});
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"caller still waiting", "held call ended: bye"});
  });
}
