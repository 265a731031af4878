// A fiber that overflows its stack ends alone, with reason stack_overflow, on every engine; its
// neighbours' stacks stay intact; any other SIGSEGV behaves as it would without moira's handler.
// Tagged [stack_overflow].
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/behaviours/supervisor.hpp"
#include "runtime/fiber_switch.hpp"
#include "runtime/moira.hpp"
#include "tests/harness.hpp"

extern char** environ;

using namespace moira;
using namespace std::chrono_literals;
using moira::test::Harness;
using moira::test::on_each_engine;

namespace {
struct Go {};
struct Stop {};
struct Ready {
  Pid pid;
};

// ThreadSanitizer tracks each fiber as a thread and dies past 8128 alive at once (see stress_test).
constexpr int scaled(int n) {
#if MOIRA_TSAN
  return n > 4000 ? 4000 : n;
#else
  return n;
#endif
}

std::uintptr_t frame_address() { return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)); }

// Recurses until `stop_below`, an address below the stack's end: every frame fills a buffer, so
// without a guard page the writes land on whatever lies below the stack. With stop_below = 0, it
// never stops.
__attribute__((noinline)) std::uint64_t recurse(std::uintptr_t stop_below, std::uint64_t depth) {
  volatile std::uint8_t frame[256];
  for (auto& b : frame) b = 0xEE;
  if (reinterpret_cast<std::uintptr_t>(&frame[0]) < stop_below) return depth;
  return recurse(stop_below, depth + 1) + frame[depth % sizeof frame];
}

std::uint8_t pattern_byte(std::size_t i, int seed) { return static_cast<std::uint8_t>(i * 131 + static_cast<std::size_t>(seed) * 7 + 1); }

// An idle fiber that keeps a known pattern on its stack and checks it when told to stop.
void patterned_idle(Process& self, int seed, std::atomic<int>* intact) {
  volatile std::uint8_t pattern[512];
  for (std::size_t i = 0; i < sizeof pattern; ++i) pattern[i] = pattern_byte(i, seed);
  self.receive<Stop>();
  for (std::size_t i = 0; i < sizeof pattern; ++i)
    if (pattern[i] != pattern_byte(i, seed)) return;
  ++*intact;
}
}  // namespace

