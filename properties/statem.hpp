#pragma once
// Stateful (model-based) testing of a real actor system in the simulator, like rc::state and
// PropEr's statem. A spec S describes the system under test and a sequential model of it:
//
//   struct S {
//     using Model = ...;     // copyable, ==
//     using Command = ...;   // copyable, printable (operator<< or showValue)
//     using Response = ...;  // copyable, ==, printable
//     using System = ...;    // what setup gives the clients (a server's Pid, say)
//     static Model initial();
//     static rc::Gen<Command> command(const Model&);
//     static bool precondition(const Model&, const Command&);
//     static Response next(Model&, const Command&);                    // model step + expected response
//     static System setup(Process& self);                              // starts the system, in a driver process
//     static Response invoke(Process& client, const System&, const Command&);  // one real command
//   };
//
// check_sequential: one client runs the commands; each response must be the model's.
// check_parallel: a sequential prefix, then several clients issue their own command lists at once
// under the simulator's schedule; the history of calls and returns must be linearizable. RapidCheck
// shrinks the commands, the split between clients, the schedule, settings and faults.
#include <rapidcheck.h>

#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "properties/linearizability.hpp"
#include "properties/property.hpp"
#include "runtime/moira.hpp"

namespace moira::properties {

template <class S>
struct Sequential {
  std::vector<typename S::Command> commands;
};

template <class S>
struct Parallel {
  std::vector<typename S::Command> prefix;
  std::vector<std::vector<typename S::Command>> clients;
  std::size_t command_count() const {
    std::size_t n = prefix.size();
    for (const auto& c : clients) n += c.size();
    return n;
  }
};

// Limits on what is drawn (the RapidCheck size scales them down for early cases).
struct StatemLimits {
  std::size_t sequential_commands = 25;
  std::size_t prefix_commands = 3;
  std::size_t clients = 3;
  std::size_t client_commands = 5;
};

namespace detail {

template <class S>
bool valid_sequence(const std::vector<typename S::Command>& commands, typename S::Model model) {
  for (const auto& c : commands) {
    if (!S::precondition(model, c)) return false;
    S::next(model, c);
  }
  return true;
}

template <class S>
std::vector<typename S::Command> draw_commands(rc::Random random, int size, std::size_t max,
                                               typename S::Model model) {
  // A Random that has given numbers cannot be split: one for the count, splits for the commands.
  rc::Random numbers = random.split();
  const auto scaled = max * static_cast<std::size_t>(std::clamp(size, 0, rc::kNominalSize)) /
                      static_cast<std::size_t>(rc::kNominalSize);
  const std::size_t n = numbers.next() % (scaled + 1);
  std::vector<typename S::Command> out;
  for (std::size_t tries = 0; out.size() < n && tries < 10 * n; ++tries) {
    auto c = S::command(model)(random.split(), size).value();
    if (!S::precondition(model, c)) continue;
    S::next(model, c);
    out.push_back(std::move(c));
  }
  return out;
}

template <class S>
typename S::Model after(const std::vector<typename S::Command>& commands) {
  auto m = S::initial();
  for (const auto& c : commands) S::next(m, c);
  return m;
}

// Every client's list must be valid from the model after the prefix (as if it ran alone).
template <class S>
bool valid_parallel(const Parallel<S>& p) {
  if (!valid_sequence<S>(p.prefix, S::initial())) return false;
  auto m = after<S>(p.prefix);
  for (const auto& c : p.clients)
    if (c.empty() || !valid_sequence<S>(c, m)) return false;
  return true;
}

template <class S>
rc::Seq<Parallel<S>> shrink_parallel(const Parallel<S>& p) {
  using Cmds = std::vector<typename S::Command>;
  std::vector<Parallel<S>> out;
  // Fewer clients; then fewer commands per client; then two clients merged into one, or a
  // client's first command moved into the prefix (less concurrency); then a shorter prefix.
  for (std::size_t i = 0; i < p.clients.size(); ++i) {
    Parallel<S> q = p;
    q.clients.erase(q.clients.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(std::move(q));
  }
  for (std::size_t i = 0; i < p.clients.size(); ++i) {
    rc::seq::forEach(rc::shrink::removeChunks(p.clients[i]), [&](const Cmds& fewer) {
      if (fewer.empty()) return;
      Parallel<S> q = p;
      q.clients[i] = fewer;
      out.push_back(std::move(q));
    });
  }
  for (std::size_t i = 0; i < p.clients.size(); ++i) {
    for (std::size_t j = 0; j < p.clients.size(); ++j) {
      if (i == j) continue;
      Parallel<S> q = p;  // client j's commands after client i's, on client i
      q.clients[i].insert(q.clients[i].end(), p.clients[j].begin(), p.clients[j].end());
      q.clients.erase(q.clients.begin() + static_cast<std::ptrdiff_t>(j));
      out.push_back(std::move(q));
    }
  }
  for (std::size_t i = 0; i < p.clients.size(); ++i) {
    if (p.clients[i].size() < 2 && p.clients.size() < 2) continue;
    Parallel<S> q = p;
    q.prefix.push_back(q.clients[i].front());
    q.clients[i].erase(q.clients[i].begin());
    if (q.clients[i].empty()) q.clients.erase(q.clients.begin() + static_cast<std::ptrdiff_t>(i));
    out.push_back(std::move(q));
  }
  rc::seq::forEach(rc::shrink::removeChunks(p.prefix), [&](const Cmds& fewer) {
    Parallel<S> q = p;
    q.prefix = fewer;
    out.push_back(std::move(q));
  });
  std::vector<Parallel<S>> valid;
  for (auto& q : out)
    if (!q.clients.empty() && valid_parallel<S>(q)) valid.push_back(std::move(q));
  return rc::seq::fromContainer(std::move(valid));
}

template <class S>
std::string show_history(const History<S>& history) {
  std::vector<std::size_t> order(history.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return history[a].call < history[b].call; });
  std::string out;
  for (std::size_t i : order) {
    const auto& op = history[i];
    out += fmt::format("\n  {:<8} {} -> {}  [call {}, return {}]", op.client == 0 ? "prefix" : fmt::format("client {}", op.client),
                       rc::toString(op.command), op.response ? rc::toString(*op.response) : std::string{"(no response)"},
                       op.call, op.response ? std::to_string(op.ret) : std::string{"-"});
  }
  return out;
}

// The state the driver and clients share: the simulator runs one process at a time, so a plain
// counter orders calls and returns as they happened.
template <class S>
struct Recorder {
  History<S> history;
  std::uint64_t clock = 0;

