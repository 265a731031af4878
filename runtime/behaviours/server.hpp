#pragma once
// Server: OTP's gen_server. The callback object holds the state and runs as a stackless process.
//
//   struct Counter : Server<Counter, Get, long, Add> { ... };   // Call, Reply, Cast types
//   auto r = call<Counter>(self, pid, Get{}, 1s);              // Result<long>
//   cast<Counter>(self, pid, Add{5});
//
// The request, reply and cast types are fixed by the server's type, so asking a server for
// something it does not answer is a compile error. A call is built on a monitor: a dead server
// gives noproc at once, one that dies mid-call gives its exit reason, a timeout gives "timeout",
// and the reply is sent through the monitor as an alias, so a late reply never reaches the caller.
#include <optional>
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
};
template <class C>
struct CastRequest {
  C msg;
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
  // Set by start_server before the process starts: whom to tell that init() returned.
  void notify_started(Pid starter, Ref ack) {
    starter_ = starter;
    ack_ = ack;
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
  // Everything else: plain messages, Exit (when trapping), Down, timer messages.
  virtual void handle_info(Process& self, Message msg) {
    (void)self;
    (void)msg;
  }
  virtual void terminate(Process& self, const Reason& reason) {
    (void)self;
    (void)reason;
  }

 private:
  void start(Process& self) final {
    init(self);
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
    } else {
      handle_info(self, std::move(msg));
    }
  }
  void stop(Process& self, const Reason& reason) final { terminate(self, reason); }
  Pid starter_;
  Ref ack_;
};

// Starts a server and waits until its init() has returned: the pid, or the reason init failed
// (with opts.link the caller is linked, as OTP's start_link: trap exits to survive a failure).
template <class S, class... A>
Result<Pid> start_server(Process& self, SpawnOptions opts, A&&... args) {
  auto server = std::make_unique<S>(std::forward<A>(args)...);
  Ref ack = self.engine().make_ref();
  server->notify_started(self.self(), ack);
  opts.monitor = true;
  Pid pid = self.spawn_stackless_object(std::move(server), opts);
  Ref mon = self.last_spawn_monitor();
  std::optional<Result<Pid>> out;
  self.receive(match<detail::InitAck>([&](const detail::InitAck& a) { return a.ack == ack; },
                                      [&](const detail::InitAck&) { out.emplace(pid); }),
               match<Down>([&](const Down& d) { return d.ref == mon; },
                           [&](Down& d) { out.emplace(Result<Pid>::failure(std::move(d.reason))); }));
  self.demonitor(mon, true);
  return std::move(*out);
}

// Answers a call whose handle_call returned nullopt. R must be the server's Reply type.
template <class R>
void reply(Process& self, const From& from, R value) {
  self.send_reply(from.caller, from.tag, detail::CallReply<R>{std::move(value)});
}

namespace detail {
template <class Req, class Reply>
Result<Reply> call_as(Process& self, Pid server, Req request, Duration timeout) {
  if (server == self.self()) throw Error("call to self: a process cannot wait for its own reply");
  Ref tag = self.monitor(server);
  self.send(server, detail::CallRequest<Req>{From{self.self(), tag}, std::move(request)});
  std::optional<Result<Reply>> out;
  self.receive(
      match<detail::CallReply<Reply>>([](const auto&) { return true; },
                                      [&](detail::CallReply<Reply>& r) { out.emplace(std::move(r.reply)); }),
      match<Down>([&](const Down& d) { return d.ref == tag; },
                  [&](Down& d) { out.emplace(Result<Reply>::failure(std::move(d.reason))); }),
      after(timeout, [&] { out.emplace(Result<Reply>::failure(Reason{"timeout"})); }));
  // Replies come only through the alias `tag`, so the CallReply matched above is ours; dropping
  // the monitor (and flushing) makes sure nothing for this call arrives later.
  self.demonitor(tag, true);
  return std::move(*out);
}
}  // namespace detail

template <class S>
Result<typename S::Reply> call(Process& self, Pid server, typename S::Call request,
                               Duration timeout = std::chrono::seconds{5}) {
  return detail::call_as<typename S::Call, typename S::Reply>(self, server, std::move(request), timeout);
}

template <class S>
void cast(Process& self, Pid server, typename S::Cast msg) {
  self.send(server, detail::CastRequest<typename S::Cast>{std::move(msg)});
}

}  // namespace moira
