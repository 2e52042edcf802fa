//! Settings: `[workspace.metadata.xtask]` in the root Cargo.toml, plus what the
//! host's pyproject.toml declares. Every key is optional; defaults follow the
//! workflow this kit checks (src/ layout, tests/unit, 90% coverage).
use std::path::Path;

use serde_json::Value;

use crate::core::paths::is_under;
use crate::core::quality_gates::{self, Problem, QualityGates};
use crate::core::toolchain::{self, Declared, Formatter, Linter, Overrides, Toolchain};
use crate::error::{Error, Result};
use crate::host::fs::{physical_path, read_text, ReadError};
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
    /// The most times in a row the Stop hook blocks an agent before it lets
    /// the stop through (`hook-max-blocks`, default 3; 0 never blocks).
    pub hook_max_blocks: u32,
    /// The team's template folder (`templates-dir`), read before `templates/`;
    /// default `specs/template-spec`, where this workflow's prompts keep them.
    pub templates_dir: String,
    /// The project's toolchain: how setup installs it, its formatter and
    /// linter (`formatter`, `linter`, `install-groups`, `install-extras`
    /// override what it declares).
    pub toolchain: Toolchain,
    /// `specs/guides/quality-gates.yaml`, as read (`quality-gates = false`
    /// turns it off).
    pub quality_gates: GatesFile,
    /// `quality-gates-skip`: names of declared gates not to run.
    pub quality_gates_skip: Vec<String>,
    /// Where the coverage threshold comes from, in words.
    pub threshold_from: String,
    /// The kit's own folder (the workspace member holding the `xtask`
    /// package) when its Python is the kit's and not the project's: a
    /// repository that adopted the kit formats, lints and scans its own code,
    /// not the kit's helper, which its tools were never configured for. None
    /// in the kit's own repository, where a source root lies inside it.
    pub kit_folder: Option<String>,
}

/// The owner's quality-gates file.
#[derive(Debug, Clone, Default)]
pub enum GatesFile {
    /// No file, or `quality-gates = false`.
    #[default]
    Absent,
    Read(QualityGates),
    /// The file is there but cannot be read: a failing finding at its line.
    Broken(Problem),
}

impl GatesFile {
    pub fn gates(&self) -> Option<&QualityGates> {
        match self {
            GatesFile::Read(q) => Some(q),
            _ => None,
        }
    }
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
            hook_max_blocks: 3,
            templates_dir: "specs/template-spec".into(),
            toolchain: toolchain::detect(&Declared::default(), &Overrides::default()),
            quality_gates: GatesFile::Absent,
            quality_gates_skip: Vec::new(),
            threshold_from: "the default".into(),
            kit_folder: None,
        }
    }
}

