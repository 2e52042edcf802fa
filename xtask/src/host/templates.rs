//! Where templates come from: `ROOT/templates/<doc>` when present, else the copy
//! built into the binary, so the kit works in any repository.
use std::path::Path;

use crate::error::{Error, Result};
use crate::host::fs::{decode, Text};
use crate::spec::workspace::Doc;

/// A template's text and where it came from (`templates/prd.md` or `built-in`).
#[derive(Debug, Clone)]
pub struct Template {
    pub doc: Doc,
    pub text: String,
    pub source: String,
}

pub fn load(root: &Path, doc: Doc) -> Result<Template> {
    let path = root.join("templates").join(doc.rel_path());
    match std::fs::read(&path) {
        Ok(bytes) => match decode(&bytes) {
            Text::Ok(text) => Ok(Template { doc, text, source: format!("templates/{}", doc.rel_path()) }),
            Text::NotText { line } => Err(Error::usage(format!(
                "{}:{line}: template is not UTF-8 text; fix it or delete it to use the built-in template",
                path.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(Template { doc, text: doc.builtin_template().to_string(), source: "built-in".into() })
        }
        Err(e) => Err(Error::io(&path, &e, "make it readable or delete it to use the built-in template")),
    }
}

pub fn load_all(root: &Path) -> Result<Vec<Template>> {
    Doc::ALL.iter().map(|&doc| load(root, doc)).collect()
}
