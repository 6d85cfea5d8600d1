//! CRC-32C (Castagnoli), the checksum Julia uses for `.ji` files.
//!
//! With `std`, the `crc32c` crate uses the SSE4.2 or ARMv8 CRC instructions
//! when the CPU has them. Without `std` (no runtime CPU detection), a
//! table-driven software version is used.

/// The CRC-32C of `bytes`.
///
/// ```
/// // The CRC catalogue's check value for CRC-32C ("CRC-32/ISCSI").
/// assert_eq!(pkgimg::crc::crc32c(b"123456789"), 0xe306_9283);
///
/// // corpus/expected.json: the payload of `elf/x86_64-linux-musl.so` is the
/// // 1000 bytes at 1088, with CRC-32C 2795334585.
/// let file = std::fs::read("corpus/elf/x86_64-linux-musl.so").unwrap();
/// assert_eq!(pkgimg::crc::crc32c(&file[1088..2088]), 2795334585);
/// ```
#[cfg(feature = "std")]
pub fn crc32c(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

/// The CRC-32C of `bytes`.
#[cfg(not(feature = "std"))]
pub fn crc32c(bytes: &[u8]) -> u32 {
    software(bytes)
}

/// Reflected CRC-32C polynomial.
const POLY: u32 = 0x82f6_3b78;

// Built at compile time; the loop bounds keep the indices in range.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ POLY } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// Byte-at-a-time CRC-32C: slow, but needs no CPU feature. [`crc32c()`] uses it
/// without `std`; with `std` it remains an implementation independent of the
/// `crc32c` crate's.
///
/// ```
/// assert_eq!(pkgimg::crc::software(b"123456789"), 0xe306_9283);
/// assert_eq!(pkgimg::crc::software(b""), 0);
/// ```
pub fn software(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &b| {
        let index = usize::from((crc as u8) ^ b);
        (crc >> 8) ^ TABLE.get(index).copied().unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn check_value() {
        // The CRC-32C check value from the CRC catalogue (RFC 3720, B.4).
        assert_eq!(super::software(b"123456789"), 0xe306_9283);
        assert_eq!(super::crc32c(b"123456789"), 0xe306_9283);
    }
}
