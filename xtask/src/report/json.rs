//! The JSON document agents and scripts read (its shape is documented in
//! specs/guides/agents.md): one object on stdout, even when the command could
//! not run.
use serde_json::{json, Value};

use super::Report;
use crate::core::finding::Finding;
use crate::error::{Error, ErrorKind};

/// Version of the JSON document; bumped only on incompatible changes.
pub const JSON_VERSION: u64 = 1;

pub fn report(report: &Report) -> Value {
    json!({
        "version": JSON_VERSION,
        "ok": report.ok(),
        "checks": report.checks.iter().map(Finding::to_json).collect::<Vec<_>>(),
        "workspaces": report.workspaces.iter().map(|w| json!({
            "slug": w.slug,
            "phase": w.phase,
            "ok": w.ok(),
            "checks": w.checks.iter().map(Finding::to_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The document printed instead of a report when the command could not do its
/// job (exit 2, or 1 when it refused): the same top-level shape, nothing
/// checked, and an `error` saying what to fix, so a reader of stdout never
/// has to fall back to stderr.
pub fn error(err: &Error) -> Value {
    let (kind, exit) = match err.kind {
        ErrorKind::Usage => ("usage", 2),
        ErrorKind::Refused => ("refused", 1),
    };
    json!({
        "version": JSON_VERSION,
        "ok": false,
        "error": {"kind": kind, "exit": exit, "message": err.message},
        "checks": [],
        "workspaces": [],
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn json_document_shape() {
        let v = report(&sample());
        assert_eq!(v["version"], 1);
        assert_eq!(v["ok"], false);
        assert_eq!(v["checks"][0]["status"], "pass");
        assert_eq!(v["workspaces"][0]["ok"], false);
        assert_eq!(v["workspaces"][0]["checks"][0]["line"], 41);
    }

    #[test]
    fn an_error_is_a_document_too() {
        let v = error(&Error::usage("specs/active/y: unknown workspace; create it with `cargo xtask new-spec NAME`"));
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["exit"], 2);
        assert_eq!(v["error"]["kind"], "usage");
        assert!(v["error"]["message"].as_str().unwrap().starts_with("specs/active/y"));
        assert_eq!(v["workspaces"], json!([]));
        assert_eq!(error(&Error::refused("exists"))["error"]["exit"], 1);
    }
}
