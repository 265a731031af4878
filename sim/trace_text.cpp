#include "sim/trace_text.hpp"

#include <fmt/format.h>

namespace moira::sim {

namespace {

std::string legend(const TraceModel& model, std::size_t decisions, std::size_t immediate, bool shown) {
  std::string out =
      "# legend: <node.index.generation>[#node incarnation] \"registered name\" is a process; time is virtual seconds\n"
      "#   A -> B: x   A sent x to B (contents through x's fmt::formatter, else its type); \"(in flight)\": arrives later\n"
      "#   B <- A: x   B's receive took x;  B <= A: x arrives   a later arrival in B's mailbox\n"
      "#   #Ref<n>     a monitor, call or timer reference;  !! a scenario's mark;  >> the failure;  FAULT injected\n";
  if (!shown && decisions > 0) out += fmt::format("#   folded: {} scheduler decisions (--decisions shows them)\n", decisions);
  if (immediate > 0) out += fmt::format("#   {} deliveries in the step of their send are shown on the send's line\n", immediate);
  if (std::uint64_t gone = model.trace().not_kept(); gone > 0)
    out += fmt::format("#   {} earlier events were not kept (bounded trace: --last / --last-seconds)\n", gone);
  return out;
}

std::string processes(const TraceModel& model) {
  std::string out;
  NodeId node = ~NodeId{0};
  for (const Lane& lane : model.lanes()) {
    if (lane.pid.node != node) {
      node = lane.pid.node;
      out += fmt::format("{}# {}: ", out.empty() ? "" : "\n", model.node_label(node));
    } else {
      out += ", ";
    }
    out += lane.label;
    if (lane.exited_at != kNone) out += fmt::format(" ({})", model.event(lane.exited_at).text);
  }
  return out.empty() ? out : out + "\n";
}

}  // namespace

std::string render_text(const TraceModel& model, const TextOptions& o) {
  std::size_t decisions = 0;
  std::size_t immediate = 0;
  for (std::size_t i = 0; i < model.size(); ++i) {
    decisions += model.event(i).kind == EventKind::decision;
    immediate += model.immediate_delivery(i);
  }
  const bool kinds_asked = !o.filter.kinds.empty();
  std::string out;
  if (!o.title.empty()) out += "# " + o.title + "\n";
  out += legend(model, decisions, kinds_asked ? 0 : immediate, o.decisions);
  out += processes(model);
  if (!o.slice_note.empty()) out += "# " + o.slice_note + "\n";
  out += "#   step       time  event\n";
  for (std::size_t i = 0; i < model.size(); ++i) {
    const Event& e = model.event(i);
    if (o.slice && !(*o.slice)[i]) continue;
    if (e.kind == EventKind::decision && !o.decisions && !kinds_asked) continue;
    if (!kinds_asked && model.immediate_delivery(i)) continue;
    if (!o.filter.matches(model, i)) continue;
    out += fmt::format("{}{:>6} {:>10}  {}\n", i == o.failure ? ">>" : "  ", e.step, seconds_text(e.time),
                       model.describe(i));
  }
  return out;
}

}  // namespace moira::sim
