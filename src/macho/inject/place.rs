//! Where the rebuilt part of a slice starts (`Place`), the checks that it
//! can be rebuilt there, and how every file offset into what moves changes
//! (`Move`): what the load commands, `__LINKEDIT` and the signature all
//! need, kept apart from each of them so that none depends on another.

use super::parse::{Parsed, Segment};
use super::refuse;
use crate::macho::layout::{
    mach_header, CONTAINER_SECTION, CONTAINER_SEGMENT, NAME_LEN, SECTION_64, SEGMENT_COMMAND_64, SEG_LINKEDIT,
};
use crate::read::Data;
use crate::write::add;
use crate::write::error::InjectError;
use crate::write::plan::InjectOptions;

/// The new `LC_SEGMENT_64` with its one `section_64`.
pub(super) const NEW_COMMAND_LEN: u64 = SEGMENT_COMMAND_64.len + SECTION_64.len;

/// Where the rebuilt part of a slice starts, and what it replaces.
pub(super) struct Place {
    pub linkedit: Segment,
    pub linkedit_end: u64,
    /// An existing `__JULIA` (replace), rewritten in place.
    pub old: Option<Segment>,
    /// File offset and address from which everything is rebuilt: the old
    /// `__JULIA`, or `__LINKEDIT`.
    pub cut: u64,
    pub cut_vm: u64,
}

/// The segment named `name`, if there is one; a second one is refused.
fn unique(parsed: &Parsed<'_>, name: &[u8], what: &str) -> Result<Option<Segment>, InjectError> {
    let mut found = parsed.segments.iter().filter(|s| s.is(name)).copied();
    let first = found.next();
    match found.next() {
        Some(second) => {
            Err(refuse("Mach-O segment", parsed.command_at(second.command), format!("a second {what} segment")))
        }
        None => Ok(first),
    }
}

/// Finds `__LINKEDIT` (and an old `__JULIA`) and checks that nothing else
/// lies at or after them, so that only they move.
pub(super) fn place(parsed: &Parsed<'_>, image: Data<'_>, options: &InjectOptions) -> Result<Place, InjectError> {
    let at = |segment: &Segment| parsed.command_at(segment.command);
    let first_command = image.base.saturating_add(mach_header::LEN_64);
    let linkedit = unique(parsed, SEG_LINKEDIT, "__LINKEDIT")?
        .ok_or_else(|| refuse("Mach-O load commands", first_command, "no __LINKEDIT segment"))?;
    let linkedit_end = add("__LINKEDIT", linkedit.fileoff, linkedit.filesize)?;
    if linkedit.nsects != 0 {
        return Err(refuse("Mach-O __LINKEDIT segment", at(&linkedit), "__LINKEDIT has sections"));
    }
    if linkedit_end != image.len() {
        let reason = format!(
            "__LINKEDIT ends at {linkedit_end:#x} but the image is {:#x} bytes: it must be the end of the file",
            image.len()
        );
        return Err(refuse("Mach-O __LINKEDIT segment", at(&linkedit), reason));
    }
    let old = unique(parsed, CONTAINER_SEGMENT, "__JULIA")?;
    if let Some(old) = old {
        if !options.replace {
            let offset = image.base.saturating_add(old.fileoff);
            return Err(InjectError::AlreadyHasPayload { path: Default::default(), offset });
        }
        check_old_container(parsed, old, &linkedit)?;
    }
    let (cut, cut_vm) = old.map_or((linkedit.fileoff, linkedit.vmaddr), |o| (o.fileoff, o.vmaddr));
    let place = Place { linkedit, linkedit_end, old, cut, cut_vm };
    check_nothing_after(parsed, &place)?;
    if old.is_none() {
        // The new command goes just before __LINKEDIT's: a segment with
        // sections after it would see its section ordinals (n_sect) shift.
        if let Some(s) = parsed.segments.iter().find(|s| s.command > linkedit.command && s.nsects > 0) {
            return Err(refuse("Mach-O segment", at(s), "a segment with sections follows __LINKEDIT's load command"));
        }
        check_headerpad(parsed, image)?;
    }
    Ok(place)
}

/// Every other segment ends, in the file and in memory, before the cut.
fn check_nothing_after(parsed: &Parsed<'_>, place: &Place) -> Result<(), InjectError> {
    let moving = |s: &Segment| s.command == place.linkedit.command || place.old.is_some_and(|o| o.command == s.command);
    for segment in parsed.segments.iter().filter(|s| !moving(s)) {
        let file_end = add("segment", segment.fileoff, segment.filesize)?;
        let vm_end = add("segment address range", segment.vmaddr, segment.vmsize)?;
        if (segment.filesize > 0 && file_end > place.cut) || (segment.vmsize > 0 && vm_end > place.cut_vm) {
            let name = String::from_utf8_lossy(&segment.name).trim_end_matches('\0').to_string();
            let what = if place.old.is_some() { "the existing __JULIA" } else { "__LINKEDIT" };
            let reason = format!(
                "segment {name} lies after the start of {what}; \
                 only images whose last segment is __LINKEDIT are supported"
            );
            return Err(refuse("Mach-O segment", parsed.command_at(segment.command), reason));
        }
    }
    Ok(())
}

