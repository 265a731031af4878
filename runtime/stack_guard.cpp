#include "runtime/stack_guard.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>

#include "runtime/fiber_switch.hpp"  // MOIRA_ASAN

#if MOIRA_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace moira::detail {
namespace {

#if defined(__x86_64__) || defined(__aarch64__)
constexpr bool kCanRedirect = true;
#else
constexpr bool kCanRedirect = false;  // guards still keep neighbours intact; an overflow kills the OS process
#endif

struct sigaction previous_action;  // whoever handled SIGSEGV before us (ASan does)
std::atomic<OverflowExit> overflow_exit{nullptr};

// Where the interrupted fiber continues: a fresh frame at the top of its own stack (whatever its
// old frames held there is abandoned with it).
[[noreturn]] void overflow_landing(void* owner) {
  overflow_exit.load(std::memory_order_relaxed)(owner);
  __builtin_unreachable();
}

// Makes the interrupted context call overflow_landing(owner) on the top of `stack` once the
// handler returns: sigreturn then restores the signal mask and leaves the signal stack for us.
// Unchecked by ASan: the word it writes lies in the abandoned frames, whose redzones are poisoned.
__attribute__((no_sanitize("address"))) void redirect([[maybe_unused]] void* uctx, [[maybe_unused]] const Stack& stack, [[maybe_unused]] void* owner) {
  auto top = reinterpret_cast<std::uintptr_t>(stack.top());
  std::uintptr_t sp = (top - 256) & ~std::uintptr_t{15};
  [[maybe_unused]] auto* uc = static_cast<ucontext_t*>(uctx);
#if defined(__x86_64__)
  sp -= 8;  // as if `call` had pushed a return address: a function expects rsp % 16 == 8
  *reinterpret_cast<std::uintptr_t*>(sp) = 0;
  uc->uc_mcontext.gregs[REG_RSP] = static_cast<greg_t>(sp);
  uc->uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(&overflow_landing);
  uc->uc_mcontext.gregs[REG_RDI] = reinterpret_cast<greg_t>(owner);
#elif defined(__aarch64__)
  uc->uc_mcontext.sp = sp;
  uc->uc_mcontext.pc = reinterpret_cast<std::uintptr_t>(&overflow_landing);
  uc->uc_mcontext.regs[0] = reinterpret_cast<std::uintptr_t>(owner);
  uc->uc_mcontext.regs[30] = 0;  // lr: it never returns
#endif
}

// Not ours: behave as if our handler were not installed.
void pass_on(int sig, siginfo_t* info, void* uctx) {
  const struct sigaction& prev = previous_action;
  if ((prev.sa_flags & SA_SIGINFO) && prev.sa_sigaction) {
    prev.sa_sigaction(sig, info, uctx);
    return;
  }
  if (!(prev.sa_flags & SA_SIGINFO) && prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
    return;
  }
  // The default action: a fault re-executes when we return, and then kills the process as it
  // would have without us; a SIGSEGV sent by kill() is raised again (blocked until we return).
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);
  if (info->si_code <= 0) ::raise(sig);
}

void on_sigsegv(int sig, siginfo_t* info, void* uctx) {
  const FiberOnThisThread& t = fiber_on_this_thread;
  if (kCanRedirect && t.stack && info->si_code > 0) {
    auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
    auto base = reinterpret_cast<std::uintptr_t>(t.stack->base);
    if (addr < base && addr >= base - stack_guard_bytes()) {
      redirect(uctx, *t.stack, t.owner);
      return;
    }
  }
  pass_on(sig, info, uctx);
}

void install_handler() {
  struct sigaction sa {};
  sa.sa_sigaction = &on_sigsegv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  if (::sigaction(SIGSEGV, &sa, &previous_action) != 0) {
    std::fprintf(stderr, "moira: cannot install the SIGSEGV handler for fiber stack overflows; an overflow will end the OS process\n");
  }
}

// The handler runs on it: the faulting thread's own stack is the exhausted one. Freed when the
// thread exits.
struct AltStack {
  void* mem = nullptr;
  std::size_t bytes = 0;
  ~AltStack() {
    if (!mem) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    ::sigaltstack(&off, nullptr);
    ::munmap(mem, bytes);
  }
};

void give_this_thread_a_signal_stack() {
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;  // keep one we find
  thread_local AltStack alt;
  // Generous: a handler we pass a fault on to (ASan's report, say) runs on it too. A guard page
  // below it, as for fibers.
  std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::size_t usable = std::max<std::size_t>(64 << 10, static_cast<std::size_t>(::sysconf(_SC_SIGSTKSZ)));
  void* mem = ::mmap(nullptr, usable + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED) return;  // no signal stack: an overflow on this thread ends the process, as before
  ::mprotect(mem, page, PROT_NONE);
  stack_t ss{};
  ss.ss_sp = static_cast<char*>(mem) + page;
  ss.ss_size = usable;
  if (::sigaltstack(&ss, nullptr) != 0) {
    ::munmap(mem, usable + page);
    return;
  }
  alt.mem = mem;
  alt.bytes = usable + page;
}

}  // namespace

void RunningFiber::prepare_this_thread(OverflowExit on_overflow) {
  static std::once_flag once;
  std::call_once(once, [on_overflow] {
    overflow_exit.store(on_overflow, std::memory_order_relaxed);
    install_handler();
  });
  give_this_thread_a_signal_stack();
  fiber_on_this_thread.ready = true;
}

void forget_stack_frames([[maybe_unused]] const Stack& stack) {
#if MOIRA_ASAN
  __asan_unpoison_memory_region(stack.base, stack.size);
#endif
}

}  // namespace moira::detail
