//! Where everything goes in a data library, computed from the header and the
//! request alone before a byte is written, and the small `__LINKEDIT`
//! tables (export trie, symbol, strings) whose sizes that needs.

use sha2::{Digest, Sha256};

use super::super::emit::MachOHeader;
use super::super::inject::sign::Template;
use super::super::layout::{nlist_64, CPU_TYPE_ARM64, CPU_TYPE_X86_64, PAGE_SHIFT_ARM64, PAGE_SHIFT_X86_64};
use super::super::layout::{EXPORT_SYMBOL_FLAGS_KIND_REGULAR, N_EXT, N_SECT};
use crate::frame::SIZE as FRAME_SIZE;
use crate::record::SIZE as RECORD_SIZE;
use crate::write::aligned;
use crate::write::data_library::{DataLibraryLayout, DataLibrarySpec};
use crate::write::error::EmitError;
use crate::{FileRange, Format};

const FRAME_LEN: u64 = FRAME_SIZE as u64;
const RECORD_LEN: u64 = RECORD_SIZE as u64;
/// The record's alignment (it holds a `uint64_t`), as `section_64.align`.
pub(super) const RECORD_ALIGN_LOG2: u32 = 3;
/// ld64 and dyld align the symbol table and the export trie to the pointer
/// size; codesign starts the signature on 16 bytes (`resign::SIGNATURE_ALIGN`).
const TABLE_ALIGN: u64 = 8;
const SIGNATURE_ALIGN: u64 = 16;

/// The file offsets (equal to the addresses: `__TEXT` is at 0) of a data
/// library's parts.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    /// The target's page: 4096 (x86_64) or 16384 (arm64).
    pub page: u64,
    /// The record, the last 32 bytes of the `__TEXT` page.
    pub record_at: u64,
    /// `__JULIA`: one page for the frame (in its last 64 bytes), then the
    /// payload, to a page.
    pub julia: FileRange,
    pub frame_at: u64,
    pub payload: FileRange,
    /// `__LINKEDIT`: export trie, the one symbol, strings, signature.
    pub linkedit: FileRange,
    pub trie: FileRange,
    pub symtab_at: u64,
    pub strings: FileRange,
    pub signature: FileRange,
    /// What `__LINKEDIT` holds before the signature, built here.
    pub tables: Tables,
    pub template: Template,
}

/// The bytes of the `__LINKEDIT` tables, each padded to [`TABLE_ALIGN`].
#[derive(Clone, Debug)]
pub(super) struct Tables {
    pub trie: Vec<u8>,
    pub symbol: [u8; nlist_64::LEN as usize],
    pub strings: Vec<u8>,
}

/// The page of the target: x86_64 maps 4 KiB pages, arm64 16 KiB.
pub(super) fn page_shift(h: &MachOHeader) -> Result<u8, EmitError> {
    match h.cputype {
        CPU_TYPE_X86_64 => Ok(PAGE_SHIFT_X86_64),
        CPU_TYPE_ARM64 => Ok(PAGE_SHIFT_ARM64),
        other => Err(EmitError::Unsupported {
            triple: format!("Mach-O cputype {other:#x}"),
            reason: "data libraries are written for x86_64 and arm64 only",
        }),
    }
}

impl Plan {
    /// The plan for `spec` on the target of `h`.
    pub(super) fn new(h: &MachOHeader, spec: &DataLibrarySpec<'_>) -> Result<Plan, EmitError> {
        let page_shift = page_shift(h)?;
        let page = 1u64 << page_shift;
        let too_large = |field, value| EmitError::TooLarge { format: Format::MachO, field, value, limit: u64::MAX };
        let record_at = page.saturating_sub(RECORD_LEN);
        let payload_size = spec.payload_size;
        let payload_pages = aligned(Format::MachO, "__JULIA filesize", payload_size, page)?;
        let julia = FileRange { offset: page, size: sum("__JULIA", page, payload_pages)? };
        let payload = FileRange { offset: page.saturating_mul(2), size: payload_size };
        let frame_at = payload.offset.saturating_sub(FRAME_LEN);
        let linkedit_at = sum("__LINKEDIT", julia.offset, julia.size)?;

        let symbol = symbol_name(spec.symbol)?;
        let tables = Tables::new(&symbol, record_at);
        let trie = FileRange { offset: linkedit_at, size: tables.trie.len() as u64 };
        let symtab_at = sum("LC_SYMTAB symoff", trie.offset, trie.size)?;
        let strings =
            FileRange { offset: sum("LC_SYMTAB stroff", symtab_at, nlist_64::LEN)?, size: tables.strings.len() as u64 };
        let strings_end = sum("LC_SYMTAB strsize", strings.offset, strings.size)?;
        let signature_at = aligned(Format::MachO, "LC_CODE_SIGNATURE dataoff", strings_end, SIGNATURE_ALIGN)?;

        let template = Template::linker(identifier(spec.name), page_shift, [0, page, 0]);
        let signature_len = template.len(signature_at).ok_or(too_large("LC_CODE_SIGNATURE datasize", signature_at))?;
        let signature_len = aligned(Format::MachO, "LC_CODE_SIGNATURE datasize", signature_len, SIGNATURE_ALIGN)?;
        let signature = FileRange { offset: signature_at, size: signature_len };
        let end = sum("the code signature", signature_at, signature_len)?;
        let linkedit = FileRange { offset: linkedit_at, size: end.saturating_sub(linkedit_at) };
        Ok(Plan {
            page,
            record_at,
            julia,
            frame_at,
            payload,
            linkedit,
            trie,
            symtab_at,
            strings,
            signature,
            tables,
            template,
        })
    }

