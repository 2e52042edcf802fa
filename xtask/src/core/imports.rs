//! Which test files can reach a module through static imports.
//!
//! The coverage check runs under coverage only the test files whose imports
//! (transitively, through conftest.py files and package `__init__`s) reach a
//! modified module; the rest run without the tracer. The scan reads `import`
//! and `from ... import` statements line by line and errs on the side of
//! more edges (an import inside a function or a string still counts); what it
//! cannot see (`importlib`, plugins named in strings) only makes the measured
//! coverage lower, never higher, and the caller confirms a failing verdict
//! with the remaining tests. Nothing here reads files or starts processes.
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// One import statement's targets, as absolute dotted names. For
/// `from X import a, b` the targets are `X.a`, `X.b` (a submodule or a name in
/// X: the resolver tries both).
pub fn imported_names(source: &str, package: &str) -> Vec<String> {
    let mut out = Vec::new();
    for statement in statements(source) {
        if let Some(rest) = statement.strip_prefix("import ") {
            for item in rest.split(',') {
                let name = item.split_whitespace().next().unwrap_or("");
                if is_dotted(name) {
                    out.push(name.to_string());
                }
            }
        } else if let Some(rest) = statement.strip_prefix("from ") {
            let Some((from, names)) = rest.split_once(" import ") else { continue };
            let Some(base) = absolute(from.trim(), package) else { continue };
            let names = names.trim().trim_start_matches('(').trim_end_matches(')');
            let mut any = false;
            for item in names.split(',') {
                let name = item.split_whitespace().next().unwrap_or("");
                if name == "*" || !is_dotted(name) {
                    continue;
                }
                any = true;
                out.push(if base.is_empty() { name.to_string() } else { format!("{base}.{name}") });
            }
            if !any && !base.is_empty() {
                out.push(base);
            }
        }
    }
    out
}

/// Logical import statements: comments cut, `\` continuations and
/// parenthesised name lists joined, `;`-separated statements split.
fn statements(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut open_paren = false;
    for raw in source.lines() {
        let line = raw.split('#').next().unwrap_or("");
        if pending.is_empty() {
            let trimmed = line.trim_start();
            if !(trimmed.starts_with("import ") || trimmed.starts_with("from ") || trimmed.contains(';')) {
                continue;
            }
        }
        pending.push(' ');
        pending.push_str(line.trim_end().trim_end_matches('\\'));
        if pending.trim_start().starts_with("from ") && line.contains('(') && !line.contains(')') {
            open_paren = true;
        }
        if open_paren && line.contains(')') {
            open_paren = false;
        }
        if open_paren || line.trim_end().ends_with('\\') {
            continue;
        }
        for part in pending.split(';') {
            let part = part.split_whitespace().collect::<Vec<_>>().join(" ");
            if part.starts_with("import ") || part.starts_with("from ") {
                out.push(part);
            }
        }
        pending.clear();
    }
    out
}

