#pragma once
#include "scenarios/scenario.hpp"

namespace moira::scenarios {
Scenario supervised_pool();
Scenario ping_monitor();
Scenario lost_update();
Scenario retry_storm();
}  // namespace moira::scenarios
