#pragma once
// Where a message, a call or a signal goes: a pid, a name registered on the caller's node, or a
// name on a given node (Erlang's Pid | Name | {Name, Node}). call, cast, monitor, send_after and
// exit take a Dest; a Pid, a string or a Name converts to one.
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/message.hpp"
#include "runtime/pid.hpp"
#include "runtime/reason.hpp"

namespace moira {

class Engine;

// {Name, Node}: a name registered on a given node.
struct Name {
  std::string name;
  NodeId node = 0;
};

class Dest {
 public:
  Dest(Pid pid) : pid_(pid) {}  // NOLINT: implicit by design, as are the others
  Dest(std::string name) : name_(std::move(name)), by_name_(true) {}  // NOLINT
  Dest(std::string_view name) : Dest(std::string{name}) {}           // NOLINT
  Dest(const char* name) : Dest(std::string{name}) {}                // NOLINT
  Dest(Name n) : name_(std::move(n.name)), node_(n.node), by_name_(true) {}  // NOLINT

  bool by_name() const { return by_name_; }
  Pid pid() const { return pid_; }                     // by_name() false
  const std::string& name() const { return name_; }    // by_name() true
  std::optional<NodeId> node() const { return node_; }  // nullopt: the caller's node

 private:
  Pid pid_;
  std::string name_;
  std::optional<NodeId> node_;
  bool by_name_ = false;
};

namespace detail {

// A Dest looked up now: the pid, or why there is none (noproc: no such name; noconnection: no
// such node, or it is down).
struct Resolved {
  Pid pid;
  Reason why;
};
Resolved resolve(Engine& engine, NodeId caller_node, const Dest& to);

// The payload of send_after to a name: the name is looked up when the timer fires, as Erlang's
// erlang:send_after(Time, Name, Msg) does; the message is dropped if nobody has the name then.
struct TimerToName {
  std::string name;
  NodeId node = 0;
  std::unique_ptr<Item> message;
};

// Every engine's timer delivers through here: a timer to a name is resolved now.
void fire_timer(Engine& engine, ItemPtr item);

}  // namespace detail
}  // namespace moira

template <>
struct fmt::formatter<moira::Dest> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::Dest& d, Ctx& ctx) const {
    if (!d.by_name()) return fmt::format_to(ctx.out(), "{}", d.pid());
    if (!d.node()) return fmt::format_to(ctx.out(), "'{}'", d.name());
    return fmt::format_to(ctx.out(), "{{'{}', node {}}}", d.name(), *d.node());
  }
};
