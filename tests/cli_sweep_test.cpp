// The command line for other people's scenarios and for CI: registration, --jobs, --shard,
// --time-budget, the JUnit report, determinism and --version.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "scenarios/catch.hpp"
#include "scenarios/scenario.hpp"
#include "tests/cli_runner.hpp"
#include "tools/cli.hpp"
#include "tools/sweep.hpp"

using namespace moira;
using test::moira_cli;
using test::read_file;
using test::CliRun;

namespace {

// A user's scenario, registered the way a user's file does it: healthy, and cheap.
scenarios::Scenario test_echo() {
  scenarios::Scenario s;
  s.name = "test-echo";
  s.summary = "a reply comes back (registered by the tests with MOIRA_SCENARIO)";
  s.setup = [](sim::Simulation& sim) -> scenarios::Check {
    auto got = std::make_shared<int>(0);
    sim.spawn([got](Process& self) {
      Pid echo = self.spawn([](Process& me) {
        auto [from, n] = me.receive<std::pair<Pid, int>>();
        me.send(from, n + 1);
      });
      self.send(echo, std::pair{self.self(), 41});
      *got = self.receive<int>();
    });
    return [got](const sim::RunResult&) {
      return *got == 42 ? scenarios::Verdict::pass() : scenarios::Verdict::fail("no reply");
    };
  };
  return s;
}

// The report without what is wall time (time=, timestamp=): what must not depend on --jobs.
std::string without_times(const std::string& xml) {
  return std::regex_replace(xml, std::regex{R"( (time|timestamp)="[^"]*")"}, "");
}

// The failure lines of stderr (progress lines carry rates, which vary).
std::string failure_lines(const std::string& err) {
  std::istringstream in{err};
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("seeds/s") == std::string::npos) out += line + "\n";
  return out;
}

std::set<std::uint64_t> failing_seeds(const std::string& xml) {
  std::set<std::uint64_t> seeds;
  std::regex re{R"re(name="seed ([0-9]+)")re"};
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), re); it != std::sregex_iterator(); ++it)
    seeds.insert(std::stoull((*it)[1]));
  return seeds;
}

const std::filesystem::path tmp = std::filesystem::temp_directory_path();

}  // namespace

MOIRA_SCENARIO(test_echo);

TEST_CASE("a user's scenario registered with MOIRA_SCENARIO gets the whole command line", "[scenarios]") {
  CHECK(moira_cli({"list"}).out.find("test-echo") != std::string::npos);
  auto sweep = moira_cli({"sweep", "test-echo", "--seeds", "20", "--jobs", "2"});
  CHECK(sweep.code == cli::Exit::ok);
  CHECK(sweep.out.find("test-echo: 20 seeds") != std::string::npos);
  CHECK(moira_cli({"run", "test-echo", "--seed", "3"}).code == cli::Exit::ok);
  CHECK(moira_cli({"determinism", "test-echo", "--seeds", "3"}).out.find("same trace hashes") != std::string::npos);

  CHECK_THROWS_WITH(scenarios::add(test_echo()), Catch::Contains("two scenarios are named 'test-echo'"));
  scenarios::Scenario spaced = test_echo();
  spaced.name = "has space";
  CHECK_THROWS_WITH(scenarios::add(spaced), Catch::Contains("without spaces"));
}

TEST_CASE("require_seeds: a scenario over N seeds in a TEST_CASE, failing with the seed and the reproduce line", "[scenarios]") {
  auto ok = scenarios::require_seeds("test-echo", {25});
  CHECK(ok.ran == 25);
  auto bad = scenarios::check_seeds(*scenarios::find("lost-update"), {300, 1, "my_cli"});
  REQUIRE(bad.failing_seed);
  CHECK(bad.message.find(fmt::format("failed at seed {}", *bad.failing_seed)) != std::string::npos);
  CHECK(bad.message.find(fmt::format("reproduce: my_cli run lost-update --seed {}", *bad.failing_seed)) != std::string::npos);
}

TEST_CASE("moira sweep --jobs: the same failing seeds, exit code and JUnit (apart from times) for every N", "[sweep-jobs]") {
  std::string one = (tmp / "moira_jobs1.xml").string(), three = (tmp / "moira_jobs3.xml").string();
  auto a = moira_cli({"sweep", "lost-update", "supervised-pool", "--seeds", "40", "--jobs", "1", "--junit", one});
  auto b = moira_cli({"sweep", "lost-update", "supervised-pool", "--seeds", "40", "--jobs", "3", "--junit", three});
  CHECK(a.code == cli::Exit::correctness);
  CHECK(b.code == a.code);
  CHECK(failure_lines(b.err) == failure_lines(a.err));
  const std::string xml = read_file(one);
  CHECK_FALSE(failing_seeds(xml).empty());
  CHECK(without_times(read_file(three)) == without_times(xml));
  std::filesystem::remove(one);
  std::filesystem::remove(three);
}

