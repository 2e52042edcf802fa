//! The gate ledger: each gate run writes `tmp/gate.json` in the workspace (time,
//! phase, verdict, findings, a hash of each document), so `list` and `status`
//! can show the last result and whether a document changed since ("stale").
use serde_json::{json, Map, Value};

use crate::core::finding::Finding;

pub const FILE: &str = "tmp/gate.json";

/// FNV-1a, 64 bits: stable across Rust versions and machines (std's hasher is
/// not), and enough to notice an edited document.
pub fn hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The hash the ledger records for a document: of its bytes, leaving out the
/// bodies of generated regions (`recover` rewrites those; that is no edit).
pub fn document_hash(bytes: &[u8]) -> String {
    // A BOM is not content: the gate hashes decoded text, `list` raw bytes.
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) if text.contains("<!-- xtask:begin ") => hash(crate::core::markers::without_regions(text).as_bytes()),
        _ => hash(bytes),
    }
}

/// What one gate run of a workspace recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub time: String,
    pub phase: String,
    pub ok: bool,
    pub findings: Vec<Finding>,
    /// Document path inside the workspace -> hash of its bytes.
    pub hashes: Vec<(String, String)>,
}

impl Entry {
    pub fn to_json(&self) -> Value {
        let hashes: Map<String, Value> = self.hashes.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        json!({
            "version": 1,
            "time": self.time,
            "phase": self.phase,
            "ok": self.ok,
            "failed": self.findings.iter().filter(|f| f.is_fail()).count(),
            "hashes": hashes,
            "findings": self.findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        })
    }

    /// None when the text is not a ledger we wrote (then it is ignored, not fatal).
    pub fn from_json(text: &str) -> Option<Entry> {
        let v: Value = serde_json::from_str(text).ok()?;
        Some(Entry {
            time: v.get("time")?.as_str()?.to_string(),
            phase: v.get("phase")?.as_str()?.to_string(),
            ok: v.get("ok")?.as_bool()?,
            findings: v.get("findings")?.as_array()?.iter().filter_map(Finding::from_json).collect(),
            hashes: v
                .get("hashes")?
                .as_object()?
                .iter()
                .filter_map(|(k, h)| Some((k.clone(), h.as_str()?.to_string())))
                .collect(),
        })
    }

    /// Documents whose hash differs from the recorded one (or that appeared or
    /// vanished since): the ledger is stale when this is not empty.
    pub fn changed_since(&self, current: &[(String, String)]) -> Vec<String> {
        let mut changed: Vec<String> = current
            .iter()
            .filter(|(path, h)| self.hashes.iter().find(|(p, _)| p == path).is_none_or(|(_, old)| old != h))
            .map(|(p, _)| p.clone())
            .collect();
        changed
            .extend(self.hashes.iter().filter(|(p, _)| !current.iter().any(|(c, _)| c == p)).map(|(p, _)| p.clone()));
        changed.sort();
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_reference_values() {
        assert_eq!(hash(b""), "cbf29ce484222325");
        assert_eq!(hash(b"a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn round_trip_and_staleness() {
        let e = Entry {
            time: "2026-11-23T10:00:00Z".into(),
            phase: "prd".into(),
            ok: false,
            findings: vec![Finding::fail("words", "document", "too short").at("specs/active/x/prd.md", Some(1))],
            hashes: vec![("prd.md".into(), hash(b"one")), ("tasks.md".into(), hash(b"t"))],
        };
        let back = Entry::from_json(&e.to_json().to_string()).unwrap();
        assert_eq!(back, e);
        assert!(back.changed_since(&[("prd.md".into(), hash(b"one")), ("tasks.md".into(), hash(b"t"))]).is_empty());
        assert_eq!(back.changed_since(&[("prd.md".into(), hash(b"two")), ("tasks.md".into(), hash(b"t"))]), ["prd.md"]);
        assert_eq!(back.changed_since(&[("prd.md".into(), hash(b"one"))]), ["tasks.md"]);
        assert!(Entry::from_json("not json").is_none());
    }
}
