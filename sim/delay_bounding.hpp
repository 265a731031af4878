#pragma once
// Randomized delay bounding (Emmi, Qadeer, Rakamarić, POPL 2011): the calm scheduler (keep the
// running process, run what waits in FIFO order) deviates at `delays` points drawn uniformly over
// the run's k steps; at each, the process that would run is passed over for the next one. Few
// delays reach many bugs; use it beside PCT when bugs need a process to be slow at one moment.
#include <cstdint>
#include <vector>

#include "sim/choice_source.hpp"
#include "sim/rng.hpp"

namespace moira::sim {

class DelayBounding final : public ChoiceSource {
 public:
  DelayBounding(std::uint64_t seed, unsigned delays, std::uint64_t expected_steps);
  std::uint64_t choose(std::uint64_t n, const ChoiceContext& ctx) override;
  std::string describe() const override;

 private:
  Rng rng_;
  std::uint64_t seed_;
  unsigned delays_;
  std::uint64_t expected_steps_;
  std::vector<std::uint64_t> points_;  // steps, sorted
  std::size_t next_ = 0;
};

}  // namespace moira::sim
