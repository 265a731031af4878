// moira::cli_main: a `main` for a user's binary of scenarios (registered with MOIRA_SCENARIO).
#include "tools/cli.hpp"

int main(int argc, char** argv) { return moira::cli::main(argc, argv); }
