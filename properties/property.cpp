#include "properties/property.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "properties/schedule_source.hpp"

namespace moira::properties {
namespace {

// What the last run of a case left behind, kept while a failure is re-run to be reported.
struct Capture {
  bool ran = false;
  std::string inputs;
  Settings settings;
  Schedule schedule;
  FaultPlan plan;
  std::uint64_t decisions = 0;
  std::uint64_t non_calm = 0;
  std::uint64_t steps = 0;
  std::uint64_t trace_hash = 0;
  std::string log_text;
  std::string trace_text;
};

thread_local detail::CaseScope* current_case = nullptr;
thread_local Capture* capture = nullptr;

class QuietListener final : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

std::uint64_t count_non_calm(const sim::Simulation& sim) {
  std::uint64_t n = 0;
  for (const sim::DecisionRecord& d : sim.decisions()) n += d.choice != 0;
  return n;
}

void record(sim::Simulation& sim, const std::string& inputs, const Settings& settings, const Schedule& schedule, const FaultPlan& plan,
            const std::string& name) {
  Capture& c = *capture;
  c.ran = true;
  c.inputs = inputs;
  c.settings = settings;
  c.schedule = schedule;
  c.plan = plan;
  c.decisions = sim.decision_count();
  c.non_calm = count_non_calm(sim);
  c.steps = sim.steps();
  c.trace_hash = sim.trace_hash();
  std::ostringstream log, trace;
  sim.decision_log(name).write(log);
  sim.trace().write_text(trace);
  c.log_text = log.str();
  c.trace_text = trace.str();
}

}  // namespace

void fail(std::string message) {
  throw rc::detail::CaseResult(rc::detail::CaseResult::Type::Failure, std::move(message));
}

namespace detail {

// The name travels with the case only for the decision log's header.
thread_local const std::string* case_name = nullptr;

CaseScope::CaseScope(const Config& config, Settings settings, Schedule schedule, std::string inputs)
    : config_(config), settings_(std::move(settings)), schedule_(std::move(schedule)), inputs_(std::move(inputs)) {
  sim::Options options = config.options;
  settings_.apply(options);
  options.keep_trace = capture != nullptr;
  options.keep_decisions = true;
  sim_ = std::make_unique<sim::Simulation>(options, std::make_unique<ScheduleSource>(schedule_.choices));
  outer_ = current_case;
  current_case = this;
}

CaseScope::~CaseScope() { current_case = outer_; }

void CaseScope::finish() {
  if (!ran_) fail("the property never called properties::run(sim): call it instead of sim.run(), so the case's faults are planned");
}

}  // namespace detail

sim::RunResult run(sim::Simulation& sim, std::vector<Pid> kill_targets) {
  detail::CaseScope* scope = current_case;
  if (!scope || scope->sim_.get() != &sim) {
    throw std::logic_error("properties::run: this Simulation is not the one the property was given");
  }
  FaultPlan plan{scope->config_.faults.horizon, kill_targets, {}};
  if (!scope->ran_) {
    plan = *gen::fault_plan(World{sim.node_count(), std::move(kill_targets)}, scope->config_.faults);
    for (const sim::PlannedFault& p : plan.planned()) sim.at(p.at, p.fault);
  }
  scope->ran_ = true;
  sim::RunResult result = sim.run();
  if (capture) record(sim, scope->inputs_, scope->settings_, scope->schedule_, plan, detail::case_name ? *detail::case_name : "");
  if (result.failure) {
    fail(fmt::format("{}: {}", result.failure->kind == sim::Failure::Kind::require ? "invariant" : "liveness",
                     result.failure->describe()));
  }
  if (scope->config_.fail_on_bound && result.outcome == sim::Outcome::bound_exceeded) {
    fail(fmt::format("liveness: the run hit {} ({})", result.bound, result.describe()));
  }
  if (result.outcome == sim::Outcome::deadlocked && !result.ok()) {
    fail(fmt::format("deadlock: processes left waiting in receive; if idle servers are expected, declare "
                     "config.options.waiting_at_end = sim::WaitingAtEnd::fine ({})",
                     result.describe()));
  }
  return result;
}

namespace {

std::string sanitized(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  return out.empty() ? "property" : out;
}

std::string artifacts_dir(const Config& config) {
  if (!config.artifacts_dir.empty()) return config.artifacts_dir;
  if (const char* env = std::getenv("MOIRA_ARTIFACTS"); env && *env) return env;
  return std::filesystem::temp_directory_path().string();
}

std::string this_executable() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string{"<this test binary>"} : path.string();
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  return static_cast<bool>(f);
}

std::string indented(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += "              ";
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  return out;
}

std::string reproduce_string(const std::string& name, const rc::detail::Reproduce& reproduce) {
  rc::detail::Configuration c;
  c.reproduce[name] = reproduce;
  // Only the reproduce key: the seed does not matter to a reproduction.
  std::istringstream words(rc::detail::configToMinimalString(c));
  std::string word, out;
  while (words >> word)
    if (word.rfind("reproduce=", 0) == 0) out = word;
  return out;
}

bool env_sets(const char* key) {
  const char* env = std::getenv("RC_PARAMS");
  return env && std::string{env}.find(key) != std::string::npos;
}

Failure describe_failure(const std::string& name, const Config& config, const rc::detail::FailureResult& f,
                         const Capture& cap) {
  Failure out;
  out.invariant = f.description;
  if (!cap.inputs.empty()) out.inputs.push_back(cap.inputs);
  // Values the body drew itself (*rc::gen::... inside the property), after the library's own.
  for (const auto& [type, value] : f.counterExample) {
    if (type.find("moira::properties::") != std::string::npos) continue;
    out.inputs.push_back(fmt::format("{}  [{}]", value, type));
  }
  out.settings = cap.settings;
  out.schedule = cap.schedule;
  out.faults = cap.plan.describe();
  out.fault_count = cap.plan.events.size();
  out.decisions = cap.decisions;
  out.non_calm = cap.non_calm;
  out.steps = cap.steps;
  out.trace_hash = cap.trace_hash;
  out.shrinks = f.reproduce.shrinkPath.size();
  out.reproduce = reproduce_string(name, f.reproduce);
  out.command_line = fmt::format("RC_PARAMS=\"{}\" {}", out.reproduce,
                                 config.command.empty() ? this_executable() : config.command);
  if (cap.ran) {
    std::string base = (std::filesystem::path{artifacts_dir(config)} / ("moira-property-" + sanitized(name))).string();
    if (write_file(base + ".log", cap.log_text)) out.log_path = base + ".log";
    if (write_file(base + ".trace.txt", cap.trace_text)) out.trace_path = base + ".trace.txt";
  }
  return out;
}

std::string format_failure(const std::string& name, int passed, std::uint64_t seed, bool reproducing,
                           const Failure& f) {
  std::string out = reproducing
                        ? fmt::format("property '{}' FAILED (reproduced from RC_PARAMS):\n", name)
                        : fmt::format("property '{}' FAILED after {} passing cases (seed {}); shrunk in {} step(s) to:\n",
                                      name, passed, seed, f.shrinks);
  std::string inputs;
  for (const auto& i : f.inputs) inputs += (inputs.empty() ? "" : "\n              ") + i;
  out += fmt::format("  inputs:     {}\n", inputs.empty() ? "(none)" : inputs);
  out += fmt::format("  invariant:  {}\n", indented(f.invariant));
  out += fmt::format("  settings:   {}\n", f.settings.describe());
  out += fmt::format("  faults:     {}: {}\n", f.fault_count, f.faults);
  if (f.steps == 0 && f.decisions == 0 && f.trace_hash == 0) {
    out += "  schedule:   (the case did not run the simulation)\n";
  } else {
    out += fmt::format("  schedule:   {} decisions, {} not calm; {} steps; trace hash {:#018x}\n", f.decisions,
                       f.non_calm, f.steps, f.trace_hash);
  }
  if (!f.log_path.empty()) out += fmt::format("  saved:      {} (decision log), {} (trace)\n", f.log_path, f.trace_path);
  out += fmt::format("  reproduce:  {}\n", f.command_line);
  return out;
}

}  // namespace

