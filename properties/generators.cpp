#include "properties/generators.hpp"

#include <algorithm>
#include <ostream>

#include "properties/schedule_source.hpp"

namespace moira::properties {
namespace gen {

rc::Gen<Settings> settings(const SettingsSpace& space) {
  auto flag = [](bool vary) { return vary ? rc::gen::arbitrary<bool>() : rc::gen::just(false); };
  auto latency = space.latency ? rc::gen::inRange<unsigned>(1, std::max(2u, space.latency_max_ms + 1)) : rc::gen::just(1u);
  return rc::gen::apply([](bool relaxed, unsigned lat, bool swarm) { return Settings{relaxed, lat, swarm}; },
                        flag(space.relaxed_delivery), latency, flag(space.swarm));
}

namespace {

struct ScheduleGen {
  std::size_t max_choices;
  rc::Shrinkable<Schedule> operator()(const rc::Random& random, int size) const {
    rc::Random r = random;
    const std::size_t scaled = max_choices * static_cast<std::size_t>(std::clamp(size, 0, rc::kNominalSize)) /
                               static_cast<std::size_t>(rc::kNominalSize);
    Schedule s;
    s.choices.resize(r.next() % (scaled + 1));
    // Some cases are nearly calm, some a full random walk.
    const std::uint64_t calm_percent = r.next() % 101;
    for (auto& c : s.choices) {
      std::uint64_t v = r.next();
      c = (v % 100) < calm_percent ? 0 : 1 + ((v >> 8) % (ScheduleSource::kScale - 1));
    }
    while (!s.choices.empty() && s.choices.back() == 0) s.choices.pop_back();
    return rc::shrinkable::shrinkRecur(std::move(s), &shrink_schedule);
  }
};

}  // namespace

rc::Gen<Schedule> schedule(std::size_t max_choices) { return rc::Gen<Schedule>(ScheduleGen{max_choices}); }

namespace {

rc::Gen<FaultEvent> fault_event(const World& world, const FaultSpace& space) {
  using Kind = FaultEvent::Kind;
  const auto nodes = static_cast<NodeId>(world.nodes);
  const auto horizon_ms = static_cast<std::uint32_t>(
      std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(space.horizon).count()));
  std::vector<NodeId> crashable;
  for (NodeId n = space.crash_node0 ? 0 : 1; n < nodes; ++n) crashable.push_back(n);
  std::vector<Kind> kinds;
  if (space.kill) kinds.push_back(Kind::kill);
  if (space.crash && !crashable.empty()) kinds.push_back(Kind::crash);
  if (space.partition && nodes > 1) kinds.push_back(Kind::partition);
  if (space.drop && nodes > 1) kinds.push_back(Kind::drop);
  const std::size_t targets = std::max<std::size_t>(1, world.kill_targets.size());
  return rc::gen::mapcat(rc::gen::elementOf(kinds), [=](Kind kind) {
    return rc::gen::apply(
        [=](std::uint32_t before_end, std::size_t node_pick, NodeId other_pick, std::uint32_t lasts, unsigned percent,
            std::size_t target) {
          FaultEvent e;
          e.kind = kind;
          e.before_end_ms = before_end;
          e.lasts_ms = lasts;
          e.percent = percent;
          e.target = target;
          if (kind == Kind::crash) e.node = crashable[node_pick % crashable.size()];
          if (kind == Kind::partition || kind == Kind::drop) e.node = static_cast<NodeId>(node_pick % nodes);
          if (kind == Kind::drop) e.other = (e.node + 1 + other_pick % (nodes - 1)) % nodes;
          return e;
        },
        rc::gen::inRange<std::uint32_t>(0, horizon_ms), rc::gen::inRange<std::size_t>(0, std::max<std::size_t>(1, nodes)),
        rc::gen::inRange<NodeId>(0, std::max<NodeId>(1, nodes)), rc::gen::inRange<std::uint32_t>(0, horizon_ms),
        rc::gen::inRange<unsigned>(1, 101), rc::gen::inRange<std::size_t>(0, targets));
  });
}

}  // namespace

rc::Gen<FaultPlan> fault_plan(const World& world, const FaultSpace& space) {
  const Duration horizon = space.horizon;
  if (!space.any() || space.max_faults == 0) return rc::gen::just(FaultPlan{horizon, world.kill_targets, {}});
  // A space with nothing valid in this world (a crash in a one-node world) draws no fault.
  bool possible = space.kill || (world.nodes > 1 && (space.partition || space.drop || space.crash)) ||
                  (space.crash && space.crash_node0);
  if (!possible) return rc::gen::just(FaultPlan{horizon, world.kill_targets, {}});
  auto events = fault_event(world, space);
  const std::size_t max_faults = space.max_faults;
  return rc::gen::withSize([=](int size) {
    // Fewer faults at small sizes; never more than max_faults. (resize bounds the count; the
    // events themselves are drawn at the nominal size, or their times would crowd near zero.)
    auto n = static_cast<int>(std::min<std::size_t>(max_faults, 1 + static_cast<std::size_t>(size) / 10));
    return rc::gen::map(rc::gen::resize(n, rc::gen::container<std::vector<FaultEvent>>(rc::gen::resize(rc::kNominalSize, events))),
                        [horizon, targets = world.kill_targets](std::vector<FaultEvent> ev) {
                          return FaultPlan{horizon, targets, std::move(ev)};
                        });
  });
}

}  // namespace gen