fn is_dotted(name: &str) -> bool {
    !name.is_empty() && name.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

/// `.x` / `..x` against the importing file's package; None when it climbs out.
fn absolute(from: &str, package: &str) -> Option<String> {
    let dots = from.chars().take_while(|&c| c == '.').count();
    let rest = &from[dots..];
    if dots == 0 {
        return is_dotted(rest).then(|| rest.to_string());
    }
    let mut parts: Vec<&str> = if package.is_empty() { Vec::new() } else { package.split('.').collect() };
    for _ in 1..dots {
        parts.pop()?;
    }
    if !rest.is_empty() {
        if !is_dotted(rest) {
            return None;
        }
        parts.push(rest);
    }
    Some(parts.join("."))
}

/// Python files by root-relative path, and the folders imports resolve in
/// (sys.path entries relative to the root; "" is the root itself).
#[derive(Debug, Clone, Default)]
pub struct ModuleIndex {
    pub files: BTreeSet<String>,
    pub search_dirs: Vec<String>,
    /// Every folder that holds one of `files`, at any depth.
    dirs: BTreeSet<String>,
}

impl ModuleIndex {
    pub fn new(files: BTreeSet<String>, search_dirs: Vec<String>) -> ModuleIndex {
        let mut dirs = BTreeSet::new();
        for file in &files {
            let mut path = file.as_str();
            while let Some((parent, _)) = path.rsplit_once('/') {
                if !dirs.insert(parent.to_string()) {
                    break;
                }
                path = parent;
            }
        }
        ModuleIndex { files, search_dirs, dirs }
    }

    fn join(dir: &str, rel: &str) -> String {
        if dir.is_empty() {
            rel.to_string()
        } else {
            format!("{dir}/{rel}")
        }
    }

    /// The dotted package a file belongs to, seen from the search folder it
    /// sits in (the deepest one), or "" for a top-level module.
    pub fn package_of(&self, path: &str) -> String {
        let dir = self
            .search_dirs
            .iter()
            .filter(|d| d.is_empty() || path.starts_with(&format!("{d}/")))
            .max_by_key(|d| d.len())
            .map(String::as_str)
            .unwrap_or("");
        let rel = if dir.is_empty() { path } else { &path[dir.len() + 1..] };
        let mut parts: Vec<&str> = rel.split('/').collect();
        parts.pop();
        parts.join(".")
    }

    /// The files importing `dotted` runs: each package's `__init__.py` on the
    /// way, then the module (`a/b.py` or `a/b/__init__.py`), in every search
    /// folder that has them. A trailing name that is no module (`from a import
    /// f`) resolves to its package.
    pub fn resolve(&self, dotted: &str) -> Vec<String> {
        let parts: Vec<&str> = dotted.split('.').collect();
        let mut out = Vec::new();
        for dir in &self.search_dirs {
            let mut prefix = String::new();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    prefix.push('/');
                }
                prefix.push_str(part);
                let init = Self::join(dir, &format!("{prefix}/__init__.py"));
                let module = Self::join(dir, &format!("{prefix}.py"));
                let mut found = false;
                for candidate in [init, module] {
                    if self.files.contains(&candidate) {
                        out.push(candidate);
                        found = true;
                    }
                }
                if !found && !self.dirs.contains(&Self::join(dir, &prefix)) {
                    break;
                }
            }
        }
        out
    }
}

/// The import graph: file -> files its imports run.
pub fn graph(index: &ModuleIndex, sources: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    sources
        .iter()
        .map(|(path, text)| {
            // For `pkg/__init__.py` too the package is `pkg`: relative imports
            // in a package's __init__ start from the package itself.
            let package = index.package_of(path);
            let targets = imported_names(text, &package).iter().flat_map(|name| index.resolve(name)).collect();
            (path.clone(), targets)
        })
        .collect()
}

/// The conftest.py files pytest loads for a test file: in its folder and every
/// folder above it up to the root.
pub fn conftests_for(test_file: &str, files: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut dir = test_file.rsplit_once('/').map(|(d, _)| d.to_string());
    loop {
        let candidate = match &dir {
            Some(d) => format!("{d}/conftest.py"),
            None => "conftest.py".to_string(),
        };
        if files.contains(&candidate) {
            out.push(candidate);
        }
        match dir {
            Some(d) => dir = d.rsplit_once('/').map(|(p, _)| p.to_string()),
            None => break,
        }
    }
    out
}

