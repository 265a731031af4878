#pragma once
#include <chrono>

namespace moira {

using Duration = std::chrono::nanoseconds;
// Time since the engine started: the steady clock on threads, the virtual clock in the simulator.
using Time = std::chrono::nanoseconds;

}  // namespace moira
