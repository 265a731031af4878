#include "tools/cli_determinism.hpp"

#include <fmt/format.h>

#include <ostream>

#include "tools/cli.hpp"

namespace moira::cli {

int cmd_determinism(const std::vector<std::string>& names, std::uint64_t first, std::uint64_t count,
                    const StrategyFlags& strategy, const FaultFlags& faults, std::ostream& out, std::ostream& err) {
  std::vector<std::string> chosen = names;
  if (chosen.empty()) {
    for (auto& s : scenarios::all()) chosen.push_back(s.name);
  }
  std::vector<scenarios::Scenario> list;
  for (auto& n : chosen) {
    auto s = find_with_faults(n, faults, err);
    if (!s) return Exit::usage;
    list.push_back(std::move(*s));
  }
  int code = Exit::ok;
  for (const scenarios::Scenario& scenario : list) {
    const scenarios::Scenario* s = &scenario;
    std::uint64_t differing = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::uint64_t seed = first + i;
      auto check = std::make_shared<scenarios::Check>();
      auto report = sim::check_determinism(scenarios::as_sim_scenario(*s, check), s->options, strategy.make(seed));
      if (report.deterministic) continue;
      if (++differing <= 5) {
        out << fmt::format("{} seed {}: NOT deterministic: {}\n  again: moira determinism {} --first-seed {} --seeds 1{}\n",
                           s->name, seed, report.describe(), s->name, seed, strategy.flags() + faults.flags());
      }
      code = Exit::not_reproduced;
    }
    out << fmt::format("{}: {} seeds, each run twice: {}\n", s->name, count,
                       differing == 0 ? "same trace hashes" : fmt::format("{} differ", differing));
  }
  return code;
}

}  // namespace moira::cli
