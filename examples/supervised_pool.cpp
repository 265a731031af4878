// A supervised pool of workers serving calls: a one_for_one supervisor over four Server workers;
// clients call them round-robin; a request that makes a worker crash fails only that call, and
// the supervisor restarts the worker, so later calls are served again.
#include <cstdio>
#include <string>
#include <variant>

#include "runtime/moira.hpp"

using namespace moira;
using namespace std::chrono_literals;

struct Square {
  long n;
};
struct Poison {};
using Job = std::variant<Square, Poison>;

class Worker final : public Server<Worker, Job, long> {
 public:
  explicit Worker(int id) : id_(id) {}
  void init(Process& self) override { self.register_name("worker-" + std::to_string(id_)); }
  std::optional<long> handle_call(Process&, Job job, From) override {
    if (std::holds_alternative<Poison>(job)) throw std::runtime_error("poisoned");
    long n = std::get<Square>(job).n;
    return n * n;
  }

 private:
  int id_;
};

int main() {
  ThreadedEngine engine;
  std::atomic<long> sum{0}, failures{0};
  std::atomic<bool> done{false};
  engine.spawn([&](Process& self) {
    SupervisorSpec pool{Strategy::one_for_one, /*intensity=*/10, /*period=*/5s, {}};
    for (int i = 0; i < 4; ++i) {
      ChildSpec spec;
      spec.id = "worker-" + std::to_string(i);
      spec.start = [i](Process& sup) { return start_server<Worker>(sup, {.link = true}, i); };
      pool.children.push_back(spec);
    }
    Pid sup = start_supervisor(self, pool).value();

    for (long n = 1; n <= 1000; ++n) {
      std::string name = "worker-" + std::to_string(n % 4);
      auto pid = self.whereis(name);
      while (!pid) {  // being restarted right now
        self.yield();
        pid = self.whereis(name);
      }
      auto r = n % 250 == 0 ? call<Worker>(self, *pid, Poison{}) : call<Worker>(self, *pid, Square{n});
      if (r) {
        sum += r.value();
      } else {
        ++failures;
        std::printf("call %ld failed: %s\n", n, fmt::format("{}", r.error()).c_str());
      }
    }
    std::printf("pool after the crashes: %zu workers running\n", count_children(self, sup).value().active);
    self.trap_exit(true);
    self.exit(sup, Reason::shutdown());
    self.receive<Exit>();
    done = true;
  });
  engine.run_until_idle();
  long expected = 0;
  for (long n = 1; n <= 1000; ++n) expected += n % 250 == 0 ? 0 : n * n;
  std::printf("sum of squares served: %ld (expected %ld), failed calls: %ld (expected 4)\n", sum.load(), expected,
              failures.load());
  bool ok = done && sum == expected && failures == 4;
  std::printf("%s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
