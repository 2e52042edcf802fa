//! The project's own Python toolchain, read from what it declares: how its
//! environment is installed (uv, PEP 735 dependency groups, poetry, pdm,
//! hatch, a Makefile `install-dev` target, a `dev` extra), which formatter
//! and linter it uses (ruff or black), and its import name. Pure: the
//! caller reads the files (`host::settings`) and hands over their text.
use serde_json::Value;

use crate::core::devtools::{has_dev_extra, has_install_dev, normalize};

/// What the project declares, as read from its files.
#[derive(Debug, Clone, Copy, Default)]
pub struct Declared<'a> {
    /// pyproject.toml, parsed (Null when absent).
    pub pyproject: Option<&'a Value>,
    pub uv_lock: bool,
    pub poetry_lock: bool,
    pub pdm_lock: bool,
    /// The makefile make would read: (file name, text).
    pub makefile: Option<(&'a str, &'a str)>,
    /// `.pre-commit-config.yaml`.
    pub pre_commit: Option<&'a str>,
    /// `ruff.toml` or `.ruff.toml`: (file name, text).
    pub ruff_toml: Option<(&'a str, &'a str)>,
    /// The first of [`REQUIREMENTS_FILES`] there is: (path, text).
    pub requirements: Option<(&'a str, &'a str)>,
}

/// Requirements files that declare what the tests need, in the order they
/// are looked for: the tests' own first (the lightest that runs them), then
/// the whole dev set.
pub const REQUIREMENTS_FILES: [&str; 11] = [
    "requirements/tests.txt",
    "requirements/test.txt",
    "requirements/testing.txt",
    "requirements-tests.txt",
    "requirements-test.txt",
    "test-requirements.txt",
    "requirements/dev.txt",
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements/development.txt",
];

/// How `setup` installs the project and its dev dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// `uv sync` (uv.lock or `[tool.uv]`).
    Uv,
    /// PEP 735 `[dependency-groups]`, installed with the project by pip.
    Groups,
    /// `[tool.poetry]`: `poetry install` when poetry is there, else pip.
    Poetry,
    /// `[tool.pdm]`: `pdm install` when pdm is there, else pip.
    Pdm,
    /// `[tool.hatch.envs.default]`: its dependencies, by pip (hatch keeps its
    /// environments elsewhere, so it is not run).
    Hatch,
    /// `make install-dev`, from this makefile (the workflow's first home).
    MakeInstallDev { makefile: String },
    /// `pip install -e .[dev]`.
    DevExtra,
    /// `pip install -e . -r FILE`, a requirements file of [`REQUIREMENTS_FILES`].
    Requirements { file: String },
    /// Nothing declared.
    None,
}

/// What setup will do for the project, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallPlan {
    pub installer: Installer,
    /// The file or table that decided it (`uv.lock`, `[dependency-groups]`).
    pub evidence: String,
    /// The dependency groups installed (uv, PEP 735).
    pub groups: Vec<String>,
    /// uv: `groups` replace the project's `[tool.uv] default-groups` (set
    /// by `install-groups`) instead of adding to them.
    pub only_groups: bool,
    /// Extras installed with the project: None = every declared one.
    pub extras: Option<Vec<String>>,
    /// Dev requirements pip installs with the project (groups, poetry, pdm,
    /// hatch), as requirement strings.
    pub requirements: Vec<String>,
    /// The project is a package pip can install (`[project]` or a build
    /// system is declared).
    pub installable: bool,
}

impl InstallPlan {
    /// The arguments of `uv sync` for this plan: the lock as it is when one
    /// is tracked (`--frozen`, as CI installs it: a tracked uv.lock is never
    /// rewritten, even when it lags behind pyproject.toml, which real
    /// projects commit), every extra unless `install-extras` says, uv's
    /// default groups, or only `install-groups` when set.
    pub fn uv_sync_args(&self, locked: bool) -> Vec<String> {
        let mut args = vec!["sync".to_string()];
        if locked {
            args.push("--frozen".into());
        }
        match &self.extras {
            None => args.push("--all-extras".into()),
            Some(extras) => extras.iter().for_each(|e| args.extend(["--extra".to_string(), e.clone()])),
        }
        if self.only_groups {
            args.push("--no-default-groups".into());
        }
        for g in &self.groups {
            args.extend(["--group".to_string(), g.clone()]);
        }
        args
    }

