//! Where templates come from: `ROOT/templates/<doc>` when present, else the copy
//! built into the binary, so the kit works in any repository.
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

pub fn load(root: &Path, doc: Doc) -> Result<Template> {
    let folder = root.join("templates");
    let path = folder.join(doc.rel_path());
    let rel = format!("templates/{}", doc.rel_path());
    if path.symlink_metadata().is_err() {
        return Ok(Template { doc, text: doc.builtin_template().to_string(), source: "built-in".into() });
    }
    // The documents' link policy: a template is read only where it lies
    // inside templates/, so a cloned repository cannot make new-spec copy a
    // file from elsewhere on the machine into a workspace.
    let inside = match (path.canonicalize(), folder.canonicalize(), root.canonicalize()) {
        (Ok(target), Ok(folder), Ok(root)) => target.starts_with(&folder) && folder.starts_with(&root),
        _ => false,
    };
    if !inside {
        return Err(Error::usage(format!(
            "{rel}: a symbolic link out of templates/ (or to nothing); replace it with the template itself, or delete it to use the built-in one"
        )));
    }
    match read_text(&path, MAX_TEXT_BYTES) {
        Ok(text) => Ok(Template { doc, text, source: rel }),
        Err(ReadError::NotText { line }) => Err(Error::usage(format!(
            "{rel}:{line}: template is not UTF-8 text; fix it or delete it to use the built-in template"
        ))),
        Err(e) => Err(Error::usage(format!(
            "{rel}: {}; make it a readable file or delete it to use the built-in template",
            e.describe()
        ))),
    }
}

pub fn load_all(root: &Path) -> Result<Vec<Template>> {
    Doc::ALL.iter().map(|&doc| load(root, doc)).collect()
}
