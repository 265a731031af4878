#include "runtime/behaviours/supervisor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

namespace moira {
namespace {

using Request = detail::SupervisorRequest;
using Reply = detail::SupervisorReply;
using Op = Request::Op;

struct Started {
  Ref ack;
  std::optional<Reason> error;
};

// A child's exit reason that does not call for restarting a transient child: normal, shutdown
// or {shutdown, Term}.
bool is_clean_exit(const Reason& r) { return r.is_normal() || r.is_shutdown(); }

class SupervisorProcess {
 public:
  SupervisorProcess(Process& self, SupervisorSpec spec, Pid parent)
      : self_(self), spec_(std::move(spec)), parent_(parent) {}

  // Runs the supervisor until it exits (by throwing ExitNow through self.exit).
  void run(Ref ack) {
    self_.trap_exit(true);
    if (dynamic()) {
      if (spec_.children.size() != 1 || !spec_.children[0].start_with) {
        self_.send(parent_, Started{ack, Reason{"simple_one_for_one needs exactly one child spec made by dynamic_child"}});
        self_.exit(Reason::shutdown());
      }
      template_ = spec_.children[0];
    } else {
      for (auto& spec : spec_.children) {
        if (auto r = start_new(spec); !r) {
          stop_all();
          Reason why = Reason::shutdown(FailedToStartChild{spec.id, r.error()});
          self_.send(parent_, Started{ack, why});
          self_.exit(why);
        }
      }
    }
    self_.send(parent_, Started{ack, std::nullopt});
    for (;;) {
      self_.receive([&](Exit& e) { on_exit(e); },
                    [&](detail::CallRequest<Request>& r) { on_request(r.from, std::move(r.request)); });
    }
  }

 private:
  struct Child {
    ChildSpec spec;
    Pid pid;
  };

  bool dynamic() const { return spec_.strategy == Strategy::simple_one_for_one; }

  // Runs a start function. A throw is that start's error, as OTP's supervisor catches it; only
  // the supervisor's own end (an exit signal while the start waits) goes on up.
  template <class F>
  Result<Pid> run_start(const F& start) {
    try {
      return start(self_);
    } catch (const detail::ExitNow&) {
      throw;
    } catch (...) {
      return Result<Pid>::failure(Reason::from_exception(std::current_exception()));
    }
  }
  // An ignored start is no error: the child just has no process (OTP's {ok, undefined}).
  static bool ignored(const Result<Pid>& r) { return !r && r.error() == Reason::ignore(); }

  // Starts a child from its spec and appends it: its pid, the null pid if it answered ignore (a
  // temporary or dynamic one is then not kept), or the reason it did not start.
  Result<Pid> start_new(const ChildSpec& spec) {
    Result<Pid> r = run_start(spec.start);
    if (ignored(r)) {
      if (spec.restart != Restart::temporary && !dynamic()) children_.push_back(Child{spec, Pid{}});
      return Pid{};
    }
    if (r) children_.push_back(Child{spec, r.value()});
    return r;
  }

  std::optional<Reason> start_again(Child& c) {
    Result<Pid> r = run_start(c.spec.start);
    if (ignored(r)) {
      c.pid = Pid{};
      return std::nullopt;
    }
    if (!r) return r.error();
    c.pid = r.value();
    return std::nullopt;
  }

  Child* find(const std::string& id) {
    for (auto& c : children_)
      if (c.spec.id == id) return &c;
    return nullptr;
  }
  Child* find(Pid pid) {
    for (auto& c : children_)
      if (c.pid == pid) return &c;
    return nullptr;
  }

  // Stops one child as its spec says; afterwards no Exit from it is left in the mailbox.
  void stop(Child& c) {
    if (!c.pid) return;
    Pid pid = c.pid;
    Ref mon = self_.monitor(pid);
    self_.unlink(pid);
    // If it died already, its Exit is queued: take it, so the main loop does not restart it.
    self_.receive(match<Exit>([&](const Exit& e) { return e.from == pid; }, [](const Exit&) {}),
                  after(std::chrono::nanoseconds{0}, [] {}));
    auto wait_down = [&](std::optional<Duration> limit) {
      bool down = false;
      if (limit) {
        self_.receive(match<Down>([&](const Down& d) { return d.ref == mon; }, [&](const Down&) { down = true; }),
                      after(*limit, [] {}));
      } else {
        self_.receive(match<Down>([&](const Down& d) { return d.ref == mon; }, [&](const Down&) { down = true; }));
      }
      return down;
    };
    switch (c.spec.shutdown.kind) {
      case Shutdown::Kind::brutal_kill:
        self_.exit(pid, Reason::kill());
        wait_down(std::nullopt);
        break;
      case Shutdown::Kind::timeout:
        self_.exit(pid, Reason::shutdown());
        if (!wait_down(c.spec.shutdown.timeout)) {
          self_.exit(pid, Reason::kill());
          wait_down(std::nullopt);
        }
        break;
      case Shutdown::Kind::infinity:
        self_.exit(pid, Reason::shutdown());
        wait_down(std::nullopt);
        break;
    }
    c.pid = Pid{};
  }