    /// What it runs, in words for progress and `doctor`.
    pub fn describe(&self) -> String {
        let extras = match &self.extras {
            None => " with every extra".to_string(),
            Some(e) if e.is_empty() => String::new(),
            Some(e) => format!(" with extras {}", e.join(",")),
        };
        let groups = if self.groups.is_empty() { String::new() } else { format!(", groups {}", self.groups.join(",")) };
        match &self.installer {
            Installer::Uv if self.only_groups => {
                let groups = if self.groups.is_empty() { ", no groups".to_string() } else { groups };
                format!("uv sync{extras}{groups} instead of uv's default groups (from {})", self.evidence)
            }
            Installer::Uv => format!("uv sync{extras}{groups} (from {})", self.evidence),
            Installer::Groups => format!("pip install the project{extras}{groups} (from {})", self.evidence),
            Installer::Poetry | Installer::Pdm | Installer::Hatch => {
                format!("the project and its dev dependencies (from {})", self.evidence)
            }
            Installer::MakeInstallDev { makefile } => format!("make install-dev (from {makefile})"),
            Installer::DevExtra => "pip install -e .[dev] (from [project.optional-dependencies] dev)".into(),
            Installer::Requirements { file } if self.installable => {
                format!("pip install -r {file}, then the project: pip install -e .{extras} (from {file})")
            }
            Installer::Requirements { file } => format!("pip install -r {file} (from {file})"),
            Installer::None if self.installable => {
                let extras = match &self.extras {
                    Some(e) if !e.is_empty() => format!(" with extras {}", e.join(",")),
                    _ => String::new(),
                };
                format!("pip install -e .{extras} (the project; it declares no dev dependencies)")
            }
            Installer::None => "nothing declared".into(),
        }
    }
}

/// The formatter the project uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formatter {
    Ruff,
    Black,
    None,
}

impl Formatter {
    pub fn parse(s: &str) -> Option<Formatter> {
        match s {
            "ruff" => Some(Formatter::Ruff),
            "black" => Some(Formatter::Black),
            "none" => Some(Formatter::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Formatter::Ruff => "ruff",
            Formatter::Black => "black",
            Formatter::None => "none",
        }
    }
}

/// The linter the project uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linter {
    Ruff,
    None,
}

impl Linter {
    pub fn parse(s: &str) -> Option<Linter> {
        match s {
            "ruff" => Some(Linter::Ruff),
            "none" => Some(Linter::None),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Linter::Ruff => "ruff",
            Linter::None => "none",
        }
    }
}

/// A choice and what it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen<T> {
    pub tool: T,
    pub evidence: String,
}

/// The project's toolchain, decided once when settings are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toolchain {
    pub install: InstallPlan,
    pub formatter: Chosen<Formatter>,
    pub linter: Chosen<Linter>,
    /// Names (normalized) of every dev requirement the project declares,
    /// whichever way: to tell whether setup installed any of them.
    pub dev_names: Vec<String>,
    /// Versions the project's pre-commit hooks pin for the formatter and
    /// linter (`ruff`, `black`): what setup installs when the project's dev
    /// dependencies do not bring them (another version formats otherwise).
    pub tool_pins: Vec<(String, String)>,
    /// `[project] name` as an import name (`debug-toolbar` -> `debug_toolbar`);
    /// settings then prefer the package the source roots hold ([`import_name`]).
    pub import_name: Option<String>,
}

/// The name the project's code is imported by, from the distribution's name
/// (`[project] name` as an import name) and the top-level packages found
/// under the source roots: the distribution's name when one of them has it
/// or none was found, else the one package there is. Distributions are often
/// named otherwise than their package (`goe-framework` ships `goe`).
pub fn import_name(dist: Option<String>, packages: &[String]) -> Option<String> {
    match (dist, packages) {
        (Some(d), found) if found.is_empty() || found.contains(&d) => Some(d),
        (_, [one]) => Some(one.clone()),
        (d, _) => d,
    }
}