    /// The file's size: the signature ends it.
    pub(super) fn size(&self) -> u64 {
        self.signature.offset.saturating_add(self.signature.size)
    }

    /// The layout the caller gets, with offsets moved by `base` (the slice's
    /// offset in a universal file).
    pub(super) fn layout(&self, base: u64) -> DataLibraryLayout {
        let moved = |r: FileRange| FileRange { offset: r.offset.saturating_add(base), size: r.size };
        let container = FileRange { offset: self.frame_at, size: self.payload.size.saturating_add(FRAME_LEN) };
        DataLibraryLayout {
            container: moved(container),
            payload: moved(self.payload),
            record: moved(FileRange { offset: self.record_at, size: RECORD_LEN }),
            size: self.size(),
        }
    }
}

/// `a + b` for the field `field`, or the payload is too large.
fn sum(field: &'static str, a: u64, b: u64) -> Result<u64, EmitError> {
    a.checked_add(b).ok_or(EmitError::TooLarge {
        format: Format::MachO,
        field,
        value: a,
        limit: u64::MAX.saturating_sub(b),
    })
}

/// `_` + the C name: the symbol as C compilers spell it on Apple platforms.
fn symbol_name(symbol: &str) -> Result<Vec<u8>, EmitError> {
    if symbol.is_empty() || symbol.as_bytes().contains(&0) {
        return Err(invalid(format!("the data symbol name {symbol:?} is empty or holds a NUL byte")));
    }
    Ok([b"_", symbol.as_bytes()].concat())
}

/// A request the format cannot express (a name with a NUL byte, no slices).
pub(super) fn invalid(reason: String) -> EmitError {
    EmitError::BadRequest { format: crate::Format::MachO, reason }
}

/// The code signature's identifier: the install name's file name, as
/// linkers use the output's file name.
fn identifier(name: &str) -> &[u8] {
    let leaf = name.rsplit('/').next().unwrap_or(name);
    if leaf.is_empty() { name } else { leaf }.as_bytes()
}

impl Tables {
    fn new(symbol: &[u8], address: u64) -> Tables {
        let mut symbol_entry = [0u8; nlist_64::LEN as usize];
        let fields: [(u64, &[u8]); 4] = [
            (nlist_64::STRX, &STRX.to_le_bytes()),
            (nlist_64::TYPE, &[N_SECT | N_EXT]),
            (nlist_64::SECT, &[1]), // __TEXT,__const, the first section
            (nlist_64::VALUE, &address.to_le_bytes()),
        ];
        for (at, bytes) in fields {
            let at = usize::try_from(at).unwrap_or(usize::MAX);
            if let Some(slot) = symbol_entry.get_mut(at..at.saturating_add(bytes.len())) {
                slot.copy_from_slice(bytes);
            }
        }
        // ld64's string table: index 0 a space, index 1 the empty string.
        let mut strings = [b" \0", symbol, b"\0"].concat();
        pad(&mut strings);
        Tables { trie: export_trie(symbol, address), symbol: symbol_entry, strings }
    }
}

/// `n_strx` of the symbol: after " \0".
const STRX: u32 = 2;

/// `bytes` zero-padded to [`TABLE_ALIGN`].
fn pad(bytes: &mut Vec<u8>) {
    let len = bytes.len().next_multiple_of(TABLE_ALIGN as usize);
    bytes.resize(len, 0);
}

/// ULEB128 of `value`.
fn uleb(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn uleb_len(value: u64) -> u64 {
    let mut out = Vec::new();
    uleb(value, &mut out);
    out.len() as u64
}

/// The export trie (`<mach-o/loader.h>`, "export information") of one
/// regular symbol at image offset `address`: a root with no terminal
/// information and one edge, labelled with the whole name, to a node whose
/// terminal information is the flags and the address.
fn export_trie(symbol: &[u8], address: u64) -> Vec<u8> {
    let mut terminal = vec![EXPORT_SYMBOL_FLAGS_KIND_REGULAR];
    uleb(address, &mut terminal);
    // Root: terminal size 0, one child, the label and its NUL, the child's
    // offset, whose ULEB length the offset itself depends on.
    let fixed = (symbol.len() as u64).saturating_add(3);
    let mut child = fixed.saturating_add(1);
    while fixed.saturating_add(uleb_len(child)) != child {
        child = fixed.saturating_add(uleb_len(child));
    }
    let mut trie = vec![0, 1];
    trie.extend_from_slice(symbol);
    trie.push(0);
    uleb(child, &mut trie);
    uleb(terminal.len() as u64, &mut trie);
    trie.extend_from_slice(&terminal);
    trie.push(0); // no children
    pad(&mut trie);
    trie
}

/// A UUID that names this request (RFC 4122 name-based layout, SHA-256):
/// the same request gives the same file, another payload another UUID.
pub(super) fn uuid(h: &MachOHeader, spec: &DataLibrarySpec<'_>) -> [u8; 16] {
    let mut hash = Sha256::new();
    for word in [h.cputype, h.cpusubtype, h.platform, h.minos, spec.payload_crc32c] {
        hash.update(word.to_le_bytes());
    }
    hash.update(spec.payload_size.to_le_bytes());
    for name in [spec.name, spec.symbol] {
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
    }
    let digest: [u8; 32] = hash.finalize().into();
    let mut uuid = *digest.first_chunk::<16>().unwrap_or(&[0; 16]);
    if let Some(version) = uuid.get_mut(6) {
        *version = (*version & 0x0f) | 0x50; // version 5: name-based, SHA
    }
    if let Some(variant) = uuid.get_mut(8) {
        *variant = (*variant & 0x3f) | 0x80; // the RFC 4122 variant
    }
    uuid
}
