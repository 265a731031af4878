#include "tools/sweep.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <thread>

#include "tools/cli.hpp"
#include "tools/junit.hpp"

namespace moira::cli {
namespace {

// Wall clock for progress, budgets and report times only: it never reaches a simulation.
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct SeedResult {
  bool failed = false;
  int code = Exit::ok;
  std::string why;
  double secs = 0;
};

const char* failure_type(int code) {
  switch (code) {
    case Exit::correctness: return "invariant";
    case Exit::liveness: return "liveness";
    default: return "diverged";
  }
}

// What a scenario's seeds gave: counts, and the failing seeds with the smallest numbers (enough
// for the report), so memory stays small however many seeds run.
struct Tally {
  std::uint64_t ran = 0;
  std::uint64_t failures = 0;
  double passed_secs = 0;
  int worst = Exit::ok;  // of every failing seed, listed or not
  std::map<std::uint64_t, SeedResult> failed;
};

// Seeds begin .. begin+n-1 of one scenario on `jobs` threads. Threads claim seeds in order, so when
// the deadline stops them the seeds run are a prefix, of length `ran`.
Tally run_seeds(const scenarios::Scenario& s, const StrategyFlags& strategy, std::uint64_t begin, std::uint64_t n,
                unsigned jobs, std::optional<Clock::time_point> deadline, std::ostream& err) {
  std::atomic<std::uint64_t> next{0};
  std::mutex m;  // guards tally, finished and stopped
  std::condition_variable progress;
  Tally tally;
  std::uint64_t finished = 0;
  unsigned stopped = 0;
  auto work = [&] {
    for (;;) {
      if (deadline && Clock::now() >= *deadline) break;
      const std::uint64_t i = next.fetch_add(1);
      if (i >= n) break;
      const auto t0 = Clock::now();
      auto run = scenarios::run(s, strategy.make(begin + i), false);
      SeedResult r;
      r.secs = seconds_since(t0);
      r.failed = run.outcome.failed();
      if (r.failed) {
        r.code = exit_for(run.outcome);
        r.why = run.outcome.why();
      }
      std::lock_guard lock{m};
      ++finished;
      if (r.failed) {
        ++tally.failures;
        tally.worst = std::max(tally.worst, r.code);
        tally.failed.emplace(begin + i, std::move(r));
        if (tally.failed.size() > kMaxListedFailures) tally.failed.erase(std::prev(tally.failed.end()));
      } else {
        tally.passed_secs += r.secs;
      }
      progress.notify_one();
    }
    std::lock_guard lock{m};
    ++stopped;
    progress.notify_one();
  };
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < jobs; ++j) threads.emplace_back(work);

  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const auto start = Clock::now();
  auto report = [&](bool last) {
    err << fmt::format("{}{}: {}/{} seeds, {:.0f} seeds/s, {} failed{}", tty ? "\r\033[K" : "", s.name, finished, n,
                       static_cast<double>(finished) / std::max(seconds_since(start), 1e-9), tally.failures,
                       tty && !last ? "" : "\n");
  };
  {
    std::unique_lock lock{m};
    auto all_stopped = [&] { return stopped == jobs; };
    while (!progress.wait_for(lock, std::chrono::milliseconds(tty ? 200 : 5000), all_stopped)) report(false);
  }
  for (auto& t : threads) t.join();
  tally.ran = finished;  // every claimed seed finished: the prefix 0 .. finished-1
  report(true);
  return tally;
}

std::string seeds_text(std::uint64_t begin, std::uint64_t count) {
  return count == 0 ? "no seeds" : fmt::format("seeds {}..{}", begin, begin + count - 1);
}

}  // namespace

ShardRange shard_range(const std::string& shard, std::uint64_t first, std::uint64_t count) {
  ShardRange r{first, first + count, {}};
  if (shard.empty()) return r;
  std::uint64_t i = 0, n = 0;
  const char* p = shard.data();
  const char* end = shard.data() + shard.size();
  auto a = std::from_chars(p, end, i);
  bool ok = a.ec == std::errc{} && a.ptr != end && *a.ptr == '/';
  if (ok) {
    auto b = std::from_chars(a.ptr + 1, end, n);
    ok = b.ec == std::errc{} && b.ptr == end;
  }
  if (!ok || n == 0 || n > 1'000'000 || i == 0 || i > n) {
    r.error = fmt::format("--shard {}: use i/n, the i-th of n parts, 1 <= i <= n <= 1000000 (e.g. --shard 2/4)", shard);
    return r;
  }
  // Part i of n: [count*(i-1)/n, count*i/n). Parts are disjoint, cover the range, differ by <= 1 seed.
  r.begin = first + count * (i - 1) / n;
  r.end = first + count * i / n;
  return r;
}