impl Settings {
    /// Read the settings of the repository at `root`. A malformed Cargo.toml or
    /// a setting of the wrong type is an error naming the file and key.
    pub fn load(root: &Path) -> Result<Settings> {
        let mut s = Settings::default();
        let mut overrides = Overrides::default();
        let mut gates_on = true;
        let cargo = root.join("Cargo.toml");
        // Regular files only, capped: a FIFO would hang every command.
        let cargo_text = match read_text(&cargo, MAX_CONFIG_BYTES) {
            Ok(text) => Some(text),
            Err(ReadError::Missing) => None,
            Err(e) => return Err(Error::usage(format!("{}: {}; fix the file", cargo.display(), e.describe()))),
        };
        if let Some(text) = cargo_text {
            let doc =
                toml_lite::parse(&text).map_err(|e| Error::usage(format!("{}: {e}; fix the TOML", cargo.display())))?;
            s.kit_folder = kit_member(root, &doc["workspace"]["members"]);
            let table = &doc["workspace"]["metadata"]["xtask"];
            if table.is_object() {
                // A misspelt key would silently leave its default in force.
                for key in unknown_keys(table) {
                    eprintln!(
                        "warning: Cargo.toml [workspace.metadata.xtask]: unknown key `{key}` is ignored \
                         (specs/guides/configuration.md lists the keys)"
                    );
                }
                let in_table = |e: String| Error::usage(format!("{}: [workspace.metadata.xtask] {e}", cargo.display()));
                s.apply(table).map_err(in_table)?;
                (overrides, gates_on) = toolchain_settings(table).map_err(in_table)?;
                if table.get("coverage-threshold").is_some() {
                    s.threshold_from = "`coverage-threshold` in Cargo.toml".into();
                }
            }
        }
        let pyproject = root.join("pyproject.toml");
        if let Ok(text) = read_text(&pyproject, MAX_CONFIG_BYTES) {
            // A pyproject we cannot read fully is not our business to reject:
            // we only lose its optional hints. One nested too deep is hostile.
            match toml_lite::parse(&text) {
                Ok(doc) => {
                    s.python_min = doc["project"]["requires-python"].as_str().and_then(python_minimum);
                    s.pyproject = doc;
                }
                Err(e) if e.contains(toml_lite::TOO_DEEP) => {
                    return Err(Error::usage(format!("{}: {e}", pyproject.display())));
                }
                Err(_) => {}
            }
        }
        let roots = &s.source_roots;
        s.kit_folder = s.kit_folder.take().filter(|kit| !roots.iter().any(|r| is_under(r, kit)));
        s.no_link_out(root)
            .map_err(|e| Error::usage(format!("{}: [workspace.metadata.xtask] {e}", cargo.display())))?;
        s.toolchain = read_toolchain(root, &s.pyproject, &overrides);
        let packages = top_packages(root, &s.source_roots);
        s.toolchain.import_name = toolchain::import_name(s.toolchain.import_name.take(), &packages);
        if gates_on {
            s.quality_gates = read_gates(root);
        }
        if let Some(t) = s.quality_gates.gates().and_then(|q| q.threshold.as_ref()) {
            if s.threshold_from == "the default" {
                s.coverage_threshold = t.percent;
                s.threshold_from = format!("`{}` in {}", t.name, quality_gates::FILE);
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
            self.source_roots = self.source_roots.iter().map(|r| clean_folder(r)).collect();
        }
        if let Some(v) = t.get("templates-dir") {
            let dir = string(v, "templates-dir")?;
            if dir.is_empty() || escapes(&dir) {
                return Err(
                    "templates-dir: a relative folder inside the repository, e.g. \"specs/template-spec\"".into()
                );
            }
            self.templates_dir = dir;
        }
        if let Some(v) = t.get("unit-tests") {
            self.unit_tests = folder(v, "unit-tests")?;
        }
        if let Some(v) = t.get("integration-tests") {
            self.integration_tests = folder(v, "integration-tests")?;
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
        if let Some(v) = t.get("hook-max-blocks") {
            self.hook_max_blocks = v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| *n <= 100)
                .ok_or("hook-max-blocks: expected a whole number from 0 to 100")?;
        }
        if let Some(v) = t.get("quality-gates-skip") {
            self.quality_gates_skip = string_list(v, "quality-gates-skip")?;
        }
        self.rules = crate::core::checks::rules::from_settings(t)?;
        let (templates, patterns) = crate::core::checks::env_templates::from_settings(t)?;
        if templates.as_ref().is_some_and(Vec::is_empty) {
            return Err("env-templates is empty; list the config template globs or remove the setting".into());
        }
        if let Some(g) = templates.iter().flatten().find(|g| escapes(g)) {
            return Err(format!("env-templates: `{g}` leaves the repository; write globs relative to its root"));
        }
        self.env_templates = templates;
        self.env_patterns = patterns;
        Ok(())
    }
}

impl Settings {
    /// Whether `path` (root-relative) is test code under these settings'
    /// test folders (`core::paths::is_test_code`).
    pub fn is_test_code(&self, path: &str) -> bool {
        crate::core::paths::is_test_code(path, &self.unit_tests, &self.integration_tests)
    }

    /// Every path setting (defaults included) as (key, path): folders, and
    /// the literal folder each `env-templates` glob is walked from.
    fn paths(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&str, String)> = self.source_roots.iter().map(|r| ("source-roots", r.clone())).collect();
        out.push(("templates-dir", self.templates_dir.clone()));
        out.push(("unit-tests", self.unit_tests.clone()));
        out.push(("integration-tests", self.integration_tests.clone()));
        for g in self.env_templates.iter().flatten() {
            let literal: Vec<&str> = g.split('/').take_while(|seg| !seg.contains(['*', '?', '['])).collect();
            out.push(("env-templates", literal.join("/")));
        }
        out
    }

