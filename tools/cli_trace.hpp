#pragma once
// `moira trace`: one run of a scenario (a seed, or a replayed decision log) shown for a person —
// the readable text trace with filters and causal slices, the HTML sequence chart, the Perfetto
// timeline — and the views `moira run --trace FORMAT` prints.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "scenarios/scenario.hpp"
#include "tools/cli_common.hpp"

namespace CLI {
class App;
}

namespace moira::cli {

struct TraceFlags {
  std::string scenario;
  std::uint64_t seed = 1;
  std::string log;  // replay this decision log instead of running a seed
  std::string text_out, html_out, perfetto_out, json_out;
  bool decisions = false;
  bool why = false;
  bool narrow = false;
  std::uint64_t at_step = 0;  // explain the last event of this step, not the failure
  bool at_given = false;
  std::vector<std::string> pids, names, nodes, kinds;
  std::string steps, times;
  std::uint64_t last = 0;
  double last_seconds = 0;
  std::uint64_t max_steps = 0;  // 0: the scenario's own bound
  FaultFlags faults;            // over the scenario's settings, as the run to draw had them
};

void add_trace_flags(CLI::App* app, TraceFlags& flags);
int cmd_trace(const TraceFlags& flags, const sim::Strategy& strategy, std::ostream& out, std::ostream& err,
              int (*exit_for)(const scenarios::Outcome&));

// One view of a kept run, as `moira run --trace FORMAT` prints it: text, json, html or perfetto.
std::string render_run_trace(const std::string& format, const scenarios::RunArtifacts& run, const std::string& title);
// "lost-update seed 9: FAILED: invariant broken: ... — 167 steps, 0.105 s virtual, trace hash 0x..."
std::string run_title(const std::string& scenario, std::uint64_t seed, const scenarios::Outcome& outcome);

}  // namespace moira::cli
