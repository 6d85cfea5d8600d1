//! The `.ji` part of `jiscan show`: the header fields of a Julia cache file
//! payload, decoded by `pkgimg::ji`, rendered as JSON and as text.

use std::fmt::Write as _;

use pkgimg::ji::{Header, Stop, Trailer};

use crate::json::Json;

/// A decoded `.ji` header, in both renderings.
#[derive(Clone, Debug)]
pub struct JiView {
    pub json: Json,
    pub text: String,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Decodes the `.ji` data `ji`, which starts at absolute file offset `base`.
pub fn view(ji: &[u8], base: u64) -> JiView {
    let h = Header::decode(ji);
    let trailer = h.trailer();
    JiView { json: to_json(&h, &trailer, base), text: to_text(&h, &trailer, base) }
}

fn stop_json(stop: &Stop, base: u64) -> Json {
    Json::Obj(vec![
        ("offset", base.saturating_add(stop.offset).into()),
        ("ji_offset", stop.offset.into()),
        ("field", stop.field.into()),
        ("message", stop.to_string().into()),
    ])
}

fn to_json(h: &Header<'_>, trailer: &Result<Trailer, Stop>, base: u64) -> Json {
    let string = |s: Option<&[u8]>| Json::from(s.map(text));
    let flags = h.flags.map(|f| {
        Json::Obj(vec![
            ("raw", f.0.into()),
            ("pkgimages", f.pkgimages().into()),
            ("debug_level", f.debug_level().into()),
            ("check_bounds", f.check_bounds().into()),
            ("inline", f.inline().into()),
            ("opt_level", f.opt_level().into()),
        ])
    });
    let worklist = h
        .worklist()
        .map(|m| {
            Json::Obj(vec![
                ("name", text(m.name).into()),
                ("uuid", m.uuid.to_string().into()),
                ("build_id", m.build_id.into()),
                ("offset", base.saturating_add(m.offset).into()),
            ])
        })
        .collect();
    let (trailer, trailer_error) = match trailer {
        Ok(t) => (
            Json::Obj(vec![
                ("offset", base.saturating_add(t.offset).into()),
                ("so_crc32c", t.so_crc32c.into()),
                ("ji_crc32c", t.ji_crc32c.into()),
                ("computed_crc32c", t.computed_crc32c.into()),
                ("crc_ok", t.ji_crc_ok().into()),
            ]),
            Json::Null,
        ),
        Err(stop) => (Json::Null, stop_json(stop, base)),
    };
    Json::Obj(vec![
        ("version", h.version.into()),
        ("byte_order", h.endian.map(|e| e.name()).into()),
        ("pointer_size", h.pointer_size.into()),
        ("build_os", string(h.build_os)),
        ("build_arch", string(h.build_arch)),
        ("julia_version", string(h.julia_version)),
        ("git_branch", string(h.git_branch)),
        ("git_commit", string(h.git_commit)),
        ("pkgimage", h.pkgimage.into()),
        ("checksum", h.checksum.into()),
        ("datastart", h.datastart.into()),
        ("dataend", h.dataend.into()),
        ("cache_flags", flags.into()),
        ("syntax_version", h.syntax_version.into()),
        ("worklist", Json::Arr(worklist)),
        ("complete", h.complete.into()),
        ("stopped", h.stop.map(|s| stop_json(&s, base)).into()),
        ("trailer", trailer),
        ("trailer_error", trailer_error),
    ])
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn to_text(h: &Header<'_>, trailer: &Result<Trailer, Stop>, base: u64) -> String {
    let mut s = String::new();
    let mut line = |label: &str, value: String| {
        let _ = writeln!(s, "    {label:<16}{value}");
    };
    let strings = [
        ("build OS", h.build_os),
        ("build arch", h.build_arch),
        ("Julia version", h.julia_version),
        ("git branch", h.git_branch),
        ("git commit", h.git_commit),
    ];
    if let Some(v) = h.version {
        line("format version", v.to_string());
    }
    if let Some(e) = h.endian {
        line("byte order", format!("{}-endian (byte-order mark)", e.name()));
    }
    if let Some(p) = h.pointer_size {
        line("pointer size", format!("{p} bytes"));
    }
    for (label, value) in strings {
        if let Some(value) = value {
            line(label, text(value));
        }
    }
    if let Some(p) = h.pkgimage {
        line("pkgimage", format!("{p} ({})", if p != 0 { "native code in a package image" } else { "no native code" }));
    }
    if let Some(c) = h.checksum {
        line("checksum", format!("{c:#018x}"));
    }
    if let Some(d) = h.datastart {
        line("data start", d.to_string());
    }
    if let Some(d) = h.dataend {
        line("data end", d.to_string());
    }
    if let Some(f) = h.flags {
        let spelled = format!(
            "{:#04x}: pkgimages={}, debug-level={}, check-bounds={}, inline={}, opt-level={}",
            f.0,
            yes(f.pkgimages()),
            f.debug_level(),
            f.check_bounds(),
            yes(f.inline()),
            f.opt_level()
        );
        line("cache flags", spelled);
    }
    if let Some(v) = h.syntax_version {
        line("syntax version", v.to_string());
    }
    if h.flags.is_some() {
        line("worklist", format!("{} module{}", h.modules, if h.modules == 1 { "" } else { "s" }));
    }
    for m in h.worklist() {
        let _ = writeln!(s, "      {}  uuid {}  build id {:#018x}", text(m.name), m.uuid, m.build_id);
    }
    match h.stop {
        Some(stop) => {
            let _ = writeln!(s, "    decoding stopped: {stop} (file offset {:#x})", base.saturating_add(stop.offset));
        }
        None => {
            let _ = writeln!(s, "    header complete ({} bytes)", h.end);
        }
    }
    match trailer {
        Ok(t) => {
            let verdict = if t.ji_crc_ok() { "matches" } else { "MISMATCH" };
            let _ = writeln!(
                s,
                "    trailer at {:#x}: shared-object CRC-32C {:#010x}, .ji CRC-32C {:#010x} ({verdict}: computed {:#010x})",
                base.saturating_add(t.offset),
                t.so_crc32c,
                t.ji_crc32c,
                t.computed_crc32c
            );
        }
        Err(stop) => {
            let _ = writeln!(s, "    no trailer: {stop}");
        }
    }
    s
}
