#!/usr/bin/env python3
"""Rebuild the pkgimg test corpus from scratch, deterministically.

    python3 corpus/build.py

Needs: Python 3.11 (stdlib only), the `ziglang` PyPI package (zig cc = clang +
lld for every target), the system gcc/GNU ld (x86_64), and LLVM 14 binutils:
llvm-readobj, llvm-objcopy, llvm-lipo-14.

Every library is laid out by a real linker: the 64-byte frame and the payload
enter through the source (an assembler `.incbin`, or a C array with a section
attribute) and the linker places them.  Afterwards the script asks
llvm-readobj where the container landed, adds the frame's payload_offset, and
asserts that the frame and the payload bytes really are at those offsets.
The results go to corpus/expected.json.  The two `-ji` libraries carry the
realistic Julia `.ji` files committed under corpus/ji/ (see `ji_source`).
Malformed files are derived in `build_malformed` below.  Any failure raises,
and the script exits non-zero without touching the existing corpus files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
# Everything in corpus/ that this script owns (and so deletes before writing).
# build.py, README.md and the sources under ji/ are never touched.
OWNED = ["elf", "macho", "pe", "obj", "nopayload", "malformed", "expected.json"]

MAGIC = b"\x89JLJI\r\n\x1a"
FRAME_SIZE = 64


# ---------------------------------------------------------------- CRC-32C --

def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    crc ^= 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283, "CRC-32C self-check failed"
assert crc32c(b"") == 0


# --------------------------------------------------------------- payloads --

def prand(seed: str, n: int) -> bytes:
    """Deterministic pseudo-random bytes (SHA-256 in counter mode)."""
    out = bytearray()
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"pkgimg-corpus:{seed}:{i}".encode()).digest()
        i += 1
    return bytes(out[:n])


# Realistic Julia `.ji` files, committed under corpus/ji/ as sources (this
# script never writes them).  They come from the test-side writer that
# follows Julia's writers field by field (tests/common/ji_writer.rs):
#
#     cargo run --release --example ji_corpus_payloads -- OUT
#
# which writes OUT/NAME.ji and OUT/NAME.expected.json, the `ji` object
# `jiscan show --json` must print for it, computed from what the writer put
# in (tests/common/ji_expected.rs).  expected.json's `ji` key is that file,
# verbatim.
JI_DIR = os.path.join(HERE, "ji")
JI_MAGIC = b"\xfbjli\r\n\x1a\n"


def ji_source(name: str, *, format_version: int, size: int) -> tuple[bytes, dict]:
    """A committed `.ji` and the writer's expected `ji` object, after checks
    that need no .ji decoder: the magic, the format version and byte-order
    mark (write_header, 1.11.5 src/staticdata_utils.c:697-702), the size, and
    compilecache's trailer (1.11.5 base/loading.jl:3106-3108): a library
    CRC-32C word of 0 (the payload is carried by the library itself) and the
    CRC-32C of every byte before the last word."""
    with open(os.path.join(JI_DIR, name + ".ji"), "rb") as f:
        data = f.read()
    with open(os.path.join(JI_DIR, name + ".expected.json")) as f:
        info = json.load(f)
    where = f"ji/{name}.ji"
    if len(data) != size:
        raise BuildError(f"{where}: {len(data)} bytes, expected {size}")
    if data[:8] != JI_MAGIC:
        raise BuildError(f"{where}: not a .ji (magic {data[:8].hex()})")
    version, bom = struct.unpack_from("<HH", data, 8)
    if (version, bom) != (format_version, 0xFEFF):
        raise BuildError(f"{where}: format {version}, BOM {bom:#06x}; expected "
                         f"little-endian format {format_version}")
    library_crc, ji_crc = struct.unpack_from("<II", data, len(data) - 8)
    if library_crc != 0 or ji_crc != crc32c(data[:-4]):
        raise BuildError(f"{where}: trailer {library_crc:#x} {ji_crc:#x}; expected 0 and "
                         f"{crc32c(data[:-4]):#x}")
    trailer = info.get("trailer") or {}
    want = {"format_version": format_version, "kind": "cache", "complete": True}
    got = {k: info.get(k) for k in want}
    if got != want or trailer.get("offset") != len(data) - 8 \
            or trailer.get("library_crc32c") != 0 or trailer.get("ji_crc32c") != ji_crc:
        raise BuildError(f"{where}: {name}.expected.json does not describe it "
                         f"({got}, trailer {trailer})")
    return data, info


def make_frame(payload: bytes, payload_offset: int = FRAME_SIZE, *,
               version: int = 1, magic: bytes = MAGIC,
               payload_size: int | None = None,
               header_size: int = FRAME_SIZE) -> bytes:
    size = len(payload) if payload_size is None else payload_size
    f = magic + struct.pack("<HHIQQI", version, header_size, 1,
                            payload_offset, size, crc32c(payload))
    f += b"\0" * 28
    assert len(f) == FRAME_SIZE
    return f


# ------------------------------------------------------------------ tools --

class BuildError(Exception):
    pass


def which(*names: str) -> str:
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    raise BuildError(f"none of {names} found on PATH")


ZIG = [sys.executable, "-m", "ziglang"]
READOBJ = OBJCOPY = LIPO = ""


def run(cmd: list[str], cwd: str | None = None) -> str:
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", LC_ALL="C")
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise BuildError(f"command failed ({p.returncode}): {' '.join(cmd)}\n"
                         f"--- stdout\n{p.stdout}\n--- stderr\n{p.stderr}")
    return p.stdout


def init_tools() -> str:
    global READOBJ, OBJCOPY, LIPO
    READOBJ = which("llvm-readobj", "llvm-readobj-14")
    OBJCOPY = which("llvm-objcopy", "llvm-objcopy-14")
    LIPO = which("llvm-lipo-14", "llvm-lipo")
    which("gcc")
    try:
        zv = run(ZIG + ["version"]).strip()
    except BuildError as e:
        raise BuildError("zig not available: `pip install ziglang`\n" + str(e))
    return zv


# ------------------------------------------------------- readobj parsing --

def _blocks(text: str) -> list[str]:
    return text.split("Section {")[1:]


def _field(block: str, name: str) -> str | None:
    m = re.search(rf"^\s*{name}: (\S+)", block, re.M)
    return m.group(1) if m else None


def find_containers(path: str, fmt: str) -> list[tuple[int, int]]:
    """(file offset, size) of every payload container, per llvm-readobj."""
    out = run([READOBJ, "--sections", path])
    found = []
    for b in _blocks(out):
        name = _field(b, "Name")
        if fmt == "elf" and name == ".jlji":
            found.append((int(_field(b, "Offset"), 0), int(_field(b, "Size"), 0)))
        elif fmt in ("pe", "coff") and name == ".jlji":
            found.append((int(_field(b, "PointerToRawData"), 0),
                          int(_field(b, "RawDataSize"), 0)))
        elif fmt == "macho" and name == "__ji" and _field(b, "Segment") == "__JULIA":
            found.append((int(_field(b, "Offset"), 0), int(_field(b, "Size"), 0)))
    return found


ELF_MACHINE = {"x86": 3, "x86_64": 0x3E, "arm": 0x28, "aarch64": 0xB7,
               "riscv32": 0xF3, "riscv64": 0xF3, "powerpc": 0x14,
               "powerpc64": 0x15, "mips": 8, "mips64": 8, "s390x": 0x16,
               "sparc64": 0x2B, "loongarch64": 0x102}
MACHO_CPU = {"x86_64": 0x1000007, "aarch64": 0x100000C}
COFF_MACHINE = {"x86_64": 0x8664, "x86": 0x14C, "aarch64": 0xAA64}


def _paren_hex(text: str, field: str) -> int:
    m = re.search(rf"^\s*{field}: .*?\((0x[0-9A-Fa-f]+)\)\s*$", text, re.M)
    if not m:
        raise BuildError(f"no {field} in readobj output:\n{text[:2000]}")
    return int(m.group(1), 16)


def check_headers(path: str, fmt: str, bits: int, endian: str, arch: str) -> None:
    """Assert via `llvm-readobj --file-headers` that the file is what we claim."""
    out = run([READOBJ, "--file-headers", path])
    where = os.path.basename(path)
    if fmt == "elf":
        cls = re.search(r"Class: (\d+)-bit", out).group(1)
        enc = re.search(r"DataEncoding: (\w+)Endian", out).group(1).lower()
        mach = _paren_hex(out, "Machine") if "Machine: EM_" in out else \
            int(re.search(r"Machine: (0x[0-9A-Fa-f]+)", out).group(1), 16)
        got = (int(cls), enc, mach)
        want = (bits, endian, ELF_MACHINE[arch])
    elif fmt == "macho":
        magic = _paren_hex(out, "Magic")
        got = ({0xFEEDFACF: 64, 0xFEEDFACE: 32}[magic], "little",
               _paren_hex(out, "CpuType"))
        want = (bits, endian, MACHO_CPU[arch])
    else:
        mach = _paren_hex(out, "Machine")
        b = {0x8664: 64, 0xAA64: 64, 0x14C: 32}[mach]
        if fmt == "pe":
            m = re.search(r"^\s*Magic: (0x[0-9A-F]+)", out, re.M)
            b = {0x20B: 64, 0x10B: 32}[int(m.group(1), 16)]
        elif "ImageOptionalHeader" in out:
            raise BuildError(f"{where}: expected a COFF object, got an image")
        got = (b, "little", mach)
        want = (bits, endian, COFF_MACHINE[arch])
    if got != want:
        raise BuildError(f"{where}: headers say {got}, expected {want}")


# ------------------------------------------------------------ the sources --

LIB_C = "int pkgimg_answer(void) { return 42; }\n"
LIB_C_DLL = "__declspec(dllexport) int pkgimg_answer(void) { return 42; }\n"
# -nostdlib DLLs need their own entry point (x86: _DllMainCRTStartup@12).
LIB_C_DLL_NOSTD = LIB_C_DLL + (
    "int __stdcall DllMainCRTStartup(void *h, unsigned long reason, void *r)\n"
    "{ (void)h; (void)reason; (void)r; return 1; }\n")

COFF_X86_64_FUNC_ASM = (
    ".text\n.globl pkgimg_answer\n"
    ".def pkgimg_answer; .scl 2; .type 32; .endef\n"
    "pkgimg_answer:\n  movl $42, %eax\n  ret\n")


def container_asm(fmt: str, pad: int, *, retain: bool = False,
                  obj: bool = False, section_flags: str | None = None) -> str:
    """Assembler text that puts frame.bin, `pad` zero bytes and payload.bin
    into the format's container section, 64-byte aligned."""
    if fmt == "elf":
        flags = section_flags if section_flags is not None else ("R" if retain else "")
        head = f'.section .jlji,"{flags}",%progbits\n.balign 64\n'
    elif fmt == "macho":
        # S_ATTR_NO_DEAD_STRIP always: zig's Mach-O linker dead-strips an
        # unreferenced __JULIA,__ji at -O2 otherwise (it keeps it at -O0).
        head = ".section __JULIA,__ji,regular,no_dead_strip\n.p2align 6\n"
    else:
        head = '.section .jlji,"dr"\n.balign 64\n'
    body = '.incbin "frame.bin"\n'
    if pad:
        body += f".zero {pad}\n"
    body += '.incbin "payload.bin"\n'
    return head + body