    /// No path setting leads out of the repository through a symbolic link
    /// (the gate would run, compile or read what is out there).
    fn no_link_out(&self, root: &Path) -> std::result::Result<(), String> {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        for (key, path) in self.paths() {
            match physical_path(&root, &path) {
                Some(p) if p.starts_with(&root) => {}
                Some(_) => {
                    return Err(format!(
                        "{key}: `{path}` is a symbolic link out of the repository; name a folder inside it"
                    ))
                }
                None => return Err(format!("{key}: `{path}` is a symbolic link loop; fix the link")),
            }
        }
        Ok(())
    }
}

/// The toolchain keys: (overrides, whether quality-gates.yaml is read);
/// `quality-gates-skip` is read by `apply`.
fn toolchain_settings(t: &Value) -> std::result::Result<(Overrides, bool), String> {
    let mut o = Overrides::default();
    if let Some(v) = t.get("formatter") {
        let name = string(v, "formatter")?;
        o.formatter =
            Some(Formatter::parse(&name).ok_or(format!("formatter: `{name}` is not one of ruff, black, none"))?);
    }
    if let Some(v) = t.get("linter") {
        let name = string(v, "linter")?;
        o.linter = Some(Linter::parse(&name).ok_or(format!("linter: `{name}` is not one of ruff, none"))?);
    }
    if let Some(v) = t.get("install-groups") {
        o.groups = Some(string_list(v, "install-groups")?);
    }
    if let Some(v) = t.get("install-extras") {
        o.extras = Some(string_list(v, "install-extras")?);
    }
    let gates_on = match t.get("quality-gates") {
        None => true,
        Some(v) => v.as_bool().ok_or("quality-gates: expected true or false")?,
    };
    Ok((o, gates_on))
}

/// Largest configuration file read for the toolchain (a makefile, a lock
/// file is only checked for existence).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Read what the project declares about its toolchain and decide it.
fn read_toolchain(root: &Path, pyproject: &Value, overrides: &Overrides) -> Toolchain {
    let text = |name: &str| read_text(&root.join(name), MAX_CONFIG_BYTES).ok();
    // make reads only the first of these names that exists.
    let makefile = ["GNUmakefile", "makefile", "Makefile"].into_iter().find_map(|n| text(n).map(|t| (n, t)));
    let pre_commit = text(".pre-commit-config.yaml");
    let ruff_toml = ["ruff.toml", ".ruff.toml"].into_iter().find_map(|n| text(n).map(|t| (n, t)));
    let requirements = toolchain::REQUIREMENTS_FILES.into_iter().find_map(|n| text(n).map(|t| (n, t)));
    let declared = Declared {
        pyproject: (!pyproject.is_null()).then_some(pyproject),
        uv_lock: root.join("uv.lock").is_file(),
        poetry_lock: root.join("poetry.lock").is_file(),
        pdm_lock: root.join("pdm.lock").is_file(),
        makefile: makefile.as_ref().map(|(n, t)| (*n, t.as_str())),
        pre_commit: pre_commit.as_deref(),
        ruff_toml: ruff_toml.as_ref().map(|(n, t)| (*n, t.as_str())),
        requirements: requirements.as_ref().map(|(n, t)| (*n, t.as_str())),
    };
    toolchain::detect(&declared, overrides)
}

/// The top-level packages under the source roots: a root that is a package
/// itself (`src/goe` with its `__init__.py`) names it, else each package
/// folder directly inside it (`src/` holding `goe/`).
fn top_packages(root: &Path, source_roots: &[String]) -> Vec<String> {
    let is_package = |dir: &Path| dir.join("__init__.py").is_file();
    let mut out: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid && !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    };
    for r in source_roots {
        let rel = r.trim_matches('/');
        let dir = root.join(rel);
        if is_package(&dir) {
            if let Some(name) = Path::new(rel).file_name().and_then(|n| n.to_str()) {
                add(name);
            }
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()) && is_package(&e.path()))
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| n != "tests" && n != "test")
            .collect();
        names.sort();
        names.iter().for_each(|n| add(n));
    }
    out
}

/// `specs/guides/quality-gates.yaml`, read and typed.
fn read_gates(root: &Path) -> GatesFile {
    match read_text(&root.join(quality_gates::FILE), MAX_CONFIG_BYTES) {
        Err(ReadError::Missing) => GatesFile::Absent,
        Err(e) => GatesFile::Broken(Problem {
            line: 1,
            message: format!("cannot be read ({}); make it a readable UTF-8 text file", e.describe()),
        }),
        Ok(text) => match quality_gates::parse(&text) {
            Ok(q) => GatesFile::Read(q),
            Err(p) => GatesFile::Broken(p),
        },
    }
}

