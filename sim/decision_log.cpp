#include "sim/decision_log.hpp"

#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <istream>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

namespace moira::sim {
namespace {

constexpr std::string_view kMagic = "moira-decision-log";
constexpr std::uint64_t kMaxDecisions = 1'000'000'000;

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  int base = 10;
  if (s.starts_with("0x")) {
    s.remove_prefix(2);
    base = 16;
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Reads a log line by line, keeping the line number for error messages.
class Reader {
 public:
  Reader(std::istream& in, std::string_view name) : in_(in), name_(name) {}

  [[noreturn]] void fail(std::string_view expected, std::string_view found) const {
    std::string shown{found};  // a binary file's bytes would garble the terminal
    for (char& c : shown)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    throw LogError(fmt::format("{}:{}: expected {}, found '{}'", name_, line_no_, expected, shown));
  }
  [[noreturn]] void fail_eof(std::string_view expected) const {
    throw LogError(fmt::format("{}:{}: expected {}, found the end of the file (truncated log?)", name_, line_no_ + 1,
                               expected));
  }
  std::string next(std::string_view expected) {
    std::string line;
    if (!try_next(line, expected)) fail_eof(expected);
    return line;
  }
  // False at the end of the file. Lines and the whole log are bounded, so that /dev/zero or a
  // binary file is refused at once instead of being read until memory runs out.
  bool try_next(std::string& line, std::string_view expected) {
    in_.getline(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    const auto got = static_cast<std::size_t>(in_.gcount());
    if (in_.fail() && got == 0 && in_.eof()) return false;
    ++line_no_;
    line.assign(buf_.data(), std::strlen(buf_.data()));
    if (in_.fail() && got >= kMaxLine) {
      fail(fmt::format("{} (lines have at most {} bytes: is this a moira decision log?)", expected, kMaxLine),
           line.substr(0, 32) + "...");
    }
    bytes_ += got;
    if (bytes_ > kMaxBytes) {
      throw LogError(fmt::format("{}:{}: the log is larger than {} MiB; no run of moira records that many decisions",
                                 name_, line_no_, kMaxBytes >> 20));
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }
  // "<key> <rest of line>": returns the rest.
  std::string keyed(std::string_view key) {
    std::string expected = fmt::format("'{} ...'", key);
    std::string line = next(expected);
    std::string_view v{line};
    if (!v.starts_with(key) || (v.size() > key.size() && v[key.size()] != ' ')) fail(expected, line);
    v.remove_prefix(std::min(v.size(), key.size() + 1));
    return std::string{v};
  }
  std::uint64_t keyed_number(std::string_view key) {
    std::string rest = keyed(key);
    auto v = parse_u64(rest);
    if (!v) fail(fmt::format("a number after '{}'", key), rest);
    return *v;
  }
  std::size_t line_no() const { return line_no_; }

 private:
  static constexpr std::size_t kMaxLine = 4096;
  std::array<char, kMaxLine + 1> buf_{};
  static constexpr std::size_t kMaxBytes = std::size_t{4} << 30;
  std::istream& in_;
  std::string name_;
  std::size_t line_no_ = 0;
  std::size_t bytes_ = 0;
};

DecisionRecord parse_decision(Reader& r, std::uint64_t previous_step) {
  constexpr std::string_view shape = "'d <step> <kind> <n> <choice>'";
  std::string line = r.next(shape);
  auto w = split_words(line);
  if (w.size() != 5 || w[0] != "d") r.fail(shape, line);
  DecisionRecord d;
  auto step = parse_u64(w[1]);
  auto kind = decision_kind_from(w[2]);
  auto n = parse_u64(w[3]);
  auto choice = parse_u64(w[4]);
  if (!step) r.fail("a step number", w[1]);
  if (!kind) r.fail("a decision kind (schedule, preempt, latency, drop, fault, random, setting)", w[2]);
  if (!n || *n < 2) r.fail("a number of options >= 2", w[3]);
  if (!choice) r.fail("a choice number", w[4]);
  if (*choice >= *n) r.fail(fmt::format("a choice below n={}", *n), w[4]);
  if (*step < previous_step) r.fail(fmt::format("a step >= {} (steps never go back)", previous_step), w[1]);
  d.step = *step;
  d.kind = *kind;
  d.n = *n;
  d.choice = *choice;
  return d;
}

}  // namespace

void DecisionLog::write(std::ostream& out) const {
  out << kMagic << ' ' << kVersion << '\n';
  out << "seed " << seed << '\n';
  out << "strategy " << strategy << '\n';
  out << "scenario " << scenario << '\n';
  out << fmt::format("options {:#018x}\n", options_fingerprint);
  out << "decisions " << decisions.size() << '\n';
  for (const auto& d : decisions) out << fmt::format("d {} {} {} {}\n", d.step, to_string(d.kind), d.n, d.choice);
  out << fmt::format("end hash={:#018x} outcome={} steps={}\n", trace_hash, outcome, steps);
}

void DecisionLog::save(const std::string& path) const {
  std::ofstream out{path};
  if (!out) throw LogError(fmt::format("{}: cannot open for writing", path));
  write(out);
  out.flush();
  if (!out) throw LogError(fmt::format("{}: write failed", path));
}

DecisionLog DecisionLog::read(std::istream& in, std::string_view source_name) {
  Reader r{in, source_name};
  DecisionLog log;
  std::string header = r.next(fmt::format("'{} {}'", kMagic, kVersion));
  auto hw = split_words(header);
  if (hw.size() != 2 || hw[0] != kMagic) r.fail(fmt::format("'{} <version>' (is this a moira decision log?)", kMagic), header);
  auto version = parse_u64(hw[1]);
  if (!version) r.fail("a version number", hw[1]);
  if (*version != kVersion) {
    throw LogError(fmt::format("{}:1: log format version {} is not supported (this build reads version {})",
                               source_name, *version, kVersion));
  }
  log.seed = r.keyed_number("seed");
  log.strategy = r.keyed("strategy");
  log.scenario = r.keyed("scenario");
  log.options_fingerprint = r.keyed_number("options");
  std::uint64_t count = r.keyed_number("decisions");
  if (count > kMaxDecisions) {
    throw LogError(fmt::format("{}:{}: {} decisions is more than any run records (at most {})", source_name, r.line_no(),
                               count, kMaxDecisions));
  }
  log.decisions.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, 1u << 20)));
  std::uint64_t previous_step = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    log.decisions.push_back(parse_decision(r, previous_step));
    previous_step = log.decisions.back().step;
  }
  constexpr std::string_view end_shape = "'end hash=<hex> outcome=<word> steps=<n>'";
  std::string end = r.next(end_shape);
  auto ew = split_words(end);
  if (ew.size() != 4 || ew[0] != "end") {
    if (!ew.empty() && ew[0] == "d") {
      r.fail(fmt::format("{} after {} decisions (the header says {})", end_shape, count, count), end);
    }
    r.fail(end_shape, end);
  }
  auto field = [&](std::string_view word, std::string_view key) -> std::string_view {
    if (!word.starts_with(key) || word.size() <= key.size() || word[key.size()] != '=') r.fail(end_shape, end);
    return word.substr(key.size() + 1);
  };
  auto hash = parse_u64(field(ew[1], "hash"));
  if (!hash) r.fail("a hex trace hash", ew[1]);
  log.trace_hash = *hash;
  log.outcome = std::string{field(ew[2], "outcome")};
  auto steps = parse_u64(field(ew[3], "steps"));
  if (!steps) r.fail("a step count", ew[3]);
  log.steps = *steps;
  for (std::string extra; r.try_next(extra, "the end of the file after the 'end' line");) {
    if (!extra.empty()) r.fail("the end of the file after the 'end' line", extra);
  }
  return log;
}

DecisionLog DecisionLog::load(const std::string& path) {
  std::ifstream in{path};
  if (!in) throw LogError(fmt::format("{}: cannot open for reading", path));
  return read(in, path);
}

DecisionLog DecisionLog::parse(std::string_view text) {
  std::istringstream in{std::string{text}};
  return read(in, "<string>");
}

}  // namespace moira::sim
