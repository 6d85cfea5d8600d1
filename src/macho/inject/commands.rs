//! The load commands of the new slice: the `__JULIA` segment command, and
//! every existing command with its file offsets moved (`<mach-o/loader.h>`).

use super::parse::{Parsed, Segment};
use super::place::{Move, Place, NEW_COMMAND_LEN};
use super::{refuse, FRAME_LEN};
use crate::macho::layout::{linkedit_data_command, mach_header, CONTAINER_SECTION, CONTAINER_SEGMENT, S_REGULAR};
use crate::macho::layout::{LC_SEGMENT_64, NAME_LEN, SEGMENT_COMMAND_64, VM_PROT_READ};
use crate::read::Data;
use crate::write::error::InjectError;
use crate::write::{add, aligned, Bytes, Misfit, Patch, Problem};
use crate::{Endian, Format};

/// `__ji`'s alignment, 2^6: the frame's; the payload after it is page-aligned.
const SECTION_ALIGN: u32 = crate::frame::CONTAINER_ALIGN.trailing_zeros();

/// The new `__JULIA` segment.
pub(super) struct JuliaSegment {
    pub vmaddr: u64,
    pub fileoff: u64,
    pub size: u64,
    pub frame_at: u64,
    pub payload_size: u64,
}

impl JuliaSegment {
    /// `__JULIA` where the rebuilt part of the slice starts (`place.cut`):
    /// one page for the frame, whose last 64 bytes it takes, and the payload
    /// in whole pages.
    pub fn new(place: &Place, page: u64, payload_size: u64) -> Result<JuliaSegment, InjectError> {
        let fileoff = aligned(Format::MachO, "__JULIA fileoff", place.cut, page)?;
        let vmaddr = aligned(Format::MachO, "__JULIA vmaddr", place.cut_vm, page)?;
        let payload_pages = aligned(Format::MachO, "__JULIA payload pages", payload_size, page)?;
        let size = add("__JULIA size", page, payload_pages)?;
        let frame_at = add("the payload frame", fileoff, page.saturating_sub(FRAME_LEN))?;
        Ok(JuliaSegment { vmaddr, fileoff, size, frame_at, payload_size })
    }

    /// The zeros after the payload, to the segment's end.
    pub fn payload_padding(&self, page: u64) -> u64 {
        self.size.saturating_sub(page).saturating_sub(self.payload_size)
    }

    /// Its `LC_SEGMENT_64` and `section_64`, for a command at `at`.
    pub fn command(&self, page: u64, at: u64) -> Result<Vec<u8>, InjectError> {
        let section_size = add("__ji size", FRAME_LEN, self.payload_size)?;
        let section_addr = self.vmaddr.saturating_add(page).saturating_sub(FRAME_LEN);
        let offset = u32::try_from(self.frame_at).map_err(|_| {
            let reason = format!("__ji would start at {:#x}, beyond the 32-bit section offset", self.frame_at);
            refuse("Mach-O layout", at, reason)
        })?;
        let mut b = Bytes::new(Format::MachO, Endian::Little);
        b.u32(LC_SEGMENT_64).u32_field("cmdsize", NEW_COMMAND_LEN)?.name::<NAME_LEN>(CONTAINER_SEGMENT);
        b.u64(self.vmaddr).u64(self.size).u64(self.fileoff).u64(self.size); // vmaddr, vmsize, fileoff, filesize
        b.u32(VM_PROT_READ).u32(VM_PROT_READ).u32(1).u32(0); // maxprot, initprot, nsects, flags
        b.name::<NAME_LEN>(CONTAINER_SECTION).name::<NAME_LEN>(CONTAINER_SEGMENT).u64(section_addr).u64(section_size);
        b.u32(offset).u32(SECTION_ALIGN).u32(0).u32(0).u32(S_REGULAR); // offset, align, reloff, nreloc, flags
        b.u32(0).u32(0).u32(0); // reserved1..3
        Ok(b.bytes)
    }
}

/// What changes in the load commands.
pub(super) struct Rewrite<'a> {
    pub moved: &'a Move,
    pub julia: &'a JuliaSegment,
    pub page: u64,
    /// `__LINKEDIT`'s new placement.
    pub linkedit: Segment,
    /// LC_CODE_SIGNATURE's new `dataoff` and `datasize`.
    pub signature: Option<(u64, u64)>,
    /// What LC_DYLD_CHAINED_FIXUPS's `datasize` grows by.
    pub growth: u64,
}

/// A field of the command (or header) at `at` that cannot take its new value.
fn misfit(at: u64) -> impl FnOnce(Misfit) -> InjectError {
    move |m| {
        let reason = match m.problem {
            Problem::TooLarge { value, .. } => format!(
                "{} would be {value:#x}, beyond the 32-bit field: the output exceeds 4 GiB, Mach-O's limit",
                m.field
            ),
            Problem::Outside { .. } | Problem::Overflow => format!("{} is outside its command", m.field),
        };
        refuse("Mach-O load command", at, reason)
    }
}

