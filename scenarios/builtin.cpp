// moira's own scenarios, registered by the moira binary and moira's tests. A separate file, so a
// user's binary that links moira::scenarios does not pull them in.
#include "scenarios/all.hpp"
#include "scenarios/scenario.hpp"

namespace moira::scenarios {

void add_builtin() {
  static const bool added = [] {
    for (Scenario (*make)() : {supervised_pool, ping_monitor, lost_update, retry_storm}) add(make());
    return true;
  }();
  (void)added;
}

}  // namespace moira::scenarios
