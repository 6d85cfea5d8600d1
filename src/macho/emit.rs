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

use super::layout::{build_version_command, mach_header, CONTAINER_SECTION, CONTAINER_SEGMENT, NAME_LEN};
use super::layout::{
    LC_BUILD_VERSION, LC_SEGMENT_64, MH_MAGIC_64, MH_OBJECT, S_ATTR_NO_DEAD_STRIP, S_REGULAR, VM_PROT_ALL,
};
use super::layout::{SECTION_64, SEGMENT_COMMAND_64};
use crate::frame::CONTAINER_ALIGN;
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

/// `ncmds`: the segment and `LC_BUILD_VERSION`.
const NCMDS: u32 = 2;
/// The segment command's `cmdsize`: `segment_command_64` and its one `section_64`.
const SEGMENT_CMDSIZE: u64 = SEGMENT_COMMAND_64.len + SECTION_64.len;
const SIZEOFCMDS: u64 = SEGMENT_CMDSIZE + build_version_command::LEN;
/// What assemblers put in an object's segment; the linker sets the output
/// segment's protection.
const PROT: u32 = VM_PROT_ALL;
/// `S_REGULAR | S_ATTR_NO_DEAD_STRIP`: kept by `-dead_strip` although no
/// symbol refers to it (docs/FORMAT.md, "Writing rules").
const SECTION_FLAGS: u32 = S_REGULAR | S_ATTR_NO_DEAD_STRIP;
/// `align` is a power of two: 2^6 = 64 keeps the frame, and so the payload,
/// 64-aligned in the output (segments are page-aligned in the file).
const ALIGN_LOG2: u32 = CONTAINER_ALIGN.trailing_zeros();
const _: () = assert!(1 << ALIGN_LOG2 == CONTAINER_ALIGN);

/// The bytes of the object before the container (`container_size` bytes:
/// frame and payload); their length is the container's offset, a multiple of 64.
pub(crate) fn head(h: &MachOHeader, container_size: u64) -> Result<Vec<u8>, EmitError> {
    let container_at = mach_header::LEN_64.saturating_add(SIZEOFCMDS);
    let container_at = aligned(Format::MachO, "section_64 offset", container_at, CONTAINER_ALIGN)?;

    let mut b = Bytes::new(Format::MachO, Endian::Little);
    b.u32(MH_MAGIC_64).u32(h.cputype).u32(h.cpusubtype).u32(MH_OBJECT);
    b.u32(NCMDS).u32_field("sizeofcmds", SIZEOFCMDS)?.u32(0).u32(0); // flags, reserved

    // segment_command_64: unnamed, vmaddr 0, covering the one section.
    b.u32(LC_SEGMENT_64).u32_field("cmdsize", SEGMENT_CMDSIZE)?.name::<NAME_LEN>(b"");
    b.u64(0).u64(container_size).u64(container_at).u64(container_size); // vmaddr, vmsize, fileoff, filesize
    b.u32(PROT).u32(PROT).u32(1).u32(0); // maxprot, initprot, nsects, flags

    // section_64: the file offset is 32-bit; it is a few hundred here.
    b.name::<NAME_LEN>(CONTAINER_SECTION).name::<NAME_LEN>(CONTAINER_SEGMENT).u64(0).u64(container_size); // addr, size
    b.u32_field("section_64 offset", container_at)?;
    b.u32(ALIGN_LOG2).u32(0).u32(0).u32(SECTION_FLAGS); // align, reloff, nreloc, flags
    b.u32(0).u32(0).u32(0); // reserved1..3

    // build_version_command: platform, minos, sdk (0: unknown), ntools.
    b.u32(LC_BUILD_VERSION).u32_field("cmdsize", build_version_command::LEN)?;
    b.u32(h.platform).u32(h.minos).u32(0).u32(0);

    b.pad_to("padding", CONTAINER_ALIGN)?;
    Ok(b.bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::layout::{CPU_TYPE_ARM64, PLATFORM_MACOS};
    use super::*;
    use crate::read::Data;

    /// The bytes are written in sequence; read back at layout.rs's offsets,
    /// every field is where the spec puts it.
    #[test]
    fn fields_sit_at_the_spec_offsets() {
        let h = MachOHeader { cputype: CPU_TYPE_ARM64, cpusubtype: 0, platform: PLATFORM_MACOS, minos: 0xb_0000 };
        let bytes = head(&h, 1000).unwrap();
        let file = Data::new(&bytes, 0, "the object");
        let word = |at: u64| file.u32(at).unwrap();
        assert_eq!(bytes.len() as u64, 256, "32 + 72 + 80 + 24 = 208, padded to 64");
        assert_eq!(word(mach_header::FILETYPE), MH_OBJECT);
        assert_eq!((word(mach_header::NCMDS), u64::from(word(mach_header::SIZEOFCMDS))), (2, 208 - 32));
        let segment = file.table("segment", mach_header::LEN_64, SEGMENT_CMDSIZE, 1).unwrap();
        assert_eq!(segment.u32(0).unwrap(), LC_SEGMENT_64);
        assert_eq!(segment.u64(SEGMENT_COMMAND_64.fileoff).unwrap(), 256);
        assert_eq!(segment.u64(SEGMENT_COMMAND_64.filesize).unwrap(), 1000);
        assert_eq!(segment.u32(SEGMENT_COMMAND_64.nsects).unwrap(), 1);
        let section = segment.table("section", SEGMENT_COMMAND_64.len, SECTION_64.len, 1).unwrap();
        assert!(section.padded_is::<16>(SECTION_64.sectname, b"__ji").unwrap());
        assert!(section.padded_is::<16>(SECTION_64.segname, b"__JULIA").unwrap());
        assert_eq!(section.u64(SECTION_64.size).unwrap(), 1000);
        assert_eq!(section.u32(SECTION_64.offset).unwrap(), 256);
        assert_eq!(section.u32(SECTION_64.align).unwrap(), 6);
        assert_eq!(section.u32(SECTION_64.flags).unwrap(), 0x1000_0000);
        let build = file.table("build", mach_header::LEN_64 + SEGMENT_CMDSIZE, build_version_command::LEN, 1).unwrap();
        assert_eq!(build.u32(0).unwrap(), LC_BUILD_VERSION);
        assert_eq!(build.u32(build_version_command::MINOS).unwrap(), 0xb_0000);
        assert_eq!(build.u32(build_version_command::PLATFORM).unwrap(), PLATFORM_MACOS);
    }
}
