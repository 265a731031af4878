#pragma once
// Result<T>: a value, or the Reason it could not be had (a call that timed out, a child that
// failed to start). Process failures are values; programmer errors are exceptions.
#include <utility>
#include <variant>

#include "runtime/reason.hpp"

namespace moira {

template <class T>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  static Result failure(Reason why) { return Result{std::in_place_index<1>, std::move(why)}; }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  // From a temporary, by value: `for (auto& c : which_children(self, sup).value())` is then safe.
  T value() && { return std::get<0>(std::move(v_)); }
  const Reason& error() const { return std::get<1>(v_); }

 private:
  template <std::size_t I, class A>
  Result(std::in_place_index_t<I> i, A&& a) : v_(i, std::forward<A>(a)) {}
  std::variant<T, Reason> v_;
};

}  // namespace moira
