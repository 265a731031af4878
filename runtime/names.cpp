#include "runtime/names.hpp"

#include "runtime/engine.hpp"

namespace moira::detail {

Resolved resolve(Engine& engine, NodeId caller_node, const Dest& to) {
  if (!to.by_name()) return {to.pid(), Reason::noproc()};
  NodeId node = to.node().value_or(caller_node);
  // A name on another node is read from that node's registry now (Erlang asks the node when the
  // request arrives there); a node that is not there is noconnection, as Erlang's distribution says.
  if (!engine.find_node(node)) return {Pid{}, Reason::noconnection()};
  auto pid = engine.whereis(to.name(), node);
  return {pid.value_or(Pid{}), Reason::noproc()};
}

void fire_timer(Engine& engine, ItemPtr item) {
  auto* m = item->kind == ItemKind::message ? static_cast<MessageItem*>(item.get()) : nullptr;
  if (!m || m->type != type_id_of<TimerToName>()) return engine.deliver(std::move(item));
  auto& named = static_cast<ValueItem<TimerToName>&>(*m).value;
  auto pid = engine.find_node(named.node) ? engine.whereis(named.name, named.node) : std::nullopt;
  if (!pid) return;  // nobody has the name now: dropped, as Erlang does
  ItemPtr message = std::move(named.message);
  message->from = item->from;
  message->to = *pid;
  engine.deliver(std::move(message));
}

}  // namespace moira::detail