int cmd_sweep(const SweepRequest& rq, std::ostream& out, std::ostream& err) {
  std::vector<std::string> names = rq.names;
  if (rq.all) {
    for (auto& s : scenarios::all())
      if (!s.seeded_bug) names.push_back(s.name);
  }
  if (names.empty()) {
    err << fmt::format("moira sweep: name a scenario, or --all. Known scenarios: {}\n", scenarios::names());
    return Exit::usage;
  }
  const ShardRange range = shard_range(rq.shard, rq.first, rq.count);
  if (!range.error.empty()) {
    err << "moira sweep: " << range.error << "\n";
    return Exit::usage;
  }
  if (!rq.junit.empty() && !check_writable(rq.junit, err)) return Exit::usage;
  std::vector<scenarios::Scenario> list;  // with the fault flags over each one's settings
  for (auto& n : names) {
    auto s = find_with_faults(n, rq.faults, err);
    if (!s) return Exit::usage;
    list.push_back(std::move(*s));
  }
  if (!rq.shard.empty()) err << fmt::format("shard {}: {} of {}\n", rq.shard, seeds_text(range.begin, range.end - range.begin),
                                            seeds_text(rq.first, rq.count));
  std::optional<Clock::time_point> deadline;
  if (rq.time_budget_s > 0) deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(rq.time_budget_s));

  const std::uint64_t asked = range.end - range.begin;
  std::vector<JunitSuite> suites;
  int worst = Exit::ok;
  const std::string again = rq.strategy.flags() + rq.faults.flags();  // what a reproduce line repeats
  for (const scenarios::Scenario& scenario : list) {
    const scenarios::Scenario* s = &scenario;
    JunitSuite suite;
    suite.scenario = s->name;
    suite.timestamp = utc_timestamp_now();
    suite.first_seed = range.begin;
    suite.strategy = (rq.strategy.kind == "random" ? "random" : rq.strategy.kind + rq.strategy.flags()) + rq.faults.flags();
    const auto start = Clock::now();
    Tally tally = run_seeds(*s, rq.strategy, range.begin, asked, rq.jobs, deadline, err);
    const std::uint64_t ran = tally.ran;
    suite.secs = seconds_since(start);
    suite.seeds_run = ran;
    suite.passed_secs = tally.passed_secs;

    // Reported in seed order once the scenario is done, so the report is the same for every --jobs.
    const std::uint64_t failures = tally.failures;
    std::optional<std::uint64_t> first_failure;
    if (!tally.failed.empty()) first_failure = tally.failed.begin()->first;
    std::uint64_t listed = 0;
    for (const auto& [seed, r] : tally.failed) {
      const std::string reproduce = fmt::format("{} run {} --seed {}{}", rq.program, s->name, seed, again);
      if (++listed <= 5) err << fmt::format("{} seed {}: {}\n  reproduce: {}\n", s->name, seed, r.why, reproduce);
      if (rq.expect_failures) continue;  // expected failures are no failures of the job, nor in its report
      suite.failures.push_back({fmt::format("seed {}", seed), failure_type(r.code), r.why, "reproduce: " + reproduce, r.secs});
    }
    if (failures > 5) err << fmt::format("({} further failures are counted, not listed{})\n", failures - 5,
                                         rq.expect_failures || rq.junit.empty() ? "" : "; the JUnit report has the first 100");
    if (!rq.expect_failures) {
      worst = std::max(worst, tally.worst);
      suite.failures_not_listed = failures - suite.failures.size();
    }
    if (ran < asked) {
      const std::string rest = fmt::format("--first-seed {} --seeds {}", range.begin + ran, asked - ran);
      out << fmt::format("{}: --time-budget ran out after {} of {} seeds ({}); the rest: {}\n", s->name, ran, asked,
                         seeds_text(range.begin, ran), rest);
      suite.note = fmt::format("--time-budget ran out after {} of {} seeds; the rest: {}", ran, asked, rest);
    }
    if (rq.expect_failures) {
      if (failures == 0) {
        const std::string why = fmt::format("expected failures, found none in {} seeds", ran);
        out << fmt::format("{}: {}\n", s->name, why);
        suite.summary_failure = JunitFailure{"", "expected-failure-missing", why, "", 0};
        worst = std::max(worst, static_cast<int>(Exit::correctness));
      } else {
        // The failing seed must replay exactly from its saved decision log.
        auto failing = scenarios::run(*s, rq.strategy.make(*first_failure), true);
        auto check = std::make_shared<scenarios::Check>();
        auto replayed = sim::replay(failing.log, scenarios::as_sim_scenario(*s, check), s->options, s->name);
        const bool again = replayed.reproduced && *check && !(*check)(replayed.result).ok;
        const std::string found = fmt::format("found the seeded bug in {} of {} seeds; first at seed {}, which replays from its decision log: {}",
                                              failures, ran, *first_failure, again ? "reproduced exactly" : "NOT reproduced");
        out << fmt::format("{}: {}\n", s->name, found);
        suite.note = suite.note.empty() ? found : found + "\n" + suite.note;
        if (!again) {
          worst = std::max(worst, static_cast<int>(Exit::not_reproduced));
          suite.summary_failure = JunitFailure{"", "not-reproduced", found, "", 0};
        }
      }
    } else {
      out << fmt::format("{}: {} seeds in {:.1f} s ({:.0f} seeds/s, {} job{}), {} failed\n", s->name, ran, suite.secs,
                         static_cast<double>(ran) / std::max(suite.secs, 1e-9), rq.jobs, rq.jobs == 1 ? "" : "s", failures);
    }
    suites.push_back(std::move(suite));
  }
  if (!rq.junit.empty() && !write_file(rq.junit, junit_xml(suites), err)) return Exit::usage;
  return worst;
}

}  // namespace moira::cli
