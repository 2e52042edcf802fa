//! The guides stay true: their python blocks compile and every `# VERIFIED:`
//! reference still matches the code it quotes. Run on this repository, so a
//! guide that drifts from the code fails `cargo test` with the finding that
//! names the guide and its line.
mod common;

use std::path::{Path, PathBuf};

use common::{xtask_in, TempRepo};
use xtask::spec::checks::snippets::{extract, normalize_code_line, Verified};
use xtask::spec::markdown::Markdown;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().canonicalize().unwrap()
}

/// The markdown files of `dir` and below, relative to `root`, sorted.
fn markdown_under(root: &Path, dir: &str) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(root.join(dir))
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.path().strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"))
        .collect();
    out.sort();
    out
}

/// A python block with a `path:A-B` reference: the guide, the reference, and
/// the line a drift finding must name (the block's first code line).
struct Reference {
    guide: String,
    path: String,
    start: usize,
    end: usize,
    first_code_line: usize,
}

fn references(root: &Path, guides: &[String]) -> Vec<Reference> {
    let mut out = Vec::new();
    for guide in guides {
        let text = std::fs::read_to_string(root.join(guide)).unwrap();
        let md = Markdown::parse(&text);
        for block in extract(&md).into_iter().filter(|b| b.skip.is_none()) {
            let first_code_line = block
                .code
                .lines()
                .enumerate()
                .find(|(_, l)| {
                    let n = normalize_code_line(l);
                    !n.is_empty() && n != "..."
                })
                .map(|(i, _)| block.first_line + i);
            for v in &block.verified {
                if let (Verified::Ref { path, start, end, .. }, Some(line)) = (v, first_code_line) {
                    out.push(Reference {
                        guide: guide.clone(),
                        path: path.clone(),
                        start: *start,
                        end: *end,
                        first_code_line: line,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn guides_compile_and_their_references_match_the_code() {
    let root = repo_root();
    let root_arg = root.to_string_lossy().into_owned();
    let run = xtask_in(&root, &["--root", &root_arg, "snippets", "specs/guides", "specs/archive", "--json"]);
    let human = xtask_in(&root, &["--root", &root_arg, "snippets", "specs/guides", "specs/archive"]);
    assert_eq!(
        run.code, 0,
        "a guide (or the archived example) no longer matches the code; update the block or its \
         # VERIFIED: range:\n{}{}",
        human.stdout, human.stderr
    );
    assert_eq!(run.json()["ok"], true);
    // Not vacuous: the guides do quote the code they describe.
    let guides = markdown_under(&root, "specs/guides");
    assert!(guides.len() >= 6, "specs/guides holds {guides:?}");
    assert!(!references(&root, &guides).is_empty(), "no guide has a `# VERIFIED: path:A-B` reference any more");
}

#[test]
fn changing_referenced_lines_is_a_drift_finding_at_the_guide_line() {
    let root = repo_root();
    let guides = markdown_under(&root, "specs/guides");
    let refs = references(&root, &guides);
    assert!(!refs.is_empty());
    // A copy of the guides and of every file they quote, in a repository of its own.
    let repo = TempRepo::new();
    for guide in &guides {
        repo.write(guide, &std::fs::read_to_string(root.join(guide)).unwrap());
    }
    let mut quoted: Vec<&str> = refs.iter().map(|r| r.path.as_str()).collect();
    quoted.sort();
    quoted.dedup();
    for path in &quoted {
        repo.write(path, &std::fs::read_to_string(root.join(path)).unwrap());
    }
    repo.xtask(&["snippets", "specs/guides"]).assert_code(0);

    // Someone rewrites the quoted lines of the code; the guides stay as they were.
    for path in &quoted {
        let mut lines: Vec<String> = repo.read(path).lines().map(str::to_string).collect();
        for r in refs.iter().filter(|r| r.path == *path) {
            for n in r.start..=r.end {
                lines[n - 1] = format!("rewritten_{n} = {n}");
            }
        }
        repo.write(path, &(lines.join("\n") + "\n"));
    }
    let run = repo.xtask(&["snippets", "specs/guides", "--json"]);
    run.assert_code(1);
    let v = run.json();
    let drift: Vec<(String, u64)> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "fail" && f["rule"] == "drift")
        .map(|f| (f["file"].as_str().unwrap().to_string(), f["line"].as_u64().unwrap()))
        .collect();
    for r in &refs {
        assert!(
            drift.contains(&(r.guide.clone(), r.first_code_line as u64)),
            "no drift finding at {}:{} for {}:{}-{}; found {drift:?}",
            r.guide,
            r.first_code_line,
            r.path,
            r.start,
            r.end
        );
    }
    let human = repo.xtask(&["snippets", "specs/guides"]);
    let first = &refs[0];
    let at = format!("error[snippets]: {}:{}: ", first.guide, first.first_code_line);
    assert!(human.stdout.contains(&at), "expected a line starting `{at}`:\n{}", human.stdout);
}
