#pragma once
// Whole-number options of the moira command line, parsed strictly with their range.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace moira::cli {

inline constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

// Counts, seeds and depths are whole numbers in a range. CLI11 would wrap "-5" and 2^64 into
// huge values (a sweep that never ends), so they are parsed here, strictly, with the range named.
template <class N>
N parse_number(const std::string& name, const std::string& text, N min, N max) {
  N v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && end == text.data() + text.size() && (v < min || v > max))) {
    throw CLI::ValidationError(name, fmt::format("{} is out of range: use a number from {} to {}", text, min, max));
  }
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    throw CLI::ValidationError(name, fmt::format("'{}' is not a whole number (use {} to {})", text, min, max));
  }
  return v;
}

template <class N>
inline CLI::Option* add_number(CLI::App* app, const std::string& name, N& target, N min, N max, const std::string& help) {
  auto parse = [&target, name, min, max](const std::string& text) { target = parse_number(name, text, min, max); };
  return app->add_option_function<std::string>(name, parse, fmt::format("{} [{}..{}, default {}]", help, min, max, target))
      ->type_name("N");
}

// The same, for a setting that is absent unless given.
template <class N>
inline CLI::Option* add_number(CLI::App* app, const std::string& name, std::optional<N>& target, N min, N max,
                               const std::string& help) {
  auto parse = [&target, name, min, max](const std::string& text) { target = parse_number(name, text, min, max); };
  return app->add_option_function<std::string>(name, parse, fmt::format("{} [{}..{}]", help, min, max))->type_name("N");
}

// Rates and probabilities: a decimal number in a range, parsed strictly as the whole numbers are.
inline CLI::Option* add_real(CLI::App* app, const std::string& name, std::optional<double>& target, double min, double max,
                             const std::string& help) {
  auto parse = [&target, name, min, max](const std::string& text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !(v >= min && v <= max)) {
      throw CLI::ValidationError(name, fmt::format("'{}' is not a number from {} to {}", text, min, max));
    }
    target = v;
  };
  return app->add_option_function<std::string>(name, parse, fmt::format("{} [{}..{}]", help, min, max))->type_name("X");
}

}  // namespace moira::cli
