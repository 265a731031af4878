#pragma once
// Replays a recorded decision log. Each query must match the log's next record in kind and number
// of options; the first one that does not is a divergence (the code or options changed since the
// log was made), reported with its step, and from then on every answer is 0.
#include <cstdint>
#include <optional>

#include "sim/choice_source.hpp"
#include "sim/decision_log.hpp"

namespace moira::sim {

class ReplaySource final : public ChoiceSource {
 public:
  explicit ReplaySource(DecisionLog log) : log_(std::move(log)) {}
  std::uint64_t choose(std::uint64_t n, const ChoiceContext& ctx) override;
  std::string describe() const override;
  const Divergence* divergence() const override { return divergence_ ? &*divergence_ : nullptr; }
  void run_ended(std::uint64_t step) override;
  std::size_t used() const { return next_; }

 private:
  DecisionLog log_;
  std::size_t next_ = 0;
  std::optional<Divergence> divergence_;
};

}  // namespace moira::sim
