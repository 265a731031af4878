// moira's tests run moira's own scenarios: registered as the moira binary registers them.
#include "scenarios/scenario.hpp"

namespace {
[[maybe_unused]] const bool registered = (moira::scenarios::add_builtin(), true);
}
