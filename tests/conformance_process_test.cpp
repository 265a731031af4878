// Conformance: spawning, crashes and their reasons, stackless processes, unwinding on kill,
// process info, fairness — on every engine.
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
struct Go {};
struct Add {
  int n;
};
struct Get {
  Pid from;
};

struct Guard {
  std::atomic<int>* counter;
  ~Guard() { ++*counter; }
};

// A minimal callback process: sums what it is sent, reports on request.
class Summer final : public Stackless {
 public:
  explicit Summer(Recorder* rec) : rec_(rec) {}
  void start(Process&) override { rec_->add("start"); }
  void handle(Process& self, Message msg) override {
    if (auto* a = msg.try_get<Add>()) {
      sum_ += a->n;
    } else if (auto* g = msg.try_get<Get>()) {
      self.send(g->from, sum_);
    } else if (auto* e = msg.try_get<Exit>()) {
      rec_->add(fmt::format("Exit {}", e->reason));
    } else if (msg.is<std::string>()) {
      throw std::runtime_error(msg.get<std::string>());
    }
  }
  void stop(Process&, const Reason& r) override { rec_->add(fmt::format("stop {}", r)); }

 private:
  Recorder* rec_;
  int sum_ = 0;
};
}  // namespace

TEST_CASE("spawn passes arguments; self() is the spawned pid", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid parent = h.engine().spawn([&](Process& self) {
      Pid child = self.spawn(
          [&](Process& me, Pid p, std::string word, int n) {
            me.send(p, word + std::to_string(n));
            me.send(p, me.self());
          },
          self.self(), std::string{"x"}, 3);
      rec.add(self.receive<std::string>());
      rec.add(self.receive<Pid>() == child ? "self ok" : "self wrong");
    });
    h.run();
    (void)parent;
    CHECK(rec.events() == std::vector<std::string>{"x3", "self ok"});
  });
}

TEST_CASE("any exception escaping a process becomes its exit reason: type name and what()", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      auto reason_of = [&](auto body) {
        auto [pid, ref] = self.spawn_monitor(body);
        (void)pid;
        (void)ref;
        return fmt::format("{}", self.receive<Down>().reason);
      };
      rec.add(reason_of([](Process&) { throw std::out_of_range("index 7"); }));
      std::string s = reason_of([](Process&) { throw std::string("a string"); });
      rec.add(s.find("basic_string") != std::string::npos ? "a string type" + s.substr(s.rfind(": (")) : s);
      rec.add(reason_of([](Process&) { throw 3.5; }));
      struct Custom {};
      rec.add(reason_of([](Process&) { throw Custom{}; }).find("Custom") != std::string::npos ? "custom named" : "custom unnamed");
      rec.add(reason_of([](Process& me) { me.spawn([](Process&) {}); }));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{
                              "std::out_of_range: index 7",
                              "a string type: (not a std::exception)",
                              "double: (not a std::exception)", "custom named", "normal"});
  });
}

TEST_CASE("killing a process blocked in receive unwinds its fiber: destructors run", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<int> destroyed{0};
    std::atomic<int> killed_after_ready{0};
    h.engine().spawn([&](Process& self) {
      constexpr int kVictims = 20;
      std::vector<Pid> victims;
      for (int i = 0; i < kVictims; ++i) {
        victims.push_back(self.spawn([&](Process& me, Pid boss) {
          Guard outer{&destroyed};
          me.send(boss, Go{});
          me.receive([&](Go) {
            Guard inner{&destroyed};  // not reached
          });
        }, self.self()));
      }
      // One blocked with a far timeout: the kill must not wait for it.
      victims.push_back(self.spawn([&](Process& me, Pid boss) {
        Guard g{&destroyed};
        me.send(boss, Go{});
        me.receive([](Go) {}, after(1h, [] {}));
      }, self.self()));
      for (std::size_t i = 0; i < victims.size(); ++i) self.receive<Go>();
      killed_after_ready = destroyed.load() == 0 ? 1 : -1;
      for (Pid v : victims) self.exit(v, Reason::kill());
    });
    h.run();
    CHECK(killed_after_ready == 1);
    CHECK(destroyed == 21);
  });
}

// The C++ runtime tracks the exceptions being handled per thread. A fiber that waits inside a catch
// block must find its own exception there afterwards, even if another process on the same thread
// entered and left a catch block meanwhile (which, shared, would have destroyed the first one's).
TEST_CASE("a process waiting inside a catch block keeps its own exception", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Pid other = self.spawn([&](Process& me, Pid first) {
        try {
          throw std::runtime_error("second");
        } catch (const std::exception&) {
          me.receive<Go>();  // the first process is inside its catch block now
        }
        me.send(first, Go{});
      }, self.self());
      try {
        throw std::runtime_error("first");
      } catch (const std::exception&) {
        self.send(other, Go{});
        self.receive<Go>();  // the other process left its catch block meanwhile
        try {
          throw;
        } catch (const std::exception& again) {
          rec.add(fmt::format("rethrown: {}", again.what()));
        }
        rec.add(fmt::format("in flight: {}", std::uncaught_exceptions()));
      }
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"rethrown: first", "in flight: 0"});
  });
}

