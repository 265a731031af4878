#pragma once
// The trace as one self-contained HTML page (inline script and styles, no network): a message
// sequence chart with one lane per process grouped by node, arrows for messages and signals
// (labelled with their contents; hover for details), spawns, exits with reasons, faults and
// partitions as bands, a virtual-time axis, the failure highlighted, and filtering and causal
// slicing in the page. Only the rows in view are drawn, so it stays quick at 10,000 events.
#include <string>

#include "sim/trace.hpp"
#include "sim/trace_model.hpp"

namespace moira::sim {

struct HtmlOptions {
  std::string title;          // what ran, and how it ended
  std::size_t failure = kNone;  // highlighted, and where "Why?" starts (index into the events)
  std::string failure_text;   // what failed, in words
};

std::string render_html(const TraceModel& model, const HtmlOptions& options);

// For callers that hold a run's trace and a verdict, such as a property test that failed: the
// chart of `trace`, with the failure found as failure_event() does when `failed`.
std::string trace_html(const Trace& trace, const std::string& title, bool failed, const std::string& why = {});

}  // namespace moira::sim
