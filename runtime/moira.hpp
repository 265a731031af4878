#pragma once
// Everything a user of the runtime needs.
#include "runtime/engine.hpp"
#include "runtime/message.hpp"
#include "runtime/pid.hpp"
#include "runtime/process.hpp"
#include "runtime/reason.hpp"
#include "runtime/threaded_engine.hpp"
#include "runtime/behaviours/server.hpp"
#include "runtime/behaviours/supervisor.hpp"
