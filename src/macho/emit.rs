//! Writes the headers of a 64-bit Mach-O relocatable object (`MH_OBJECT`)
//! whose section `__JULIA,__ji` is the container. References are to Apple's
//! `<mach-o/loader.h>`.
//!
//! Layout, as assemblers write an object: one unnamed `LC_SEGMENT_64` holding
//! every section (the linker makes the `__JULIA` segment from the section's
//! segment name), then `LC_BUILD_VERSION`; the container ends the file.
//!
//! ```text
//! mach_header_64 | LC_SEGMENT_64 + section_64 | LC_BUILD_VERSION | pad to 64 | __ji
//! ```
//!
//! There is no `LC_SYMTAB`: the object defines no symbols, and LLVM's writer
//! likewise omits the symbol table commands then.

// Writers build headers in a Vec and write through std::io (see crate::emit).
#![cfg(feature = "std")]

use crate::write::error::EmitError;
use crate::write::{aligned, Bytes};
use crate::{Endian, Format};

/// Mach-O header values: CPU type and subtype, and `LC_BUILD_VERSION`'s
/// platform and minimum OS version (`xxxx.yy.zz` as nibbles, as in loader.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MachOHeader {
    pub cputype: u32,
    pub cpusubtype: u32,
    pub platform: u32,
    pub minos: u32,
}

const MH_MAGIC_64: u32 = 0xfeed_facf;
const MH_OBJECT: u32 = 1;
const LC_SEGMENT_64: u32 = 0x19;
const LC_BUILD_VERSION: u32 = 0x32;
const SEGMENT_COMMAND_64_SIZE: u32 = 72;
const SECTION_64_SIZE: u32 = 80;
const BUILD_VERSION_SIZE: u32 = 24;
const HEADER_SIZE: u64 = 32;
/// `VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXECUTE`, what assemblers put in an
/// object's segment; the linker sets the output segment's protection.
const VM_PROT_ALL: u32 = 7;
/// `S_REGULAR | S_ATTR_NO_DEAD_STRIP`: kept by `-dead_strip` although no
/// symbol refers to it (FORMAT.md, "Writing rules").
const SECTION_FLAGS: u32 = 0x1000_0000;
/// `align` is a power of two: 2^6 = 64 keeps the frame, and so the payload,
/// 64-aligned in the output (segments are page-aligned in the file).
const ALIGN_LOG2: u32 = 6;
const CONTAINER_ALIGN: u64 = 64;

/// The bytes of the object before the container (`container_size` bytes:
/// frame and payload); their length is the container's offset, a multiple of 64.
pub(crate) fn head(h: &MachOHeader, container_size: u64) -> Result<Vec<u8>, EmitError> {
    let segment_size = SEGMENT_COMMAND_64_SIZE.saturating_add(SECTION_64_SIZE);
    let commands_size = segment_size.saturating_add(BUILD_VERSION_SIZE);
    let container_at =
        aligned(Format::MachO, "container_at", HEADER_SIZE.saturating_add(commands_size.into()), CONTAINER_ALIGN)?;

    let mut b = Bytes::new(Format::MachO, Endian::Little, true);
    b.u32(MH_MAGIC_64).u32(h.cputype).u32(h.cpusubtype).u32(MH_OBJECT);
    b.u32(2).u32(commands_size).u32(0).u32(0); // ncmds, sizeofcmds, flags, reserved

    // segment_command_64: unnamed, vmaddr 0, covering the one section.
    b.u32(LC_SEGMENT_64).u32(segment_size).name::<16>(b"");
    b.u64(0).u64(container_size).u64(container_at).u64(container_size);
    b.u32(VM_PROT_ALL).u32(VM_PROT_ALL).u32(1).u32(0); // maxprot, initprot, nsects, flags

    // section_64: the file offset is 32-bit; it is a few hundred here.
    b.name::<16>(b"__ji").name::<16>(b"__JULIA").u64(0).u64(container_size);
    b.u32_field("section offset", container_at)?;
    b.u32(ALIGN_LOG2).u32(0).u32(0).u32(SECTION_FLAGS); // align, reloff, nreloc, flags
    b.u32(0).u32(0).u32(0); // reserved1..3

    // build_version_command: platform, minos, sdk (0: unknown), ntools.
    b.u32(LC_BUILD_VERSION).u32(BUILD_VERSION_SIZE).u32(h.platform).u32(h.minos).u32(0).u32(0);

    b.pad_to("padding", CONTAINER_ALIGN)?;
    Ok(b.bytes)
}
