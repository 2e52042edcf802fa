//! Where templates come from, per document: the team's folder
//! (`specs/template-spec/`, where this workflow's prompts keep them, or the
//! `templates-dir` setting), then `templates/`, then the copy built into the
//! binary, so the kit works in any repository.
use std::path::Path;

use crate::core::workspace::Doc;
use crate::error::{Error, Result};
use crate::host::fs::{read_text, ReadError, MAX_TEXT_BYTES};

/// A template's text and where it came from (`templates/prd.md` or `built-in`).
#[derive(Debug, Clone)]
pub struct Template {
    pub doc: Doc,
    pub text: String,
    pub source: String,
}

/// The folders templates are looked for in, in order, relative to the root.
pub fn folders(templates_dir: &str) -> Vec<String> {
    let mut out = vec![templates_dir.trim_end_matches('/').to_string()];
    if out[0] != "templates" {
        out.push("templates".to_string());
    }
    out
}

/// The template of `doc`: from the first of `folders` that has it, else built in.
pub fn load(root: &Path, folders: &[String], doc: Doc) -> Result<Template> {
    for folder in folders {
        if let Some(t) = load_from(root, folder, doc)? {
            return Ok(t);
        }
    }
    Ok(Template { doc, text: doc.builtin_template().to_string(), source: "built-in".into() })
}

fn load_from(root: &Path, folder_rel: &str, doc: Doc) -> Result<Option<Template>> {
    let folder = root.join(folder_rel);
    let path = folder.join(doc.rel_path());
    let rel = format!("{folder_rel}/{}", doc.rel_path());
    if path.symlink_metadata().is_err() {
        return Ok(None);
    }
    // The documents' link policy: a template is read only where it lies
    // inside its folder, so a cloned repository cannot make new-spec copy a
    // file from elsewhere on the machine into a workspace.
    let inside = match (path.canonicalize(), folder.canonicalize(), root.canonicalize()) {
        (Ok(target), Ok(folder), Ok(root)) => target.starts_with(&folder) && folder.starts_with(&root),
        _ => false,
    };
    if !inside {
        return Err(Error::usage(format!(
            "{rel}: a symbolic link out of {folder_rel}/ (or to nothing); replace it with the template itself, or \
             delete it to use the next template folder or the built-in one"
        )));
    }
    match read_text(&path, MAX_TEXT_BYTES) {
        Ok(text) => Ok(Some(Template { doc, text, source: rel })),
        Err(ReadError::NotText { line }) => Err(Error::usage(format!(
            "{rel}:{line}: template is not UTF-8 text; fix it or delete it to use the built-in template"
        ))),
        Err(e) => Err(Error::usage(format!(
            "{rel}: {}; make it a readable file or delete it to use the built-in template",
            e.describe()
        ))),
    }
}

pub fn load_all(root: &Path, folders: &[String]) -> Result<Vec<Template>> {
    Doc::ALL.iter().map(|&doc| load(root, folders, doc)).collect()
}
