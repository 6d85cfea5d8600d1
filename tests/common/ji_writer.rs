//! A test-side writer of Julia `.ji` cache files that follows Julia's own
//! writers field by field, so that pkgimg's decoder is tested against the
//! bytes Julia would write, never against itself.
//!
//! The comments cite Julia's sources (file:line, release): `write_header`,
//! `write_worklist_for_header`, `write_dependency_list`, `write_mod_list` in
//! src/staticdata_utils.c; `jl_write_header_for_incremental` and
//! `jl_create_system_image` in src/staticdata.c; `write_srctext` and
//! `jl_write_compiler_output` in src/precompile.c; `compilecache`'s trailer in
//! base/loading.jl.
//!
//! Used by tests/ji_fixtures.rs, tests/ji_show_check.rs, tests/cli.rs and
//! examples/ji_corpus_payloads.rs.
#![allow(dead_code, clippy::indexing_slicing, clippy::arithmetic_side_effects, clippy::unwrap_used)]

/// Which Julia writes the file: the format version and, within version 12,
/// the layout of the dependency entries and preferences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Julia 1.9.4: format 12; entries without size and hash.
    V1_9,
    /// Julia 1.10.9: as 1.9.
    V1_10,
    /// Julia 1.11.5: format 12; entries gain size and hash.
    V1_11,
    /// Julia 1.12 (release-1.12.5): as 1.11.
    V1_12,
    /// Julia 1.13 (release-1.13): format 12; preferences become one blob.
    V1_13,
    /// master at 3484331: format 13, the syntax version byte.
    Master13,
    /// master at ad84450: format 14, the flags word, the heap in the .ji.
    Master14,
    /// master at fcab4624: format 15, the GC ABI string.
    Master15,
}

impl Release {
    /// `JI_FORMAT_VERSION` (1.11.5 src/staticdata_utils.c:694; commit 3484331
    /// :655; ad84450 :716; master :716).
    pub fn format_version(self) -> u16 {
        match self {
            Release::Master13 => 13,
            Release::Master14 => 14,
            Release::Master15 => 15,
            _ => 12,
        }
    }

    /// Include entries carry size and hash (1.11.5 src/staticdata_utils.c:810-811).
    pub fn fsize_and_hash(self) -> bool {
        !matches!(self, Release::V1_9 | Release::V1_10)
    }

    /// Preferences are one blob (release-1.13 src/staticdata_utils.c:829-830;
    /// master :881-882); format 13 still writes names and a hash (3484331 :823-842).
    pub fn preferences_blob(self) -> bool {
        matches!(self, Release::V1_13 | Release::Master14 | Release::Master15)
    }

    fn syntax_version(self) -> bool {
        self.format_version() >= 13
    }

    fn flags_word(self) -> bool {
        self.format_version() >= 14
    }
}

/// A worklist module (`write_worklist_for_header`).
#[derive(Clone, Debug)]
pub struct WorkMod {
    pub name: String,
    pub uuid: (u64, u64),
    /// `build_id.lo`; the header stores only this half.
    pub build_lo: u64,
}

/// A module of the module list (`write_mod_list`).
#[derive(Clone, Debug)]
pub struct ReqMod {
    pub name: String,
    pub uuid: (u64, u64),
    pub build_id: (u64, u64),
}

/// An entry of `Base._require_dependencies`, as `write_dependency_list` sees it.
#[derive(Clone, Debug)]
pub enum Dep {
    /// `(mod, path, fsize, hash, mtime)`; `module` is the worklist index
    /// (1-based) of the including module's top module, 0 for `Main`;
    /// `sub_path` its submodule path.
    Include { path: String, fsize: u64, hash: u32, mtime: f64, module: u32, sub_path: Vec<String> },
    /// `(into, binpack(uuidkey), 0, 0, 0.0)` (1.11.5 base/loading.jl:2311-2312;
    /// 1.9.4 :1646 without size and hash).
    Require { by: u32, by_sub_path: Vec<String>, name: String, uuid: (u64, u64) },
}