namespace detail {

std::string this_executable_and_test(const std::string& test_name) {
  std::string quoted = "'";
  for (char c : test_name) quoted += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return this_executable() + " " + quoted + "'";
}

Result check_property(const std::string& name, const Config& config, const rc::detail::Property& property) {
  using namespace rc::detail;
  const auto started = std::chrono::steady_clock::now();
  TestParams params = configuration().testParams;
  if (!env_sets("max_success")) params.maxSuccess = config.cases;
  if (config.seed) params.seed = *config.seed;
  auto reproduce_map = config.reproduce ? configFromString(*config.reproduce).reproduce : configuration().reproduce;
  Result result;
  result.seed = params.seed;
  const bool reproducing = reproduce_map.count(name) > 0;
  if (!reproduce_map.empty() && !reproducing) {
    result.passed = result.skipped = true;
    result.report = fmt::format("property '{}': skipped (RC_PARAMS reproduces another property)\n", name);
    if (!config.quiet) std::cout << result.report << std::flush;
    return result;
  }
  TestMetadata metadata{name, name};
  QuietListener listener;
  case_name = &name;
  Capture cap;
  capture = reproducing ? &cap : nullptr;
  TestResult outcome = checkProperty(property, metadata, params, listener, reproduce_map);
  capture = nullptr;
  if (outcome.is<FailureResult>() && !reproducing) {
    // Once more, the minimal case alone, keeping its trace and log: the reproduce path at work.
    capture = &cap;
    std::unordered_map<std::string, Reproduce> again{{name, outcome.get<FailureResult>().reproduce}};
    TestResult rerun = checkProperty(property, metadata, params, listener, again);
    capture = nullptr;
    if (!rerun.is<FailureResult>()) {
      cap = Capture{};
      outcome.get<FailureResult>().description +=
          "\n(the minimal case passed when run again: the property is not deterministic)";
    }
  }
  case_name = nullptr;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (outcome.is<SuccessResult>()) {
    result.passed = true;
    result.cases = outcome.get<SuccessResult>().numSuccess;
    result.report = fmt::format("property '{}': {} cases passed (seed {}, {:.2f} s)\n", name, result.cases,
                                result.seed, seconds);
  } else if (outcome.is<FailureResult>()) {
    const auto& f = outcome.get<FailureResult>();
    result.cases = f.numSuccess;
    result.failure = describe_failure(name, config, f, cap);
    result.report = format_failure(name, f.numSuccess, result.seed, reproducing, *result.failure);
    result.report += fmt::format("  ({:.2f} s)\n", seconds);
  } else {
    std::ostringstream why;
    printResultMessage(outcome, why);
    result.report = fmt::format("property '{}' did not run to a verdict (seed {}): {}\n", name, result.seed, why.str());
  }
  if (!config.quiet) std::cout << result.report << std::flush;
  return result;
}

}  // namespace detail
}  // namespace moira::properties
