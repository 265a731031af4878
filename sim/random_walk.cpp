#include "sim/random_walk.hpp"

#include <fmt/format.h>

namespace moira::sim {

std::string RandomWalk::describe() const { return fmt::format("random seed={}", seed_); }

}  // namespace moira::sim
