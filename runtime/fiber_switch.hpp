#pragma once
// Tells the sanitizers about stack switches. ASan must know which stack is live (or it reports
// false stack overflows and use-after-return); TSan must know a fiber's happens-before history
// moves with it between threads. Without a sanitizer every call here compiles to nothing.
#include <cstddef>

#include "runtime/stack_pool.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define MOIRA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOIRA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define MOIRA_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MOIRA_TSAN 1
#endif
#endif

#if MOIRA_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#if MOIRA_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace moira::detail {

class FiberSwitch {
 public:
  // Scheduler side, just before jumping into the fiber.
  void enter_fiber([[maybe_unused]] const Stack& stack) {
#if MOIRA_ASAN
    __sanitizer_start_switch_fiber(&scheduler_fake_stack_, stack.base, stack.size);
#endif
#if MOIRA_TSAN
    if (!tsan_fiber_) tsan_fiber_ = __tsan_create_fiber(0);
    tsan_scheduler_ = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(tsan_fiber_, 0);
#endif
  }
  // Scheduler side, when the fiber has jumped back.
  void back_in_scheduler() {
#if MOIRA_ASAN
    __sanitizer_finish_switch_fiber(scheduler_fake_stack_, nullptr, nullptr);
#endif
  }
  // Fiber side, first thing after a jump into it.
  void arrived_in_fiber() {
#if MOIRA_ASAN
    __sanitizer_finish_switch_fiber(fiber_fake_stack_, &scheduler_bottom_, &scheduler_size_);
#endif
  }
  // Fiber side, just before jumping back to the scheduler.
  void leave_fiber() {
#if MOIRA_ASAN
    __sanitizer_start_switch_fiber(&fiber_fake_stack_, scheduler_bottom_, scheduler_size_);
#endif
#if MOIRA_TSAN
    __tsan_switch_to_fiber(tsan_scheduler_, 0);
#endif
  }
  // Fiber side, the last jump out: its fake stack may be freed.
  void leave_fiber_for_good() {
#if MOIRA_ASAN
    __sanitizer_start_switch_fiber(nullptr, scheduler_bottom_, scheduler_size_);
#endif
#if MOIRA_TSAN
    __tsan_switch_to_fiber(tsan_scheduler_, 0);
#endif
  }
  // Scheduler side, once the fiber will never run again.
  void fiber_gone() {
#if MOIRA_TSAN
    if (tsan_fiber_) __tsan_destroy_fiber(tsan_fiber_);
    tsan_fiber_ = nullptr;
#endif
  }

 private:
#if MOIRA_ASAN
  void* scheduler_fake_stack_ = nullptr;
  void* fiber_fake_stack_ = nullptr;
  const void* scheduler_bottom_ = nullptr;
  std::size_t scheduler_size_ = 0;
#endif
#if MOIRA_TSAN
  void* tsan_fiber_ = nullptr;
  void* tsan_scheduler_ = nullptr;
#endif
};

}  // namespace moira::detail
