// Structured exit reasons (OTP's terms): {shutdown, Term}, a value of any type a receiver can
// match on, an exception's reason that keeps the exception, and the atoms printing as before.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "tests/harness.hpp"
#include "tests/recorder.hpp"

using namespace moira;
using moira::test::Harness;
using moira::test::on_each_engine;
using moira::test::Recorder;

namespace {
struct Overloaded {
  int queue;
  bool operator==(const Overloaded&) const = default;
};
struct Opaque {};  // no formatter, no ==
struct Quit {};
}  // namespace

template <>
struct fmt::formatter<Overloaded> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const Overloaded& o, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{{overloaded, {}}}", o.queue);
  }
};

TEST_CASE("erlang:exit/1 (man page) — reasons are terms: {shutdown Term} and values and exceptions", "[unit][otp]") {
  // The atoms print as they always did (the simulator's trace hashes reasons by their text).
  CHECK(Reason::shutdown().text() == "shutdown");
  CHECK(Reason{"my reason"}.text() == "my reason");
  CHECK(Reason::ignore() == Reason{"ignore"});

  Reason s = Reason::shutdown(std::string{"maintenance"});
  CHECK(s.kind() == Reason::Kind::shutdown);
  CHECK(s.is_shutdown());
  CHECK(s.text() == "{shutdown, maintenance}");
  CHECK(!(s == Reason::shutdown()));
  REQUIRE(s.get_if<std::string>() != nullptr);
  CHECK(*s.get_if<std::string>() == "maintenance");
  CHECK(s.get_if<int>() == nullptr);

  Reason v = Reason::of(Overloaded{7});
  CHECK(v.kind() == Reason::Kind::other);
  CHECK(v.text() == "{overloaded, 7}");
  REQUIRE(v.get_if<Overloaded>() != nullptr);
  CHECK(v.get_if<Overloaded>()->queue == 7);
  CHECK(v == Reason::of(Overloaded{7}));
  CHECK(!(v == Reason::of(Overloaded{8})));
  CHECK(!(v == Reason{"{overloaded, 7}"}));  // same text, but text is not a value

  Reason o = Reason::of(Opaque{});
  CHECK(o.text().find("Opaque") != std::string_view::npos);  // no formatter: its type's name
  CHECK(o.get_if<Opaque>() != nullptr);

  Reason copy = v;  // a copy shares the payload: no allocation, same value
  CHECK(copy.get_if<Overloaded>() == v.get_if<Overloaded>());
  CHECK(sizeof(Reason) <= 24);

  Reason e;
  try {
    throw std::out_of_range("slot 9");
  } catch (...) {
    e = Reason::from_exception(std::current_exception());
  }
  CHECK(e.text() == "std::out_of_range: slot 9");
  REQUIRE(e.exception() != nullptr);
  CHECK_THROWS_AS(std::rethrow_exception(e.exception()), std::out_of_range);
  CHECK(Reason::noproc().exception() == nullptr);
}

TEST_CASE("erlang:exit/1 (man page) — a value exit reason travels through links and monitors intact",
          "[conformance][otp]") {
  on_each_engine([](Harness& h) {
    Recorder rec;
    h.engine().spawn([&](Process& self) {
      self.trap_exit(true);
      Pid p = self.spawn_link([](Process& me) {
        me.receive<Quit>();
        me.exit(Reason::of(Overloaded{42}));
      });
      Ref m = self.monitor(p);
      self.send(p, Quit{});
      auto e = self.receive<Exit>();
      const Overloaded* via_link = e.reason.get_if<Overloaded>();
      rec.add(via_link ? fmt::format("Exit with queue {}", via_link->queue) : "Exit lost the value?!");
      self.receive(match<Down>([&](const Down& d) { return d.ref == m; },
                               [&](const Down& d) {
                                 const Overloaded* o = d.reason.get_if<Overloaded>();
                                 rec.add(o ? fmt::format("Down with queue {}", o->queue) : "Down lost it?!");
                               }));
      Pid q = self.spawn_link([](Process&) { throw std::length_error("too long"); });
      auto e2 = self.receive<Exit>();
      bool caught = false;
      try {
        if (e2.from == q && e2.reason.exception()) std::rethrow_exception(e2.reason.exception());
      } catch (const std::length_error& x) {
        caught = std::string{x.what()} == "too long";
      }
      rec.add(caught ? "rethrown as std::length_error" : "exception lost?!");
    });
    h.run();
    CHECK(rec.events() == std::vector<std::string>{"Exit with queue 42", "Down with queue 42",
                                                   "rethrown as std::length_error"});
  });
}
