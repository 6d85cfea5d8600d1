#!/usr/bin/env bash
# Depot-scale scans (BENCHMARKS.md §4.1): `jiscan scan --json` against the
# floor, scripts/floor-walk.c (single-threaded: nftw + open + pread of 4 KiB
# + close on every file), warm and cold, on a generated depot and on
# /usr/lib.
#
# The depot: N libraries (default 10,000) in D package directories
# (default 1,000, as compiled/v1.11/PkgNNNN/), each a copy of
# corpus/nopayload/x86_64-linux-musl.so with a 1 MiB payload added by
# `jiscan inject`, made sparse (`fallocate --dig-holes`). Warm and cold runs
# alternate jiscan and the floor, REPS times each (default 5); cold runs drop
# the page cache first (`echo 3 > /proc/sys/vm/drop_caches`, root only;
# without it they are skipped and the table says so). Times are wall-clock
# medians from scripts/measure.py.
#
# Usage: scripts/bench-depot.sh [TREE...]   (default: the depot and /usr/lib)
#        N=10000 D=1000 REPS=5 JOBS= scripts/bench-depot.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-10000}
D=${D:-1000}
REPS=${REPS:-5}
INPUTS=target/bench-inputs
DEPOT=$INPUTS/depot-$N
mkdir -p "$INPUTS"

cargo build --release --quiet --bin jiscan
gcc -O2 -o "$INPUTS/floor-walk" scripts/floor-walk.c
JISCAN=target/release/jiscan
FLOOR=$INPUTS/floor-walk
JOBS_ARG=()
if [ -n "${JOBS:-}" ]; then JOBS_ARG=(--jobs "$JOBS"); fi

if [ "$(find "$DEPOT" -name '*.so' 2>/dev/null | wc -l)" != "$N" ]; then
    rm -rf "$DEPOT"
    truncate -s 1M "$INPUTS/depot-payload.ji"
    "$JISCAN" inject corpus/nopayload/x86_64-linux-musl.so "$INPUTS/depot-payload.ji" -o "$INPUTS/depot-base.so" >/dev/null
    fallocate --dig-holes "$INPUTS/depot-base.so"
    per=$(( (N + D - 1) / D ))
    i=0
    for d in $(seq -w 0 $((D - 1))); do
        dir=$DEPOT/compiled/v1.11/Pkg$d
        mkdir -p "$dir"
        for f in $(seq 1 "$per"); do
            [ "$i" -lt "$N" ] || break
            cp --sparse=always "$INPUTS/depot-base.so" "$dir/cache$f.so"
            i=$((i + 1))
        done
    done
fi

TREES=("$@")
if [ ${#TREES[@]} -eq 0 ]; then TREES=("$DEPOT" /usr/lib); fi

can_drop=false
if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then can_drop=true; fi

one() { # one STATE TREE LABEL COMMAND...: the wall time of one run
    local state=$1 tree=$2 label=$3
    shift 3
    if [ "$state" = cold ]; then
        sync
        echo 3 >/proc/sys/vm/drop_caches
        "$1" --help >/dev/null 2>&1 || true # the program itself, not the tree, before the clock
    fi
    printf '%s\t%s\t%s\t%s\n' "$state" "$tree" "$label" "$(scripts/measure.py "$label" -- "$@" | cut -f2)"
}

results=$(mktemp)
for tree in "${TREES[@]}"; do
    files=$("$FLOOR" "$tree" | cut -d' ' -f1)
    echo "$tree: $files files" >&2
    "$JISCAN" scan --json "${JOBS_ARG[@]}" "$tree" >/dev/null || true # warm-up
    states=(warm)
    if $can_drop; then states+=(cold); fi
    for state in "${states[@]}"; do
        for _ in $(seq "$REPS"); do
            one "$state" "$tree" jiscan "$JISCAN" scan --json "${JOBS_ARG[@]}" "$tree" | tee -a "$results" >&2
            one "$state" "$tree" floor "$FLOOR" "$tree" | tee -a "$results" >&2
        done
    done
done

python3 - "$results" "$can_drop" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
can_drop = sys.argv[2] == "true"
runs = {}
for state, tree, label, wall in rows:
    runs.setdefault((state, tree, label), []).append(float(wall))
trees = []
for _, tree, _ in runs:
    if tree not in trees:
        trees.append(tree)
print("| tree | state | jiscan scan --json | floor (1 thread) | jiscan / floor |")
print("|---|---|---|---|---|")
for tree in trees:
    for state in ("warm", "cold"):
        j, f = runs.get((state, tree, "jiscan")), runs.get((state, tree, "floor"))
        if not j or not f:
            if state == "cold" and not can_drop:
                print(f"| {tree} | cold | not measured (needs root) | | |")
            continue
        mj, mf = statistics.median(j), statistics.median(f)
        print(f"| {tree} | {state} | {mj:.3f} s (min {min(j):.3f}) | {mf:.3f} s (min {min(f):.3f}) | **{mj / mf:.2f}×** |")
PY
rm -f "$results"
