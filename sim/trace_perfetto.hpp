#pragma once
// The trace as Chrome trace-event JSON, which the Perfetto UI (and chrome://tracing) open: a track
// group per node, a track per process, a slice for each run slice (what the process did while it
// held the simulator), flow arrows for messages and signals, instants for exits, marks and faults.
// The clock is the simulator's step: 1 µs on the timeline is one step (virtual time stands still
// while processes run, so it could not separate them); each slice's args carry its virtual time.
#include <string>

#include "sim/trace_model.hpp"

namespace moira::sim {

struct PerfettoOptions {
  std::string title;            // shown as the metadata of the trace
  std::size_t failure = kNone;  // an instant "FAILURE" on its process's track
};

std::string render_perfetto(const TraceModel& model, const PerfettoOptions& options);

}  // namespace moira::sim
