#pragma once
// Process identifiers and monitor/timer references: small values, cheap to copy and compare.
#include <compare>
#include <cstdint>
#include <functional>

#include <fmt/core.h>

namespace moira {

using NodeId = std::uint32_t;

// A pid names a process slot (index + generation, so a reused slot never aliases an old pid),
// the node it lives on, and that node's incarnation, so a pid from before a node restart never
// reaches the new incarnation.
struct Pid {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;  // 0 means "no process" (the null pid)
  NodeId node = 0;
  std::uint32_t incarnation = 0;

  constexpr bool is_null() const { return generation == 0; }
  constexpr explicit operator bool() const { return !is_null(); }
  friend constexpr auto operator<=>(const Pid&, const Pid&) = default;
};

// A unique reference, as made by monitor() and send_after(): unique within one engine.
struct Ref {
  std::uint64_t value = 0;
  constexpr bool is_null() const { return value == 0; }
  friend constexpr auto operator<=>(const Ref&, const Ref&) = default;
};

}  // namespace moira

template <>
struct std::hash<moira::Pid> {
  std::size_t operator()(const moira::Pid& p) const noexcept {
    std::uint64_t a = (std::uint64_t{p.index} << 32) | p.generation;
    std::uint64_t b = (std::uint64_t{p.node} << 32) | p.incarnation;
    return std::hash<std::uint64_t>{}(a * 0x9E3779B97F4A7C15ull ^ b);
  }
};

template <>
struct fmt::formatter<moira::Pid> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::Pid& p, Ctx& ctx) const {
    if (p.is_null()) return fmt::format_to(ctx.out(), "<none>");
    return fmt::format_to(ctx.out(), "<{}.{}.{}>", p.node, p.index, p.generation);
  }
};

template <>
struct fmt::formatter<moira::Ref> : fmt::formatter<fmt::string_view> {
  template <class Ctx>
  auto format(const moira::Ref& r, Ctx& ctx) const {
    return fmt::format_to(ctx.out(), "#Ref<{}>", r.value);
  }
};
