// Server (gen_server) on every engine.
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
struct Add {
  long n;
};
struct Slow {
  Duration delay;
};
struct Crash {};
struct Later {};  // answered by a deferred reply
struct Release {};
struct StopWith {
  std::string reason;
};
using Request = std::variant<Get, Slow, Crash, Later, Release, StopWith>;

struct Wake {
  From from;
};

class Counter final : public Server<Counter, Request, long, Add> {
 public:
  explicit Counter(Recorder* rec) : rec_(rec) {}
  void init(Process&) override { rec_->add("init"); }
  std::optional<long> handle_call(Process& self, Request req, From from) override {
    if (std::holds_alternative<Get>(req)) return total_;
    if (auto* s = std::get_if<Slow>(&req)) {
      self.send_after(self.self(), s->delay, Wake{from});  // answer after the delay
      return std::nullopt;
    }
    if (std::holds_alternative<Crash>(req)) throw std::runtime_error("asked to crash");
    if (std::holds_alternative<Later>(req)) {
      waiting_.push_back(from);
      return std::nullopt;
    }
    if (std::holds_alternative<Release>(req)) {  // answers the deferred calls; replies how many
      for (auto& w : waiting_) reply(self, w, total_ * 10);
      long released = static_cast<long>(waiting_.size());
      waiting_.clear();
      return released;
    }
    reply(self, from, -1L);
    self.exit(Reason{std::get<StopWith>(req).reason});
  }
  void handle_cast(Process&, Add a) override { total_ += a.n; }
  void handle_info(Process& self, Message m) override {
    if (auto* w = m.try_get<Wake>()) reply(self, w->from, total_);
  }
  void terminate(Process&, const Reason& r) override { rec_->add(fmt::format("terminate {}", r)); }

 private:
  Recorder* rec_;
  long total_ = 0;
  std::vector<From> waiting_;
};

class FailingInit final : public Server<FailingInit, Get, long> {
 public:
  void init(Process&) override { throw std::invalid_argument("no config"); }
  std::optional<long> handle_call(Process&, Get, From) override { return 0; }
};

// The server's type fixes what may be asked of it: a wrong request or cast type does not compile.
template <class S, class R>
concept CallableWith = requires(Process& p, Pid pid, R r) { call<S>(p, pid, r); };
template <class S, class C>
concept CastableWith = requires(Process& p, Pid pid, C c) { cast<S>(p, pid, c); };
static_assert(CallableWith<Counter, Get>);
static_assert(CallableWith<Counter, Request>);
static_assert(!CallableWith<Counter, std::string>);
static_assert(!CallableWith<Counter, Add>);
static_assert(CastableWith<Counter, Add>);
static_assert(!CastableWith<Counter, Get>);
static_assert(std::is_same_v<decltype(call<Counter>(std::declval<Process&>(), Pid{}, Get{})), Result<long>>);

}  // namespace

TEST_CASE("Server: call, cast and info; typed requests and replies", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::atomic<long> got{-1};
    h.engine().spawn([&](Process& self) {
      auto pid = start_server<Counter>(self, {}, &rec);
      REQUIRE_FALSE(!pid);
      for (int i = 1; i <= 4; ++i) cast<Counter>(self, pid.value(), Add{i});
      auto r = call<Counter>(self, pid.value(), Get{});
      got = r ? r.value() : -2;
      self.exit(pid.value(), Reason::shutdown());
    });
    h.run();
    CHECK(got == 10);
    // An exit signal kills a server that does not trap exits without terminate, as in OTP.
    CHECK(rec.events() == std::vector<std::string>{"init"});
  });
}

TEST_CASE("Server: call to a dead server fails with noproc at once", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Pid server = start_server<Counter>(self, {}, &rec).value();
      Ref m = self.monitor(server);
      self.exit(server, Reason::kill());
      self.receive(match<Down>([&](const Down& d) { return d.ref == m; }, [](const Down&) {}));
      Time t0 = self.now();
      auto r = call<Counter>(self, server, Get{}, 1h);
      rec.add(r ? "answered?!" : fmt::format("error {}", r.error()));
      rec.add(self.now() - t0 < 1h ? "at once" : "waited for the timeout?!");
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"init", "error noproc", "at once"});
  });
}

TEST_CASE("Server: a server that dies mid-call gives the caller its exit reason", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Pid server = start_server<Counter>(self, {}, &rec).value();
      auto r = call<Counter>(self, server, Crash{});
      rec.add(r ? "answered?!" : fmt::format("error {}", r.error()));
      rec.add(fmt::format("mailbox {}", self.mailbox_length()));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"init", "terminate std::runtime_error: asked to crash",
                                                   "error std::runtime_error: asked to crash", "mailbox 0"});
  });
}

TEST_CASE("Server: a timed-out call's late reply never lands in the caller's mailbox", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Pid server = start_server<Counter>(self, {}, &rec).value();
      auto r = call<Counter>(self, server, Slow{50ms}, 10ms);
      rec.add(r ? "answered?!" : fmt::format("error {}", r.error()));
      self.sleep(100ms);  // the reply has been sent by now
      rec.add(fmt::format("mailbox {}", self.mailbox_length()));
      auto r2 = call<Counter>(self, server, Get{});  // and it does not confuse the next call
      rec.add(r2 ? fmt::format("next {}", r2.value()) : "next failed?!");
      self.exit(server, Reason::kill());
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"init", "error timeout", "mailbox 0", "next 0"});
  });
}

TEST_CASE("Server: deferred replies, and stop with a reason after replying", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    std::atomic<int> answers{0};
    h.engine().spawn([&](Process& self) {
      Pid server = start_server<Counter>(self, {}, &rec).value();
      cast<Counter>(self, server, Add{7});
      for (int i = 0; i < 3; ++i) {
        self.spawn([&, server](Process& me) {
          auto r = call<Counter>(me, server, Later{});
          if (r && r.value() == 70) ++answers;
        });
      }
      // The three calls reach the server in some order relative to ours: release until all
      // three have been answered.
      long released = 0;
      while (released < 3) {
        auto rel = call<Counter>(self, server, Release{});
        if (!rel) break;
        released += rel.value();
      }
      rec.add(fmt::format("released {}", released));
      auto stop = call<Counter>(self, server, StopWith{"done"});
      rec.add(stop ? fmt::format("stop replied {}", stop.value()) : "stop failed?!");
    });
    h.run();
    CHECK(answers == 3);
    auto ev = rec.events();
    REQUIRE(ev.size() == 4);
    CHECK(ev[0] == "init");
    CHECK(ev[1] == "released 3");
    std::sort(ev.begin() + 2, ev.end());  // the server's terminate and our record race
    CHECK(ev[2] == "stop replied -1");
    CHECK(ev[3] == "terminate done");
  });
}

TEST_CASE("Server: start_server reports a failing init with its reason", "[behaviours]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      auto r = start_server<FailingInit>(self, {});
      rec.add(r ? "started?!" : fmt::format("{}", r.error()));
      try {
        call<Counter>(self, self.self(), Get{});
      } catch (const Error&) {
        rec.add("call to self refused");
      }
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"std::invalid_argument: no config", "call to self refused"});
  });
}
