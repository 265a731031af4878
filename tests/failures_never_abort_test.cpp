// A failure thrown while an engine is alive must be reported by the test framework, not abort the
// binary: runs tests/failing/failures_never_abort_cases.cpp (every case of which fails on purpose)
// and reads what it printed.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <map>
#include <string>

namespace {

struct Outcome {
  int status = -1;
  std::string output;
};

Outcome run_failing_cases() {
  Outcome out;
  std::FILE* pipe = ::popen(MOIRA_FAILING_CASES " 2>&1", "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.output.append(buf.data(), n);
  out.status = ::pclose(pipe);
  return out;
}

std::map<std::string, int> count_unwound(const std::string& output) {
  std::map<std::string, int> counts;
  const std::string mark = "unwound: ";
  for (std::size_t at = output.find(mark); at != std::string::npos; at = output.find(mark, at + 1)) {
    std::size_t end = output.find('\n', at);
    ++counts[output.substr(at + mark.size(), end - at - mark.size())];
  }
  return counts;
}

}  // namespace

TEST_CASE("failures thrown with a live engine are reported, never abort", "[robustness]") {
  Outcome r = run_failing_cases();
  INFO(r.output);
  REQUIRE(WIFEXITED(r.status));  // not killed by SIGABRT or SIGSEGV
  CHECK(WEXITSTATUS(r.status) > 0);
  CHECK(r.output.find("test cases: 6 | 6 failed") != std::string::npos);
  CHECK(r.output.find("thrown on purpose with a live Simulation") != std::string::npos);
  CHECK(r.output.find("thrown on purpose with a live ThreadedEngine") != std::string::npos);
  CHECK(r.output.find("does not end after being condemned") == std::string::npos);
  // Every engine that was torn down unwound all three of its blocked processes.
  auto unwound = count_unwound(r.output);
  CHECK(unwound["receive"] >= 6);
  CHECK(unwound["sleep"] == unwound["receive"]);
  CHECK(unwound["call"] == unwound["receive"]);
}
