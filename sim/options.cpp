#include "sim/options.hpp"

#include <fmt/format.h>

#include "sim/trace.hpp"

namespace moira::sim {

std::uint64_t fingerprint(const Options& o) {
  const FaultRates& f = o.faults;
  std::string text = fmt::format(
      "max_steps={} max_virtual_time={} relaxed={} latency={}..{}/{} stack={} faults=[{} {} {} {} {} {} {} {} {}] "
      "swarm={}",
      o.max_steps, o.max_virtual_time.count(), o.relaxed_delivery, o.latency_min.count(), o.latency_max.count(),
      o.latency_steps, o.stack_size, f.tick.count(), f.until.count(), f.kill_per_second, f.crash_per_second,
      f.restart_after.count(), f.partition_per_second, f.heal_after.count(), f.drop_probability, 0, o.swarm);
  // Added only when set, so logs recorded before these options existed still replay.
  if (o.time_jumps != 0) text += fmt::format(" time_jumps={}", o.time_jumps);
  if (o.preempt_before_send) text += " preempt_before_send";
  if (o.local_time_jumps) text += " local_time_jumps";
  if (o.preempt_at_exit) text += " preempt_at_exit";
  if (o.buggify) text += " buggify";
  if (f.duplicate_probability > 0) text += fmt::format(" duplicate={}", f.duplicate_probability);
  if (o.swarm_duplicate) text += " swarm_duplicate";
  if (o.heal_at.count() > 0) text += fmt::format(" heal_at={} converge_within={}", o.heal_at.count(), o.converge_within.count());
  for (const auto& p : o.plan) text += fmt::format(" @{}:{}", p.at.count(), p.fault.describe());
  return fnv1a(text);
}

}  // namespace moira::sim
