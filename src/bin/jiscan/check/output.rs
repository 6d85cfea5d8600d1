//! What `jiscan check` prints: a JSON line per cache, or an aligned table
//! and a summary line.

use std::io::{self, Write};
use std::path::PathBuf;

use super::Report;
use crate::json::Json;

fn path_json(p: &Option<PathBuf>) -> Json {
    p.as_ref().map(|p| p.display().to_string()).into()
}

pub(super) fn to_json(r: &Report) -> Json {
    let checks = r.points.iter().map(|p| {
        Json::Obj(vec![
            ("name", p.name.into()),
            ("status", p.status.name().into()),
            ("detail", p.detail.clone().into()),
        ])
    });
    Json::Obj(vec![
        ("path", r.path.display().to_string().into()),
        ("library", path_json(&r.library)),
        ("data_library", path_json(&r.data_library)),
        ("kind", r.kind.name().into()),
        ("package", r.package.clone().into()),
        ("format_version", r.version.into()),
        ("verdict", r.verdict().into()),
        ("reason", r.reason().into()),
        ("checks", Json::Arr(checks.collect())),
    ])
}

/// The aligned table and the summary line.
pub(super) fn write_table(out: &mut impl Write, reports: &[Report], ignored: u64) -> io::Result<()> {
    let dash = || "-".to_owned();
    let mut rows: Vec<[String; 5]> = vec![["PATH", "PACKAGE", "FORMAT", "VERDICT", "REASON"].map(str::to_owned)];
    for r in reports {
        // Paths and names come from files: escaped, as `scan` and `deps` do.
        rows.push([
            crate::text::escape(&r.path.display().to_string()).into_owned(),
            r.package.as_deref().map_or_else(dash, |p| crate::text::escape(p).into_owned()),
            r.version.map_or_else(dash, |v| v.to_string()),
            r.verdict().to_owned(),
            crate::text::escape(&r.reason().unwrap_or_default()).into_owned(),
        ]);
    }
    let mut widths = [0usize; 4];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            match widths.get(i) {
                Some(&w) => line.push_str(&format!("{cell:<w$}  ")),
                None => line.push_str(cell),
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let count = |v: &str| reports.iter().filter(|r| r.verdict() == v).count();
    writeln!(
        out,
        "{} caches: {} ok, {} unchecked, {} rejected, {} unreadable; {ignored} other files ignored",
        reports.len(),
        count("ok"),
        count("unchecked"),
        count("rejected"),
        count("unreadable")
    )
}