TEST_CASE("unbounded recursion ends only that fiber, with stack_overflow; its supervisor restarts it; 10k others live on",
          "[stack_overflow]") {
  on_each_engine([](Harness& h) {
    constexpr int N = scaled(10'000);
    std::atomic<int> intact{0};
    std::atomic<int> starts{0};
    std::vector<Pid> idle;
    for (int i = 0; i < N; ++i) idle.push_back(h.engine().spawn(patterned_idle, i, &intact));
    // The child: its first incarnation recurses without end once told to; the restarted one waits.
    ChildSpec deep;
    deep.id = "deep";
    deep.start = [&starts](Process& sup) -> Result<Pid> {
      int incarnation = ++starts;
      return sup.spawn_link([incarnation](Process& self) {
        self.receive<Go>();
        if (incarnation == 1) recurse(0, 0);
        self.receive<Stop>();
      });
    };
    Reason first_end;
    bool restarted = false;
    h.engine().spawn([&](Process& self) {
      auto sup = start_supervisor(self, {Strategy::one_for_one, 3, 5s, {deep}});
      REQUIRE(sup);
      Pid child = which_children(self, sup.value()).value().at(0).pid;
      Ref m = self.monitor(child);
      self.send(child, Go{});
      self.receive(match<Down>([&](const Down& d) { return d.ref == m; }, [&](const Down& d) { first_end = d.reason; }));
      Pid again;
      while (!(again = which_children(self, sup.value()).value().at(0).pid) || again == child) self.yield();
      restarted = starts == 2;
      self.send(again, Go{});
      for (Pid p : idle) self.send(p, Stop{});
      self.exit(sup.value(), Reason::shutdown());
    });
    h.run();
    INFO("guards: " << detail::to_string(detail::stack_pool_stats().mode));
    CHECK(first_end == Reason::stack_overflow());
    CHECK(fmt::format("{}", first_end) == "stack_overflow");
    CHECK(restarted);
    CHECK(intact == N);  // every other fiber ran on and found its stack as it left it
  });
}

TEST_CASE("an overflow by a few KiB leaves the fiber stack below it intact", "[stack_overflow]") {
  on_each_engine([](Harness& h) {
    // A stack size no other test uses, fresh for each engine: the pool then carves the stacks of
    // this size in ascending order, so the overflowing fiber's stack lies right above the
    // neighbour's (checked below).
    static int fresh = 0;
    const std::size_t size = std::size_t{40 << 10} + std::size_t(++fresh) * 4096;
    constexpr std::uintptr_t kOvershoot = 8 << 10;
    std::atomic<int> intact{0};
    std::atomic<std::uintptr_t> pattern_at{0}, top_at{0};
    Reason end;
    h.engine().spawn([&](Process& self) {
      SpawnOptions opts;
      opts.stack_size = size;
      Pid neighbour = self.spawn_with(opts, [&](Process& me, Pid parent) {
        pattern_at = frame_address();
        me.send(parent, Ready{me.self()});
        patterned_idle(me, 99, &intact);
      }, self.self());
      self.receive<Ready>();
      opts.monitor = true;
      Pid over = self.spawn_with(opts, [&](Process& me) {
        me.receive<Go>();
        std::uintptr_t top = frame_address();
        top_at = top;
        recurse(top - size - kOvershoot, 0);  // past the stack's end by at least kOvershoot
      });
      Ref m = self.last_spawn_monitor();
      self.send(over, Go{});
      self.receive(match<Down>([&](const Down& d) { return d.ref == m; }, [&](const Down& d) { end = d.reason; }));
      self.send(neighbour, Stop{});
    });
    h.run();
    // The premise: the overflow would reach the neighbour's pattern if nothing stopped it.
    CHECK(pattern_at < top_at - size);
    CHECK(pattern_at > top_at - size - kOvershoot);
    CHECK(end == Reason::stack_overflow());
    CHECK(intact == 1);
  });
}

// ------------------------------------------------------------------------------------------------
// Faults that are not a fiber's overflow: the test runs the test binary again, as a child that
// faults (told which way by MOIRA_TEST_SEGV_CHILD), and checks how the child ended.

namespace {
constexpr const char* kFaultTest = "other SIGSEGVs end the OS process as before or reach the handler installed before";

struct ChildEnd {
  bool signaled = false;
  int signal = 0;
  int exit_code = -1;
  std::string output;
};

ChildEnd run_self_as(const std::string& role) {
  std::string out_path = "stack_overflow_child." + std::to_string(::getpid()) + ".out";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string exe = "/proc/self/exe";
  std::string filter = kFaultTest;
  std::vector<char*> argv{exe.data(), filter.data(), nullptr};
  std::vector<std::string> env_text{"MOIRA_TEST_SEGV_CHILD=" + role};
  for (char** e = environ; *e; ++e) env_text.emplace_back(*e);
  std::vector<char*> env;
  for (auto& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  REQUIRE(rc == 0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  ChildEnd end;
  end.signaled = WIFSIGNALED(status);
  if (end.signaled) end.signal = WTERMSIG(status);
  if (WIFEXITED(status)) end.exit_code = WEXITSTATUS(status);
  std::ifstream in(out_path);
  std::stringstream text;
  text << in.rdbuf();
  end.output = text.str();
  ::unlink(out_path.c_str());
  return end;
}

// An address nothing is mapped at, that the compiler cannot see is null.
volatile std::uintptr_t unmapped_address = 16;

void fault_in_a_fiber() {
  ThreadedEngine engine{{.workers = 1}};
  engine.spawn([](Process&) { *reinterpret_cast<volatile int*>(unmapped_address) = 1; });
  engine.run_until_idle();
}

extern "C" void exit_42(int) { ::_exit(42); }

void install_exit_42() {
  struct sigaction sa {};
  sa.sa_handler = &exit_42;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGSEGV, &sa, nullptr);
}

// The child's part; it must run before this process ran any fiber (so before moira's handler).
void be_child(std::string_view role) {
  if (role == "wild") {
    fault_in_a_fiber();
  } else if (role == "chain") {
    install_exit_42();
    fault_in_a_fiber();
  } else if (role == "overflow") {
    install_exit_42();
    ThreadedEngine engine{{.workers = 1}};
    Reason end;
    engine.spawn([&](Process& self) {
      self.spawn_monitor([](Process&) { recurse(0, 0); });
      end = self.receive<Down>().reason;
    });
    engine.run_until_idle();
    REQUIRE(end == Reason::stack_overflow());
  }
}
}  // namespace

TEST_CASE(kFaultTest, "[stack_overflow]") {
  if (const char* role = std::getenv("MOIRA_TEST_SEGV_CHILD")) return be_child(role);
  SECTION("a wild write in a fiber still ends the process") {
    ChildEnd end = run_self_as("wild");
    INFO(end.output);
#if MOIRA_ASAN
    CHECK(end.exit_code != 0);
    CHECK(end.output.find("AddressSanitizer: SEGV") != std::string::npos);  // ASan's handler got it
#elif MOIRA_TSAN
    CHECK((end.signaled || end.exit_code != 0));
#else
    CHECK(end.signaled);
    CHECK(end.signal == SIGSEGV);
#endif
  }
  SECTION("it reaches a handler installed before the first fiber ran") {
    ChildEnd end = run_self_as("chain");
    INFO(end.output);
    CHECK(end.exit_code == 42);
  }
  SECTION("with that handler installed, an overflow is still a fiber's alone") {
    ChildEnd end = run_self_as("overflow");
    INFO(end.output);
    CHECK(end.exit_code == 0);
  }
}

TEST_CASE("stack_overflow is a named reason", "[stack_overflow]") {
  CHECK(Reason{"stack_overflow"} == Reason::stack_overflow());
  CHECK(Reason::stack_overflow().kind() == Reason::Kind::stack_overflow);
  CHECK_FALSE(Reason::stack_overflow().is_normal());
}