  typename S::Response run(Process& self, const typename S::System& system, std::size_t client,
                           const typename S::Command& command) {
    const std::size_t i = history.size();
    history.push_back({client, command, std::nullopt, ++clock});
    auto response = S::invoke(self, system, command);
    history[i].response = response;
    history[i].ret = ++clock;
    return response;
  }
};

}  // namespace detail

template <class S>
void showValue(const Sequential<S>& s, std::ostream& os) {
  rc::showCollection("[", "]", s.commands, os);
}

template <class S>
void showValue(const Parallel<S>& p, std::ostream& os) {
  os << "prefix ";
  rc::showCollection("[", "]", p.prefix, os);
  for (std::size_t i = 0; i < p.clients.size(); ++i) {
    os << " | client " << (i + 1) << " ";
    rc::showCollection("[", "]", p.clients[i], os);
  }
}

// One client runs the commands; the first response the model does not give fails the case.
template <class S>
Result check_sequential(const std::string& name, Config config = {}) {
  return check(
      name,
      [](sim::Simulation& sim, Sequential<S> program) {
        auto rec = std::make_shared<detail::Recorder<S>>();
        sim.spawn([rec, program](Process& self) {
          auto system = S::setup(self);
          for (const auto& c : program.commands) rec->run(self, system, 1, c);
        });
        run(sim);
        auto model = S::initial();
        for (std::size_t i = 0; i < program.commands.size(); ++i) {
          RC_ASSERT(i < rec->history.size());  // else the client died first (see the trace)
          const auto& op = rec->history[i];
          auto expected = S::next(model, op.command);
          if (!op.response || !(*op.response == expected)) {
            fail(fmt::format("command {} ({}) answered {}, the model says {}; history:{}", i + 1,
                                rc::toString(op.command), op.response ? rc::toString(*op.response) : "nothing",
                                rc::toString(expected), detail::show_history<S>(rec->history)));
          }
        }
      },
      std::move(config));
}

// The history a parallel run left, for callers that want to look at it (tests, reports).
template <class S>
struct ParallelRun {
  History<S> history;
  bool linearizable = true;
};

// A sequential prefix, then the clients at once; the history must be linearizable.
template <class S>
Result check_parallel(const std::string& name, Config config = {}, ParallelRun<S>* last = nullptr) {
  return check(
      name,
      [last](sim::Simulation& sim, Parallel<S> program) {
        auto rec = std::make_shared<detail::Recorder<S>>();
        sim.spawn([rec, program](Process& self) {
          auto system = S::setup(self);
          for (const auto& c : program.prefix) rec->run(self, system, 0, c);
          for (std::size_t i = 0; i < program.clients.size(); ++i) {
            self.spawn_monitor([rec, system, i, cmds = program.clients[i]](Process& me) {
              for (const auto& c : cmds) rec->run(me, system, i + 1, c);
            });
          }
          for (std::size_t i = 0; i < program.clients.size(); ++i) self.receive<Down>();
        });
        run(sim);
        const bool ok = linearize<S>(rec->history, S::initial()).has_value();
        if (last) *last = {rec->history, ok};
        if (!ok) {
          fail(fmt::format("not linearizable: no sequential order of these {} operations gives the responses seen "
                              "({} clients):{}",
                              rec->history.size(), program.clients.size(), detail::show_history<S>(rec->history)));
        }
      },
      std::move(config));
}

}  // namespace moira::properties