  // Every running child, in reverse start order.
  void stop_all() {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) stop(*it);
  }

  // Records a restart; false when that is more than the intensity allows within the period.
  bool note_restart() {
    Time now = self_.now();
    restarts_.push_back(now);
    while (!restarts_.empty() && now - restarts_.front() > spec_.period) restarts_.pop_front();
    return static_cast<int>(restarts_.size()) <= spec_.intensity;
  }

  [[noreturn]] void give_up() {
    stop_all();
    self_.exit(Reason::shutdown());
  }

  void on_exit(const Exit& e) {
    if (e.from == parent_) {  // our own supervisor (or starter) is gone or tells us to stop
      stop_all();
      self_.exit(e.reason);
    }
    Child* c = find(e.from);
    if (!c) return;  // not (any more) one of ours
    c->pid = Pid{};
    bool restart = c->spec.restart == Restart::permanent ||
                   (c->spec.restart == Restart::transient && !is_clean_exit(e.reason));
    if (!restart) {
      if (c->spec.restart == Restart::temporary || dynamic()) erase(c);
      return;
    }
    restart_after_failure(static_cast<std::size_t>(c - children_.data()));
  }

  void erase(Child* c) { children_.erase(children_.begin() + (c - children_.data())); }

  // Applies the strategy for the child at `index`, retrying failed starts until it works or the
  // restart intensity is exceeded.
  void restart_after_failure(std::size_t index) {
    for (;;) {
      if (!note_restart()) give_up();
      std::size_t first = index, last = index + 1;
      if (spec_.strategy == Strategy::one_for_all) {
        first = 0;
        last = children_.size();
      } else if (spec_.strategy == Strategy::rest_for_one) {
        last = children_.size();
      }
      for (std::size_t i = last; i-- > first;) stop(children_[i]);
      // Temporary bystanders are not started again: they leave the child list (OTP does the same).
      for (std::size_t i = last; i-- > first;) {
        if (i == index || children_[i].spec.restart != Restart::temporary) continue;
        erase(&children_[i]);
        --last;
        if (i < index) --index;
      }
      bool all_started = true;
      for (std::size_t i = first; i < last; ++i) {
        if (start_again(children_[i])) {
          index = i;  // try again from the one that failed to start
          all_started = false;
          break;
        }
      }
      if (all_started) break;
    }
    // A dynamic child whose restart answered ignore is gone, not kept as a spec.
    if (dynamic() && !children_[index].pid) erase(&children_[index]);
  }

  void on_request(const From& from, Request r) {
    Reply out;
    switch (r.op) {
      case Op::start_child: out = start_child(std::move(r.spec)); break;
      case Op::start_dynamic: out = start_dynamic(std::move(r.arg)); break;
      case Op::terminate: out = terminate(r.id); break;
      case Op::terminate_pid: out = terminate(r.pid); break;
      case Op::restart: out = restart(r.id); break;
      case Op::remove: out = remove(r.id); break;
      case Op::which:
        for (auto& c : children_) out.children.push_back(ChildInfo{c.spec.id, c.pid, c.spec.type});
        break;
      case Op::count:
        out.counts.specs = dynamic() ? 1 : children_.size();
        for (auto& c : children_) {
          if (c.pid) ++out.counts.active;
          (c.spec.type == ChildType::supervisor ? out.counts.supervisors : out.counts.workers) += 1;
        }
        break;
    }
    self_.send_reply(from.caller, from.tag, detail::CallReply<Reply>{std::move(out)});
  }

  static Reply failure(std::string why) {
    Reply out;
    out.error = Reason{std::move(why)};
    return out;
  }
  static Reply started(const Result<Pid>& r) {
    Reply out;
    if (r) {
      out.pid = r.value();
    } else {
      out.error = r.error();
    }
    return out;
  }

  Reply start_child(ChildSpec spec) {
    if (dynamic()) return failure("simple_one_for_one: use start_dynamic_child");
    if (Child* c = find(spec.id)) return failure(c->pid ? "already_started" : "already_present");
    return started(start_new(spec));
  }

  Reply start_dynamic(Message arg) {
    if (!dynamic()) return failure("start_dynamic_child needs a simple_one_for_one supervisor");
    ChildSpec spec = template_;
    spec.start = [start_with = template_.start_with, shared = std::make_shared<Message>(std::move(arg))](
                     Process& sup) { return start_with(sup, *shared); };
    return started(start_new(spec));
  }

  Reply terminate(const std::string& id) {
    if (dynamic()) return failure("simple_one_for_one");  // its children go by pid
    Child* c = find(id);
    if (!c) return failure("not_found");
    stop(*c);
    if (c->spec.restart == Restart::temporary) erase(c);
    return {};
  }

