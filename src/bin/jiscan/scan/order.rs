//! `jiscan scan`'s threads: the lines of the files looked up in parallel,
//! printed in the order the walk found the files.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::mpsc;
use std::thread;

use super::{to_json, Kind, Record, Table};

/// Files looked up at once by default: twice the processors, so that while
/// one thread waits for a cold read another computes.
pub(super) fn default_jobs() -> usize {
    thread::available_parallelism().map_or(2, |n| n.get().saturating_mul(2))
}

/// At most this many files between the oldest not yet printed and the newest sent.
pub(super) const WINDOW: u64 = 4096;
/// Files handed to a thread at once.
pub(super) const BATCH: usize = 32;

/// Where the lines go, and what the summary and exit status need.
pub(super) struct Output<W: Write> {
    pub(super) out: W,
    pub(super) table: Table,
    pub(super) clean: bool,
    pub(super) json: bool,
}

impl<W: Write> Output<W> {
    /// One file's lines.
    fn file(&mut self, records: Vec<Record>) -> io::Result<()> {
        self.table.files = self.table.files.saturating_add(1);
        for record in records {
            self.clean &= matches!(record.kind, Kind::Valid | Kind::Other);
            if record.kind == Kind::Other {
                self.table.other = self.table.other.saturating_add(1);
            } else if self.json {
                writeln!(self.out, "{}", to_json(&record))?;
            } else {
                self.table.push(&mut self.out, record)?;
            }
        }
        Ok(())
    }
}

/// Where the threads send the lines of each batch of files, with their sequence numbers.
pub(super) type Done = mpsc::Receiver<Vec<(u64, Vec<Record>)>>;
/// The threads' end of [`Done`].
pub(super) type Sender = mpsc::Sender<Vec<(u64, Vec<Record>)>>;

/// The files' lines back in walk order: each file has a sequence number,
/// and a file's lines wait here until those of every earlier file are out.
#[derive(Default)]
pub(super) struct InOrder {
    /// The next sequence number to hand out, and the next to print.
    next_seq: u64,
    next_out: u64,
    waiting: BTreeMap<u64, Vec<Record>>,
}

impl InOrder {
    pub(super) fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq = seq.saturating_add(1);
        seq
    }

    pub(super) fn in_flight(&self) -> u64 {
        self.next_seq.saturating_sub(self.next_out)
    }

    pub(super) fn arrived(&mut self, seq: u64, records: Vec<Record>) {
        self.waiting.insert(seq, records);
    }

    /// Prints what can be printed in order.
    fn flush<W: Write>(&mut self, out: &mut Output<W>) -> io::Result<()> {
        while let Some(records) = self.waiting.remove(&self.next_out) {
            self.next_out = self.next_out.saturating_add(1);
            out.file(records)?;
        }
        Ok(())
    }

    /// Takes the lines that have come back, without waiting, and prints what it can.
    pub(super) fn drain<W: Write>(&mut self, done: &Done, out: &mut Output<W>) -> io::Result<()> {
        while let Ok(batch) = done.try_recv() {
            batch.into_iter().for_each(|(seq, records)| self.arrived(seq, records));
        }
        self.flush(out)
    }

    /// Waits for one file's lines, then prints what it can.
    pub(super) fn wait<W: Write>(&mut self, done: &Done, out: &mut Output<W>) -> io::Result<()> {
        match done.recv() {
            Ok(batch) => batch.into_iter().for_each(|(seq, records)| self.arrived(seq, records)),
            Err(_) => return Err(io::Error::other("scan threads stopped")),
        }
        self.drain(done, out)
    }
}
