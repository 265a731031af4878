#pragma once
// Ends a fiber that overflows its stack, and only that fiber. The overflow faults in the guard page
// below the stack (stack_pool.hpp); a SIGSEGV handler, on an alternate signal stack, checks that
// the faulting address is in the guard of the fiber this thread is running, and if so makes the
// interrupted code continue, on the top of that fiber's stack, in the owner's OverflowExit (which
// abandons the fiber: it must never return). Any other SIGSEGV goes to the handler installed
// before ours, or gets the default action, as if we were not there.
#include "runtime/stack_pool.hpp"

namespace moira::detail {

using OverflowExit = void (*)(void* owner);

// What the handler reads: the fiber this thread runs. Constant-initialised and trivial, so
// reaching it costs no TLS wrapper call.
struct FiberOnThisThread {
  const Stack* stack = nullptr;  // the running fiber's, or null between slices
  void* owner = nullptr;
  bool ready = false;  // this thread has its alternate signal stack
};
inline thread_local constinit FiberOnThisThread fiber_on_this_thread [[gnu::tls_model("initial-exec")]]{};

// Scheduler side, for the duration of one slice of a fiber: the guard page the handler may claim
// on this thread. The first one on a thread gives the thread its alternate signal stack, and the
// first one in the process installs the handler.
class RunningFiber {
 public:
  RunningFiber(const Stack& stack, void* owner, OverflowExit on_overflow) {
    FiberOnThisThread& t = fiber_on_this_thread;
    if (!t.ready) prepare_this_thread(on_overflow);
    t.owner = owner;
    t.stack = &stack;
  }
  ~RunningFiber() { fiber_on_this_thread.stack = nullptr; }
  RunningFiber(const RunningFiber&) = delete;
  RunningFiber& operator=(const RunningFiber&) = delete;

 private:
  static void prepare_this_thread(OverflowExit on_overflow);
};

// Fiber side, before abandoning an overflowed stack: forgets what sanitizers know about its dead
// frames, so the next fiber on it starts clean.
void forget_stack_frames(const Stack& stack);

}  // namespace moira::detail
