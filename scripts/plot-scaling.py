#!/usr/bin/env python3
"""Draw benches/scaling.rs's results (target/criterion) as docs/scaling.png.

Two panels: lookup time against file size (1 MiB .. 4 GiB; log x, linear y
from 0, so a flat line is flat) and against section count (10 .. 100,000;
log-log), one colour each for pkgimg, object and goblin. Solid lines are the
interleaved medians that benches/scaling.rs writes to
target/bench-results/scaling-interleaved.json (every input and reader measured
in the same rounds, so machine drift cannot pose as a size effect); markers
joined by dotted lines are criterion's medians with their 95% confidence
intervals. Needs matplotlib (`pip install matplotlib`).

    cargo bench --bench scaling && scripts/plot-scaling.py [--out docs/scaling.png]
"""

import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TOOLS = [("pkgimg", "tab:green", "o"), ("object", "tab:blue", "s"), ("goblin", "tab:red", "^")]
PANELS = [
    ("file size", "file size (MiB, sparse ELF, 10 sections)"),
    ("section count", "section count (64 MiB sparse ELF)"),
]


def series(root, group, tool):
    """[(parameter, median_ns, low_ns, high_ns)] for one tool in one group, sorted."""
    base = os.path.join(root, group, tool)
    points = []
    if not os.path.isdir(base):
        return points
    for value in os.listdir(base):
        path = os.path.join(base, value, "new", "estimates.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            median = json.load(f)["median"]
        ci = median["confidence_interval"]
        points.append((float(value), median["point_estimate"], ci["lower_bound"], ci["upper_bound"]))
    return sorted(points)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default="target/criterion")
    parser.add_argument("--out", default="docs/scaling.png")
    parser.add_argument("--interleaved", default="target/bench-results/scaling-interleaved.json")
    args = parser.parse_args()

    interleaved = None
    if os.path.exists(args.interleaved):
        with open(args.interleaved) as f:
            interleaved = json.load(f)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    drawn = 0
    for ax, (group, xlabel) in zip(axes, PANELS):
        by_size = group == "file size"
        lines = (interleaved or {}).get(group)
        for tool, color, marker in TOOLS:
            points = series(args.root, group, tool)
            if not points:
                continue
            xs = [p[0] for p in points]
            ys = [p[1] for p in points]
            err = [[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]]
            style, label = (":", f"{tool} (criterion)") if lines else ("-", tool)
            ax.errorbar(xs, ys, yerr=err, label=label, color=color, marker=marker, linestyle=style, capsize=3)
            drawn += 1
            if lines and tool in lines["median_ns"]:
                ax.plot(lines["params"], lines["median_ns"][tool], color=color, linewidth=2,
                        label=f"{tool} (interleaved)")
        ax.set_xscale("log")
        if by_size:
            ax.set_ylim(bottom=0)
        else:
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("lookup time (ns, median)")
        ax.set_title(f"lookup time vs {group}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small", ncol=2, loc="center right" if by_size else "upper left")
    if drawn == 0:
        sys.exit(f"no scaling results under {args.root}: run `cargo bench --bench scaling` first")
    fig.tight_layout()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
