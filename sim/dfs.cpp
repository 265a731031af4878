#include "sim/dfs.hpp"

#include <fmt/format.h>

namespace moira::sim {

namespace {

// Follows `prefix`, then answers 0; remembers every branching decision's width and answer.
class PrefixSource final : public ChoiceSource {
 public:
  PrefixSource(std::vector<std::uint64_t> prefix, std::uint64_t widest) : prefix_(std::move(prefix)), widest_(widest) {}
  std::uint64_t choose(std::uint64_t n, const ChoiceContext&) override {
    if (n < 2 || n > widest_) return 0;
    std::uint64_t c = taken_.size() < prefix_.size() ? prefix_[taken_.size()] : 0;
    if (c >= n) c = 0;  // cannot happen while the program is deterministic
    taken_.push_back(c);
    widths_.push_back(n);
    return c;
  }
  std::string describe() const override { return fmt::format("dfs prefix={}", prefix_.size()); }
  std::vector<std::uint64_t> taken_;
  std::vector<std::uint64_t> widths_;

 private:
  std::vector<std::uint64_t> prefix_;
  std::uint64_t widest_;
};

}  // namespace

DfsReport explore_all(const Scenario& scenario, Options options, const std::function<bool(const RunResult&)>& failed,
                      std::uint64_t max_runs, std::uint64_t widest) {
  DfsReport report;
  options.keep_decisions = false;
  std::vector<std::uint64_t> prefix;
  for (;;) {
    if (report.runs >= max_runs) return report;
    auto source = std::make_unique<PrefixSource>(prefix, widest);
    PrefixSource* s = source.get();
    RunResult r;
    {
      Simulation sim{options, std::move(source)};
      scenario(sim);
      r = sim.run();
      ++report.runs;
      if (failed(r)) {
        if (!report.failing) report.first_failure = s->taken_;
        ++report.failing;
      }
      // The next schedule: bump the deepest decision with an option left, drop what follows.
      std::size_t i = s->taken_.size();
      while (i > 0 && s->taken_[i - 1] + 1 >= s->widths_[i - 1]) --i;
      if (i == 0) {
        report.complete = true;
        return report;
      }
      prefix.assign(s->taken_.begin(), s->taken_.begin() + static_cast<std::ptrdiff_t>(i));
      ++prefix.back();
    }
  }
}

}  // namespace moira::sim