namespace {

// Lazily: [all zeros], then for chunk = n/2, n/4, ..., 1 each chunk zeroed (cut, at the tail),
// skipping chunks already zero.
struct ScheduleShrinks {
  Schedule base;
  std::size_t chunk = 0;
  std::size_t pos = 0;
  bool all_zero_done = false;

  rc::Maybe<Schedule> operator()() {
    const std::size_t n = base.choices.size();
    if (n == 0) return rc::Nothing;
    if (!all_zero_done) {
      all_zero_done = true;
      chunk = n / 2;
      return Schedule{};
    }
    while (chunk > 0) {
      while (pos < n) {
        const std::size_t begin = pos, end = std::min(n, pos + chunk);
        pos = end;
        auto first = base.choices.begin() + static_cast<std::ptrdiff_t>(begin);
        auto last = base.choices.begin() + static_cast<std::ptrdiff_t>(end);
        if (std::all_of(first, last, [](std::uint64_t c) { return c == 0; })) continue;
        Schedule s = base;
        if (end == n) {
          s.choices.resize(begin);
        } else {
          std::fill(s.choices.begin() + static_cast<std::ptrdiff_t>(begin),
                    s.choices.begin() + static_cast<std::ptrdiff_t>(end), 0);
        }
        while (!s.choices.empty() && s.choices.back() == 0) s.choices.pop_back();
        return s;
      }
      chunk /= 2;
      pos = 0;
    }
    return next_deletion();
  }

  // Then calm stretches before the last non-zero answer are cut out, halving: the surprising
  // decisions move earlier, where a smaller input (fewer processes, fewer decisions) still reaches them.
  bool deleting = false;
  rc::Maybe<Schedule> next_deletion() {
    const std::size_t n = base.choices.size();
    if (!deleting) {
      deleting = true;
      chunk = n / 2;
      pos = 0;
    }
    while (chunk > 0) {
      while (pos + chunk < n) {
        const std::size_t begin = pos;
        pos += 1;
        auto first = base.choices.begin() + static_cast<std::ptrdiff_t>(begin);
        auto last = first + static_cast<std::ptrdiff_t>(chunk);
        if (!std::all_of(first, last, [](std::uint64_t c) { return c == 0; })) continue;
        pos = begin + chunk;
        Schedule s = base;
        s.choices.erase(s.choices.begin() + static_cast<std::ptrdiff_t>(begin),
                        s.choices.begin() + static_cast<std::ptrdiff_t>(begin + chunk));
        return s;
      }
      chunk /= 2;
      pos = 0;
    }
    return rc::Nothing;
  }
};

}  // namespace

rc::Seq<Schedule> shrink_schedule(const Schedule& schedule) { return rc::Seq<Schedule>(ScheduleShrinks{schedule}); }

void showValue(const Settings& settings, std::ostream& os) { os << settings.describe(); }
void showValue(const Schedule& schedule, std::ostream& os) { os << schedule.describe(); }
void showValue(const FaultPlan& plan, std::ostream& os) { os << plan.describe(); }

}  // namespace moira::properties
