#pragma once
// Everything a user of the simulator needs.
#include "runtime/moira.hpp"
#include "sim/choice_source.hpp"
#include "sim/decision_log.hpp"
#include "sim/fault.hpp"
#include "sim/options.hpp"
#include "sim/pct.hpp"
#include "sim/random_walk.hpp"
#include "sim/replay_source.hpp"
#include "sim/runner.hpp"
#include "sim/simulation.hpp"
#include "sim/trace.hpp"
#include "sim/vector_source.hpp"
