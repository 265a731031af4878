// The simulated network: where an item goes once a process lets go of it. Local items go straight
// to the mailbox (or, with relaxed_delivery, wait in flight like remote ones); items between
// nodes travel with a chosen latency, per (sender, receiver) pair in order, and are lost to
// partitions, lossy links and crashed nodes — link and monitor requests that are lost come back
// as noconnection, as Erlang's distribution does.
#include <algorithm>

#include <fmt/format.h>

#include "sim/check.hpp"
#include "sim/simulation.hpp"

namespace moira::sim {

using moira::detail::InfoReply;
using moira::detail::ItemKind;
using moira::detail::ItemPtr;
using moira::detail::SignalItem;

void Simulation::deliver(ItemPtr item) {
  switch (mode_) {
    case Mode::teardown:
      return;
    case Mode::crash_unwind:  // what a crashing node's processes say on the way out stays there
      note(EventKind::drop, item->from, item->to, static_cast<std::uint64_t>(item->kind), 0, "sender's node crashed");
      return;
    case Mode::crash_finish:
      return deliver_from_crashed(std::move(item));
    case Mode::normal:
      break;
  }
  note_item(*item);
  const NodeId dst = item->to.node;
  const NodeId src = item->from.is_null() ? dst : item->from.node;
  if (src != dst) return send_remote(src, dst, std::move(item));
  // A process's items to itself, and items from outside any process, are never in flight.
  if (!options_.relaxed_delivery || item->from == item->to || item->from.is_null()) return deliver_now(std::move(item));
  enqueue(src, dst, std::move(item), options_.local_time_jumps && jumps_left_ > 0 ? local_latency() : Duration{0});
}

// A local message may be slow enough for the next timer to fire first (options.local_time_jumps).
Duration Simulation::local_latency() {
  if (timers_.empty()) return Duration{0};
  const std::int64_t next = timers_.begin()->first.due;
  if (next <= now_.count() || next > options_.max_virtual_time.count()) return Duration{0};
  if (decide(DecisionKind::time_jump, 2) == 0) return Duration{0};
  --jumps_left_;
  return Duration{next - now_.count()};
}

void Simulation::deliver_now(ItemPtr item) {
  const NodeId dst = item->to.node;
  Node* node = dst == crashing_ ? nullptr : find_node(dst);
  if (!node) {
    note_drop(*item, "target node down");
    return bounce(std::move(item));
  }
  trace_.add(steps_, now_, EventKind::deliver, item->from, item->to, static_cast<std::uint64_t>(item->kind), 0, {});
  if (Event* e = trace_.last()) {
    decorate(*e, stamped(*item));
    stamp(*item);
  }
  ++delivered_;
  if (observer_) observer_->appended(*item);
  Process::deliver_local(*this, *node, std::move(item));
}

void Simulation::send_remote(NodeId src, NodeId dst, ItemPtr item) {
  if (dst >= nodes_.size() || !nodes_[dst].node || src >= nodes_.size()) {
    note_drop(*item, "target node down");
    return bounce(std::move(item));
  }
  const LinkState& l = link(src, dst);
  if (l.blocked) {
    note_drop(*item, "partition");
    return bounce(std::move(item));
  }
  if (item->kind == ItemKind::message) {  // signals are never lost on a live link
    double p = std::max(l.drop_probability, options_.faults.drop_probability);
    if (p > 0 && chance(DecisionKind::drop, p)) {
      note_drop(*item, "lossy link");
      return;
    }
  }
  Duration extra = l.delay;
  const moira::detail::Item& sent = *item;  // in flight after enqueue: it lives on
  const Key original = enqueue(src, dst, std::move(item), choose_latency() + extra);
  if (options_.faults.duplicate_probability > 0 && sent.kind == ItemKind::message) maybe_duplicate(src, dst, sent, original, extra);
}

// A link that delivers at least once: a copy of the message, with its own latency, no earlier than
// the original but outside the pair's FIFO order, as a retransmission overtaken by newer messages.
void Simulation::maybe_duplicate(NodeId src, NodeId dst, const moira::detail::Item& item, Key original,
                                 Duration extra) {
  const auto& m = static_cast<const moira::detail::MessageItem&>(item);
  if (!m.type->clone || !chance(DecisionKind::duplicate, options_.faults.duplicate_probability)) return;
  ItemPtr copy{m.type->clone(m)};
  copy->from = m.from;
  copy->to = m.to;
  copy->ref = m.ref;
  copy->via_alias = m.via_alias;
  note_item(*copy);
  if (Event* e = trace_.last()) e->detail += " [a duplicate made by the link]";
  const std::int64_t due = std::max((now_ + choose_latency() + extra).count(), original.due);
  const Pid from = copy->from;
  const Pid to = copy->to;
  in_flight_.emplace(Key{due, ++seq_}, InFlight{std::move(copy), from, to, src, dst, 0, true, original});
}

Duration Simulation::choose_latency() {
  const Duration lo = options_.latency_min;
  const Duration hi = options_.latency_max;
  const unsigned steps = options_.latency_steps;
  if (steps < 2 || hi <= lo) return lo;
  auto c = static_cast<std::int64_t>(decide(DecisionKind::latency, steps));
  return lo + (hi - lo) * c / static_cast<std::int64_t>(steps - 1);
}

// Per-pair FIFO: an item never becomes due before the one its sender sent the same receiver
// earlier, and ties go by seq, so (due, seq) order never reorders a pair.
Simulation::Key Simulation::enqueue(NodeId src, NodeId dst, ItemPtr item, Duration latency) {
  if (observer_) observer_->global();
  const Pid from = item->from;
  const Pid to = item->to;
  PairState& ps = pairs_[{from, to}];
  Time due = std::max(now_ + latency, ps.last_due);
  ps.last_due = due;
  std::uint64_t no = ps.sent++;
  Key key{due.count(), ++seq_};
  in_flight_.emplace(key, InFlight{std::move(item), from, to, src, dst, no});
  return key;
}

bool Simulation::is_head(const InFlight& f) const {
  if (f.unordered) return !in_flight_.contains(f.after);
  auto it = pairs_.find({f.from, f.to});
  return it != pairs_.end() && it->second.delivered == f.pair_no;
}

void Simulation::fire_message(const Key& key) {
  auto node = in_flight_.extract(key);
  MOIRA_SIM_CHECK(!node.empty(), "due message vanished");
  InFlight& f = node.mapped();
  if (f.unordered) return deliver_now(std::move(f.item));
  auto it = pairs_.find({f.from, f.to});
  MOIRA_SIM_CHECK(it != pairs_.end() && it->second.delivered == f.pair_no, "pair order broken for {} -> {}", f.from,
                  f.to);
  if (++it->second.delivered == it->second.sent) pairs_.erase(it);
  deliver_now(std::move(f.item));
}

template <class Pred>
void Simulation::purge_in_flight(Pred pred) {
  std::vector<ItemPtr> lost;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    InFlight& f = it->second;
    if (!pred(f)) {
      ++it;
      continue;
    }
    auto pit = f.unordered ? pairs_.end() : pairs_.find({f.from, f.to});
    if (pit != pairs_.end() && ++pit->second.delivered == pit->second.sent) pairs_.erase(pit);
    note_drop(*f.item, "lost in flight");
    lost.push_back(std::move(f.item));
    it = in_flight_.erase(it);
  }
  for (auto& item : lost) bounce(std::move(item));
}

