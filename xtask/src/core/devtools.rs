//! What `setup` decides, as data: the tools the gate needs and the versions we
//! pin, which of them the venv already has, how the host declares its own dev
//! tools, and the fingerprint that makes a second `setup` a no-op.
use std::collections::BTreeMap;

use serde_json::Value;

use crate::core::toolchain::{Formatter, Linter};

/// The tools the gate always runs, as distribution names.
pub const TOOLS: [&str; 3] = ["pytest", "pytest-cov", "pytest-xdist"];

/// The tools the gate runs for a project: pytest and its plugins, the
/// project's formatter, ruff when it lints with ruff.
pub fn needed(formatter: Formatter, linter: Linter) -> Vec<&'static str> {
    let mut out = TOOLS.to_vec();
    match formatter {
        Formatter::Black => out.push("black"),
        Formatter::Ruff => out.push("ruff"),
        Formatter::None => {}
    }
    if linter == Linter::Ruff && !out.contains(&"ruff") {
        out.push("ruff");
    }
    out
}

/// Our pinned versions (xtask/python/dev-tools.txt, built into the binary).
pub const PINNED: &str = include_str!("../../python/dev-tools.txt");

/// `name==version` lines of a requirements file: (normalized name, line).
pub fn pins(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let name = l.split(|c: char| "=<>!~;[ ".contains(c)).next().unwrap_or(l);
            (normalize(name), l.to_string())
        })
        .collect()
}

