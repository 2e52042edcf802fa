//! SARIF 2.1.0, the format code scanning reads (GitHub uploads it with
//! `github/codeql-action/upload-sarif`). One run; `tool.driver` lists one rule
//! per check id/rule met in the report; each failing finding is one result at
//! a file (relative to the repository root) and a line. Passing and skipped
//! findings are not alerts: they are left out.
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{catalog, Report, WorkspaceReport};
use crate::core::finding::Finding;
use crate::core::ledger;

pub const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
pub const TOOL_NAME: &str = "spec-gate";
/// Results GitHub accepts in one run; beyond it an upload is refused.
pub const MAX_RESULTS: usize = 25_000;
/// The `partialFingerprints` key of our results.
pub const FINGERPRINT_KEY: &str = "specGateFinding/v1";

/// Where findings that name no file are shown: code scanning needs a file.
#[derive(Debug, Clone)]
pub struct Options {
    /// Repository findings with no file (e.g. the test run as a whole).
    pub repo_anchor: String,
    pub version: String,
}

impl Default for Options {
    fn default() -> Self {
        Options { repo_anchor: "Cargo.toml".into(), version: env!("CARGO_PKG_VERSION").into() }
    }
}

pub fn render(report: &Report, options: &Options) -> Value {
    let rules = rule_ids(report);
    let index: BTreeMap<&str, usize> = rules.iter().enumerate().map(|(i, r)| (r.as_str(), i)).collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let failing: Vec<(Option<&WorkspaceReport>, &Finding)> = report.placed().filter(|(_, f)| f.is_fail()).collect();
    let results: Vec<Value> = failing
        .iter()
        .take(MAX_RESULTS)
        .map(|(ws, f)| {
            let rule_id = rule_id(f);
            let (uri, line) = place(*ws, f, options);
            let key = fingerprint_key(&rule_id, &uri, &f.message);
            let occurrence = seen.entry(key.clone()).and_modify(|n| *n += 1).or_insert(1);
            let mut properties = Map::new();
            if let Some(w) = ws {
                properties.insert("workspace".into(), json!(w.slug));
                properties.insert("phase".into(), json!(w.phase));
            }
            if let Some(m) = f.measured {
                properties.insert("measured".into(), json!(m));
            }
            if let Some(r) = f.required {
                properties.insert("required".into(), json!(r));
            }
            let mut result = json!({
                "ruleId": rule_id,
                "ruleIndex": index[rule_id.as_str()],
                "level": "error",
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_reference(&uri)},
                        "region": {"startLine": line},
                    }
                }],
                "partialFingerprints": {FINGERPRINT_KEY: format!("{}:{occurrence}", ledger::hash(key.as_bytes()))},
            });
            if !properties.is_empty() {
                result["properties"] = Value::Object(properties);
            }
            result
        })
        .collect();
    let mut run = json!({
        "tool": {"driver": {
            "name": TOOL_NAME,
            "semanticVersion": options.version,
            "rules": rules.iter().map(|r| rule(r)).collect::<Vec<_>>(),
        }},
        "results": results,
    });
    if failing.len() > MAX_RESULTS {
        run["properties"] = json!({"omittedResults": failing.len() - MAX_RESULTS});
    }
    json!({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]})
}

/// `words/section`: the check id and the rule within it.
fn rule_id(f: &Finding) -> String {
    format!("{}/{}", f.id, f.rule)
}

/// Every check id/rule of the report, passing ones included (so the list
/// does not change as failures come and go), in the catalog's order.
fn rule_ids(report: &Report) -> Vec<String> {
    let order = |id: &str| catalog::ids().position(|c| c == id).unwrap_or(usize::MAX);
    let mut ids: Vec<(usize, String)> = report.all().map(|f| (order(&f.id), rule_id(f))).collect();
    ids.sort();
    ids.dedup();
    ids.into_iter().map(|(_, r)| r).collect()
}

fn rule(rule_id: &str) -> Value {
    let (id, rule) = rule_id.split_once('/').unwrap_or((rule_id, ""));
    let info = catalog::check(id);
    json!({
        "id": rule_id,
        "name": pascal_case(rule_id),
        "shortDescription": {"text": format!("{} ({id}, rule {rule})", info.short)},
        "fullDescription": {"text": info.full},
        "help": {"text": info.help, "markdown": info.help},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["spec-gate", id]},
    })
}

