#pragma once
// Scenarios inside Catch2 (v2): require_seeds runs a scenario over N seeds in a TEST_CASE and fails
// it with the first failing seed, why, and the line that reproduces it.
//   TEST_CASE("my counter survives 200 seeds") { moira::scenarios::require_seeds("counter", {200, 1, "my_cli"}); }
#include <catch2/catch.hpp>

#include <string_view>

#include "scenarios/seeds.hpp"

namespace moira::scenarios {

inline SeedsReport require_seeds(const Scenario& s, const Seeds& seeds = {}) {
  SeedsReport r = check_seeds(s, seeds);
  if (r.failing_seed) FAIL(r.message);
  return r;
}

inline SeedsReport require_seeds(std::string_view name, const Seeds& seeds = {}) {
  const Scenario* s = find(name);
  if (!s) FAIL("no scenario named '" << name << "' is registered; known: " << names());
  return require_seeds(*s, seeds);
}

}  // namespace moira::scenarios