/// Every key of `[workspace.metadata.xtask]` the kit reads (the table "All
/// the keys" of specs/guides/configuration.md; `xtask/tests/repo.rs` keeps
/// the two in step).
pub const KNOWN_KEYS: &[&str] = &[
    "source-roots",
    "unit-tests",
    "integration-tests",
    "integration-env",
    "coverage-threshold",
    "changed-line-threshold",
    "rules-enabled",
    "rules",
    "env-templates",
    "env-call-patterns",
    "formatter",
    "linter",
    "install-groups",
    "install-extras",
    "quality-gates",
    "quality-gates-skip",
    "templates-dir",
    "hook-max-blocks",
];

/// The keys of the settings table the kit does not know, in table order.
fn unknown_keys(table: &Value) -> Vec<&str> {
    table
        .as_object()
        .map_or_else(Vec::new, |t| t.keys().map(String::as_str).filter(|k| !KNOWN_KEYS.contains(k)).collect())
}

/// A relative path that would leave the root.
fn escapes(p: &str) -> bool {
    Path::new(p).is_absolute() || p.split(['/', '\\']).any(|c| c == "..")
}

/// The workspace member (from the root Cargo.toml's `members`) whose
/// Cargo.toml declares the package `xtask`, the one the `cargo xtask` alias
/// runs. Globbed members and unreadable manifests are passed over.
fn kit_member(root: &Path, members: &Value) -> Option<String> {
    let members = members.as_array()?;
    members.iter().filter_map(Value::as_str).find_map(|m| {
        let dir = m.trim_start_matches("./").trim_matches('/');
        if dir.is_empty() || dir.contains(['*', '?', '[']) || escapes(dir) {
            return None;
        }
        let text = read_text(&root.join(dir).join("Cargo.toml"), MAX_CONFIG_BYTES).ok()?;
        let doc = toml_lite::parse(&text).ok()?;
        (doc["package"]["name"].as_str() == Some("xtask")).then(|| dir.to_string())
    })
}

fn string(v: &Value, key: &str) -> std::result::Result<String, String> {
    v.as_str().map(str::to_string).ok_or_else(|| format!("{key}: expected a string"))
}

/// A folder setting: relative, inside the repository, as [`clean_folder`].
fn folder(v: &Value, key: &str) -> std::result::Result<String, String> {
    let dir = string(v, key)?;
    if escapes(&dir) {
        return Err(format!("{key}: `{dir}` leaves the repository; name a folder inside it, relative to its root"));
    }
    Ok(clean_folder(&dir))
}

/// A folder as every reader of the settings takes it: no `/` around it and
/// no leading `./` (`"./tests/unit/"` is `tests/unit`; the root stays `.` or
/// empty).
fn clean_folder(dir: &str) -> String {
    let dir = dir.trim_matches('/');
    dir.strip_prefix("./").unwrap_or(dir).trim_matches('/').to_string()
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
    fn unknown_keys_are_named() {
        let t = serde_json::json!({"coverage-treshold": 80, "source-roots": ["src"], "rules": []});
        assert_eq!(unknown_keys(&t), ["coverage-treshold"]);
    }

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
        for bad in [
            serde_json::json!({"unit-tests": "../outside_tests"}),
            serde_json::json!({"integration-tests": "/tmp/tests"}),
            serde_json::json!({"env-templates": ["/etc/*"]}),
            serde_json::json!({"env-templates": ["conf/../../x/*"]}),
        ] {
            let err = s.apply(&bad).unwrap_err();
            assert!(err.contains("leaves the repository"), "{bad}: {err}");
        }
        s.apply(&serde_json::json!({"unit-tests": "./tests/unit/", "source-roots": ["src/", "./lib", "."]})).unwrap();
        assert_eq!(
            (s.unit_tests.as_str(), s.source_roots.clone()),
            ("tests/unit", vec!["src".into(), "lib".into(), ".".into()])
        );
        assert_eq!(Settings::default().hook_max_blocks, 3);
        s.apply(&serde_json::json!({"hook-max-blocks": 5})).unwrap();
        assert_eq!(s.hook_max_blocks, 5);
        assert!(s.apply(&serde_json::json!({"hook-max-blocks": -1})).is_err());
        assert!(s.apply(&serde_json::json!({"hook-max-blocks": "3"})).is_err());
    }
}
