//! Repository checks ("tidy"): what must stay true of the kit itself.
use std::path::Path;

use xtask::core::rules::TemplateRules;
use xtask::core::workspace::Doc;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

#[test]
fn every_template_declares_rules_the_gate_can_read() {
    for doc in Doc::ALL {
        let path = repo_root().join("templates").join(doc.rel_path());
        let text = std::fs::read_to_string(&path).unwrap();
        let rules = TemplateRules::parse(&format!("templates/{}", doc.rel_path()), &text)
            .unwrap_or_else(|e| panic!("templates/{}:{}: {}", doc.rel_path(), e.line, e.message));
        if matches!(doc, Doc::Prd | Doc::Analysis | Doc::Plan) {
            assert!(!rules.rules.is_empty(), "templates/{} declares no rules", doc.rel_path());
        }
    }
}

#[test]
fn readme_names_the_two_newcomer_commands_and_they_exist() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(readme.contains("cargo xtask gate"), "README must name `cargo xtask gate`");
    assert!(readme.contains("cargo test --workspace"), "README must name `cargo test --workspace`");
    let ci = std::fs::read_to_string(repo_root().join(".ci/run")).unwrap();
    assert!(ci.contains("cargo test --workspace"), ".ci/run must run the README's test command");
    // Every `cargo xtask CMD` README mentions is a real command.
    let commands: Vec<String> = xtask::cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
    for (i, _) in readme.match_indices("cargo xtask ") {
        let word: String = readme[i + 12..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        if word.is_empty() || word.starts_with('-') || word.chars().all(|c| c.is_ascii_uppercase() || c == '-') {
            continue;
        }
        assert!(commands.contains(&word), "README mentions `cargo xtask {word}`, which is not a command");
    }
}

/// The source of `path` with every `#[cfg(test)]` item left out (the item
/// after the attribute, up to its closing brace or semicolon).
fn without_test_items(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // The item ends at the `}` closing its first `{`, or at a `;` met first.
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The pure core takes text and facts and returns findings: it never touches
/// files, processes or the environment (those are `host/`'s), outside its
/// tests.
/// Adopters copy `xtask/` (and `.cargo/`) into their repository, which may
/// have no `templates/` or one holding its own files (gluent/goe keeps its
/// config templates there): the crate must build from its own folder, so
/// every file it includes at build time lies inside it.
#[test]
fn the_crate_builds_from_its_own_folder() {
    let crate_dir = repo_root().join("xtask").canonicalize().unwrap();
    let mut outside = Vec::new();
    let mut seen = 0;
    for entry in walkdir::WalkDir::new(crate_dir.join("src")) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(entry.path()).unwrap();
        for macro_name in ["include_str!(\"", "include_bytes!(\""] {
            for rest in source.split(macro_name).skip(1) {
                let rel = rest.split('"').next().unwrap();
                let target = entry.path().parent().unwrap().join(rel);
                seen += 1;
                match target.canonicalize() {
                    Ok(t) if t.starts_with(&crate_dir) => {}
                    _ => outside.push(format!("{}: {rel}", entry.path().display())),
                }
            }
        }
    }
    assert!(seen >= 8, "found only {seen} includes: the scan is broken");
    assert!(outside.is_empty(), "included from outside xtask/ (keep a copy inside the crate):\n{}", outside.join("\n"));
}

#[test]
fn the_core_does_no_io() {
    let core = repo_root().join("xtask/src/core");
    let forbidden = ["std::fs", "std::process", "std::env", "std::net", "std::io::stdin", "std::io::stdout"];
    let mut offences = Vec::new();
    for entry in walkdir::WalkDir::new(&core) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(entry.path()).unwrap();
        let code = without_test_items(&source);
        let grouped = code.contains("use std::{")
            && ["fs", "process", "env"].iter().any(|m| {
                code.split("use std::{")
                    .skip(1)
                    .any(|g| g.split('}').next().unwrap_or("").split(',').any(|p| p.trim().starts_with(m)))
            });
        for name in forbidden.iter().filter(|f| code.contains(*f)) {
            offences.push(format!("{} uses {name}", entry.path().display()));
        }
        if grouped {
            offences.push(format!("{} imports fs, process or env from std", entry.path().display()));
        }
    }
    assert!(offences.is_empty(), "the core must do no IO (move it to host/):\n{}", offences.join("\n"));
    // The check itself sees through a test module.
    let sample =
        "fn a() {}\n#[cfg(test)]\nmod tests { fn b() { std::fs::read(\"x\"); } }\nfn c() { std::env::var(\"x\"); }\n";
    assert!(!without_test_items(sample).contains("std::fs") && without_test_items(sample).contains("std::env"));
}

