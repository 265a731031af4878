#pragma once
// The moira command line run in-process, as tests drive it: its exit code and what it printed.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tools/cli.hpp"

namespace moira::test {

struct CliRun {
  int code;
  std::string out, err;
};

inline CliRun moira_cli(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"moira"};
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out, err;
  int code = cli::main(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace moira::test
