#pragma once
// A scenario over a range of seeds, as a unit test runs it: the first failing seed, why, and the
// command line that reproduces it. scenarios/catch.hpp turns a failure into a failed TEST_CASE.
#include <cstdint>
#include <optional>
#include <string>

#include "scenarios/scenario.hpp"

namespace moira::scenarios {

struct Seeds {
  std::uint64_t count = 100;
  std::uint64_t first = 1;
  std::string cli = "moira";  // the binary with this scenario registered, for the reproduce line
};

struct SeedsReport {
  std::uint64_t ran = 0;  // seeds run, up to and including the first failing one
  std::optional<std::uint64_t> failing_seed;
  std::string message;  // when one failed: which seed, why, and "reproduce: <cli> run <name> --seed N"
};

// Runs seeds first, first+1, ... under the random walk; stops at the first that fails.
SeedsReport check_seeds(const Scenario& s, const Seeds& seeds = {});

}  // namespace moira::scenarios
