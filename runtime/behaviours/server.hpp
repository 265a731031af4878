#pragma once
// Server: OTP's gen_server. The callback object holds the state and runs as a stackless process.
//
//   struct Counter : Server<Counter, Get, long, Add> { ... };   // Call, Reply, Cast types
//   auto r = call<Counter>(self, pid, Get{}, 1s);              // Result<long>
//   cast<Counter>(self, "counter", Add{5});                     // a pid, a name, or Name{name, node}
//
// The request, reply and cast types are fixed by the server's type, so asking a server for
// something it does not answer is a compile error. A call is built on a monitor: a dead server
// gives noproc at once, one that dies mid-call gives its exit reason, a timeout gives "timeout",
// and the reply is sent through the monitor as an alias, so a late reply never reaches the caller.
//
// terminate(reason) runs as in OTP: when a callback throws or exits, when stop_server asks, and
// when a server that traps exits gets an exit signal from its parent (the process that started it
// linked: its supervisor); not when init fails, and not when an exit signal kills the process.
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "runtime/behaviours/result.hpp"
#include "runtime/process.hpp"
#include "runtime/show.hpp"

namespace moira {

// Who is waiting for a reply: pass it to reply() to answer later (a deferred reply).
struct From {
  Pid caller;
  Ref tag;
};

struct NoCast {};  // the Cast type of a server that takes no casts

namespace detail {
template <class Req>
struct CallRequest {
  From from;
  Req request;
};
template <class Rep>
struct CallReply {
  Rep reply;
};
struct InitAck {
  Ref ack;
  bool ignored = false;
};
template <class C>
struct CastRequest {
  C msg;
};
struct StopRequest {  // stop_server: terminate(reason), then exit with it
  Reason reason;
};
template <class Self>
struct StateRequest {  // get_state: runs `answer` on the state, which replies to `from`
  From from;
  std::function<void(Process&, const Self&, const From&)> answer;
};
}  // namespace detail

}  // namespace moira

// How the envelopes read in a trace: `call GetBalance{}`, `reply 3`, `cast SetBalance{4}`.
template <class Req>
struct fmt::formatter<moira::detail::CallRequest<Req>> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::detail::CallRequest<Req>& c, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "call {}", moira::detail::show(c.request));
  }
};
template <class Rep>
struct fmt::formatter<moira::detail::CallReply<Rep>> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::detail::CallReply<Rep>& r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "reply {}", moira::detail::show(r.reply));
  }
};
template <class C>
struct fmt::formatter<moira::detail::CastRequest<C>> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::detail::CastRequest<C>& c, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "cast {}", moira::detail::show(c.msg));
  }
};
template <>
struct fmt::formatter<moira::detail::InitAck> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::detail::InitAck&, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "init done");
  }
};

namespace moira {

template <class Self, class CallT, class ReplyT, class CastT = NoCast>
class Server : public Stackless {
 public:
  // Set by start_server before the process starts: whom to tell that init() returned, and whether
  // that process is the parent (linked to us: its exit signal stops us).
  void notify_started(Pid starter, Ref ack, bool starter_is_parent) {
    starter_ = starter;
    ack_ = ack;
    if (starter_is_parent) parent_ = starter;
  }

  using Call = CallT;
  using Reply = ReplyT;
  using Cast = CastT;

  virtual void init(Process& self) { (void)self; }
  // Return the reply, or std::nullopt to answer later with reply(self, from, value).
  virtual std::optional<Reply> handle_call(Process& self, Call request, From from) = 0;
  virtual void handle_cast(Process& self, Cast msg) {
    (void)self;
    (void)msg;
  }
  // Everything else: plain messages, Exit (when trapping; not the parent's), Down, timer messages.
  virtual void handle_info(Process& self, Message msg) {
    (void)self;
    (void)msg;
  }
  virtual void terminate(Process& self, const Reason& reason) {
    (void)self;
    (void)reason;
  }

