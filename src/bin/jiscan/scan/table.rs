//! `jiscan scan`'s table: rows printed a block at a time as the walk goes,
//! and the summary.

use std::io::{self, Write};

use super::{Kind, PayloadInfo, Record};
use crate::files::WalkStats;
use crate::text::escape;

/// How many rows the table holds back at most before printing them: enough
/// to align a small scan's columns as one block, few enough that a long walk
/// shows its first rows at once.
pub(super) const BLOCK: usize = 32;

/// The table, printed as the walk goes: rows are held back in blocks of
/// [`BLOCK`], each column as wide as its widest cell so far, so columns are
/// aligned within a block and widen (never narrow) from one block to the
/// next. A scan of up to `BLOCK` rows is one aligned table.
pub(super) struct Table {
    pending: Vec<[String; 9]>,
    widths: [usize; 8],
    header: bool,
    /// Whether a slice column is shown (decided by the first block).
    universal: Option<bool>,
    valid: u64,
    without: u64,
    failed: u64,
    /// Rows, one per object file or slice (other files have none): with a
    /// universal file, the summary's "images".
    pub(super) images: u64,
    any_slice: bool,
    /// Files and problems the walk reported.
    pub(super) files: u64,
    /// Files that are not object files, found in directories.
    pub(super) other: u64,
}

impl Table {
    pub(super) fn new() -> Table {
        Table {
            pending: Vec::new(),
            widths: [0; 8],
            header: false,
            universal: None,
            valid: 0,
            without: 0,
            failed: 0,
            images: 0,
            any_slice: false,
            files: 0,
            other: 0,
        }
    }

    pub(super) fn push(&mut self, out: &mut impl Write, r: Record) -> io::Result<()> {
        let count = match r.kind {
            Kind::Valid => &mut self.valid,
            Kind::NoPayload => &mut self.without,
            Kind::Failed | Kind::Other => &mut self.failed,
        };
        *count = count.saturating_add(1);
        self.images = self.images.saturating_add(1);
        self.any_slice |= r.slice.is_some();
        self.pending.push(row(&r));
        if self.pending.len() >= BLOCK {
            self.flush(out)?;
        }
        Ok(())
    }

    /// Prints the rows held back (with the header before the first).
    fn flush(&mut self, out: &mut impl Write) -> io::Result<()> {
        let universal = *self.universal.get_or_insert(self.any_slice);
        let header = ["PATH", "SLICE", "FORMAT", "ARCH", "OFFSET", "SIZE", "CRC32C", "CRC", "ERROR"].map(String::from);
        let rows: Vec<[String; 9]> = if self.header {
            std::mem::take(&mut self.pending)
        } else {
            [header].into_iter().chain(self.pending.drain(..)).collect()
        };
        self.header = true;
        for row in &rows {
            for (width, cell) in self.widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in &rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i == 1 && !universal {
                    continue;
                }
                match self.widths.get(i) {
                    Some(&w) => line.push_str(&format!("{cell:<w$}  ")),
                    None => line.push_str(cell),
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        out.flush()
    }

    /// The last rows and the summary line.
    pub(super) fn finish(mut self, out: &mut impl Write, stats: &WalkStats) -> io::Result<()> {
        self.flush(out)?;
        let images = if self.any_slice { format!(" ({} images)", self.images) } else { String::new() };
        let mut line = format!(
            "{} files{images}, {} with payload, {} without, {} errors",
            self.files, self.valid, self.without, self.failed
        );
        if self.other > 0 {
            line.push_str(&format!(", {}", plural(self.other, "other file", "other files")));
        }
        let notes: Vec<String> = [
            (
                stats.links_not_followed,
                "link to a directory not followed (--follow)",
                "links to directories not followed (--follow)",
            ),
            (stats.revisited, "directory already scanned, skipped", "directories already scanned, skipped"),
            (stats.pseudo, "pseudo-file-system directory not entered", "pseudo-file-system directories not entered"),
            (stats.temporaries, "temporary file skipped", "temporary files skipped"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| plural(n, one, many))
        .collect();
        if !notes.is_empty() {
            line.push_str("; ");
            line.push_str(&notes.join(", "));
        }
        writeln!(out, "{line}")
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A record's cells; names and messages with control characters escaped.
fn row(r: &Record) -> [String; 9] {
    let dash = || "-".to_owned();
    let p = r.payload.or(r.data_library.as_ref().map(|(_, p)| *p));
    [
        escape(&r.path.display().to_string()).into_owned(),
        r.slice.map_or_else(dash, |i| i.to_string()),
        r.format.map_or_else(dash, |f| f.name().to_owned()),
        r.image.map_or_else(dash, |i| i.arch.to_string()),
        p.map_or_else(dash, |p| format!("{:#x}", p.offset)),
        p.map_or_else(dash, |p| match p.uncompressed_size {
            Some(n) => format!("{} (zstd of {n})", p.size),
            None => p.size.to_string(),
        }),
        p.and_then(|p| p.crc32c).map_or_else(dash, |c| format!("{c:#010x}")),
        match p {
            None => dash(),
            Some(PayloadInfo { crc32c: None, .. }) => "none".to_owned(),
            Some(PayloadInfo { crc_ok: None, .. }) => "unchecked".to_owned(),
            Some(PayloadInfo { crc_ok: Some(true), .. }) => "ok".to_owned(),
            Some(PayloadInfo { crc_ok: Some(false), .. }) => "MISMATCH".to_owned(),
        },
        match (&r.error, &r.data_library) {
            (Some(e), _) => escape(e).into_owned(),
            (None, Some((path, _))) => format!("payload in data library {}", escape(&path.display().to_string())),
            (None, None) => String::new(),
        },
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::panic)]
mod tests {
    use std::path::PathBuf;

    use pkgimg::Format;

    use super::super::failed;
    use super::*;

    fn record(i: usize) -> Record {
        let path = PathBuf::from(format!("dir/lib{i}.so"));
        Record { kind: Kind::NoPayload, ..failed(&path, None, Some(Format::Elf), "no payload") }
    }

    #[test]
    fn the_table_streams_a_block_at_a_time() {
        let mut table = Table::new();
        let mut out = Vec::new();
        for i in 0..BLOCK + 5 {
            table.files += 1;
            table.push(&mut out, record(i)).unwrap();
        }
        // The walk is not over, and the first block is out, with its header.
        let text = String::from_utf8(out.clone()).unwrap();
        assert_eq!(text.lines().count(), 1 + BLOCK, "{text}");
        assert!(text.starts_with("PATH"));
        table.finish(&mut out, &WalkStats { temporaries: 1, ..WalkStats::default() }).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1 + BLOCK + 5 + 1, "{text}");
        assert_eq!(
            text.lines().last().unwrap(),
            "37 files, 0 with payload, 37 without, 0 errors; 1 temporary file skipped"
        );
    }
}