def c_array_source(blob: bytes, *, retain: bool) -> str:
    attrs = "section(\".jlji\"), used, aligned(64)" + (", retain" if retain else "")
    rows = []
    for i in range(0, len(blob), 24):
        rows.append("  " + ",".join(str(b) for b in blob[i:i + 24]) + ",")
    return (f"static const unsigned char pkgimg_container[{len(blob)}]\n"
            f"  __attribute__(({attrs})) = {{\n" + "\n".join(rows) + "\n};\n")


# ----------------------------------------------------------------- specs --

@dataclasses.dataclass
class Spec:
    out: str                 # path relative to corpus/
    fmt: str                 # elf | macho | pe | coff
    arch: str
    bits: int
    endian: str
    linker: str              # zig | gcc | zig-obj | gcc-obj
    target: str = ""         # zig -target
    size: int = 0            # payload size; 0 = no container at all
    pad: int = 0             # zero bytes between frame and payload
    nostdlib: bool = True
    extra: tuple = ()        # extra compiler/linker flags
    style: str = "asm"       # asm | carray
    retain: bool = False
    frame_kw: dict = dataclasses.field(default_factory=dict)
    payload: bytes | None = None   # overrides the pseudo-random payload
    note: str = ""
    ji: dict | None = None


ELF_TARGETS = [
    # out name, zig target, arch, bits, endian, payload size
    ("x86_64-linux-musl", "x86_64-linux-musl", "x86_64", 64, "little", 1000),
    ("aarch64-linux-musl", "aarch64-linux-musl", "aarch64", 64, "little", 4096),
    ("x86-linux-musl", "x86-linux-musl", "x86", 32, "little", 777),
    ("arm-linux-musleabihf", "arm-linux-musleabihf", "arm", 32, "little", 2500),
    ("riscv64-linux-musl", "riscv64-linux-musl", "riscv64", 64, "little", 5120),
    ("powerpc64le-linux-musl", "powerpc64le-linux-musl", "powerpc64", 64, "little", 6001),
    ("powerpc64-linux-musl", "powerpc64-linux-musl", "powerpc64", 64, "big", 7777),
    ("s390x-linux-musl", "s390x-linux-musl", "s390x", 64, "big", 9000),
    ("mips-linux-musleabi", "mips-linux-musleabi", "mips", 32, "big", 12345),
    # extra architectures: cheap, and they cover the rest of the arch list
    ("mipsel-linux-musleabi", "mipsel-linux-musleabi", "mips", 32, "little", 640),
    ("mips64-linux-muslabi64", "mips64-linux-muslabi64", "mips64", 64, "big", 3333),
    ("mips64el-linux-muslabi64", "mips64el-linux-muslabi64", "mips64", 64, "little", 1536),
    ("powerpc-linux-musleabihf", "powerpc-linux-musleabihf", "powerpc", 32, "big", 2222),
    ("riscv32-linux-musl", "riscv32-linux-musl", "riscv32", 32, "little", 4444),
    ("sparc64-linux-gnu", "sparc64-linux-gnu", "sparc64", 64, "big", 5555),
    ("loongarch64-linux-musl", "loongarch64-linux-musl", "loongarch64", 64, "little", 6666),
]


