//! Find, verify and write a data payload carried inside a valid shared library.
//!
//! Julia caches a precompiled package as two files, a `.ji` (metadata and
//! serialized data) and a shared library (native code); checking the cache
//! today means `dlopen`ing the library. This crate makes one file both: the
//! payload sits in a container that the platform loader ignores or maps
//! lazily, and is found again by walking only the format's headers.
//! `docs/FORMAT.md` in the repository is the byte-level contract, and
//! `docs/ARCHITECTURE.md` the map of the code.
//!
//! | format | container |
//! |---|---|
//! | ELF `.so` / `.o` | section `.jlji` (not loaded) |
//! | Mach-O, thin or universal | section `__ji` of its own segment `__JULIA` |
//! | PE `.dll` / COFF `.obj` | section `.jlji`, the payload possibly in the overlay |
//!
//! The container starts with a 64-byte [`Frame`] that gives the payload's
//! offset, size and CRC-32C.
//!
//! # Three operations
//!
//! - **Locate:** [`find_ji_payload`] returns a [`Payload`] after reading the
//!   headers and the frame. [`find_section`] gives the file range of any named
//!   section the same way, and [`ji::Header`] decodes a Julia `.ji` payload.
//!   [`Slice::sections`], [`dependencies()`] and [`find_symbol`] walk the same
//!   headers for every section, dependency record and exported symbol.
//! - **Verify:** [`Payload::verify`] checks the CRC-32C. It reads every payload
//!   byte, so it is a separate call: a loader can locate on every start and
//!   verify only when it first trusts a cache.
//! - **Write** (needs `std`): [`emit_object`] makes a relocatable object to link
//!   into the library; [`inject()`] adds a payload to a linked library,
//!   atomically (temporary file, check, rename). For split images,
//!   [`emit::Target::write_data_library`] writes a data library that code
//!   caches link against, and [`split::find_data_library`] finds it again.
//!
//! ```
//! // `elf/x86_64-linux-musl.so` in corpus/expected.json: payload at 1088, 1000 bytes.
//! let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
//! let payload = pkgimg::find_ji_payload(&file)?;
//! assert_eq!((payload.offset(), payload.size()), (1088, 1000));
//! payload.verify()?;
//! # Ok::<(), pkgimg::Error>(())
//! ```
//!
//! # What the lookup path guarantees
//!
//! Locating ([`find_ji_payload`], [`find_section`], [`slices`], [`payloads`],
//! [`host_slice`], the [`Slice`] methods, [`ji::Header::decode`]) is meant to
//! run on untrusted files inside a language runtime, so:
//!
//! - **No `unsafe`:** `#![deny(unsafe_code)]`; only [`capi`] (a C pointer
//!   becomes a slice), [`MappedFile`], [`mod@inject`] (file mappings, a
//!   writeback hint) and [`write_path`] (locks, `SEEK_DATA`, `renameat2`,
//!   extended attributes, the signal handler) opt back in, each at a marked
//!   place. The lookup path has none.
//! - **No panic on any input:** clippy denies `indexing_slicing`,
//!   `arithmetic_side_effects`, `unwrap_used`, `expect_used` and `panic` for the
//!   whole crate (the `[lints.clippy]` table in Cargo.toml); every read is a
//!   bounds-checked `get` and every `offset + size` a checked add.
//! - **No allocation, no `std`:** it builds with `--no-default-features`
//!   (CI checks this); errors are plain values (integers, `&'static str`).
//! - **Cost independent of the file's size:** it reads the headers and the
//!   64-byte frame, never the payload or code. The work grows only with the
//!   number of sections or load commands, whose counts are checked against the
//!   bytes before any loop.
//!
//! # Universal (fat) Mach-O files
//!
//! [`find_ji_payload`] and [`find_section`] look in [`host_slice`], the slice a
//! loader on this CPU would pick ([`Arch::HOST`]), and fail with
//! [`Error::NoHostSlice`] if there is none. [`payloads`] and [`slices`] visit
//! every slice, for tools that inspect files made for other machines. Offsets
//! are always absolute, counted from the start of the whole file.
//!
//! # Errors
//!
//! An [`Error`] is a value, never a panic, and its `Display` is one line naming
//! the structure and its absolute file offset, e.g. `ELF section header table
//! at 0x1530 (64 × 15 bytes) runs past the end of the file (0x1710 bytes)`, so
//! it can be checked against a hex dump. The writers have their own error
//! types in the same style: [`EmitError`], and [`InjectError`], which also
//! names the file and, for a refusal, what would make the write possible.
//!
//! # Features
//!
//! - `std` (default): the writers ([`emit_object`] everywhere; [`inject()`]
//!   on Unix only, since it writes at file offsets, maps files and syncs
//!   directories through Unix interfaces), the C interface, [`MappedFile`],
//!   `std::error::Error` impls, and the hardware CRC-32C (SSE4.2 / ARMv8).
//!   Without it, locating, [`frame`], [`ji`] and a table-driven
//!   [`crc::crc32c`] remain.
//! - `cli` (default, implies `std`): the `jiscan` tool (scan, show, check,
//!   extract, inject, emit, deps).
//!
//! # From C
//!
//! With `std`, the `staticlib` and `cdylib` export [`capi`]'s functions,
//! declared in `include/pkgimg.h`: `pkgimg_find_ji_payload`,
//! `pkgimg_find_ji_payload_path`, `pkgimg_payload_info`, `pkgimg_verify`,
//! `pkgimg_find_data_library` and `pkgimg_strerror`.
#![cfg_attr(not(feature = "std"), no_std)]
// The guide above links to the writers and the C interface, which exist only with `std`.
#![cfg_attr(not(feature = "std"), allow(rustdoc::broken_intra_doc_links))]
// `unsafe` is opted into at marked places only: the C interface (a C pointer
// into a slice), mapping a file (memmap2) and a writeback hint. The lookup
// path has none.
#![deny(unsafe_code)]
#![warn(missing_docs)]
// The lookup path must not panic on any input: clippy denies indexing,
// unchecked arithmetic, unwrap, expect and panic for the whole crate, by the
// `[lints.clippy]` table in Cargo.toml. Only test modules and the compile-time
// CRC table opt out.

