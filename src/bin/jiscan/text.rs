//! Text that reaches a terminal: control characters in file names are
//! escaped, as `ls -b` does, so that a name with a newline cannot split a
//! table row and an ESC sequence in a name cannot drive the terminal.

use std::borrow::Cow;

/// `text` with control characters escaped: `\n`, `\t` and the other C
/// escapes, `\ooo` (octal, per byte) for the rest of C0, DEL and the C1
/// controls, and `\\` for a backslash, so that the escaped form is
/// unambiguous. Text without any is returned as it is.
///
/// ```text
/// "evil\n\x1b[31m.so"  ->  "evil\\n\\033[31m.so"
/// ```
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || c == '\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().saturating_add(8));
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut bytes = [0u8; 4];
                for b in c.encode_utf8(&mut bytes).bytes() {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_characters_are_escaped_like_ls() {
        assert_eq!(escape("plain/path.so"), "plain/path.so");
        assert_eq!(escape("evil\n\x1b[31mred.so"), "evil\\n\\033[31mred.so");
        assert_eq!(
            escape("bell\x07 tab\t del\x7f c1\u{85} back\\slash"),
            "bell\\a tab\\t del\\177 c1\\302\\205 back\\\\slash"
        );
        assert_eq!(escape("ünïcode ✓"), "ünïcode ✓");
    }
}
