#include <catch2/catch.hpp>

#include <atomic>

#include "runtime/moira.hpp"

using namespace moira;

struct Ping { Pid from; int n; };
struct Pong { int n; };

TEST_CASE("ping pong on threads") {
  ThreadedEngine engine{{.workers = 2}};
  std::atomic<int> got{0};
  Pid ponger = engine.spawn([](Process& self) {
    for (;;) {
      self.receive([&](const Ping& p) { self.send(p.from, Pong{p.n}); });
    }
  });
  engine.spawn([&](Process& self, Pid to) {
    for (int i = 0; i < 1000; ++i) {
      self.send(to, Ping{self.self(), i});
      Pong p = self.receive<Pong>();
      if (p.n == i) got++;
    }
  }, ponger);
  engine.run_until_idle();
  REQUIRE(got == 1000);
}
