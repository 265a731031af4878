// The trace: every kind of event, with step and virtual time, as text and JSON lines.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {
struct Hello {
  int n;
};
}  // namespace

TEST_CASE("sim trace: events carry step and virtual time, and print as text and JSON lines", "[sim]") {
  sim::Options o;
  o.keep_trace = true;
  o.seed = 4;
  sim::Simulation s{o};
  NodeId b = s.add_node("b");
  s.spawn([b](Process& self) {
    self.trap_exit(true);
    Pid peer = self.spawn([](Process& p) { p.receive<Hello>(); });
    self.link(peer);
    self.monitor(peer);
    Pid far = self.spawn_with(SpawnOptions{.node = b}, [](Process& p) { p.receive_for<Hello>(10ms); });
    self.monitor(far);
    self.send(peer, Hello{1});
    self.receive<Exit>();
    self.receive<Down>();
    self.receive<Down>();
    (void)self.random();
    self.sleep(1s);
  });
  s.at(500ms, sim::Fault::partition({0}, {b}));
  sim::RunResult r = s.run();
  REQUIRE(r.outcome == sim::Outcome::completed);
  const auto& events = s.trace().events();
  REQUIRE(events.size() == s.trace().count());
  std::set<std::string> kinds;
  std::uint64_t last_step = 0;
  Time last_time{};
  for (const auto& e : events) {
    kinds.insert(std::string{to_string(e.kind)});
    CHECK(e.step >= last_step);
    CHECK(e.time >= last_time);
    last_step = e.step;
    last_time = e.time;
  }
  for (const char* k : {"spawn", "send", "deliver", "receive", "exit", "link", "monitor", "down", "exit_signal",
                        "timeout", "timer_start", "timer_fire", "fault", "decision"}) {
    INFO(k);
    CHECK(kinds.count(k) == 1);
  }
  CHECK(events.back().time > 1s);
  CHECK(events.back().time < 2s);

  std::ostringstream text;
  s.trace().write_text(text);
  CHECK_THAT(text.str(), Catch::Contains("spawn <0.0.1> parent=<none>"));
  CHECK_THAT(text.str(), Catch::Contains("exit <0.1.1> reason=normal"));
  CHECK_THAT(text.str(), Catch::Contains("fault partition [0] <-> [1]"));
  CHECK_THAT(text.str(), Catch::Contains("send <0.0.1> -> <0.1.1> (anonymous namespace)::Hello"));
  std::ostringstream json;
  s.trace().write_jsonl(json);
  std::istringstream lines{json.str()};
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    ++n;
    CHECK_THAT(line, Catch::StartsWith("{\"step\":") && Catch::EndsWith("}") && Catch::Contains("\"kind\":"));
  }
  CHECK(n == events.size());
  CHECK_THAT(json.str(), Catch::Contains(R"("kind":"exit","a":"<0.1.1>","b":"<none>","x":0,"y":0,"text":"normal")"));
}

TEST_CASE("sim trace: the hash changes when anything in the run changes", "[sim]") {
  auto hash = [](int messages) {
    sim::Simulation s{{.seed = 1}};
    s.spawn([messages](Process& self) {
      for (int i = 0; i < messages; ++i) self.send(self.self(), Hello{i});
    });
    return s.run().trace_hash;
  };
  CHECK(hash(3) == hash(3));
  CHECK(hash(3) != hash(4));
}

TEST_CASE("sim: two processes waiting for each other are reported as a deadlock", "[sim]") {
  sim::Simulation s;
  auto a_pid = std::make_shared<Pid>();
  Pid b = s.spawn([a_pid](Process& self) {
    self.receive<Hello>();  // waits for a, which waits for us
    self.send(*a_pid, Hello{2});
  });
  *a_pid = s.spawn([b](Process& self) {
    self.receive<Hello>();
    self.send(b, Hello{1});
  });
  s.send(*a_pid, 7);  // not a Hello: stays in a's mailbox
  sim::RunResult r = s.run();
  REQUIRE(r.outcome == sim::Outcome::deadlocked);
  REQUIRE(r.blocked.size() == 2);
  CHECK(r.blocked[0].pid == b);
  CHECK(r.blocked[0].mailbox_length == 0);
  CHECK(r.blocked[1].pid == *a_pid);
  CHECK(r.blocked[1].mailbox_length == 1);
}

TEST_CASE("sim fault: a fault injected from inside a process acts once that process is off the CPU", "[sim]") {
  sim::Simulation s;
  NodeId b = s.add_node("b");
  auto seen = std::make_shared<std::vector<std::string>>();
  Pid remote = s.spawn_on(b, [](Process& self) { self.receive<Hello>(); });
  s.spawn([&s, b, remote, seen](Process& self) {
    self.monitor(remote);
    s.crash_node(b);
    seen->push_back(s.node_up(b) ? "still up inside" : "down inside");
    seen->push_back(fmt::format("down {}", self.receive<Down>().reason));
  });
  s.run();
  CHECK(*seen == std::vector<std::string>{"still up inside", "down noconnection"});
  CHECK_FALSE(s.node_up(b));
}

TEST_CASE("sim net: a spawn_link across a partition is cut at once", "[sim]") {
  sim::Options o;
  o.keep_trace = true;
  sim::Simulation s{o};
  NodeId b = s.add_node("b");
  s.partition({0}, {b});
  auto seen = std::make_shared<std::vector<std::string>>();
  auto child = std::make_shared<Pid>();
  s.spawn([b, seen, child](Process& self) {
    self.trap_exit(true);
    *child = self.spawn_with(SpawnOptions{.link = true, .node = b}, [](Process& c) { c.receive<Hello>(); });
    seen->push_back(fmt::format("parent exit {}", self.receive<Exit>().reason));
  });
  CHECK(s.run().outcome == sim::Outcome::completed);
  // The child is not trapping: the noconnection kills it before its body runs.
  for (const auto& e : s.trace().events())
    if (e.kind == sim::EventKind::exit && e.a == *child) seen->push_back(fmt::format("child exit {}", e.text));
  std::sort(seen->begin(), seen->end());
  CHECK(*seen == std::vector<std::string>{"child exit noconnection", "parent exit noconnection"});
}
