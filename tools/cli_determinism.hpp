#pragma once
// `moira determinism`: runs each seed of scenarios twice and compares the trace hashes; where they
// differ it names the first event that does (a wall clock, a real thread, rand(), pointer order).
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "tools/cli_common.hpp"

namespace moira::cli {

int cmd_determinism(const std::vector<std::string>& names, std::uint64_t first, std::uint64_t count,
                    const StrategyFlags& strategy, const FaultFlags& faults, std::ostream& out, std::ostream& err);

}  // namespace moira::cli
