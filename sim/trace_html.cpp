#include "sim/trace_html.hpp"

#include <fmt/format.h>

#include "sim/causal.hpp"
#include "sim/markup.hpp"
#include "sim/trace_html_assets.hpp"  // generated from trace_html/chart.{css,js}

namespace moira::sim {

namespace {

constexpr int kFolded = 1, kTimer = 2, kCrash = 4;

// JSON that may sit inside <script>: no '<' at all, so no "</script>" can end it early.
std::string script_safe(std::string json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) out += c == '<' ? std::string{"\\u003c"} : std::string(1, c);
  return out;
}

long long index_or(std::size_t i) { return i == kNone ? -1 : static_cast<long long>(i); }

int flags(const TraceModel& m, std::size_t i) {
  const Event& e = m.event(i);
  int f = 0;
  if (e.kind == EventKind::deliver) {
    std::size_t o = m.origin(i);
    if (m.immediate_delivery(i) || (e.x == 0 && o != kNone && m.arrival(o) != i)) f |= kFolded;
  }
  if (e.kind == EventKind::timer_start || e.kind == EventKind::timer_fire || e.kind == EventKind::timer_cancel ||
      e.kind == EventKind::timeout || (e.kind == EventKind::deliver && e.x == 7))
    f |= kTimer;
  if (e.kind == EventKind::exit && is_crash_reason(e.text)) f |= kCrash;
  return f;
}

std::string label(const TraceModel& m, std::size_t i) {
  const Event& e = m.event(i);
  switch (e.kind) {
    case EventKind::exit:
    case EventKind::mark:
    case EventKind::fault: return e.text;
    default: return e.kind == EventKind::send || is_signal_send(e.kind) ? m.content(i) : std::string{};
  }
}

std::string data_json(const TraceModel& m, const HtmlOptions& o) {
  std::string out = fmt::format(R"({{"title":"{}","failure":{},"failureText":"{}","narrowSince":{},"notKept":{},"kinds":[)",
                                json_escape(o.title), index_or(o.failure), json_escape(o.failure_text),
                                index_or(o.failure == kNone ? kNone : round_trip_start(m, o.failure)), m.trace().not_kept());
  for (int k = 0; k <= static_cast<int>(EventKind::mark); ++k)
    out += fmt::format(R"({}"{}")", k ? "," : "", to_string(static_cast<EventKind>(k)));
  out += R"(],"signals":["link","unlink","monitor","demonitor","down","exit_signal","timeout","info"],"nodes":[)";
  NodeId nodes = 0;
  for (const Lane& l : m.lanes()) nodes = std::max(nodes, l.pid.node + 1);
  nodes = std::max<NodeId>(nodes, static_cast<NodeId>(m.trace().node_names().size()));
  for (NodeId n = 0; n < nodes; ++n) out += fmt::format(R"({}"{}")", n ? "," : "", json_escape(m.node_label(n)));
  out += R"(],"lanes":[)";
  for (std::size_t l = 0; l < m.lanes().size(); ++l) {
    const Lane& lane = m.lanes()[l];
    std::size_t first = lane.spawned_at != kNone ? lane.spawned_at : lane.first;
    out += fmt::format(R"({}{{"label":"{}","node":{},"first":{},"exitAt":{},"exit":"{}"}})", l ? "," : "",
                       json_escape(lane.label), lane.pid.node, index_or(first), index_or(lane.exited_at),
                       lane.exited_at == kNone ? "" : json_escape(m.event(lane.exited_at).text));
  }
  out += R"(],"ev":[)";
  for (std::size_t i = 0; i < m.size(); ++i) {
    const Event& e = m.event(i);
    out += fmt::format(R"({}[{},{},{},{},{},{},{},"{}","{}",{}])", i ? ",\n" : "\n", e.step, e.time.count(),
                       static_cast<int>(e.kind), index_or(m.lane_of(i)), index_or(e.b.is_null() ? kNone : m.lane_index(e.b)),
                       index_or(e.a.is_null() ? kNone : m.lane_index(e.a)), index_or(m.arrival(i)),
                       json_escape(m.describe(i)), json_escape(label(m, i)), flags(m, i));
  }
  out += "],\n\"p\":[";
  for (std::size_t i = 0; i < m.size(); ++i) {
    out += i ? ",[" : "[";
    for (std::size_t k = 0; k < m.preds(i).size(); ++k) out += fmt::format("{}{}", k ? "," : "", m.preds(i)[k]);
    out += "]";
  }
  return out + "]}";
}

}  // namespace

std::string render_html(const TraceModel& m, const HtmlOptions& o) {
  std::string failure = o.failure == kNone ? std::string{}
                                           : fmt::format(R"(<div class="failure">{}</div>)",
                                                         markup_escape(o.failure_text.empty() ? m.describe(o.failure) : o.failure_text));
  return fmt::format(R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{css}</style></head>
<body>
<header><h1>{title}</h1>{failure}
<div class="controls">
<input id="filter" type="text" placeholder="filter: pid, name, kind, contents" aria-label="filter">
<button id="why" title="keep only what happened before the failure">Why? causal past</button>
<button id="narrow" title="only the round trip the failure closes">Narrow</button>
<button id="hide" title="hide, not dim, what is outside the slice">Hide others</button>
<button id="clear">Clear slice</button>
<button id="tofail">Go to failure</button>
<button id="decisions" title="the scheduler's decisions">Decisions</button>
<button id="timers" title="timer starts, fires and timeouts">Timers</button>
</div>
<div class="stats" id="stats"></div></header>
<div id="chart"><div id="lanes"></div><div id="body"></div></div><div id="tip"></div>
<script type="application/json" id="moira-data">{data}</script>
<script>{js}</script>
</body></html>
)html",
                     fmt::arg("title", markup_escape(o.title)), fmt::arg("css", kChartCss), fmt::arg("failure", failure),
                     fmt::arg("data", script_safe(data_json(m, o))), fmt::arg("js", kChartJs));
}

std::string trace_html(const Trace& trace, const std::string& title, bool failed, const std::string& why) {
  TraceModel model{trace};
  HtmlOptions o;
  o.title = title;
  if (failed) {
    o.failure = failure_event(model);
    o.failure_text = why;
  }
  return render_html(model, o);
}

}  // namespace moira::sim
