#pragma once
// The text trace a person reads: a legend, then one line per event in words — pids with their
// incarnation and registered name, message contents, exit reasons, refs — with scheduler
// decisions folded unless asked for, and filters or a causal slice applied.
#include <cstddef>
#include <string>
#include <vector>

#include "sim/trace_filter.hpp"
#include "sim/trace_model.hpp"

namespace moira::sim {

struct TextOptions {
  std::string title;         // first line: what ran and how it ended
  TraceFilter filter;
  bool decisions = false;    // show scheduler decisions (folded otherwise)
  std::size_t failure = kNone;  // marked ">>"
  const std::vector<bool>* slice = nullptr;  // only these events (a causal slice)
  std::string slice_note;    // what the slice is, for the header
};

std::string render_text(const TraceModel& model, const TextOptions& options);

}  // namespace moira::sim
