#pragma once
// A run's decisions as a value: saved to a versioned text file, loaded back, replayed. The file
// says which seed, strategy, scenario and options made it, so a replay against other options is
// refused with a message naming the difference, not silently run into nonsense.
//
//   moira-decision-log 1
//   seed 42
//   strategy random seed=42
//   scenario ping-pong
//   options 0x3c1f9a0b5e6d7788
//   decisions 2
//   d 12 preempt 2 1
//   d 15 schedule 3 0
//   end hash=0x9e3779b97f4a7c15 outcome=completed steps=40
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/choice_source.hpp"

namespace moira::sim {

// A malformed, truncated or mismatched decision log; what() names the file, the line, and what
// was expected and found.
class LogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct DecisionRecord {
  std::uint64_t step = 0;
  DecisionKind kind = DecisionKind::schedule;
  std::uint64_t n = 0;
  std::uint64_t choice = 0;
  friend bool operator==(const DecisionRecord&, const DecisionRecord&) = default;
};

struct DecisionLog {
  static constexpr int kVersion = 1;

  std::uint64_t seed = 0;
  std::string strategy;
  std::string scenario;
  std::uint64_t options_fingerprint = 0;
  std::vector<DecisionRecord> decisions;
  // The end of the recorded run, checked by a replay.
  std::uint64_t trace_hash = 0;
  std::string outcome;
  std::uint64_t steps = 0;

  void write(std::ostream& out) const;
  void save(const std::string& path) const;  // throws LogError when the file cannot be written
  // `source_name` is used in error messages (a path, or "<string>").
  static DecisionLog read(std::istream& in, std::string_view source_name);
  static DecisionLog load(const std::string& path);
  static DecisionLog parse(std::string_view text);
};

}  // namespace moira::sim
