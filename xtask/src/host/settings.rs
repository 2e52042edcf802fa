//! Settings: `[workspace.metadata.xtask]` in the root Cargo.toml, plus what the
//! host's pyproject.toml declares. Every key is optional; defaults follow the
//! workflow this kit checks (src/ layout, tests/unit, 90% coverage).
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::toml_lite;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Python source folders, relative to the root (`source-roots`, default `["src"]`).
    pub source_roots: Vec<String>,
    /// `unit-tests`, default `tests/unit`.
    pub unit_tests: String,
    /// `integration-tests`, default `tests/integration`.
    pub integration_tests: String,
    /// Environment variables integration tests need (`integration-env`).
    pub integration_env: Vec<String>,
    /// Minimum coverage of each modified module, percent (`coverage-threshold`).
    pub coverage_threshold: f64,
    /// Minimum changed-line coverage, percent; gated only when set.
    pub changed_line_threshold: Option<f64>,
    /// The anti-pattern rules enabled (`rules-enabled`, `[[...rules]]`).
    pub rules: Vec<crate::core::checks::rules::Rule>,
    /// Globs of the config templates (`env-templates`); None when not set.
    pub env_templates: Option<Vec<String>>,
    /// Patterns that read an environment variable (built-in ones plus
    /// `env-call-patterns`).
    pub env_patterns: Vec<regex_lite::Regex>,
    /// The host's pyproject.toml, parsed (Null when absent or unreadable).
    pub pyproject: Value,
    /// Lowest Python the host supports, from `requires-python` (e.g. `>=3.8`).
    pub python_min: Option<(u32, u32)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            source_roots: vec!["src".into()],
            unit_tests: "tests/unit".into(),
            integration_tests: "tests/integration".into(),
            integration_env: Vec::new(),
            coverage_threshold: 90.0,
            changed_line_threshold: None,
            rules: Vec::new(),
            env_templates: None,
            env_patterns: crate::core::checks::env_templates::builtin_patterns(),
            pyproject: Value::Null,
            python_min: None,
        }
    }
}

impl Settings {
    /// Read the settings of the repository at `root`. A malformed Cargo.toml or
    /// a setting of the wrong type is an error naming the file and key.
    pub fn load(root: &Path) -> Result<Settings> {
        let mut s = Settings::default();
        let cargo = root.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&cargo) {
            let doc =
                toml_lite::parse(&text).map_err(|e| Error::usage(format!("{}: {e}; fix the TOML", cargo.display())))?;
            let table = &doc["workspace"]["metadata"]["xtask"];
            if table.is_object() {
                s.apply(table)
                    .map_err(|e| Error::usage(format!("{}: [workspace.metadata.xtask] {e}", cargo.display())))?;
            }
        }
        let pyproject = root.join("pyproject.toml");
        if let Ok(text) = std::fs::read_to_string(&pyproject) {
            // A pyproject we cannot read fully is not our business to reject:
            // we only lose its optional hints.
            if let Ok(doc) = toml_lite::parse(&text) {
                s.python_min = doc["project"]["requires-python"].as_str().and_then(python_minimum);
                s.pyproject = doc;
            }
        }
        Ok(s)
    }

    fn apply(&mut self, t: &Value) -> std::result::Result<(), String> {
        if let Some(v) = t.get("source-roots") {
            self.source_roots = string_list(v, "source-roots")?;
            if self.source_roots.iter().any(|r| escapes(r)) {
                return Err("source-roots: each entry must be a relative path inside the repository".into());
            }
        }
        if let Some(v) = t.get("unit-tests") {
            self.unit_tests = string(v, "unit-tests")?;
        }
        if let Some(v) = t.get("integration-tests") {
            self.integration_tests = string(v, "integration-tests")?;
        }
        if let Some(v) = t.get("integration-env") {
            self.integration_env = string_list(v, "integration-env")?;
        }
        if let Some(v) = t.get("coverage-threshold") {
            self.coverage_threshold = percent(v, "coverage-threshold")?;
        }
        if let Some(v) = t.get("changed-line-threshold") {
            self.changed_line_threshold = Some(percent(v, "changed-line-threshold")?);
        }
        self.rules = crate::core::checks::rules::from_settings(t)?;
        let (templates, patterns) = crate::core::checks::env_templates::from_settings(t)?;
        if templates.as_ref().is_some_and(Vec::is_empty) {
            return Err("env-templates is empty; list the config template globs or remove the setting".into());
        }
        self.env_templates = templates;
        self.env_patterns = patterns;
        Ok(())
    }
}

/// A relative path that would leave the root.
fn escapes(p: &str) -> bool {
    Path::new(p).is_absolute() || p.split(['/', '\\']).any(|c| c == "..")
}

fn string(v: &Value, key: &str) -> std::result::Result<String, String> {
    v.as_str().map(str::to_string).ok_or_else(|| format!("{key}: expected a string"))
}

fn string_list(v: &Value, key: &str) -> std::result::Result<Vec<String>, String> {
    let items = v.as_array().ok_or_else(|| format!("{key}: expected a list of strings"))?;
    items.iter().map(|i| string(i, key)).collect()
}

fn percent(v: &Value, key: &str) -> std::result::Result<f64, String> {
    match v.as_f64() {
        Some(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("{key}: expected a number from 0 to 100")),
    }
}

/// The lowest `3.N` a `requires-python` specifier allows: `>=3.8,<3.13` -> (3, 8).
pub fn python_minimum(spec: &str) -> Option<(u32, u32)> {
    spec.split(',').map(str::trim).find_map(|clause| {
        let version = clause
            .strip_prefix(">=")
            .or_else(|| clause.strip_prefix("~="))
            .or_else(|| clause.strip_prefix("=="))
            .or_else(|| clause.strip_prefix('>'))?;
        let mut parts = version.trim().split('.');
        let major = parts.next()?.trim().parse().ok()?;
        let minor = parts.next().and_then(|m| m.trim_end_matches('*').parse().ok()).unwrap_or(0);
        Some((major, minor))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_python() {
        assert_eq!(python_minimum(">=3.7,<3.12"), Some((3, 7)));
        assert_eq!(python_minimum("<3.13, >= 3.9"), Some((3, 9)));
        assert_eq!(python_minimum("~=3.10"), Some((3, 10)));
        assert_eq!(python_minimum("==3.11.*"), Some((3, 11)));
        assert_eq!(python_minimum("<4"), None);
    }

    #[test]
    fn applies_and_validates() {
        let mut s = Settings::default();
        let t = serde_json::json!({"source-roots": ["lib"], "coverage-threshold": 80});
        s.apply(&t).unwrap();
        assert_eq!(s.source_roots, ["lib"]);
        assert_eq!(s.coverage_threshold, 80.0);
        assert!(s.apply(&serde_json::json!({"source-roots": ["../x"]})).is_err());
        assert!(s.apply(&serde_json::json!({"coverage-threshold": 120})).is_err());
        assert!(s.apply(&serde_json::json!({"unit-tests": 3})).is_err());
    }
}
