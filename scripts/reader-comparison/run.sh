#!/usr/bin/env bash
# Builds the comparison, checks that every implementation agrees, counts
# instructions per lookup with callgrind, times the lookups interleaved, and
# counts lines. Usage (from anywhere):
#
#   scripts/reader-comparison/run.sh [ROUNDS] [RUNS]
#
# LARGE=/path/to/big.so adds a large library (default: the active Rust
# toolchain's librustc_driver-*.so, if there is one; LARGE= to skip it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export CARGO_TARGET_DIR="$here/target"
rounds=${1:-501}
runs=${2:-3}
if [ -z "${LARGE+set}" ]; then
    LARGE=$(ls "$(rustc --print sysroot)"/lib/librustc_driver-*.so 2>/dev/null | head -1 || true)
fi
bin="$here/target/release/reader-comparison"

echo "## Build"
cargo build --release --locked --quiet
rustc --version
cargo tree --locked --depth 1 --prefix none --edges normal | sort -u | grep -E "^(pkgimg|scroll|bytemuck|zerocopy) "
git -C ../.. rev-parse --short HEAD 2>/dev/null | sed 's/^/pkgimg at /' || true
# The path dependency builds pkgimg's work tree: say if it differs from HEAD.
git -C ../.. status --short -- src Cargo.toml 2>/dev/null | sed 's/^/uncommitted in pkgimg: /' || true

echo; echo "## Agreement (corpus, 12 names, extended numbering, mutated headers)"
"$bin" check ${LARGE:+"$LARGE"} | tail -1

inputs=(elf/x86_64-linux-musl.so elf/powerpc64-linux-musl.so elf/x86-linux-musl.so elf/x86_64-linux-gnu-libc.so ${LARGE:+"$LARGE"})
impls=(pkgimg scroll scroll-lean bytemuck zerocopy)

echo; echo "## Instructions per lookup (callgrind, 1000 lookups, only inside lookup_IMPL)"
if command -v valgrind >/dev/null; then
    mkdir -p target/callgrind
    printf '| input |'; for i in "${impls[@]}"; do printf ' %s |' "$i"; done; echo
    printf '|---|'; for i in "${impls[@]}"; do printf -- '---|'; done; echo
    for input in "${inputs[@]}"; do
        printf '| %s |' "$(basename "$input")"
        base=
        for impl in "${impls[@]}"; do
            sym=${impl//-/_}
            out=target/callgrind/$sym.$(basename "$input").out
            valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$out" \
                --toggle-collect="*lookup_$sym" "$bin" count "$impl" "$input" 1000 >/dev/null 2>target/callgrind/log
            n=$(sed -n 's/^summary: //p' "$out")
            n=$((n / 1000))
            if [ -z "$base" ]; then base=$n; printf ' %d |' "$n"; else printf ' %d (**%.2fx**) |' "$n" "$(echo "$n / $base" | bc -l)"; fi
        done
        echo
    done
    echo "(per-function costs: callgrind_annotate --inclusive=yes target/callgrind/IMPL.INPUT.out)"
else
    echo "valgrind not installed: skipped"
fi

echo; echo "## Time per lookup (interleaved; $runs runs of $rounds rounds)"
uptime
for run in $(seq "$runs"); do
    echo; echo "### Run $run"
    "$bin" bench --rounds "$rounds" ${LARGE:+"$LARGE"} | sed -n '/^|/p'
done

echo; echo "## Lines of code"
python3 loc.py
