#pragma once
// A property over the simulator. The user writes a function that gets a fresh sim::Simulation
// (plus whatever RapidCheck generated for its other parameters), builds a world, calls
// properties::run(sim) and states its invariant with RC_ASSERT. Per case the library draws the
// simulator settings, the schedule and — once the world is built — a fault plan valid for it;
// RapidCheck shrinks all of them with the user's inputs. On failure the report names the shrunk
// inputs and faults, the decisions left that are not calm, the invariant, the saved decision log
// and trace, and one line that reproduces the case (same trace hash).
//
//   auto r = properties::check("pongs come back", [](sim::Simulation& sim, std::uint8_t n) {
//     ... spawn ...
//     properties::run(sim);
//     RC_ASSERT(pongs == n);
//   });
#include <rapidcheck.h>

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "properties/generators.hpp"
#include "properties/inputs.hpp"
#include "sim/simulation.hpp"

namespace moira::properties {

struct Config {
  int cases = 100;  // test cases when RC_PARAMS gives no max_success
  sim::Options options = default_options();  // the base; settings drawn per case go on top
  SettingsSpace settings{};
  std::size_t max_choices = 1000;  // the longest schedule drawn (past it every decision is calm)
  FaultSpace faults{};             // none unless the property asks
  bool fail_on_bound = true;       // a run that hits max_steps / max_virtual_time fails the case
  std::string artifacts_dir;       // where a failure's log and trace go: $MOIRA_ARTIFACTS, else the temp dir
  std::string command;             // how to run this again: default this executable; catch.hpp adds the test
  bool quiet = false;              // print nothing when it passes
  std::optional<std::uint64_t> seed;       // else RC_PARAMS seed=N, else RapidCheck's random one
  std::optional<std::string> reproduce;    // a "reproduce=..." string to replay instead of searching

  static sim::Options default_options() {
    sim::Options o;
    o.max_steps = 200'000;
    o.max_virtual_time = std::chrono::hours{1};
    // A property's world is mostly servers left idle at the end; a property that wants processes
    // left waiting to fail its case declares sim::WaitingAtEnd::deadlock (or undeclared).
    o.waiting_at_end = sim::WaitingAtEnd::fine;
    return o;
  }
};

// What a failing case came down to after shrinking.
struct Failure {
  std::string invariant;            // what broke, with its figures (RapidCheck's description)
  std::vector<std::string> inputs;  // the user's shrunk inputs
  Settings settings;
  Schedule schedule;
  std::string faults;  // the shrunk fault plan, described
  std::size_t fault_count = 0;
  std::uint64_t decisions = 0;  // decisions the run took
  std::uint64_t non_calm = 0;   // of them, answered with something other than 0
  std::uint64_t steps = 0;
  std::uint64_t trace_hash = 0;
  std::size_t shrinks = 0;  // shrinking steps taken
  std::string log_path;
  std::string trace_path;
  std::string reproduce;     // "reproduce=..." (the RC_PARAMS value)
  std::string command_line;  // the pasteable line
};

struct Result {
  bool passed = false;
  bool skipped = false;  // RC_PARAMS reproduces another property
  int cases = 0;         // passing cases run
  std::uint64_t seed = 0;
  std::optional<Failure> failure;
  std::string report;  // what was printed
};

// Draws the fault plan for the world as built (nodes that exist; `kill_targets`, if given, are the
// processes a kill may pick, else any live one), plans it, and runs the simulation to the end.
// Call it (instead of sim.run()) inside a property; it may be called again to run on.
sim::RunResult run(sim::Simulation& sim, std::vector<Pid> kill_targets = {});

// Fails the case with this message (RC_FAIL without the echo of its source expression): for
// invariants that state their own figures.
[[noreturn]] void fail(std::string message);

namespace detail {

// The case being run on this thread: built per case by the property wrapper.
class CaseScope {
 public:
  CaseScope(const Config& config, Settings settings, Schedule schedule, std::string inputs);
  ~CaseScope();
  CaseScope(const CaseScope&) = delete;
  CaseScope& operator=(const CaseScope&) = delete;
  sim::Simulation& sim() { return *sim_; }
  void finish();  // the body returned: a property that never called run() is told so

 private:
  friend sim::RunResult properties::run(sim::Simulation&, std::vector<Pid>);
  const Config& config_;
  Settings settings_;
  Schedule schedule_;
  std::string inputs_;
  std::unique_ptr<sim::Simulation> sim_;
  bool ran_ = false;
  CaseScope* outer_ = nullptr;
};

Result check_property(const std::string& name, const Config& config, const rc::detail::Property& property);

template <class T>
struct Signature : Signature<decltype(&T::operator())> {};
template <class C, class R, class S, class... A>
struct Signature<R (C::*)(S, A...) const> {
  using Inputs = std::tuple<std::decay_t<A>...>;
};
template <class C, class R, class S, class... A>
struct Signature<R (C::*)(S, A...)> {
  using Inputs = std::tuple<std::decay_t<A>...>;
};
template <class R, class S, class... A>
struct Signature<R (*)(S, A...)> {
  using Inputs = std::tuple<std::decay_t<A>...>;
};

// The user's inputs, the settings and the schedule are drawn as one tuple, so RapidCheck shrinks
// each with the others held (separate picks would redraw the schedule whenever an input shrank).
template <class F, class... A>
auto wrap(std::shared_ptr<const Config> config, F f, std::tuple<A...>*) {
  return [config, f]() {
    auto drawn = *rc::gen::tuple(rc::gen::tuple(rc::gen::arbitrary<A>()...), gen::settings(config->settings),
                                 gen::schedule(config->max_choices));
    auto& inputs = std::get<0>(drawn);
    CaseScope scope(*config, std::get<1>(drawn), std::get<2>(drawn),
                    sizeof...(A) == 0 ? std::string{} : rc::toString(inputs));
    std::apply([&](A&... a) { f(scope.sim(), std::move(a)...); }, inputs);
    scope.finish();
  };
}

}  // namespace detail

// Runs the property: `f(sim::Simulation&, A...)` with A... generated by RapidCheck. Prints a
// one-line summary (with the seed) or the failure report; returns what happened.
template <class F>
Result check(const std::string& name, F f, Config config = {}) {
  auto shared = std::make_shared<const Config>(std::move(config));
  using Inputs = typename detail::Signature<std::decay_t<F>>::Inputs;
  auto body = detail::wrap(shared, std::move(f), static_cast<Inputs*>(nullptr));
  return detail::check_property(name, *shared, rc::detail::toProperty(std::move(body)));
}

}  // namespace moira::properties
