#!/usr/bin/env bash
# pkgimg's Mach-O lookup against object's parse + find of __JULIA,__ji:
# builds the inputs (the corpus dylibs and zig-linked dylibs with more load
# commands, each given a payload by `jiscan inject`), checks that both readers
# find the same container, counts instructions per lookup with callgrind and
# times the lookups interleaved. Usage (from anywhere):
#
#   scripts/macho-lookup/run.sh [ROUNDS] [RUNS]
#
# Needs `python3 -m ziglang` (pip install ziglang), valgrind, llvm-otool-14.
# Honours CARGO_TARGET_DIR (default: scripts/macho-lookup/target).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$here/target}
rounds=${1:-501}
runs=${2:-3}
bin="$CARGO_TARGET_DIR/release/macho-lookup"
jiscan="$CARGO_TARGET_DIR/release/jiscan"
work="$here/target/inputs"

echo "## Build"
cargo build --release --locked --quiet
(cd "$root" && cargo build --release --locked --quiet --bin jiscan)
rustc --version
cargo tree --locked --depth 1 --prefix none --edges normal | sort -u | grep -E "^(pkgimg|object) "
git -C "$root" rev-parse --short HEAD | sed 's/^/pkgimg at /'
git -C "$root" status --short -- src Cargo.toml | sed 's/^/uncommitted in pkgimg: /'

echo; echo "## Inputs"
# zig's Mach-O linker, as the corpus uses it; the payload goes in afterwards
# by `jiscan inject`, which adds the __JULIA segment (one more command).
mkdir -p "$work"
cd "$work"
zig() { python3 -m ziglang "$@"; }
python3 -m ziglang version | sed 's/^/zig /'
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 131 + 7) % 251 for i in range(5000)))' >payload.bin
cat >lib.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int counter = 3;
const char *greeting = "hello";
int f1(int x) { return x * 3 + counter; }
int f2(const char *s) { return (int)strlen(s) + f1(2); }
void f3(void) { printf("%s %d\n", greeting, counter++); }
void *f4(size_t n) { return malloc(n); }
double f5(double a) { return a * 1.5; }
C
sed 's/f\([0-9]\)/g\1/g' lib.c >dep.c
inputs=("$root"/corpus/macho/x86_64-macos.dylib "$root"/corpus/macho/aarch64-macos.dylib "$root"/corpus/macho/universal.dylib)
for target in aarch64 x86_64; do
    # Plain: 16 commands, 17 with the payload.
    zig cc -target "$target-macos" -shared -o "$target-plain.dylib" lib.c -Wl,-headerpad,0x1000
    # Two more dylibs and three run paths: 21 commands, 22 with the payload.
    zig cc -target "$target-macos" -shared -o "$target-dep1.dylib" lib.c -Wl,-install_name,@rpath/libdep1.dylib
    zig cc -target "$target-macos" -shared -o "$target-dep2.dylib" dep.c -Wl,-install_name,@rpath/libdep2.dylib
    zig cc -target "$target-macos" -shared -o "$target-deps.dylib" lib.c -Wl,-headerpad,0x1000 \
        "$target-dep1.dylib" "$target-dep2.dylib" \
        -Wl,-rpath,@loader_path -Wl,-rpath,@loader_path/../lib -Wl,-rpath,/opt/julia/lib
    for kind in plain deps; do
        "$jiscan" inject "$target-$kind.dylib" payload.bin -o "zig-$target-$kind-ji.dylib" >/dev/null
        inputs+=("$work/zig-$target-$kind-ji.dylib")
    done
done
cd "$here"
echo "| input | load commands (of the host slice) | sections |"
echo "|---|---|---|"
for input in "${inputs[@]}"; do
    # otool prints every slice of a universal file: the host's (x86_64) alone.
    arch=$(uname -m)
    cmds=$(llvm-otool-14 -arch "$arch" -l "$input" | grep -c '^ *cmd ')
    sects=$(llvm-otool-14 -arch "$arch" -l "$input" | grep -c '^ *sectname ')
    echo "| $(basename "$input") | $cmds | $sects |"
done

echo; echo "## Agreement"
"$bin" check "${inputs[@]}"

echo; echo "## Instructions per lookup (callgrind: whole program at N=2000 minus N=1000, / 1000)"
if command -v valgrind >/dev/null; then
    mkdir -p target/callgrind
    echo "| input | pkgimg | object | pkgimg / object |"
    echo "|---|---|---|---|"
    for input in "${inputs[@]}"; do
        declare -A per
        for reader in pkgimg object; do
            for n in 1000 2000; do
                out=target/callgrind/$reader.$(basename "$input").$n.out
                valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" count "$reader" "$input" "$n" \
                    >/dev/null 2>target/callgrind/log
                eval "total_$n=$(sed -n 's/^summary: //p' "$out")"
            done
            per[$reader]=$(((total_2000 - total_1000) / 1000))
        done
        printf '| %s | %d | %d | %.3f |\n' "$(basename "$input")" "${per[pkgimg]}" "${per[object]}" \
            "$(echo "${per[pkgimg]} / ${per[object]}" | bc -l)"
    done
    echo "(per-function costs: callgrind_annotate target/callgrind/READER.INPUT.2000.out)"
else
    echo "valgrind not installed: skipped"
fi

echo; echo "## Time per lookup (interleaved; $runs runs of $rounds rounds, medians)"
uptime
for run in $(seq "$runs"); do
    echo; echo "### Run $run"
    "$bin" bench --rounds "$rounds" "${inputs[@]}"
done
