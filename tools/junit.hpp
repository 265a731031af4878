#pragma once
// JUnit XML for sweeps, sized for CI servers (Jenkins, GitLab): per scenario one testsuite with one
// testcase for the seeds that passed and one per failing seed (a failure with a type, a message
// and the line that reproduces it). A passing 2,000-seed sweep is one testcase, not 2,000.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace moira::cli {

struct JunitFailure {
  std::string name;     // the testcase: "seed 9"
  std::string type;     // invariant, liveness, diverged, expected-failure-missing, not-reproduced
  std::string message;  // why, one line
  std::string body;     // the reproduce line
  double secs = 0;
};

struct JunitSuite {
  std::string scenario;
  std::string timestamp;  // ISO 8601, UTC: when this scenario's sweep started
  double secs = 0;        // wall time of the scenario's sweep
  std::uint64_t first_seed = 0;
  std::uint64_t seeds_run = 0;
  double passed_secs = 0;  // the seeds that passed, summed
  std::string strategy;
  std::string note;                          // the summary testcase's system-out
  std::vector<JunitFailure> failures;        // one testcase each, in seed order
  std::uint64_t failures_not_listed = 0;     // beyond kMaxListedFailures: counted in the summary
  std::optional<JunitFailure> summary_failure;
};

// Failing seeds beyond this many are counted in the summary testcase instead of listed.
inline constexpr std::size_t kMaxListedFailures = 100;

std::string junit_xml(const std::vector<JunitSuite>& suites);
std::string utc_timestamp_now();

}  // namespace moira::cli