/// Overrides from `[workspace.metadata.xtask]`.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub formatter: Option<Formatter>,
    pub linter: Option<Linter>,
    /// `install-groups`.
    pub groups: Option<Vec<String>>,
    /// `install-extras`: None = the default of the installer.
    pub extras: Option<Vec<String>>,
}

/// Decide the toolchain from what the project declares.
pub fn detect(d: &Declared, o: &Overrides) -> Toolchain {
    let null = Value::Null;
    let py = d.pyproject.unwrap_or(&null);
    let install = install_plan(d, py, o);
    let dev_names = dev_names(py, d.requirements.map(|(_, text)| text));
    let mentions = |tool: &str| dev_names.iter().any(|n| n == tool);
    let hook = |id: &str| d.pre_commit.is_some_and(|t| pre_commit_hook(t, id));
    let ruff_config = py["tool"]["ruff"].is_object() || d.ruff_toml.is_some();
    let ruff_format_config = py["tool"]["ruff"]["format"].is_object()
        || d.ruff_toml.is_some_and(|(_, t)| t.lines().any(|l| l.trim() == "[format]"));

    let formatter = match o.formatter {
        Some(f) => Chosen { tool: f, evidence: "the `formatter` setting".into() },
        None if ruff_format_config => {
            Chosen { tool: Formatter::Ruff, evidence: "ruff's [format] configuration".into() }
        }
        None if py["tool"]["black"].is_object() => {
            Chosen { tool: Formatter::Black, evidence: "[tool.black] in pyproject.toml".into() }
        }
        None if hook("ruff-format") => {
            Chosen { tool: Formatter::Ruff, evidence: "the ruff-format hook of .pre-commit-config.yaml".into() }
        }
        None if hook("black") => {
            Chosen { tool: Formatter::Black, evidence: "the black hook of .pre-commit-config.yaml".into() }
        }
        None if mentions("black") => {
            Chosen { tool: Formatter::Black, evidence: "black among the dev dependencies".into() }
        }
        None if mentions("ruff") => {
            Chosen { tool: Formatter::Ruff, evidence: "ruff among the dev dependencies".into() }
        }
        None if ruff_config => Chosen { tool: Formatter::Ruff, evidence: "ruff's configuration".into() },
        None => Chosen { tool: Formatter::Black, evidence: "the default (nothing declared)".into() },
    };
    let linter = match o.linter {
        Some(l) => Chosen { tool: l, evidence: "the `linter` setting".into() },
        None if ruff_config => Chosen {
            tool: Linter::Ruff,
            evidence: match d.ruff_toml {
                Some((name, _)) if !py["tool"]["ruff"].is_object() => name.to_string(),
                _ => "[tool.ruff] in pyproject.toml".into(),
            },
        },
        None if hook("ruff") || hook("ruff-check") => {
            Chosen { tool: Linter::Ruff, evidence: "the ruff hook of .pre-commit-config.yaml".into() }
        }
        None if mentions("ruff") => Chosen { tool: Linter::Ruff, evidence: "ruff among the dev dependencies".into() },
        None => Chosen { tool: Linter::None, evidence: "none declared".into() },
    };
    let import_name = py["project"]["name"]
        .as_str()
        .or_else(|| py["tool"]["poetry"]["name"].as_str())
        .map(|n| n.trim().replace(['-', '.'], "_").to_ascii_lowercase())
        .filter(|n| !n.is_empty());
    let tool_pins = d.pre_commit.map(pre_commit_pins).unwrap_or_default();
    Toolchain { install, formatter, linter, dev_names, import_name, tool_pins }
}

