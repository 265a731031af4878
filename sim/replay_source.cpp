#include "sim/replay_source.hpp"

#include <fmt/format.h>

namespace moira::sim {

std::string ReplaySource::describe() const { return fmt::format("replay of [{}]", log_.strategy); }

std::uint64_t ReplaySource::choose(std::uint64_t n, const ChoiceContext& ctx) {
  if (n < 2 || divergence_) return 0;
  if (next_ >= log_.decisions.size()) {
    divergence_ = Divergence{next_, ctx.step, fmt::format("no more decisions (it holds {})", log_.decisions.size()),
                             fmt::format("a {} decision among {}", to_string(ctx.kind), n)};
    return 0;
  }
  const DecisionRecord& d = log_.decisions[next_];
  if (d.kind != ctx.kind || d.n != n) {
    divergence_ = Divergence{next_, ctx.step,
                             fmt::format("a {} decision among {} at step {}", to_string(d.kind), d.n, d.step),
                             fmt::format("a {} decision among {}", to_string(ctx.kind), n)};
    return 0;
  }
  ++next_;
  return d.choice;
}

void ReplaySource::run_ended(std::uint64_t step) {
  if (divergence_ || next_ == log_.decisions.size()) return;
  const DecisionRecord& d = log_.decisions[next_];
  divergence_ = Divergence{next_, step,
                           fmt::format("{} more decisions (next: {} among {} at step {})",
                                       log_.decisions.size() - next_, to_string(d.kind), d.n, d.step),
                           "the end of the run"};
}

}  // namespace moira::sim