/// PEP 503 name normalization: `Pytest_Cov` -> `pytest-cov`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut dash = false;
    for c in name.chars() {
        if c == '-' || c == '_' || c == '.' {
            dash = true;
        } else {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// A site-packages entry naming an installed distribution:
/// `pytest_cov-7.1.0.dist-info` or `black-23.1.0-py3.11.egg-info` ->
/// (normalized name, version).
pub fn distribution(entry: &str) -> Option<(String, String)> {
    let stem = entry.strip_suffix(".dist-info").or_else(|| entry.strip_suffix(".egg-info"))?;
    let mut parts = stem.splitn(3, '-');
    let name = parts.next()?;
    let version = parts.next()?;
    if name.is_empty() || version.is_empty() {
        return None;
    }
    Some((normalize(name), version.to_string()))
}

/// The tools of `needed` not installed, with the pinned requirement for each.
pub fn missing(installed: &BTreeMap<String, String>, needed: &[&str]) -> Vec<String> {
    let pinned = pins(PINNED);
    needed
        .iter()
        .filter(|tool| !installed.contains_key(**tool))
        .map(|tool| {
            pinned.iter().find(|(name, _)| name == tool).map(|(_, line)| line.clone()).unwrap_or(tool.to_string())
        })
        .collect()
}

/// [`missing`] with the project's own versions where it pins one (its
/// pre-commit hooks' ruff or black) instead of the kit's; a tool installed
/// at another version is reinstalled at the pin, unless the project's dev
/// dependencies (`declared`) bring it, whose version then stands.
pub fn with_project_pins(
    missing: Vec<String>,
    installed: &BTreeMap<String, String>,
    needed: &[&str],
    pins: &[(String, String)],
    declared: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = missing
        .into_iter()
        .map(|line| {
            let name = normalize(line.split("==").next().unwrap_or(&line));
            match pins.iter().find(|(tool, _)| *tool == name) {
                Some((tool, version)) => format!("{tool}=={version}"),
                None => line,
            }
        })
        .collect();
    for (tool, version) in pins {
        let other = installed.get(tool).is_some_and(|v| v != version);
        if other && needed.contains(&tool.as_str()) && !declared.contains(tool) {
            out.push(format!("{tool}=={version}"));
        }
    }
    out
}

/// Tools setup adds when it can and the gate does without: slipcover, the
/// coverage run's cheap measurer before Python 3.12 (`python` is the venv's
/// version, `3.11.7`; from 3.12 coverage.py's own `sys.monitoring` core is
/// as cheap).
pub fn optional_missing(installed: &BTreeMap<String, String>, python: &str) -> Vec<String> {
    let mut parts = python.split('.').filter_map(|p| p.parse::<u32>().ok());
    let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if !((3, 8)..(3, 12)).contains(&version) || installed.contains_key("slipcover") {
        return Vec::new();
    }
    pins(PINNED).into_iter().filter(|(name, _)| name == "slipcover").map(|(_, line)| line).collect()
}

/// Constraints that keep what the host installed as it is while we add the
/// rest: `name==version` for each of `needed` already present.
pub fn keep_installed(installed: &BTreeMap<String, String>, needed: &[&str]) -> String {
    needed.iter().filter_map(|tool| installed.get(*tool).map(|v| format!("{tool}=={v}\n"))).collect()
}

/// What to do about a failed install step, from its output, when the cause
/// is one the kit recognizes: a package built from source (cx-Oracle 8, ...)
/// whose build imports `pkg_resources`, which setuptools 81 removed, while
/// the build gets the newest setuptools.
pub fn failure_hint(output: &str) -> Option<&'static str> {
    if output.contains("No module named 'pkg_resources'") {
        return Some(
            "a package built from source imports pkg_resources, which setuptools 81 removed; \
             pin its build to an older setuptools and run again: \
             `echo 'setuptools<81' > /tmp/build-constraints.txt` then \
             `PIP_BUILD_CONSTRAINT=/tmp/build-constraints.txt PIP_CONSTRAINT=/tmp/build-constraints.txt \
             UV_BUILD_CONSTRAINT=/tmp/build-constraints.txt cargo xtask setup` \
             (PIP_BUILD_CONSTRAINT for pip 25.3 and later, PIP_CONSTRAINT for older pip, UV_BUILD_CONSTRAINT for uv)",
        );
    }
    // setuptools' automatic discovery in a flat layout takes every top-level
    // folder for a package, the kit's xtask/ and specs/ too.
    output.contains("Multiple top-level packages discovered in a flat-layout").then_some(
        "setuptools' automatic discovery took the top-level folders (the kit's xtask/ and specs/ among them) for \
         packages; name yours in pyproject.toml: `[tool.setuptools] packages = [\"yourpkg\"]` (or \
         `[tool.setuptools.packages.find] include = [\"yourpkg*\"]`)",
    )
}

/// Whether a makefile has an `install-dev` target.
pub fn has_install_dev(makefile: &str) -> bool {
    has_target(makefile, "install-dev")
}

/// Whether a makefile has a rule for `target` (a rule line, not a variable
/// assignment such as `install-dev := x`).
pub fn has_target(makefile: &str, target: &str) -> bool {
    makefile.lines().any(|line| {
        if line.starts_with(['\t', ' ', '#']) {
            return false;
        }
        let Some((targets, rest)) = line.split_once(':') else { return false };
        !rest.starts_with('=') && targets.split_whitespace().any(|t| t == target)
    })
}

/// Whether a parsed pyproject.toml declares `[project.optional-dependencies] dev`.
pub fn has_dev_extra(pyproject: &Value) -> bool {
    pyproject["project"]["optional-dependencies"]["dev"].is_array()
}

/// A stable 64-bit FNV-1a hash, hex: the fingerprint of what setup installed
/// from (our pins, the interpreter, the host's declaration and its file).
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0u8]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_that_needs_pkg_resources_gets_a_hint() {
        let out =
            "  File \"<string>\", line 6, in <module>\n      ModuleNotFoundError: No module named 'pkg_resources'\n";
        assert!(failure_hint(out).is_some_and(|h| h.contains("PIP_BUILD_CONSTRAINT")));
        assert_eq!(failure_hint("ERROR: No matching distribution found for nope"), None);
    }

    #[test]
    fn our_pins_cover_every_tool() {
        let pinned = pins(PINNED);
        for tool in needed(Formatter::Black, Linter::Ruff).into_iter().chain(["uv"]) {
            let line = &pinned.iter().find(|(n, _)| n == tool).expect(tool).1;
            assert!(line.contains("=="), "{line} is pinned exactly");
        }
    }

    #[test]
    fn names_and_dist_info_folders() {
        assert_eq!(normalize("Pytest_Cov"), "pytest-cov");
        assert_eq!(normalize("zope.interface"), "zope-interface");
        assert_eq!(distribution("pytest_cov-7.1.0.dist-info"), Some(("pytest-cov".into(), "7.1.0".into())));
        assert_eq!(distribution("black-23.1.0-py3.11.egg-info"), Some(("black".into(), "23.1.0".into())));
        assert_eq!(distribution("black"), None);
        assert_eq!(distribution("__editable__.x.pth"), None);
    }

    #[test]
    fn installs_only_what_is_missing_and_keeps_the_hosts_versions() {
        let mut installed = BTreeMap::new();
        installed.insert("black".to_string(), "24.10.0".to_string());
        installed.insert("pytest".to_string(), "8.0.0".to_string());
        let tools = needed(Formatter::Black, Linter::None);
        let todo = missing(&installed, &tools);
        assert_eq!(todo.len(), 2);
        assert!(todo[0].starts_with("pytest-cov==") && todo[1].starts_with("pytest-xdist=="));
        assert_eq!(keep_installed(&installed, &tools), "pytest==8.0.0\nblack==24.10.0\n");
        assert_eq!(needed(Formatter::Ruff, Linter::Ruff), ["pytest", "pytest-cov", "pytest-xdist", "ruff"]);
        assert_eq!(needed(Formatter::None, Linter::None), TOOLS);
    }

    #[test]
    fn the_projects_pre_commit_pins_win_over_the_kits() {
        let pins = [("ruff".to_string(), "0.3.7".to_string())];
        let none = BTreeMap::new();
        let missing = vec!["pytest==9.2.0".to_string(), "ruff==0.17.6".to_string()];
        assert_eq!(
            with_project_pins(missing, &none, &["pytest", "ruff"], &pins, &[]),
            ["pytest==9.2.0", "ruff==0.3.7"]
        );
        // Installed by an earlier setup at the kit's version: reinstalled at the pin.
        let installed = BTreeMap::from([("ruff".to_string(), "0.17.6".to_string())]);
        assert_eq!(with_project_pins(Vec::new(), &installed, &["ruff"], &pins, &[]), ["ruff==0.3.7"]);
        // The project's dev dependencies bring ruff: theirs stands.
        assert!(with_project_pins(Vec::new(), &installed, &["ruff"], &pins, &["ruff".to_string()]).is_empty());
    }

    #[test]
    fn slipcover_is_added_only_before_python_3_12() {
        let mut installed = BTreeMap::new();
        assert_eq!(optional_missing(&installed, "3.11.7"), ["slipcover==1.1.0"]);
        assert!(optional_missing(&installed, "3.12.1").is_empty());
        assert!(optional_missing(&installed, "").is_empty());
        installed.insert("slipcover".to_string(), "1.0.0".to_string());
        assert!(optional_missing(&installed, "3.10.2").is_empty());
    }

    #[test]
    fn finds_the_hosts_declarations() {
        assert!(has_install_dev("all: build\n\ninstall-dev: venv\n\tpip install -e .[dev]\n"));
        assert!(has_install_dev(".PHONY: x\ninstall install-dev:\n\ttrue\n"));
        assert!(!has_install_dev("install-dev := yes\n"));
        assert!(!has_install_dev("\tinstall-dev: no\n# install-dev: no\ninstall-dev-extras:\n"));
        let py =
            crate::toml_lite::parse("[project]\nname = \"x\"\n[project.optional-dependencies]\ndev = [\"black\"]\n");
        assert!(has_dev_extra(&py.unwrap()));
        assert!(!has_dev_extra(&Value::Null));
    }

    #[test]
    fn fingerprints_change_with_any_part() {
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["a", "b"]), fingerprint(&["ab", ""]));
        assert_eq!(fingerprint(&[]).len(), 16);
    }
}
