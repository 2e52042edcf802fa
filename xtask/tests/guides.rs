//! The guides stay true: their python blocks compile and every `# VERIFIED:`
//! reference still matches the code it quotes. The gate's own `guides` check
//! runs in-process on this repository, so a guide that drifts from the code
//! fails `cargo test` with the finding that names the guide and its line.
mod common;

use std::path::{Path, PathBuf};

use common::{xtask_in, TempRepo};
use xtask::cli::{ColorChoice, Global};
use xtask::context::Ctx;
use xtask::core::checks::snippets::{extract, normalize_code_line, Verified};
use xtask::core::markdown::Markdown;
use xtask::gate::later::guides_findings;
use xtask::report::{finding_line, Style};

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
    // The gate's own `guides` check, on this repository.
    let root = repo_root();
    let global =
        Global { root: Some(root.clone()), color: ColorChoice::Never, json: false, format: Default::default() };
    let ctx = Ctx::new(&global).unwrap();
    let findings = guides_findings(&ctx, None).unwrap();
    let failed: Vec<String> =
        findings.iter().filter(|f| f.is_fail()).map(|f| finding_line(&Style::default(), f)).collect();
    assert!(
        failed.is_empty(),
        "a guide no longer matches the code; update the block or its # VERIFIED: range:\n{}",
        failed.join("\n")
    );
    assert!(findings.iter().all(|f| f.id == "guides"), "{findings:?}");
    // Not vacuous: the guides do quote the code they describe.
    let guides = markdown_under(&root, "specs/guides");
    assert!(guides.len() >= 6, "specs/guides holds {guides:?}");
    assert!(!references(&root, &guides).is_empty(), "no guide has a `# VERIFIED: path:A-B` reference any more");
}

