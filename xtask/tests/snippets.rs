//! `cargo xtask snippets [PATH...]`: python blocks of any markdown compile and
//! their `# VERIFIED:` references match, found as a CommonMark reader finds them.
mod common;

use serde_json::Value;

use common::{Run, TempRepo};

/// Failing findings of a `--json` run as (rule, file, line).
fn failures(run: &Run) -> Vec<(String, String, Option<u64>)> {
    let v = run.json();
    assert!(v["workspaces"].as_array().unwrap().is_empty());
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| {
            assert_eq!(f["id"], "snippets");
            (f["rule"].as_str().unwrap().into(), f["file"].as_str().unwrap_or("").into(), f["line"].as_u64())
        })
        .collect()
}

fn f(rule: &str, file: &str, line: u64) -> (String, String, Option<u64>) {
    (rule.into(), file.into(), Some(line))
}

#[test]
fn default_is_specs_and_findings_are_top_level_with_lines() {
    let repo = TempRepo::new();
    repo.write("src/m.py", "def add(a, b):\n    return a + b\n");
    repo.write(
        "specs/guides/good.md",
        "# Guide\n\n```python\n# VERIFIED: src/m.py:1-2\ndef add(a, b):\n    return a+b\n```\n\n```py\nx = 1\n```\n",
    );
    repo.write("specs/active/x/prd.md", "# PRD\n\nText.\n\n```python3\ndef f():\n    pass\nreturn 2\n```\n");
    repo.write("specs/notes.txt", "```python\nreturn\n```\n");
    repo.write("README.md", "```python\nreturn\n```\n");
    let run = repo.xtask(&["snippets", "--json"]);
    run.assert_code(1);
    assert_eq!(failures(&run), [f("compile", "specs/active/x/prd.md", 8)]);
    let human = repo.xtask(&["snippets"]);
    assert!(
        human.stdout.contains("error[snippets]: specs/active/x/prd.md:8: python block does not compile: SyntaxError: 'return' outside function"),
        "{}",
        human.stdout
    );
    // Named paths: only those, relative to the current folder.
    repo.xtask(&["snippets", "specs/guides"]).assert_code(0);
    repo.xtask(&["snippets", "README.md"]).assert_code(1);
    let inside = common::xtask_in(&repo.path.join("specs"), &["snippets", "guides/good.md", "--json"]);
    inside.assert_code(0);
    assert!(inside.json()["ok"].as_bool().unwrap());
}

#[test]
fn blocks_as_commonmark_finds_them() {
    let repo = TempRepo::new();
    let text = "# Blocks\n\n\
                - a list item\n\n  ```python\n  def f():\n      return 1\n  ```\n\n\
                > ```py\n> y = (\n> ```\n\n\
                ````markdown\n```python\nreturn outside\n```\n````\n\n\
                ```js\nconst x = () => {};\n```\n\n\
                ```PY3 title=\"x\"\nz = 1\n```\n\n\
                ~~~Python\nbreak\n~~~\n\n\
                ```python\nunterminated = (\n";
    repo.write("specs/a.md", text);
    let run = repo.xtask(&["snippets", "--json"]);
    run.assert_code(1);
    assert_eq!(
        failures(&run),
        [f("compile", "specs/a.md", 11), f("compile", "specs/a.md", 29), f("unclosed", "specs/a.md", 32)]
    );
}

#[test]
fn crlf_and_bom_keep_lines() {
    let repo = TempRepo::new();
    let text = "\u{feff}# T\r\n\r\n```python\r\nx = 1\r\nreturn x\r\n```\r\n";
    repo.write("specs/crlf.md", text);
    let run = repo.xtask(&["snippets", "--json"]);
    assert_eq!(failures(&run), [f("compile", "specs/crlf.md", 5)]);
}

