// moira's own properties: message guarantees and determinism. Per-pair FIFO under every schedule,
// latency and relaxed delivery, within and between nodes; no loss and no duplication unless a
// fault drops messages (then what arrives is still in order, once each); a selective receive that
// skips messages never loses them. And: the same inputs give the same trace hash.
#include <catch2/catch.hpp>
#include <rapidcheck/catch.h>

#include <map>

#include "properties/catch.hpp"
#include "properties/schedule_source.hpp"
#include "runtime/moira.hpp"

using namespace moira;
using namespace std::chrono_literals;

namespace {

struct Msg {
  std::size_t sender;
  int seq;
};
struct Marker {
  std::size_t sender;
  int seq;
};

struct World {
  std::size_t nodes = 1;
  std::vector<std::pair<NodeId, int>> senders;  // (node, messages it sends)
};

rc::Gen<World> worlds() {
  return rc::gen::mapcat(rc::gen::inRange<std::size_t>(1, 4), [](std::size_t nodes) {
    auto sender = rc::gen::pair(rc::gen::inRange<NodeId>(0, static_cast<NodeId>(nodes)), rc::gen::inRange(1, 9));
    return rc::gen::map(rc::gen::resize(4, rc::gen::nonEmpty(rc::gen::container<std::vector<std::pair<NodeId, int>>>(rc::gen::resize(rc::kNominalSize, sender)))),
                        [nodes](std::vector<std::pair<NodeId, int>> s) { return World{nodes, std::move(s)}; });
  });
}

struct Received {
  std::map<std::size_t, std::vector<int>> msgs, markers;
};

// `relay_odd`: the mutation — a sender routes its odd messages through a relay process, so its
// messages take two paths and nothing keeps them in order.
std::shared_ptr<Received> build(sim::Simulation& sim, const World& w, bool relay_odd) {
  for (std::size_t n = 1; n < w.nodes; ++n) sim.add_node(fmt::format("n{}", n));
  auto got = std::make_shared<Received>();
  Pid receiver = sim.spawn([got](Process& self) {
    // Markers first, skipping the messages (they must all still be there afterwards) ...
    for (bool more = true; more;)
      self.receive([&](const Marker& m) { got->markers[m.sender].push_back(m.seq); }, after(1s, [&] { more = false; }));
    for (bool more = true; more;)
      self.receive([&](const Msg& m) { got->msgs[m.sender].push_back(m.seq); }, after(1s, [&] { more = false; }));
  });
  for (std::size_t s = 0; s < w.senders.size(); ++s) {
    const auto [node, count] = w.senders[s];
    sim.spawn_on(node, [receiver, s, count = count, relay_odd](Process& self) {
      Pid relay = relay_odd ? self.spawn([receiver](Process& r) {
        for (;;) r.send(receiver, r.receive<Msg>());
      })
                            : Pid{};
      for (int i = 0; i < count; ++i) {
        self.send(receiver, Marker{s, i});
        self.send(relay_odd && i % 2 ? relay : receiver, Msg{s, i});
      }
      if (relay) self.exit(relay, Reason::kill());
    });
  }
  return got;
}

void check_fifo(const World& w, const Received& got, bool lossless) {
  for (std::size_t s = 0; s < w.senders.size(); ++s) {
    const int count = w.senders[s].second;
    for (const auto* kind : {&got.msgs, &got.markers}) {
      auto it = kind->find(s);
      std::vector<int> seen = it == kind->end() ? std::vector<int>{} : it->second;
      for (std::size_t i = 1; i < seen.size(); ++i) RC_ASSERT(seen[i - 1] < seen[i]);  // in order, once each
      if (lossless) RC_ASSERT(seen.size() == static_cast<std::size_t>(count));
    }
  }
}

properties::Config fifo_config() {
  properties::Config c;
  c.cases = 150;
  c.settings.latency_max_ms = 30;
  return c;
}

void fifo_case(sim::Simulation& sim, bool relay_odd) {
  World w = *worlds();
  auto got = build(sim, w, relay_odd);
  properties::run(sim);
  check_fifo(w, *got, true);
}

}  // namespace

TEST_CASE("property: per-pair FIFO, no loss, no duplication, selective receive keeps skipped messages",
          "[properties][messages]") {
  properties::require("messages: fifo", [](sim::Simulation& sim) { fifo_case(sim, false); }, fifo_config());
}

TEST_CASE("property: over lossy links what arrives is still in order and never duplicated", "[properties][messages]") {
  properties::Config c = fifo_config();
  c.faults.drop = true;
  c.faults.horizon = 20ms;
  properties::require("messages: fifo on lossy links", [](sim::Simulation& sim) {
    World w = *worlds();
    auto got = build(sim, w, false);
    properties::run(sim);
    check_fifo(w, *got, false);
  }, c);
}

TEST_CASE("mutation: messages sent along two paths break the FIFO property", "[properties][messages][mutation]") {
  properties::Config c = fifo_config();
  c.quiet = true;
  c.seed = 5;
  auto r = properties::check("messages: fifo, two paths", [](sim::Simulation& sim) { fifo_case(sim, true); }, c);
  INFO(r.report);
  CHECK_FALSE(r.passed);
}

// ------------------------------------------------------------------ determinism

namespace {

int global_counter = 0;  // the mutation reads this: state that outlives a run

std::uint64_t run_once(const World& w, const properties::Settings& settings, const properties::Schedule& schedule,
                       bool global_state) {
  sim::Options o = properties::Config::default_options();
  settings.apply(o);
  sim::Simulation sim{o, std::make_unique<properties::ScheduleSource>(schedule.choices)};
  build(sim, w, false);
  if (global_state) sim.spawn([](Process& self) {
    if (++global_counter % 2) self.send(self.self(), 0);
  });
  sim.run();
  return sim.trace_hash();
}

void determinism_case(bool global_state) {
  const World w = *worlds();
  const auto settings = *properties::gen::settings({});
  const auto schedule = *properties::gen::schedule(500);
  RC_ASSERT(run_once(w, settings, schedule, global_state) == run_once(w, settings, schedule, global_state));
}

}  // namespace

TEST_CASE("property: the same inputs give the same trace hash", "[properties][determinism]") {
  rc::prop("determinism", [] { determinism_case(false); });
}

TEST_CASE("mutation: a process reading global state breaks determinism", "[properties][determinism][mutation]") {
  const auto result = rc::detail::checkTestable([] { determinism_case(true); });
  CHECK(result.is<rc::detail::FailureResult>());
}