#[test]
fn the_archived_example_still_compiles() {
    // The worked example in specs/archive/ is not gated (archived workspaces
    // are history), but a newcomer copies from it: its blocks must compile.
    let root = repo_root();
    let root_arg = root.to_string_lossy().into_owned();
    let run = xtask_in(&root, &["--root", &root_arg, "snippets", "specs/archive"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
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
    let guides_check = |repo: &TempRepo| {
        let global = Global {
            root: Some(repo.path.clone()),
            color: ColorChoice::Never,
            json: false,
            format: Default::default(),
        };
        guides_findings(&Ctx::new(&global).unwrap(), None).unwrap()
    };
    assert!(guides_check(&repo).iter().all(|f| !f.is_fail()), "the copy passes before the change");

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
    let findings = guides_check(&repo);
    let drift: Vec<(String, usize)> = findings
        .iter()
        .filter(|f| f.is_fail() && f.id == "guides" && f.rule == "drift")
        .map(|f| (f.file.clone().unwrap(), f.line.unwrap()))
        .collect();
    for r in &refs {
        assert!(
            drift.contains(&(r.guide.clone(), r.first_code_line)),
            "no drift finding at {}:{} for {}:{}-{}; found {drift:?}",
            r.guide,
            r.first_code_line,
            r.path,
            r.start,
            r.end
        );
    }
    // What `cargo xtask gate` prints for it: the guide and the line.
    let first = &refs[0];
    let printed: Vec<String> =
        findings.iter().filter(|f| f.is_fail()).map(|f| finding_line(&Style::default(), f)).collect();
    let at = format!("error[guides]: {}:{}: ", first.guide, first.first_code_line);
    assert!(printed.iter().any(|l| l.starts_with(&at)), "expected a line starting `{at}`:\n{}", printed.join("\n"));
    // And the command line agrees.
    let run = repo.xtask(&["snippets", "specs/guides"]);
    run.assert_code(1);
}

/// The `$ cargo xtask ...` commands of README's session, each with the output
/// lines shown under it.
fn readme_session(readme: &str) -> Vec<(String, Vec<String>)> {
    let start = readme.find("## A session, start to finish").expect("README has its session section");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_console = false;
    for line in section.lines() {
        if line.starts_with("```") {
            in_console = line.trim() == "```console";
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push((cmd.to_string(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut() {
            if !line.is_empty() {
                lines.push(line.to_string());
            }
        }
    }
    out
}

/// README's diff block: the (before, after) text of each hunk, hunks split by `...`.
fn readme_fix(readme: &str) -> Vec<(String, String)> {
    let start = readme.find("```diff\n").expect("README shows the fix as a diff") + 8;
    let block = &readme[start..start + readme[start..].find("```").unwrap()];
    let mut hunks = vec![(String::new(), String::new())];
    for line in block.lines() {
        if line == "..." {
            hunks.push((String::new(), String::new()));
        } else if let Some(old) = line.strip_prefix('-') {
            hunks.last_mut().unwrap().0.push_str(&format!("{old}\n"));
        } else if let Some(new) = line.strip_prefix('+') {
            hunks.last_mut().unwrap().1.push_str(&format!("{new}\n"));
        }
    }
    hunks
}

/// `shown` (README's lines, `...` for cut ones) is what `printed` holds: the
/// same lines in the same order, every line when nothing is cut.
#[track_caller]
fn assert_shown(cmd: &str, shown: &[String], printed: &str) {
    let printed: Vec<&str> = printed.lines().collect();
    let cut = shown.iter().any(|l| l == "...");
    let shown: Vec<&str> = shown.iter().map(String::as_str).filter(|l| *l != "...").collect();
    if !cut {
        assert_eq!(shown, printed, "README's output of `{cmd}` is not what the tool prints today");
        return;
    }
    let mut at = 0;
    for line in &shown {
        match printed[at..].iter().position(|p| p == line) {
            Some(i) => at += i + 1,
            None => panic!(
                "README's output of `{cmd}` shows a line the tool no longer prints:\n{line}\n--- printed\n{}",
                printed.join("\n")
            ),
        }
    }
}

/// README's session: new-spec, the failing gate of a fresh workspace, the gate
/// of the written documents with two defects, and the gate after the fix are
/// replayed (with the archived example's documents) and must print what README
/// shows. The qa gate and archive need the Python tools, so only their commands
/// are checked to exist (`repo.rs`).
#[test]
fn readme_session_is_what_the_tool_prints() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let session = readme_session(&readme);
    assert!(session.len() >= 4, "{session:?}");
    let repo = TempRepo::new();
    for template in markdown_under(&root, "templates") {
        repo.write(&template, &std::fs::read_to_string(root.join(&template)).unwrap());
    }
    let argv = |cmd: &str| -> Vec<String> {
        let rest = cmd.strip_prefix("cargo xtask ").expect("a cargo xtask command");
        let mut out = Vec::new();
        let mut quoted: Option<String> = None;
        for word in rest.split(' ') {
            match (&mut quoted, word.strip_prefix('"')) {
                (None, Some(w)) if w.ends_with('"') => out.push(w.trim_end_matches('"').to_string()),
                (None, Some(w)) => quoted = Some(w.to_string()),
                (Some(q), _) => {
                    q.push(' ');
                    q.push_str(word.trim_end_matches('"'));
                    if word.ends_with('"') {
                        out.push(quoted.take().unwrap());
                    }
                }
                (None, None) => out.push(word.to_string()),
            }
        }
        out
    };
    let run = |cmd: &str| {
        let args = argv(cmd);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        repo.xtask(&args).stdout
    };
    // new-spec, then the gate of the fresh workspace.
    for (cmd, shown) in &session[..2] {
        assert_shown(cmd, shown, &run(cmd));
    }
    // The documents are written: the archived example's, with README's defects.
    let slug = "env-templates-check";
    let example = format!("specs/archive/{slug}");
    let active = format!("specs/active/{slug}");
    for doc in ["prd.md", "tasks.md", "recovery.md", "research/analysis.md", "research/plan.md"] {
        let mut text = std::fs::read_to_string(root.join(&example).join(doc)).unwrap();
        if doc == "recovery.md" {
            text = text.replace("**Current Phase**: archived", "**Current Phase**: prd");
        }
        repo.write(&format!("{active}/{doc}"), &text);
    }
    let prd = format!("{active}/prd.md");
    let fixed = repo.read(&prd);
    let mut broken = fixed.clone();
    for (before, after) in readme_fix(&readme) {
        assert!(broken.contains(&after), "README's fix shows text the example's prd.md does not hold:\n{after}");
        broken = broken.replacen(&after, &before, 1);
    }
    repo.write(&prd, &broken);
    assert_shown(&session[2].0, &session[2].1, &run(&session[2].0));
    repo.write(&prd, &fixed);
    assert_shown(&session[3].0, &session[3].1, &run(&session[3].0));
}
