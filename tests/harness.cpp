#include "tests/harness.hpp"

#include <catch2/catch.hpp>

namespace moira::test {
namespace {

class ThreadedHarness final : public Harness {
 public:
  explicit ThreadedHarness(unsigned workers) : engine_(ThreadedEngine::Options{.workers = workers}), workers_(workers) {}
  Engine& engine() override { return engine_; }
  void run() override { engine_.run_until_idle(); }
  std::string name() const override { return "threads x" + std::to_string(workers_); }

 private:
  ThreadedEngine engine_;
  unsigned workers_;
};

}  // namespace

std::vector<HarnessFactory>& harness_factories() {
  static std::vector<HarnessFactory> factories{
      {"threads x1", [] { return std::make_unique<ThreadedHarness>(1); }},
      {"threads x4", [] { return std::make_unique<ThreadedHarness>(4); }},
  };
  return factories;
}

bool register_harness(HarnessFactory factory) {
  harness_factories().push_back(std::move(factory));
  return true;
}

void on_each_engine(const std::function<void(Harness&)>& body) {
  for (auto& f : harness_factories()) {
    INFO("engine: " << f.name);
    auto h = f.make();
    body(*h);
  }
}

}  // namespace moira::test
