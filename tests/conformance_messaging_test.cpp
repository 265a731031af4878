// Conformance: send, selective receive, after, names, timers — on every engine.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "tests/harness.hpp"
#include "tests/recorder.hpp"

using namespace moira;
using namespace std::chrono_literals;
using moira::test::on_each_engine;
using moira::test::Harness;
using moira::test::Recorder;

namespace {
struct Ping {
  Pid from;
  int n;
};
struct Pong {
  int n;
};
struct Job {
  int priority;
  int id;
};
struct Stop {};
}  // namespace

TEST_CASE("send moves a value into the receiver's mailbox; receive<T> takes it", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid echo = h.engine().spawn([](Process& self) {
      auto p = self.receive<Ping>();
      self.send(p.from, Pong{p.n * 2});
    });
    h.engine().spawn([&, echo](Process& self) {
      self.send(echo, Ping{self.self(), 21});
      rec.add(std::to_string(self.receive<Pong>().n));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"42"});
  });
}

TEST_CASE("messages from one sender arrive in the order sent", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::vector<int> got;
    Pid sink = h.engine().spawn([&](Process& self) {
      for (int i = 0; i < 500; ++i) got.push_back(self.receive<int>());
    });
    h.engine().spawn([sink](Process& self) {
      for (int i = 0; i < 500; ++i) self.send(sink, i);
    });
    h.run();
    REQUIRE(got.size() == 500);
    for (int i = 0; i < 500; ++i) REQUIRE(got[static_cast<std::size_t>(i)] == i);
  });
}

TEST_CASE("selective receive: the first matching clause wins, unmatched messages keep their order", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid p = h.engine().spawn([&](Process& self) {
      self.receive<Stop>();  // wait until everything below has been sent
      // A guard picks the high-priority job out of the middle of the mailbox.
      self.receive(match<Job>([](const Job& j) { return j.priority > 5; },
                              [&](const Job& j) { rec.add("urgent " + std::to_string(j.id)); }));
      // The rest come out oldest first, each clause tried against each message in turn.
      for (int i = 0; i < 4; ++i) {
        self.receive([&](const std::string& s) { rec.add("text " + s); },
                     [&](const Job& j) { rec.add("job " + std::to_string(j.id)); });
      }
      rec.add("left " + std::to_string(self.mailbox_length()));
    });
    h.engine().spawn([p](Process& self) {
      self.send(p, Job{1, 1});
      self.send(p, std::string{"a"});
      self.send(p, Job{9, 2});
      self.send(p, Job{2, 3});
      self.send(p, std::string{"b"});
      self.send(p, Stop{});
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"urgent 2", "job 1", "text a", "job 3", "text b", "left 0"});
  });
}

TEST_CASE("a Message clause matches any type; the rest stay queued", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid p = h.engine().spawn([&](Process& self) {
      self.receive<Stop>();
      self.receive([&](Message m) { rec.add(m.is<int>() ? "int " + std::to_string(m.get<int>()) : m.type_name()); });
      self.receive([&](Message m) { rec.add(m.is<double>() ? "double" : m.type_name()); });
    });
    h.engine().spawn([p](Process& self) {
      self.send(p, 7);
      self.send(p, 2.5);
      self.send(p, Stop{});
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"int 7", "double"});
  });
}

TEST_CASE("match<Message> with a guard takes only what the guard accepts; the rest stay in order", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid p = h.engine().spawn([&](Process& self) {
      self.receive<Stop>();
      auto big_int = [](const Message& m) { return m.is<int>() && m.get<int>() > 5; };
      self.receive(match<Message>(big_int, [&](Message m) { rec.add("guarded " + std::to_string(m.get<int>())); }));
      for (int i = 0; i < 2; ++i) {
        self.receive([&](Message m) { rec.add(m.is<int>() ? "int " + std::to_string(m.get<int>()) : "double"); });
      }
      self.receive(match<Message>(big_int, [&](Message) { rec.add("unexpected"); }), after(0ms, [&] { rec.add("none left"); }));
    });
    h.engine().spawn([p](Process& self) {
      self.send(p, 3);
      self.send(p, 2.5);
      self.send(p, 7);
      self.send(p, Stop{});
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"guarded 7", "int 3", "double", "none left"});
  });
}

TEST_CASE("after: the timeout runs when nothing matches in time; after(0) polls", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      self.send(self.self(), std::string{"not an int"});
      self.receive([&](int) { rec.add("int?!"); }, after(0ms, [&] { rec.add("poll: nothing"); }));
      Time before = self.now();
      self.receive([&](int) { rec.add("int?!"); }, after(20ms, [&] { rec.add("timeout"); }));
      if (self.now() - before >= 20ms) rec.add("waited");
      // The unmatched string is still there, first in line.
      self.receive([&](const std::string& s) { rec.add(s); }, after(0ms, [&] { rec.add("lost!"); }));
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"poll: nothing", "timeout", "waited", "not an int"});
  });
}