TEST_CASE("moira sweep --shard: parts 1/4..4/4 are disjoint and together are the whole sweep", "[scenarios]") {
  for (std::uint64_t count : {1, 7, 50, 1001}) {
    for (std::uint64_t n : {1, 3, 4, 9}) {
      std::uint64_t next = 5;
      for (std::uint64_t i = 1; i <= n; ++i) {
        auto r = cli::shard_range(fmt::format("{}/{}", i, n), 5, count);
        REQUIRE(r.error.empty());
        CHECK(r.begin == next);  // each part starts where the last ended: disjoint, no gap
        next = r.end;
      }
      CHECK(next == 5 + count);
    }
  }
  std::string whole_path = (tmp / "moira_whole.xml").string();
  moira_cli({"sweep", "lost-update", "--seeds", "60", "--junit", whole_path});
  const auto whole = failing_seeds(read_file(whole_path));
  std::set<std::uint64_t> parts;
  std::uint64_t part_sizes = 0;
  for (int i = 1; i <= 4; ++i) {
    std::string p = (tmp / fmt::format("moira_shard{}.xml", i)).string();
    auto r = moira_cli({"sweep", "lost-update", "--seeds", "60", "--shard", fmt::format("{}/4", i), "--junit", p});
    CHECK(r.err.find(fmt::format("shard {}/4: seeds", i)) != std::string::npos);
    for (auto seed : failing_seeds(read_file(p))) CHECK(parts.insert(seed).second);
    std::smatch m;
    std::string xml = read_file(p);
    REQUIRE(std::regex_search(xml, m, std::regex{R"re(name="seeds ([0-9]+)\.\.([0-9]+)")re"}));
    part_sizes += std::stoull(m[2]) - std::stoull(m[1]) + 1;
    std::filesystem::remove(p);
  }
  CHECK(part_sizes == 60);
  CHECK(parts == whole);
  std::filesystem::remove(whole_path);

  for (std::string bad : {"0/4", "5/4", "2", "a/b", "1/0", "2/4x"}) {
    auto r = moira_cli({"sweep", "lost-update", "--shard", bad});
    INFO(bad << ": " << r.err);
    CHECK(r.code == cli::Exit::usage);
    CHECK(r.err.find("use i/n") != std::string::npos);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
  CHECK(moira_cli({"sweep", "lost-update", "--jobs", "0"}).err.find("--jobs: 0 is out of range") != std::string::npos);
}

TEST_CASE("moira sweep --junit: time, timestamp, typed failures, one testcase for the passing seeds", "[scenarios]") {
  std::string path = (tmp / "moira_junit_attrs.xml").string();
  auto r = moira_cli({"sweep", "supervised-pool", "lost-update", "--seeds", "50", "--junit", path});
  CHECK(r.code == cli::Exit::correctness);
  const std::string xml = read_file(path);
  INFO(xml);
  const auto failing = failing_seeds(xml);
  REQUIRE_FALSE(failing.empty());
  // supervised-pool: 50 passing seeds are one testcase, with a time.
  CHECK(std::regex_search(xml, std::regex{R"(<testsuite name="supervised-pool" tests="1" failures="0" errors="0" skipped="0" time="[0-9.]+" timestamp="20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]+Z">)"}));
  CHECK(std::regex_search(xml, std::regex{R"(<testcase classname="moira.supervised-pool" name="seeds 1..50" time="[0-9.]+"></testcase>)"}));
  // lost-update: the passing seeds, and one testcase per failing seed with a typed failure.
  CHECK(xml.find(fmt::format("<testsuite name=\"lost-update\" tests=\"{}\" failures=\"{}\"", 1 + failing.size(), failing.size())) !=
        std::string::npos);
  const auto seed = *failing.begin();
  CHECK(std::regex_search(xml, std::regex{fmt::format(
                                   R"(<testcase classname="moira.lost-update" name="seed {}" time="[0-9.]+"><failure type="invariant" message="invariant broken: [^"]+">reproduce: moira run lost-update --seed {}</failure></testcase>)",
                                   seed, seed)}));

  auto expected = moira_cli({"sweep", "lost-update", "--seeds", "50", "--expect-failures", "--junit", path});
  CHECK(expected.code == cli::Exit::ok);
  const std::string quiet = read_file(path);
  CHECK(quiet.find("<failure") == std::string::npos);
  CHECK(quiet.find("found the seeded bug in") != std::string::npos);
  std::filesystem::remove(path);
}

