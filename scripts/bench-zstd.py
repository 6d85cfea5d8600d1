#!/usr/bin/env python3
"""Compressed payloads against the `zstd` tool, on the same input, at the same
level and thread count, measured in interleaved pairs:

  compress    `jiscan inject --compress=L LIB DATA -o OUT` (compress into a
              temporary file beside OUT, inject it, fsync, read back, rename)
              against `zstd -L -T<cpus> -f DATA -o OUT.zst`
  decompress  `jiscan extract OUT -o DATA2` (pread, CRC-32C of the stored
              bytes checked, decode, fsync, rename) against
              `zstd -d -f OUT.zst -o DATA3`

DATA is, by default, the data of two large shared libraries: the .rodata,
.data.rel.ro, .eh_frame and .data sections of libLLVM-15 and libLLVM-14
(`objcopy -O binary --only-section`), about 94 MB; INPUT=FILE uses a file
instead. jiscan uses a libzstd worker per CPU it may run on, so the tool is
given -T with that count. The pairs alternate their order (AB, BA, AB, ...)
so that neither always runs on a warmer machine; each run is timed from
fork to reaping (wall) and by the kernel's rusage (CPU). Reported: medians,
the median of the per-pair ratios (throughput of jiscan / throughput of the
tool = tool's time / jiscan's), and the ratio's min and max.

    scripts/bench-zstd.py [ROUNDS] [LEVELS]    defaults: 15 and 1,3,9
    WORK=DIR     where files go (default /dev/shm/pkgimg-bench-zstd-PID: a
                 tmpfs, so that the comparison is of compression, not of the
                 disk: jiscan fsyncs its output, the tool does not)
    JISCAN=PATH  the jiscan to measure (default: build target/release/jiscan)
"""

import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIBS = ["/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1", "/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1"]
SECTIONS = [".rodata", ".data.rel.ro", ".eh_frame", ".data"]
LIBRARY = os.path.join(ROOT, "corpus/nopayload/x86_64-linux-musl.so")


def run(command):
    """Wall and CPU seconds of one run; fails loudly if the command does."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    err = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({child.returncode}): {err}")
    return wall, usage.ru_utime + usage.ru_stime


def pairs(a, b, rounds):
    """Interleaved runs of a and b (one warm-up each): lists of (wall, cpu)."""
    run(a)
    run(b)
    ta, tb = [], []
    for i in range(rounds):
        if i % 2 == 0:
            ta.append(run(a))
            tb.append(run(b))
        else:
            tb.append(run(b))
            ta.append(run(a))
    return ta, tb


def summary(ta, tb, megabytes):
    wall_a = statistics.median(t[0] for t in ta)
    wall_b = statistics.median(t[0] for t in tb)
    cpu_a = statistics.median(t[1] for t in ta)
    cpu_b = statistics.median(t[1] for t in tb)
    ratios = [b[0] / a[0] for a, b in zip(ta, tb)]
    return {
        "a": f"{wall_a:.3f} s, {megabytes / wall_a:.0f} MB/s (CPU {cpu_a:.3f} s)",
        "b": f"{wall_b:.3f} s, {megabytes / wall_b:.0f} MB/s (CPU {cpu_b:.3f} s)",
        "ratio": f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})",
    }


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    levels = [int(x) for x in (sys.argv[2] if len(sys.argv) > 2 else "1,3,9").split(",")]
    own = "WORK" not in os.environ
    work = os.environ.get("WORK", f"/dev/shm/pkgimg-bench-zstd-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    jiscan = os.environ.get("JISCAN")
    if not jiscan:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "jiscan"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        jiscan = os.path.join(target, "release/jiscan")
    cpus = len(os.sched_getaffinity(0))
    data = os.path.join(work, "data.bin")
    try:
        if os.environ.get("INPUT"):
            shutil.copyfile(os.environ["INPUT"], data)
        else:
            with open(data, "wb") as out:
                for lib in LIBS:
                    for section in SECTIONS:
                        part = os.path.join(work, "section.bin")
                        subprocess.run(["objcopy", "-O", "binary", f"--only-section={section}", lib, part], check=True)
                        with open(part, "rb") as f:
                            shutil.copyfileobj(f, out)
                        os.remove(part)
        size = os.path.getsize(data)
        mb = size / 1e6
        version = subprocess.run(["zstd", "--version"], capture_output=True, text=True).stdout.strip()
        print(f"input: {mb:.1f} MB ({os.environ.get('INPUT') or 'data sections of ' + ', '.join(LIBS)})")
        print(f"{version}; jiscan {jiscan} (libzstd from the zstd crate); {cpus} CPUs; {rounds} pairs; work {work}")
        print()
        print("| level | stored by jiscan (ratio) | zstd's .zst | compress: jiscan | compress: zstd | "
              "jiscan/zstd throughput | decompress: jiscan | decompress: zstd -d | jiscan/zstd throughput |")
        print("|---|---|---|---|---|---|---|---|---|")
        out = os.path.join(work, "lib.so")
        zst = os.path.join(work, "data.zst")
        for level in levels:
            a = [jiscan, "inject", f"--compress={level}", LIBRARY, data, "-o", out]
            b = ["zstd", f"-{level}", f"-T{cpus}", "-f", "-q", data, "-o", zst]
            if level > 19:
                b.insert(1, "--ultra")
            ta, tb = pairs(a, b, rounds)
            comp = summary(ta, tb, mb)
            scan = subprocess.run([jiscan, "scan", "--json", out], capture_output=True, text=True, check=True)
            stored = int(scan.stdout.split('"size":')[1].split(",")[0])
            zsize = os.path.getsize(zst)
            # Both decode to the input: checked once, outside the timing.
            a = [jiscan, "extract", out, "-o", os.path.join(work, "out-jiscan.bin")]
            b = ["zstd", "-d", "-f", "-q", zst, "-o", os.path.join(work, "out-zstd.bin")]
            run(a)
            run(b)
            for decoded in ("out-jiscan.bin", "out-zstd.bin"):
                if subprocess.run(["cmp", "-s", data, os.path.join(work, decoded)]).returncode != 0:
                    sys.exit(f"{decoded} differs from the input")
            ta, tb = pairs(a, b, rounds)
            dec = summary(ta, tb, mb)
            print(f"| {level} | {stored / 1e6:.2f} MB ({size / stored:.2f}) | {zsize / 1e6:.2f} MB ({size / zsize:.2f}) "
                  f"| {comp['a']} | {comp['b']} | {comp['ratio']} | {dec['a']} | {dec['b']} | {dec['ratio']} |")
            sys.stdout.flush()
    finally:
        for name in ("data.bin", "lib.so", "data.zst", "out-jiscan.bin", "out-zstd.bin"):
            try:
                os.remove(os.path.join(work, name))
            except FileNotFoundError:
                pass
        if own:
            os.rmdir(work)


if __name__ == "__main__":
    main()
