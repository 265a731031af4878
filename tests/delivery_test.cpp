// The send path's engine-side rules (runtime/process.cpp, deliver_local and handle_signals):
// delivery without a reference on the receiver, and congestion (the receiver's backlog, which the
// threaded engine charges to senders). Tagged [delivery].
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <vector>

#include "runtime/moira.hpp"
#include "runtime/node.hpp"

using namespace moira;

namespace {
struct Stop {};
struct Done {};

ThreadedEngine::Options workers(unsigned n) {
  ThreadedEngine::Options o;
  o.workers = n;
  return o;
}
}  // namespace

TEST_CASE("congestion level: 0 below 1024 queued messages, one more per doubling", "[delivery]") {
  CHECK(Process::congestion_level(0) == 0);
  CHECK(Process::congestion_level(1023) == 0);
  CHECK(Process::congestion_level(1024) == 1);
  CHECK(Process::congestion_level(2047) == 1);
  CHECK(Process::congestion_level(2048) == 2);
  CHECK(Process::congestion_level(5000) == 3);
  CHECK(Process::congestion_level(std::size_t{1} << 40) == 16);  // capped
}

// A sender finds the receiver's Process object through the pid's slot without taking a reference,
// so a push can land in the mailbox of the process that took the slot (or the pooled object) over
// meanwhile. That race cannot be forced from a test, but its outcome can: push items addressed to
// another pid straight into a live process's mailbox, as the losing sender would.
TEST_CASE("an item that reaches the wrong Process object is answered for the dead, never received", "[delivery]") {
  for (unsigned n : {1u, 2u}) {
    CAPTURE(n);
    ThreadedEngine engine{workers(n)};
    std::vector<int> received;
    std::optional<detail::InfoReply> bounced;
    engine.spawn([&](Process& self) {
      Pid b = self.spawn([&](Process& me) {
        for (bool stop = false; !stop;) me.receive([&](int v) { received.push_back(v); }, [&](const Stop&) { stop = true; });
      });
      Pid stale{b.index, b.generation + 1, b.node, b.incarnation};  // b's slot, another process
      Ref ref = engine.make_ref();
      auto message = std::make_unique<detail::ValueItem<int>>(42);
      message->from = self.self();
      message->to = stale;
      auto ask = std::make_unique<detail::SignalItem>(detail::ItemKind::info_request);
      ask->from = self.self();
      ask->to = stale;
      ask->ref = ref;
      Process* p = engine.find_node(0)->table().acquire(b);
      REQUIRE(p != nullptr);
      REQUIRE(p->accept(message.release()));
      REQUIRE(p->accept(ask.release()));
      if (p->try_wake()) engine.schedule(*p);
      p->release();
      self.send(b, 7);
      self.send(b, Stop{});
      // The info request comes back answered as if its target were dead.
      self.receive(match<detail::InfoReply>([&](const detail::InfoReply& r) { return r.ref == ref; },
                                            [&](const detail::InfoReply& r) { bounced = r; }));
    });
    engine.run_until_idle();
    REQUIRE(bounced.has_value());
    CHECK(!bounced->info.has_value());
    CHECK(received == std::vector<int>{7});
    CHECK(engine.process_count() == 0);
  }
}

TEST_CASE("a pid whose slot was reused reaches nobody: the new occupant gets none of its mail", "[delivery]") {
  ThreadedEngine engine{workers(1)};
  std::vector<int> received;
  bool reused = false;
  std::optional<Down> down;
  engine.spawn([&](Process& self) {
    Pid a = self.spawn([](Process&) {});
    Ref watch = self.monitor(a);
    self.receive([&](const Down& d) { return d.ref == watch; });
    Pid b = self.spawn([&](Process& me) {
      for (bool stop = false; !stop;) me.receive([&](int v) { received.push_back(v); }, [&](const Stop&) { stop = true; });
    });
    reused = b.index == a.index && b != a;
    self.send(a, 1);
    self.monitor(a);
    self.receive([&](const Down& d) { down = d; });
    self.send(b, 2);
    self.send(b, Stop{});
  });
  engine.run_until_idle();
  REQUIRE(reused);  // the pool hands the freed slot to the next spawn: the case this test is about
  CHECK(received == std::vector<int>{2});
  REQUIRE(down.has_value());
  CHECK(down->reason == Reason::noproc());
}

// The level a receiver publishes is its queue length when it last fetched mail. Senders read it on
// every send; the threaded engine turns it into reductions the sender pays.
TEST_CASE("a receiver's congestion follows its backlog: up while 5000 messages wait, 0 once read", "[delivery]") {
  ThreadedEngine engine{workers(1)};  // one worker: the receiver finishes each fetch before we look
  unsigned backlogged = 99, caught_up = 99;
  std::size_t queued = 0;
  engine.spawn([&](Process& self) {
    Pid r = self.spawn([parent = self.self()](Process& me) {
      me.receive([](const Stop&) {});  // scans past the ints, leaving them queued
      for (int i = 0; i < 5000; ++i) me.receive([](int) {});
      me.send(parent, Done{});
      me.receive([](const Stop&) {});
    });
    for (int i = 0; i < 5000; ++i) self.send(r, i);
    auto level_of = [&] {
      Process* p = engine.find_node(0)->table().acquire(r);
      REQUIRE(p != nullptr);
      unsigned level = p->congestion();
      p->release();
      return level;
    };
    auto info = self.info(r);  // a signal round trip: r has fetched every message sent before it
    REQUIRE(info.has_value());
    queued = info->mailbox_length;
    backlogged = level_of();
    self.send(r, Stop{});
    self.receive([](const Done&) {});
    info = self.info(r);  // r fetched again (this request) with nothing left to read
    REQUIRE(info.has_value());
    CHECK(info->mailbox_length == 0);
    caught_up = level_of();
    self.send(r, Stop{});
  });
  engine.run_until_idle();
  CHECK(queued == 5000);
  CHECK(backlogged == Process::congestion_level(5000));
  CHECK(backlogged == 3);
  CHECK(caught_up == 0);
}
