// The strategies and options that have a library API also have a flag, and a reproduce line
// printed by a sweep under them runs the same schedule again.
#include <catch2/catch.hpp>

#include <cstdio>
#include <regex>
#include <sstream>

#include "tests/cli_runner.hpp"
#include "tools/cli.hpp"

using namespace moira;
using test::moira_cli;

namespace {

std::vector<std::string> words(const std::string& text) {
  std::istringstream in{text};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Sweeps lost-update with `flags`, takes the first failure's reproduce line, runs it: the same
// failure, with the same message.
void reproduce_line_runs_it_again(const std::vector<std::string>& flags, const std::string& expect_in_line) {
  std::vector<std::string> args{"sweep", "lost-update", "--seeds", "200"};
  args.insert(args.end(), flags.begin(), flags.end());
  auto sweep = moira_cli(args);
  INFO(sweep.err);
  REQUIRE(sweep.code == cli::Exit::correctness);
  std::smatch m;
  REQUIRE(std::regex_search(sweep.err, m, std::regex{R"(lost-update seed ([0-9]+): ([^\n]+)\n  reproduce: moira (run [^\n]+))"}));
  const std::string why = m[2], line = m[3];
  CHECK(line.find(expect_in_line) != std::string::npos);
  auto again = moira_cli(words(line));
  INFO(line);
  CHECK(again.code == cli::Exit::correctness);
  CHECK(again.out.find("FAILED: " + why) != std::string::npos);
}

}  // namespace

TEST_CASE("cli: --strategy delay-bounding and portfolio: a sweep's reproduce line re-runs the failing schedule",
          "[scenarios][cli-strategies]") {
  SECTION("delay-bounding") {
    reproduce_line_runs_it_again({"--strategy", "delay-bounding", "--delays", "3", "--pct-steps", "400"},
                                 " --strategy delay-bounding --delays 3 --pct-steps 400");
  }
  SECTION("portfolio, with time jumps and buggify") {
    reproduce_line_runs_it_again({"--strategy", "portfolio", "--pct-steps", "300", "--time-jumps", "2", "--buggify"},
                                 " --strategy portfolio --pct-steps 300 --time-jumps 2 --buggify");
  }
}

TEST_CASE("cli: --time-jumps and --buggify are part of the log's options; --help says when to use each strategy",
          "[scenarios][cli-strategies]") {
  auto help = moira_cli({"sweep", "--help"});
  for (const char* text : {"delay-bounding (the calm FIFO schedule", "portfolio (seed by seed", "--delays",
                           "--time-jumps", "--buggify", "timeouts must race work in progress"})
    CHECK(help.out.find(text) != std::string::npos);
  CHECK(moira_cli({"run", "lost-update", "--strategy", "nope"}).code == cli::Exit::usage);
  const std::string log = "/tmp/moira_cli_strategies_test.log";
  REQUIRE(moira_cli({"run", "lost-update", "--seed", "3", "--time-jumps", "2", "--buggify", "--save-log", log}).code !=
          cli::Exit::usage);
  CHECK(moira_cli({"replay", "lost-update", log}).err.find("options fingerprint") != std::string::npos);
  auto with = moira_cli({"replay", "lost-update", log, "--time-jumps", "2", "--buggify"});
  CHECK(with.out.find("reproduced") != std::string::npos);
  CHECK(with.code != cli::Exit::not_reproduced);
  std::remove(log.c_str());
  CHECK(moira_cli({"run", "lost-update", "--delays", "0"}).code == cli::Exit::usage);
}
