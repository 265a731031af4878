// Names on another node ({Name, Node}) in the simulator, which has nodes: call, cast, monitor,
// send_after and exit reach a name registered elsewhere; a crashed node is noconnection; timers
// to a process die with it, deterministically. (On every engine: tests/otp_names_test.cpp.)
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Get {};
struct Add {
  int n;
};

class Named final : public Server<Named, Get, int, Add> {
 public:
  void init(Process& self) override { self.register_name("db"); }
  std::optional<int> handle_call(Process&, Get, From) override { return total_; }
  void handle_cast(Process&, Add a) override { total_ += a.n; }
  void handle_info(Process&, Message m) override {
    if (auto* n = m.try_get<int>()) total_ += *n;
  }

 private:
  int total_ = 0;
};

using Log = std::shared_ptr<std::vector<std::string>>;

}  // namespace

TEST_CASE("gen_server_SUITE:call_remote_n1 / stop9 — call and cast and send_after and monitor and exit to {name node}",
          "[sim][otp]") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    INFO("seed " << seed);
    sim::Simulation s{{.seed = seed, .latency_min = 1ms, .latency_max = 20ms}};
    NodeId b = s.add_node("b", [](Process& self) { start_server<Named>(self, {.node = self.node()}).value(); });
    Log log = std::make_shared<std::vector<std::string>>();
    s.spawn([log, b](Process& self) {
      for (int i = 0; i < 100 && !self.engine().whereis("db", b); ++i) self.sleep(1ms);  // b's boot has run
      Name db{"db", b};
      cast<Named>(self, db, Add{2});
      self.send_after(db, 5ms, 3);
      self.sleep(50ms);
      auto r = call<Named>(self, db, Get{});
      log->push_back(r ? fmt::format("total {}", r.value()) : fmt::format("call failed: {}", r.error()));
      Ref m = self.monitor(db);
      self.exit(db, Reason{"bye"});
      auto d = self.receive<Down>();
      log->push_back(fmt::format("down {} {}", d.ref == m, d.reason));
      log->push_back(fmt::format("after: {}", call<Named>(self, db, Get{}).error()));
    });
    auto result = s.run();
    REQUIRE(result.ok());
    CHECK(*log == std::vector<std::string>{"total 5", "down true bye", "after: noproc"});
  }
}

TEST_CASE("gen_server_SUITE:stop8 — a name on a crashed node is noconnection", "[sim][otp]") {
  sim::Simulation s{{.seed = 3, .latency_min = 1ms, .latency_max = 5ms}};
  NodeId b = s.add_node("b", [](Process& self) { start_server<Named>(self, {.node = self.node()}).value(); });
  s.at(10ms, sim::Fault::crash(b));
  Log log = std::make_shared<std::vector<std::string>>();
  s.spawn([log, b](Process& self) {
    self.sleep(20ms);
    log->push_back(fmt::format("call: {}", call<Named>(self, Name{"db", b}, Get{}).error()));
    Ref m = self.monitor(Name{"db", b});
    auto d = self.receive<Down>();
    log->push_back(fmt::format("monitor: {} {}", d.ref == m, d.reason));
    log->push_back(fmt::format("stop: {}", stop_server(self, Name{"db", b}).error()));
  });
  REQUIRE(s.run().ok());
  CHECK(*log == std::vector<std::string>{"call: noconnection", "monitor: true noconnection", "stop: noconnection"});
}

TEST_CASE("sim: timers that die with their targets keep the trace deterministic", "[sim][otp]") {
  auto scenario = [](sim::Simulation& s) {
    NodeId b = s.add_node("b");
    for (int i = 0; i < 4; ++i) {
      s.spawn([b, i](Process& self) {
        Pid target = self.spawn_with({.node = i % 2 == 0 ? NodeId{0} : b}, [](Process& me) { me.sleep(3ms); });
        for (int k = 0; k < 3; ++k) self.send_after(target, std::chrono::milliseconds{1 + 2 * k}, k);
        self.sleep(10ms);
      });
    }
  };
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    sim::DeterminismReport rep = sim::check_determinism(scenario, {.seed = seed}, sim::Strategy::random_walk(seed));
    INFO("seed " << seed << ": " << rep.describe());
    CHECK(rep.deterministic);
  }
}
