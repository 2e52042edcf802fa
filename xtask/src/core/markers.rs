//! Generated regions inside documents people also edit. A region sits between
//! `<!-- xtask:begin NAME -->` and `<!-- xtask:end NAME -->`; the tool rewrites
//! only what is between the two marker lines and leaves every other byte as it was.
//!
//! A marker counts only as a comment alone on its own line, outside code,
//! as the markdown reader sees it: a line that quotes a marker (in inline code,
//! in a code block, after other text) is text a person wrote. A region that
//! cannot be found exactly (a marker missing its pair, twice, out of order, or
//! sharing its line) is reported, never guessed at.
use std::ops::Range;

use crate::core::markdown::Markdown;

fn begin(name: &str) -> String {
    format!("<!-- xtask:begin {name} -->")
}

fn end(name: &str) -> String {
    format!("<!-- xtask:end {name} -->")
}

/// Why a region cannot be rewritten: the 1-based line to look at and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub line: usize,
    pub message: String,
}

/// The marker comments of a document, as (begin?, name, line, alone on its line).
struct Marker<'t> {
    begin: bool,
    name: &'t str,
    line: usize,
    alone: bool,
}

fn markers<'t>(md: &Markdown<'t>) -> Vec<Marker<'t>> {
    let text = md.text;
    md.comments
        .iter()
        .filter_map(|c| {
            let whole = &text[c.range.clone()];
            let body = whole.strip_prefix("<!--")?.strip_suffix("-->")?;
            let (begin, name) = if let Some(name) = body.strip_prefix(" xtask:begin ") {
                (true, name)
            } else {
                (false, body.strip_prefix(" xtask:end ")?)
            };
            let name = name.strip_suffix(' ')?;
            if name.is_empty() || name.contains(char::is_whitespace) {
                return None;
            }
            let line = md.line_of(c.range.start);
            let own = md.line_range(line);
            let alone = text[own].trim() == whole;
            Some(Marker { begin, name, line, alone })
        })
        .collect()
}

/// Byte range of the body of region `name` (from the line after the begin
/// marker to the start of the end marker's line); None when the document has
/// no marker of that name.
fn bounds(md: &Markdown, name: &str) -> Result<Option<Range<usize>>, Broken> {
    let found: Vec<Marker> = markers(md).into_iter().filter(|m| m.name == name).collect();
    if found.is_empty() {
        return Ok(None);
    }
    if let Some(m) = found.iter().find(|m| !m.alone) {
        let marker = if m.begin { begin(name) } else { end(name) };
        return Err(Broken {
            line: m.line,
            message: format!("`{marker}` shares its line with other text; put the marker alone on its own line"),
        });
    }
    let begins: Vec<usize> = found.iter().filter(|m| m.begin).map(|m| m.line).collect();
    let ends: Vec<usize> = found.iter().filter(|m| !m.begin).map(|m| m.line).collect();
    let many = |marker: String, lines: &[usize]| Broken {
        line: lines[1],
        message: format!(
            "`{marker}` appears {} times (lines {}); keep one",
            lines.len(),
            lines.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
        ),
    };
    match (begins.as_slice(), ends.as_slice()) {
        ([b], [e]) if b < e => {
            let body_start = md.line_range(b + 1).start;
            let body_end = md.line_range(*e).start;
            Ok(Some(body_start..body_end.max(body_start)))
        }
        ([b], [e]) => Err(Broken {
            line: *e,
            message: format!("`{}` comes before its `{}` (line {b}); swap them", end(name), begin(name)),
        }),
        ([b], []) => Err(Broken {
            line: *b,
            message: format!("`{}` has no `{}` after it; add it where the region ends", begin(name), end(name)),
        }),
        ([], [e]) => Err(Broken {
            line: *e,
            message: format!("`{}` has no `{}` before it; add it where the region starts", end(name), begin(name)),
        }),
        (b, _) if b.len() > 1 => Err(many(begin(name), b)),
        (_, e) => Err(many(end(name), e)),
    }
}