/// The compile-time preferences.
#[derive(Clone, Debug)]
pub enum Prefs {
    Names { names: Vec<String>, hash: u64 },
    Blob(String),
}

/// One CPU target of the clone-targets blob.
#[derive(Clone, Debug)]
pub struct Target {
    pub flags: u32,
    /// The target this one is cloned from (format 14 on; negative: none).
    pub base: i32,
    pub name: String,
    /// The enabled feature bits, 32 to a word; the disabled ones are all
    /// zero.
    pub features: Vec<u32>,
    pub ext_features: String,
}

impl Target {
    /// The feature words as `release` stores them: the `u32` words before
    /// format 14, from 14 on `u64` words holding two of them each, the
    /// lower bits first (the same bit set, `8*nwords` bytes at ad84450
    /// base/loading.jl:1997-1999).
    pub fn words(&self, release: Release) -> Vec<u64> {
        if release.format_version() < 14 {
            return self.features.iter().map(|&w| u64::from(w)).collect();
        }
        let pair = |p: &[u32]| u64::from(p[0]) | u64::from(p.get(1).copied().unwrap_or(0)) << 32;
        self.features.chunks(2).map(pair).collect()
    }
}

/// Everything a `.ji` says, to be written as `release` writes it.
#[derive(Clone, Debug)]
pub struct Cache {
    pub release: Release,
    pub big_endian: bool,
    pub pointer_size: u8,
    pub uname: String,
    pub arch: String,
    pub julia_version: String,
    /// `jl_gc_image_abi()` (format 15).
    pub gc_abi: String,
    pub branch: String,
    pub commit: String,
    pub cache_flags: u8,
    pub syntax_version: u8,
    pub worklist: Vec<WorkMod>,
    pub deps: Vec<Dep>,
    pub prefs: Prefs,
    pub required: Vec<ReqMod>,
    /// `Some`: native code was emitted (`emit_split`: --output-o with
    /// --output-ji), with these clone targets; `None`: a `.ji` alone.
    pub native: Option<Vec<Target>>,
    /// The serialized heap (`jl_save_system_image_to_stream`).
    pub heap: Vec<u8>,
    /// The source text of the included files (`write_srctext`).
    pub sources: Vec<(String, Vec<u8>)>,
}

