#pragma once
// RapidCheck generators for what every case draws: settings, schedule, fault plan. Each shrinks
// towards the calm run: settings to their defaults, the schedule to all zeros (and shorter), the
// plan to fewer faults that happen later.
#include <rapidcheck.h>

#include <iosfwd>

#include "properties/inputs.hpp"

namespace moira::properties {

// Which settings a case may vary (a property that must hold under all of them says so).
struct SettingsSpace {
  bool relaxed_delivery = true;
  bool latency = true;
  bool swarm = false;  // swarm draws fault rates: only for properties that hold under any fault
  unsigned latency_max_ms = 20;
};

namespace gen {
rc::Gen<Settings> settings(const SettingsSpace& space);
// Up to `max_choices` answers (fewer at small RapidCheck sizes); a share of them zero, drawn per case.
rc::Gen<Schedule> schedule(std::size_t max_choices);
// Only faults valid in `world`: nodes that exist, times within the space's horizon.
rc::Gen<FaultPlan> fault_plan(const World& world, const FaultSpace& space);
}  // namespace gen

// The schedule's shrinks, most drastic first: all zeros, then zeroing (or, at the tail, cutting)
// chunks of halving size — delta debugging over the decisions — then cutting calm stretches out
// from before the last surprising decision, which moves it earlier.
rc::Seq<Schedule> shrink_schedule(const Schedule& schedule);

// How RapidCheck prints these in its own messages (ADL finds them).
void showValue(const Settings& settings, std::ostream& os);
void showValue(const Schedule& schedule, std::ostream& os);
void showValue(const FaultPlan& plan, std::ostream& os);

}  // namespace moira::properties
