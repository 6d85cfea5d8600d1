//! A JSON value that keeps its keys in the order they were written, so that
//! `path` comes first in every line (serde_json's map sorts keys unless its
//! `preserve_order` feature is on). serde_json escapes the strings.

use std::fmt::{self, Write};

/// A JSON value.
#[derive(Clone, Debug)]
pub enum Json {
    Null,
    Bool(bool),
    Num(u64),
    /// A float, printed in Rust's shortest round-trip form with a fraction or
    /// exponent (`-1.0`, `1715000123.5`); NaN and infinities (which JSON
    /// lacks) print as null.
    Float(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(&'static str, Json)>),
}

impl From<bool> for Json {
    fn from(v: bool) -> Json {
        Json::Bool(v)
    }
}

impl From<u64> for Json {
    fn from(v: u64) -> Json {
        Json::Num(v)
    }
}

impl From<u32> for Json {
    fn from(v: u32) -> Json {
        Json::Num(v.into())
    }
}

impl From<u16> for Json {
    fn from(v: u16) -> Json {
        Json::Num(v.into())
    }
}

impl From<u8> for Json {
    fn from(v: u8) -> Json {
        Json::Num(v.into())
    }
}

impl From<f64> for Json {
    fn from(v: f64) -> Json {
        Json::Float(v)
    }
}

impl From<&str> for Json {
    fn from(v: &str) -> Json {
        Json::Str(v.to_owned())
    }
}

impl From<String> for Json {
    fn from(v: String) -> Json {
        Json::Str(v)
    }
}

impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(v: Option<T>) -> Json {
        v.map_or(Json::Null, Into::into)
    }
}

impl Json {
    /// Writes the value, on one line when `indent` is `None`, else spread
    /// over lines with two spaces per level.
    fn write(&self, f: &mut impl Write, indent: Option<usize>) -> fmt::Result {
        let (open, close, items): (char, char, Vec<(Option<&str>, &Json)>) = match self {
            Json::Null => return f.write_str("null"),
            Json::Bool(b) => return write!(f, "{b}"),
            Json::Num(n) => return write!(f, "{n}"),
            Json::Float(x) if x.is_finite() => return write!(f, "{x:?}"),
            Json::Float(_) => return f.write_str("null"),
            Json::Str(s) => return string(f, s),
            Json::Arr(items) => ('[', ']', items.iter().map(|v| (None, v)).collect()),
            Json::Obj(fields) => ('{', '}', fields.iter().map(|(k, v)| (Some(*k), v)).collect()),
        };
        f.write_char(open)?;
        let inner = indent.map(|n| n.saturating_add(1));
        for (i, (key, value)) in items.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            newline(f, inner)?;
            if let Some(key) = key {
                string(f, key)?;
                f.write_str(if indent.is_some() { ": " } else { ":" })?;
            }
            value.write(f, inner)?;
        }
        if !items.is_empty() {
            newline(f, indent)?;
        }
        f.write_char(close)
    }

    /// The value spread over lines, for a document people read.
    pub fn pretty(&self) -> Pretty<'_> {
        Pretty(self)
    }
}

/// One line: the JSON Lines form.
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, None)
    }
}

/// See [`Json::pretty`].
pub struct Pretty<'a>(&'a Json);

impl fmt::Display for Pretty<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, Some(0))
    }
}

fn newline(f: &mut impl Write, indent: Option<usize>) -> fmt::Result {
    if let Some(level) = indent {
        f.write_char('\n')?;
        for _ in 0..level {
            f.write_str("  ")?;
        }
    }
    Ok(())
}

fn string(f: &mut impl Write, s: &str) -> fmt::Result {
    f.write_str(&serde_json::to_string(s).map_err(|_| fmt::Error)?)
}

#[cfg(test)]
mod tests {
    use super::Json;

    #[test]
    fn keeps_key_order_and_escapes() {
        let v = Json::Obj(vec![
            ("z", Json::from("a\"b\n")),
            ("a", Json::Arr(vec![Json::from(1u64), Json::Null, Json::from(true)])),
            ("e", Json::Obj(vec![])),
        ]);
        assert_eq!(v.to_string(), r#"{"z":"a\"b\n","a":[1,null,true],"e":{}}"#);
        let pretty = v.pretty().to_string();
        assert_eq!(pretty, "{\n  \"z\": \"a\\\"b\\n\",\n  \"a\": [\n    1,\n    null,\n    true\n  ],\n  \"e\": {}\n}");
        let parsed: serde_json::Value = serde_json::from_str(&pretty).unwrap_or_default();
        assert_eq!(parsed.pointer("/a/0"), Some(&serde_json::json!(1)));
    }
}