fn install_plan(d: &Declared, py: &Value, o: &Overrides) -> InstallPlan {
    let groups_table = &py["dependency-groups"];
    let installable = py["project"].is_object() || py["build-system"].is_object() || py["tool"]["poetry"].is_object();
    let default_groups = || -> Vec<String> {
        if groups_table.get("dev").is_some() {
            return vec!["dev".into()];
        }
        ["test", "tests", "testing", "lint"]
            .iter()
            .filter(|g| groups_table.get(**g).is_some())
            .map(|g| g.to_string())
            .collect()
    };
    let mut plan = InstallPlan {
        installer: Installer::None,
        evidence: String::new(),
        groups: Vec::new(),
        only_groups: false,
        extras: o.extras.clone(),
        requirements: Vec::new(),
        installable,
    };
    if d.uv_lock || py["tool"]["uv"].is_object() {
        plan.installer = Installer::Uv;
        plan.evidence = if d.uv_lock { "uv.lock".into() } else { "[tool.uv] in pyproject.toml".into() };
        // uv installs its default groups (`dev` unless [tool.uv] says
        // otherwise) by itself; a setting replaces them, as it replaces the
        // defaults of every other installer (a default group may hold what
        // cannot be installed here: a private git dependency).
        plan.only_groups = o.groups.is_some();
        plan.groups = o.groups.clone().unwrap_or_default();
        return plan;
    }
    if groups_table.is_object() {
        let groups = o.groups.clone().unwrap_or_else(default_groups);
        if !groups.is_empty() {
            plan.installer = Installer::Groups;
            plan.evidence = "[dependency-groups] in pyproject.toml".into();
            plan.requirements = groups.iter().flat_map(|g| resolve_group(groups_table, g)).collect();
            plan.requirements.dedup();
            plan.groups = groups;
            return plan;
        }
    }
    let poetry = &py["tool"]["poetry"];
    if poetry.is_object() {
        plan.installer = Installer::Poetry;
        plan.evidence = if d.poetry_lock { "poetry.lock".into() } else { "[tool.poetry] in pyproject.toml".into() };
        plan.requirements = poetry_dev(poetry);
        return plan;
    }
    let pdm = &py["tool"]["pdm"];
    if pdm.is_object() && (d.pdm_lock || pdm["dev-dependencies"].is_object()) {
        plan.installer = Installer::Pdm;
        plan.evidence = if d.pdm_lock { "pdm.lock".into() } else { "[tool.pdm] in pyproject.toml".into() };
        plan.requirements = strings_of_tables(&pdm["dev-dependencies"]);
        return plan;
    }
    let hatch = &py["tool"]["hatch"]["envs"]["default"];
    if hatch["dependencies"].is_array() || hatch["extra-dependencies"].is_array() {
        plan.installer = Installer::Hatch;
        plan.evidence = "[tool.hatch.envs.default] in pyproject.toml".into();
        plan.requirements =
            strings(&hatch["dependencies"]).into_iter().chain(strings(&hatch["extra-dependencies"])).collect();
        return plan;
    }
    if let Some((name, text)) = d.makefile {
        if has_install_dev(text) {
            plan.installer = Installer::MakeInstallDev { makefile: name.to_string() };
            plan.evidence = name.to_string();
            return plan;
        }
    }
    if has_dev_extra(py) {
        plan.installer = Installer::DevExtra;
        plan.evidence = "[project.optional-dependencies] dev".into();
        return plan;
    }
    if let Some((file, _)) = d.requirements {
        plan.installer = Installer::Requirements { file: file.to_string() };
        plan.evidence = file.to_string();
    }
    plan
}

