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
