#!/usr/bin/env bash
# Scanning a cache directory: N libraries (default 1000), each carrying a
# PAYLOAD_MIB payload (default 64 MiB), scanned by `jiscan scan` and by the
# same walk through pkgimg, object, goblin and dlopen (examples/scan-peers.rs),
# warm and cold (page cache dropped before each cold run).
#
# Per reader: wall time (median of REPS runs), minor/major page faults and file
# system inputs (rusage, as /usr/bin/time -v reports them), rchar/read_bytes
# (/proc/PID/io), all via scripts/measure.py; after a cold run, the bytes of
# the libraries left in the page cache (fincore, i.e. mincore(2)); and the
# exact pages each in-process reader touches in one library
# (examples/pages-touched.rs) for payloads of 1 MiB, 64 MiB and 1 GiB.
#
# The libraries are copies of corpus/nopayload/x86_64-linux-musl.so with the
# payload added by pkgimg::inject, made sparse (`fallocate --dig-holes`,
# `cp --sparse=always`): the payload is zeros stored as a hole, so N x 64 MiB
# takes a few MiB of disk. A reader that read the payload would still show it
# in rchar and in the page cache; it costs no disk reads (read_bytes).
#
# Dropping the page cache needs root (`echo 3 > /proc/sys/vm/drop_caches`);
# without it the cold runs are skipped and the table says so.
#
# Usage: scripts/bench-scan.sh            (N=1000 PAYLOAD_MIB=64 REPS=3)
# Output: a Markdown table on stdout; raw lines in target/bench-results/scan.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000}
PAYLOAD_MIB=${PAYLOAD_MIB:-64}
REPS=${REPS:-3}
INPUTS=target/bench-inputs
DIR=$INPUTS/scan-$N-${PAYLOAD_MIB}m
RESULTS=target/bench-results
mkdir -p "$INPUTS" "$RESULTS"
TSV=$RESULTS/scan.tsv
: >"$TSV"

cargo build --release --quiet --bin jiscan --example scan-peers --example inject --example pages-touched
JISCAN=target/release/jiscan
PEERS=target/release/examples/scan-peers
INJECT=target/release/examples/inject
BASE_LIB=corpus/nopayload/x86_64-linux-musl.so

# make_lib SIZE_MIB OUT: the corpus library with a sparse zero payload of SIZE_MIB.
make_lib() {
    local payload=$INPUTS/zeros-$1m.bin
    truncate -s "$1M" "$payload"
    rm -f "$2"
    "$INJECT" "$BASE_LIB" "$payload" "$2" >/dev/null
    fallocate --dig-holes "$2"
    rm -f "$payload"
}

if [ "$(find "$DIR" -name '*.so' 2>/dev/null | wc -l)" != "$N" ]; then
    rm -rf "$DIR"
    mkdir -p "$DIR"
    make_lib "$PAYLOAD_MIB" "$INPUTS/scan-base.so"
    for i in $(seq -w 0 $((N - 1))); do
        cp --sparse=always "$INPUTS/scan-base.so" "$DIR/lib$i.so"
    done
fi
FILE_SIZE=$(stat -c %s "$DIR/lib$(seq -w 0 $((N - 1)) | head -1).so")
echo "inputs: $N files of $FILE_SIZE bytes in $DIR ($(du -sh "$DIR" | cut -f1) on disk)" >&2

READERS=(jiscan pkgimg-random object-random goblin-random dlopen pkgimg object goblin)
command_for() {
    case $1 in
        jiscan) echo "$JISCAN scan $DIR" ;;
        *) echo "$PEERS $1 $DIR" ;;
    esac
}

can_drop=false
if sync && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then can_drop=true; fi

resident_bytes() {
    fincore --bytes --noheadings --output RES "$DIR"/*.so | awk '{s += $1} END {printf "%.0f\n", s}'
}

run() { # run STATE READER: one measured run, appended to the TSV with its state.
    local line
    # shellcheck disable=SC2046 # the command is split into words on purpose
    line=$(scripts/measure.py "$2" -- $(command_for "$2"))
    printf '%s\t%s\n' "$1" "$line" | tee -a "$TSV" >&2
}

for reader in "${READERS[@]}"; do
    # shellcheck disable=SC2046
    $(command_for "$reader") >/dev/null # warm-up, and a check that it succeeds
    for _ in $(seq "$REPS"); do run warm "$reader"; done
    if $can_drop; then
        for rep in $(seq "$REPS"); do
            sync
            echo 3 >/proc/sys/vm/drop_caches
            # Load the program itself (not the libraries) before the clock starts.
            # shellcheck disable=SC2046
            $(command_for "$reader" | cut -d' ' -f1) --help >/dev/null 2>&1 || true
            run cold "$reader"
            if [ "$rep" = 1 ]; then
                printf 'resident\t%s\t%s\n' "$reader" "$(resident_bytes)" | tee -a "$TSV" >&2
            fi
        done
    fi
done

# Cross-check of measure.py's rusage fields: one cold `jiscan scan` under /usr/bin/time -v.
if $can_drop; then
    sync
    echo 3 >/proc/sys/vm/drop_caches
    $JISCAN --help >/dev/null
    /usr/bin/time -v "$JISCAN" scan "$DIR" 2>"$RESULTS/scan-time-v.txt" >/dev/null
    grep -E "Elapsed|page faults|File system inputs|Maximum resident" "$RESULTS/scan-time-v.txt" >&2
fi

# Exact pages touched in one library, for three payload sizes.
for mib in 1 64 1024; do
    make_lib "$mib" "$INPUTS/touch-${mib}m.so"
done
target/release/examples/pages-touched "$INPUTS"/touch-{1,64,1024}m.so | tee "$RESULTS/pages-touched.tsv" >&2
rm -f "$INPUTS"/touch-*.so

python3 - "$TSV" "$N" "$can_drop" <<'EOF'
import statistics, sys
tsv, n, can_drop = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "true"
runs, resident = {}, {}
for line in open(tsv):
    f = line.rstrip("\n").split("\t")
    if f[0] == "resident":
        resident[f[1]] = int(f[2])
    else:
        runs.setdefault((f[0], f[1]), []).append(f)

def med(state, reader, i):
    rows = runs.get((state, reader))
    return statistics.median(float(r[i]) for r in rows) if rows else None

readers = []
for (_, r) in runs:
    if r not in readers:
        readers.append(r)
base_warm, base_cold = med("warm", "jiscan", 2), med("cold", "jiscan", 2)
print(f"| reader | warm wall | × jiscan | cold wall | × jiscan | cold faults/file (minor+major) | "
      f"cold disk read/file | cold rchar/file | page cache after cold scan/file |")
print("|---|---|---|---|---|---|---|---|---|")
for r in readers:
    w, c = med("warm", r, 2), med("cold", r, 2)
    cells = [r, f"{w * 1000:.0f} ms", f"{w / base_warm:.2f}"]
    if can_drop and c is not None:
        faults = (med("cold", r, 3) + med("cold", r, 4)) / n
        cells += [f"{c * 1000:.0f} ms", f"{c / base_cold:.2f}", f"{faults:.1f}",
                  f"{med('cold', r, 7) / n / 1024:.1f} KiB", f"{med('cold', r, 6) / n / 1024:.1f} KiB",
                  f"{resident.get(r, 0) / n / 1024:.1f} KiB"]
    else:
        cells += ["not measured (cannot drop caches)"] + [""] * 5
    print("| " + " | ".join(cells) + " |")
EOF
