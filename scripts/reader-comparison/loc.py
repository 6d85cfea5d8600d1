#!/usr/bin/env python3
"""Non-blank, non-comment lines each implementation needs for the ELF walk.

A line counts if it is not blank and does not start with `//` (so doc
comments do not count; attributes such as `#[derive(Pread)]` and
`#[inline(always)]` do). This crate's files are split by `// loc: KIND`
markers; pkgimg's lines are taken item by item from the repository's
src/, so the count follows the code as it is checked out.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")
PKGIMG = os.path.join(HERE, "..", "..", "src")

# pkgimg items the ELF walk runs (src/elf.rs), and the reader they stand on.
PKGIMG_WALK = [("elf.rs", "const", "SHN_XINDEX"), ("elf.rs", "const", "SHT_NOBITS"),
               ("elf.rs", "fn", "find_section"), ("error.rs", "fn", "unique")]
PKGIMG_READER = [("read.rs", "struct", "Data")] + \
    [("read.rs", "fn", f) for f in ["with_endian", "len", "table", "fixed", "entry", "matching", "array",
                                    "u8", "u16", "u32", "u64", "word", "cstr_is"]] + \
    [("read.rs", "fn", "truncated"), ("read.rs", "struct", "Fixed"),
     ("read.rs", "fn", "field"), ("read.rs", "fn", "u32#2"), ("read.rs", "fn", "u64#2"), ("read.rs", "fn", "word#2"),
     ("read.rs", "fn", "first_u32")] + \
    [("image.rs", "fn", f) for f in ["is_big", "u16", "u32", "u64"]]
# The `impl X {` and `}` lines around the methods above: Data, Fixed, Endian.
PKGIMG_IMPL_LINES = 6


def counts(line):
    s = line.strip()
    return bool(s) and not s.startswith("//")


def item(path, kind, name):
    """The lines of the `nth` item `kind name` in `path`, with its attributes."""
    name, _, nth = name.partition("#")
    nth = int(nth or 1)
    lines = open(path).read().split("\n")
    pat = re.compile(r"^\s*(pub(\([a-z]+\))?\s+)?" + ({"fn": r"(const\s+)?fn\s+", "struct": r"struct\s+",
                                                         "const": r"const\s+"}[kind]) + re.escape(name) + r"\b")
    starts = [i for i, l in enumerate(lines) if pat.match(l)]
    if len(starts) < nth:
        sys.exit(f"loc.py: no {kind} {name} (#{nth}) in {path}")
    start = end = starts[nth - 1]
    while start > 0 and lines[start - 1].strip().startswith("#["):
        start -= 1
    if kind == "const":
        while not lines[end].rstrip().endswith(";"):
            end += 1
    else:
        depth, seen = 0, False
        while True:
            code = re.sub(r"'.'|\"(\\.|[^\"])*\"|//.*", "", lines[end])
            depth += code.count("{") - code.count("}")
            seen = seen or "{" in code
            if seen and depth == 0:
                break
            end += 1
    return lines[start:end + 1]


def marked(path):
    """{kind: lines} of a file split by `// loc: KIND` markers."""
    out, kind = {}, None
    for line in open(path).read().split("\n"):
        m = re.match(r"\s*// loc: (\w+)", line)
        if m:
            kind = None if m.group(1) == "end" else m.group(1)
            continue
        if kind and counts(line):
            out[kind] = out.get(kind, 0) + 1
    return out


def main():
    n = lambda items: sum(counts(l) for f, k, name in items for l in item(os.path.join(PKGIMG, f), k, name))
    walk, reader = n(PKGIMG_WALK), n(PKGIMG_READER) + PKGIMG_IMPL_LINES
    helpers = marked(os.path.join(SRC, "lib.rs"))["helpers"]
    scroll = marked(os.path.join(SRC, "with_scroll.rs"))
    rows = [
        ("pkgimg", "-", f"{reader} (read.rs + Endian; shared with Mach-O, COFF, frame)", walk, walk + reader),
    ]
    for name, file, extra in [("scroll", "with_scroll.rs", {}), ("scroll-lean", "with_scroll_lean.rs", scroll),
                              ("bytemuck", "with_bytemuck.rs", {}), ("zerocopy", "with_zerocopy.rs", {})]:
        m = marked(os.path.join(SRC, file))
        structs = m.get("structs", 0) + extra.get("structs", 0)
        glue = m.get("glue", 0) + extra.get("glue", 0)
        # The plain scroll walk uses fits() and the constants but not cstr_is.
        shared = helpers if name != "scroll" else helpers - len([l for l in item(os.path.join(SRC, "lib.rs"), "fn", "cstr_is") if counts(l)])
        walk = m.get("walk", 0) + shared
        rows.append((name, str(structs), f"{glue} (class/byte-order glue)", walk, structs + glue + walk))
    print("| implementation | header structs | reader / glue | walk (+ shared helpers) | total |")
    print("|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")


main()
