#!/usr/bin/env python3
"""Print criterion results as Markdown tables of ratios against a baseline.

Reads target/criterion/**/new/{benchmark,estimates}.json (criterion 0.5's
layout). Each benchmark group becomes a row; each function a column holding
its median time and, for every function but the baseline, how many times the
baseline's median it is (">1x" = slower than the baseline).

Only results written after --since (a Unix time, e.g. `date +%s` taken before
the run) are shown, so every ratio in a table comes from one run.

    scripts/criterion-table.py --since 1700000000 --group-prefix "lookup " --baseline pkgimg
"""

import argparse
import json
import os
import sys

UNITS = [(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns")]


def human(ns):
    for scale, unit in UNITS:
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def load(root, since):
    """{row: {function: median_ns}}, rows in the order criterion wrote them."""
    found = []
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "estimates.json" not in files:
            continue
        estimates = os.path.join(dirpath, "estimates.json")
        mtime = os.path.getmtime(estimates)
        if mtime < since:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(estimates) as f:
            median = json.load(f)["median"]["point_estimate"]
        found.append((mtime, bench, median))
    found.sort(key=lambda item: item[0])
    groups = {}
    for _, bench, median in found:
        # A parameterised benchmark (BenchmarkId::new(function, value)) is one row per value.
        row = bench["group_id"] + (f" {bench['value_str']}" if bench.get("value_str") else "")
        groups.setdefault(row, {})[bench["function_id"]] = median
    return groups


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default="target/criterion")
    parser.add_argument("--since", type=float, default=0.0, help="ignore results older than this Unix time")
    parser.add_argument("--group-prefix", default="", help="only groups whose name starts with this")
    parser.add_argument("--baseline", default="pkgimg", help="function name (prefix) the others are compared to")
    args = parser.parse_args()

    groups = {g: f for g, f in load(args.root, args.since).items() if g.startswith(args.group_prefix)}
    if not groups:
        sys.exit(f"no results under {args.root} newer than {args.since} for groups '{args.group_prefix}*'")
    columns = []
    for functions in groups.values():
        for name in functions:
            if name not in columns:
                columns.append(name)
    baseline = next((c for c in columns if c.startswith(args.baseline)), None)
    if baseline is None:
        sys.exit(f"no function named {args.baseline}* in these groups")
    columns.remove(baseline)
    columns.insert(0, baseline)

    print("| " + " | ".join(["input"] + columns) + " |")
    print("|" + "---|" * (len(columns) + 1))
    for group, functions in groups.items():
        base = functions.get(baseline)
        cells = [group[len(args.group_prefix):]]
        for name in columns:
            t = functions.get(name)
            if t is None:
                cells.append("—")
            elif name == baseline or base is None:
                cells.append(human(t))
            else:
                ratio = t / base
                shown = f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.2f}"
                cells.append(f"{human(t)} (**{shown}×**)")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
