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

/// One hash of everything the repository's change is made of: the base
/// commit, the diff of the working tree against it (staged and unstaged
/// alike), and each untracked file's name and content hash.
pub fn change_fingerprint(base: Option<&str>, diff: &[u8], untracked: &[(String, String)]) -> String {
    let mut all = Vec::with_capacity(diff.len() + 64 * (untracked.len() + 1));
    all.extend_from_slice(base.unwrap_or("no base").as_bytes());
    all.push(0);
    all.extend_from_slice(diff);
    for (path, hash) in untracked {
        all.push(0);
        all.extend_from_slice(path.as_bytes());
        all.push(0);
        all.extend_from_slice(hash.as_bytes());
    }
    hash(&all)
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
    /// [`change_fingerprint`] of the repository's change when the gate ran
    /// the Python checks (None otherwise): a passing result stays good while
    /// neither this nor the documents differ.
    pub change: Option<String>,
}

impl Entry {
    pub fn to_json(&self) -> Value {
        let hashes: Map<String, Value> = self.hashes.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let mut v = json!({
            "version": 1,
            "time": self.time,
            "phase": self.phase,
            "ok": self.ok,
            "failed": self.findings.iter().filter(|f| f.is_fail()).count(),
            "hashes": hashes,
            "findings": self.findings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        });
        if let Some(change) = &self.change {
            v["change"] = json!(change);
        }
        v
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
            change: v.get("change").and_then(Value::as_str).map(str::to_string),
        })
    }

    /// Whether this passing result still holds for a workspace now at
    /// `phase` whose documents hash to `hashes`, in a repository whose change
    /// fingerprints to `change`: nothing the gate measured differs. A result
    /// recorded without a fingerprint (no Python checks ran) is never reused.
    pub fn still_passes(&self, phase: &str, hashes: &[(String, String)], change: &str) -> bool {
        self.ok
            && self.phase == phase
            && self.change.as_deref() == Some(change)
            && self.changed_since(hashes).is_empty()
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
            change: None,
        };
        let back = Entry::from_json(&e.to_json().to_string()).unwrap();
        assert_eq!(back, e);
        assert!(back.changed_since(&[("prd.md".into(), hash(b"one")), ("tasks.md".into(), hash(b"t"))]).is_empty());
        assert_eq!(back.changed_since(&[("prd.md".into(), hash(b"two")), ("tasks.md".into(), hash(b"t"))]), ["prd.md"]);
        assert_eq!(back.changed_since(&[("prd.md".into(), hash(b"one"))]), ["tasks.md"]);
        assert!(Entry::from_json("not json").is_none());
    }

    #[test]
    fn a_passing_result_is_reused_only_while_nothing_it_measured_differs() {
        let docs = vec![("prd.md".to_string(), hash(b"one"))];
        let change = change_fingerprint(Some("abc"), b"diff --git a/x b/x", &[("new.py".into(), hash(b"x = 1"))]);
        let e = Entry {
            time: "t".into(),
            phase: "implementation".into(),
            ok: true,
            findings: Vec::new(),
            hashes: docs.clone(),
            change: Some(change.clone()),
        };
        let e = Entry::from_json(&e.to_json().to_string()).unwrap();
        assert!(e.still_passes("implementation", &docs, &change));
        assert!(!e.still_passes("testing", &docs, &change));
        assert!(!e.still_passes("implementation", &[("prd.md".into(), hash(b"two"))], &change));
        let edited = change_fingerprint(Some("abc"), b"diff --git a/x b/x\n+1", &[("new.py".into(), hash(b"x = 1"))]);
        assert!(!e.still_passes("implementation", &docs, &edited));
        let new_file = change_fingerprint(Some("abc"), b"diff --git a/x b/x", &[("new.py".into(), hash(b"x = 2"))]);
        assert_ne!(new_file, change);
        assert_ne!(
            change_fingerprint(Some("abd"), b"diff --git a/x b/x", &[("new.py".into(), hash(b"x = 1"))]),
            change
        );
        let failed = Entry { ok: false, ..e.clone() };
        assert!(!failed.still_passes("implementation", &docs, &change));
        let unmeasured = Entry { change: None, ..e };
        assert!(!unmeasured.still_passes("implementation", &docs, &change));
    }
}
