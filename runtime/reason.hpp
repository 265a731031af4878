#pragma once
// Exit reasons: the value a process ends with and that links and monitors carry. A reason is an
// atom the runtime knows (normal, shutdown, kill, killed, noproc, noconnection), free text, an
// escaped exception, OTP's {shutdown, Term}, or a value of any type for a receiver to match on
// (get_if<T>()). Cheap to copy: anything beyond the atom lives in one shared, immutable payload.
#include <concepts>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include <fmt/core.h>

namespace moira {

namespace detail {
std::string demangled_name(const std::type_info& t);

// What a reason carries beyond its kind: its text, and the value or exception behind it.
struct ReasonPayload {
  virtual ~ReasonPayload() = default;
  std::string text;
  const std::type_info* type = nullptr;  // of the value, if there is one
  std::exception_ptr exception;
  virtual const void* value() const { return nullptr; }
  virtual bool same_value(const ReasonPayload& other) const { (void)other; return true; }
};

template <class T>
struct ReasonValue final : ReasonPayload {
  explicit ReasonValue(T v) : held(std::move(v)) { type = &typeid(T); }
  const void* value() const override { return &held; }
  bool same_value(const ReasonPayload& other) const override {
    if constexpr (requires(const T& a) { { a == a } -> std::convertible_to<bool>; }) {
      return held == static_cast<const ReasonValue&>(other).held;
    } else {
      return true;  // not comparable: equal type and text must do
    }
  }
  T held;
};

// How a value prints inside a reason: with fmt if it can, else by its type's name.
template <class T>
std::string reason_text_of(const T& value) {
  if constexpr (fmt::is_formattable<T>::value) {
    return fmt::format("{}", value);
  } else {
    return demangled_name(typeid(T));
  }
}
}  // namespace detail

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
  // exception() keeps the exception itself, for a receiver to rethrow and catch by type.
  static Reason from_exception(const std::exception_ptr& e);
  // OTP's {shutdown, Term}: a clean stop with a value (supervisors do not restart a transient
  // child for it). Prints as "{shutdown, <term>}".
  template <class T>
  static Reason shutdown(T term);
  // A value of any type as the reason, e.g. exit(Reason::of(Overloaded{42})): receivers match
  // it with get_if<Overloaded>(). Prints with fmt if the type is formattable, else as its name.
  template <class T>
  static Reason of(T value);
  // What a start function answers to start nothing (OTP's ignore): start_server returns it as
  // its error, and a supervisor records the child as not running.
  static Reason ignore() { return Reason{"ignore"}; }

  Kind kind() const { return kind_; }
  bool is_normal() const { return kind_ == Kind::normal; }
  bool is_kill() const { return kind_ == Kind::kill; }
  bool is_shutdown() const { return kind_ == Kind::shutdown; }  // shutdown or {shutdown, Term}
  std::string_view text() const;
  // The value of of(T) or shutdown(T), if it is a T; null otherwise.
  template <class T>
  const T* get_if() const {
    return term_ && term_->type && *term_->type == typeid(T) ? static_cast<const T*>(term_->value()) : nullptr;
  }
  std::exception_ptr exception() const { return term_ ? term_->exception : nullptr; }

  // Same kind, same text, and for values the same type and (where T has ==) an equal value.
  friend bool operator==(const Reason& a, const Reason& b);

 private:
  explicit Reason(Kind k) : kind_(k) {}
  Reason(Kind k, std::shared_ptr<const detail::ReasonPayload> term) : kind_(k), term_(std::move(term)) {}
  static Reason with_exception(std::string text, const std::exception_ptr& e);
  Kind kind_ = Kind::normal;
  std::shared_ptr<const detail::ReasonPayload> term_;  // free text, a value, an exception
};

template <class T>
Reason Reason::shutdown(T term) {
  static_assert(std::is_object_v<T> && !std::is_pointer_v<T>, "a reason holds a value, not a pointer");
  auto p = std::make_shared<detail::ReasonValue<T>>(std::move(term));
  p->text = "{shutdown, " + detail::reason_text_of(p->held) + "}";
  return Reason{Kind::shutdown, std::move(p)};
}

template <class T>
Reason Reason::of(T value) {
  static_assert(std::is_object_v<T> && !std::is_pointer_v<T>, "a reason holds a value, not a pointer");
  auto p = std::make_shared<detail::ReasonValue<T>>(std::move(value));
  p->text = detail::reason_text_of(p->held);
  return Reason{Kind::other, std::move(p)};
}

}  // namespace moira

template <>
struct fmt::formatter<moira::Reason> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::Reason& r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "{}", fmt::string_view{r.text().data(), r.text().size()});
  }
};