#[test]
fn sessions_compile_their_code_not_their_output() {
    let repo = TempRepo::new();
    let text = "# S\n\n```pycon\n>>> total = 0\n>>> for i in range(3):\n...     total += i\n...\n>>> total\n3\nTraceback (most recent call last):\n```\n\n\
                ```python\n>>> await asyncio.sleep(0)\n>>> return 1\nNone\n```\n";
    repo.write("specs/s.md", text);
    let run = repo.xtask(&["snippets", "--json"]);
    assert_eq!(failures(&run), [f("compile", "specs/s.md", 15)]);
}

#[test]
fn skip_snippet_needs_a_reason_and_is_reported() {
    let repo = TempRepo::new();
    let text =
        "# K\n\n<!-- gate: skip-snippet pseudo-code for the reader -->\n```python\nfor each row: load it\n```\n\n\
                <!-- gate: skip-snippet -->\n\n```python\nx = 1\n```\n";
    repo.write("specs/k.md", text);
    let run = repo.xtask(&["snippets", "--json"]);
    run.assert_code(1);
    assert_eq!(failures(&run), [f("skip", "specs/k.md", 8)]);
    let skipped: Vec<Value> =
        run.json()["checks"].as_array().unwrap().iter().filter(|f| f["status"] == "skip").cloned().collect();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0]["line"], 4);
    assert!(skipped[0]["message"].as_str().unwrap().contains("pseudo-code for the reader"));
}

#[test]
fn references_are_checked_when_present_not_required() {
    let repo = TempRepo::new();
    repo.write("src/m.py", "import os\n\n\ndef home():\n    return os.environ['HOME']\n");
    let text = "# R\n\n```python\n# VERIFIED: src/m.py:4-5\ndef home():\n    return os.environ[\"HOME\"]\n```\n\n\
                ```python\n# VERIFIED: src/m.py:9-12\nx = 1\n```\n\n```python\n# VERIFIED: tested by hand\nx = 2\n```\n";
    repo.write("specs/r.md", text);
    let run = repo.xtask(&["snippets", "--json"]);
    run.assert_code(1);
    assert_eq!(failures(&run), [f("drift", "specs/r.md", 6), f("reference", "specs/r.md", 10)]);
}

#[test]
fn odd_files_and_paths() {
    let repo = TempRepo::new();
    std::fs::create_dir_all(repo.path.join("specs/.hidden")).unwrap();
    repo.write("specs/.hidden/x.md", "```python\nreturn\n```\n");
    std::fs::write(repo.path.join("specs/bin.md"), b"# B\n\0\x01\x02").unwrap();
    std::fs::write(repo.path.join("specs/latin1.md"), b"# caf\xe9\n").unwrap();
    std::os::unix::fs::symlink("/etc/hostname", repo.path.join("specs/out.md")).unwrap();
    std::os::unix::fs::symlink("loop.md", repo.path.join("specs/loop.md")).unwrap();
    repo.write("specs/name with spaces; $(rm -rf).md", "```python\nx = 1\n```\n");
    let run = repo.xtask(&["snippets", "--json"]);
    run.assert_code(1);
    let got = failures(&run);
    // Hidden folders are walked too (this workflow keeps guides in .claude/).
    assert_eq!(
        got,
        [
            ("symlink".into(), "specs/out.md".into(), None),
            f("not-text", "specs/bin.md", 2),
            f("not-text", "specs/latin1.md", 1),
            f("compile", "specs/.hidden/x.md", 2)
        ]
    );
    for args in [vec!["snippets", "nope.md"], vec!["snippets", "/etc"], vec!["snippets", ".."]] {
        let run = repo.xtask(&args);
        run.assert_code(2);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    }
    // No specs/ folder: nothing to check, not an error.
    let empty = TempRepo::new();
    empty.xtask(&["snippets"]).assert_code(0);
}

