// ping-monitor: a pinger on node 0 monitors a ponger on node 1 and pings it, while node 1 crashes
// and restarts and the network partitions and heals. Every restart boots a new ponger, which
// says hello. Invariants: no pong answers a ping that was never sent; each monitor gives at most
// one Down; the pinger hears from every ponger incarnation that said hello before the run ended;
// every ponger runs on node b (the boot function's plain spawn is local to b). With a heal phase
// (--heal-at), a pong must come back after the heal.
#include <fmt/format.h>

#include <map>

#include "scenarios/all.hpp"

namespace moira::scenarios {
namespace {

using namespace std::chrono_literals;

struct Hello {
  Pid ponger;
};
struct Ping {
  Pid from;
  long seq;
};
struct Pong {
  long seq;
};

struct State {
  long sent = 0;
  long pongs = 0;
  long bad_pongs = 0;
  long downs = 0;
  long duplicate_downs = 0;
  long hellos = 0;
  long hellos_from_elsewhere = 0;  // from a ponger not on node b: the world is not what it claims
  NodeId ponger_node = 0;
  std::map<std::uint64_t, int> downs_per_ref;  // by ref value: ordered, deterministic
};

void count_hello(State& st, const Hello& h) {
  ++st.hellos;
  if (h.ponger.node != st.ponger_node) ++st.hellos_from_elsewhere;
}

}  // namespace

Scenario ping_monitor() {
  Scenario s;
  s.name = "ping-monitor";
  s.summary = "a pinger monitors a ponger on another node through crashes, restarts and partitions";
  s.options.faults.crash_per_second = 1;
  s.options.faults.restart_after = 200ms;
  s.options.faults.partition_per_second = 1;
  s.options.faults.heal_after = 300ms;
  s.options.faults.until = 5s;
  s.options.max_virtual_time = 1h;
  s.options.waiting_at_end = sim::WaitingAtEnd::fine;  // the ponger is a server: it stays, idle
  s.setup = [](sim::Simulation& sim) -> Check {
    auto st = std::make_shared<State>();
    // The goal of a heal-then-converge phase (Options::heal_at): after the heal, a pong comes back.
    // Never hot otherwise (monitors are not traced), so runs without the phase are as they were.
    auto answered = sim.add_monitor("pong after heal", 0);
    Pid pinger = sim.spawn([st, &sim, answered](Process& self) {
      Pid ponger;
      Ref mon;
      Time stop_at = self.now() + 6s;
      while (self.now() < stop_at) {
        if (!ponger) {
          self.receive([&](const Hello& h) { count_hello(*st, h), ponger = h.ponger, mon = self.monitor(ponger); },
                       after(500ms, [] {}));
          continue;
        }
        if (mon.is_null()) mon = self.monitor(ponger);  // the last one ended with noconnection
        long seq = ++st->sent;
        self.send(ponger, Ping{self.self(), seq});
        self.receive(
            [&](const Pong& p) {
              ++st->pongs;
              sim.cold(answered);
              if (p.seq > st->sent || p.seq <= 0) ++st->bad_pongs;
            },
            [&](const Hello& h) {  // a new incarnation while we still watch the old one
              count_hello(*st, h);
              self.demonitor(mon, true);
              ponger = h.ponger;
              mon = self.monitor(ponger);
            },
            [&](const Down& d) {
              ++st->downs;
              if (++st->downs_per_ref[d.ref.value] > 1) ++st->duplicate_downs;
              if (d.ref != mon) return;
              mon = Ref{};
              // noconnection: the way to node b broke (a partition, or b crashed). The ponger may
              // live on behind it and would never say hello again, so keep it and monitor anew:
              // after a heal the monitor holds, or ends with noproc if b restarted (whose new
              // ponger says hello). Forgetting it here left the pinger alone after every partition.
              if (d.reason.kind() != Reason::Kind::noconnection) ponger = Pid{};
            },
            after(50ms, [] {}));
        self.sleep(20ms);
      }
    });
    NodeId b = sim.add_node("b", [pinger](Process& self) {
      self.spawn([pinger](Process& me) {
        me.send(pinger, Hello{me.self()});
        // No ping for 300 ms: say hello again, up to 10 times in a row. A hello lost to a
        // partition would otherwise leave the pinger waiting for one for good; the bound lets the
        // run end once the pinger has stopped.
        for (int unanswered = 0;;) {
          if (unanswered == 10) {
            auto p = me.receive<Ping>();
            me.send(p.from, Pong{p.seq});
            unanswered = 0;
            continue;
          }
          me.receive([&](const Ping& p) { me.send(p.from, Pong{p.seq}), unanswered = 0; },
                     after(300ms, [&] { me.send(pinger, Hello{me.self()}), ++unanswered; }));
        }
      });
    });
    st->ponger_node = b;
    return [st](const sim::RunResult&) -> Verdict {
      if (st->hellos_from_elsewhere) {
        return Verdict::fail(fmt::format("{} of {} pongers did not run on node b: spawn in a boot function is not node-local",
                                         st->hellos_from_elsewhere, st->hellos));
      }
      if (st->bad_pongs) return Verdict::fail(fmt::format("{} pongs answered pings never sent", st->bad_pongs));
      if (st->duplicate_downs) return Verdict::fail(fmt::format("{} monitors gave more than one Down", st->duplicate_downs));
      if (st->hellos == 0) return Verdict::fail("the pinger never heard from a ponger");
      return Verdict::pass();
    };
  };
  return s;
}

}  // namespace moira::scenarios
