// The scenarios and the moira command line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenarios/scenario.hpp"
#include "tests/cli_runner.hpp"
#include "tools/cli.hpp"

using namespace moira;
using test::moira_cli;
using test::read_file;

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

TEST_CASE("moira: bad numbers are refused with their range, never wrapped", "[scenarios]") {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases{
      {{"sweep", "--all", "--seeds", "-5"}, "--seeds: '-5' is not a whole number"},
      {{"sweep", "--all", "--seeds", "18446744073709551616"}, "--seeds: 18446744073709551616 is out of range"},
      {{"sweep", "--all", "--seeds", "0"}, "--seeds: 0 is out of range: use a number from 1 to"},
      {{"sweep", "--all", "--first-seed", "-1"}, "--first-seed: '-1' is not a whole number"},
      {{"sweep", "--all", "--first-seed", "18446744073709551615", "--seeds", "2"}, "runs past the last seed"},
      {{"run", "ping-monitor", "--strategy", "pct", "--pct-depth", "1000000000"}, "--pct-depth: 1000000000 is out of range"},
      {{"run", "ping-monitor", "--seed", "12abc"}, "--seed: '12abc' is not a whole number"},
  };
  for (const Case& c : cases) {
    auto r = moira_cli(c.args);
    INFO(r.err);
    CHECK(r.code == cli::Exit::usage);
    CHECK(r.err.find(c.says) != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);  // one line
  }
}

TEST_CASE("moira: a failed write is an error, not a success", "[scenarios]") {
  // A stream whose every write fails, like standard output on a full disk.
  struct FullDisk : std::streambuf {
    int overflow(int) override { return traits_type::eof(); }
    std::streamsize xsputn(const char*, std::streamsize) override { return 0; }
  } full;
  std::ostream out{&full};
  std::ostringstream err;
  std::vector<const char*> argv{"moira", "list"};
  CHECK(cli::main(static_cast<int>(argv.size()), argv.data(), out, err) == cli::Exit::usage);
  CHECK(err.str().find("writing the output failed") != std::string::npos);

  if (std::filesystem::exists("/dev/full")) {
    auto junit = moira_cli({"sweep", "supervised-pool", "--seeds", "2", "--junit", "/dev/full"});
    CHECK(junit.code == cli::Exit::usage);
    CHECK(junit.err.find("cannot write /dev/full") != std::string::npos);
  }
  auto nowhere = moira_cli({"sweep", "supervised-pool", "--seeds", "2", "--junit", "/no/such/dir/out.xml"});
  CHECK(nowhere.code == cli::Exit::usage);
  CHECK(nowhere.out.empty());  // refused before the sweep, not after it
}

TEST_CASE("moira replay: a log is read with bounds, and every recorded field is checked", "[scenarios]") {
  if (std::filesystem::exists("/dev/zero")) {
    auto zero = moira_cli({"replay", "lost-update", "/dev/zero"});
    CHECK(zero.code == cli::Exit::usage);
    CHECK(zero.err.find("is this a moira decision log?") != std::string::npos);
  }
  auto dir = std::filesystem::temp_directory_path();
  std::string log = (dir / "moira_test_edit.log").string();
  std::string edited = (dir / "moira_test_edited.log").string();
  REQUIRE(moira_cli({"run", "supervised-pool", "--seed", "4", "--save-log", log}).code == cli::Exit::ok);
  std::stringstream original;
  original << std::ifstream(log).rdbuf();
  const std::string text = original.str();
  REQUIRE(moira_cli({"replay", "supervised-pool", log}).code == cli::Exit::ok);

  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    std::size_t at = t.find(from);
    REQUIRE(at != std::string::npos);
    t.replace(at, from.size(), to);
    std::ofstream(edited) << t;
    return moira_cli({"replay", "supervised-pool", edited});
  };
  auto end_line = text.substr(text.rfind("end hash="));
  std::string hash = end_line.substr(9, 18);
  std::string steps = end_line.substr(end_line.find("steps="));
  std::string outcome = end_line.substr(end_line.find("outcome="), end_line.find(" steps=") - end_line.find("outcome="));
  struct Edit {
    std::string from, to, field;
  };
  const std::vector<Edit> edits{
      {"seed 4\n", "seed 5\n", "seed:"},
      {hash, "0x0123456789abcdef", "trace hash:"},
      {steps, "steps=" + std::to_string(std::stoull(steps.substr(6)) + 1) + "\n", "steps:"},
      {outcome, outcome == "outcome=completed" ? "outcome=deadlocked" : "outcome=completed", "outcome:"},
  };
  for (const Edit& e : edits) {
    INFO("edit " << e.from << " -> " << e.to);
    auto r = replace(e.from, e.to);
    CHECK(r.code == cli::Exit::not_reproduced);
    CHECK(r.err.find("does not reproduce its run: " + e.field) != std::string::npos);
  }
  std::filesystem::remove(log);
  std::filesystem::remove(edited);
}