TEST_CASE("a process that catches everything still dies when killed", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<int> catches{0};
    std::atomic<bool> finished{false};
    Pid p = h.engine().spawn([&](Process& self) {
      for (int i = 0; i < 3; ++i) {
        try {
          self.receive<Go>();
        } catch (...) {
          ++catches;  // swallowed: the next receive ends it anyway
        }
      }
      finished = true;
    });
    h.run();
    h.engine().exit(p, Reason::kill());
    h.run();
    CHECK(catches == 1);
    CHECK(!finished);
  });
}

TEST_CASE("stackless processes: callbacks, links, trap_exit and stop", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::atomic<int> total{-1};
    Pid s = h.engine().spawn_stackless<Summer>(&rec);
    h.engine().spawn([&, s](Process& self) {
      for (int i = 1; i <= 10; ++i) self.send(s, Add{i});
      self.send(s, Get{self.self()});
      total = self.receive<int>();
      Ref m = self.monitor(s);
      self.send(s, std::string{"bad input"});  // handle() throws
      auto d = self.receive<Down>();
      rec.add(fmt::format("down {} {}", d.ref == m, d.reason));
    });
    h.run();
    CHECK(total == 55);
    CHECK(rec.events() == std::vector<std::string>{"start", "stop std::runtime_error: bad input",
                                                   "down true std::runtime_error: bad input"});
  });
}

namespace {
class TrappingSummer final : public Stackless {
 public:
  explicit TrappingSummer(Recorder* rec) : rec_(rec) {}
  void start(Process& self) override { self.trap_exit(true); }
  void handle(Process&, Message msg) override {
    if (auto* e = msg.try_get<Exit>()) rec_->add(fmt::format("trapped {}", e->reason));
  }
  void stop(Process&, const Reason& r) override { rec_->add(fmt::format("stop {}", r)); }

 private:
  Recorder* rec_;
};
}  // namespace

TEST_CASE("stackless processes trap exits as messages and are killed by kill", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid s = h.engine().spawn_stackless<TrappingSummer>(&rec);
    h.run();
    h.engine().spawn([s](Process& self) {
      self.link(s);
      throw std::runtime_error("linked crash");
    });
    h.run();
    h.engine().exit(s, Reason::kill());
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"trapped std::runtime_error: linked crash", "stop killed"});
  });
}

TEST_CASE("process info: status, mailbox length, links, monitors, reductions", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::optional<ProcessInfo> info, dead_info;
    Pid target = h.engine().spawn([](Process& self) {
      self.register_name("target");
      self.receive<Go>();
    });
    h.run();
    h.engine().spawn([&, target](Process& self) {
      self.link(target);
      self.monitor(target);
      self.send(target, 1);
      self.send(target, 2);
      info = self.info(target);
      Pid gone = self.spawn([](Process&) {});
      self.monitor(gone);
      self.receive<Down>();
      dead_info = self.info(gone);
      self.send(target, Go{});
      self.receive<Go>();  // stay alive (and linked)
    });
    h.run();
    REQUIRE(info.has_value());
    CHECK(info->pid == target);
    CHECK(info->registered_name == "target");
    CHECK(info->mailbox_length == 2);
    CHECK(info->links.size() == 1);
    CHECK(info->monitored_by.size() == 1);
    CHECK(info->status != Status::exiting);
    CHECK(!info->stackless);
    CHECK(!dead_info.has_value());
  });
}

TEST_CASE("yield lets other processes run during a long computation", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<bool> other_ran{false};
    std::atomic<bool> saw_other{false};
    h.engine().spawn([&](Process& self) {
      self.spawn([&](Process&) { other_ran = true; });
      // Busy until the other process has run: only yield (or another worker) lets it.
      for (int i = 0; i < 1'000'000 && !other_ran; ++i) self.yield();
      saw_other = other_ran.load();
    });
    h.run();
    CHECK(saw_other);
  });
}

TEST_CASE("a process looping on send/receive is preempted by its reduction budget", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<bool> stop{false};
    std::atomic<int> rounds{0};
    // A ping-pong pair that never blocks for long, and a third process that must still get to run.
    Pid a = h.engine().spawn([&](Process& self) {
      while (!stop) {
        self.send(self.self(), 1);
        self.receive<int>();
        ++rounds;
      }
    });
    h.engine().spawn([&](Process&) { stop = true; });
    h.run();
    (void)a;
    CHECK(stop);  // the third process ran: on one worker only preemption can let it
  });
}

namespace {
class Blocker final : public Stackless {
 public:
  explicit Blocker(Recorder* rec) : rec_(rec) {}
  void handle(Process& self, Message) override {
    self.receive([&](int) {}, after(std::chrono::milliseconds{0}, [&] { rec_->add("poll ok"); }));
    self.receive([](int) {});  // would block: an error, which ends this process
  }
  void stop(Process&, const Reason& r) override {
    rec_->add(std::string{r.text()}.find("cannot wait in receive") != std::string::npos ? "clear error" : "?!");
  }

 private:
  Recorder* rec_;
};
}  // namespace

TEST_CASE("a stackless process may poll with after(0) but gets a clear error if it would block", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid p = h.engine().spawn_stackless<Blocker>(&rec);
    h.engine().send(p, Go{});
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"poll ok", "clear error"});
  });
}