// An item that cannot arrive: a link or monitor request is answered with noconnection (and an
// info request with "no such process") on the sender's own node; anything else is just lost.
void Simulation::bounce(ItemPtr item) {
  // A Down or a link's exit signal from the crashing node, lost in flight (its sender had ended
  // already): the receiver learns noconnection instead, as from the processes the crash ends —
  // else its monitor or link would wait forever (Erlang's distribution says noconnection).
  if (crashing_ != kNoNode && item->from.node == crashing_ &&
      (item->kind == ItemKind::down ||
       (item->kind == ItemKind::exit && static_cast<SignalItem&>(*item).via_link))) {
    deliver_from_crashed(std::move(item));
    return;
  }
  if (item->from.is_null() || item->from.node == crashing_ || !node_up(item->from.node)) return;
  CauseScope scope{*this, stamped(*item)};  // the drop
  ItemPtr reply;
  switch (item->kind) {
    case ItemKind::link:
      reply = std::make_unique<SignalItem>(ItemKind::exit, Reason::noconnection(), true);
      break;
    case ItemKind::monitor:
      reply = std::make_unique<SignalItem>(ItemKind::down, Reason::noconnection());
      break;
    case ItemKind::info_request:
      reply = std::make_unique<moira::detail::ValueItem<InfoReply>>(InfoReply{item->ref, std::nullopt});
      break;
    default:
      return;
  }
  reply->from = item->to;
  reply->to = item->from;
  reply->ref = item->ref;
  note_item(*reply);
  deliver_now(std::move(reply));
}

// finish() of a process on a crashing node: its links and monitors learn noconnection (at once,
// on their own nodes: the connection is what failed); nothing else leaves.
void Simulation::deliver_from_crashed(ItemPtr item) {
  if (item->to.is_null() || item->to.node == crashing_) return;
  if (item->kind == ItemKind::exit || item->kind == ItemKind::down) {
    static_cast<SignalItem&>(*item).reason = Reason::noconnection();
  }
  note_item(*item);
  deliver_now(std::move(item));
}

namespace {
ItemPtr make_signal(ItemKind kind, Pid from, Pid to, Ref ref, Reason reason, bool via_link) {
  auto s = std::make_unique<SignalItem>(kind, std::move(reason), via_link);
  s->from = from;
  s->to = to;
  s->ref = ref;
  return s;
}
}  // namespace

