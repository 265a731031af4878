#include "sim/vector_source.hpp"

#include <fmt/format.h>

namespace moira::sim {

std::string VectorSource::describe() const { return fmt::format("vector length={}", choices_.size()); }

}  // namespace moira::sim
