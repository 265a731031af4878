#include "sim/choice_source.hpp"

#include <array>

#include <fmt/format.h>

namespace moira::sim {
namespace {
constexpr std::array<std::string_view, kDecisionKinds> kKindNames{
    "schedule", "preempt", "latency", "drop", "fault", "random", "setting", "choice", "time_jump", "buggify", "duplicate"};
}

std::string_view to_string(DecisionKind kind) { return kKindNames.at(static_cast<std::size_t>(kind)); }

std::optional<DecisionKind> decision_kind_from(std::string_view text) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == text) return static_cast<DecisionKind>(i);
  return std::nullopt;
}

std::string Divergence::describe() const {
  return fmt::format("replay diverged at step {} (decision #{}): the log has {}, the run asked for {}", step, decision,
                     expected, found);
}

}  // namespace moira::sim