TEST_CASE("a message arriving before the timeout cancels it, and no stale timeout fires later", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid p = h.engine().spawn([&](Process& self) {
      self.receive([&](int n) { rec.add("got " + std::to_string(n)); }, after(10s, [&] { rec.add("timeout"); }));
      // A second receive with a short timeout must see its own timer, not the first one's.
      self.receive([&](int n) { rec.add("got " + std::to_string(n)); }, after(5ms, [&] { rec.add("short timeout"); }));
    });
    h.engine().send(p, 1);
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"got 1", "short timeout"});
  });
}

TEST_CASE("send_after delivers later; cancel_timer stops it; sleep waits", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      Ref keep = self.send_after(self.self(), 5ms, std::string{"kept"});
      Ref drop = self.send_after(self.self(), 5ms, std::string{"cancelled"});
      if (keep == drop) rec.add("same ref?!");
      rec.add(self.cancel_timer(drop) ? "cancel ok" : "cancel failed");
      Time t0 = self.now();
      self.sleep(10ms);
      if (self.now() - t0 >= 10ms) rec.add("slept");
      self.receive([&](const std::string& s) { rec.add(s); }, after(0ms, [&] { rec.add("nothing"); }));
      self.receive([&](const std::string& s) { rec.add(s); }, after(0ms, [&] { rec.add("nothing"); }));
      rec.add(self.cancel_timer(keep) ? "late cancel ok?!" : "late cancel refused");
    });
    h.run();
    CHECK(rec.events() ==
          std::vector<std::string>{"cancel ok", "slept", "kept", "nothing", "late cancel refused"});
  });
}

TEST_CASE("sleep does not consume messages", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<int> got{0};
    Pid p = h.engine().spawn([&](Process& self) {
      self.sleep(5ms);
      got = self.receive<int>();
    });
    h.engine().send(p, 99);
    h.run();
    CHECK(got == 99);
  });
}

TEST_CASE("registered names: register, whereis, send by name, released on death; a taken name is an error", "[conformance]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    Pid server = h.engine().spawn([&](Process& self) {
      self.register_name("server");
      auto p = self.receive<Ping>();
      self.send(p.from, Pong{p.n});
    });
    h.run();
    REQUIRE(h.engine().whereis("server") == server);
    h.engine().spawn([&](Process& self) {
      try {
        self.register_name("server");
        rec.add("stole the name?!");
      } catch (const Error& e) {
        rec.add(std::string{"taken: "} + (std::string{e.what()}.find("taken") != std::string::npos ? "clear" : e.what()));
      }
      self.send("server", Ping{self.self(), 5});
      rec.add("pong " + std::to_string(self.receive<Pong>().n));
    });
    h.run();
    CHECK(!h.engine().whereis("server"));  // the server exited: its name is free
    h.engine().spawn([&](Process& self) {
      try {
        self.send("server", 1);
      } catch (const Error& e) {
        rec.add("no such name");
      }
      self.register_name("server");
      rec.add(self.whereis("server") == self.self() ? "re-registered" : "not registered?!");
      self.unregister_name();
      rec.add(self.whereis("server") ? "still there?!" : "unregistered");
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"taken: clear", "pong 5", "no such name", "re-registered", "unregistered"});
  });
}

TEST_CASE("a send to a dead pid is dropped silently", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<bool> survived{false};
    Pid dead = h.engine().spawn([](Process&) {});
    h.run();
    h.engine().spawn([&, dead](Process& self) {
      for (int i = 0; i < 10; ++i) self.send(dead, i);
      survived = true;
    });
    h.engine().send(dead, std::string{"from outside"});
    h.run();
    CHECK(survived);
  });
}

TEST_CASE("messages are values: a moved-in payload arrives intact, copies stay independent", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::vector<int> received;
    std::vector<int> original{1, 2, 3};
    Pid p = h.engine().spawn([&](Process& self) { received = self.receive<std::vector<int>>(); });
    h.engine().send(p, original);  // a copy
    original.push_back(4);         // does not reach the receiver
    h.run();
    CHECK(received == std::vector<int>{1, 2, 3});
  });
}

TEST_CASE("a move-only message type can be sent", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::atomic<int> got{0};
    Pid p = h.engine().spawn([&](Process& self) { got = *self.receive<std::unique_ptr<int>>(); });
    h.engine().send(p, std::make_unique<int>(17));
    h.run();
    CHECK(got == 17);
  });
}

TEST_CASE("random() and make_ref() give distinct values", "[conformance]") {
  on_each_engine([](Harness& h) {
    std::vector<std::uint64_t> values;
    h.engine().spawn([&](Process& self) {
      for (int i = 0; i < 100; ++i) values.push_back(self.random());
    });
    h.run();
    std::sort(values.begin(), values.end());
    CHECK(std::unique(values.begin(), values.end()) == values.end());
  });
}
