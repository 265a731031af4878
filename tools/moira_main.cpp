// The moira binary: the command line with moira's own scenarios.
#include "scenarios/scenario.hpp"
#include "tools/cli.hpp"

int main(int argc, char** argv) {
  moira::scenarios::add_builtin();
  return moira::cli::main(argc, argv);
}
