// lost-update (a deliberately seeded bug): two clients deposit into an account server by reading
// the balance with a call and writing balance + 1 with a cast. Another client's write can land in
// between, so a deposit is lost on some schedules. Invariant: the final balance is the number of
// deposits. Sweeps are expected to find failing seeds, and each one replays exactly.
#include <fmt/format.h>

#include <variant>

#include "runtime/behaviours/server.hpp"
#include "scenarios/all.hpp"

namespace moira::scenarios {
namespace {

struct GetBalance {};
struct SetBalance {
  long value;
};

}  // namespace
}  // namespace moira::scenarios

// So the trace shows what was read and written, not only that something was.
template <>
struct fmt::formatter<moira::scenarios::GetBalance> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::scenarios::GetBalance&, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "GetBalance{{}}");
  }
};
template <>
struct fmt::formatter<moira::scenarios::SetBalance> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::scenarios::SetBalance& s, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "SetBalance{{{}}}", s.value);
  }
};

namespace moira::scenarios {
namespace {

class Account final : public Server<Account, GetBalance, long, SetBalance> {
 public:
  Account(long* final_balance, sim::Simulation* sim) : final_(final_balance), sim_(sim) {}
  void init(Process& self) override { self.register_name("account"); }
  std::optional<long> handle_call(Process&, GetBalance, From) override { return balance_; }
  void handle_cast(Process& self, SetBalance s) override {
    // The moment of the bug, for the trace views (marks are never hashed): a write computed from a
    // read that another write has since overtaken.
    if (s.value <= balance_)
      sim_->mark(self.self(), fmt::format("lost update: SetBalance{{{}}} lands on balance {}: a deposit is lost", s.value,
                                          balance_));
    *final_ = balance_ = s.value;
  }

 private:
  long* final_;
  sim::Simulation* sim_;
  long balance_ = 0;
};

constexpr int kClients = 2;
constexpr int kDeposits = 5;

struct State {
  long final_balance = 0;
  int clients_done = 0;
};

}  // namespace

Scenario lost_update() {
  Scenario s;
  s.name = "lost-update";
  s.summary = "seeded bug: read-then-write deposits through call + cast lose updates on some schedules";
  s.seeded_bug = true;
  s.setup = [](sim::Simulation& sim) -> Check {
    auto st = std::make_shared<State>();
    sim.spawn([st, &sim](Process& self) {
      Pid account = start_server<Account>(self, {}, &st->final_balance, &sim).value();
      for (int c = 0; c < kClients; ++c) {
        self.spawn_link([st, account](Process& me) {
          for (int i = 0; i < kDeposits; ++i) {
            me.sleep(std::chrono::milliseconds{10 + static_cast<long>(me.random() % 40)});  // think time
            long seen = call<Account>(me, account, GetBalance{}).value();
            cast<Account>(me, account, SetBalance{seen + 1});  // the bug: not atomic with the read
          }
          ++st->clients_done;
        });
      }
      self.trap_exit(true);
      for (int c = 0; c < kClients; ++c) self.receive<Exit>();
      call<Account>(self, account, GetBalance{});  // every cast before this call has been handled
      self.exit(account, Reason::shutdown());
    });
    return [st](const sim::RunResult&) -> Verdict {
      long expected = kClients * kDeposits;
      if (st->clients_done != kClients) return Verdict::fail(fmt::format("{} of {} clients finished", st->clients_done, kClients));
      if (st->final_balance != expected)
        return Verdict::fail(fmt::format("balance {} after {} deposits: {} lost", st->final_balance, expected,
                                         expected - st->final_balance));
      return Verdict::pass();
    };
  };
  return s;
}

}  // namespace moira::scenarios
