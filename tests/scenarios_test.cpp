// The scenarios and the moira command line.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenarios/scenario.hpp"
#include "tools/cli.hpp"

using namespace moira;

namespace {
struct CliRun {
  int code;
  std::string out, err;
};
CliRun moira_cli(std::vector<std::string> args) {
  std::vector<const char*> argv{"moira"};
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = cli::main(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}
}  // namespace

TEST_CASE("healthy scenarios keep their invariants over 100 seeds, and each seed is deterministic", "[scenarios]") {
  for (auto& s : scenarios::all()) {
    if (s.seeded_bug) continue;
    INFO("scenario " << s.name);
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
      INFO("seed " << seed);
      auto a = scenarios::run(s, sim::Strategy::random_walk(seed), false);
      REQUIRE_FALSE(a.outcome.failed());
      if (seed <= 20) {
        auto b = scenarios::run(s, sim::Strategy::random_walk(seed), false);
        REQUIRE(a.outcome.result.trace_hash == b.outcome.result.trace_hash);
      }
    }
  }
}

TEST_CASE("the seeded bug is found by a sweep and its failing seed replays exactly", "[scenarios]") {
  const scenarios::Scenario* s = scenarios::find("lost-update");
  REQUIRE(s != nullptr);
  REQUIRE(s->seeded_bug);
  std::optional<std::uint64_t> failing;
  for (std::uint64_t seed = 1; seed <= 300 && !failing; ++seed) {
    if (scenarios::run(*s, sim::Strategy::random_walk(seed), false).outcome.failed()) failing = seed;
  }
  REQUIRE(failing.has_value());
  auto run = scenarios::run(*s, sim::Strategy::random_walk(*failing), true);
  auto check = std::make_shared<scenarios::Check>();
  auto replayed = sim::replay(run.log, scenarios::as_sim_scenario(*s, check), s->options, s->name);
  CHECK(replayed.reproduced);
  CHECK_FALSE((*check)(replayed.result).ok);
  // And the same seed fails the same way every time.
  auto again = scenarios::run(*s, sim::Strategy::random_walk(*failing), false);
  CHECK_FALSE(again.outcome.verdict.ok);
  CHECK(again.outcome.result.trace_hash == run.outcome.result.trace_hash);
}

TEST_CASE("moira: exit codes and clear errors", "[scenarios]") {
  CHECK(moira_cli({"list"}).code == cli::Exit::ok);
  CHECK(moira_cli({"list"}).out.find("lost-update") != std::string::npos);

  auto unknown = moira_cli({"run", "no-such-scenario"});
  CHECK(unknown.code == cli::Exit::usage);
  CHECK(unknown.err.find("unknown scenario 'no-such-scenario'") != std::string::npos);
  CHECK(unknown.err.find("supervised-pool") != std::string::npos);  // names the known ones

  auto bad_flag = moira_cli({"sweep", "--all", "--bogus"});
  CHECK(bad_flag.code == cli::Exit::usage);
  CHECK(bad_flag.err.find("--help") != std::string::npos);
  CHECK(moira_cli({"sweep", "--all", "--seeds", "0"}).code == cli::Exit::usage);
  CHECK(moira_cli({"run", "ping-monitor", "--strategy", "sideways"}).code == cli::Exit::usage);
  CHECK(moira_cli({}).code == cli::Exit::usage);
  CHECK(moira_cli({"--help"}).code == cli::Exit::ok);

  CHECK(moira_cli({"sweep", "--all", "--seeds", "5"}).code == cli::Exit::ok);
  auto bug = moira_cli({"sweep", "lost-update", "--seeds", "100"});
  CHECK(bug.code == cli::Exit::correctness);
  CHECK(bug.err.find("reproduce: moira run lost-update --seed") != std::string::npos);
  CHECK(moira_cli({"sweep", "lost-update", "--seeds", "100", "--expect-failures"}).code == cli::Exit::ok);
}

TEST_CASE("moira: a saved decision log replays; a malformed or mismatched one is refused", "[scenarios]") {
  std::optional<std::uint64_t> failing;
  for (std::uint64_t seed = 1; seed <= 300 && !failing; ++seed) {
    if (scenarios::run(*scenarios::find("lost-update"), sim::Strategy::random_walk(seed), false).outcome.failed()) failing = seed;
  }
  REQUIRE(failing);
  auto dir = std::filesystem::temp_directory_path();
  std::string log = (dir / "moira_test_replay.log").string();
  std::string garbage_log = (dir / "moira_test_garbage.log").string();
  auto run = moira_cli({"run", "lost-update", "--seed", std::to_string(*failing), "--save-log", log});
  CHECK(run.code == cli::Exit::correctness);
  auto replay = moira_cli({"replay", "lost-update", log});
  CHECK(replay.code == cli::Exit::correctness);  // the bug, reproduced
  CHECK(replay.out.find("reproduced") != std::string::npos);

  auto other = moira_cli({"replay", "ping-monitor", log});
  CHECK(other.code == cli::Exit::usage);
  CHECK(other.err.find("is for scenario 'lost-update'") != std::string::npos);

  std::ofstream(garbage_log) << "not a log\n";
  auto garbage = moira_cli({"replay", "lost-update", garbage_log});
  CHECK(garbage.code == cli::Exit::usage);
  CHECK(garbage.err.find("moira_test_garbage.log:1:") != std::string::npos);
  std::filesystem::remove(log);
  std::filesystem::remove(garbage_log);

  CHECK(moira_cli({"replay", "lost-update", "/no/such/file.log"}).code == cli::Exit::usage);
}