/// What the writer wrote, and where.
#[derive(Clone, Debug)]
pub struct Written {
    /// The `.ji` up to the trailer; [`Written::ji`] appends it.
    pub body: Vec<u8>,
    /// The checksum as the `.ji` header holds it.
    pub checksum: u64,
    pub data_start: u64,
    pub data_end: u64,
    pub dependency_bytes: u64,
    pub srctextpos: u64,
    /// Just past the clone targets: the end of the cache header.
    pub header_end: u64,
    pub clone_targets: Vec<u8>,
    /// Formats 12-13 with native code: the bytes of `jl_system_image_data`
    /// (the header copy, the module list, padding and the heap).
    pub library_data: Option<Vec<u8>>,
    /// Offsets of named fields, for truncation tests.
    pub fields: Vec<(&'static str, u64)>,
}

impl Written {
    /// The whole `.ji`: the body and `compilecache`'s trailer, the library's
    /// CRC-32C (0 if none) and the CRC-32C of all bytes before the last word
    /// (1.11.5 base/loading.jl:3106-3108; master :3715-3717), in the
    /// writer's byte order (Julia's `write(io, ::UInt32)`).
    pub fn ji(&self, library_crc: u32, big: bool) -> Vec<u8> {
        let mut ji = self.body.clone();
        ji.extend_from_slice(&u32b(library_crc, big));
        let crc = crc32c(&ji);
        ji.extend_from_slice(&u32b(crc, big));
        ji
    }
}

fn u32b(v: u32, big: bool) -> [u8; 4] {
    if big {
        v.to_be_bytes()
    } else {
        v.to_le_bytes()
    }
}

/// An `ios_t` in memory: `write_*` store the machine's bytes (src/serialize.h).
struct Ios {
    buf: Vec<u8>,
    big: bool,
}

impl Ios {
    fn new(big: bool) -> Ios {
        Ios { buf: Vec::new(), big }
    }
    fn pos(&self) -> u64 {
        self.buf.len() as u64
    }
    fn write(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
    fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.write(&if self.big { v.to_be_bytes() } else { v.to_le_bytes() });
    }
    fn u32(&mut self, v: u32) {
        self.write(&u32b(v, self.big));
    }
    fn i32(&mut self, v: i32) {
        self.u32(v as u32);
    }
    fn u64(&mut self, v: u64) {
        self.write(&if self.big { v.to_be_bytes() } else { v.to_le_bytes() });
    }
    /// `write_float64` (src/staticdata_utils.c:4-7 in 1.11.5): the bits as a `u64`.
    fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    /// A C string with its NUL (`ios_write(s, str, strlen(str)+1)`).
    fn cstr(&mut self, s: &str) {
        self.write(s.as_bytes());
        self.u8(0);
    }
    /// `write_int32(s, l); ios_write(s, name, l)`.
    fn name(&mut self, s: &[u8]) {
        self.i32(s.len() as i32);
        self.write(s);
    }
    fn patch_u32(&mut self, at: u64, v: u32) {
        let b = u32b(v, self.big);
        self.buf[at as usize..at as usize + 4].copy_from_slice(&b);
    }
    fn patch_u64(&mut self, at: u64, v: u64) {
        let b = if self.big { v.to_be_bytes() } else { v.to_le_bytes() };
        self.buf[at as usize..at as usize + 8].copy_from_slice(&b);
    }
    /// `write_padding(s, LLT_ALIGN(ios_pos(s), JL_CACHE_BYTE_ALIGNMENT) - ios_pos(s))`,
    /// JL_CACHE_BYTE_ALIGNMENT = 64 (src/julia_internal.h).
    fn pad64(&mut self) {
        while self.buf.len() % 64 != 0 {
            self.u8(0);
        }
    }
}

impl Cache {
    /// Writes the `.ji` (and, for 12-13 with native code, the library's
    /// `jl_system_image_data`) the way `jl_write_compiler_output` does.
    pub fn write(&self) -> Written {
        if self.release.flags_word() {
            self.write_v14()
        } else {
            self.write_v12()
        }
    }

