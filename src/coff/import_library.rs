//! Writes the import library of a PE data library: the archive a code DLL
//! links against (`-lfoo_data` with `libfoo_data.dll.a`, or `foo_data.lib`)
//! to import one data export from it. Both lld-link and GNU ld (MinGW)
//! accept it; its members are those [`objects`] describes, each named after
//! the DLL, in an archive of GNU's layout ("Archive (Library) File Format"):
//!
//! ```text
//! !<arch>\n
//! "/"   first linker member: 4 symbols, each with its member's offset (big-endian)
//! "//"  long names, only if the DLL's name is 16 bytes or longer
//! member 1  __IMPORT_DESCRIPTOR_foo_data         (COFF object)
//! member 2  __NULL_IMPORT_DESCRIPTOR             (COFF object)
//! member 3  \x7ffoo_data_NULL_THUNK_DATA         (COFF object)
//! member 4  __imp_jl_pkgimg_data                 (short import, data)
//! ```
//!
//! This is byte for byte what LLVM 14's `llvm-dlltool -d foo.def -l ...`
//! writes for `EXPORTS jl_pkgimg_data DATA`. The second (Microsoft) linker
//! member is not written: lld-link and GNU ld find members through the
//! first; `link.exe` reads such archives too, but was not available to try.
//!
//! Symbol names are as the machine's C compiler decorates them: on x86 a C
//! name gets a leading `_`, so the short import defines `__imp__name` with
//! name type `IMPORT_OBJECT_NAME_NOPREFIX` (the export it imports is `name`);
//! elsewhere `__imp_name` with `IMPORT_OBJECT_NAME`.

mod objects;

use std::io::Write;

use super::emit::CoffHeader;
use super::layout::ARCHIVE_MAGIC;
use super::layout::{
    member_header, IMAGE_FILE_32BIT_MACHINE, IMAGE_FILE_MACHINE_AMD64, IMAGE_FILE_MACHINE_ARM64,
    IMAGE_FILE_MACHINE_I386, IMAGE_REL_AMD64_ADDR32NB, IMAGE_REL_ARM64_ADDR32NB, IMAGE_REL_I386_DIR32NB,
    IMPORT_DESCRIPTOR_PREFIX, IMPORT_OBJECT_NAME, IMPORT_OBJECT_NAME_NOPREFIX, IMPORT_PREFIX, LINKER_MEMBER_NAME,
    LONGNAMES_MEMBER_NAME, LONG_NAME_END, MEMBER_NAME_END, NULL_IMPORT_DESCRIPTOR, NULL_THUNK_DATA_PREFIX,
    NULL_THUNK_DATA_SUFFIX,
};
use crate::write::error::EmitError;
use crate::write::{align_up, Misfit, Problem};
use crate::Format;

/// What the machine changes in the members.
pub(crate) struct Machine {
    machine: u16,
    /// A pointer's size: an address and lookup table entry.
    pointer: usize,
    /// The relocation type of an RVA.
    addr32nb: u16,
    /// The objects' file header `Characteristics`.
    object_characteristics: u16,
    /// The short import's name type.
    name_type: u16,
}

/// The names the members define and refer to.
pub(crate) struct Names<'a> {
    /// The DLL's file name, as the import directory will name it.
    dll: &'a str,
    /// `__IMPORT_DESCRIPTOR_` and the DLL's name without its extension.
    descriptor: String,
    /// `\x7f`, that stem, `_NULL_THUNK_DATA`.
    null_thunk: String,
    /// The exported symbol's name as the C compiler spells it.
    symbol: String,
    /// `__imp_` and that.
    import: String,
}

/// Writes the import library through which code imports `symbol`, a data
/// export of the DLL `dll_name` (a file name, such as `foo_data.dll`), for
/// `header`'s machine: x86_64, x86 or aarch64.
pub(crate) fn write(header: &CoffHeader, dll_name: &str, symbol: &str, out: &mut dyn Write) -> Result<(), EmitError> {
    let m = machine(header)?;
    let names = names(&m, dll_name, symbol)?;
    let members = [
        (objects::import_descriptor(&m, &names)?, names.descriptor.as_str()),
        (objects::null_import_descriptor(&m)?, NULL_IMPORT_DESCRIPTOR),
        (objects::null_thunk(&m, &names)?, names.null_thunk.as_str()),
        (objects::short_import(&m, &names)?, names.import.as_str()),
    ];
    archive(dll_name, &members, out)
}

fn machine(header: &CoffHeader) -> Result<Machine, EmitError> {
    let (pointer, addr32nb, object_characteristics, name_type) = match header.machine {
        IMAGE_FILE_MACHINE_AMD64 => (8, IMAGE_REL_AMD64_ADDR32NB, 0, IMPORT_OBJECT_NAME),
        IMAGE_FILE_MACHINE_ARM64 => (8, IMAGE_REL_ARM64_ADDR32NB, 0, IMPORT_OBJECT_NAME),
        IMAGE_FILE_MACHINE_I386 => (4, IMAGE_REL_I386_DIR32NB, IMAGE_FILE_32BIT_MACHINE, IMPORT_OBJECT_NAME_NOPREFIX),
        other => {
            return Err(EmitError::Unsupported {
                triple: format!("PE machine {other:#06x}"),
                reason: "the import-library writer knows x86_64, x86 and aarch64",
            })
        }
    };
    Ok(Machine { machine: header.machine, pointer, addr32nb, object_characteristics, name_type })
}

