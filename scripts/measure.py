#!/usr/bin/env python3
"""Run a command once and print what it cost, as one tab-separated line:

    label  wall_s  minor_faults  major_faults  fs_input_bytes  rchar  read_bytes  status  stdout

- wall_s: elapsed time, from fork to reaping.
- minor_faults, major_faults, fs_input_bytes: the child's rusage (the same
  fields `/usr/bin/time -v` prints as "Minor/Major page faults" and "File
  system inputs"; the latter counts 512-byte blocks, shown here in bytes).
- rchar, read_bytes: the child's I/O accounting (proc(5) /proc/PID/io):
  bytes passed to read()-like system calls, and bytes fetched from the block
  device. A reaped child's counters are added to its parent's, so they are the
  difference of this process's /proc/self/io around the run (this process reads
  nothing in between: the child's stdout goes to a temporary file).
- stdout: the last line the command printed.

    scripts/measure.py LABEL -- COMMAND [ARG...]
"""

import os
import sys
import tempfile
import time


def io_counters():
    with open("/proc/self/io") as f:
        return {k: int(v) for k, v in (line.split(": ") for line in f)}


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    label, command = sys.argv[1], sys.argv[3:]
    with tempfile.TemporaryFile() as out:
        before = io_counters()
        start = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            try:
                os.execvp(command[0], command)
            finally:
                os._exit(127)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        after = io_counters()
        out.seek(0)
        lines = out.read().decode(errors="replace").strip().splitlines()
    fields = [
        label,
        f"{wall:.4f}",
        usage.ru_minflt,
        usage.ru_majflt,
        usage.ru_inblock * 512,
        after["rchar"] - before["rchar"],
        after["read_bytes"] - before["read_bytes"],
        os.waitstatus_to_exitcode(status),
        lines[-1] if lines else "",
    ]
    print("\t".join(str(f) for f in fields))


if __name__ == "__main__":
    main()