#[test]
fn a_folder_is_walked_as_git_sees_it_and_an_unclosed_fence_is_named_where_it_opens() {
    let repo = TempRepo::new();
    repo.write(".gitignore", "build/\n");
    repo.write(".claude/agents/expert.md", "# Expert\n\n```python\nreturn 1\n```\n");
    repo.write(".agents/guide.md", "# Guide\n\n```python\nx = 1\n\nThe author's prose goes on here.\n");
    repo.write("build/generated.md", "```python\nreturn 1\n```\n");
    repo.write("docs/ok.md", "```python\nx = 1\n```\n");
    repo.commit_all("docs");
    repo.write("docs/new.md", "```python\nreturn 2\n```\n");
    let run = repo.xtask(&["snippets", ".", "--json"]);
    run.assert_code(1);
    assert_eq!(
        failures(&run),
        [
            f("unclosed", ".agents/guide.md", 3),
            f("compile", ".claude/agents/expert.md", 4),
            f("compile", "docs/new.md", 2)
        ]
    );
}

/// The finding messages of a `--json` run.
fn messages(run: &Run) -> Vec<String> {
    run.json()["checks"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_quote_can_name_the_revision_it_quotes() {
    let repo = TempRepo::new();
    repo.write("src/text.py", "def shout(s):\n    return s.upper()\n");
    let quote = |reference: &str| {
        format!("# PRD\n\n```python\n# VERIFIED: {reference}\ndef shout(s):\n    return s.upper()\n```\n")
    };
    repo.write("specs/active/x/prd.md", &quote("src/text.py:1-2"));
    repo.commit_all("base");
    let base = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    // The change the PRD planned is made: the quote no longer matches today's code...
    repo.write("src/text.py", "def shout(s: str) -> str:\n    return s.upper() + '!'\n");
    repo.commit_all("implement");
    let run = repo.xtask(&["snippets", "--json"]);
    run.assert_code(1);
    assert_eq!(failures(&run), [f("drift", "specs/active/x/prd.md", 5)]);
    // ...but it does at the base, and the message offers the pinned form.
    let pinned = format!("`# VERIFIED: src/text.py:1-2@{}`", &base[..12]);
    assert!(
        messages(&run).iter().any(|m| m.contains("matches at the base") && m.contains(&pinned)),
        "{:?}",
        messages(&run)
    );
    for reference in
        [format!("src/text.py:1-2@{}", &base[..12]), "src/text.py:1-2@base".into(), "src/text.py:1-2@main".into()]
    {
        repo.write("specs/active/x/prd.md", &quote(&reference));
        repo.xtask(&["snippets"]).assert_code(0);
    }
    repo.git(&["tag", "v1"]);
    repo.write("specs/active/x/prd.md", &quote("src/text.py:1-2@v1"));
    let run = repo.xtask(&["snippets", "--json"]);
    assert_eq!(failures(&run), [f("drift", "specs/active/x/prd.md", 5)]);
    repo.write("specs/active/x/prd.md", &quote("src/text.py:1-2@no-such-branch"));
    let run = repo.xtask(&["snippets", "--json"]);
    assert_eq!(failures(&run), [f("reference", "specs/active/x/prd.md", 4)]);
    assert!(messages(&run).iter().any(|m| m.contains("does not exist at no-such-branch")), "{:?}", messages(&run));
    repo.write("specs/active/x/prd.md", &quote("src/text.py:1-2@--output=/tmp/x"));
    assert_eq!(failures(&repo.xtask(&["snippets", "--json"])), [f("reference", "specs/active/x/prd.md", 4)]);
}

/// A quote of a signature alone (a header without its body) is real code:
/// it passes, where it used to fail with "expected an indented block".
#[test]
fn a_quoted_signature_without_its_body_compiles() {
    let repo = TempRepo::new();
    repo.write(
        "src/size.py",
        "class Size:\n    def format(\n        self, value: int, binary: bool = False\n    ) -> str:\n        return str(value)\n",
    );
    repo.write(
        "docs/d.md",
        "# D\n\n```python\n# VERIFIED: src/size.py:2-4\n    def format(\n        self, value: int, binary: bool = False\n    ) -> str:\n```\n",
    );
    repo.commit_all("a signature quoted");
    let run = repo.xtask(&["snippets", "docs/d.md", "--json"]);
    assert!(failures(&run).is_empty(), "{:?}", messages(&run));
    run.assert_code(0);
}

/// A quote of a method's body (`'return' outside function` on its own)
/// that drifted because the change rewrote the method: one finding, the
/// drift with the pinned form, and no compile error beside it (the quote
/// compiles at the base, inside its class).
#[test]
fn a_drifted_method_quote_is_not_also_a_compile_error() {
    let repo = TempRepo::new();
    repo.write("src/shop.py", "class Cart:\n    def total(self):\n        return sum(self.items)\n");
    repo.write(
        "specs/active/x/prd.md",
        "# PRD\n\n```python\n# VERIFIED: src/shop.py:3\n        return sum(self.items)\n```\n",
    );
    repo.commit_all("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/shop.py", "class Cart:\n    def total(self):\n        return sum(i.price for i in self.items)\n");
    repo.commit_all("implement");
    let run = repo.xtask(&["snippets", "--json"]);
    run.assert_code(1);
    assert_eq!(failures(&run), [f("drift", "specs/active/x/prd.md", 5)], "{:?}", messages(&run));
    assert!(messages(&run).iter().any(|m| m.contains("matches at the base")), "{:?}", messages(&run));
    // The pinned form is a field too: an agent need not parse the message.
    let v = run.json();
    let drift = v["checks"].as_array().unwrap().iter().find(|f| f["rule"] == "drift").unwrap().clone();
    let pinned = drift["pinned"][0].as_str().unwrap();
    assert!(pinned.starts_with("# VERIFIED: src/shop.py:3-3@"), "{drift}");
}

#[test]
fn archived_workspaces_are_read_at_the_commit_they_were_archived_at() {
    let repo = TempRepo::new();
    repo.write("src/text.py", "def shout(s):\n    return s.upper()\n");
    let doc = "# PRD\n\n```python\n# VERIFIED: src/text.py:1-2\ndef shout(s):\n    return s.upper()\n```\n";
    repo.write("specs/archive/old/prd.md", doc);
    repo.write("specs/archive/older/prd.md", doc);
    repo.commit_all("archived");
    let commit = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.write("specs/archive/old/archive.md", &format!("# Archive record: old\n\n**Commit**: {commit}\n"));
    repo.write("specs/archive/older/archive.md", "# Archive record: older\n\n**Archived**: 2025-01-01\n");
    // A later, unrelated change to the quoted file.
    repo.write("src/text.py", "import sys\n\n\ndef shout(s):\n    return s.upper()\n");
    repo.commit_all("later");
    repo.xtask(&["snippets"]).assert_code(0);
    // Still compiled: an archived block that does not compile is reported.
    repo.write("specs/archive/older/prd.md", &doc.replace("return s.upper()", "return s.upper("));
    let run = repo.xtask(&["snippets", "--json"]);
    assert_eq!(failures(&run), [f("compile", "specs/archive/older/prd.md", 6)]);
}

/// `@base` is the merge base the gate measures the change against: with
/// `--base develop` it is develop's, not the default branch's.
#[test]
fn base_references_follow_the_gates_base() {
    let repo = TempRepo::new();
    repo.write("src/a.py", "x = 1\n");
    repo.commit_all("main");
    repo.git(&["checkout", "-q", "-b", "develop"]);
    repo.write("src/a.py", "x = 2\n");
    repo.commit_all("develop");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/a.py", "x = 3\n");
    repo.commit_all("feature");
    repo.xtask(&["new-spec", "Quote"]).assert_code(0);
    let prd = "specs/active/quote/prd.md";
    let text = repo.read(prd);
    repo.write(prd, &format!("{text}\n```python\n# VERIFIED: src/a.py:1@base\nx = 2\n```\n"));
    let drifted = |args: &[&str]| {
        let run = repo.xtask(args);
        let v = run.json();
        v["workspaces"][0]["checks"].as_array().unwrap().iter().any(|f| f["rule"] == "drift")
    };
    assert!(drifted(&["gate", "quote", "--json"]), "at main's merge base the quote is x = 1");
    assert!(!drifted(&["gate", "quote", "--base", "develop", "--json"]), "at develop's merge base it is x = 2");
}
