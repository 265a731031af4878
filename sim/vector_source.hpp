#pragma once
// A source fed by an explicit vector of choices: the hook for RapidCheck, which generates and
// shrinks the vector. A value >= n is taken modulo n; when the vector runs out every answer is 0,
// so shrinking the vector towards zeros shrinks the run towards a calm one.
#include <cstdint>
#include <vector>

#include "sim/choice_source.hpp"

namespace moira::sim {

class VectorSource final : public ChoiceSource {
 public:
  explicit VectorSource(std::vector<std::uint64_t> choices) : choices_(std::move(choices)) {}
  std::uint64_t choose(std::uint64_t n, const ChoiceContext&) override {
    if (n < 2 || next_ >= choices_.size()) return 0;
    std::uint64_t v = choices_[next_++];
    return v < n ? v : v % n;
  }
  std::string describe() const override;
  std::size_t used() const { return next_; }  // how many of the choices the run consumed

 private:
  std::vector<std::uint64_t> choices_;
  std::size_t next_ = 0;
};

}  // namespace moira::sim
