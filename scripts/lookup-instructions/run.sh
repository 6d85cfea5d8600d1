#!/usr/bin/env bash
# Instructions per `pkgimg::find_ji_payload` call, counted by callgrind, on
# three corpus files (ELF, Mach-O, PE): the difference between the program's
# total instruction count with N = 2000 and N = 1000 lookups, divided by 1000.
#
# Usage: scripts/lookup-instructions/run.sh [PKGIMG_TREE]
#   PKGIMG_TREE  the pkgimg source tree to measure (default: this work tree);
#                e.g. a `git archive COMMIT | tar -x -C DIR` of an older commit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "${1:-$here/../..}" && pwd)
corpus="$here/../../corpus"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy of this harness whose path dependency is the tree to measure.
cp -r "$here/Cargo.toml" "$here/src" "$work/"
sed -i "s|path = \"../..\"|path = \"$tree\"|" "$work/Cargo.toml"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/../../target}/lookup-instructions-$(echo "$tree" | md5sum | cut -c1-8)"
cargo build --release --quiet --manifest-path "$work/Cargo.toml"
bin="$CARGO_TARGET_DIR/release/lookup-instructions"
rustc --version
git -C "$tree" rev-parse --short HEAD 2>/dev/null | sed 's/^/pkgimg at /' || echo "pkgimg tree $tree"
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 >/dev/null |
        sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
}
printf '%-32s %s\n' "file" "instructions per lookup"
for file in elf/x86_64-linux-musl.so macho/x86_64-macos.dylib pe/x86_64-windows-gnu.dll; do
    a=$(count "$corpus/$file" 1000)
    b=$(count "$corpus/$file" 2000)
    printf '%-32s %s\n' "$file" "$(( (b - a) / 1000 )).$(( ((b - a) % 1000) / 100 ))"
done