 protected:
  // From init(): start nothing (OTP's `ignore`). start_server answers the error Reason::ignore()
  // once the process has gone (it exits normal, without terminate); a supervisor records the
  // child as not running.
  [[noreturn]] void ignore(Process& self) {
    if (starter_) self.send(starter_, detail::InitAck{ack_, true});
    starter_ = Pid{};
    self.exit(Reason::normal());
  }

 private:
  void start(Process& self) final {
    if (!parent_) parent_ = self.self();  // started unlinked: its own parent, as in OTP
    init(self);
    initialised_ = true;
    if (starter_) self.send(starter_, detail::InitAck{ack_});
  }
  void handle(Process& self, Message msg) final {
    if (auto* c = msg.try_get<detail::CallRequest<Call>>()) {
      From from = c->from;
      if (std::optional<Reply> r = handle_call(self, std::move(c->request), from)) {
        self.send_reply(from.caller, from.tag, detail::CallReply<Reply>{std::move(*r)});
      }
    } else if (auto* k = msg.try_get<detail::CastRequest<Cast>>()) {
      handle_cast(self, std::move(k->msg));
    } else if (auto* e = msg.try_get<Exit>(); e && e->from == parent_) {
      terminate_now(self, e->reason);  // the parent ends, or stops us (a supervisor's shutdown)
    } else if (auto* stop = msg.try_get<detail::StopRequest>()) {
      terminate_now(self, stop->reason);
    } else if (auto* q = msg.try_get<detail::StateRequest<Self>>()) {
      q->answer(self, static_cast<const Self&>(*this), q->from);
    } else {
      handle_info(self, std::move(msg));
    }
  }
  [[noreturn]] void terminate_now(Process& self, Reason reason) {
    terminated_ = true;
    terminate(self, reason);
    self.exit(std::move(reason));
  }
  // The process ends: a callback threw or exited. Not after a failed init, nor when an exit
  // signal killed it (OTP runs no more code then), nor a second time after terminate_now.
  void stop(Process& self, const Reason& reason) final {
    if (!initialised_ || terminated_ || self.killed_by_signal()) return;
    terminated_ = true;
    terminate(self, reason);
  }
  Pid starter_;
  Pid parent_;
  Ref ack_;
  bool initialised_ = false;
  bool terminated_ = false;
};

// Starts a server and waits until its init() has returned: the pid, or the reason init failed
// (Reason::ignore() if init called ignore()). With opts.link the caller is linked and is the
// server's parent, as OTP's start_link: trap exits to survive a failing init.
template <class S, class... A>
Result<Pid> start_server(Process& self, SpawnOptions opts, A&&... args) {
  auto server = std::make_unique<S>(std::forward<A>(args)...);
  Ref ack = self.engine().make_ref();
  server->notify_started(self.self(), ack, opts.link);
  opts.monitor = true;
  Pid pid = self.spawn_stackless_object(std::move(server), opts);
  Ref mon = self.last_spawn_monitor();
  std::optional<Result<Pid>> out;
  bool ignored = false;
  self.receive(match<detail::InitAck>([&](const detail::InitAck& a) { return a.ack == ack; },
                                      [&](const detail::InitAck& a) {
                                        ignored = a.ignored;
                                        if (!ignored) out.emplace(pid);
                                      }),
               match<Down>([&](const Down& d) { return d.ref == mon; },
                           [&](Down& d) { out.emplace(Result<Pid>::failure(std::move(d.reason))); }));
  if (ignored) {  // no process is left when we answer
    self.receive(match<Down>([&](const Down& d) { return d.ref == mon; }, [](const Down&) {}));
    return Result<Pid>::failure(Reason::ignore());
  }
  self.demonitor(mon, true);
  return std::move(*out);
}

// Answers a call whose handle_call returned nullopt. R must be the server's Reply type.
template <class R>
void reply(Process& self, const From& from, R value) {
  self.send_reply(from.caller, from.tag, detail::CallReply<R>{std::move(value)});
}

namespace detail {
// Sends make(From) to `server` and waits for a CallReply<Reply> through the call's monitor.
template <class Reply, class Make>
Result<Reply> request(Process& self, const Dest& to, Make make, Duration timeout) {
  Resolved target = resolve(self.engine(), self.node(), to);
  if (!target.pid) return Result<Reply>::failure(target.why);
  Pid server = target.pid;
  if (server == self.self()) throw Error("call to self: a process cannot wait for its own reply");
  Ref tag = self.monitor(server);
  self.send(server, make(From{self.self(), tag}));
  std::optional<Result<Reply>> out;
  auto on_reply = match<detail::CallReply<Reply>>([](const auto&) { return true; },
                                                  [&](detail::CallReply<Reply>& r) { out.emplace(std::move(r.reply)); });
  auto on_down = match<Down>([&](const Down& d) { return d.ref == tag; },
                             [&](Down& d) { out.emplace(Result<Reply>::failure(std::move(d.reason))); });
  self.receive(on_reply, on_down, after(timeout, [&] { out.emplace(Result<Reply>::failure(Reason{"timeout"})); }));
  // Replies come only through the alias `tag`, so the CallReply matched above is ours; dropping
  // the monitor (and flushing) makes sure nothing for this call arrives later.
  self.demonitor(tag, true);
  return std::move(*out);
}

template <class Req, class Reply>
Result<Reply> call_as(Process& self, const Dest& server, Req request, Duration timeout) {
  return detail::request<Reply>(
      self, server, [&](From from) { return CallRequest<Req>{from, std::move(request)}; }, timeout);
}
}  // namespace detail

// `server` is a pid, a registered name, or Name{name, node}; a name nobody has gives noproc (a
// node that is not there, noconnection). timeout may be `infinity`.
template <class S>
Result<typename S::Reply> call(Process& self, const Dest& server, typename S::Call request,
                               Duration timeout = std::chrono::seconds{5}) {
  return detail::call_as<typename S::Call, typename S::Reply>(self, server, std::move(request), timeout);
}

// Never fails: to a dead server or a name nobody has, the cast is dropped (as gen_server:cast).
template <class S>
void cast(Process& self, const Dest& server, typename S::Cast msg) {
  if (Pid pid = detail::resolve(self.engine(), self.node(), server).pid) {
    self.send(pid, detail::CastRequest<typename S::Cast>{std::move(msg)});
  }
}

// gen_server:stop: the server runs terminate(reason) and exits with it; returns once it has gone.
// Fails with noproc if there is no such server, "timeout" if it has not gone by then (it is left
// running), or the reason it ended with if that was another.
inline Result<bool> stop_server(Process& self, const Dest& server, Reason reason = Reason::normal(),
                                Duration timeout = infinity) {
  detail::Resolved target = detail::resolve(self.engine(), self.node(), server);
  if (!target.pid) return Result<bool>::failure(target.why);
  Ref mon = self.monitor(target.pid);
  self.send(target.pid, detail::StopRequest{reason});
  std::optional<Result<bool>> out;
  self.receive(match<Down>([&](const Down& d) { return d.ref == mon; },
                           [&](Down& d) {
                             out.emplace(d.reason == reason ? Result<bool>{true} : Result<bool>::failure(d.reason));
                           }),
               after(timeout, [&] { out.emplace(Result<bool>::failure(Reason{"timeout"})); }));
  self.demonitor(mon, true);
  return std::move(*out);
}

// sys:get_state, for debugging: runs read(state) inside the server, between two of its messages,
// and returns what it gives. S is the server's class; read takes a const S&.
template <class S, class F>
auto get_state(Process& self, const Dest& server, F read, Duration timeout = std::chrono::seconds{5})
    -> Result<std::invoke_result_t<F&, const S&>> {
  using R = std::invoke_result_t<F&, const S&>;
  auto answer = [read](Process& me, const S& state, const From& from) mutable { reply(me, from, R{read(state)}); };
  return detail::request<R>(
      self, server, [&](From from) { return detail::StateRequest<S>{from, answer}; }, timeout);
}

}  // namespace moira
