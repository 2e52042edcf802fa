//! Generated regions inside documents people also edit. A region sits between
//! `<!-- xtask:begin NAME -->` and `<!-- xtask:end NAME -->`; the tool rewrites
//! only what is between the two marker lines and leaves every other byte as it was.

fn begin(name: &str) -> String {
    format!("<!-- xtask:begin {name} -->")
}

fn end(name: &str) -> String {
    format!("<!-- xtask:end {name} -->")
}

/// A region's body as it stands, or None when the markers are absent.
pub fn region<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let (b, e) = bounds(text, name)?;
    Some(&text[b..e])
}

/// Byte range of the body: after the begin marker's line, up to the start of the
/// end marker's line.
fn bounds(text: &str, name: &str) -> Option<(usize, usize)> {
    let (begin, end) = (begin(name), end(name));
    let b_at = text.find(&begin)?;
    let body_start = text[b_at..].find('\n').map(|i| b_at + i + 1)?;
    let e_at = body_start + text[body_start..].find(&end)?;
    let body_end = text[..e_at].rfind('\n').map_or(body_start, |i| (i + 1).max(body_start));
    Some((body_start, body_end))
}

/// `text` with the region `name` holding `body` (which should end with a newline).
/// Without the markers, the region is appended at the end, so nothing a person
/// wrote changes. The line ending (CRLF or LF) of the document is kept.
pub fn replace(text: &str, name: &str, body: &str) -> String {
    let crlf = text.contains("\r\n");
    let body = if crlf { body.replace("\r\n", "\n").replace('\n', "\r\n") } else { body.to_string() };
    match bounds(text, name) {
        Some((b, e)) => format!("{}{}{}", &text[..b], body, &text[e..]),
        None => {
            let nl = if crlf { "\r\n" } else { "\n" };
            let sep = if text.is_empty() || text.ends_with('\n') { "" } else { nl };
            format!("{text}{sep}{nl}{}{nl}{body}{}{nl}", begin(name), end(name))
        }
    }
}

/// `text` with the body of every generated region removed (the markers stay):
/// what a person wrote, so regenerating a region does not look like an edit.
pub fn without_regions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<!-- xtask:begin ") {
        let name_start = at + "<!-- xtask:begin ".len();
        let Some(name_len) = rest[name_start..].find(" -->") else { break };
        let name = &rest[name_start..name_start + name_len];
        match bounds(rest, name) {
            Some((b, e)) if b > at => {
                out.push_str(&rest[..b]);
                rest = &rest[e..];
            }
            _ => break,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_body() {
        let doc = "# T\nhand  written\n<!-- xtask:begin progress -->\nold\n<!-- xtask:end progress -->\ntail ✓\n";
        let out = replace(doc, "progress", "- Total: 3\n");
        assert_eq!(
            out,
            "# T\nhand  written\n<!-- xtask:begin progress -->\n- Total: 3\n<!-- xtask:end progress -->\ntail ✓\n"
        );
        assert_eq!(region(&out, "progress"), Some("- Total: 3\n"));
        assert_eq!(replace(&out, "progress", "- Total: 3\n"), out);
    }

    #[test]
    fn empty_region_and_crlf() {
        let doc = "a\r\n<!-- xtask:begin x -->\r\n<!-- xtask:end x -->\r\nb\r\n";
        assert_eq!(region(doc, "x"), Some(""));
        assert_eq!(replace(doc, "x", "one\n"), "a\r\n<!-- xtask:begin x -->\r\none\r\n<!-- xtask:end x -->\r\nb\r\n");
    }

    #[test]
    fn appends_when_markers_are_missing() {
        assert_eq!(replace("hand", "x", "gen\n"), "hand\n\n<!-- xtask:begin x -->\ngen\n<!-- xtask:end x -->\n");
        let once = replace("hand\n", "x", "gen\n");
        assert!(once.starts_with("hand\n"));
        assert_eq!(replace(&once, "x", "new\n"), "hand\n\n<!-- xtask:begin x -->\nnew\n<!-- xtask:end x -->\n");
    }

    #[test]
    fn regions_do_not_count_as_edits() {
        let a = "x\n<!-- xtask:begin p -->\none\n<!-- xtask:end p -->\ny\n<!-- xtask:begin q -->\nq1\n<!-- xtask:end q -->\n";
        let b = replace(&replace(a, "p", "two\nlines\n"), "q", "");
        assert_eq!(without_regions(a), without_regions(&b));
        assert_ne!(without_regions(a), without_regions(&a.replace("y\n", "z\n")));
        assert_eq!(without_regions("<!-- xtask:begin broken"), "<!-- xtask:begin broken");
    }

    #[test]
    fn end_before_begin_is_treated_as_missing() {
        let doc = "<!-- xtask:end x -->\n<!-- xtask:begin x -->\n";
        assert_eq!(region(doc, "x"), None);
        assert!(replace(doc, "x", "g\n").starts_with(doc));
    }
}
