// `moira shrink`: a failing seed of the seeded-bug scenario shrinks to a run with no more
// surprising decisions than it had, still breaking the same invariant, and the shrunk log replays
// exactly with `moira replay`.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>

#include "sim/decision_log.hpp"
#include "tools/cli.hpp"

using namespace moira;

namespace {
struct Ran {
  int code;
  std::string out, err;
};
Ran moira_cli(std::vector<std::string> args) {
  std::vector<const char*> argv{"moira"};
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = cli::main(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}
std::size_t non_calm(const sim::DecisionLog& log) {
  std::size_t n = 0;
  for (const auto& d : log.decisions) n += d.choice != 0;
  return n;
}
}  // namespace

TEST_CASE("moira shrink reduces a failing seed and the shrunk log replays exactly", "[scenarios][shrink]") {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string original = (dir / fmt::format("moira-shrink-{}-orig.log", ::getpid())).string();
  const std::string shrunk = (dir / fmt::format("moira-shrink-{}-shrunk.log", ::getpid())).string();
  // The first failing seed of a sweep of lost-update.
  std::string seed;
  for (int s = 1; s < 200 && seed.empty(); ++s)
    if (moira_cli({"run", "lost-update", "--seed", std::to_string(s)}).code == cli::Exit::correctness) seed = std::to_string(s);
  REQUIRE_FALSE(seed.empty());
  REQUIRE(moira_cli({"run", "lost-update", "--seed", seed, "--save-log", original}).code == cli::Exit::correctness);

  auto r = moira_cli({"shrink", "lost-update", "--log", original, "--out", shrunk});
  INFO(r.out << r.err);
  CHECK(r.code == cli::Exit::correctness);
  CHECK(r.out.find("before:") != std::string::npos);
  CHECK(r.out.find("after:") != std::string::npos);
  CHECK(r.out.find("still:  invariant broken: balance") != std::string::npos);
  CHECK(non_calm(sim::DecisionLog::load(shrunk)) < non_calm(sim::DecisionLog::load(original)));

  auto replayed = moira_cli({"replay", "lost-update", shrunk});
  INFO(replayed.out << replayed.err);
  CHECK(replayed.out.find("reproduced:") != std::string::npos);
  CHECK(replayed.code == cli::Exit::correctness);
  std::filesystem::remove(original);
  std::filesystem::remove(shrunk);
}

TEST_CASE("moira shrink refuses a seed that does not fail, and an unknown scenario", "[scenarios][shrink]") {
  auto ok = moira_cli({"shrink", "ping-monitor", "--seed", "1"});
  CHECK(ok.code == cli::Exit::usage);
  CHECK(ok.err.find("does not fail") != std::string::npos);
  auto unknown = moira_cli({"shrink", "no-such", "--seed", "1"});
  CHECK(unknown.code == cli::Exit::usage);
  CHECK(unknown.err.find("Known scenarios") != std::string::npos);
}