TEST_CASE("moira sweep --time-budget stops cleanly and says which seeds remain", "[scenarios]") {
  // A billion seeds never finish in a second: the sweep must stop on its own and name the rest.
  auto r = moira_cli({"sweep", "supervised-pool", "--seeds", "1000000000", "--time-budget", "1", "--jobs", "2"});
  CHECK(r.code == cli::Exit::ok);
  std::smatch m;
  REQUIRE(std::regex_search(r.out, m, std::regex{R"(--time-budget ran out after ([0-9]+) of 1000000000 seeds.*the rest: --first-seed ([0-9]+) --seeds ([0-9]+))"}));
  CHECK(std::stoull(m[2]) == std::stoull(m[1]) + 1);
  CHECK(std::stoull(m[1]) + std::stoull(m[3]) == 1000000000);
}

TEST_CASE("moira --version and moira determinism", "[scenarios]") {
  auto v = moira_cli({"--version"});
  CHECK(v.code == cli::Exit::ok);
  CHECK(std::regex_search(v.out, std::regex{R"(^moira [0-9]+\.[0-9]+\.[0-9]+)"}));
  auto d = moira_cli({"determinism", "ping-monitor", "lost-update", "--seeds", "3"});
  CHECK(d.code == cli::Exit::ok);
  CHECK(d.out.find("ping-monitor: 3 seeds, each run twice: same trace hashes") != std::string::npos);
  CHECK(moira_cli({"determinism", "nope"}).code == cli::Exit::usage);
}

TEST_CASE("fault flags override a scenario's settings and go into reproduce lines and the log's options", "[scenarios]") {
  auto sweep = moira_cli({"sweep", "lost-update", "--seeds", "100", "--relaxed-delivery", "--latency-max-ms", "20"});
  CHECK(sweep.code == cli::Exit::correctness);
  CHECK(sweep.err.find("reproduce: moira run lost-update --seed") != std::string::npos);
  CHECK(sweep.err.find(" --relaxed-delivery --latency-max-ms 20\n") != std::string::npos);

  std::string log = (tmp / "moira_swarm.log").string();
  REQUIRE(moira_cli({"run", "ping-monitor", "--seed", "5", "--swarm", "--kill-rate", "0.5", "--save-log", log}).code !=
          cli::Exit::usage);
  auto without = moira_cli({"replay", "ping-monitor", log});
  CHECK(without.code == cli::Exit::usage);  // other options: the fingerprint differs
  CHECK(without.err.find("options fingerprint") != std::string::npos);
  auto with = moira_cli({"replay", "ping-monitor", log, "--swarm", "--kill-rate", "0.5"});
  CHECK(with.out.find("reproduced") != std::string::npos);
  CHECK(with.code != cli::Exit::usage);
  CHECK(with.code != cli::Exit::not_reproduced);
  std::filesystem::remove(log);

  auto bad = moira_cli({"run", "ping-monitor", "--drop", "2"});
  CHECK(bad.code == cli::Exit::usage);
  CHECK(bad.err.find("--drop: '2' is not a number from 0 to 1") != std::string::npos);
  auto empty = moira_cli({"run", "ping-monitor", "--latency-min-ms", "50", "--latency-max-ms", "5"});
  CHECK(empty.code == cli::Exit::usage);
  CHECK(empty.err.find("give --latency-min-ms at most --latency-max-ms") != std::string::npos);
}

TEST_CASE("moira explore: the count covered, whether exhaustive, and a clear error when the bound is hit", "[scenarios][dpor]") {
  CliRun all = moira_cli({"explore", "test-echo"});
  CHECK(all.code == 0);
  CHECK_THAT(all.out, Catch::Contains("test-echo: dpor:") && Catch::Contains(", exhaustive"));
  CliRun plain = moira_cli({"explore", "test-echo", "--no-dpor"});
  CHECK(plain.code == 0);
  CHECK_THAT(plain.out, Catch::Contains("dfs (no reduction):") && Catch::Contains(", exhaustive"));
  CliRun bounded = moira_cli({"explore", "test-echo", "--no-dpor", "--max-runs", "2"});
  CHECK(bounded.code == cli::Exit::usage);
  CHECK_THAT(bounded.err, Catch::Contains("not exhaustive: bound of 2 runs hit; raise --max-runs or shrink the scenario"));
  CHECK(moira_cli({"explore", "no-such-scenario"}).code == cli::Exit::usage);
}
