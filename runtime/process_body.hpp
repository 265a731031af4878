#pragma once
// What a process runs: a function on its own fiber, or a Stackless callback object.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "runtime/message.hpp"
#include "runtime/pid.hpp"

namespace moira {

class Process;

// A process without a stack of its own: its callbacks run on the worker's stack, one message at a
// time, so an idle one costs only its Process object. It cannot block in receive; everything it
// gets — messages, Exit and Down — arrives through handle().
class Stackless {
 public:
  virtual ~Stackless() = default;
  virtual void start(Process& self) { (void)self; }
  virtual void handle(Process& self, Message msg) = 0;
  // Runs as the process ends, whatever the reason (self.killed_by_signal() tells whether an exit
  // signal ended it: Server skips terminate then, as gen_server does).
  virtual void stop(Process& self, const Reason& reason) {
    (void)self;
    (void)reason;
  }
};

struct SpawnOptions {
  bool link = false;
  bool monitor = false;
  // Where the new process lives. Unset: on the spawning process's node, like Erlang's spawn/1
  // (node 0 when spawned from outside any process).
  std::optional<NodeId> node = std::nullopt;
  std::size_t stack_size = 0;  // fiber stack, bytes (reserved, committed lazily); 0: engine default

  NodeId node_for(NodeId spawner) const { return node.value_or(spawner); }
};

namespace detail {

struct FiberBody {
  virtual ~FiberBody() = default;
  virtual void run(Process& self) = 0;
};

template <class F, class... A>
struct FiberBodyOf final : FiberBody {
  template <class G, class... B>
  explicit FiberBodyOf(G&& g, B&&... b) : f(std::forward<G>(g)), args(std::forward<B>(b)...) {}
  void run(Process& self) override {
    std::apply([&](auto&... a) { std::invoke(f, self, std::move(a)...); }, args);
  }
  F f;
  std::tuple<A...> args;
};

struct ProcessBody {
  std::unique_ptr<FiberBody> fiber;
  std::unique_ptr<Stackless> stackless;
};

template <class F, class... A>
ProcessBody make_fiber_body(F&& f, A&&... args) {
  return ProcessBody{std::make_unique<FiberBodyOf<std::decay_t<F>, std::decay_t<A>...>>(
                         std::forward<F>(f), std::forward<A>(args)...),
                     nullptr};
}

}  // namespace detail
}  // namespace moira