/// The new mach header and load commands: every file offset moved, the
/// `__JULIA` command inserted before `__LINKEDIT`'s (or rewritten in place).
pub(super) fn rewrite_commands(
    parsed: &Parsed<'_>,
    image: Data<'_>,
    place: &Place,
    change: &Rewrite<'_>,
) -> Result<(Vec<u8>, Vec<u8>), InjectError> {
    let capacity = parsed.sizeofcmds.saturating_add(NEW_COMMAND_LEN);
    let mut commands = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    for (index, command) in parsed.commands.iter().enumerate() {
        let at = command.data.base;
        if place.old.is_none() && index == place.linkedit.command {
            commands.extend_from_slice(&change.julia.command(change.page, at)?);
        }
        if place.old.is_some_and(|old| old.command == index) {
            commands.extend_from_slice(&change.julia.command(change.page, at)?);
            continue;
        }
        let mut bytes = command.data.bytes.to_vec();
        rewrite_command(parsed, index, &mut bytes, at, change)?;
        commands.extend_from_slice(&bytes);
    }
    // The header: one more command, unless __JULIA was rewritten in place.
    let mut header = image.table("Mach-O header", 0, mach_header::LEN_64, 1)?.bytes.to_vec();
    if place.old.is_none() {
        let abs = |field: u64| image.base.saturating_add(field);
        let mut patch = Patch::new(&mut header, Format::MachO, Endian::Little, true);
        let ncmds = u64::from(parsed.ncmds).saturating_add(1);
        patch.u32("ncmds", mach_header::NCMDS, ncmds).map_err(misfit(abs(mach_header::NCMDS)))?;
        let sizeofcmds = commands.len() as u64;
        patch.u32("sizeofcmds", mach_header::SIZEOFCMDS, sizeofcmds).map_err(misfit(abs(mach_header::SIZEOFCMDS)))?;
    }
    Ok((header, commands))
}

/// Moves the file offsets in `bytes`, a copy of load command `index` at `at`.
fn rewrite_command(
    parsed: &Parsed<'_>,
    index: usize,
    bytes: &mut [u8],
    at: u64,
    change: &Rewrite<'_>,
) -> Result<(), InjectError> {
    let mut patch = Patch::new(bytes, Format::MachO, Endian::Little, true);
    for field in parsed.fields.iter().filter(|f| f.command == index) {
        let value = change.moved.map(field.value, field.extent).map_err(|e| {
            let reason = format!("{} ({:#x}): {e}", field.name, field.value);
            refuse("Mach-O load command", at.saturating_add(field.rel), reason)
        })?;
        match field.wide {
            true => patch.u64(field.name, field.rel, value),
            false => patch.u32(field.name, field.rel, value),
        }
        .map_err(misfit(at))?;
    }
    let datasize = linkedit_data_command::DATASIZE;
    if let Some((fixups, _, size)) = parsed.fixups {
        if fixups == index && change.growth > 0 {
            let size = size.saturating_add(change.growth);
            patch.u32("LC_DYLD_CHAINED_FIXUPS datasize", datasize, size).map_err(misfit(at))?;
        }
    }
    if let (Some((signature, _, _)), Some((off, size))) = (parsed.signature, change.signature) {
        if signature == index {
            let dataoff = linkedit_data_command::DATAOFF;
            patch.u32("LC_CODE_SIGNATURE dataoff", dataoff, off).map_err(misfit(at))?;
            patch.u32("LC_CODE_SIGNATURE datasize", datasize, size).map_err(misfit(at))?;
        }
    }
    if index == change.linkedit.command {
        let (l, s) = (&change.linkedit, SEGMENT_COMMAND_64);
        let fields = [("vmaddr", s.vmaddr, l.vmaddr), ("vmsize", s.vmsize, l.vmsize)];
        let fields =
            fields.into_iter().chain([("fileoff", s.fileoff, l.fileoff), ("filesize", s.filesize, l.filesize)]);
        for (name, rel, value) in fields {
            patch.u64(name, rel, value).map_err(misfit(at))?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn julia_command_fields() {
        let julia =
            JuliaSegment { vmaddr: 0x1_0000, fileoff: 0x8000, size: 0x8000, frame_at: 0xbfc0, payload_size: 100 };
        let c = julia.command(0x4000, 0).unwrap();
        assert_eq!(c.len(), 152);
        let w32 = |at: usize| u32::from_le_bytes(c[at..at + 4].try_into().unwrap());
        let w64 = |at: usize| u64::from_le_bytes(c[at..at + 8].try_into().unwrap());
        assert_eq!((w32(0), w32(4)), (0x19, 152));
        assert_eq!(&c[8..24], b"__JULIA\0\0\0\0\0\0\0\0\0");
        assert_eq!((w64(24), w64(32), w64(40), w64(48)), (0x1_0000, 0x8000, 0x8000, 0x8000));
        assert_eq!((w32(56), w32(60), w32(64), w32(68)), (1, 1, 1, 0), "maxprot, initprot, nsects, flags");
        assert_eq!(&c[72..88], b"__ji\0\0\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(&c[88..104], b"__JULIA\0\0\0\0\0\0\0\0\0");
        assert_eq!((w64(104), w64(112)), (0x1_3fc0, 164), "addr, size = frame + payload");
        assert_eq!((w32(120), w32(124), w32(136)), (0xbfc0, 6, 0), "offset, align 2^6, S_REGULAR");
    }
}
