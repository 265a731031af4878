#pragma once
// The seeded random walk: every decision uniform over its options.
#include <cstdint>

#include "sim/choice_source.hpp"
#include "sim/rng.hpp"

namespace moira::sim {

class RandomWalk final : public ChoiceSource {
 public:
  explicit RandomWalk(std::uint64_t seed) : rng_(seed), seed_(seed) {}
  std::uint64_t choose(std::uint64_t n, const ChoiceContext&) override { return n < 2 ? 0 : rng_.bounded(n); }
  std::string describe() const override;
  bool fair() const override { return true; }  // every runnable process is picked with probability > 0

 private:
  Rng rng_;
  std::uint64_t seed_;
};

}  // namespace moira::sim
