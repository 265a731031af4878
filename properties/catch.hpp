#pragma once
// Properties inside Catch2 (v2): properties::require fails the running TEST_CASE with the report,
// and its reproduce line names the test, so pasting it reruns just that test.
#include <catch2/catch.hpp>

#include "properties/property.hpp"

namespace moira::properties {

namespace detail {
std::string this_executable_and_test(const std::string& test_name);
}

template <class F>
Result require(const std::string& name, F f, Config config = {}) {
  if (config.command.empty()) config.command = detail::this_executable_and_test(Catch::getResultCapture().getCurrentTestName());
  Result r = check(name, std::move(f), std::move(config));
  if (!r.passed) FAIL(r.report);
  return r;
}

}  // namespace moira::properties
