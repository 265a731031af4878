#pragma once
// Exit reasons: the value a process ends with and that links and monitors carry.
#include <exception>
#include <string>
#include <string_view>

#include <fmt/core.h>

namespace moira {

class Reason {
 public:
  // The atoms whose meaning the runtime knows; everything else is `other` with free text.
  enum class Kind : std::uint8_t { normal, kill, killed, shutdown, noproc, noconnection, stack_overflow, other };

  Reason() = default;  // normal
  explicit Reason(std::string text);

  static Reason normal() { return Reason{Kind::normal}; }
  static Reason kill() { return Reason{Kind::kill}; }      // exit(pid, kill): untrappable
  static Reason killed() { return Reason{Kind::killed}; }  // what a killed process exits with
  static Reason shutdown() { return Reason{Kind::shutdown}; }
  static Reason noproc() { return Reason{Kind::noproc}; }
  static Reason noconnection() { return Reason{Kind::noconnection}; }
  // A fiber ran past the end of its stack; it was abandoned without unwinding.
  static Reason stack_overflow() { return Reason{Kind::stack_overflow}; }
  // The reason for an exception escaping a process: "<type>: <what()>", for any thrown type.
  static Reason from_exception(const std::exception_ptr& e);

  Kind kind() const { return kind_; }
  bool is_normal() const { return kind_ == Kind::normal; }
  bool is_kill() const { return kind_ == Kind::kill; }
  std::string_view text() const;

  friend bool operator==(const Reason& a, const Reason& b) {
    return a.kind_ == b.kind_ && a.text_ == b.text_;
  }

 private:
  explicit Reason(Kind k) : kind_(k) {}
  Kind kind_ = Kind::normal;
  std::string text_;  // only for Kind::other
};

}  // namespace moira

template <>
struct fmt::formatter<moira::Reason> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::Reason& r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", fmt::string_view{r.text().data(), r.text().size()});
  }
};
