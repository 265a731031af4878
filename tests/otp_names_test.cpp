// Names as destinations, on every engine: call, cast, stop_server, monitor, exit and send_after
// take a registered name or {name, node} as well as a pid (Erlang's Name | {Name, Node}). Each case
// names the OTP suite case or man page it follows. Names on another node are in
// tests/sim/remote_names_test.cpp (the threaded engine has one node).
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

struct Get {};
struct Add {
  int n;
};
struct Quit {};

class Named final : public Server<Named, Get, int, Add> {
 public:
  explicit Named(std::string name) : name_(std::move(name)) {}
  void init(Process& self) override { self.register_name(name_); }
  std::optional<int> handle_call(Process&, Get, From) override { return total_; }
  void handle_cast(Process&, Add a) override { total_ += a.n; }

 private:
  std::string name_;
  int total_ = 0;
};

constexpr NodeId kNoSuchNode = 4000;

}  // namespace

TEST_CASE("gen_server_SUITE:call / stop4 / stop5 — call and cast and stop_server by name and by {name node}",
          "[behaviours][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      start_server<Named>(self, {}, std::string{"counter"}).value();
      cast<Named>(self, "counter", Add{2});
      cast<Named>(self, Name{"counter", self.node()}, Add{3});
      auto by_name = call<Named>(self, "counter", Get{});
      rec.add(by_name ? fmt::format("by name {}", by_name.value()) : fmt::format("by name: {}", by_name.error()));
      auto by_node = call<Named>(self, Name{"counter", self.node()}, Get{}, infinity);
      rec.add(by_node ? fmt::format("by name and node {}", by_node.value()) : "by name and node failed?!");
      auto stopped = stop_server(self, Name{"counter", self.node()});
      rec.add(stopped ? "stopped" : fmt::format("stop failed: {}", stopped.error()));
      rec.add(fmt::format("call after stop: {}", call<Named>(self, "counter", Get{}).error()));
      rec.add(fmt::format("stop after stop: {}", stop_server(self, "counter").error()));
      rec.add(fmt::format("other node: {}", call<Named>(self, Name{"counter", kNoSuchNode}, Get{}).error()));
      cast<Named>(self, "counter", Add{1});  // nobody has the name: dropped, no error
      rec.add("cast to nobody: no error");
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"by name 5", "by name and node 5", "stopped",
                                                   "call after stop: noproc", "stop after stop: noproc",
                                                   "other node: noconnection", "cast to nobody: no error"});
  });
}

TEST_CASE("monitor_SUITE:named_down — monitor by name; the Down comes once the name is free", "[conformance][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Pid svc = self.spawn([](Process& me) {
        me.register_name("svc");
        me.receive<Quit>();
        me.exit(Reason{"done"});
      });
      while (!self.whereis("svc")) self.yield();
      Ref m = self.monitor("svc");
      self.send(svc, Quit{});
      auto d = self.receive<Down>();
      rec.add(fmt::format("down {} {} name free {}", d.ref == m, d.reason, !self.whereis("svc")));
      Ref none = self.monitor("nobody");
      auto d2 = self.receive<Down>();
      rec.add(fmt::format("nobody: {} {}", d2.ref == none, d2.reason));
      Ref far = self.monitor(Name{"svc", kNoSuchNode});
      auto d3 = self.receive<Down>();
      rec.add(fmt::format("no such node: {} {}", d3.ref == far, d3.reason));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"down true done name free true", "nobody: true noproc",
                                                   "no such node: true noconnection"});
  });
}

TEST_CASE("erlang:exit/2 (man page) — an exit signal to a registered name", "[conformance][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      auto [victim, m] = self.spawn_monitor([](Process& me) {
        me.register_name("victim");
        me.receive<Quit>();
      });
      while (!self.whereis("victim")) self.yield();
      self.exit("victim", Reason{"by name"});
      self.receive(match<Down>([&, m = m](const Down& d) { return d.ref == m; },
                               [&](const Down& d) { rec.add(fmt::format("victim {}", d.reason)); }));
      try {
        self.exit("victim", Reason{"again"});
      } catch (const Error& e) {
        rec.add(std::string{e.what()}.find("no process is registered") != std::string::npos ? "clear error" : "?!");
      }
      self.exit(Name{"victim", kNoSuchNode}, Reason{"far"});  // another node: nothing, as a send
      rec.add("far: no error");
      (void)victim;
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"victim by name", "clear error", "far: no error"});
  });
}
