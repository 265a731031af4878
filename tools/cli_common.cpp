#include "tools/cli_common.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <ostream>

#include "tools/cli.hpp"
#include "tools/cli_numbers.hpp"

namespace moira::cli {
namespace {
constexpr unsigned kMaxPctDepth = 64;
constexpr std::uint64_t kMaxPctSteps = 1'000'000'000;
}  // namespace

sim::Strategy StrategyFlags::make(std::uint64_t seed) const {
  if (kind == "fair-pct") return sim::Strategy::fair_pct(seed, pct_depth, pct_steps);
  if (kind == "pos") return sim::Strategy::pos(seed);
  if (kind == "delay-bounding") return sim::Strategy::delay_bounding(seed, delays, pct_steps);
  if (kind == "portfolio") {
    // k is --pct-steps, not learned over the sweep: what a seed runs then depends on the seed alone
    // (not on which seeds ran before it, nor on --jobs), so its reproduce line runs it again.
    sim::Strategy s = sim::Strategy::portfolio(seed);
    s.expected_steps = pct_steps;
    s.memory = nullptr;
    return s;
  }
  return kind == "pct" ? sim::Strategy::pct(seed, pct_depth, pct_steps) : sim::Strategy::random_walk(seed);
}

std::string StrategyFlags::flags() const {
  if (kind == "random") return "";
  if (kind == "pos") return " --strategy pos";
  if (kind == "portfolio") return fmt::format(" --strategy portfolio --pct-steps {}", pct_steps);
  if (kind == "delay-bounding") return fmt::format(" --strategy delay-bounding --delays {} --pct-steps {}", delays, pct_steps);
  return fmt::format(" --strategy {} --pct-depth {} --pct-steps {}", kind, pct_depth, pct_steps);
}

void add_strategy_flags(CLI::App* app, StrategyFlags& s) {
  app->add_option("--strategy", s.kind,
                  "random (a seeded random walk: broad sweeps, liveness), pct (PCT, Burckhardt et al. 2010: ordering "
                  "bugs of depth --pct-depth), fair-pct (PCT, then random after --pct-steps, so liveness failures can "
                  "be trusted), pos (partial-order sampling: a second opinion to random), delay-bounding (the calm "
                  "FIFO schedule with --delays delays at random steps: bugs that need one process slow at one moment) "
                  "or portfolio (seed by seed: random, PCT d=2, PCT d=3, POS, delay bounding; when you do not know "
                  "which fits)")
      ->check(CLI::IsMember({"random", "pct", "fair-pct", "pos", "delay-bounding", "portfolio"}))
      ->capture_default_str();
  add_number(app, "--pct-depth", s.pct_depth, 1u, kMaxPctDepth, "PCT bug depth d (d-1 priority change points)");
  add_number(app, "--pct-steps", s.pct_steps, std::uint64_t{1}, kMaxPctSteps,
             "k, the expected number of steps of a run (pct, fair-pct, delay-bounding, portfolio)");
  add_number(app, "--delays", s.delays, 1u, kMaxPctDepth, "delay-bounding: how many delays a run gets");
}

bool FaultFlags::any() const {
  return swarm || swarm_duplicate || duplicate_probability || relaxed || kill_per_second || crash_per_second || partition_per_second || drop_probability ||
         latency_min_ms || latency_max_ms || time_jumps || local_time_jumps || preempt_at_exit || buggify || heal_at_ms ||
         converge_within_ms;
}

std::string FaultFlags::apply(scenarios::Scenario& s) const {
  sim::Options& o = s.options;
  if (swarm) o.swarm = true;
  if (swarm_duplicate) o.swarm = o.swarm_duplicate = true;
  if (relaxed) o.relaxed_delivery = true;
  if (kill_per_second) o.faults.kill_per_second = *kill_per_second;
  if (crash_per_second) o.faults.crash_per_second = *crash_per_second;
  if (partition_per_second) o.faults.partition_per_second = *partition_per_second;
  if (drop_probability) o.faults.drop_probability = *drop_probability;
  if (duplicate_probability) o.faults.duplicate_probability = *duplicate_probability;
  if (latency_min_ms) o.latency_min = std::chrono::milliseconds{*latency_min_ms};
  if (latency_max_ms) o.latency_max = std::chrono::milliseconds{*latency_max_ms};
  if (time_jumps) o.time_jumps = *time_jumps;
  if (local_time_jumps) o.local_time_jumps = true;
  if (preempt_at_exit) o.preempt_at_exit = true;
  if (buggify) o.buggify = true;
  if (heal_at_ms) o.heal_at = std::chrono::milliseconds{*heal_at_ms};
  if (converge_within_ms) o.converge_within = std::chrono::milliseconds{*converge_within_ms};
  if (o.converge_within.count() > 0 && o.heal_at.count() == 0)
    return "--converge-within needs a heal: give --heal-at MS too (when the fault phase ends)";
  if (o.latency_min > o.latency_max) {
    return fmt::format("latency from {} ms to {} ms is empty: give --latency-min-ms at most --latency-max-ms",
                       std::chrono::duration_cast<std::chrono::milliseconds>(o.latency_min).count(),
                       std::chrono::duration_cast<std::chrono::milliseconds>(o.latency_max).count());
  }
  return {};
}

std::string FaultFlags::flags() const {
  std::string f;
  if (swarm) f += " --swarm";
  if (swarm_duplicate) f += " --swarm-duplicate";
  if (relaxed) f += " --relaxed-delivery";
  // {} prints the shortest text that reads back as the same double: the reproduce line is exact.
  if (kill_per_second) f += fmt::format(" --kill-rate {}", *kill_per_second);
  if (crash_per_second) f += fmt::format(" --crash-rate {}", *crash_per_second);
  if (partition_per_second) f += fmt::format(" --partition-rate {}", *partition_per_second);
  if (drop_probability) f += fmt::format(" --drop {}", *drop_probability);
  if (duplicate_probability) f += fmt::format(" --duplicate {}", *duplicate_probability);
  if (latency_min_ms) f += fmt::format(" --latency-min-ms {}", *latency_min_ms);
  if (latency_max_ms) f += fmt::format(" --latency-max-ms {}", *latency_max_ms);
  if (time_jumps) f += fmt::format(" --time-jumps {}", *time_jumps);
  if (local_time_jumps) f += " --local-time-jumps";
  if (preempt_at_exit) f += " --preempt-at-exit";
  if (buggify) f += " --buggify";
  if (heal_at_ms) f += fmt::format(" --heal-at {}", *heal_at_ms);
  if (converge_within_ms) f += fmt::format(" --converge-within {}", *converge_within_ms);
  return f;
}

void add_fault_flags(CLI::App* app, FaultFlags& f) {
  app->add_flag("--swarm", f.swarm, "swarm testing: each run draws its own fault settings from its seed");
  app->add_flag("--relaxed-delivery", f.relaxed, "local messages may be delivered in any order that keeps per-pair FIFO");
  add_real(app, "--kill-rate", f.kill_per_second, 0, 1000, "processes killed per virtual second");
  add_real(app, "--crash-rate", f.crash_per_second, 0, 1000, "node crashes per virtual second");
  add_real(app, "--partition-rate", f.partition_per_second, 0, 1000, "partitions per virtual second");
  add_real(app, "--drop", f.drop_probability, 0, 1, "probability that a message between nodes is lost");
  add_real(app, "--duplicate", f.duplicate_probability, 0, 1,
           "probability that a message between nodes arrives twice (the copy later, outside FIFO order): for code "
           "that runs over an at-least-once transport of its own (Erlang's distribution never duplicates)");
  app->add_flag("--swarm-duplicate", f.swarm_duplicate, "--swarm, and the drawn settings include --duplicate");
  add_number(app, "--latency-min-ms", f.latency_min_ms, std::uint64_t{0}, std::uint64_t{3'600'000},
             "shortest latency between nodes, in virtual ms");
  add_number(app, "--latency-max-ms", f.latency_max_ms, std::uint64_t{0}, std::uint64_t{3'600'000},
             "longest latency between nodes, in virtual ms");
  add_number(app, "--time-jumps", f.time_jumps, std::uint32_t{0}, std::uint32_t{1'000'000},
             "up to N times a run, virtual time may jump to the next timer or arrival while processes could still "
             "run: use it when timeouts must race work in progress (a slow reply, a lease ending mid-operation)");
  app->add_flag("--local-time-jumps", f.local_time_jumps,
                "with --relaxed-delivery and --time-jumps: a local message may be held until the next timer, so a "
                "receive timeout can beat a reply already sent");
  app->add_flag("--preempt-at-exit", f.preempt_at_exit,
                "a preemption point between a process's end and its exit signals (races with its links and monitors)");
  add_number(app, "--heal-at", f.heal_at_ms, std::uint64_t{1}, std::uint64_t{86'400'000},
             "virtual ms: then partitions heal, downed nodes restart, faults stop, and every liveness monitor must "
             "go cold again (heal-then-converge)");
  add_number(app, "--converge-within", f.converge_within_ms, std::uint64_t{1}, std::uint64_t{86'400'000},
             "virtual ms after --heal-at by which every monitor must be cold, else the run did not converge");
  app->add_flag("--buggify", f.buggify,
                "sim::buggify() points may fire (each enabled on some runs): use it when the code has BUGGIFY "
                "points for its rare paths");
}

const scenarios::Scenario* find_or_explain(const std::string& name, std::ostream& err) {
  const scenarios::Scenario* s = scenarios::find(name);
  if (!s) err << fmt::format("moira: unknown scenario '{}'. Known scenarios: {} (moira list describes them)\n", name, scenarios::names());
  return s;
}

std::optional<scenarios::Scenario> find_with_faults(const std::string& name, const FaultFlags& faults, std::ostream& err) {
  const scenarios::Scenario* s = find_or_explain(name, err);
  if (!s) return std::nullopt;
  scenarios::Scenario adjusted = *s;
  if (std::string e = faults.apply(adjusted); !e.empty()) {
    err << "moira: " << e << "\n";
    return std::nullopt;
  }
  return adjusted;
}

int exit_for(const scenarios::Outcome& o) {
  if (!o.verdict.ok) return Exit::correctness;
  if (o.result.failure) {
    return o.result.failure->kind == sim::Failure::Kind::require ? Exit::correctness : Exit::liveness;
  }
  if (o.result.outcome == sim::Outcome::deadlocked && !o.result.ok()) return Exit::liveness;
  if (o.result.outcome == sim::Outcome::bound_exceeded) return Exit::liveness;
  if (o.result.outcome == sim::Outcome::diverged) return Exit::not_reproduced;
  return Exit::ok;
}

bool write_file(const std::string& path, const std::string& text, std::ostream& err) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) {
    f << text;
    f.close();
  }
  if (!f) {
    err << fmt::format("moira: cannot write {}: {}\n", path, std::strerror(errno));
    return false;
  }
  return true;
}

bool check_writable(const std::string& path, std::ostream& err) {
  std::ofstream f(path, std::ios::binary | std::ios::app);
  if (!f) {
    err << fmt::format("moira: cannot write {}: {}\n", path, std::strerror(errno));
    return false;
  }
  return true;
}

}  // namespace moira::cli
