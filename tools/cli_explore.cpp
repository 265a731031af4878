#include "tools/cli_explore.hpp"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>

#include "sim/dpor.hpp"
#include "tools/cli.hpp"
#include "tools/cli_common.hpp"

namespace moira::cli {

int cmd_explore(const ExploreRequest& rq, std::ostream& out, std::ostream& err) {
  const scenarios::Scenario* s = find_or_explain(rq.scenario, err);
  if (!s) return Exit::usage;
  auto check = std::make_shared<scenarios::Check>();
  std::optional<scenarios::Outcome> first;
  auto failed = [&](const sim::RunResult& r) {
    scenarios::Outcome o{r, *check ? (*check)(r) : scenarios::Verdict::fail("the scenario built no check")};
    if (o.failed() && !first) first = o;
    return o.failed();
  };
  const auto start = std::chrono::steady_clock::now();
  sim::DporReport report;
  try {
    report = sim::explore_dpor(scenarios::as_sim_scenario(*s, check), s->options, failed, rq.max_runs, rq.dpor, s->name);
  } catch (const Error& e) {
    err << fmt::format("moira explore: {}\n", e.what());
    return Exit::usage;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out << fmt::format("{}: {} ({:.2f} s)\n", s->name, report.describe(), secs);
  int code = Exit::ok;
  if (first && report.first_failure) {
    const std::string path = rq.save_log.empty() ? s->name + ".explore.log" : rq.save_log;
    std::ostringstream log;
    report.first_failure->write(log);
    if (!write_file(path, log.str(), err)) return Exit::usage;
    out << fmt::format("{}: FAILED: {}\n  reproduce: {} replay {} {}\n", s->name, first->why(), rq.program, s->name, path);
    code = exit_for(*first);
  }
  if (!report.complete) {
    err << fmt::format("moira explore: {}: not exhaustive: bound of {} runs hit; raise --max-runs or shrink the scenario\n",
                       s->name, rq.max_runs);
    if (code == Exit::ok) code = Exit::usage;
  }
  return code;
}

}  // namespace moira::cli
