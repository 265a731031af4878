#pragma once
// Supervisor: OTP's supervisor, with its rules (the OTP supervisor documentation is the
// reference). Strategies one_for_one, one_for_all, rest_for_one and simple_one_for_one; restart
// types permanent, transient, temporary; restart intensity (more than `intensity` restarts within
// `period` and the supervisor shuts its children down in reverse start order and exits with
// `shutdown`); per-child shutdown: brutal_kill, a timeout then kill, or infinity.
//
// A supervisor is a fiber process that traps exits. Child start functions run inside it and must
// link the child to it (spawn_link, or start_server with SpawnOptions{.link = true}). A start
// function answers the child's pid, an error (or throws one: the supervisor catches it), or
// Reason::ignore() to start nothing (the child is then recorded as not running).
#include <functional>
#include <string>
#include <vector>

#include "runtime/behaviours/result.hpp"
#include "runtime/behaviours/server.hpp"
#include "runtime/process.hpp"

namespace moira {

enum class Strategy : std::uint8_t { one_for_one, one_for_all, rest_for_one, simple_one_for_one };
enum class Restart : std::uint8_t { permanent, transient, temporary };
enum class ChildType : std::uint8_t { worker, supervisor };

struct Shutdown {
  enum class Kind : std::uint8_t { brutal_kill, timeout, infinity };
  Kind kind = Kind::timeout;
  Duration timeout = std::chrono::seconds{5};
  static Shutdown brutal_kill() { return {Kind::brutal_kill, {}}; }
  static Shutdown after(Duration d) { return {Kind::timeout, d}; }
  static Shutdown infinity() { return {Kind::infinity, {}}; }
};

struct ChildSpec {
  std::string id;
  // Runs in the supervisor; must start the child linked to it. A failure's reason is the start's;
  // Reason::ignore() starts nothing.
  std::function<Result<Pid>(Process& supervisor)> start;
  Restart restart = Restart::permanent;
  Shutdown shutdown = Shutdown::after(std::chrono::seconds{5});
  ChildType type = ChildType::worker;
  // simple_one_for_one only: starts a child from the argument given to start_dynamic_child.
  std::function<Result<Pid>(Process& supervisor, Message& arg)> start_with;
};

// The template child of a simple_one_for_one supervisor: each start_dynamic_child(arg) calls
// f(supervisor, arg). Arg is checked at run time (a wrong type gives the error "badarg").
template <class Arg, class F>
ChildSpec dynamic_child(std::string id, F f, Restart restart = Restart::temporary) {
  ChildSpec spec;
  spec.id = std::move(id);
  spec.restart = restart;
  spec.start_with = [f = std::move(f)](Process& sup, Message& arg) -> Result<Pid> {
    if (!arg.is<Arg>()) return Result<Pid>::failure(Reason{"badarg"});
    return f(sup, arg.get<Arg>());
  };
  return spec;
}

struct SupervisorSpec {
  Strategy strategy = Strategy::one_for_one;
  int intensity = 1;                             // at most this many restarts ...
  Duration period = std::chrono::seconds{5};     // ... within this long
  std::vector<ChildSpec> children;               // simple_one_for_one: exactly one, the template
};

struct ChildInfo {
  std::string id;
  Pid pid;  // null when not running
  ChildType type = ChildType::worker;
};

// Why start_supervisor failed when a child did not start: the reason is
// Reason::shutdown(FailedToStartChild{id, why}), OTP's {shutdown, {failed_to_start_child, Id, Why}}.
struct FailedToStartChild {
  std::string id;
  Reason reason;
};

struct ChildCounts {
  std::size_t specs = 0;
  std::size_t active = 0;
  std::size_t supervisors = 0;
  std::size_t workers = 0;
};

// Starts a supervisor (linked to the caller) and all its children in order; returns once they
// are all started, or fails with Reason::shutdown(FailedToStartChild{id, why}) for the first child
// that did not start (the supervisor then stops the ones it had started and exits with that).
Result<Pid> start_supervisor(Process& self, SupervisorSpec spec, SpawnOptions opts = {.link = true});

// `supervisor` is a pid or a name (see Dest). Each fails with noproc when the supervisor is not
// there, and simple_one_for_one ones refuse a child id with the error "simple_one_for_one".
// A start that answered ignore gives the null pid (OTP's {ok, undefined}).
Result<Pid> start_child(Process& self, const Dest& supervisor, ChildSpec spec);
template <MessageValue Arg>
Result<Pid> start_dynamic_child(Process& self, const Dest& supervisor, Arg arg);
Result<bool> terminate_child(Process& self, const Dest& supervisor, const std::string& id);
// simple_one_for_one: ok for a child that has already gone, not_found for a live process that is
// not its child.
Result<bool> terminate_child(Process& self, const Dest& supervisor, Pid child);
Result<Pid> restart_child(Process& self, const Dest& supervisor, const std::string& id);
Result<bool> delete_child(Process& self, const Dest& supervisor, const std::string& id);
Result<std::vector<ChildInfo>> which_children(Process& self, const Dest& supervisor);
Result<ChildCounts> count_children(Process& self, const Dest& supervisor);

namespace detail {
struct SupervisorRequest {
  enum class Op : std::uint8_t { start_child, start_dynamic, terminate, terminate_pid, restart, remove, which, count };
  Op op;
  std::string id;
  Pid pid;
  ChildSpec spec;
  Message arg;
};
struct SupervisorReply {
  std::optional<Reason> error;
  Pid pid;
  std::vector<ChildInfo> children;
  ChildCounts counts;
};
Result<SupervisorReply> supervisor_request(Process& self, const Dest& supervisor, SupervisorRequest request);
}  // namespace detail

template <MessageValue Arg>
Result<Pid> start_dynamic_child(Process& self, const Dest& supervisor, Arg arg) {
  detail::SupervisorRequest r{detail::SupervisorRequest::Op::start_dynamic, {}, {}, {}, Message::of(std::move(arg))};
  auto reply = detail::supervisor_request(self, supervisor, std::move(r));
  if (!reply) return Result<Pid>::failure(reply.error());
  if (reply.value().error) return Result<Pid>::failure(*reply.value().error);
  return reply.value().pid;
}

}  // namespace moira

template <>
struct fmt::formatter<moira::FailedToStartChild> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::FailedToStartChild& f, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{{failed_to_start_child, {}, {}}}", f.id, f.reason);
  }
};
