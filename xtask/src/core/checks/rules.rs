//! `rules`: anti-pattern regexes from the settings, matched against added lines.
//!
//! Settings (`[workspace.metadata.xtask]`):
//! ```toml
//! rules-enabled = ["direct-adapter-instantiation"]   # shipped rules to turn on
//! [[workspace.metadata.xtask.rules]]                  # a rule of the host's own
//! id = "no-print"
//! regex = '\bprint\('
//! include = ["src/**/*.py"]
//! exclude = ["src/**/cli.py"]
//! message = "use logging, not print"
//! ```
//! A declared rule with a shipped rule's id replaces that rule's fields it sets
//! and turns it on unless it says `enabled = false`.
use regex_lite::Regex;
use serde_json::Value;

use crate::core::diff::ChangedFile;
use crate::core::finding::Finding;
use crate::core::glob;

pub const ID: &str = "rules";

/// One anti-pattern rule, ready to match.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub regex: Regex,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub message: String,
}

/// A rule shipped with the kit, off until a host enables it.
struct Shipped {
    id: &'static str,
    regex: &'static str,
    include: &'static [&'static str],
    exclude: &'static [&'static str],
    message: &'static str,
}

/// The workflow's anti-patterns, shipped off (specs/guides/configuration.md).
const SHIPPED: [Shipped; 3] = [
    Shipped {
        id: "direct-adapter-instantiation",
        regex: r"\b(Backend|Frontend)[A-Z]\w*(Api|Table|Column)\s*\(",
        include: &["src/**/*.py"],
        exclude: &["**/factory/**", "tests/**"],
        message:
            "adapter class instantiated directly; create it through its factory (`*_factory()` or `*_factory_ctx()`)",
    },
    Shipped {
        id: "frontend-to-backend-type",
        regex: r#"(?i)\b\w*(oracle|mssql|teradata|frontend)\w*_type\s*==\s*["'][A-Z][A-Z0-9_ ]*["']"#,
        include: &["src/**/*.py"],
        exclude: &["tests/**"],
        message: "frontend type compared to a literal; map frontend types through the canonical types (GOE_TYPE_*)",
    },
    Shipped {
        id: "backend-check-in-orchestration",
        regex: r"\bbackend_type\s*(==|!=|in)\s*",
        include: &["**/orchestration/**/*.py"],
        exclude: &["tests/**"],
        message: "backend-specific check in the orchestration layer; put backend behaviour in the backend adapter",
    },
];

