//! The PE image checksum (`CheckSum` in the optional header), as Microsoft's
//! `imagehlp` computes it (`CheckSumMappedFile`). The spec only names the
//! algorithm; this is it.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// The PE checksum of `file`, whose CheckSum field must hold zero: the sum of
/// its little-endian 16-bit words with the carries folded back in (a lone
/// last byte counts as a word with a zero high byte), plus the file's length.
pub(crate) fn checksum(file: &File) -> io::Result<u32> {
    let len = file.metadata()?.len();
    let mut buffer = vec![0u8; 1 << 20];
    let mut sum = WordSum::default();
    while sum.len() < len {
        let n = usize::try_from(len.saturating_sub(sum.len())).unwrap_or(usize::MAX).min(buffer.len());
        let block = buffer.get_mut(..n).unwrap_or_default();
        file.read_exact_at(block, sum.len())?;
        sum.add(block);
    }
    Ok(sum.checksum())
}

/// The checksum's sum of bytes given in pieces of any length, in file order
/// from an even offset (the data-library writer sums its headers and its
/// streamed payload with it).
///
/// End-around-carry addition is associative, so folding once per piece
/// gives the same 16 bits as `imagehlp`'s fold after every word.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct WordSum {
    sum: u64,
    /// How many bytes were added; if odd, the last one was counted as a low
    /// byte and the next one is a high byte.
    len: u64,
}

impl WordSum {
    pub(crate) fn add(&mut self, mut bytes: &[u8]) {
        self.len = self.len.saturating_add(bytes.len() as u64);
        let mut sum = self.sum;
        if self.len.saturating_sub(bytes.len() as u64) % 2 == 1 {
            if let Some((&high, rest)) = bytes.split_first() {
                sum = sum.saturating_add(u64::from(high) << 8);
                bytes = rest;
            }
        }
        let mut words = bytes.chunks_exact(2);
        // Below 2^16 per word: no slice is long enough to overflow 64 bits.
        let words_sum: u64 = words
            .by_ref()
            .map(|w| match w {
                [a, b] => u64::from(u16::from_le_bytes([*a, *b])),
                _ => 0,
            })
            .sum();
        let last = words.remainder().first().map_or(0, |&b| u64::from(b));
        self.sum = fold(sum.saturating_add(words_sum).saturating_add(last));
    }

    /// How many bytes were added.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The folded 16-bit sum of the words so far.
    pub(crate) fn folded(&self) -> u16 {
        fold(self.sum) as u16
    }

    /// The PE checksum of the bytes added: the folded sum plus their length
    /// (modulo 2^32, as the field holds it).
    pub(crate) fn checksum(&self) -> u32 {
        u32::from(self.folded()).wrapping_add(self.len as u32)
    }
}

/// Folds the carries of a one's-complement sum into 16 bits.
fn fold(mut sum: u64) -> u64 {
    while sum > 0xffff {
        sum = (sum & 0xffff).saturating_add(sum >> 16);
    }
    sum
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use std::io::Write;

    use super::*;

    /// `imagehlp`'s loop, word by word, folding after every addition.
    fn word_by_word(bytes: &[u8]) -> u32 {
        let mut sum = 0u32;
        for word in bytes.chunks(2) {
            sum += u32::from(word[0]) | u32::from(*word.get(1).unwrap_or(&0)) << 8;
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum.wrapping_add(bytes.len() as u32)
    }

    #[test]
    fn blocks_sum_as_words_do() {
        // Odd lengths, and one that spans two of the 1 MiB blocks.
        for len in [0, 1, 2, 4097, (1 << 20) + 3] {
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&bytes).unwrap();
            assert_eq!(checksum(&file).unwrap(), word_by_word(&bytes), "{len} bytes");
            // Pieces of odd and even lengths, as a payload streams by.
            let mut sum = WordSum::default();
            let mut rest = &bytes[..];
            for size in [1, 3, 2, 7, 4096, 1].iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (piece, tail) = rest.split_at((*size).min(rest.len()));
                sum.add(piece);
                rest = tail;
            }
            assert_eq!(sum.checksum(), word_by_word(&bytes), "{len} bytes in pieces");
        }
    }
}