/// `text` with the region `name` holding `body` (which should end with a newline).
/// Without the markers, the region is appended at the end, so nothing a person
/// wrote changes. The line ending (CRLF or LF) of the document is kept.
pub fn replace(text: &str, name: &str, body: &str) -> Result<String, Broken> {
    let crlf = text.contains("\r\n");
    let body = if crlf { body.replace("\r\n", "\n").replace('\n', "\r\n") } else { body.to_string() };
    let md = Markdown::parse(text);
    // The reader drops a byte order mark; offsets are into what follows it.
    let bom = text.len() - md.text.len();
    Ok(match bounds(&md, name)? {
        Some(r) => format!("{}{}{}", &text[..bom + r.start], body, &text[bom + r.end..]),
        None => {
            let nl = if crlf { "\r\n" } else { "\n" };
            let sep = if text.is_empty() || text.ends_with(['\n', '\r']) { "" } else { nl };
            format!("{text}{sep}{nl}{}{nl}{body}{}{nl}", begin(name), end(name))
        }
    })
}

/// `text` with the body of every generated region removed (the markers stay):
/// what a person wrote, so regenerating a region does not look like an edit.
/// A region that cannot be found exactly stays in, as written.
pub fn without_regions(text: &str) -> String {
    let md = Markdown::parse(text);
    let bom = text.len() - md.text.len();
    let mut names: Vec<&str> = markers(&md).iter().filter(|m| m.begin).map(|m| m.name).collect();
    names.sort_unstable();
    names.dedup();
    let mut cuts: Vec<Range<usize>> = names.iter().filter_map(|n| bounds(&md, n).ok().flatten()).collect();
    cuts.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for cut in cuts {
        // Regions inside regions are already cut.
        if cut.start < pos {
            continue;
        }
        out.push_str(&text[pos..bom + cut.start]);
        pos = bom + cut.end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A region's body as it stands; None when the markers are absent.
    fn region<'a>(text: &'a str, name: &str) -> Result<Option<&'a str>, Broken> {
        let md = Markdown::parse(text);
        Ok(bounds(&md, name)?.map(|r| &md.text[r]))
    }

    fn replaced(text: &str, name: &str, body: &str) -> String {
        replace(text, name, body).expect("markers found")
    }

    #[test]
    fn replaces_only_the_body() {
        let doc = "# T\nhand  written\n<!-- xtask:begin progress -->\nold\n<!-- xtask:end progress -->\ntail ✓\n";
        let out = replaced(doc, "progress", "- Total: 3\n");
        assert_eq!(
            out,
            "# T\nhand  written\n<!-- xtask:begin progress -->\n- Total: 3\n<!-- xtask:end progress -->\ntail ✓\n"
        );
        assert_eq!(region(&out, "progress"), Ok(Some("- Total: 3\n")));
        assert_eq!(replaced(&out, "progress", "- Total: 3\n"), out);
    }

    #[test]
    fn empty_region_and_crlf() {
        let doc = "a\r\n<!-- xtask:begin x -->\r\n<!-- xtask:end x -->\r\nb\r\n";
        assert_eq!(region(doc, "x"), Ok(Some("")));
        assert_eq!(replaced(doc, "x", "one\n"), "a\r\n<!-- xtask:begin x -->\r\none\r\n<!-- xtask:end x -->\r\nb\r\n");
        let bom = "\u{feff}a\n<!-- xtask:begin x -->\nold\n<!-- xtask:end x -->\n";
        assert_eq!(replaced(bom, "x", "new\n"), bom.replace("old", "new"));
    }

    #[test]
    fn appends_when_markers_are_missing() {
        assert_eq!(replaced("hand", "x", "gen\n"), "hand\n\n<!-- xtask:begin x -->\ngen\n<!-- xtask:end x -->\n");
        let once = replaced("hand\n", "x", "gen\n");
        assert!(once.starts_with("hand\n"));
        assert_eq!(replaced(&once, "x", "new\n"), "hand\n\n<!-- xtask:begin x -->\nnew\n<!-- xtask:end x -->\n");
    }

    #[test]
    fn regions_do_not_count_as_edits() {
        let a = "x\n<!-- xtask:begin p -->\none\n<!-- xtask:end p -->\ny\n<!-- xtask:begin q -->\nq1\n<!-- xtask:end q -->\n";
        let b = replaced(&replaced(a, "p", "two\nlines\n"), "q", "");
        assert_eq!(without_regions(a), without_regions(&b));
        assert_ne!(without_regions(a), without_regions(&a.replace("y\n", "z\n")));
        assert_eq!(without_regions("<!-- xtask:begin broken"), "<!-- xtask:begin broken");
    }

    #[test]
    fn end_before_begin_is_reported() {
        let doc = "<!-- xtask:end x -->\n<!-- xtask:begin x -->\n";
        let err = region(doc, "x").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("comes before"), "{err:?}");
        assert_eq!(without_regions(doc), doc);
    }

    #[test]
    fn quoted_markers_are_text() {
        // A note quoting a marker in inline code, a code block showing one, and
        // an indented (code) one: none of them opens or closes the region.
        let doc = "# R\n\
                   Team note: the block at `<!-- xtask:begin files-modified -->` is generated.\n\
                   \n\
                   ```markdown\n<!-- xtask:end files-modified -->\n```\n\
                   \n\
                   \x20   <!-- xtask:begin files-modified -->\n\
                   \n\
                   hand written\n\
                   <!-- xtask:begin files-modified -->\n\
                   - old\n\
                   <!-- xtask:end files-modified -->\n\
                   tail\n";
        let out = replaced(doc, "files-modified", "- `a.py`\n");
        assert_eq!(out, doc.replace("- old\n", "- `a.py`\n"));
        assert_eq!(region(&out, "files-modified"), Ok(Some("- `a.py`\n")));
        // A list right before the end marker does not swallow it.
        assert_eq!(
            replaced(&out, "files-modified", "- `b.py`\n- `c.py`\n"),
            doc.replace("- old\n", "- `b.py`\n- `c.py`\n")
        );
    }

    #[test]
    fn regions_that_cannot_be_found_exactly_are_reported() {
        let body = "\n- old\n";
        let cases = [
            // A marker that shares its line with text.
            (format!("Note <!-- xtask:begin p -->{body}<!-- xtask:end p -->\n"), 1, "alone on its own line"),
            (format!("<!-- xtask:begin p -->{body}<!-- xtask:end p --> tail\n"), 3, "alone on its own line"),
            // One of the pair missing.
            (format!("<!-- xtask:begin p -->{body}"), 1, "has no `<!-- xtask:end p -->` after it"),
            (format!("{body}<!-- xtask:end p -->\n"), 3, "has no `<!-- xtask:begin p -->` before it"),
            // Twice.
            (format!("<!-- xtask:begin p -->\n<!-- xtask:begin p -->{body}<!-- xtask:end p -->\n"), 2, "2 times"),
            // The end marker inside an unterminated fence of the body.
            (format!("<!-- xtask:begin p -->\n```{body}<!-- xtask:end p -->\n"), 1, "has no"),
        ];
        for (doc, line, says) in cases {
            let err = replace(&doc, "p", "new\n").unwrap_err();
            assert_eq!(err.line, line, "{doc:?}: {err:?}");
            assert!(err.message.contains(says), "{doc:?}: {err:?}");
            assert_eq!(without_regions(&doc), doc);
        }
        // Other regions stay usable.
        let doc = "<!-- xtask:begin p -->\n<!-- xtask:begin q -->\nq\n<!-- xtask:end q -->\n";
        assert_eq!(region(doc, "q"), Ok(Some("q\n")));
    }
}
