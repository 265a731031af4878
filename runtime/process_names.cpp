// Process operations addressed by name (Erlang's Name and {Name, Node} destinations).
#include <fmt/format.h>

#include "runtime/process.hpp"

namespace moira {

Ref Process::monitor(const Dest& to) {
  if (!to.by_name()) return monitor(to.pid());
  detail::Resolved r = detail::resolve(*engine_, node(), to);
  if (r.pid) return monitor(r.pid);
  // Nobody to watch: the Down comes at once, as for Erlang's monitor of an unregistered name.
  Ref ref = engine_->make_ref();
  monitors_.push_back({ref, Pid{}});
  auto down = std::make_unique<detail::SignalItem>(detail::ItemKind::down, r.why);
  down->to = pid_;
  down->ref = ref;
  engine_->deliver(std::move(down));
  preempt(PointKind::monitor);
  return ref;
}

void Process::exit(const Dest& to, Reason reason) {
  if (!to.by_name()) return exit(to.pid(), std::move(reason));
  detail::Resolved r = detail::resolve(*engine_, node(), to);
  if (r.pid) return exit(r.pid, std::move(reason));
  if (!to.node() || *to.node() == node()) {
    throw Error(fmt::format("exit to '{}': no process is registered under that name", to.name()));
  }
}

}  // namespace moira
