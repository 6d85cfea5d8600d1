#!/usr/bin/env python3
"""How often each machine instruction ran per lookup, from a callgrind run.

    valgrind --tool=callgrind --dump-instr=yes --compress-pos=no \\
        --callgrind-out-file=target/callgrind/x.out --toggle-collect='*lookup_zerocopy' \\
        target/release/reader-comparison count zerocopy elf/x86_64-linux-musl.so 1000
    python3 hot.py target/callgrind/x.out 1000 [MIN]

prints a histogram (instructions run once per lookup are the fixed cost; those
run once per section header are the loop body) and, with MIN, the
disassembly of every instruction run at least MIN times per lookup.
"""
import collections
import subprocess
import sys

out, n = sys.argv[1], int(sys.argv[2])
binary = "target/release/reader-comparison"
counts, skip = collections.Counter(), False
for line in open(out):
    f = line.split()
    if line.startswith("calls="):
        skip = True  # the next cost line is the call's inclusive cost
        continue
    if len(f) == 3 and f[0].startswith("0x"):
        if not skip:
            counts[int(f[0], 16)] += int(f[2])
        skip = False
hist = collections.Counter(round(c / n, 1) for c in counts.values())
print(f"{sum(counts.values()) / n:.0f} instructions per lookup, {len(counts)} distinct")
for k in sorted(hist):
    print(f"  run {k:>5}x per lookup: {hist[k]:4d} instructions -> {k * hist[k]:.0f}")
if len(sys.argv) > 3:
    hot = {a: c // n for a, c in counts.items() if c // n >= int(sys.argv[3])}
    lo, hi = min(hot), max(hot)
    asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-M", "intel", f"--start-address={lo:#x}",
                          f"--stop-address={hi + 16:#x}", binary], capture_output=True, text=True).stdout
    for line in asm.split("\n"):
        addr = line.split(":")[0].strip()
        if addr and all(c in "0123456789abcdef" for c in addr) and int(addr, 16) in hot:
            print(f"{hot[int(addr, 16)]:4d}x {line.strip()[:120]}")
