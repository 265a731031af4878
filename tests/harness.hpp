#pragma once
// The conformance suite runs every test against every engine: ThreadedEngine with 1 and with N
// workers, and the simulator over several seeds. A test gets a Harness, spawns into its engine,
// runs it until idle, and checks what the processes recorded.
//
// Test bodies run inside processes; Catch2's REQUIRE is not thread-safe, so processes record into
// atomics or containers that the test checks after run().
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/moira.hpp"

namespace moira::test {

class Harness {
 public:
  virtual ~Harness() = default;
  virtual Engine& engine() = 0;
  // Runs until no process can run and no timer is pending.
  virtual void run() = 0;
  virtual std::string name() const = 0;
  virtual bool simulated() const { return false; }
};

struct HarnessFactory {
  std::string name;
  std::function<std::unique_ptr<Harness>()> make;
};

// Every engine the conformance suite runs on. Other engines add themselves with
// register_harness (from a static initializer in their test files).
std::vector<HarnessFactory>& harness_factories();
bool register_harness(HarnessFactory factory);

// Runs `body` once on each engine, with the engine's name in every failure message.
void on_each_engine(const std::function<void(Harness&)>& body);

}  // namespace moira::test