/// The enabled rules: shipped ones named in `rules-enabled` or redeclared, and
/// the host's own. Errors name the setting and say what is wrong.
pub fn from_settings(settings: &Value) -> Result<Vec<Rule>, String> {
    let enabled: Vec<String> = match settings.get("rules-enabled") {
        None => Vec::new(),
        Some(v) => v
            .as_array()
            .and_then(|a| a.iter().map(|i| i.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
            .ok_or("rules-enabled: expected a list of rule ids")?,
    };
    for id in &enabled {
        if !SHIPPED.iter().any(|s| s.id == id) {
            let known: Vec<&str> = SHIPPED.iter().map(|s| s.id).collect();
            return Err(format!("rules-enabled: unknown rule `{id}` (shipped rules: {})", known.join(", ")));
        }
    }
    let declared: &[Value] = match settings.get("rules") {
        None => &[],
        Some(Value::Array(items)) => items,
        Some(_) => return Err("rules: expected [[workspace.metadata.xtask.rules]] tables".into()),
    };
    let mut rules = Vec::new();
    for Shipped { id, regex, include, exclude, message } in SHIPPED {
        let redeclared = declared.iter().find(|d| d.get("id").and_then(Value::as_str) == Some(id));
        if !enabled.iter().any(|e| e == id) && redeclared.is_none() {
            continue;
        }
        let base = Spec {
            id: id.to_string(),
            regex: regex.to_string(),
            include: include.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            message: message.to_string(),
            enabled: true,
        };
        let spec = match redeclared {
            Some(d) => base.overlay(d)?,
            None => base,
        };
        if spec.enabled {
            rules.push(spec.compile()?);
        }
    }
    for (n, d) in declared.iter().enumerate() {
        let id = d.get("id").and_then(Value::as_str).ok_or(format!("rules[{n}]: `id` (a string) is required"))?;
        if SHIPPED.iter().any(|s| s.id == id) {
            continue;
        }
        if d.get("regex").is_none() {
            return Err(format!("rules `{id}`: `regex` is required"));
        }
        let base = Spec {
            id: id.to_string(),
            message: format!("matches anti-pattern rule `{id}`"),
            enabled: true,
            ..Spec::default()
        };
        let spec = base.overlay(d)?;
        if spec.enabled {
            rules.push(spec.compile()?);
        }
    }
    Ok(rules)
}

#[derive(Debug, Clone, Default)]
struct Spec {
    id: String,
    regex: String,
    include: Vec<String>,
    exclude: Vec<String>,
    message: String,
    enabled: bool,
}

impl Spec {
    fn overlay(mut self, d: &Value) -> Result<Spec, String> {
        let id = self.id.clone();
        let list = |key: &str| -> Result<Option<Vec<String>>, String> {
            match d.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_array()
                    .and_then(|a| a.iter().map(|i| i.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                    .map(Some)
                    .ok_or(format!("rules `{id}`: `{key}` must be a list of path globs")),
            }
        };
        let text = |key: &str| -> Result<Option<String>, String> {
            match d.get(key) {
                None => Ok(None),
                Some(v) => {
                    v.as_str().map(|s| Some(s.to_string())).ok_or(format!("rules `{id}`: `{key}` must be a string"))
                }
            }
        };
        if let Some(v) = text("regex")? {
            self.regex = v;
        }
        if let Some(v) = text("message")? {
            self.message = v;
        }
        if let Some(v) = list("include")? {
            self.include = v;
        }
        if let Some(v) = list("exclude")? {
            self.exclude = v;
        }
        if let Some(v) = d.get("enabled") {
            self.enabled = v.as_bool().ok_or(format!("rules `{id}`: `enabled` must be true or false"))?;
        }
        Ok(self)
    }

    fn compile(self) -> Result<Rule, String> {
        let regex = Regex::new(&self.regex).map_err(|e| format!("rules `{}`: bad regex: {e}", self.id))?;
        Ok(Rule { id: self.id, regex, include: self.include, exclude: self.exclude, message: self.message })
    }
}

/// One failing finding per matching added line, one passing finding per rule
/// that matched nothing.
pub fn check(rules: &[Rule], files: &[ChangedFile]) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules {
        let before = out.len();
        for file in files.iter().filter(|f| glob::selected(&f.path, &rule.include, &rule.exclude)) {
            for (line, text) in &file.added {
                if rule.regex.is_match(text) {
                    out.push(
                        Finding::fail(ID, &rule.id, format!("{} (`{}`)", rule.message, text.trim()))
                            .at(file.path.clone(), Some(*line)),
                    );
                }
            }
        }
        if out.len() == before {
            out.push(Finding::pass(ID, &rule.id, format!("no added line matches rule `{}`", rule.id)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(path: &str, lines: &[(usize, &str)]) -> ChangedFile {
        ChangedFile { path: path.into(), added: lines.iter().map(|(n, t)| (*n, t.to_string())).collect() }
    }

    #[test]
    fn shipped_rules_are_off_until_enabled() {
        assert!(from_settings(&json!({})).unwrap().is_empty());
        let rules = from_settings(&json!({"rules-enabled": ["direct-adapter-instantiation"]})).unwrap();
        assert_eq!(rules.len(), 1);
        assert!(from_settings(&json!({"rules-enabled": ["nope"]})).unwrap_err().contains("unknown rule `nope`"));
    }

    #[test]
    fn catches_added_lines_only_in_included_paths() {
        let rules = from_settings(
            &json!({"rules-enabled": ["direct-adapter-instantiation", "backend-check-in-orchestration"]}),
        )
        .unwrap();
        let files = [
            file("src/goe/offload/op.py", &[(10, "    api = BackendBigQueryApi(conn)"), (11, "    x = 1")]),
            file("src/goe/offload/factory/backend_api_factory.py", &[(5, "    return BackendBigQueryApi(conn)")]),
            file("src/goe/orchestration/runner.py", &[(7, "    if backend_type == DBTYPE_BIGQUERY:")]),
        ];
        let found = check(&rules, &files);
        let fails: Vec<_> = found.iter().filter(|f| f.is_fail()).collect();
        assert_eq!(fails.len(), 2, "{found:#?}");
        assert_eq!(fails[0].file.as_deref(), Some("src/goe/offload/op.py"));
        assert_eq!(fails[0].line, Some(10));
        assert_eq!(fails[0].rule, "direct-adapter-instantiation");
        assert_eq!(fails[1].line, Some(7));
    }

    #[test]
    fn host_rules_and_overrides() {
        let settings = json!({"rules": [
            {"id": "no-print", "regex": "\\bprint\\(", "include": ["src/**"], "message": "use logging"},
            {"id": "frontend-to-backend-type", "include": ["lib/**/*.py"]},
            {"id": "off", "regex": "x", "enabled": false},
        ]});
        let rules = from_settings(&settings).unwrap();
        let ids: Vec<_> = rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["frontend-to-backend-type", "no-print"]);
        assert_eq!(rules[0].include, ["lib/**/*.py"]);
        let found = check(
            &rules,
            &[file("lib/a.py", &[(3, "if oracle_type == \"NUMBER\":")]), file("src/b.py", &[(1, "print(1)")])],
        );
        assert_eq!(found.iter().filter(|f| f.is_fail()).count(), 2);
    }

    #[test]
    fn bad_settings_say_what_is_wrong() {
        assert!(from_settings(&json!({"rules": [{"id": "x"}]})).unwrap_err().contains("`regex` is required"));
        assert!(from_settings(&json!({"rules": [{"id": "x", "regex": "("}]})).unwrap_err().contains("bad regex"));
        assert!(from_settings(&json!({"rules": [{"regex": "a"}]})).unwrap_err().contains("`id`"));
        assert!(from_settings(&json!({"rules": [{"id": "x", "regex": "a", "include": "src"}]})).is_err());
    }
}
