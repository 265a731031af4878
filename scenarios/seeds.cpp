#include "scenarios/seeds.hpp"

#include <fmt/format.h>

namespace moira::scenarios {

SeedsReport check_seeds(const Scenario& s, const Seeds& seeds) {
  SeedsReport r;
  for (std::uint64_t i = 0; i < seeds.count; ++i) {
    const std::uint64_t seed = seeds.first + i;
    ++r.ran;
    auto run = scenarios::run(s, sim::Strategy::random_walk(seed), false);
    if (!run.outcome.failed()) continue;
    r.failing_seed = seed;
    r.message = fmt::format("scenario {} failed at seed {} (of seeds {}..{}): {}\n  reproduce: {} run {} --seed {}", s.name,
                            seed, seeds.first, seeds.first + seeds.count - 1, run.outcome.why(), seeds.cli, s.name, seed);
    break;
  }
  return r;
}

}  // namespace moira::scenarios