mod arch;
#[cfg(feature = "std")]
pub mod capi;
mod coff;
pub mod crc;
mod dependencies;
mod elf;
#[cfg(feature = "std")]
pub mod emit;
mod error;
#[cfg(feature = "std")]
mod file;
pub mod frame;
mod image;
#[cfg(all(feature = "std", unix))]
pub mod inject;
pub mod ji;
mod lookup;
mod macho;
#[cfg(all(feature = "std", unix))]
pub(crate) mod path;
mod payload;
mod read;
pub mod record;
mod sections;
mod slice;
#[cfg(all(feature = "std", unix))]
pub mod split;
mod symbols;
#[cfg(test)]
mod testing;
mod walk;
#[cfg(feature = "std")]
mod write;
#[cfg(all(feature = "std", unix))]
pub mod write_path;

pub use arch::Arch;
pub use dependencies::{dependencies, Dependencies, Dependency, DependencyKind};
#[cfg(feature = "std")]
pub use emit::{emit_object, emit_object_to_vec, EmitError, Layout, Target};
pub use error::{Error, CONTAINER_DATA, MAX_LISTED_SLICES};
#[cfg(feature = "std")]
pub use file::MappedFile;
pub use frame::Frame;
pub use image::{container_name, Endian, FileRange, Format, Image, Lookup};
#[cfg(all(feature = "std", unix))]
pub use inject::{inject, inject_in_place, InjectError, InjectOptions, InjectReport};
use lookup::payload_of;
#[cfg(all(feature = "std", unix))]
pub use path::{find_ji_payload_file, find_ji_payload_path, LocateError, Located};
pub use payload::Payload;
pub use sections::{Section, SectionKind, Sections};
pub use slice::{host_slice, payloads, slices, Slice, SlicePayload, Slices};
#[cfg(all(feature = "std", unix))]
pub use split::find_data_library;
pub use symbols::{find_symbol, Symbol};

/// Finds the section `name` in `file` (for a universal file, in the host's
/// slice) and returns the image's identity and the section's file range.
///
/// Names: ELF, the exact section name (`.rustc`, `.jlji`); Mach-O,
/// `SEGMENT,section` (`__TEXT,__text`); PE/COFF, the 8-byte section name
/// (names longer than 8 bytes, which need a string table, are refused).
///
/// Section flags and types are not consulted, except that sections with no
/// bytes in the file (ELF `SHT_NOBITS`, Mach-O zero-fill, COFF uninitialised
/// data) have size 0. Two sections of that name are [`Error::Ambiguous`].
///
/// ```
/// use pkgimg::{FileRange, Format};
/// // llvm-readobj --sections: `.jlji` at 0x3c0, 1128 bytes; `.relro_padding`
/// // is SHT_NOBITS at 0x370 (3216 bytes in memory, none in the file); no `.bss`.
/// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// let lookup = pkgimg::find_section(&file, ".jlji")?;
/// assert_eq!(lookup.image.format, Format::Elf);
/// assert_eq!(lookup.section, Some(FileRange { offset: 0x3c0, size: 1128 }));
/// let padding = pkgimg::find_section(&file, ".relro_padding")?.section;
/// assert_eq!(padding, Some(FileRange { offset: 0x370, size: 0 }));
/// // A missing section is not an error: the image is still described.
/// assert_eq!(pkgimg::find_section(&file, ".bss")?.section, None);
/// # Ok::<(), pkgimg::Error>(())
/// ```
pub fn find_section(file: &[u8], name: &str) -> Result<Lookup, Error> {
    host_slice(file)?.find_section(name)
}

/// Finds the payload in `file`: for a universal Mach-O, in the slice of the
/// CPU this code runs on ([`Error::NoHostSlice`] lists the slices otherwise).
///
/// This reads only headers and the 64-byte frame. It checks that the payload
/// lies in the file, but not its checksum: call [`Payload::verify`] for that.
///
/// ```
/// use pkgimg::{Arch, Error, Format};
/// // corpus/expected.json: `elf/x86_64-linux-musl.so` has its payload at 1088.
/// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// assert_eq!(pkgimg::find_ji_payload(&file)?.offset(), 1088);
///
/// // The same library without a container: an error value, with a message
/// // that says what was looked for.
/// let plain = std::fs::read("corpus/nopayload/x86_64-linux-musl.so").unwrap();
/// let error = pkgimg::find_ji_payload(&plain).unwrap_err();
/// assert_eq!(error, Error::NoContainer { format: Format::Elf, arch: Arch::X86_64 });
/// assert_eq!(error.to_string(), "no payload: this ELF x86_64 image has no .jlji container");
/// # Ok::<(), pkgimg::Error>(())
/// ```
pub fn find_ji_payload(file: &[u8]) -> Result<Payload<'_>, Error> {
    // A thin file, the common case, is its own slice: no universal-header machinery.
    if macho::fat::is_fat(file) {
        host_slice(file)?.find_ji_payload()
    } else {
        payload_of(file, 0, None)
    }
}