/// Commands are thin: what two commands share lives in the gate engine, the
/// core or the host, never in another command module.
#[test]
fn no_command_module_imports_another() {
    let dir = repo_root().join("xtask/src/commands");
    let mut offences = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "mod.rs") || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = without_test_items(&std::fs::read_to_string(&path).unwrap());
        for needle in ["crate::commands", "super::"] {
            if source.contains(needle) {
                offences.push(format!("{} uses {needle}", path.display()));
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

/// Every check of the registry has its description for SARIF and the job
/// summary (`report::catalog`); a check added without one would reach code
/// scanning as "A spec-gate check".
#[test]
fn every_registered_check_is_described() {
    let described: Vec<&str> = xtask::report::catalog::ids().collect();
    let missing: Vec<&str> =
        xtask::gate::registry::CHECKS.iter().map(|c| c.id).filter(|id| !described.contains(id)).collect();
    assert!(missing.is_empty(), "add these ids to xtask/src/report/catalog.rs: {missing:?}");
}

/// Every check of the registry has its row in the action table of
/// specs/guides/agents.md (`| `id` / rule | meaning | action |`): agents
/// match on ids, so each must be explained where they read.
#[test]
fn agents_md_explains_every_registered_check() {
    let guide = std::fs::read_to_string(repo_root().join("specs/guides/agents.md")).unwrap();
    let rows: Vec<&str> = guide.lines().filter(|l| l.starts_with("| `")).collect();
    let mut missing: Vec<&str> = xtask::gate::registry::CHECKS
        .iter()
        .map(|c| c.id)
        .filter(|id| !rows.iter().any(|r| r.starts_with(&format!("| `{id}` "))))
        .collect();
    missing.dedup();
    assert!(missing.is_empty(), "specs/guides/agents.md has no row for {missing:?} in its table of findings");
}

/// The string literals that follow `needle` in `source` (its test items left out).
fn literals_after(source: &str, needle: &str) -> Vec<String> {
    let code = without_test_items(source);
    code.match_indices(needle)
        .filter_map(|(at, _)| {
            let rest = &code[at + needle.len()..];
            Some(rest[..rest.find('"')?].to_string())
        })
        .collect()
}

/// The keys of `[workspace.metadata.xtask]` the settings reader reads are
/// exactly those of the table "All the keys" in specs/guides/configuration.md.
#[test]
fn configuration_md_lists_every_setting_read() {
    let src = |rel: &str| std::fs::read_to_string(repo_root().join("xtask/src").join(rel)).unwrap();
    let mut read: Vec<String> = literals_after(&src("host/settings.rs"), ".get(\"");
    // The rule tables and the env-templates keys are read where they are typed.
    read.extend(literals_after(&src("core/checks/rules.rs"), "settings.get(\""));
    read.extend(literals_after(&src("core/checks/env_templates.rs"), "strings(\""));
    read.sort();
    read.dedup();
    let guide = std::fs::read_to_string(repo_root().join("specs/guides/configuration.md")).unwrap();
    let table = guide.split("## All the keys").nth(1).expect("configuration.md has a section \"All the keys\"");
    let mut documented: Vec<String> = table
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.strip_prefix("| `")?.split('`').next().map(str::to_string))
        .collect();
    documented.sort();
    assert!(read.len() >= 15, "the scan found too few keys to be right: {read:?}");
    assert_eq!(read, documented, "keys read (left) and keys in configuration.md's table (right) differ");
    // The list the settings reader warns against unknown keys with is the same.
    let mut known: Vec<String> = xtask::host::settings::KNOWN_KEYS.iter().map(|k| k.to_string()).collect();
    known.sort();
    assert_eq!(known, read, "host::settings::KNOWN_KEYS (left) and the keys read (right) differ");
}
