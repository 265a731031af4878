#!/usr/bin/env python3
"""Turns the RESULT lines bench/run collected into a table of medians with moira/peer ratios,
a CSV and an SVG chart of the ratios.

Input lines (one per measurement):
  <pass> <runtime> <config> <size-label> RESULT <workload> <metric> <value> <unit>
(pass: quiet, noisy-nice0, ...; config: which configuration of the runtime; lines without pass and
config, from older runs, count as the quiet pass at the default configuration)
"""
import csv
import statistics
import sys
from collections import defaultdict

# How much better moira is than a peer: > 1 means moira is better, whatever the metric's direction.
HIGHER_IS_BETTER = {"round_trips_per_s", "hops_per_s", "messages_per_s", "decisions_per_s", "virtual_s_per_wall_s"}

# The issue's targets, as "moira is at least this many times better than the peer".
TARGETS = {
    ("pingpong", "round_trips_per_s"): 3.0,
    ("ring", "hops_per_s"): 3.0,
    ("fanin", "messages_per_s"): 3.0,
    ("spawn_cold", "us_per_spawn"): {"erlang": 8.0, "caf": 4.0},
    ("spawn_warm", "us_per_spawn"): {"erlang": 8.0, "caf": 4.0},
    ("spawn_cold", "kib_per_process"): {"erlang": 2.0},  # stackless: at most half of Erlang's memory
}


def peer_workload(workload):
    """moira's spawn_cold_fiber / spawn_cold_stackless compare with the peers' spawn_cold, and its
    ring_stackless (the ring of server processes) with the peers' ring."""
    for base in ("spawn_cold", "spawn_warm", "ring"):
        if workload.startswith(base + "_"):
            return base
    return workload


def advantage(metric, moira, peer):
    if moira <= 0 or peer <= 0:
        return None
    return moira / peer if metric in HIGHER_IS_BETTER else peer / moira


def target_for(workload, metric, peer):
    t = TARGETS.get((peer_workload(workload), metric))
    if isinstance(t, dict):
        t = t.get(peer)
    if metric == "kib_per_process" and "fiber" in workload:
        return None  # the memory target is for stackless (server) processes
    return t


def better(metric, a, b):
    """True when value a beats value b for this metric."""
    return a > b if metric in HIGHER_IS_BETTER else a < b


# Under a noisy neighbour, moira's default configuration must keep this share of its one-worker
# figure on these workloads (issue 14).
SINGLE_WORKER_SHARE = {("pingpong", "round_trips_per_s"), ("ring", "hops_per_s"), ("fanin", "messages_per_s")}