/// `api-docs/docstring` -> `ApiDocsDocstring`.
fn pascal_case(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|first| first.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The file and line a result is shown at: the finding's own, a document's
/// first line when it names no line, and for findings with no file the
/// workspace's PRD or the repository anchor.
fn place(ws: Option<&WorkspaceReport>, f: &Finding, options: &Options) -> (String, usize) {
    let file = match (&f.file, ws) {
        (Some(file), _) => file.trim_start_matches("./").to_string(),
        (None, Some(w)) => format!("specs/active/{}/prd.md", w.slug),
        (None, None) => options.repo_anchor.clone(),
    };
    (file, f.line.unwrap_or(1).max(1))
}

/// The same alert from one run to the next: the rule, the file and the
/// message with its figures left out (a section that grows from 300 to 400
/// words is still the same shortfall), never the line, which moves as a
/// document is edited. Equal keys are told apart by their order.
fn fingerprint_key(rule_id: &str, file: &str, message: &str) -> String {
    let mut key = format!("{rule_id}\u{0}{file}\u{0}");
    let mut in_number = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                key.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            key.push(c);
        }
    }
    key
}

/// A relative path as a URI reference: every byte outside the unreserved
/// characters and `/` is percent-encoded (a space, `#`, `%`, non-ASCII).
pub fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn one_result_per_failure_with_its_rule() {
        let log = render(&sample(), &Options::default());
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], TOOL_NAME);
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["words/section", "snippets/skipped", "compile/file"]);
        assert!(rules[0]["help"]["text"].as_str().unwrap().contains("Write more prose"));
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 1);
        let r = &results[0];
        assert_eq!(r["ruleId"], "words/section");
        assert_eq!(r["ruleIndex"], 0);
        assert_eq!(r["level"], "error");
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "specs/active/x/prd.md");
        assert_eq!(loc["region"]["startLine"], 41);
        assert_eq!(r["properties"]["workspace"], "x");
    }

    #[test]
    fn findings_without_a_place_get_one() {
        let report = Report {
            checks: vec![Finding::fail("tests", "failed", "2 tests failed")],
            workspaces: vec![WorkspaceReport {
                slug: "w".into(),
                phase: "prd".into(),
                checks: vec![Finding::fail("words", "document", "too short").at("specs/active/w/prd.md", None)],
            }],
        };
        let log = render(&report, &Options { repo_anchor: "pyproject.toml".into(), version: "1.2.3".into() });
        let uris: Vec<(String, u64)> = log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let p = &r["locations"][0]["physicalLocation"];
                (p["artifactLocation"]["uri"].as_str().unwrap().to_string(), p["region"]["startLine"].as_u64().unwrap())
            })
            .collect();
        assert_eq!(uris, [("pyproject.toml".to_string(), 1), ("specs/active/w/prd.md".to_string(), 1)]);
        assert_eq!(log["runs"][0]["tool"]["driver"]["semanticVersion"], "1.2.3");
    }

    #[test]
    fn fingerprints_ignore_figures_and_lines_but_tell_twins_apart() {
        let at = |line, words: u32| {
            Finding::fail("words", "section", format!("section \"Overview\" has {words} words, needs 300"))
                .at("specs/active/x/prd.md", Some(line))
        };
        let fp = |checks: Vec<Finding>| -> Vec<String> {
            let r = Report { checks, workspaces: Vec::new() };
            render(&r, &Options::default())["runs"][0]["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(fp(vec![at(5, 120)]), fp(vec![at(9, 250)]));
        let twins = fp(vec![at(5, 10), at(20, 10)]);
        assert_ne!(twins[0], twins[1]);
        assert!(twins[1].ends_with(":2"));
        let other = fp(vec![Finding::fail("words", "section", "section \"Risks\" has 1 words, needs 300")
            .at("specs/active/x/prd.md", Some(5))]);
        assert_ne!(other, fp(vec![at(5, 1)]));
    }

    #[test]
    fn uris_are_encoded() {
        assert_eq!(uri_reference("specs/active/a b/#1 é.md"), "specs/active/a%20b/%231%20%C3%A9.md");
        assert_eq!(pascal_case("api-docs/docstring"), "ApiDocsDocstring");
    }
}