/// Checks the names (a DLL file name, not a path; no NUL) and derives the
/// members' symbol names from them.
fn names<'a>(m: &Machine, dll: &'a str, symbol: &str) -> Result<Names<'a>, EmitError> {
    let bad = |what, name: &str, rule| {
        let message = format!("import library {what} {name:?} {rule}");
        Err(EmitError::BadRequest { format: crate::Format::Pe, reason: message })
    };
    if dll.is_empty() || dll.contains(['\0', '/', '\\', '\n']) {
        return bad("DLL name", dll, "must be a file name: non-empty, without NUL, '/', '\\' or newline");
    }
    if symbol.is_empty() || symbol.contains('\0') {
        return bad("symbol name", symbol, "must be non-empty and hold no NUL");
    }
    // The stem, as LLVM and binutils take it: up to the last '.'.
    let stem = dll.rsplit_once('.').map_or(dll, |(stem, _)| stem);
    let symbol = if m.name_type == IMPORT_OBJECT_NAME_NOPREFIX { format!("_{symbol}") } else { symbol.to_owned() };
    Ok(Names {
        dll,
        descriptor: format!("{IMPORT_DESCRIPTOR_PREFIX}{stem}"),
        null_thunk: format!("{NULL_THUNK_DATA_PREFIX}{stem}{NULL_THUNK_DATA_SUFFIX}"),
        import: format!("{IMPORT_PREFIX}{symbol}"),
        symbol,
    })
}

/// The archive: signature, first linker member (the symbol table), long
/// names if `name` needs them, then `members`, each `(bytes, symbol)`, all
/// named `name`.
fn archive(name: &str, members: &[(Vec<u8>, &str)], out: &mut dyn Write) -> Result<(), EmitError> {
    let overflow = |field, at| EmitError::from(Misfit { format: Format::Coff, field, at, problem: Problem::Overflow });
    // The symbol table: count, one offset per symbol, the names; padded to even.
    let mut names = Vec::new();
    for (_, symbol) in members {
        names.extend_from_slice(symbol.as_bytes());
        names.push(0);
    }
    let count = members.len() as u64;
    let table_size = 4u64.saturating_add(4u64.saturating_mul(count)).saturating_add(names.len() as u64);
    let padded = align_up(table_size, member_header::ALIGN).ok_or(overflow("archive symbol table", 0))?;
    names.resize(names.len().saturating_add((padded.saturating_sub(table_size)) as usize), 0);
    // A name of 16 bytes or more (with its '/') goes to the long names member.
    let mut short = name.as_bytes().to_vec();
    short.push(MEMBER_NAME_END);
    let (member_name, longnames) = if short.len() <= member_header::NAME.1 {
        (short, None)
    } else {
        let mut longnames = [name.as_bytes(), LONG_NAME_END].concat();
        if longnames.len() % 2 == 1 {
            longnames.push(member_header::PAD);
        }
        (vec![MEMBER_NAME_END, b'0'], Some(longnames))
    };
    let mut at = [ARCHIVE_MAGIC.len() as u64, member_header::SIZE, padded].iter().sum::<u64>();
    if let Some(longnames) = &longnames {
        at = at.saturating_add(member_header::SIZE).saturating_add(longnames.len() as u64);
    }
    let mut offsets = Vec::with_capacity(members.len());
    for (bytes, _) in members {
        offsets.push(u32::try_from(at).map_err(|_| overflow("archive member offset", at))?);
        let size = member_header::SIZE.saturating_add(bytes.len() as u64);
        at = align_up(at.saturating_add(size), member_header::ALIGN).ok_or(overflow("archive member", at))?;
    }
    out.write_all(&ARCHIVE_MAGIC)?;
    out.write_all(&header(LINKER_MEMBER_NAME, Some(b"0"), padded)?)?;
    out.write_all(&(count as u32).to_be_bytes())?;
    for offset in offsets {
        out.write_all(&offset.to_be_bytes())?;
    }
    out.write_all(&names)?;
    if let Some(longnames) = longnames {
        out.write_all(&header(LONGNAMES_MEMBER_NAME, None, longnames.len() as u64)?)?;
        out.write_all(&longnames)?;
    }
    for (bytes, _) in members {
        out.write_all(&header(&member_name, Some(b"644"), bytes.len() as u64)?)?;
        out.write_all(bytes)?;
        if bytes.len() % 2 == 1 {
            out.write_all(&[member_header::PAD])?;
        }
    }
    Ok(())
}

/// A member header: `name`, date, user and group 0 and `mode` (all blank
/// for the long names member, `mode` `None`), `size`; ASCII, space-padded.
fn header(name: &[u8], mode: Option<&[u8]>, size: u64) -> Result<[u8; member_header::SIZE as usize], EmitError> {
    let mut header = [b' '; member_header::SIZE as usize];
    let size = size.to_string();
    let mut fields = vec![(member_header::NAME, name), (member_header::SIZE_FIELD, size.as_bytes())];
    if let Some(mode) = mode {
        let zero: &[u8] = b"0";
        fields.extend([(member_header::DATE, zero), (member_header::USER_ID, zero), (member_header::GROUP_ID, zero)]);
        fields.push((member_header::MODE, mode));
    }
    fields.push((member_header::END_OF_HEADER, &member_header::END));
    for ((at, width), value) in fields {
        let slot = header.get_mut(at..at.saturating_add(value.len())).filter(|_| value.len() <= width);
        let slot = slot.ok_or(EmitError::TooLarge {
            format: Format::Coff,
            field: "archive member header field",
            value: value.len() as u64,
            limit: width as u64,
        })?;
        slot.copy_from_slice(value);
    }
    Ok(header)
}

#[cfg(test)]
#[path = "import_library/tests.rs"]
pub(crate) mod tests;

#[cfg(test)]
#[path = "import_library/proof.rs"]
mod proof;
