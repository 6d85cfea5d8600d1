//! `jiscan`: find, check, show, extract and write the data payload that a shared
//! library carries in its `.jlji` / `__JULIA,__ji` container (see docs/FORMAT.md).
//!
//! One module per subcommand, each with its clap `Args` and a `run` that
//! prints its report and returns an [`Outcome`]; adding a subcommand is a
//! module, a [`Command`] variant and a match arm in `main`.

// The tool reads untrusted files: like the library, it must not panic on any
// input. Cargo.toml's [lints.clippy] table holds the deny list for both.

mod check;
#[cfg(test)]
mod damaged;
mod deps;
mod emit;
mod extract;
mod files;
mod identify;
mod inject;
mod json;
mod listing;
mod output;
mod scan;
mod show;
mod show_ji;
mod text;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

const ABOUT: &str = "Find, check, show, extract and write the payload (e.g. a Julia .ji cache) carried inside \
                     ELF, Mach-O and PE/COFF shared libraries";

const LONG_ABOUT: &str = "\
Find, check, show, extract and write the payload carried inside a shared library.

A library made for this purpose (for Julia, a package image) stays a valid .so, .dylib or .dll and \
also carries a data payload - normally the bytes of a Julia .ji cache file - in a dedicated \
container: the section .jlji (ELF, PE/COFF) or the section __ji of segment __JULIA (Mach-O, every \
slice of a universal file). The container starts with a 64-byte frame giving the payload's offset, \
size and CRC-32C. jiscan finds it by reading headers only, so scanning is fast whatever the file \
size; checking a CRC reads the payload and is asked for explicitly. 'jiscan inject' adds a \
payload to a linked library; 'jiscan emit' writes an object carrying one, for the linker.

Split images: 'jiscan emit --shared' writes a data library, a shared library with no code that \
carries the payload, which several code caches (say one at -O0 and one at -O3) link against as an \
ordinary dependency (DT_NEEDED, LC_LOAD_DYLIB, a PE import). 'jiscan deps' goes from a code cache \
to that payload by reading headers only, without loading anything.";

const AFTER_HELP: &str = "\
Examples:
  jiscan scan ~/.julia/compiled            one line per library: format, arch, payload
  jiscan scan --verify --json lib/ | jq .  check every payload's CRC-32C; JSON Lines
  jiscan show Foo.so                       sections, frame and .ji header of one file
  jiscan extract Foo.so -o Foo.ji          write the payload (CRC checked first)
  jiscan extract --arch aarch64 Foo.dylib -o - | head -c 64 | xxd
  jiscan inject libFoo.so Foo.ji -o out/libFoo.so
                                           add a payload to a linked library (checked, then renamed)
  jiscan emit --target x86_64-linux-gnu Foo.ji -o foo_ji.o
                                           an object carrying the payload, to link into a library
  jiscan emit --shared --soname libFoo_data.so --target x86_64-linux-gnu Foo.ji -o libFoo_data.so
                                           a data library for code caches to link against
  jiscan deps libFoo.so                    a code cache's dependencies and its data library's payload
  jiscan check ~/.julia/compiled/v1.11     would Julia accept each cache, and if not, why

Exit status:
  0  every file looked at has a valid payload (and, when checked, a matching CRC);
     inject/extract/emit: the output holds the new result (a warning may say what was not kept)
  1  a file has no payload, is not an object file, cannot be read, or fails a check;
     inject/extract/emit: nothing was written (the message names the file, structure and offset)
  2  bad usage: unknown option, missing or malformed argument

Writing files: inject, extract and emit share one policy (a regular file or a new path as OUT,
links followed, inputs never overwritten, a private temporary file renamed into place, locks,
owner and mode kept); each one's --help states it, and README.md's \"Writing files safely\".

Run 'jiscan help <COMMAND>' for each command's details.";

#[derive(Parser)]
#[command(name = "jiscan", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the payload of every object file under the given paths
    Scan(scan::Args),
    /// Write one file's payload to a file or to standard output
    Extract(extract::Args),
    /// Describe one file: sections, payload frame, and the .ji header if any
    Show(show::Args),
    /// Say whether Julia would accept each cache (.ji and library, or combined file), and why not
    Check(check::Args),
    /// Add a payload to a linked shared library (post-link injection)
    Inject(inject::Args),
    /// Write a relocatable object carrying a payload, for the linker (or with --shared a data library)
    Emit(emit::Args),
    /// List a code cache's dependencies and find the data library that carries its payload
    Deps(deps::Args),
}

/// How a command ended, once its report is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything looked at has a valid payload: exit status 0.
    Clean,
    /// Something is missing or wrong, and the report says what: exit status 1.
    Problems,
}

fn main() -> ExitCode {
    // An interrupted write removes its temporary file (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT, ...).
    if let Err(e) = pkgimg::write_path::remove_temporary_files_on_signals() {
        let _ = writeln!(io::stderr(), "jiscan: warning: cannot install the signal handlers: {e}");
    }
    // `parse` prints usage errors and exits with status 2 (help and version, 0).
    let cli = Cli::parse();
    // Two payloads for one architecture are the same kind of mistake as an
    // unknown name (audit 24 F9): a usage error, status 2.
    if let Command::Inject(args) = &cli.command {
        if let Some(arch) = inject::repeated_arch(args) {
            let message = format!(
                "--arch gives two payloads for {arch} (arm64 and aarch64, i386 and x86, amd64 and x86_64 name one)"
            );
            let mut command = <Cli as clap::CommandFactory>::command();
            command.build();
            let mut inject = command.find_subcommand("inject").cloned().unwrap_or(command);
            inject.error(clap::error::ErrorKind::ArgumentConflict, message).exit();
        }
    }
    let result = match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Extract(args) => extract::run(&args),
        Command::Show(args) => show::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Inject(args) => inject::run(&args),
        Command::Emit(args) => emit::run(&args),
        Command::Deps(args) => deps::run(&args),
    };
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Problems) => ExitCode::from(1),
        Err(e) => {
            // A reader that went away (`jiscan scan | head`) is not worth a message.
            if e.kind() != io::ErrorKind::BrokenPipe {
                let _ = writeln!(io::stderr(), "jiscan: cannot write the output: {e}");
            }
            ExitCode::from(1)
        }
    }
}
