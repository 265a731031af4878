#include "tools/junit.hpp"

#include <fmt/format.h>

#include <ctime>

#include "sim/markup.hpp"

namespace moira::cli {
namespace {

std::string failure_element(const JunitFailure& f) {
  return fmt::format("<failure type=\"{}\" message=\"{}\">{}</failure>", sim::markup_escape(f.type), sim::markup_escape(f.message),
                     sim::markup_escape(f.body));
}

std::string seed_range(std::uint64_t first, std::uint64_t count) {
  return count == 0 ? "no seeds" : fmt::format("seeds {}..{}", first, first + count - 1);
}

}  // namespace

std::string utc_timestamp_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string junit_xml(const std::vector<JunitSuite>& suites) {
  std::string body;
  std::size_t all_tests = 0, all_failures = 0;
  double all_secs = 0;
  for (const JunitSuite& s : suites) {
    const std::string classname = "moira." + s.scenario;
    std::string cases = fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">", sim::markup_escape(classname),
                                    seed_range(s.first_seed, s.seeds_run), s.passed_secs);
    std::string out = s.note;
    if (s.failures_not_listed > 0) {
      out += fmt::format("{}{} more failing seeds, not listed (the first {} are)", out.empty() ? "" : "\n",
                         s.failures_not_listed, kMaxListedFailures);
    }
    if (s.summary_failure) cases += failure_element(*s.summary_failure);
    if (!out.empty()) cases += "<system-out>" + sim::markup_escape(out) + "</system-out>";
    cases += "</testcase>\n";
    for (const JunitFailure& f : s.failures) {
      cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">{}</testcase>\n", sim::markup_escape(classname),
                           sim::markup_escape(f.name), f.secs, failure_element(f));
    }
    const std::size_t tests = 1 + s.failures.size();
    const std::size_t failures = s.failures.size() + (s.summary_failure ? 1 : 0);
    all_tests += tests;
    all_failures += failures;
    all_secs += s.secs;
    body += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\" timestamp=\"{}\">\n"
        "    <properties><property name=\"seeds\" value=\"{}\"/><property name=\"strategy\" value=\"{}\"/></properties>\n{}"
        "  </testsuite>\n",
        sim::markup_escape(s.scenario), tests, failures, s.secs, s.timestamp,
        s.seeds_run == 0 ? std::string{"none"} : fmt::format("{}..{}", s.first_seed, s.first_seed + s.seeds_run - 1),
        sim::markup_escape(s.strategy), cases);
  }
  return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"moira sweep\" tests=\"{}\" failures=\"{}\" "
                     "time=\"{:.3f}\">\n{}</testsuites>\n",
                     all_tests, all_failures, all_secs, body);
}

}  // namespace moira::cli