def specs() -> list[Spec]:
    s: list[Spec] = []
    for name, tgt, arch, bits, endian, size in ELF_TARGETS:
        kw = {}
        if name == "x86_64-linux-musl":
            kw = dict(pad=64, frame_kw={"payload_offset": 128},
                      note="payload_offset 128 (64 zero bytes between frame and payload)")
        s.append(Spec(f"elf/{name}.so", "elf", arch, bits, endian, "zig", tgt,
                      size, **kw))
    s.append(Spec("elf/x86_64-linux-gnu-libc.so", "elf", "x86_64", 64, "little",
                  "zig", "x86_64-linux-gnu", 2048, nostdlib=False,
                  note="zig/lld, linked against glibc (crt files, libc.so.6)"))
    ji, ji_info = ji_source("v12-julia-1.11", format_version=12, size=1770)
    s.append(Spec("elf/x86_64-linux-musl-ji.so", "elf", "x86_64", 64, "little",
                  "zig", "x86_64-linux-musl", len(ji), payload=ji, ji=ji_info,
                  note="payload is ji/v12-julia-1.11.ji: format 12 as Julia 1.11.5 "
                       "writes a package image's .ji"))
    ji, ji_info = ji_source("v15-master", format_version=15, size=3908)
    s.append(Spec("elf/x86_64-linux-musl-ji15.so", "elf", "x86_64", 64, "little",
                  "zig", "x86_64-linux-musl", len(ji), payload=ji, ji=ji_info,
                  note="payload is ji/v15-master.ji: format 15 as Julia master "
                       "writes a split .ji"))
    s.append(Spec("elf/x86_64-gnu-ld.so", "elf", "x86_64", 64, "little", "gcc",
                  size=3000, note="system gcc + GNU ld, non-alloc .jlji"))
    s.append(Spec("elf/x86_64-gnu-ld-gc-nonalloc.so", "elf", "x86_64", 64, "little",
                  "gcc", size=8192, retain=True,
                  extra=("-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections"),
                  note="GNU ld --gc-sections; non-alloc .jlji kept by SHF_GNU_RETAIN"))
    s.append(Spec("elf/x86_64-gnu-ld-gc-alloc.so", "elf", "x86_64", 64, "little",
                  "gcc", size=10000, style="carray", retain=True,
                  extra=("-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections"),
                  note="GNU ld --gc-sections; C array, .jlji is SHF_ALLOC|SHF_GNU_RETAIN"))
    # Mach-O
    s.append(Spec("macho/x86_64-macos.dylib", "macho", "x86_64", 64, "little",
                  "zig", "x86_64-macos", 1234, nostdlib=False))
    s.append(Spec("macho/aarch64-macos.dylib", "macho", "aarch64", 64, "little",
                  "zig", "aarch64-macos", 20000, nostdlib=False))
    # PE
    s.append(Spec("pe/x86_64-windows-gnu.dll", "pe", "x86_64", 64, "little", "zig",
                  "x86_64-windows-gnu", 4321, nostdlib=False,
                  note="zig/lld-link with the mingw-w64 CRT"))
    s.append(Spec("pe/x86-windows-gnu.dll", "pe", "x86", 32, "little", "zig",
                  "x86-windows-gnu", 999, note="lld-link, -nostdlib"))
    s.append(Spec("pe/aarch64-windows-gnu.dll", "pe", "aarch64", 64, "little", "zig",
                  "aarch64-windows-gnu", 15000, note="lld-link, -nostdlib"))
    # relocatable objects
    s.append(Spec("obj/x86_64-linux.o", "elf", "x86_64", 64, "little", "zig-obj",
                  "x86_64-linux-musl", 700, retain=True,
                  note="clang -c; SHF_GNU_RETAIN but EI_OSABI stays SYSV"))
    s.append(Spec("obj/x86_64-gnu-as.o", "elf", "x86_64", 64, "little", "gcc-obj",
                  size=1700, retain=True,
                  note="gcc/GNU as -c; SHF_GNU_RETAIN sets EI_OSABI GNU"))
    s.append(Spec("obj/s390x-linux.o", "elf", "s390x", 64, "big", "zig-obj",
                  "s390x-linux-musl", 2600, retain=True))
    s.append(Spec("obj/powerpc-linux.o", "elf", "powerpc", 32, "big", "zig-obj",
                  "powerpc-linux-musleabihf", 900, retain=True))
    s.append(Spec("obj/aarch64-macos.o", "macho", "aarch64", 64, "little", "zig-obj",
                  "aarch64-macos", 1100, retain=True,
                  note="S_ATTR_NO_DEAD_STRIP"))
    s.append(Spec("obj/x86_64-windows.obj", "coff", "x86_64", 64, "little", "zig-obj",
                  "x86_64-windows-gnu", 1300))
    # no payload at all
    s.append(Spec("nopayload/x86_64-linux-musl.so", "elf", "x86_64", 64, "little",
                  "zig", "x86_64-linux-musl"))
    s.append(Spec("nopayload/aarch64-macos.dylib", "macho", "aarch64", 64, "little",
                  "zig", "aarch64-macos", nostdlib=False))
    s.append(Spec("nopayload/x86_64-windows-gnu.dll", "pe", "x86_64", 64, "little",
                  "zig", "x86_64-windows-gnu"))
    return s


