#!/usr/bin/env python3
"""Turns the RESULT lines bench/run collected into a table of medians with moira/peer ratios,
a CSV and an SVG chart of the ratios.

Input lines (one per measurement):  <runtime> <size-label> RESULT <workload> <metric> <value> <unit>
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


def main(raw_path, csv_path, svg_path, cores):
    values = defaultdict(list)  # (runtime, size, workload, metric) -> [value]
    order = {}  # moira's (size, workload, metric) -> first line it appeared on: rows come in run order
    units = {}
    for line in open(raw_path):
        parts = line.split()
        if len(parts) != 7 or parts[2] != "RESULT":
            continue
        runtime, size, _, workload, metric, value, unit = parts
        values[(runtime, size, workload, metric)].append(float(value))
        order.setdefault((runtime, size, workload, metric), len(order))
        units[metric] = unit
    rows = []
    for (runtime, size, workload, metric), vs in sorted(values.items(), key=lambda kv: order[kv[0]]):
        if runtime != "moira":
            continue
        m = statistics.median(vs)
        row = {"workload": workload, "size": size, "metric": metric, "unit": units[metric], "moira": m,
               "runs": len(vs)}
        for peer in ("erlang", "caf"):
            pv = values.get((peer, size, peer_workload(workload), metric))
            row[peer] = statistics.median(pv) if pv else None
            row[peer + "_x"] = advantage(metric, m, row[peer]) if pv else None
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

    print(f"moira vs Erlang/OTP and CAF on {cores} cores; medians of each interleaved run")
    print("(ratio: how many times better moira is; >1 = moira ahead, for time and memory as well)")
    header = f"{'workload':<24}{'size':<14}{'metric':<20}{'moira':>10}{'erlang':>10}{'caf':>10}  {'vs erlang':<20}{'vs caf':<20}"
    print(header)
    print("-" * len(header))
    misses = 0
    for r in rows:
        for peer in ("erlang", "caf"):
            if r[peer + "_x"] is not None and r[peer + "_target"] is not None and r[peer + "_x"] < r[peer + "_target"]:
                misses += 1
        print(f"{r['workload']:<24}{r['size']:<14}{r['metric']:<20}{fmt(r['moira']):>10}{fmt(r['erlang']):>10}"
              f"{fmt(r['caf']):>10}  {fx(r, 'erlang'):<20}{fx(r, 'caf'):<20}")
    print(f"targets missed: {misses}")

    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "size", "metric", "unit", "moira", "erlang", "caf", "moira_vs_erlang_x",
                    "moira_vs_caf_x", "runs"])
        for r in rows:
            w.writerow([r["workload"], r["size"], r["metric"], r["unit"], r["moira"], r["erlang"], r["caf"],
                        r["erlang_x"], r["caf_x"], r["runs"]])

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
        out.append(f'<text x="10" y="{y + 18}">{r["workload"]} {r["size"]} ({r["metric"]})</text>')
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
