#pragma once
// How a trace shows a value: through its fmt::formatter when it has one, else by its type name,
// shortened. For the formatters of the runtime's own envelopes (call, cast, reply), so a message
// reads `call GetBalance{}` rather than `moira::detail::CallRequest<...>`.
#include <string>
#include <string_view>
#include <typeinfo>
#include <variant>

#include <fmt/core.h>

namespace moira::detail {

std::string demangled_name(const std::type_info& t);
// Without namespaces, std::string for its long spelling, and nested template arguments elided
// (`<…>`) when the name is still long: `CallRequest<variant<Get, Put>>`.
std::string short_type_name(std::string_view demangled);

template <class T>
std::string show(const T& value) {
  if constexpr (fmt::is_formattable<T>::value) {
    return fmt::format("{}", value);
  } else {
    (void)value;
    return short_type_name(demangled_name(typeid(T)));
  }
}

template <class... T>
std::string show(const std::variant<T...>& value) {
  return std::visit([](const auto& v) { return show(v); }, value);
}

}  // namespace moira::detail
