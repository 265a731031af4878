#pragma once
// The C++ runtime keeps two facts about exceptions per *thread*: the chain of exceptions being
// handled (what `throw;` and std::current_exception() see) and the count of exceptions in flight
// (std::uncaught_exceptions()). Fibers share their thread, so without care a fiber sees another
// context's: a process killed while the test body above the Simulation unwinds believed it was
// unwinding too and would not end, and a fiber parked inside a catch block could pop another
// fiber's caught exception. Each context therefore keeps its own pair, swapped at every switch
// (two words on the switching stack: nothing in Process).
#include <cxxabi.h>

namespace moira::detail {

class EhState {
 public:
  // The calling context's state, which is then cleared: what a fresh fiber starts with.
  // Not instrumented by TSan: it models each fiber as a thread and so takes this thread's own
  // globals, touched by fibers taking turns on it, for memory shared between threads.
  __attribute__((no_sanitize("thread"))) static EhState take() noexcept {
    Globals* g = globals();
    EhState s{g->caught, g->uncaught};
    g->caught = nullptr;
    g->uncaught = 0;
    return s;
  }
  // Makes this the calling context's state again (after a switch back to it).
  __attribute__((no_sanitize("thread"))) void restore() const noexcept {
    Globals* g = globals();
    g->caught = caught_;
    g->uncaught = uncaught_;
  }

 private:
  // The leading fields of __cxa_eh_globals, identical in libstdc++ and libc++abi.
  struct Globals {
    void* caught;
    unsigned int uncaught;
  };
  EhState(void* caught, unsigned int uncaught) : caught_(caught), uncaught_(uncaught) {}
  static Globals* globals() noexcept { return reinterpret_cast<Globals*>(abi::__cxa_get_globals()); }

  void* caught_;
  unsigned int uncaught_;
};

}  // namespace moira::detail
