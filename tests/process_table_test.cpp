// The pid table grows in chunks of doubling size (64, 128, 256, ... slots): every pid must reach
// its own process across the chunk boundaries, and a pid whose process has exited must reach
// nobody once its slot holds a new process.
#include <catch2/catch.hpp>

#include <memory>
#include <utility>
#include <vector>

#include "sim/sim.hpp"

using namespace moira;

namespace {

struct Tally {
  int answered = 0;
  int wrong = 0;
};

// Spawns n children that each answer the first int they get with (their number, the int), sends
// child i the value i * 7 + salt, and counts the answers.
void wave(Process& self, int n, int salt, std::vector<Pid>& pids, Tally& tally) {
  Pid parent = self.self();
  pids.clear();
  for (int i = 0; i < n; ++i)
    pids.push_back(self.spawn([parent, i](Process& child) { child.send(parent, std::pair{i, child.receive<int>()}); }));
  for (int i = 0; i < n; ++i) self.send(pids[static_cast<std::size_t>(i)], i * 7 + salt);
  for (int i = 0; i < n; ++i) {
    auto [who, value] = self.receive<std::pair<int, int>>();
    ++tally.answered;
    tally.wrong += value != who * 7 + salt;
  }
}

}  // namespace

TEST_CASE("process table: pids reach their own process across chunk boundaries; stale pids reach nobody",
          "[unit][process-table]") {
  constexpr int kChildren = 1000;  // chunks of 64, 128, 256, 512, 1024 slots: four boundaries crossed
  auto first = std::make_shared<Tally>();
  auto second = std::make_shared<Tally>();
  auto strays = std::make_shared<int>(0);
  sim::Options o;
  sim::Simulation s{o};
  s.spawn([=](Process& self) {
    std::vector<Pid> old_pids, new_pids;
    wave(self, kChildren, 0, old_pids, *first);
    // Every child of the first wave has exited: the second wave reuses their slots. A send to an
    // old pid must be dropped, not handed to the slot's new process (which would answer it).
    Pid parent = self.self();
    for (int i = 0; i < kChildren; ++i)
      new_pids.push_back(self.spawn([parent](Process& child) { child.send(parent, std::pair{-1, child.receive<int>()}); }));
    for (Pid p : old_pids) self.send(p, -100);
    for (Pid p : new_pids) self.send(p, 1);
    for (int i = 0; i < kChildren; ++i) *strays += self.receive<std::pair<int, int>>().second != 1;
    wave(self, kChildren, 3, new_pids, *second);
  });
  auto r = s.run();
  CHECK(r.outcome == sim::Outcome::completed);
  CHECK(first->answered == kChildren);
  CHECK(first->wrong == 0);
  CHECK(*strays == 0);
  CHECK(second->answered == kChildren);
  CHECK(second->wrong == 0);
}
