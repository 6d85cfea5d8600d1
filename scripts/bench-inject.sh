#!/usr/bin/env bash
# Injection cost: wall time and peak memory of adding a 100 MiB and a 1 GiB
# payload (random bytes) to a copy of libLLVM-15.so.1 (~112 MiB), by pkgimg
# against the ways people do it today, in one run:
#
#   pkgimg        `jiscan inject LIB PAYLOAD -o OUT` if jiscan has that command,
#                 else examples/inject.rs (one pkgimg::inject call). Writes a
#                 temporary file (the payload read once, checksummed on its way),
#                 fsyncs it, reads its headers and frames back, renames.
#   cat           `cat LIB PAYLOAD > OUT` (not a valid container: the lower bound
#                 for writing the same bytes, with no fsync)
#   cat+sync      `cat LIB PAYLOAD > OUT && sync` (durable, like pkgimg)
#   llvm-objcopy  `llvm-objcopy --add-section .jlji=PAYLOAD LIB OUT` (no frame)
#   lief          lief.parse + ELF.Section(".jlji") + add(loaded=False) + write,
#                 run under an address-space limit of LIEF_LIMIT_GIB (default 10)
#                 so that it cannot exhaust the machine's memory (1 GiB: one run).
#
# Each command runs under /usr/bin/time (elapsed time and maximum resident set
# size, the fields `/usr/bin/time -v` prints as "Elapsed (wall clock) time" and
# "Maximum resident set size"), REPS times (default 3; median shown), with the
# inputs in the page cache and `sync` before every run so that no earlier
# run's dirty pages are written during it. Outputs are deleted after each
# run; everything this script makes is deleted at the end.
#
# Usage: scripts/bench-inject.sh     Output: a Markdown table on stdout;
# raw lines in target/bench-results/inject.tsv.
#   WORK=DIR     where inputs and outputs go (default target/bench-inputs/inject;
#                a tmpfs such as /dev/shm/x shows the cost without the disk)
#   TOOLS="..."  which tools to run (default: pkgimg cat cat+sync llvm-objcopy lief)
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-3}
LIEF_LIMIT_GIB=${LIEF_LIMIT_GIB:-10}
LIBRARY=${LIBRARY:-/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1}
WORK=${WORK:-target/bench-inputs/inject}
TOOLS=${TOOLS:-pkgimg cat cat+sync llvm-objcopy lief}
wanted() { [[ " $TOOLS " == *" $1 "* ]]; }
RESULTS=target/bench-results
TSV=$RESULTS/inject.tsv
mkdir -p "$WORK" "$RESULTS"
: >"$TSV"
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet --bin jiscan --example inject
if target/release/jiscan inject --help >/dev/null 2>&1; then
    PKGIMG_NAME="jiscan inject"
    pkgimg_cmd() { echo target/release/jiscan inject "$1" "$2" -o "$3"; }
else
    PKGIMG_NAME="examples/inject"
    pkgimg_cmd() { echo target/release/examples/inject "$1" "$2" "$3"; }
fi
echo "pkgimg runs as: $PKGIMG_NAME; in $WORK: $(df -h "$(dirname "$WORK")" | tail -1)" >&2

cp "$LIBRARY" "$WORK/lib.so"
LIB=$WORK/lib.so
OUT=$WORK/out.so
cat >"$WORK/lief_inject.py" <<'EOF'
import sys
import lief
library, payload, out = sys.argv[1:]
binary = lief.parse(library)
section = lief.ELF.Section(".jlji")
with open(payload, "rb") as f:
    section.content = memoryview(f.read())
binary.add(section, loaded=False)
binary.write(out)
EOF

# One measured run: TOOL SIZE COMMAND... -> "tool size seconds max_rss_kib status"
measure() {
    local tool=$1 size=$2 status=0
    shift 2
    wanted "$tool" || return 0
    rm -f "$OUT"
    sync
    /usr/bin/time -f '%e\t%M' -o "$WORK/time.txt" "$@" >/dev/null || status=$?
    local out_size
    out_size=$(stat -c %s "$OUT" 2>/dev/null || echo 0)
    printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$size" "$(cat "$WORK/time.txt" | tail -1)" "$status" "$out_size" \
        | tee -a "$TSV" >&2
    rm -f "$OUT"
}

for size in 100M 1G; do
    head -c "$size" /dev/urandom >"$WORK/payload.bin"
    P=$WORK/payload.bin
    cat "$LIB" "$P" >/dev/null # both inputs in the page cache
    for rep in $(seq "$REPS"); do
        # shellcheck disable=SC2046 # the command is split into words on purpose
        measure pkgimg "$size" $(pkgimg_cmd "$LIB" "$P" "$OUT")
        measure cat "$size" bash -c "cat '$LIB' '$P' > '$OUT'"
        measure cat+sync "$size" bash -c "cat '$LIB' '$P' > '$OUT' && sync"
        measure llvm-objcopy "$size" llvm-objcopy --add-section ".jlji=$P" "$LIB" "$OUT"
        # LIEF takes minutes and gigabytes on 1 GiB: once.
        [ "$size" = 1G ] && [ "$rep" != 1 ] && continue
        measure lief "$size" prlimit --as=$((LIEF_LIMIT_GIB << 30)) python3 "$WORK/lief_inject.py" "$LIB" "$P" "$OUT"
    done
    # The results are real containers: pkgimg's checks by CRC, the peers' have the section.
    # shellcheck disable=SC2046
    $(pkgimg_cmd "$LIB" "$P" "$OUT") >/dev/null
    target/release/jiscan scan --verify "$OUT" >&2
    if wanted llvm-objcopy; then
        llvm-objcopy --add-section ".jlji=$P" "$LIB" "$OUT.objcopy"
        readelf -SW "$OUT.objcopy" | grep -F .jlji >&2
    fi
    rm -f "$OUT" "$OUT.objcopy"
    rm -f "$P"
done
echo "df after: $(df -h "$(dirname "$WORK")" | tail -1)" >&2

python3 - "$TSV" "$PKGIMG_NAME" "$LIEF_LIMIT_GIB" <<'EOF'
import statistics, sys
tsv, name, limit = sys.argv[1], sys.argv[2], sys.argv[3]
rows = {}
for line in open(tsv):
    tool, size, secs, rss, status, out_size = line.rstrip("\n").split("\t")
    rows.setdefault((size, tool), []).append((float(secs), int(rss), int(status)))
sizes = [s for s in ("100M", "1G") if any(k[0] == s for k in rows)]
print(f"| tool | " + " | ".join(f"{s} time | × pkgimg | {s} peak RSS" for s in sizes) + " |")
print("|---|" + "---|---|---|" * len(sizes))
for tool in ("pkgimg", "cat", "cat+sync", "llvm-objcopy", "lief"):
    if not any(k[1] == tool for k in rows):
        continue
    cells = [name if tool == "pkgimg" else tool]
    for s in sizes:
        runs = rows.get((s, tool), [])
        ok = [r for r in runs if r[2] == 0]
        if not ok:
            why = f"failed (address space limit {limit} GiB)" if tool == "lief" else "failed"
            cells += [why, "", f"{max((r[1] for r in runs), default=0) / 1024:.0f} MiB"]
            continue
        t = statistics.median(r[0] for r in ok)
        base = statistics.median(r[0] for r in rows[(s, "pkgimg")] if r[2] == 0)
        cells += [f"{t:.2f} s", f"{t / base:.2f}", f"{statistics.median(r[1] for r in ok) / 1024:.0f} MiB"]
    print("| " + " | ".join(cells) + " |")
EOF
