#pragma once
// The account server of scenarios/lost_update.cpp as a stateful spec. Its seeded bug: a deposit
// reads the balance with a call and writes balance + 1 with a cast, so two deposits at once can
// both read the same balance and one is lost. AtomicAccount deposits with one call instead.
#include <ostream>
#include <variant>

#include "properties/statem.hpp"
#include "runtime/behaviours/server.hpp"

namespace moira::properties::examples {

struct Deposit {
  friend bool operator==(Deposit, Deposit) { return true; }
};
struct Read {
  friend bool operator==(Read, Read) { return true; }
};
using AccountCommand = std::variant<Deposit, Read>;

struct AccountReply {
  std::optional<long> balance;  // a Read's answer; a Deposit answers "ok"
  friend bool operator==(const AccountReply&, const AccountReply&) = default;
};

inline void showValue(const AccountCommand& c, std::ostream& os) { os << (std::holds_alternative<Deposit>(c) ? "deposit" : "read"); }
inline void showValue(const AccountReply& r, std::ostream& os) {
  if (r.balance) {
    os << *r.balance;
  } else {
    os << "ok";
  }
}

struct AccountOp {
  bool add = false;  // false: read the balance; true: add one (atomically)
};
struct SetBalance {
  long value;
};

class AccountServer final : public Server<AccountServer, AccountOp, long, SetBalance> {
 public:
  std::optional<long> handle_call(Process&, AccountOp op, From) override { return op.add ? ++balance_ : balance_; }
  void handle_cast(Process&, SetBalance s) override { balance_ = s.value; }

 private:
  long balance_ = 0;
};

template <bool Atomic>
struct AccountSpec {
  using Model = long;
  using Command = AccountCommand;
  using Response = AccountReply;
  using System = Pid;

  static Model initial() { return 0; }
  static rc::Gen<Command> command(const Model&) {
    return rc::gen::element(Command{Deposit{}}, Command{Read{}});
  }
  static bool precondition(const Model&, const Command&) { return true; }
  static Response next(Model& balance, const Command& c) {
    if (std::holds_alternative<Deposit>(c)) {
      ++balance;
      return {};
    }
    return {balance};
  }
  static System setup(Process& self) { return start_server<AccountServer>(self, {.link = true}).value(); }
  static Response invoke(Process& client, const System& account, const Command& c) {
    if (std::holds_alternative<Read>(c)) return {call<AccountServer>(client, account, AccountOp{false}).value()};
    if (Atomic) {
      call<AccountServer>(client, account, AccountOp{true}).value();
    } else {
      long seen = call<AccountServer>(client, account, AccountOp{false}).value();
      cast<AccountServer>(client, account, SetBalance{seen + 1});  // the bug: not atomic with the read
    }
    return {};
  }
};

using LostUpdateAccount = AccountSpec<false>;
using AtomicAccount = AccountSpec<true>;

}  // namespace moira::properties::examples
