//! JSON values that keep their objects' keys in the order they were written.
//! `serde_json::Value` sorts them; a file people edit by hand (such as
//! `.claude/settings.json`) must come back with its keys where they were when
//! we add to it. Parsing is serde_json's own (same errors, same limits); only
//! the tree we build differs.
use std::fmt;

use serde_core::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    /// Keys in the order of the text (duplicates kept as written).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parse one JSON document; the error names the line and column.
    pub fn parse(text: &str) -> Result<Json, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn str(s: &str) -> Json {
        Json::String(s.to_string())
    }

    /// The value of the first `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value of the first `key` of an object, added at the end with
    /// `default` when absent. None when `self` is not an object.
    pub fn entry(&mut self, key: &str, default: impl FnOnce() -> Json) -> Option<&mut Json> {
        let Json::Object(entries) = self else { return None };
        let at = match entries.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                entries.push((key.to_string(), default()));
                entries.len() - 1
            }
        };
        Some(&mut entries[at].1)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Indented text, one member per line, the way editors and Claude Code
    /// write settings files, with `indent` per level and a final newline.
    pub fn to_pretty(&self, indent: &str) -> String {
        let mut out = String::new();
        self.write(&mut out, indent, 0);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, indent: &str, depth: usize) {
        let pad = |out: &mut String, depth: usize| (0..depth).for_each(|_| out.push_str(indent));
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => out.push_str(&n.to_string()),
            Json::String(s) => out.push_str(&serde_json::to_string(s).expect("strings always serialize")),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Object(entries) if entries.is_empty() => out.push_str("{}"),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    pad(out, depth + 1);
                    item.write(out, indent, depth + 1);
                }
                out.push('\n');
                pad(out, depth);
                out.push(']');
            }
            Json::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    pad(out, depth + 1);
                    out.push_str(&serde_json::to_string(key).expect("strings always serialize"));
                    out.push_str(": ");
                    value.write(out, indent, depth + 1);
                }
                out.push('\n');
                pad(out, depth);
                out.push('}');
            }
        }
    }
}

/// The indentation of one level in `text`: the leading whitespace of its
/// first indented line (two spaces when there is none).
pub fn indent_of(text: &str) -> String {
    text.lines().map(|l| &l[..l.len() - l.trim_start().len()]).find(|ws| !ws.is_empty()).unwrap_or("  ").to_string()
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Number::from_f64(v).map(Json::Number).unwrap_or(Json::Null))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        Json::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order_and_text_round_trips() {
        let text = "{\n  \"zeta\": 1,\n  \"alpha\": [\n    true,\n    null,\n    -2.5,\n    \"é\\n\\\"q\\\"\"\n  ],\n  \"mid\": {},\n  \"list\": []\n}\n";
        let v = Json::parse(text).unwrap();
        let keys: Vec<&str> = match &v {
            Json::Object(e) => e.iter().map(|(k, _)| k.as_str()).collect(),
            _ => panic!(),
        };
        assert_eq!(keys, ["zeta", "alpha", "mid", "list"]);
        assert_eq!(v.to_pretty("  "), text);
        assert_eq!(Json::parse(&v.to_pretty("\t")).unwrap(), v);
    }

    #[test]
    fn entries_are_added_at_the_end() {
        let mut v = Json::parse(r#"{"b": 1, "a": 2}"#).unwrap();
        *v.entry("a", || Json::Null).unwrap() = Json::Bool(true);
        v.entry("c", || Json::Array(Vec::new())).unwrap();
        assert_eq!(v.to_pretty("  "), "{\n  \"b\": 1,\n  \"a\": true,\n  \"c\": []\n}\n");
        assert!(Json::Array(Vec::new()).entry("x", || Json::Null).is_none());
        assert_eq!(v.get("b"), Some(&Json::Number(1.into())));
    }

    #[test]
    fn errors_name_the_place() {
        let e = Json::parse("{\n  \"a\": 1,\n}").unwrap_err();
        assert_eq!((e.line(), e.column()), (3, 1));
        assert!(Json::parse("[1, 2").is_err());
        assert!(Json::parse("{} extra").is_err());
    }

    #[test]
    fn indentation_is_read_from_the_text() {
        assert_eq!(indent_of("{\n    \"a\": 1\n}"), "    ");
        assert_eq!(indent_of("{\n\t\"a\": 1\n}"), "\t");
        assert_eq!(indent_of("{}"), "  ");
    }
}