/// Split test files into those whose imports reach one of `targets` and the rest.
pub fn select_tests(
    tests: &[String],
    graph: &BTreeMap<String, BTreeSet<String>>,
    files: &BTreeSet<String>,
    targets: &BTreeSet<String>,
) -> (Vec<String>, Vec<String>) {
    let mut reaching = Vec::new();
    let mut rest = Vec::new();
    for test in tests {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut queue: VecDeque<String> = VecDeque::new();
        queue.push_back(test.clone());
        queue.extend(conftests_for(test, files));
        let mut hit = false;
        while let Some(file) = queue.pop_front() {
            if targets.contains(&file) {
                hit = true;
                break;
            }
            let Some((key, edges)) = graph.get_key_value(&file) else { continue };
            if !seen.insert(key.as_str()) {
                continue;
            }
            queue.extend(edges.iter().filter(|e| !seen.contains(e.as_str())).cloned());
        }
        if hit {
            reaching.push(test.clone());
        } else {
            rest.push(test.clone());
        }
    }
    (reaching, rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str, package: &str) -> Vec<String> {
        imported_names(src, package)
    }

    #[test]
    fn reads_import_statements() {
        let src = "import os, pkg.a as a\n\
                   from pkg.b import (\n    f,\n    g as h,  # comment\n)\n\
                   from . import c\n\
                   from .d import e\n\
                   from .. import top\n\
                   x = 1; import pkg.semi\n\
                   def f():\n    from pkg import lazy\n\
                   from pkg.star import *\n\
                   import pkg.cont, \\\n    pkg.next\n\
                   # import pkg.commented\n";
        assert_eq!(
            names(src, "pkg.sub"),
            [
                "os",
                "pkg.a",
                "pkg.b.f",
                "pkg.b.g",
                "pkg.sub.c",
                "pkg.sub.d.e",
                "pkg.top",
                "pkg.semi",
                "pkg.lazy",
                "pkg.star",
                "pkg.cont",
                "pkg.next"
            ]
        );
        // Relative imports that climb out of the top package are dropped.
        assert!(names("from ... import x\n", "pkg").is_empty());
    }

    fn index() -> ModuleIndex {
        let files = [
            "src/pkg/__init__.py",
            "src/pkg/a.py",
            "src/pkg/b.py",
            "src/pkg/sub/__init__.py",
            "src/pkg/sub/c.py",
            "src/pkg/lonely.py",
            "tests/unit/conftest.py",
            "tests/unit/helpers.py",
            "tests/unit/test_a.py",
            "tests/unit/test_b.py",
            "tests/unit/test_c.py",
            "tests/unit/test_none.py",
        ];
        ModuleIndex::new(
            files.iter().map(|s| s.to_string()).collect(),
            vec!["src".into(), "tests/unit".into(), "".into()],
        )
    }

    #[test]
    fn resolves_modules_and_their_packages() {
        let ix = index();
        assert_eq!(ix.resolve("pkg.a"), ["src/pkg/__init__.py", "src/pkg/a.py"]);
        assert_eq!(ix.resolve("pkg.sub.c"), ["src/pkg/__init__.py", "src/pkg/sub/__init__.py", "src/pkg/sub/c.py"]);
        // `from pkg.a import f`: f is no module, pkg.a is.
        assert_eq!(ix.resolve("pkg.a.f"), ["src/pkg/__init__.py", "src/pkg/a.py"]);
        assert_eq!(ix.resolve("helpers"), ["tests/unit/helpers.py"]);
        assert!(ix.resolve("os").is_empty());
        assert_eq!(ix.package_of("src/pkg/sub/c.py"), "pkg.sub");
        assert_eq!(ix.package_of("tests/unit/test_a.py"), "");
    }

    #[test]
    fn selects_the_tests_that_reach_a_module() {
        let ix = index();
        let mut sources = BTreeMap::new();
        for f in &ix.files {
            sources.insert(f.clone(), String::new());
        }
        sources.insert("src/pkg/b.py".into(), "from .sub import c\n".into());
        sources.insert("tests/unit/helpers.py".into(), "import pkg.a\n".into());
        sources.insert("tests/unit/test_a.py".into(), "from helpers import make\n".into());
        sources.insert("tests/unit/test_b.py".into(), "from pkg.b import thing\n".into());
        sources.insert("tests/unit/test_c.py".into(), "from pkg.sub.c import x\n".into());
        let g = graph(&ix, &sources);
        let tests: Vec<String> =
            ["test_a", "test_b", "test_c", "test_none"].iter().map(|t| format!("tests/unit/{t}.py")).collect();
        let targets = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();

        let (reach, rest) = select_tests(&tests, &g, &ix.files, &targets(&["src/pkg/sub/c.py"]));
        assert_eq!(reach, ["tests/unit/test_b.py", "tests/unit/test_c.py"]);
        assert_eq!(rest, ["tests/unit/test_a.py", "tests/unit/test_none.py"]);

        let (reach, _) = select_tests(&tests, &g, &ix.files, &targets(&["src/pkg/a.py"]));
        assert_eq!(reach, ["tests/unit/test_a.py"]);

        // A package __init__ runs for every import below it.
        let (reach, _) = select_tests(&tests, &g, &ix.files, &targets(&["src/pkg/__init__.py"]));
        assert_eq!(reach.len(), 3);

        // A conftest that imports the module reaches every test under it.
        sources.insert("tests/unit/conftest.py".into(), "import pkg.lonely\n".into());
        let g = graph(&ix, &sources);
        let (reach, rest) = select_tests(&tests, &g, &ix.files, &targets(&["src/pkg/lonely.py"]));
        assert_eq!((reach.len(), rest.len()), (4, 0));
    }
}
