//! What a path in the repository is, by name alone: test code or not.
//!
//! One rule for every check that leaves test code out (coverage's modified
//! modules, api-docs, env-templates), so `src/pkg/tests/x.py` is test code
//! everywhere or nowhere.

/// Whether root-relative `path` is `folder` or inside it ("" or "." is the root).
pub fn is_under(path: &str, folder: &str) -> bool {
    let folder = folder.trim_matches('/');
    let folder = folder.strip_prefix("./").unwrap_or(folder);
    folder.is_empty() || folder == "." || path == folder || path.starts_with(&format!("{folder}/"))
}

/// pytest's default test file names: `test_*.py` and `*_test.py`.
pub fn is_test_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".py") && (name.starts_with("test_") || name.ends_with("_test.py"))
}

/// Test code: under the unit or integration test folders, inside any folder
/// named `tests` or `test`, a pytest file (`test_*.py`, `*_test.py`) or a
/// `conftest.py`.
pub fn is_test_code(path: &str, unit_tests: &str, integration_tests: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let folders = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    is_under(path, unit_tests)
        || is_under(path, integration_tests)
        || is_test_file(path)
        || name == "conftest.py"
        || folders.split('/').any(|part| part == "tests" || part == "test")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders() {
        assert!(is_under("src/pkg/a.py", "src"));
        assert!(is_under("src/pkg/a.py", "./src/"));
        assert!(is_under("src/pkg/a.py", ""));
        assert!(!is_under("srcx/a.py", "src"));
    }

    #[test]
    fn test_code_by_one_rule() {
        let t = |p| is_test_code(p, "tests/unit", "tests/integration");
        assert!(t("tests/unit/helpers.py"));
        assert!(t("src/pkg/tests/x.py"));
        assert!(t("src/pkg/test/x.py"));
        assert!(t("src/pkg/test_x.py") && t("src/pkg/x_test.py") && t("src/pkg/conftest.py"));
        assert!(!t("src/pkg/testing.py") && !t("src/pkg/tests.py") && !t("src/pkg/contest.py"));
    }
}