/// Where things go: the bytes from `cut` on are rebuilt, `__LINKEDIT` moves
/// from `linkedit` to `new_linkedit`, and the chained-fixups blob at
/// `[fixups.0, fixups.1)` may grow by `growth` bytes.
pub(super) struct Move {
    pub cut: u64,
    pub linkedit: u64,
    pub linkedit_end: u64,
    pub new_linkedit: u64,
    pub fixups: Option<(u64, u64)>,
    pub growth: u64,
}

impl Move {
    /// The new value of a file offset `value` that points at `extent` bytes,
    /// or why it cannot be moved.
    pub fn map(&self, value: u64, extent: u64) -> Result<u64, String> {
        let end = value.checked_add(extent).ok_or("offset plus size overflows")?;
        if value >= self.linkedit && end <= self.linkedit_end {
            let mut extra = 0;
            if let Some((start, stop)) = self.fixups {
                if self.growth > 0 && value >= stop {
                    extra = self.growth;
                } else if (value > start && value < stop) || (value < start && end > start) {
                    return Err(format!("it overlaps the chained fixups at [{start:#x}, {stop:#x})"));
                }
            }
            return self
                .new_linkedit
                .checked_add(value.saturating_sub(self.linkedit))
                .and_then(|v| v.checked_add(extra))
                .ok_or_else(|| "the new offset overflows".to_string());
        }
        if end <= self.cut {
            return Ok(value);
        }
        Err(format!(
            "it points at [{value:#x}, {end:#x}), which is neither before {:#x} nor inside __LINKEDIT [{:#x}, {:#x})",
            self.cut, self.linkedit, self.linkedit_end
        ))
    }
}

/// Checks that an existing `__JULIA` can be rebuilt in place: one section
/// `__ji`, before `__LINKEDIT` in the commands, the file and memory.
pub(super) fn check_old_container(parsed: &Parsed<'_>, old: Segment, linkedit: &Segment) -> Result<(), InjectError> {
    let command = parsed.commands.get(old.command).ok_or_else(|| refuse("Mach-O load commands", 0, "index"))?;
    let at = command.data.base;
    let structure = "Mach-O __JULIA segment";
    if old.nsects != 1 || command.data.len() != NEW_COMMAND_LEN {
        let reason =
            format!("the existing __JULIA segment has {} sections; only one (__ji) can be replaced", old.nsects);
        return Err(refuse(structure, at, reason));
    }
    let section = command.data.table("Mach-O section header", SEGMENT_COMMAND_64.len, SECTION_64.len, 1)?;
    if !section.padded_is::<NAME_LEN>(SECTION_64.sectname, CONTAINER_SECTION)? {
        return Err(refuse(structure, at, "the existing __JULIA segment's section is not __ji"));
    }
    let before = old.command < linkedit.command
        && old.file_end().is_some_and(|end| end <= linkedit.fileoff)
        && old.vm_end().is_some_and(|end| end <= linkedit.vmaddr);
    if !before {
        return Err(refuse(structure, at, "the existing __JULIA segment does not come before __LINKEDIT"));
    }
    Ok(())
}

/// The new command needs 152 bytes of zeros after the load commands.
pub(super) fn check_headerpad(parsed: &Parsed<'_>, image: Data<'_>) -> Result<(), InjectError> {
    let end = mach_header::LEN_64.saturating_add(parsed.sizeofcmds);
    let available = parsed.first_data.saturating_sub(end);
    if available < NEW_COMMAND_LEN {
        return Err(refuse(
            "Mach-O load commands",
            image.base.saturating_add(end),
            format!(
                "the new __JULIA load command needs {NEW_COMMAND_LEN} bytes between the load commands and the first \
                 section data at {:#x}, but only {available} are free; relink with more header padding, \
                 e.g. -Wl,-headerpad,0x1000",
                parsed.first_data
            ),
        ));
    }
    let pad = image.table("Mach-O header padding", end, NEW_COMMAND_LEN, 1)?;
    if let Some(i) = pad.bytes.iter().position(|&b| b != 0) {
        return Err(refuse(
            "Mach-O header padding",
            pad.base.saturating_add(i as u64),
            "the space after the load commands is not zero: something else uses it",
        ));
    }
    Ok(())
}