# ------------------------------------------------------------ building --

class Corpus:
    def __init__(self, stage: str, work: str):
        self.stage = stage      # becomes corpus/ contents on success
        self.work = work        # scratch
        self.entries: list[dict] = []
        self.notes: dict[str, str] = {}
        self.n = 0

    def workdir(self, tag: str) -> str:
        self.n += 1
        # stable relative names inside: paths never leak into the outputs
        d = os.path.join(self.work, f"{self.n:03d}-{re.sub(r'[^A-Za-z0-9.-]', '_', tag)}")
        os.makedirs(d)
        return d

    def out(self, rel: str) -> str:
        p = os.path.join(self.stage, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    # -- compile + link one file
    def link(self, sp: Spec, frame: bytes | None, payload: bytes | None,
             dest: str | None = None, workdir: str | None = None,
             asm_override: str | None = None) -> str:
        wd = workdir or self.workdir(sp.out)
        has = frame is not None
        if has:
            with open(os.path.join(wd, "frame.bin"), "wb") as f:
                f.write(frame)
            with open(os.path.join(wd, "payload.bin"), "wb") as f:
                f.write(payload)
        is_obj = sp.linker.endswith("-obj")
        dll_nostd = sp.fmt == "pe" and sp.nostdlib
        lib_c = LIB_C_DLL_NOSTD if dll_nostd else LIB_C_DLL if sp.fmt == "pe" else LIB_C
        srcs: list[str] = []
        if has and sp.style == "carray":
            blob = frame + b"\0" * sp.pad + payload
            with open(os.path.join(wd, "container.c"), "w") as f:
                f.write(c_array_source(blob, retain=sp.retain))
        asm = None
        if has and sp.style == "asm":
            asm = asm_override or container_asm(sp.fmt, sp.pad, retain=sp.retain, obj=is_obj)
        if is_obj and sp.fmt == "coff":
            if sp.arch != "x86_64":
                raise BuildError("COFF objects: only the x86_64 function is written")
            # all-assembler source: clang's C path writes its temporary object
            # path into .debug$S (S_OBJNAME), which is not reproducible
            with open(os.path.join(wd, "lib.S"), "w") as f:
                f.write(COFF_X86_64_FUNC_ASM + (asm or ""))
            srcs = ["lib.S"]
        elif is_obj:
            # one translation unit: the function plus top-level asm
            text = lib_c
            if asm:
                if sp.fmt == "macho":
                    asm += ".text\n"
                elif sp.fmt == "elf":
                    asm = ".pushsection" + asm[len(".section"):] + ".popsection\n"
                else:
                    asm += ".text\n"
                text += "__asm__(" + json.dumps(asm) + ");\n"
            with open(os.path.join(wd, "lib.c"), "w") as f:
                f.write(text)
            srcs = ["lib.c"]
        else:
            with open(os.path.join(wd, "lib.c"), "w") as f:
                f.write(lib_c)
            srcs = ["lib.c"]
            if asm:
                if sp.fmt == "elf":
                    asm += '.section .note.GNU-stack,"",%progbits\n'
                with open(os.path.join(wd, "container.S"), "w") as f:
                    f.write(asm)
                srcs.append("container.S")
            elif has:
                srcs.append("container.c")
        outname = "out" + os.path.splitext(sp.out)[1]
        if sp.linker.startswith("zig"):
            cmd = ZIG + ["cc", "-target", sp.target, "-O2", "-g0"]
            if sp.fmt == "pe":
                cmd += ["-s"]  # no PDB: its path would make the DLL non-reproducible
            elif sp.fmt == "elf":
                cmd += ["-fPIC"]
        else:
            cmd = ["gcc", "-O2", "-fPIC"]
        if is_obj:
            cmd += ["-c"]
        else:
            cmd += ["-shared"]
            if sp.linker == "zig" and sp.nostdlib and sp.fmt != "macho":
                cmd += ["-nostdlib"]
        cmd += list(sp.extra) + ["-o", outname] + srcs
        run(cmd, cwd=wd)
        built = os.path.join(wd, outname)
        if dest is None:
            dest = self.out(sp.out)
        shutil.copyfile(built, dest)
        return dest

    def record(self, rel: str, sp: Spec, payload_abs: int | None, size: int = 0,
               crc: int = 0, slice_: int | None = None, error: str | None = None,
               **extra) -> dict:
        e = {"file": rel, "slice": slice_, "format": sp.fmt, "bits": sp.bits,
             "endian": sp.endian, "arch": sp.arch,
             "payload": None if payload_abs is None else
             {"offset": payload_abs, "size": size, "crc32c": crc}}
        if error:
            e["error"] = error
        e.update(extra)
        self.entries.append(e)
        return e


def verify_payload(path: str, sp: Spec, frame: bytes, payload: bytes,
                   base: int = 0, data: bytes | None = None,
                   expect_aligned: bool = True) -> int:
    """Locate the container with llvm-readobj, check the frame and payload
    bytes are really there, return the absolute payload offset."""
    found = find_containers(path, sp.fmt)
    if len(found) != 1:
        raise BuildError(f"{sp.out}: expected exactly one container, readobj found {found}")
    off, csize = found[0]
    if data is None:
        with open(path, "rb") as f:
            data = f.read()
    fo = base + off
    if data[fo:fo + FRAME_SIZE] != frame:
        raise BuildError(f"{sp.out}: frame not at file offset {fo:#x}")
    poff = struct.unpack_from("<Q", frame, 16)[0]
    pa = fo + poff
    if data[pa:pa + len(payload)] != payload:
        raise BuildError(f"{sp.out}: payload not at file offset {pa:#x}")
    if csize < FRAME_SIZE:
        raise BuildError(f"{sp.out}: container too small ({csize})")
    if expect_aligned and pa % 64:
        raise BuildError(f"{sp.out}: payload offset {pa:#x} is not a multiple of 64")
    return pa


def build_normal(c: Corpus, sp: Spec) -> None:
    if sp.size == 0:
        dest = c.link(sp, None, None)
        check_headers(dest, sp.fmt, sp.bits, sp.endian, sp.arch)
        if find_containers(dest, sp.fmt):
            raise BuildError(f"{sp.out}: unexpected container")
        c.record(sp.out, sp, None)
        return
    payload = sp.payload if sp.payload is not None else prand(sp.out, sp.size)
    kw = dict(sp.frame_kw)
    kw.setdefault("payload_offset", FRAME_SIZE + sp.pad)
    frame = make_frame(payload, **kw)
    dest = c.link(sp, frame, payload)
    check_headers(dest, sp.fmt, sp.bits, sp.endian, sp.arch)
    is_obj = sp.linker.endswith("-obj")
    pa = verify_payload(dest, sp, frame, payload, expect_aligned=not is_obj)
    extra = {}
    if sp.ji:
        extra["ji"] = sp.ji
    c.record(sp.out, sp, pa, len(payload), crc32c(payload), **extra)
    if sp.note:
        c.notes[sp.out] = sp.note


def build_pe_overlay(c: Corpus) -> None:
    """A DLL whose .jlji section holds only the frame; the payload follows the
    last section (overlay), page-aligned -- the PE layout FORMAT.md allows.
    The linker lays out the frame; the script appends the payload."""
    sp = Spec("pe/x86_64-overlay.dll", "pe", "x86_64", 64, "little", "zig",
              "x86_64-windows-gnu", 11111)
    payload = prand(sp.out, sp.size)
    asm = '.section .jlji,"dr"\n.balign 64\n.incbin "frame.bin"\n'
    wd = c.workdir(sp.out + "-probe")
    probe = c.link(sp, make_frame(payload, 1 << 40), payload, dest=os.path.join(wd, "probe.dll"),
                   workdir=wd, asm_override=asm)
    (off, _), = find_containers(probe, "pe")
    end = os.path.getsize(probe)
    pa = (end + 4095) // 4096 * 4096
    frame = make_frame(payload, pa - off)
    dest = c.link(sp, frame, payload, asm_override=asm)
    if find_containers(dest, "pe") != find_containers(probe, "pe") or os.path.getsize(dest) != end:
        raise BuildError("overlay: layout changed between probe and final link")
    with open(dest, "ab") as f:
        f.write(b"\0" * (pa - end) + payload)
    check_headers(dest, sp.fmt, sp.bits, sp.endian, sp.arch)
    got = verify_payload(dest, sp, frame, payload)
    assert got == pa
    c.record(sp.out, sp, pa, len(payload), crc32c(payload))
    c.notes[sp.out] = "frame in .jlji, payload in the overlay at a 4096 multiple (appended by build.py)"


def parse_fat(data: bytes) -> list[dict]:
    magic, n = struct.unpack_from(">II", data, 0)
    if magic != 0xCAFEBABE:
        raise BuildError(f"not a fat file (magic {magic:#x})")
    out = []
    for i in range(n):
        cpu, sub, off, size, align = struct.unpack_from(">iiIII", data, 8 + 20 * i)
        out.append(dict(cputype=cpu & 0xFFFFFFFF, offset=off, size=size, align=align))
    return out


def build_fat(c: Corpus) -> None:
    rel = "macho/universal.dylib"
    thin = []
    for arch, tgt, size, lipo_arch in (("x86_64", "x86_64-macos", 3500, "x86_64"),
                                        ("aarch64", "aarch64-macos", 17000, "arm64")):
        sp = Spec(rel, "macho", arch, 64, "little", "zig", tgt, size, nostdlib=False)
        payload = prand(f"{rel}:{arch}", size)
        frame = make_frame(payload)
        wd = c.workdir(f"fat-{arch}")
        p = c.link(sp, frame, payload, dest=os.path.join(wd, f"thin-{arch}.dylib"), workdir=wd)
        check_headers(p, "macho", 64, "little", arch)
        thin.append((sp, p, frame, payload, lipo_arch))
    dest = c.out(rel)
    run([LIPO, "-create", "-output", dest] + [t[1] for t in thin])
    with open(dest, "rb") as f:
        data = f.read()
    slices = parse_fat(data)
    wd = c.workdir("fat-check")
    for idx, sl in enumerate(slices):
        match = [t for t in thin if MACHO_CPU[t[0].arch] == sl["cputype"]]
        if len(match) != 1:
            raise BuildError(f"fat slice {idx}: unknown cputype {sl['cputype']:#x}")
        sp, p, frame, payload, lipo_arch = match[0]
        ext = os.path.join(wd, f"slice{idx}.dylib")
        run([LIPO, "-thin", lipo_arch, "-output", ext, dest])
        with open(ext, "rb") as f:
            tdata = f.read()
        if tdata != data[sl["offset"]:sl["offset"] + sl["size"]]:
            raise BuildError(f"fat slice {idx}: lipo -thin differs from fat header range")
        pa = verify_payload(ext, sp, frame, payload, base=sl["offset"], data=data)
        c.record(rel, sp, pa, len(payload), crc32c(payload), slice_=idx)
    c.notes[rel] = "llvm-lipo-14 -create of an x86_64 and an arm64 zig dylib (distinct payloads)"


# ------------------------------------------------------------ malformed --

def elf_shdr_table(data: bytes) -> tuple[int, int, int]:
    is64 = data[4] == 2
    e = "<" if data[5] == 1 else ">"
    if is64:
        shoff = struct.unpack_from(e + "Q", data, 0x28)[0]
        entsize, num = struct.unpack_from(e + "HH", data, 0x3A)
    else:
        shoff = struct.unpack_from(e + "I", data, 0x20)[0]
        entsize, num = struct.unpack_from(e + "HH", data, 0x2E)
    return shoff, entsize, num


def build_malformed(c: Corpus) -> None:
    base_sp = Spec("", "elf", "x86_64", 64, "little", "zig", "x86_64-linux-musl")

    def src_entry(rel: str) -> dict:
        return next(e for e in c.entries if e["file"] == rel and e["slice"] is None)

    def read(rel: str) -> bytes:
        with open(os.path.join(c.stage, rel), "rb") as f:
            return f.read()

    def write(rel: str, data: bytes) -> str:
        p = c.out(rel)
        with open(p, "wb") as f:
            f.write(data)
        return p

    # 1. truncated inside the section header table (ELF; payload itself intact)
    src = "elf/aarch64-linux-musl.so"
    data, e = read(src), src_entry(src)
    shoff, entsize, num = elf_shdr_table(data)
    if shoff + entsize * num != len(data):
        raise BuildError(f"{src}: section header table is not at the end of the file")
    cut = shoff + entsize * (num // 2) + entsize // 2
    if cut < e["payload"]["offset"] + e["payload"]["size"]:
        raise BuildError("truncated-shdr: cut would also hit the payload")
    rel = "malformed/truncated-shdr.so"
    write(rel, data[:cut])
    c.record(rel, Spec(rel, "elf", "aarch64", 64, "little", "zig"), None, error="truncated")
    c.notes[rel] = f"{src} cut at {cut} (inside the section header table)"

    # 2. truncated inside the payload (ELF: the section headers go with it)
    src = "elf/powerpc64-linux-musl.so"
    data, e = read(src), src_entry(src)
    cut = e["payload"]["offset"] + e["payload"]["size"] // 2
    rel = "malformed/truncated-payload.so"
    write(rel, data[:cut])
    c.record(rel, Spec(rel, "elf", "powerpc64", 64, "big", "zig"), None, error="truncated")
    c.notes[rel] = f"{src} cut at {cut} (inside the payload)"

    # 3. truncated inside the payload, Mach-O: load commands intact, but the
    #    __ji section's file range runs past the end of the file
    src = "macho/aarch64-macos.dylib"
    data, e = read(src), src_entry(src)
    cut = e["payload"]["offset"] + e["payload"]["size"] // 2
    rel = "malformed/truncated-payload.dylib"
    write(rel, data[:cut])
    c.record(rel, Spec(rel, "macho", "aarch64", 64, "little", "zig"), None, error="truncated")
    c.notes[rel] = f"{src} cut at {cut}; headers intact, section range past EOF"

    # 4-7: built by the linker with a bad frame
    def linked_bad(rel: str, payload: bytes, frame: bytes, error: str, note: str,
                   asm_override: str | None = None) -> None:
        sp = dataclasses.replace(base_sp, out=rel, size=len(payload))
        dest = c.link(sp, frame, payload, asm_override=asm_override)
        check_headers(dest, "elf", 64, "little", "x86_64")
        found = find_containers(dest, "elf")
        if len(found) != 1:
            raise BuildError(f"{rel}: containers {found}")
        data = read(rel)
        if data[found[0][0]:found[0][0] + len(frame)] != frame:
            raise BuildError(f"{rel}: frame bytes not at container offset")
        c.record(rel, sp, None, error=error)
        c.notes[rel] = note

    p = prand("malformed/version2", 800)
    linked_bad("malformed/version2.so", p, make_frame(p, version=2), "version",
               "frame version 2")
    p = prand("malformed/bad-magic", 800)
    linked_bad("malformed/bad-magic.so", p, make_frame(p, magic=b"\x89JLJX\r\n\x1a"),
               "no_frame", "frame magic 89 4A 4C 4A 58 ...")
    p = prand("malformed/short-section", 32)
    linked_bad("malformed/short-section.so", p, make_frame(p)[:32], "no_frame",
               ".jlji holds only 32 bytes (half a frame)",
               asm_override='.section .jlji,"",%progbits\n.balign 64\n.incbin "frame.bin"\n')
    p = prand("malformed/payload-oob", 1500)
    linked_bad("malformed/payload-oob.so", p, make_frame(p, payload_size=len(p) + (1 << 20)),
               "payload_out_of_bounds", "payload_size = real size + 1 MiB")
    p = prand("malformed/payload-offset-overflow", 600)
    linked_bad("malformed/payload-offset-overflow.so", p,
               make_frame(p, payload_offset=(1 << 64) - 32), "payload_out_of_bounds",
               "payload_offset 2^64-32: frame offset + payload_offset overflows u64")

    # 8. two .jlji sections: a second one added by llvm-objcopy --add-section
    src = "elf/x86_64-linux-musl.so"
    rel = "malformed/two-sections.so"
    wd = c.workdir(rel)
    p2 = prand(rel, 512)
    with open(os.path.join(wd, "second.bin"), "wb") as f:
        f.write(make_frame(p2) + p2)
    dest = c.out(rel)
    run([OBJCOPY, "--add-section", ".jlji=second.bin",
         os.path.join(c.stage, src), dest], cwd=wd)
    found = find_containers(dest, "elf")
    if len(found) != 2:
        raise BuildError(f"{rel}: expected 2 .jlji sections, readobj found {found}")
    check_headers(dest, "elf", 64, "little", "x86_64")
    c.record(rel, Spec(rel, "elf", "x86_64", 64, "little", "zig"), None, error="ambiguous")
    c.notes[rel] = f"{src} + llvm-objcopy --add-section .jlji=<frame+512 B>"

    # 9. CRC mismatch: one payload byte flipped after linking
    src = "elf/riscv64-linux-musl.so"
    data, e = bytearray(read(src)), src_entry(src)
    pl = e["payload"]
    i = pl["offset"] + pl["size"] // 3
    data[i] ^= 0x01
    rel = "malformed/crc-mismatch.so"
    dest = write(rel, bytes(data))
    actual = crc32c(bytes(data[pl["offset"]:pl["offset"] + pl["size"]]))
    assert actual != pl["crc32c"]
    c.record(rel, Spec(rel, "elf", "riscv64", 64, "little", "zig"), pl["offset"],
             pl["size"], pl["crc32c"], error="crc_mismatch", actual_crc32c=actual)
    c.notes[rel] = f"{src} with payload byte {i} xor 0x01; payload.crc32c is the frame's"

    # 10. CRC mismatch in a PE
    src = "pe/x86-windows-gnu.dll"
    data, e = bytearray(read(src)), src_entry(src)
    pl = e["payload"]
    i = pl["offset"] + pl["size"] - 1
    data[i] ^= 0x80
    rel = "malformed/crc-mismatch.dll"
    write(rel, bytes(data))
    actual = crc32c(bytes(data[pl["offset"]:pl["offset"] + pl["size"]]))
    c.record(rel, Spec(rel, "pe", "x86", 32, "little", "zig"), pl["offset"],
             pl["size"], pl["crc32c"], error="crc_mismatch", actual_crc32c=actual)
    c.notes[rel] = f"{src} with the last payload byte xor 0x80"


# ------------------------------------------------------------------ main --

def main() -> int:
    zv = init_tools()
    print(f"zig {zv}; readobj {READOBJ}; lipo {LIPO}")
    tmp = tempfile.mkdtemp(prefix="pkgimg-corpus-")
    try:
        stage = os.path.join(tmp, "stage")
        work = os.path.join(tmp, "work")
        os.makedirs(stage)
        os.makedirs(work)
        c = Corpus(stage, work)
        for sp in specs():
            print(f"  build {sp.out}", flush=True)
            build_normal(c, sp)
        print("  build pe/x86_64-overlay.dll", flush=True)
        build_pe_overlay(c)
        print("  build macho/universal.dylib", flush=True)
        build_fat(c)
        print("  build malformed/*", flush=True)
        build_malformed(c)

        for e in c.entries:
            if e["file"] in c.notes:
                e["note"] = c.notes[e["file"]]
        c.entries.sort(key=lambda e: (e["file"], -1 if e["slice"] is None else e["slice"]))
        with open(os.path.join(stage, "expected.json"), "w") as f:
            json.dump(c.entries, f, indent=1)
            f.write("\n")

        total = sum(os.path.getsize(os.path.join(r, n))
                    for r, _, ns in os.walk(stage) for n in ns)
        if total > 3_500_000:
            raise BuildError(f"corpus too large: {total} bytes")

        # replace the owned outputs only now that everything succeeded
        for name in OWNED:
            p = os.path.join(HERE, name)
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)
        for name in OWNED:
            s = os.path.join(stage, name)
            if os.path.exists(s):
                shutil.move(s, os.path.join(HERE, name))
        leftovers = set(os.listdir(stage))
        if leftovers:
            raise BuildError(f"unexpected staged outputs: {leftovers}")

        print()
        print(f"{'file':44} {'sl':>2} {'fmt':5} {'arch':11} {'b':>2} {'end':6} "
              f"{'bytes':>7} {'payload@':>9} {'size':>6}  error")
        for e in c.entries:
            pl = e["payload"]
            size = os.path.getsize(os.path.join(HERE, e["file"]))
            print(f"{e['file']:44} {'' if e['slice'] is None else e['slice']:>2} "
                  f"{e['format']:5} {e['arch']:11} {e['bits']:>2} {e['endian']:6} "
                  f"{size:>7} {'' if pl is None else hex(pl['offset']):>9} "
                  f"{'' if pl is None else pl['size']:>6}  {e.get('error', '')}")
        nfiles = len({e["file"] for e in c.entries})
        print(f"\n{len(c.entries)} entries, {nfiles} files, {total} bytes -> {HERE}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:  # noqa: BLE001 - report and fail loudly
        traceback.print_exc()
        print("corpus build FAILED", file=sys.stderr)
        sys.exit(1)
