//! `api-docs` (docs phase): new public functions, methods and classes carry a
//! docstring; functions annotate every parameter (but self/cls) and their
//! return; a docstring of a function with parameters has a Google-style
//! parameters section (Google `Args:`, Sphinx `:param`, NumPy `Parameters`).
//! "New" = the `def`/`class` line is an added line and the name was not
//! defined at the base. The definitions come from the Python helper's `ast` walk.
use std::collections::BTreeSet;

use serde_json::Value;

use crate::core::finding::Finding;

pub const ID: &str = "api-docs";

/// One definition as the helper reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Def {
    /// `Class.method` for methods.
    pub qualname: String,
    /// `function`, `method` or `class`.
    pub kind: String,
    pub line: usize,
    pub docstring: bool,
    /// The docstring has an `Args:` (or `Arguments:`) section.
    pub docstring_args: bool,
    /// Parameters other than a method's self/cls, with whether each is annotated.
    pub params: Vec<(String, bool)>,
    pub returns_annotated: bool,
}

impl Def {
    /// Read the helper's JSON for one definition; None when malformed.
    pub fn from_json(v: &Value) -> Option<Def> {
        Some(Def {
            qualname: v.get("qualname")?.as_str()?.to_string(),
            kind: v.get("kind")?.as_str()?.to_string(),
            line: v.get("line")?.as_u64()? as usize,
            docstring: v.get("docstring")?.as_bool()?,
            docstring_args: v.get("docstring_args").and_then(Value::as_bool).unwrap_or(false),
            params: v
                .get("params")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .filter_map(|p| Some((p.get("name")?.as_str()?.to_string(), p.get("annotated")?.as_bool()?)))
                        .collect()
                })
                .unwrap_or_default(),
            returns_annotated: v.get("returns_annotated").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    /// Public: no part of the qualified name starts with `_` (dunders included).
    pub fn is_public(&self) -> bool {
        self.qualname.split('.').all(|part| !part.starts_with('_'))
    }
}

/// The qualified names (`Class.method`) a file defined at the base, read from
/// its `class`/`def` lines by indentation: a definition whose line was only
/// reformatted (a signature rewrapped) is no new one.
pub fn defined_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let indent = line.len() - t.len();
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let Some(rest) = ["class ", "def ", "async def "].iter().find_map(|k| t.strip_prefix(k)) else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if name.is_empty() {
            continue;
        }
        let qualname = stack.iter().map(|(_, n)| n.as_str()).chain([name.as_str()]).collect::<Vec<_>>().join(".");
        out.insert(qualname);
        stack.push((indent, name));
    }
    out
}

/// Findings for the definitions of one modified file whose line was added
/// and that the file did not define at the base (`existing`).
pub fn check(file: &str, defs: &[Def], added: &BTreeSet<usize>, existing: &BTreeSet<String>) -> Vec<Finding> {
    let mut out = Vec::new();
    let new = |d: &&Def| d.is_public() && added.contains(&d.line) && !existing.contains(&d.qualname);
    for d in defs.iter().filter(new) {
        let what = format!("{} `{}`", d.kind, d.qualname);
        let mut problems = Vec::new();
        if !d.docstring {
            out.push(
                Finding::fail(ID, "docstring", format!("new public {what} has no docstring")).at(file, Some(d.line)),
            );
            problems.push(());
        }
        if d.kind != "class" {
            let bare: Vec<&str> = d.params.iter().filter(|(_, a)| !a).map(|(n, _)| n.as_str()).collect();
            if !bare.is_empty() {
                out.push(
                    Finding::fail(
                        ID,
                        "annotations",
                        format!("new public {what}: parameters without type hints: {}", bare.join(", ")),
                    )
                    .at(file, Some(d.line)),
                );
                problems.push(());
            }
            if !d.returns_annotated {
                out.push(
                    Finding::fail(ID, "annotations", format!("new public {what} has no return type hint"))
                        .at(file, Some(d.line)),
                );
                problems.push(());
            }
            if d.docstring && !d.params.is_empty() && !d.docstring_args {
                out.push(
                    Finding::fail(
                        ID,
                        "args-section",
                        format!(
                            "docstring of new public {what} documents none of its parameters: add an `Args:` \
                             section (or Sphinx `:param name:` fields, or a NumPy `Parameters` section)"
                        ),
                    )
                    .at(file, Some(d.line)),
                );
                problems.push(());
            }
        }
        if problems.is_empty() {
            out.push(Finding::pass(ID, "docstring", format!("new public {what} is documented")).at(file, Some(d.line)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(qualname: &str, kind: &str, line: usize) -> Def {
        Def {
            qualname: qualname.into(),
            kind: kind.into(),
            line,
            returns_annotated: true,
            docstring: true,
            ..Def::default()
        }
    }

    #[test]
    fn only_new_public_definitions_count() {
        let added: BTreeSet<usize> = [10, 20, 30].into();
        let mut bare = def("load", "function", 10);
        bare.docstring = false;
        bare.returns_annotated = false;
        bare.params = vec![("path".into(), false), ("n".into(), true)];
        let mut old = def("old", "function", 5);
        old.docstring = false;
        let mut private = def("_hidden", "function", 20);
        private.docstring = false;
        let mut dunder = def("Thing.__init__", "method", 30);
        dunder.docstring = false;
        let found = check("src/pkg/a.py", &[bare.clone(), old, private, dunder], &added, &BTreeSet::new());
        let rules: Vec<&str> = found.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["docstring", "annotations", "annotations"]);
        assert!(found.iter().all(|f| f.line == Some(10) && f.is_fail()));
        assert!(found[1].message.contains("path"));
        // Defined at the base, its line only rewritten: not new.
        let existing = defined_names("import os\n\n\ndef load(path, n):\n    return os.sep\n");
        assert!(check("src/pkg/a.py", &[bare], &added, &existing).is_empty());
    }

    #[test]
    fn names_defined_at_the_base() {
        let text = "class Signer:\n    \"\"\"Doc.\"\"\"\n\n    def validate(self, value,\n                 max_age=None):\n        return True\n\n    class Inner:\n        async def run(self):\n            pass\n\n\ndef top():\n    def inner():\n        pass\n";
        let names: Vec<String> = defined_names(text).into_iter().collect();
        assert_eq!(names, ["Signer", "Signer.Inner", "Signer.Inner.run", "Signer.validate", "top", "top.inner"]);
    }

    #[test]
    fn args_section_needed_only_with_parameters() {
        let added: BTreeSet<usize> = [1, 2].into();
        let mut with_params = def("f", "function", 1);
        with_params.params = vec![("x".into(), true)];
        let no_params = def("g", "function", 2);
        let found = check("a.py", &[with_params, no_params], &added, &BTreeSet::new());
        assert_eq!(found[0].rule, "args-section");
        assert!(found[1].status == crate::core::finding::Status::Pass);
    }

    #[test]
    fn reads_helper_json() {
        let v = json!({"qualname": "C.m", "kind": "method", "line": 4, "docstring": true, "docstring_args": true,
                       "params": [{"name": "x", "annotated": false}], "returns_annotated": true});
        let d = Def::from_json(&v).unwrap();
        assert_eq!(d.params, [("x".to_string(), false)]);
        assert!(Def::from_json(&json!({"kind": "x"})).is_none());
    }
}
