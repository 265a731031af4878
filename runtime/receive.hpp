#pragma once
// receive() clauses: a handler matched on its parameter's type, match<T>(guard, handler), and
// after(timeout, handler).
#include <array>
#include <span>
#include <type_traits>
#include <utility>

#include "runtime/message.hpp"
#include "runtime/time.hpp"

namespace moira {

template <class T, class Guard, class Handler>
struct MatchClause {
  Guard guard;
  Handler handler;
};

// A clause for messages of type T for which guard(const T&) is true.
template <class T, class Guard, class Handler>
MatchClause<T, std::decay_t<Guard>, std::decay_t<Handler>> match(Guard&& guard, Handler&& handler) {
  return {std::forward<Guard>(guard), std::forward<Handler>(handler)};
}

template <class Handler>
struct AfterClause {
  Duration timeout;
  Handler handler;
};

// Runs handler if no clause matched within `timeout`; after(0, ...) polls without waiting.
template <class Rep, class Period, class Handler>
AfterClause<std::decay_t<Handler>> after(std::chrono::duration<Rep, Period> timeout, Handler&& handler) {
  return {std::chrono::duration_cast<Duration>(timeout), std::forward<Handler>(handler)};
}

namespace detail {

template <class F>
struct callable_param : callable_param<decltype(&std::decay_t<F>::operator())> {};
template <class C, class R, class A>
struct callable_param<R (C::*)(A) const> {
  using type = A;
};
template <class C, class R, class A>
struct callable_param<R (C::*)(A)> {
  using type = A;
};
template <class C, class R, class A>
struct callable_param<R (C::*)(A) const noexcept> {
  using type = A;
};
template <class C, class R, class A>
struct callable_param<R (C::*)(A) noexcept> {
  using type = A;
};
template <class R, class A>
struct callable_param<R (*)(A)> {
  using type = A;
};

template <class C>
struct clause_traits {  // a plain handler: the message type is its parameter's type
  using type = std::remove_cvref_t<typename callable_param<C>::type>;
  static constexpr bool is_after = false;
  static constexpr bool has_guard = false;
};
template <class T, class G, class H>
struct clause_traits<MatchClause<T, G, H>> {
  using type = T;
  static constexpr bool is_after = false;
  static constexpr bool has_guard = true;
};
template <class H>
struct clause_traits<AfterClause<H>> {
  using type = void;
  static constexpr bool is_after = true;
  static constexpr bool has_guard = false;
};

template <class C>
constexpr bool is_after_clause = clause_traits<std::decay_t<C>>::is_after;

// Which message types a receive's clauses accept (guards not evaluated), for the simulator's
// partial-order reduction: the order of two messages matters only to a receive that accepts both.
// `any`: a clause takes every message (moira::Message, or a stackless process's handle).
// `gives_up`: it has an after() clause, so it may end without a message rather than wait for one.
struct ReceivePattern {
  std::span<const TypeId> types;
  bool any = false;
  bool gives_up = false;
  bool accepts(TypeId type) const {
    if (any) return true;
    for (TypeId t : types)
      if (t == type) return true;
    return false;
  }
};
template <class C>
constexpr TypeId clause_type_id() {
  using Traits = clause_traits<std::decay_t<C>>;
  if constexpr (Traits::is_after) {
    return nullptr;
  } else if constexpr (std::is_same_v<typename Traits::type, Message>) {
    return nullptr;
  } else {
    return type_id_of<typename Traits::type>();
  }
}
template <class... Clauses>
struct pattern_of {
  static constexpr std::array<TypeId, sizeof...(Clauses)> ids{clause_type_id<Clauses>()...};
  static constexpr ReceivePattern value{
      ids, (false || ... || (!clause_traits<std::decay_t<Clauses>>::is_after &&
                             std::is_same_v<typename clause_traits<std::decay_t<Clauses>>::type, Message>)),
      (false || ... || is_after_clause<Clauses>)};
};

template <class H, class T>
void call_handler(H& handler, T& value) {
  if constexpr (std::is_invocable_v<H&, T&&>) {
    handler(std::move(value));
  } else {
    handler(value);
  }
}

}  // namespace detail
}  // namespace moira
