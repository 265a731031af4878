#pragma once
#include <chrono>

namespace moira {

using Duration = std::chrono::nanoseconds;
// Time since the engine started: the steady clock on threads, the virtual clock in the simulator.
using Time = std::chrono::nanoseconds;

// A timeout that never expires (Erlang's `infinity`): after(infinity, ...) never fires, and a
// call with it waits as long as the server lives.
inline constexpr Duration infinity = Duration::max();

}  // namespace moira
