// How much CPU an idle ThreadedEngine burns: workers must park, not spin. Prints the CPU time
// the process used over one second of idleness, after a burst of work, for 1 and 2 workers.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "runtime/moira.hpp"

using namespace moira;

namespace {
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
}  // namespace

int main() {
  int failures = 0;
  for (unsigned workers : {1u, 2u}) {
    ThreadedEngine engine{{.workers = workers}};
    // A burst of work first, so every worker has been awake.
    std::atomic<int> done{0};
    for (int i = 0; i < 10'000; ++i) engine.spawn([&](Process& self) { self.yield(); ++done; });
    engine.run_until_idle();
    // Processes left waiting in receive keep nothing runnable.
    for (int i = 0; i < 100; ++i) engine.spawn([](Process& self) { self.receive<int>(); });
    engine.run_until_idle();
    double before = cpu_seconds();
    std::this_thread::sleep_for(std::chrono::seconds{1});  // idle time is what is measured here
    double used = cpu_seconds() - before;
    bool ok = used < 0.05;
    failures += ok ? 0 : 1;
    std::printf("idle engine, %u worker(s): %.1f ms CPU in 1 s of idleness (target < 50 ms): %s\n", workers,
                used * 1e3, ok ? "PASS" : "MISS");
    if (done != 10'000) return 2;
  }
  return failures == 0 ? 0 : 1;
}
