#pragma once
// The ChoiceSource a property's schedule drives. Unlike sim::VectorSource (answer = value mod n), an
// answer here is the value read as a fraction of the options: value v in [0, 2^16) answers
// floor(v * n / 2^16). The same value then means "about as far down the list" whatever n is, so
// when shrinking removes a process or a message, the surprising decisions left keep their sense
// (with mod n, a 2 that chose the third of three senders becomes a calm 0 with two). 0 is calm.
#include <cstdint>
#include <vector>

#include "sim/choice_source.hpp"

namespace moira::properties {

class ScheduleSource final : public sim::ChoiceSource {
 public:
  static constexpr std::uint64_t kScale = std::uint64_t{1} << 16;

  explicit ScheduleSource(std::vector<std::uint64_t> choices) : choices_(std::move(choices)) {}
  std::uint64_t choose(std::uint64_t n, const sim::ChoiceContext&) override {
    if (n < 2 || next_ >= choices_.size()) return 0;
    const std::uint64_t v = choices_[next_++] % kScale;
    return v * n / kScale;  // n is a count of options: far below 2^48
  }
  std::string describe() const override;
  std::size_t used() const { return next_; }

 private:
  std::vector<std::uint64_t> choices_;
  std::size_t next_ = 0;
};

}  // namespace moira::properties