  Reply terminate(Pid pid) {
    if (!dynamic()) return failure("not_found");  // its children go by id
    if (Child* c = find(pid)) {
      stop(*c);
      erase(c);
      return {};
    }
    // Gone already is fine (OTP answers ok); a live process that is not ours is not.
    return self_.info(pid) ? failure("not_found") : Reply{};
  }

  Reply restart(const std::string& id) {
    if (dynamic()) return failure("simple_one_for_one");
    Child* c = find(id);
    if (!c) return failure("not_found");
    if (c->pid) return failure("running");
    if (auto failed = start_again(*c)) return failure_with(*failed);
    Reply out;
    out.pid = c->pid;
    return out;
  }

  Reply remove(const std::string& id) {
    if (dynamic()) return failure("simple_one_for_one");
    Child* c = find(id);
    if (!c) return failure("not_found");
    if (c->pid) return failure("running");
    erase(c);
    return {};
  }

  static Reply failure_with(Reason why) {
    Reply out;
    out.error = std::move(why);
    return out;
  }

  Process& self_;
  SupervisorSpec spec_;
  Pid parent_;
  ChildSpec template_;
  std::vector<Child> children_;  // in start order
  std::deque<Time> restarts_;
};

}  // namespace

Result<Pid> start_supervisor(Process& self, SupervisorSpec spec, SpawnOptions opts) {
  for (auto& c : spec.children) {
    if (c.type == ChildType::supervisor && c.shutdown.kind == Shutdown::Kind::timeout &&
        c.shutdown.timeout == std::chrono::seconds{5}) {
      c.shutdown = Shutdown::infinity();  // OTP's default for a supervisor child
    }
  }
  Ref ack = self.engine().make_ref();
  opts.monitor = true;
  Pid sup = self.spawn_with(
      opts, [ack](Process& me, SupervisorSpec s, Pid parent) { SupervisorProcess{me, std::move(s), parent}.run(ack); },
      std::move(spec), self.self());
  Ref mon = self.last_spawn_monitor();
  std::optional<Result<Pid>> out;
  self.receive(match<Started>([&](const Started& s) { return s.ack == ack; },
                              [&](Started& s) {
                                out.emplace(s.error ? Result<Pid>::failure(*s.error) : Result<Pid>{sup});
                              }),
               match<Down>([&](const Down& d) { return d.ref == mon; },
                           [&](Down& d) { out.emplace(Result<Pid>::failure(d.reason)); }));
  self.demonitor(mon, true);
  return std::move(*out);
}

namespace detail {
Result<SupervisorReply> supervisor_request(Process& self, const Dest& supervisor, SupervisorRequest request) {
  return call_as<SupervisorRequest, SupervisorReply>(self, supervisor, std::move(request), infinity);
}
}  // namespace detail

namespace {
Result<Reply> ask(Process& self, const Dest& sup, Op op, std::string id = {}, Pid pid = {}, ChildSpec spec = {}) {
  return detail::supervisor_request(self, sup, Request{op, std::move(id), pid, std::move(spec), Message{}});
}
template <class T>
Result<T> as_result(Result<Reply> r, T (*pick)(Reply&)) {
  if (!r) return Result<T>::failure(r.error());
  if (r.value().error) return Result<T>::failure(*r.value().error);
  return pick(r.value());
}
Pid pick_pid(Reply& r) { return r.pid; }
bool pick_true(Reply&) { return true; }
std::vector<ChildInfo> pick_children(Reply& r) { return std::move(r.children); }
ChildCounts pick_counts(Reply& r) { return r.counts; }
}  // namespace

Result<Pid> start_child(Process& self, const Dest& sup, ChildSpec spec) {
  return as_result<Pid>(ask(self, sup, Op::start_child, {}, {}, std::move(spec)), pick_pid);
}
Result<bool> terminate_child(Process& self, const Dest& sup, const std::string& id) {
  return as_result<bool>(ask(self, sup, Op::terminate, id), pick_true);
}
Result<bool> terminate_child(Process& self, const Dest& sup, Pid child) {
  return as_result<bool>(ask(self, sup, Op::terminate_pid, {}, child), pick_true);
}
Result<Pid> restart_child(Process& self, const Dest& sup, const std::string& id) {
  return as_result<Pid>(ask(self, sup, Op::restart, id), pick_pid);
}
Result<bool> delete_child(Process& self, const Dest& sup, const std::string& id) {
  return as_result<bool>(ask(self, sup, Op::remove, id), pick_true);
}
Result<std::vector<ChildInfo>> which_children(Process& self, const Dest& sup) {
  return as_result<std::vector<ChildInfo>>(ask(self, sup, Op::which), pick_children);
}
Result<ChildCounts> count_children(Process& self, const Dest& sup) {
  return as_result<ChildCounts>(ask(self, sup, Op::count), pick_counts);
}

}  // namespace moira