/// The requirement strings of a PEP 735 group, `{include-group = ...}`
/// followed (a cycle stops at the repeated group).
pub fn resolve_group(groups: &Value, name: &str) -> Vec<String> {
    fn walk(groups: &Value, name: &str, seen: &mut Vec<String>, out: &mut Vec<String>) {
        let wanted = normalize(name);
        if seen.contains(&wanted) {
            return;
        }
        seen.push(wanted.clone());
        let Some(map) = groups.as_object() else { return };
        let Some((_, items)) = map.iter().find(|(k, _)| normalize(k) == wanted) else { return };
        for item in items.as_array().into_iter().flatten() {
            match item {
                Value::String(req) if !out.contains(req) => out.push(req.clone()),
                Value::Object(t) => {
                    if let Some(inner) = t.get("include-group").and_then(Value::as_str) {
                        walk(groups, inner, seen, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(groups, name, &mut Vec::new(), &mut out);
    out
}

/// Poetry's dev dependencies (`[tool.poetry.group.dev.dependencies]`, the
/// older `[tool.poetry.dev-dependencies]`) as bare names: poetry's version
/// syntax (`^7.0`) is not pip's.
fn poetry_dev(poetry: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut tables = vec![&poetry["dev-dependencies"]];
    if let Some(groups) = poetry["group"].as_object() {
        for (name, group) in groups {
            if ["dev", "test", "tests", "lint"].contains(&name.as_str()) {
                tables.push(&group["dependencies"]);
            }
        }
    }
    for table in tables {
        for name in table.as_object().into_iter().flat_map(|m| m.keys()) {
            if name != "python" && !out.contains(name) {
                out.push(name.clone());
            }
        }
    }
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_string)).collect()
}

fn strings_of_tables(v: &Value) -> Vec<String> {
    v.as_object().into_iter().flat_map(|m| m.values()).flat_map(strings).collect()
}

/// The distribution name of a requirement string: `ruff>=0.9 ; python_version>"3.9"` -> `ruff`.
pub fn requirement_name(req: &str) -> Option<String> {
    let end = req.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')).unwrap_or(req.len());
    let name = req[..end].trim();
    (!name.is_empty()).then(|| normalize(name))
}

/// Every dev requirement the project declares, by name.
fn dev_names(py: &Value, requirements_txt: Option<&str>) -> Vec<String> {
    let mut reqs: Vec<String> = requirements_txt.map(requirement_lines).unwrap_or_default();
    if let Some(groups) = py["dependency-groups"].as_object() {
        for name in groups.keys() {
            reqs.extend(resolve_group(&py["dependency-groups"], name));
        }
    }
    reqs.extend(strings(&py["project"]["optional-dependencies"]["dev"]));
    reqs.extend(strings_of_tables(&py["tool"]["pdm"]["dev-dependencies"]));
    reqs.extend(strings(&py["tool"]["hatch"]["envs"]["default"]["dependencies"]));
    reqs.extend(poetry_dev(&py["tool"]["poetry"]));
    reqs.extend(strings(&py["tool"]["uv"]["dev-dependencies"]));
    let mut names: Vec<String> = reqs.iter().filter_map(|r| requirement_name(r)).collect();
    names.sort();
    names.dedup();
    names
}

/// The requirements of a requirements file: comments, options (`-r`, `-c`,
/// `--hash`, ...) and editable or URL lines left out.
pub fn requirement_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split(" #").next().unwrap_or(l).trim())
        .filter(|l| !l.is_empty() && !l.starts_with(['#', '-']) && !l.contains("://"))
        .map(|l| l.trim_end_matches('\\').trim().to_string())
        .collect()
}

/// The versions `.pre-commit-config.yaml` pins for ruff and black: the
/// `rev:` of the `astral-sh/ruff-pre-commit` and `psf/black` (or
/// `psf/black-pre-commit-mirror`) repositories, `v` dropped.
pub fn pre_commit_pins(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut tool: Option<&str> = None;
    for line in text.lines() {
        let l = line.trim().trim_start_matches('-').trim();
        let l = l.split(" #").next().unwrap_or(l).trim();
        let value = |key: &str| l.strip_prefix(key).map(|v| v.trim().trim_matches(['"', '\'']).to_string());
        if let Some(repo) = value("repo:") {
            let repo = repo.trim_end_matches('/').trim_end_matches(".git");
            tool = if repo.ends_with("astral-sh/ruff-pre-commit") || repo.ends_with("charliermarsh/ruff-pre-commit") {
                Some("ruff")
            } else if repo.ends_with("psf/black") || repo.ends_with("psf/black-pre-commit-mirror") {
                Some("black")
            } else {
                None
            };
        } else if let (Some(name), Some(rev)) = (tool, value("rev:")) {
            let version = rev.trim_start_matches('v').to_string();
            let plain = !version.is_empty() && version.chars().all(|c| c.is_ascii_digit() || c == '.');
            // Older versions cannot format a range of lines (ruff's `--range`
            // came in 0.2.1, black's `--line-ranges` in 23.11.0): the kit's
            // own version formats then.
            let floor: &[u64] = if name == "ruff" { &[0, 2, 1] } else { &[23, 11, 0] };
            let mut parts: Vec<u64> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
            parts.resize(parts.len().max(3), 0);
            if plain && parts.as_slice() >= floor && !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), version));
            }
            tool = None;
        }
    }
    out
}