// For every live process, each link and monitor to a process on a node it is now cut off from
// ends as if that process had gone with noconnection: linked processes get an exit signal, a
// monitoring one a Down, a monitored one forgets the monitor.
template <class Cut>
void Simulation::sever(Cut cut) {
  std::vector<ItemPtr> signals;
  for (const auto& ns : nodes_) {
    if (!ns.node) continue;
    for (Process* p : ns.slots) {
      if (!p) continue;
      const Pid self = p->self();
      for (Pid other : p->links())
        if (other.node != self.node && cut(self.node, other.node))
          signals.push_back(make_signal(ItemKind::exit, other, self, {}, Reason::noconnection(), true));
      for (const auto& m : p->monitors())
        if (m.pid.node != self.node && cut(self.node, m.pid.node))
          signals.push_back(make_signal(ItemKind::down, m.pid, self, m.ref, Reason::noconnection(), false));
      for (const auto& m : p->monitored_by())
        if (m.pid.node != self.node && cut(self.node, m.pid.node))
          signals.push_back(make_signal(ItemKind::demonitor, m.pid, self, m.ref, {}, false));
    }
  }
  for (auto& s : signals) {
    note_item(*s);
    deliver_now(std::move(s));
  }
}

void Simulation::sever_new_spawn(Process* parent, Process* child) {
  const NodeId a = parent->node();
  const NodeId b = child->node();
  if (!blocked(a, b) && !blocked(b, a)) return;
  sever([&](NodeId x, NodeId y) { return (x == a && y == b) || (x == b && y == a); });
}

void Simulation::partition_now(const Fault& f) {
  auto valid = [&](NodeId n) { return n < nodes_.size(); };
  std::vector<NodeId> a;
  std::vector<NodeId> b;
  for (NodeId n : f.side_a)
    if (valid(n)) a.push_back(n);
  for (NodeId n : f.side_b)
    if (valid(n)) b.push_back(n);
  if (f.side_b.empty()) {
    for (NodeId n = 0; n < nodes_.size(); ++n)
      if (std::find(a.begin(), a.end(), n) == a.end()) b.push_back(n);
  }
  std::vector<std::pair<NodeId, NodeId>> fresh;
  auto block = [&](NodeId x, NodeId y) {
    if (x == y || link(x, y).blocked) return;
    link(x, y).blocked = true;
    fresh.emplace_back(std::min(x, y), std::max(x, y));
  };
  for (NodeId x : a) {
    for (NodeId y : b) {
      block(x, y);
      if (!f.one_way) block(y, x);
    }
  }
  if (fresh.empty()) return;
  purge_in_flight([&](const InFlight& item) { return item.src != item.dst && link(item.src, item.dst).blocked; });
  // A one-way partition breaks the connection too (Erlang's net ticks fail): both ends learn it.
  sever([&](NodeId x, NodeId y) {
    std::pair<NodeId, NodeId> key{std::min(x, y), std::max(x, y)};
    return std::find(fresh.begin(), fresh.end(), key) != fresh.end();
  });
}

void Simulation::heal_now(const Fault& f) {
  if (f.side_a.empty() && f.side_b.empty()) {
    for (auto& l : links_) l.blocked = false;
    return;
  }
  for (NodeId x : f.side_a) {
    if (x >= nodes_.size()) continue;
    for (NodeId y = 0; y < nodes_.size(); ++y) {
      if (!f.side_b.empty() && std::find(f.side_b.begin(), f.side_b.end(), y) == f.side_b.end()) continue;
      link(x, y).blocked = false;
      link(y, x).blocked = false;
    }
  }
}

void Simulation::crash_now(NodeId id) {
  NodeState& ns = nodes_[id];
  if (!ns.node) return;
  crashing_ = id;
  // What is in flight to or from the node is lost (link and monitor requests bounce).
  purge_in_flight([&](const InFlight& f) { return f.src == id || f.dst == id; });
  // Its timers go with it.
  for (auto it = timers_.begin(); it != timers_.end();) {
    it = it->second.owner == id ? erase_timer(it) : std::next(it);
  }
  runnable_.remove_if([&](Process* p) { return p->node() == id; });
  // Every process ends with noconnection, its fiber unwound; finish() then tells links and
  // monitors elsewhere (deliver_from_crashed).
  for (;;) {
    Process* p = nullptr;
    for (Process* q : ns.slots)
      if (q) {
        p = q;
        break;
      }
    if (!p) break;
    p->condemn(Reason::noconnection());
    mode_ = Mode::crash_unwind;
    run_to_exit(p);
    mode_ = Mode::crash_finish;
    retire(p);
    mode_ = Mode::normal;
  }
  crashing_ = kNoNode;
  ns.node.reset();
  ns.slots.clear();
  ns.live = 0;
}

void Simulation::restart_now(NodeId id) {
  NodeState& ns = nodes_[id];
  if (ns.node) crash_now(id);
  ++ns.incarnation;
  ns.node = std::make_unique<Node>(id, ns.incarnation);
  if (ns.boot) spawn_boot(id);
}

}  // namespace moira::sim
