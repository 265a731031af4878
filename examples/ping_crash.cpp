// A small tour of moira on the threaded engine: a stackless counter, fiber clients that talk to
// it by name, a worker that crashes and the trapping process that hears of it. Prints what
// happened and exits non-zero if anything did not happen as it should.
#include <cstdio>

#include "runtime/moira.hpp"

using namespace moira;
using namespace std::chrono_literals;

struct Add {
  int n;
};
struct Get {
  Pid reply_to;
};

// A stackless process: no fiber, callbacks on the worker's stack, one message at a time.
class Counter final : public Stackless {
 public:
  void start(Process& self) override { self.register_name("counter"); }
  void handle(Process& self, Message msg) override {
    if (auto* a = msg.try_get<Add>()) total_ += a->n;
    if (auto* g = msg.try_get<Get>()) self.send(g->reply_to, total_);
  }

 private:
  long total_ = 0;
};

int main() {
  ThreadedEngine engine;  // one worker per hardware thread
  engine.spawn_stackless<Counter>();
  engine.run_until_idle();

  std::atomic<long> total{-1};
  std::atomic<bool> crash_reported{false};
  engine.spawn([&](Process& self) {
    // 100 clients, each adding 1..100 by name.
    for (int c = 0; c < 100; ++c) {
      self.spawn_link([](Process& me) {
        for (int i = 1; i <= 100; ++i) me.send("counter", Add{i});
      });
    }
    // A worker that crashes; we trap exits, so its death arrives as a message.
    self.trap_exit(true);
    Pid worker = self.spawn_link([](Process& me) {
      me.receive<int>();
      throw std::runtime_error("disk on fire");
    });
    self.send(worker, 1);
    int normal_exits = 0;
    while (normal_exits < 100 || !crash_reported) {
      auto e = self.receive<Exit>();
      if (e.from == worker) {
        std::printf("worker %s crashed: %s\n", fmt::format("{}", e.from).c_str(), fmt::format("{}", e.reason).c_str());
        crash_reported = true;
      } else if (e.reason.is_normal()) {
        ++normal_exits;
      }
    }
    self.send("counter", Get{self.self()});
    total = self.receive<long>();
  });
  engine.run_until_idle();
  std::printf("counter total: %ld (expected %d) on %u workers\n", total.load(), 100 * 5050, engine.worker_count());
  bool ok = total == 100 * 5050 && crash_reported;
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
