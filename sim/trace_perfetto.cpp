#include "sim/trace_perfetto.hpp"

#include <fmt/format.h>

namespace moira::sim {

namespace {

constexpr int kEngineTid = 0;  // per node: what the engine did with no process running
constexpr std::size_t kMaxLinesPerSlice = 24;

struct Writer {
  std::string out;
  bool first = true;
  void add(const std::string& json) {
    out += first ? "\n" : ",\n";
    out += json;
    first = false;
  }
};

int pid_of(NodeId node) { return static_cast<int>(node) + 1; }
int tid_of(std::size_t lane) { return static_cast<int>(lane) + 1; }

struct SliceSpan {
  std::size_t lane = kNone;
  std::size_t first = kNone;
  std::size_t last = kNone;
};

// Run slices: maximal stretches of consecutive events that happened while one process ran.
std::vector<SliceSpan> run_slices(const TraceModel& m) {
  std::vector<SliceSpan> spans;
  for (std::size_t i = 0; i < m.size(); ++i) {
    const Event& e = m.event(i);
    if (e.actor.is_null()) continue;
    std::size_t lane = m.lane_index(e.actor);
    if (lane == kNone) continue;
    if (!spans.empty() && spans.back().lane == lane && spans.back().last + 1 >= i) {
      spans.back().last = i;
      continue;
    }
    // Events of the engine in between (a decision) do not split a slice of the same process.
    bool only_decisions = !spans.empty() && spans.back().lane == lane;
    for (std::size_t j = spans.empty() ? i : spans.back().last + 1; only_decisions && j < i; ++j)
      only_decisions = m.event(j).kind == EventKind::decision;
    if (only_decisions) {
      spans.back().last = i;
    } else {
      spans.push_back(SliceSpan{lane, i, i});
    }
  }
  return spans;
}

std::string slice_name(const TraceModel& m, const SliceSpan& s) {
  for (std::size_t i = s.first; i <= s.last; ++i)
    if (m.event(i).kind == EventKind::receive && m.lane_of(i) == s.lane) {
      std::string c = m.content(i);
      return c.empty() ? "receive" : "receive " + c;
    }
  const Event& e = m.event(s.first);
  return e.kind == EventKind::spawn && e.a == m.lanes()[s.lane].pid ? "start" : "run";
}

}  // namespace

std::string render_perfetto(const TraceModel& m, const PerfettoOptions& o) {
  Writer w;
  // Tracks: a "process" per node, a "thread" per moira process, tid 0 for the engine.
  std::vector<bool> node_seen;
  auto node_track = [&](NodeId node) {
    if (node_seen.size() <= node) node_seen.resize(node + 1, false);
    if (node_seen[node]) return;
    node_seen[node] = true;
    w.add(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"args":{{"name":"{}"}}}})", pid_of(node),
                      json_escape("node " + m.node_label(node))));
    w.add(fmt::format(R"({{"ph":"M","name":"process_sort_index","pid":{},"tid":0,"args":{{"sort_index":{}}}}})",
                      pid_of(node), node));
    w.add(fmt::format(R"j({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":"engine (timers, arrivals, faults)"}}}})j",
                      pid_of(node), kEngineTid));
  };
  node_track(0);
  for (std::size_t l = 0; l < m.lanes().size(); ++l) {
    const Lane& lane = m.lanes()[l];
    node_track(lane.pid.node);
    w.add(fmt::format(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":"{}"}}}})", pid_of(lane.pid.node),
                      tid_of(l), json_escape(lane.label)));
    w.add(fmt::format(R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
                      pid_of(lane.pid.node), tid_of(l), l + 1));
  }

  // Run slices, each 1 µs per step wide (at least 1), with what happened in words.
  std::vector<SliceSpan> spans = run_slices(m);
  std::vector<std::size_t> span_of(m.size(), kNone);
  for (std::size_t k = 0; k < spans.size(); ++k) {
    const SliceSpan& s = spans[k];
    for (std::size_t i = s.first; i <= s.last; ++i) span_of[i] = k;
    std::string lines;
    std::size_t shown = 0;
    for (std::size_t i = s.first; i <= s.last; ++i) {
      if (m.event(i).kind == EventKind::decision || m.immediate_delivery(i)) continue;
      if (shown++ >= kMaxLinesPerSlice) continue;
      if (!lines.empty()) lines += '\n';
      lines += m.describe(i);
    }
    if (shown > kMaxLinesPerSlice) lines += fmt::format("\n… {} more", shown - kMaxLinesPerSlice);
    const Event& a = m.event(s.first);
    const Event& b = m.event(s.last);
    w.add(fmt::format(
        R"({{"ph":"X","name":"{}","cat":"run","pid":{},"tid":{},"ts":{},"dur":{},"args":{{"virtual_time_s":"{}","steps":"{}..{}","events":"{}"}}}})",
        json_escape(slice_name(m, s)), pid_of(m.lanes()[s.lane].pid.node), tid_of(s.lane), a.step, b.step - a.step + 1,
        seconds_text(a.time), a.step, b.step, json_escape(lines)));
  }

  // Flows: a message from its send to the receive that took it; a signal from its send to the
  // target's next run slice after it arrived.
  std::uint64_t flow = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    const Event& e = m.event(i);
    if ((e.kind != EventKind::send && !is_signal_send(e.kind)) || span_of[i] == kNone) continue;
    std::size_t end = m.arrival(i);
    if (end == kNone) continue;
    const Event& f = m.event(end);
    std::size_t to_lane = m.lane_index(f.kind == EventKind::receive ? f.a : f.b);
    if (to_lane == kNone || to_lane == spans[span_of[i]].lane) continue;
    bool enclosing = f.kind == EventKind::receive && span_of[end] != kNone;
    if (!enclosing) {
      if (f.kind == EventKind::receive || f.kind == EventKind::drop) continue;
      // A signal: the target's next slice on or after its arrival.
      bool later = false;
      for (std::size_t k = span_of[i] + 1; k < spans.size() && !later; ++k)
        later = spans[k].lane == to_lane && m.event(spans[k].first).step >= f.step;
      if (!later) continue;
    }
    ++flow;
    std::string name = json_escape(m.content(i));
    const char* cat = e.kind == EventKind::send ? "message" : "signal";
    w.add(fmt::format(R"({{"ph":"s","id":{},"cat":"{}","name":"{}","pid":{},"tid":{},"ts":{}}})", flow, cat, name,
                      pid_of(m.lanes()[spans[span_of[i]].lane].pid.node), tid_of(spans[span_of[i]].lane), e.step));
    w.add(fmt::format(R"({{"ph":"f",{}"id":{},"cat":"{}","name":"{}","pid":{},"tid":{},"ts":{}}})",
                      enclosing ? R"("bp":"e",)" : "", flow, cat, name, pid_of(m.lanes()[to_lane].pid.node),
                      tid_of(to_lane), f.step));
  }

  // Instants: exits and marks on their process, faults across the whole trace, the failure.
  for (std::size_t i = 0; i < m.size(); ++i) {
    const Event& e = m.event(i);
    std::size_t lane = m.lane_of(i);
    if (e.kind == EventKind::fault) {
      w.add(fmt::format(R"({{"ph":"i","s":"g","name":"FAULT {}","cat":"fault","pid":{},"tid":{},"ts":{},"args":{{"virtual_time_s":"{}"}}}})",
                        json_escape(e.text), pid_of(0), kEngineTid, e.step, seconds_text(e.time)));
    } else if ((e.kind == EventKind::exit || e.kind == EventKind::mark || i == o.failure) && lane != kNone) {
      std::string name = i == o.failure ? "FAILURE: " + m.describe(i)
                         : e.kind == EventKind::exit ? "exit: " + e.text
                                                     : "!! " + e.text;
      w.add(fmt::format(R"({{"ph":"i","s":"t","name":"{}","cat":"{}","pid":{},"tid":{},"ts":{},"args":{{"virtual_time_s":"{}"}}}})",
                        json_escape(name), i == o.failure ? "failure" : to_string(e.kind), pid_of(m.lanes()[lane].pid.node),
                        tid_of(lane), e.step, seconds_text(e.time)));
    }
  }
  return fmt::format(R"({{"displayTimeUnit":"ns","otherData":{{"title":"{}","clock":"1 us = 1 simulator step"}},"traceEvents":[{}
]}}
)",
                     json_escape(o.title), w.out);
}

}  // namespace moira::sim