def main(raw_path, csv_path, svg_path, cores):
    # (pass, runtime, config, size, workload, metric) -> [value]
    values = defaultdict(list)
    order = {}  # first line each key appeared on: rows come in run order
    units = {}
    for line in open(raw_path):
        parts = line.split()
        if len(parts) == 7 and parts[2] == "RESULT":  # older lines: the quiet pass, default configurations
            parts = ["quiet", parts[0], "default"] + parts[1:]
        if len(parts) != 9 or parts[4] != "RESULT":
            continue
        pas, runtime, config, size, _, workload, metric, value, unit = parts
        key = (pas, runtime, config, size, workload, metric)
        values[key].append(float(value))
        order.setdefault(key, len(order))
        units[metric] = unit

    def best_peer(pas, peer, size, workload, metric):
        """The peer's best configuration (by median) and its median, or (None, None)."""
        best = (None, None)
        for (p, r, c, s, w, m), vs in values.items():
            if (p, r, s, w, m) != (pas, peer, size, workload, metric):
                continue
            med = statistics.median(vs)
            if best[1] is None or better(metric, med, best[1]):
                best = (c, med)
        return best

    rows = []
    for (pas, runtime, config, size, workload, metric), vs in sorted(values.items(), key=lambda kv: order[kv[0]]):
        if runtime != "moira" or config != "default":
            continue
        m = statistics.median(vs)
        row = {"pass": pas, "workload": workload, "size": size, "metric": metric, "unit": units[metric], "moira": m,
               "runs": len(vs)}
        one = values.get((pas, "moira", "1-worker", size, workload, metric))
        row["moira_1w"] = statistics.median(one) if one else None
        row["share_1w"] = m / row["moira_1w"] if one and metric in HIGHER_IS_BETTER and row["moira_1w"] > 0 else None
        for peer in ("erlang", "caf"):
            config_, pv = best_peer(pas, peer, size, peer_workload(workload), metric)
            row[peer] = pv
            row[peer + "_config"] = config_
            row[peer + "_x"] = advantage(metric, m, pv) if pv else None
            row[peer + "_target"] = target_for(workload, metric, peer)
        rows.append(row)

    def fmt(v):
        if v is None:
            return "-"
        if v >= 1e6:
            return f"{v / 1e6:.2f}M"
        if v >= 1e3:
            return f"{v / 1e3:.1f}k"
        return f"{v:.3g}"

    def fx(row, peer):
        x, t = row[peer + "_x"], row[peer + "_target"]
        if x is None:
            return "-"
        mark = "" if t is None else (" ok" if x >= t else f" MISS(>={t:g})")
        return f"{x:.2f}x{mark}"

    def share(row):
        sh = row["share_1w"]
        if sh is None:
            return "-"
        wanted = row["pass"] != "quiet" and (row["workload"], row["metric"]) in SINGLE_WORKER_SHARE
        return f"{sh * 100:.0f}%" + ("" if not wanted else (" ok" if sh >= 0.8 else " MISS(>=80%)"))

    print(f"moira vs Erlang/OTP and CAF on {cores} cores; medians of each interleaved run")
    print("(ratio: how many times better moira is; >1 = moira ahead, for time and memory as well;")
    print(" each peer at its best configuration, named in brackets; 1w: moira on one worker, and")
    print(" moira's default as a share of it)")
    misses = 0
    for pas in dict.fromkeys(r["pass"] for r in rows):
        print()
        print(f"pass: {pas}")
        header = (f"{'workload':<18}{'size':<12}{'metric':<20}{'moira':>9}{'1w':>9} {'of 1w':<13}"
                  f"{'erlang':>9} {'[config]':<17}{'caf':>9} {'[config]':<11}  {'vs erlang':<17}{'vs caf':<17}")
        print(header)
        print("-" * len(header))
        for r in rows:
            if r["pass"] != pas:
                continue
            for peer in ("erlang", "caf"):
                if r[peer + "_x"] is not None and r[peer + "_target"] is not None and r[peer + "_x"] < r[peer + "_target"]:
                    misses += 1
            if r["pass"] != "quiet" and (r["workload"], r["metric"]) in SINGLE_WORKER_SHARE and \
                    r["share_1w"] is not None and r["share_1w"] < 0.8:
                misses += 1
            print(f"{r['workload']:<18}{r['size']:<12}{r['metric']:<20}{fmt(r['moira']):>9}{fmt(r['moira_1w']):>9}"
                  f" {share(r):<13}{fmt(r['erlang']):>9} {'[' + (r['erlang_config'] or '-') + ']':<17}"
                  f"{fmt(r['caf']):>9} {'[' + (r['caf_config'] or '-') + ']':<11}  {fx(r, 'erlang'):<17}{fx(r, 'caf'):<17}")
    print(f"targets missed: {misses}")

    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["pass", "workload", "size", "metric", "unit", "moira", "moira_1_worker", "erlang", "erlang_config",
                    "caf", "caf_config", "moira_vs_erlang_x", "moira_vs_caf_x", "runs"])
        for r in rows:
            w.writerow([r["pass"], r["workload"], r["size"], r["metric"], r["unit"], r["moira"], r["moira_1w"],
                        r["erlang"], r["erlang_config"], r["caf"], r["caf_config"], r["erlang_x"], r["caf_x"], r["runs"]])

    write_svg(rows, svg_path, cores)
    print(f"wrote {csv_path} and {svg_path}")


def write_svg(rows, path, cores):
    """Horizontal bars of moira's advantage (log scale), one pair per row, a line at 1x."""
    import math
    bars = [r for r in rows if r["erlang_x"] or r["caf_x"]]
    width, left, row_h, top = 900, 330, 34, 50
    height = top + row_h * len(bars) + 40
    lo, hi = 0.1, 100.0
    scale = (width - left - 30) / (math.log10(hi) - math.log10(lo))

    def x_of(v):
        v = min(max(v, lo), hi)
        return left + (math.log10(v) - math.log10(lo)) * scale

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<text x="10" y="20" font-size="15">moira vs Erlang/OTP (blue) and CAF (orange): times better, log scale, {cores} cores</text>']
    for tick in (0.1, 0.3, 1, 3, 10, 30, 100):
        x = x_of(tick)
        out.append(f'<line x1="{x:.1f}" y1="{top - 10}" x2="{x:.1f}" y2="{height - 30}" stroke="{"#000" if tick == 1 else "#ddd"}"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 15}" text-anchor="middle">{tick:g}x</text>')
    for i, r in enumerate(bars):
        y = top + i * row_h
        where = "" if r["pass"] == "quiet" else f' [{r["pass"]}]'
        out.append(f'<text x="10" y="{y + 18}">{r["workload"]} {r["size"]} ({r["metric"]}){where}</text>')
        for j, (peer, color) in enumerate((("erlang", "#3b73b9"), ("caf", "#e8912d"))):
            v = r[peer + "_x"]
            if not v:
                continue
            x0, x1 = x_of(1), x_of(v)
            out.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 4 + j * 13}" width="{abs(x1 - x0):.1f}" height="11" fill="{color}"/>')
            out.append(f'<text x="{max(x0, x1) + 4:.1f}" y="{y + 14 + j * 13}" font-size="10">{v:.2f}x</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit("usage: report.py RAW CSV SVG CORES")
    main(*sys.argv[1:])
