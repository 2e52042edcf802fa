//! `env-templates`: every environment variable that new code reads must appear
//! in the configured config templates (the workflow keeps them in
//! `templates/conf/*.template*`), so operators learn of each new setting.
//!
//! Settings: `env-templates = ["templates/conf/*.template*"]` (globs; the check
//! is skipped when unset) and `env-call-patterns = ['config\.get_int\(\s*"([A-Z0-9_]+)"']`
//! (extra regexes whose first capture group is the variable name).
use regex_lite::Regex;
use serde_json::Value;

use crate::core::diff::ChangedFile;
use crate::core::finding::Finding;

pub const ID: &str = "env-templates";

/// How environment variables are read in Python, by default.
const BUILTIN_PATTERNS: [&str; 3] = [
    r#"\bos\.environ\s*\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\]"#,
    r#"\bos\.environ\.(?:get|setdefault|pop)\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
    r#"\bos\.getenv\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
];

/// The configured template globs (None: the check is off) and read patterns.
pub fn from_settings(settings: &Value) -> Result<(Option<Vec<String>>, Vec<Regex>), String> {
    let strings = |key: &str| -> Result<Option<Vec<String>>, String> {
        match settings.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_array()
                .and_then(|a| a.iter().map(|i| i.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                .map(Some)
                .ok_or(format!("{key}: expected a list of strings")),
        }
    };
    let globs = strings("env-templates")?;
    let mut patterns = builtin_patterns();
    for p in strings("env-call-patterns")?.unwrap_or_default() {
        let re = Regex::new(&p).map_err(|e| format!("env-call-patterns: bad regex `{p}`: {e}"))?;
        if re.captures_len() < 2 {
            return Err(format!("env-call-patterns: `{p}` needs a capture group around the variable name"));
        }
        patterns.push(re);
    }
    Ok((globs, patterns))
}

/// The built-in patterns (`os.environ[...]`, `os.getenv(...)`, ...).
pub fn builtin_patterns() -> Vec<Regex> {
    BUILTIN_PATTERNS.iter().map(|p| Regex::new(p).expect("built-in pattern")).collect()
}

/// Variables read on added lines: (file, line, name), in file order.
pub fn reads(patterns: &[Regex], files: &[ChangedFile]) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for f in files {
        for (line, text) in &f.added {
            let code = text.split('#').next().unwrap_or("");
            for re in patterns {
                for caps in re.captures_iter(code) {
                    if let Some(name) = caps.get(1) {
                        out.push((f.path.clone(), *line, name.as_str().to_string()));
                    }
                }
            }
        }
    }
    out
}

/// Whether `name` appears in a template as a whole word (`NAME=`, `export NAME`, `# NAME: ...`).
fn documented(name: &str, templates: &[(String, String)]) -> bool {
    templates.iter().any(|(_, text)| {
        text.match_indices(name).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + name.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    })
}

/// One finding per variable read on an added line and missing from every template.
pub fn check(patterns: &[Regex], files: &[ChangedFile], templates: &[(String, String)]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (file, line, name) in reads(patterns, files) {
        if !seen.insert((file.clone(), name.clone())) {
            continue;
        }
        if !documented(&name, templates) {
            let names: Vec<&str> = templates.iter().map(|(p, _)| p.as_str()).collect();
            out.push(
                Finding::fail(
                    ID,
                    "missing",
                    format!(
                        "environment variable {name} is read here but is in no config template ({})",
                        names.join(", ")
                    ),
                )
                .at(file, Some(line))
                .with("variable", name),
            );
        }
    }
    if out.is_empty() {
        out.push(Finding::pass(ID, "missing", format!("{} variable reads, all in the config templates", seen.len())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_reads_and_missing_names() {
        let (globs, patterns) =
            from_settings(&json!({"env-templates": ["templates/conf/*"], "env-call-patterns": [r#"config\.get_int\(\s*"([A-Z0-9_]+)""#]}))
                .unwrap();
        assert_eq!(globs.unwrap(), ["templates/conf/*"]);
        let files = [ChangedFile {
            path: "src/pkg/a.py".into(),
            added: vec![
                (3, r#"size = int(os.environ["BATCH_SIZE"])"#.into()),
                (4, r#"t = os.environ.get('BATCH_TIMEOUT', 30)"#.into()),
                (5, r#"u = os.getenv("GOE_USER")  # os.getenv("IN_COMMENT")"#.into()),
                (6, r#"n = config.get_int("BATCH_ROWS")"#.into()),
            ],
        }];
        let templates = vec![(
            "templates/conf/offload.env.template".to_string(),
            "export BATCH_SIZE=1000\n# GOE_USER: user\nBATCH_SIZE_MAX=2\n".to_string(),
        )];
        let found = check(&patterns, &files, &templates);
        let missing: Vec<_> =
            found.iter().filter(|f| f.is_fail()).map(|f| (f.line.unwrap(), f.extra["variable"].clone())).collect();
        assert_eq!(missing, [(4, json!("BATCH_TIMEOUT")), (6, json!("BATCH_ROWS"))]);
    }

    #[test]
    fn whole_words_only() {
        let t = vec![("t".to_string(), "BATCH_SIZE_MAX=1".to_string())];
        assert!(!documented("BATCH_SIZE", &t));
        assert!(documented("BATCH_SIZE_MAX", &t));
    }

    #[test]
    fn pattern_needs_a_group() {
        assert!(from_settings(&json!({"env-call-patterns": ["get_int"]})).unwrap_err().contains("capture group"));
    }
}
