#!/usr/bin/env bash
# Cold lookups against where the injector puts things (issue 15, item 1):
# how many separate disk reads, and how many bytes, one lookup from a path
# costs when nothing of the file is in the page cache, for
#   - ELF, old layout (tables after the payload: jiscan built at c036029),
#   - ELF, new layout (tables between the library and the container),
#   - the same two for a 2 KiB library (corpus/nopayload/x86_64-linux-musl.so),
#   - PE and Mach-O (x86_64 and arm64) as `jiscan inject` lays them out,
# and cold dlopen + dlclose of the same injected ELF library.
#
# The ELF library is LIB (default libLLVM-15, 112 MiB); every file gets the
# same PAYLOAD_MIB (default 100) MiB of random bytes (real bytes, so any
# read-ahead into the payload costs real disk reads).
#
# Per run: `sync; echo 3 > /proc/sys/vm/drop_caches`, then the harness runs
# once on small corpus files (so its own code and libc are in memory), then
# the measured run under `perf record -e block:block_rq_issue -a`. The block
# requests that fall inside the measured file's extents (`filefrag`) are its
# disk reads: count, bytes, and the file offsets they covered. The harness's
# own line adds its time and its process's major faults, file system inputs
# and /proc/self/io read_bytes (which include metadata and, for dlopen, any
# dependency it had to read). `fincore` gives what the run left cached.
#
# Harnesses: examples/cold-lookup.rs (MappedFile::open, i.e. mmap +
# MADV_RANDOM as jiscan does, + find_ji_payload; `--plain`: mmap without
# advice) and scripts/cold-dlopen.c (dlopen(RTLD_LAZY | RTLD_LOCAL) +
# dlclose). For dlopen, the library's dependencies are made warm after the
# cache is dropped (by dlopen of the original LIB), so the reads counted
# against the injected copy are its own; a second set of runs leaves
# everything cold.
#
# Needs root (drop_caches, perf -a), perf, filefrag, fincore, gcc.
# Usage: OLD_JISCAN=/path/to/old/jiscan scripts/bench-placement.sh
#        (REPS=7 PAYLOAD_MIB=100 LIB=/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1)
# Output: a Markdown table per measurement on stdout; raw lines in
# $OUT/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-7}
PAYLOAD_MIB=${PAYLOAD_MIB:-100}
LIB=${LIB:-/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=${OUT:-$TARGET/bench-inputs/placement}
: "${OLD_JISCAN:?set OLD_JISCAN to a jiscan built at c036029 (the layout with the tables after the payload)}"
mkdir -p "$OUT"

cargo build --release --quiet --bin jiscan --example cold-lookup
JISCAN=$TARGET/release/jiscan
LOOKUP=$TARGET/release/examples/cold-lookup
DLOPEN=$OUT/cold-dlopen
gcc -O2 -o "$DLOPEN" scripts/cold-dlopen.c -ldl

PAYLOAD=$OUT/payload-${PAYLOAD_MIB}m.bin
[ -f "$PAYLOAD" ] || head -c "${PAYLOAD_MIB}M" /dev/urandom >"$PAYLOAD"
make_input() { # make OUTFILE JISCAN ARGS...: inject once, unless already made
    local out=$1 jiscan=$2
    shift 2
    [ -f "$out" ] || "$jiscan" inject "$@" "$PAYLOAD" -o "$out" >&2
}
make_input "$OUT/elf-old.so" "$OLD_JISCAN" "$LIB"
make_input "$OUT/elf-new.so" "$JISCAN" "$LIB"
make_input "$OUT/small-old.so" "$OLD_JISCAN" corpus/nopayload/x86_64-linux-musl.so
make_input "$OUT/small-new.so" "$JISCAN" corpus/nopayload/x86_64-linux-musl.so
make_input "$OUT/pe.dll" "$JISCAN" --replace corpus/pe/x86_64-windows-gnu.dll
make_input "$OUT/macho-x86_64.dylib" "$JISCAN" --replace corpus/macho/x86_64-macos.dylib
make_input "$OUT/macho-arm64.dylib" "$JISCAN" --replace corpus/macho/aarch64-macos.dylib
make_input "$OUT/macho-universal.dylib" "$JISCAN" --replace corpus/macho/universal.dylib
sync

WARM_FILES="corpus/elf/x86_64-linux-musl.so corpus/pe/x86_64-windows-gnu.dll corpus/macho/x86_64-macos.dylib corpus/macho/universal.dylib"
RESULTS=$OUT/results.tsv
: >"$RESULTS"

# measure LABEL FILE WARM_COMMAND -- COMMAND...: one cold run; appends a line to $RESULTS.
measure() {
    local label=$1 file=$2 warm=$3
    shift 4
    sync
    echo 3 >/proc/sys/vm/drop_caches
    eval "$warm" >/dev/null 2>&1 || true
    local line
    # The trace runs a second past the command: read-ahead it started may be
    # issued after it exits, and those reads are its cost too.
    line=$(perf record -q -e block:block_rq_issue -a -o "$OUT/perf.data" -- sh -c '"$@"; sleep 1' sh "$@" 2>/dev/null | tail -n 1)
    local resident
    resident=$(fincore --bytes --noheadings --output RES "$file")
    perf script -i "$OUT/perf.data" -F trace 2>/dev/null >"$OUT/requests.txt"
    filefrag -b512 -v "$file" >"$OUT/extents.txt"
    python3 - "$label" "$line" "$resident" "$OUT/requests.txt" "$OUT/extents.txt" >>"$RESULTS" <<'PY'
import re, sys
label, line, resident, requests, extents = sys.argv[1:]
# filefrag -b512 -v: "  0:        0..    2047:   12345..   14392:   2048: ..." (512-byte units)
ext = []
for l in open(extents):
    m = re.match(r'\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+(\d+)\.\.\s*(\d+):', l)
    if m:
        lo, hi, po = int(m[1]), int(m[2]), int(m[3])
        ext.append((po, po + hi - lo + 1, lo))
reads, nbytes, where, seen = 0, 0, [], set()
for l in open(requests):
    # "253,0 R 4096 () 123456 + 8 none,0,0 [cold-lookup]"
    m = re.search(r'\s(R\w*)\s+\d+\s+\(.*?\)\s+(\d+)\s+\+\s+(\d+)', l)
    if not m:
        continue
    sector, count = int(m[2]), int(m[3])
    # The virtio disk here reports most large requests twice (issued, then
    # issued again after a requeue): one read of the disk is one range.
    if (sector, count) in seen:
        continue
    seen.add((sector, count))
    for po, pend, lo in ext:
        if sector < pend and po < sector + count:
            reads += 1
            nbytes += count * 512
            where.append(f"{(lo + sector - po) * 512:#x}+{count * 512 // 1024}K")
            break
f = line.split('\t')
micros, majflt, inbytes, read_bytes = (f[1], f[2], f[3], f[4]) if len(f) >= 5 else ('?',) * 4
print('\t'.join([label, str(reads), str(nbytes), micros, majflt, inbytes, read_bytes, resident, ' '.join(where)]))
PY
    tail -n 1 "$RESULTS" >&2
}

WARM_LOOKUP="$LOOKUP $WARM_FILES"
for rep in $(seq "$REPS"); do
    for f in elf-old.so elf-new.so small-old.so small-new.so pe.dll macho-x86_64.dylib macho-arm64.dylib macho-universal.dylib; do
        measure "lookup $f" "$OUT/$f" "$WARM_LOOKUP" -- "$LOOKUP" "$OUT/$f"
        measure "lookup --plain $f" "$OUT/$f" "$WARM_LOOKUP --plain" -- "$LOOKUP" --plain "$OUT/$f"
    done
    measure "dlopen elf-new.so" "$OUT/elf-new.so" "$DLOPEN $LIB" -- "$DLOPEN" "$OUT/elf-new.so"
    measure "dlopen elf-old.so" "$OUT/elf-old.so" "$DLOPEN $LIB" -- "$DLOPEN" "$OUT/elf-old.so"
    measure "dlopen elf-new.so, all cold" "$OUT/elf-new.so" "$DLOPEN corpus/elf/x86_64-linux-musl.so" -- "$DLOPEN" "$OUT/elf-new.so"
done
rm -f "$OUT/perf.data" "$OUT/perf.data.old"

# One table: the median of each column over the runs, and the reads' offsets
# of the first run (the first 6 of them).
python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = {}
for l in open(sys.argv[1]):
    f = l.rstrip('\n').split('\t')
    rows.setdefault(f[0], []).append(f)
print('| measurement | runs | disk reads in the file | bytes read from the file | time (µs) | major faults | process read_bytes | cached after | reads (file offset + size), first run |')
print('|---|---|---|---|---|---|---|---|---|')
def where(reads):
    reads = reads.split()
    return ' '.join(reads[:6]) + (f' … ({len(reads)} in all)' if len(reads) > 6 else '')
def med(runs, i):
    return statistics.median(float(r[i]) for r in runs)
for label, runs in rows.items():
    print(f'| {label} | {len(runs)} | {med(runs,1):g} | {med(runs,2)/1024:g} KiB | {med(runs,3):g} | {med(runs,4):g} | '
          f'{med(runs,6)/1024:g} KiB | {med(runs,7)/1024:g} KiB | {where(runs[0][8])} |')
PY
