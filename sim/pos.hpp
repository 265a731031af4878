#pragma once
// POS, partial-order sampling (Yuan, Yang, Gu, CAV 2018): every process's next step carries an
// independent random priority and the highest runs; the step that just ran and the steps it
// enabled (here: every process that became runnable since the last decision — a send that wakes
// a receiver is the race POS re-samples) draw fresh priorities, the others keep theirs. Unlike the
// random walk it does not favour schedules with many switches, so deep orderings are likelier.
// Due events fire first when nothing runs, a random one of them.
#include <cstdint>
#include <utility>
#include <vector>

#include "sim/choice_source.hpp"
#include "sim/rng.hpp"

namespace moira::sim {

class Pos final : public ChoiceSource {
 public:
  explicit Pos(std::uint64_t seed) : rng_(seed), seed_(seed) {}
  std::uint64_t choose(std::uint64_t n, const ChoiceContext& ctx) override;
  std::string describe() const override;
  bool fair() const override { return true; }  // every priority is redrawn with each step it waits through a wake

 private:
  void redraw(std::uint64_t key);
  std::uint64_t schedule(std::uint64_t n, const ChoiceContext& ctx);

  Rng rng_;
  std::uint64_t seed_;
  std::vector<std::uint64_t> priorities_;  // by key; 0: none drawn
  std::vector<std::pair<std::uint64_t, std::uint64_t>> heap_;  // (priority, key); stale when it differs
};

}  // namespace moira::sim