    /// `write_header` (1.11.5 src/staticdata_utils.c:697-715; ad84450
    /// :725-746; master :725-747). Returns the checksum position.
    fn header(&self, s: &mut Ios, pkgimage: u8, flags: u32, fields: &mut Vec<(&'static str, u64)>) -> u64 {
        s.write(b"\xfbjli\r\n\x1a\n"); // :699 JI_MAGIC
        s.u16(self.release.format_version()); // :700 JI_FORMAT_VERSION
        s.u16(0xfeff); // :701 BOM, the machine's bytes of 0xFEFF
        s.u8(self.pointer_size); // :702 sizeof(void*)
        s.cstr(&self.uname); // :703 JL_BUILD_UNAME
        s.cstr(&self.arch); // :704 JL_BUILD_ARCH
        fields.push(("Julia version string", s.pos()));
        s.cstr(&self.julia_version); // :705 JULIA_VERSION_STRING
        if self.release.format_version() >= 15 {
            fields.push(("GC ABI string", s.pos()));
            s.cstr(&self.gc_abi); // master :734-735 jl_gc_image_abi()
        }
        if self.release.flags_word() {
            s.u32(flags); // ad84450 :734, master :736 write_uint32(s, flags)
            if flags & 1 != 0 {
                // master :737-741, only with JI_FLAG_PKGIMAGE
                fields.push(("git branch string", s.pos()));
                s.cstr(&self.branch);
                s.cstr(&self.commit);
            }
            let at = s.pos();
            s.u32(0); // master :743 checksum
            s.u64(0); // :744 datastartpos
            s.u64(0); // :745 dataendpos
            return at;
        }
        fields.push(("git branch string", s.pos()));
        s.cstr(&self.branch); // 1.11.5 :707
        s.cstr(&self.commit); // :708
        s.u8(pkgimage); // :709 write_uint8(s, pkgimage)
        let at = s.pos(); // :710 checksumpos
        s.u64(0); // :711 checksum
        s.u64(0); // :712 (patched with datastartpos, src/staticdata.c:3035)
        s.u64(0); // :713 (patched with dataendpos, src/staticdata.c:3036)
        at
    }

    /// `jl_write_header_for_incremental` after `write_header` (1.11.5
    /// src/staticdata.c:2925-2937; 3484331 :3319-3337; master :3421-3439).
    fn cache_header(&self, s: &mut Ios, fields: &mut Vec<(&'static str, u64)>) -> (u64, u64) {
        s.u8(self.cache_flags); // :2925 jl_cache_flags()
        if self.release.syntax_version() {
            s.u8(self.syntax_version); // 3484331 :3325, master :3427
        }
        fields.push(("worklist", s.pos()));
        self.worklist_for_header(s); // :2927
        fields.push(("dependency list", s.pos()));
        let (bytes, srctextpos) = self.dependency_list(s); // :2933
        fields.push(("module list", s.pos()));
        self.mod_list(s); // :2937
        (bytes, srctextpos)
    }

    /// `write_worklist_for_header` (1.11.5 src/staticdata_utils.c:718-733).
    fn worklist_for_header(&self, s: &mut Ios) {
        for m in &self.worklist {
            s.name(m.name.as_bytes()); // :725-726
            s.u64(m.uuid.0); // :727 uuid.hi
            s.u64(m.uuid.1); // :728 uuid.lo
            s.u64(m.build_lo); // :729 build_id.lo
        }
        s.i32(0); // :732
    }

    /// `write_mod_list` (1.11.5 src/staticdata_utils.c:601-620).
    fn mod_list(&self, s: &mut Ios) {
        for m in &self.required {
            s.name(m.name.as_bytes()); // :611-612
            s.u64(m.uuid.0); // :613
            s.u64(m.uuid.1); // :614
            s.u64(m.build_id.0); // :615 build_id.hi
            s.u64(m.build_id.1); // :616 build_id.lo
        }
        s.i32(0); // :619
    }

    /// `write_dependency_list` (1.9.4 src/staticdata_utils.c:680-790; 1.11.5
    /// :750-890; release-1.13 :735-842). Returns the byte count it patches
    /// in and the position of the source-text placeholder.
    fn dependency_list(&self, s: &mut Ios) -> (u64, u64) {
        let initial_pos = s.pos(); // 1.11.5 :786
        s.u64(0); // :787 placeholder for the total size
        for dep in &self.deps {
            let (path, fsize, hash, mtime, module, sub) = match dep {
                Dep::Include { path, fsize, hash, mtime, module, sub_path } => {
                    (path.as_bytes().to_vec(), *fsize, *hash, *mtime, *module, sub_path.clone())
                }
                Dep::Require { by, by_sub_path, name, uuid } => {
                    // binpack (base/pkgid.jl): UInt8(0), the UUID as a UInt128
                    // in the machine's byte order, the name.
                    let mut p = vec![0u8];
                    let v = ((uuid.0 as u128) << 64) | uuid.1 as u128;
                    p.extend_from_slice(&if s.big { v.to_be_bytes() } else { v.to_le_bytes() });
                    p.extend_from_slice(name.as_bytes());
                    (p, 0, 0, 0.0, *by, by_sub_path.clone())
                }
            };
            s.name(&path); // :808-809 (1.9.4 :709-710)
            if self.release.fsize_and_hash() {
                s.u64(fsize); // 1.11.5 :810 fsize
                s.u32(hash); // :811 hash
            }
            s.f64(mtime); // :812 mtime (1.9.4 :711)
            if module != 0 {
                s.i32(module as i32); // :824 write_int32(s, provides)
                for name in &sub {
                    s.name(name.as_bytes()); // write_module_path :742-743
                }
            }
            s.i32(0); // :830
        }
        s.i32(0); // :832 terminator
        match &self.prefs {
            Prefs::Names { names, hash } => {
                assert!(!self.release.preferences_blob(), "{:?} writes a preferences blob", self.release);
                for n in names {
                    s.name(n.as_bytes()); // 1.11.5 :866-867
                }
                s.i32(0); // :869 terminator
                s.u64(*hash); // :870 prefs_hash
            }
            Prefs::Blob(blob) => {
                assert!(self.release.preferences_blob(), "{:?} writes preference names", self.release);
                s.name(blob.as_bytes()); // release-1.13 :829-830
            }
        }
        let pos = s.pos(); // 1.11.5 :884
        let bytes = pos - initial_pos;
        s.patch_u64(initial_pos, bytes); // :885-886 write_uint64(s, pos - initial_pos)
        s.u64(0); // :888 the source-text position, patched by write_srctext
        (bytes, pos)
    }

    /// The clone-targets blob: Int32 count, then per target Int32 flags,
    /// (format 14 on) Int32 base, Int32 feature-word count, the enabled and
    /// disabled words (`u32` before 14, `u64` from 14), the length-prefixed
    /// name and extra features (read back by `parse_image_target`: 1.11.5
    /// base/loading.jl:1698-1718, 3484331 :1882-1892, ad84450 and master
    /// :1994-2007; written by src/processor.cpp).
    pub fn clone_targets(&self) -> Vec<u8> {
        let Some(targets) = &self.native else { return Vec::new() };
        let wide = self.release.format_version() >= 14;
        let mut s = Ios::new(self.big_endian);
        s.i32(targets.len() as i32);
        for t in targets {
            s.u32(t.flags);
            if wide {
                s.i32(t.base);
            }
            let words = t.words(self.release);
            s.i32(words.len() as i32);
            for disabled in [false, true] {
                for &w in &words {
                    let w = if disabled { 0 } else { w };
                    if wide {
                        s.u64(w);
                    } else {
                        s.u32(w as u32);
                    }
                }
            }
            s.name(t.name.as_bytes());
            s.name(t.ext_features.as_bytes());
        }
        s.buf
    }

    /// `write_srctext` (1.11.5 src/precompile.c:24-97; master :24-96).
    fn srctext(&self, f: &mut Ios, srctextpos: u64) {
        let posfile = f.pos();
        f.patch_u64(srctextpos, posfile); // :28-30
        for (path, text) in &self.sources {
            f.name(path.as_bytes()); // :83-84
            f.u64(text.len() as u64); // :86-90 the length, patched after the copy
            f.write(text); // :87 ios_copyall
        }
        f.i32(0); // :96 the end of the source text
    }

    /// Formats 12 and 13: `jl_create_system_image` (1.11.5 src/staticdata.c:2940-3050)
    /// and `jl_write_compiler_output` (src/precompile.c:100-206).
    fn write_v12(&self) -> Written {
        let big = self.big_endian;
        let split = self.native.is_some(); // precompile.c: emit_split = outputji && emit_native
        let mut fields = Vec::new();
        let mut f = Ios::new(big);
        let checksumpos = self.header(&mut f, 0, 0, &mut fields); // staticdata.c:2924 write_header(f, 0)
        let (dependency_bytes, srctextpos) = self.cache_header(&mut f, &mut fields);
        let mut ff = Ios::new(big);
        let checksumpos_ff = if split {
            let at = self.header(&mut ff, 1, 0, &mut Vec::new()); // :2986 write_header(ff, 1)
            ff.u8(self.cache_flags); // :2987
            if self.release.syntax_version() {
                ff.u8(self.syntax_version); // 3484331 :3377
            }
            self.mod_list(&mut ff); // :2988
            at
        } else {
            checksumpos
        };
        let data = if split { &mut ff } else { &mut f };
        let mut header_end = 0;
        if !split {
            data.i32(0); // :3008 no clone targets
            header_end = data.pos();
        }
        data.pad64(); // :3009 (split: :3012, in ff)
        let datastartpos = data.pos(); // :3014
        data.write(&self.heap); // jl_save_system_image_to_stream
        let dataendpos = data.pos(); // :3031
        let crc = crc32c(&data.buf[datastartpos as usize..dataendpos as usize]); // :3032
        let checksum = u64::from(crc) | (0xfafb_fcfd_u64 << 32);
        data.patch_u64(checksumpos_ff, checksum); // :3034
        data.patch_u64(checksumpos_ff + 8, datastartpos); // :3035
        data.patch_u64(checksumpos_ff + 16, dataendpos); // :3036
        if split {
            f.patch_u64(checksumpos, checksum); // :3043 only the checksum
        }
        let clone_targets = self.clone_targets();
        if split {
            // jl_dump_native writes the clone targets into the .ji
            // (precompile.c:170-182; src/aotcompile.cpp: write_int32(s,
            // data.size()); ios_write(s, data...)).
            f.i32(clone_targets.len() as i32);
            f.write(&clone_targets);
            header_end = f.pos();
        }
        fields.push(("source text", f.pos()));
        self.srctext(&mut f, srctextpos); // precompile.c:188
        let (data_start, data_end) = if split { (0, 0) } else { (datastartpos, dataendpos) };
        Written {
            body: f.buf,
            checksum,
            data_start,
            data_end,
            dependency_bytes,
            srctextpos: 0,
            header_end,
            clone_targets,
            library_data: split.then_some(ff.buf),
            fields,
        }
        .with_srctextpos(srctextpos)
    }

    /// Formats 14 and 15: `jl_create_system_image` (master src/staticdata.c:3442-3569)
    /// and `jl_write_compiler_output` (master src/precompile.c:99-189).
    fn write_v14(&self) -> Written {
        let big = self.big_endian;
        let split = self.native.is_some();
        let mut fields = Vec::new();
        let mut f = Ios::new(big);
        let flags = 1 | if split { 2 } else { 0 }; // :3461-3462 JI_FLAG_PKGIMAGE | JI_FLAG_SPLIT
        let checksumpos = self.header(&mut f, 0, flags, &mut fields);
        let (dependency_bytes, srctextpos) = self.cache_header(&mut f, &mut fields); // :3469
        let clone_targets = self.clone_targets();
        f.u32(clone_targets.len() as u32); // :3518 (not split: :3523, 0)
        f.write(&clone_targets); // :3519
        let header_end = f.pos();
        f.pad64(); // :3527
        let datastartpos = f.pos(); // :3528
        f.write(&self.heap); // :3533
        let dataendpos = f.pos(); // :3541
        let checksum = crc32c(&self.heap); // :3542
        f.patch_u32(checksumpos, checksum); // :3560
        f.patch_u64(checksumpos + 4, datastartpos); // :3561
        f.patch_u64(checksumpos + 12, dataendpos); // :3562
        fields.push(("source text", f.pos()));
        self.srctext(&mut f, srctextpos); // precompile.c:175
        Written {
            body: f.buf,
            checksum: u64::from(checksum),
            data_start: datastartpos,
            data_end: dataendpos,
            dependency_bytes,
            srctextpos: 0,
            header_end,
            clone_targets,
            library_data: None,
            fields,
        }
        .with_srctextpos(srctextpos)
    }
}

impl Written {
    /// The source-text position as `write_srctext` patched it in.
    fn with_srctextpos(mut self, placeholder: u64) -> Written {
        let at = placeholder as usize;
        let bytes: [u8; 8] = self.body[at..at + 8].try_into().unwrap();
        let big = self.body[10] == 0xfe;
        self.srctextpos = if big { u64::from_be_bytes(bytes) } else { u64::from_le_bytes(bytes) };
        self
    }
}

/// Bitwise CRC-32C (reflected 0x82F63B78), Julia's `jl_crc32c` / `_crc32c`.
pub fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82f6_3b78 } else { crc >> 1 };
        }
    }
    !crc
}
