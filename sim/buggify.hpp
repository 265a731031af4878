#pragma once
// BUGGIFY (FoundationDB): `if (sim::buggify()) { take the rare path }` in process code. With
// Options::buggify, each call site is enabled or not once per run, from the schedule, and an
// enabled one fires at some of its evaluations, so a sweep exercises rare paths (a short read,
// a slow reply, a spurious retry) at some points in some runs. Recorded decisions: replays and
// shrinks like the rest. False outside a simulation or without the option.
#include <cstdint>

#include "sim/simulation.hpp"
#include "sim/trace.hpp"

namespace moira::sim {

// __builtin_FILE/LINE rather than std::source_location: clang 14 lacks the latter.
inline bool buggify(const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  Simulation* s = Simulation::running();
  if (!s) return false;
  return s->buggify(fnv1a(file) ^ (static_cast<std::uint64_t>(line) * 0x9e3779b97f4a7c15ull));
}

}  // namespace moira::sim
