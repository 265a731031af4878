#include "tools/shrink.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>

#include "scenarios/scenario.hpp"
#include "sim/decision_log.hpp"
#include "tools/cli.hpp"

namespace moira::cli {
namespace {

// Answers the decisions by position from a list, clamped to the options there are; 0 past the end.
// The unmodified list of a run's answers replays that run; an edited one stays meaningful.
class ListSource final : public sim::ChoiceSource {
 public:
  explicit ListSource(std::vector<std::uint64_t> choices) : choices_(std::move(choices)) {}
  std::uint64_t choose(std::uint64_t n, const sim::ChoiceContext&) override {
    if (n < 2 || next_ >= choices_.size()) return 0;
    return std::min(choices_[next_++], n - 1);
  }
  std::string describe() const override { return fmt::format("shrunk length={}", choices_.size()); }

 private:
  std::vector<std::uint64_t> choices_;
  std::size_t next_ = 0;
};

struct Attempt {
  scenarios::Outcome outcome;
  sim::DecisionLog log;
  std::uint64_t non_calm = 0;
  std::uint64_t faults = 0;
};

Attempt run_with(const scenarios::Scenario& s, std::uint64_t seed, std::unique_ptr<sim::ChoiceSource> source, bool keep) {
  sim::Options o = s.options;
  o.seed = seed;
  o.keep_trace = keep;
  o.keep_decisions = true;
  sim::Simulation sim{o, std::move(source)};
  scenarios::Check check = s.setup(sim);
  Attempt a;
  a.outcome.result = sim.run();
  a.outcome.verdict = check ? check(a.outcome.result) : scenarios::Verdict::fail("the scenario built no check");
  a.log = sim.decision_log(s.name);
  a.log.outcome = std::string{sim::to_string(a.outcome.result.outcome)};
  for (const auto& d : a.log.decisions) a.non_calm += d.choice != 0;
  for (const auto& e : sim.trace().events()) a.faults += e.kind == sim::EventKind::fault;
  return a;
}

// "The same invariant": the same kind of failure, and the same message once its figures are gone.
std::string invariant_of(const scenarios::Outcome& o) {
  std::string why = o.why(), out;
  for (char c : why) out += std::isdigit(static_cast<unsigned char>(c)) ? '#' : c;
  return out;
}

std::vector<std::uint64_t> answers(const sim::DecisionLog& log) {
  std::vector<std::uint64_t> out;
  for (const auto& d : log.decisions) out.push_back(d.choice);
  while (!out.empty() && out.back() == 0) out.pop_back();
  return out;
}

std::string figures(const Attempt& a) {
  return fmt::format("{} decisions, {} not calm, {} faults, {} steps", a.log.decisions.size(), a.non_calm, a.faults,
                     a.outcome.result.steps);
}

}  // namespace

int cmd_shrink(const ShrinkRequest& rq, std::ostream& out, std::ostream& err) {
  const std::optional<scenarios::Scenario> s = find_with_faults(rq.scenario, rq.faults, err);
  if (!s) return Exit::usage;
  std::uint64_t seed = rq.seed;
  std::vector<std::uint64_t> start;
  if (!rq.log_path.empty()) {
    try {
      sim::DecisionLog log = sim::DecisionLog::load(rq.log_path);
      if (log.scenario != s->name) {
        err << fmt::format("moira shrink: {} is a log of scenario '{}', not '{}'\n", rq.log_path, log.scenario, s->name);
        return Exit::usage;
      }
      seed = log.seed;
      start = answers(log);
    } catch (const sim::LogError& e) {
      err << fmt::format("moira shrink: {}\n", e.what());
      return Exit::usage;
    }
  } else {
    start = answers(run_with(*s, seed, sim::Strategy::random_walk(seed).make(), false).log);
  }
  const Attempt before = run_with(*s, seed, std::make_unique<ListSource>(start), true);
  if (!before.outcome.failed()) {
    err << fmt::format("moira shrink: {} seed {} does not fail ({}); nothing to shrink\n", s->name, seed,
                       before.outcome.why());
    return Exit::usage;
  }
  const std::string invariant = invariant_of(before.outcome);
  std::uint64_t runs = 0;
  auto still_fails = [&](const std::vector<std::uint64_t>& c) {
    ++runs;
    Attempt a = run_with(*s, seed, std::make_unique<ListSource>(c), false);
    return a.outcome.failed() && invariant_of(a.outcome) == invariant;
  };
  std::vector<std::uint64_t> cur = start;
  // Delta debugging: zero (or, at the tail, cut) chunks of halving size while the failure stays.
  for (bool changed = true; changed && runs < rq.max_runs;) {
    changed = false;
    for (std::size_t chunk = std::max<std::size_t>(1, cur.size() / 2); chunk > 0 && runs < rq.max_runs; chunk /= 2) {
      for (std::size_t pos = 0; pos < cur.size() && runs < rq.max_runs; pos += chunk) {
        const std::size_t end = std::min(cur.size(), pos + chunk);
        if (std::all_of(cur.begin() + static_cast<std::ptrdiff_t>(pos), cur.begin() + static_cast<std::ptrdiff_t>(end),
                        [](std::uint64_t c) { return c == 0; }))
          continue;
        std::vector<std::uint64_t> cand = cur;
        if (end == cand.size()) {
          cand.resize(pos);
        } else {
          std::fill(cand.begin() + static_cast<std::ptrdiff_t>(pos), cand.begin() + static_cast<std::ptrdiff_t>(end), 0);
        }
        while (!cand.empty() && cand.back() == 0) cand.pop_back();
        if (still_fails(cand)) {
          cur = std::move(cand);
          changed = true;
        }
      }
    }
  }
  const Attempt after = run_with(*s, seed, std::make_unique<ListSource>(cur), true);
  const std::string path = rq.out_path.empty() ? fmt::format("{}-{}.shrunk.log", s->name, seed) : rq.out_path;
  try {
    after.log.save(path);
  } catch (const sim::LogError& e) {
    err << fmt::format("moira shrink: {}\n", e.what());
    return Exit::usage;
  }
  out << fmt::format("{} seed {}: {}\n", s->name, seed, before.outcome.why());
  out << fmt::format("  before: {}\n", figures(before));
  out << fmt::format("  after:  {}  ({} runs)\n", figures(after), runs);
  out << fmt::format("  still:  {}\n", after.outcome.why());
  out << fmt::format("  saved:  {}\n  replay: {} replay {} {}{}\n", path, rq.program, s->name, path, rq.faults.flags());
  return Exit::correctness;
}

}  // namespace moira::cli