namespace rc {

template <class S>
struct Arbitrary<moira::properties::Sequential<S>> {
  static Gen<moira::properties::Sequential<S>> arbitrary() {
    using Program = moira::properties::Sequential<S>;
    return [](const Random& random, int size) {
      Program p{moira::properties::detail::draw_commands<S>(random, size, moira::properties::StatemLimits{}.sequential_commands,
                                                            S::initial())};
      return shrinkable::shrinkRecur(std::move(p), [](const Program& q) {
        return seq::map(seq::filter(shrink::removeChunks(q.commands),
                                    [](const auto& cmds) { return moira::properties::detail::valid_sequence<S>(cmds, S::initial()); }),
                        [](auto cmds) { return Program{std::move(cmds)}; });
      });
    };
  }
};

template <class S>
struct Arbitrary<moira::properties::Parallel<S>> {
  static Gen<moira::properties::Parallel<S>> arbitrary() {
    using Program = moira::properties::Parallel<S>;
    return [](const Random& random, int size) {
      namespace d = moira::properties::detail;
      const moira::properties::StatemLimits limits;
      Random r = random;
      Random numbers = r.split();
      Program p;
      p.prefix = d::draw_commands<S>(r.split(), size, limits.prefix_commands, S::initial());
      const auto model = d::after<S>(p.prefix);
      const std::size_t clients = 1 + numbers.next() % limits.clients;
      for (std::size_t i = 0; i < clients; ++i) {
        auto cmds = d::draw_commands<S>(r.split(), std::max(size, rc::kNominalSize / 5), limits.client_commands, model);
        if (!cmds.empty()) p.clients.push_back(std::move(cmds));
      }
      if (p.clients.empty()) p.clients.push_back({S::command(model)(r.split(), size).value()});
      return shrinkable::shrinkRecur(std::move(p), &d::shrink_parallel<S>);
    };
  }
};

}  // namespace rc