/// Whether `.pre-commit-config.yaml` has a hook with this id (a line
/// `- id: NAME` or `id: NAME`).
fn pre_commit_hook(text: &str, id: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim().trim_start_matches('-').trim();
        l.strip_prefix("id:").is_some_and(|v| v.trim().trim_matches(['"', '\'']) == id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toml_lite::parse;

    fn detect_py(text: &str, tweak: impl Fn(&mut Declared)) -> Toolchain {
        let py = parse(text).unwrap();
        let mut d = Declared { pyproject: Some(&py), ..Declared::default() };
        tweak(&mut d);
        detect(&d, &Overrides::default())
    }

    // A uv project of the workflow's family (shape only): groups that include
    // each other, ruff configured for format and lint.
    const UV: &str = r#"[project]
name = "debug-toolbar"
dependencies = ["jinja2>=3"]

[dependency-groups]
lint = ["ruff>=0.9.0", "mypy"]
test = ["pytest>=8", "pytest-asyncio>=0.23"]
dev = [{include-group = "lint"}, {include-group = "test"}]

[tool.uv]
default-groups = ["dev"]

[tool.ruff]
line-length = 120

[tool.ruff.format]
quote-style = "double"
"#;

    #[test]
    fn a_uv_project_with_ruff() {
        let t = detect_py(UV, |d| d.uv_lock = true);
        assert_eq!(t.install.installer, Installer::Uv);
        assert_eq!(t.install.evidence, "uv.lock");
        assert_eq!(t.install.extras, None);
        assert_eq!(t.formatter.tool, Formatter::Ruff);
        assert_eq!(t.linter.tool, Linter::Ruff);
        assert_eq!(t.import_name.as_deref(), Some("debug_toolbar"));
        assert_eq!(t.dev_names, ["mypy", "pytest", "pytest-asyncio", "ruff"]);
        assert!(t.install.describe().starts_with("uv sync with every extra"), "{}", t.install.describe());
    }

    #[test]
    fn install_groups_replace_uvs_default_groups() {
        let py = parse(UV).unwrap();
        let d = Declared { pyproject: Some(&py), uv_lock: true, ..Declared::default() };
        let plan = detect(&d, &Overrides::default()).install;
        assert_eq!(plan.uv_sync_args(true), ["sync", "--frozen", "--all-extras"]);
        assert_eq!(plan.uv_sync_args(false), ["sync", "--all-extras"]);

        let o = Overrides { groups: Some(vec!["test".into()]), extras: Some(vec![]), ..Overrides::default() };
        let plan = detect(&d, &o).install;
        assert_eq!(plan.uv_sync_args(true), ["sync", "--frozen", "--no-default-groups", "--group", "test"]);
        assert_eq!(plan.describe(), "uv sync, groups test instead of uv's default groups (from uv.lock)");

        let o = Overrides { groups: Some(vec![]), extras: Some(vec!["cli".into()]), ..Overrides::default() };
        let plan = detect(&d, &o).install;
        assert_eq!(plan.uv_sync_args(false), ["sync", "--extra", "cli", "--no-default-groups"]);
        assert!(plan.describe().contains("no groups instead of uv's default groups"), "{}", plan.describe());
    }

    #[test]
    fn the_import_name_is_the_package_the_repository_holds() {
        let name = |dist: Option<&str>, found: &[&str]| {
            import_name(dist.map(String::from), &found.iter().map(|f| f.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(name(Some("goe_framework"), &["goe"]).as_deref(), Some("goe"));
        assert_eq!(name(Some("shelf_app"), &["shelf_app", "tools"]).as_deref(), Some("shelf_app"));
        assert_eq!(name(Some("shelf_app"), &[]).as_deref(), Some("shelf_app"));
        assert_eq!(name(Some("x"), &["a", "b"]).as_deref(), Some("x"));
        assert_eq!(name(None, &["a"]).as_deref(), Some("a"));
        assert_eq!(name(None, &[]), None);
    }

    #[test]
    fn dependency_groups_without_uv() {
        let t = detect_py(UV.replace("[tool.uv]\ndefault-groups = [\"dev\"]\n", "").as_str(), |_| {});
        assert_eq!(t.install.installer, Installer::Groups);
        assert_eq!(t.install.groups, ["dev"]);
        assert_eq!(t.install.requirements, ["ruff>=0.9.0", "mypy", "pytest>=8", "pytest-asyncio>=0.23"]);
        let py = parse("[project]\nname='x'\n[dependency-groups]\ntest = ['pytest']\ndocs = ['sphinx']\n").unwrap();
        let t = detect(&Declared { pyproject: Some(&py), ..Declared::default() }, &Overrides::default());
        assert_eq!(t.install.groups, ["test"]);
        let o = Overrides { groups: Some(vec!["docs".into()]), ..Overrides::default() };
        assert_eq!(
            detect(&Declared { pyproject: Some(&py), ..Declared::default() }, &o).install.requirements,
            ["sphinx"]
        );
    }

    #[test]
    fn group_cycles_stop() {
        let py =
            parse("[dependency-groups]\na = ['x', {include-group = 'b'}]\nb = ['y', {include-group = 'A'}]\n").unwrap();
        assert_eq!(resolve_group(&py["dependency-groups"], "a"), ["x", "y"]);
        assert!(resolve_group(&py["dependency-groups"], "missing").is_empty());
    }

    #[test]
    fn poetry_pdm_hatch_make_and_extras() {
        let t = detect_py(
            "[tool.poetry]\nname = 'p'\n[tool.poetry.group.dev.dependencies]\npytest = '^8'\nblack = '*'\n",
            |d| d.poetry_lock = true,
        );
        assert_eq!((t.install.installer, t.install.evidence.as_str()), (Installer::Poetry, "poetry.lock"));
        assert_eq!(t.install.requirements, ["black", "pytest"]);
        assert_eq!(t.formatter.tool, Formatter::Black);
        assert_eq!(t.import_name.as_deref(), Some("p"));

        let t = detect_py("[project]\nname='q'\n[tool.pdm.dev-dependencies]\ntest = ['pytest>=8']\n", |_| {});
        assert_eq!(t.install.installer, Installer::Pdm);
        assert_eq!(t.install.requirements, ["pytest>=8"]);

        let t =
            detect_py("[project]\nname='h'\n[tool.hatch.envs.default]\ndependencies = ['pytest', 'ruff']\n", |_| {});
        assert_eq!(t.install.installer, Installer::Hatch);
        assert_eq!((t.formatter.tool, t.linter.tool), (Formatter::Ruff, Linter::Ruff));

        let t = detect_py(
            "[project]\nname='m'\n[project.optional-dependencies]\ndev = ['black']\n[tool.black]\nline-length = 100\n",
            |d| d.makefile = Some(("Makefile", "install-dev:\n\tpip install -e .[dev]\n")),
        );
        assert_eq!(t.install.installer, Installer::MakeInstallDev { makefile: "Makefile".into() });
        assert_eq!((t.formatter.tool, t.linter.tool), (Formatter::Black, Linter::None));
        let t = detect_py("[project]\nname='m'\n[project.optional-dependencies]\ndev = ['black']\n", |_| {});
        assert_eq!(t.install.installer, Installer::DevExtra);
        let t = detect_py("", |_| {});
        assert_eq!((t.install.installer, t.formatter.tool), (Installer::None, Formatter::Black));
        assert!(!t.install.installable);

        // A requirements file, when nothing above is declared: the project
        // with it; its requirements count as the declared dev dependencies.
        let reqs = "# pip-compile output\nfreezegun==1.4.0 \\\n    --hash=sha256:ab\n-r base.txt\n-e .\npytest>=8  # tests\nruff\n";
        let t = detect_py("[project]\nname='r'\n", |d| d.requirements = Some(("requirements/tests.txt", reqs)));
        assert_eq!(t.install.installer, Installer::Requirements { file: "requirements/tests.txt".into() });
        assert_eq!(t.install.describe(), "pip install -r requirements/tests.txt, then the project: pip install -e . with every extra (from requirements/tests.txt)");
        assert_eq!(t.dev_names, ["freezegun", "pytest", "ruff"]);
        assert_eq!(t.linter.tool, Linter::Ruff);
        // A dev extra is declared evidence of its own and comes first.
        let t = detect_py("[project]\nname='m'\n[project.optional-dependencies]\ndev = ['black']\n", |d| {
            d.requirements = Some(("requirements-dev.txt", "pytest\n"))
        });
        assert_eq!(t.install.installer, Installer::DevExtra);
    }

    #[test]
    fn pre_commit_pins_ruff_and_black() {
        let text = "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.3.7\n    hooks:\n      - id: ruff\n  - repo: https://github.com/psf/black-pre-commit-mirror\n    rev: '24.2.0'\n    hooks:\n      - id: black\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: v4.5.0\n";
        assert_eq!(
            pre_commit_pins(text),
            [("ruff".to_string(), "0.3.7".to_string()), ("black".to_string(), "24.2.0".to_string())]
        );
        assert!(pre_commit_pins("repos:\n- repo: https://github.com/psf/black\n  rev: main\n").is_empty());
        // Too old to format a range of lines: not taken.
        assert!(pre_commit_pins("repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.1.15\n")
            .is_empty());
        assert!(pre_commit_pins("repos:\n- repo: https://github.com/psf/black\n  rev: 23.1.0\n").is_empty());
        // `23.11` is 23.11.0; a comment after the rev is no part of it.
        assert_eq!(pre_commit_pins("repos:\n- repo: https://github.com/psf/black\n  rev: 23.11\n").len(), 1);
        let commented = "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.3.7  # pinned\n";
        assert_eq!(pre_commit_pins(commented), [("ruff".to_string(), "0.3.7".to_string())]);
        let t = detect_py("", |d| d.pre_commit = Some(text));
        assert_eq!(t.tool_pins.len(), 2);
    }

    #[test]
    fn formatter_evidence_in_order() {
        // black configured, ruff only a linter: black formats.
        let t = detect_py("[tool.black]\nline-length = 88\n[tool.ruff.lint]\nselect = ['E']\n", |_| {});
        assert_eq!((t.formatter.tool, t.linter.tool), (Formatter::Black, Linter::Ruff));
        let t = detect_py("", |d| {
            d.pre_commit = Some("repos:\n  - repo: x\n    hooks:\n      - id: ruff-format\n      - id: ruff\n")
        });
        assert_eq!((t.formatter.tool, t.linter.tool), (Formatter::Ruff, Linter::Ruff));
        let t = detect_py("", |d| {
            d.ruff_toml = Some(("ruff.toml", "line-length = 100\n[format]\nquote-style = 'single'\n"))
        });
        assert_eq!((t.formatter.tool, t.linter.evidence.as_str()), (Formatter::Ruff, "ruff.toml"));
        let py = parse(UV).unwrap();
        let o = Overrides { formatter: Some(Formatter::None), linter: Some(Linter::None), ..Overrides::default() };
        let t = detect(&Declared { pyproject: Some(&py), ..Declared::default() }, &o);
        assert_eq!((t.formatter.tool, t.linter.tool), (Formatter::None, Linter::None));
        assert_eq!(t.formatter.evidence, "the `formatter` setting");
    }

    #[test]
    fn requirement_names() {
        assert_eq!(requirement_name("ruff>=0.9 ; python_version > '3.9'").as_deref(), Some("ruff"));
        assert_eq!(requirement_name("Pytest_Cov[toml]==5").as_deref(), Some("pytest-cov"));
        assert_eq!(requirement_name("zope.interface").as_deref(), Some("zope-interface"));
        assert_eq!(requirement_name(" "), None);
    }
}
