//! Markdown as the gate reads it: headings, code blocks, HTML comments and list
//! items, each with its 1-based line, found by a CommonMark parser so that
//! fences nest, sit in lists and quotes and run to the end when unterminated
//! exactly as a CommonMark reader sees them.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r` (CommonMark's and Python's rule), so
//! line numbers agree with both the parser and the compiler.
use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// One parsed document. Borrows the text; everything else is owned.
#[derive(Debug, Clone)]
pub struct Markdown<'a> {
    pub text: &'a str,
    line_starts: Vec<usize>,
    pub headings: Vec<Heading>,
    pub blocks: Vec<CodeBlock>,
    pub comments: Vec<Comment>,
    pub items: Vec<ListItem>,
    /// Byte ranges of inline code spans.
    pub code_spans: Vec<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1 for `#`, 6 for `######`; setext headings are 1 and 2.
    pub level: u8,
    /// The heading's text without markup (`## **Risks**` -> `Risks`).
    pub text: String,
    pub line: usize,
}

impl Heading {
    /// The heading written the ATX way, `### Pattern 1`, whatever its source form.
    pub fn atx(&self) -> String {
        format!("{} {}", "#".repeat(self.level as usize), self.text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    pub fenced: bool,
    /// The info string after the opening fence (empty when none or indented).
    pub info: String,
    /// The whole block in the source, fences included.
    pub range: Range<usize>,
    /// Line of the opening fence (the first code line for indented blocks).
    pub open_line: usize,
    /// Line of the first line of code.
    pub first_line: usize,
    /// The code, container prefixes (`> `, list indentation) removed.
    pub code: String,
}

impl CodeBlock {
    /// The info string's first word, lowercased: `Python title="x"` -> `python`.
    pub fn lang(&self) -> String {
        self.info.split(|c: char| c.is_whitespace() || c == ',' || c == '{').next().unwrap_or("").to_lowercase()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// `<!--` to `-->` inclusive (to the end of its HTML block when unterminated).
    pub range: Range<usize>,
    pub line: usize,
    /// The text between `<!--` and `-->`.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    pub range: Range<usize>,
    pub line: usize,
    /// 1 for a top-level list, 2 for a list inside an item, ...
    pub depth: usize,
    /// The item's own source text (nested lists left out, comments blanked),
    /// list marker included: `- [ ] **AC1**: Loads 1M rows in < 5 min`.
    pub text: String,
}

impl<'a> Markdown<'a> {
    pub fn parse(text: &'a str) -> Markdown<'a> {
        // A byte order mark is not text (it sits on line 1, so lines stay).
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let line_starts = line_starts(text);
        let mut md = Markdown {
            text,
            line_starts,
            headings: Vec::new(),
            blocks: Vec::new(),
            comments: Vec::new(),
            items: Vec::new(),
            code_spans: Vec::new(),
        };
        md.walk();
        md
    }

    fn walk(&mut self) {
        let text = self.text;
        let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        let mut heading: Option<Heading> = None;
        let mut block: Option<CodeBlock> = None;
        let mut block_has_text = false;
        let mut list_depth = 0usize;
        // Items still open: index into self.items, and whether their own text
        // was already cut at a nested list.
        let mut open_items: Vec<(usize, bool)> = Vec::new();
        for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    heading =
                        Some(Heading { level: level as u8, text: String::new(), line: self.line_of(range.start) });
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some(mut h) = heading.take() {
                        h.text = collapse_ws(&h.text);
                        self.headings.push(h);
                    }
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    let (fenced, info) = match kind {
                        CodeBlockKind::Fenced(info) => (true, info.trim().to_string()),
                        CodeBlockKind::Indented => (false, String::new()),
                    };
                    let open_line = self.line_of(range.start);
                    let first_line = if fenced { open_line + 1 } else { open_line };
                    block = Some(CodeBlock { fenced, info, range, open_line, first_line, code: String::new() });
                    block_has_text = false;
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some(b) = block.take() {
                        self.blocks.push(b);
                    }
                }
                Event::Text(t) => {
                    if let Some(b) = block.as_mut() {
                        if !block_has_text {
                            b.first_line = self.line_of(range.start);
                            block_has_text = true;
                        }
                        b.code.push_str(&t);
                    } else if let Some(h) = heading.as_mut() {
                        h.text.push_str(&t);
                    }
                }
                Event::Code(t) => {
                    self.code_spans.push(range);
                    if let Some(h) = heading.as_mut() {
                        h.text.push_str(&t);
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    if let Some(h) = heading.as_mut() {
                        h.text.push(' ');
                    }
                }
                // Comments of an HTML block are all found from its start; the
                // block's `Html` line events add nothing.
                Event::Start(Tag::HtmlBlock) => self.scan_comments(range),
                Event::InlineHtml(_) if !self.inside_last_comment(range.start) => self.scan_comments(range),
                Event::Start(Tag::List(_)) => {
                    // A nested list ends the own text of the item holding it.
                    if let Some((idx, cut)) = open_items.last_mut() {
                        if !*cut {
                            let item = &mut self.items[*idx];
                            item.range.end = item.range.end.min(range.start);
                            *cut = true;
                        }
                    }
                    list_depth += 1;
                }
                Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
                Event::Start(Tag::Item) => {
                    open_items.push((self.items.len(), false));
                    self.items.push(ListItem {
                        line: self.line_of(range.start),
                        range,
                        depth: list_depth,
                        text: String::new(),
                    });
                }
                Event::End(TagEnd::Item) => {
                    open_items.pop();
                }
                _ => {}
            }
        }
        // Own text of each item: its source up to a nested list, comments blanked.
        let mut items = std::mem::take(&mut self.items);
        for item in &mut items {
            let end = trim_trailing_newlines(text, item.range.clone());
            item.text = self.blank_comments(item.range.start..end).trim_end().to_string();
        }
        self.items = items;
    }

    /// Whether `offset` lies in the last comment found (inline HTML events of
    /// one multi-line comment arrive one by one).
    fn inside_last_comment(&self, offset: usize) -> bool {
        self.comments.last().is_some_and(|c| c.range.contains(&offset))
    }

    /// Record the `<!-- ... -->` comments inside `range`.
    fn scan_comments(&mut self, range: Range<usize>) {
        let text = self.text;
        let mut pos = range.start;
        while pos < range.end {
            let Some(open) = text[pos..range.end].find("<!--").map(|i| pos + i) else { break };
            let body_start = open + 4;
            // A comment may continue past this event (inline HTML spanning lines).
            let (body_end, end) = match text[body_start..].find("-->") {
                Some(i) => (body_start + i, body_start + i + 3),
                None => (text.len(), text.len()),
            };
            self.comments.push(Comment {
                range: open..end,
                line: self.line_of(open),
                body: text[body_start..body_end].to_string(),
            });
            pos = end;
        }
    }

    /// `range` of the source with every comment inside replaced by spaces.
    fn blank_comments(&self, range: Range<usize>) -> Cow<'a, str> {
        let text: &'a str = self.text;
        let overlapping: Vec<&Comment> =
            self.comments.iter().filter(|c| c.range.start < range.end && c.range.end > range.start).collect();
        if overlapping.is_empty() {
            return Cow::Borrowed(&text[range]);
        }
        let mut out = String::with_capacity(range.len());
        let mut pos = range.start;
        for c in overlapping {
            let s = c.range.start.max(range.start);
            if s > pos {
                out.push_str(&text[pos..s]);
            }
            out.push(' ');
            pos = pos.max(c.range.end.min(range.end));
        }
        if pos < range.end {
            out.push_str(&text[pos..range.end]);
        }
        Cow::Owned(out)
    }

    /// Number of lines (a final line ending does not start a new line).
    pub fn line_count(&self) -> usize {
        let n = self.line_starts.len();
        if n > 1 && self.line_starts[n - 1] == self.text.len() {
            n - 1
        } else {
            n
        }
    }

    /// 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).max(1)
    }

    /// Byte range of 1-based `line`, without its line ending.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let start = self.line_starts.get(line.wrapping_sub(1)).copied().unwrap_or(self.text.len());
        let next = self.line_starts.get(line).copied().unwrap_or(self.text.len());
        start..trim_trailing_newlines(self.text, start..next)
    }

    /// Text of 1-based `line`, without its line ending.
    pub fn line(&self, line: usize) -> &'a str {
        let text: &'a str = self.text;
        &text[self.line_range(line)]
    }

    /// Every line with the bytes inside `mask` (sorted, merged ranges) replaced by
    /// a space, as (1-based line, text).
    pub fn masked_lines<'m>(&'m self, mask: &'m [Range<usize>]) -> MaskedLines<'a, 'm> {
        MaskedLines { md: self, mask, next_line: 1, mask_pos: 0 }
    }

    /// 1-based `line` with the bytes inside `mask` (sorted, merged ranges)
    /// replaced by a space; for one line, where [`Markdown::masked_lines`]
    /// walks them all.
    pub fn masked_line(&self, line: usize, mask: &[Range<usize>]) -> Cow<'a, str> {
        let range = self.line_range(line);
        let first = mask.partition_point(|m| m.end <= range.start);
        let mut it = MaskedLines { md: self, mask, next_line: line, mask_pos: first };
        it.next().map(|(_, text)| text).unwrap_or(Cow::Borrowed(""))
    }

    /// Code blocks and HTML comments: what is never prose.
    pub fn non_prose_mask(&self) -> Vec<Range<usize>> {
        merge(self.blocks.iter().map(|b| b.range.clone()).chain(self.comments.iter().map(|c| c.range.clone())))
    }

    /// Code blocks, comments and inline code: where placeholders are not residue.
    pub fn non_text_mask(&self) -> Vec<Range<usize>> {
        merge(
            self.blocks
                .iter()
                .map(|b| b.range.clone())
                .chain(self.comments.iter().map(|c| c.range.clone()))
                .chain(self.code_spans.iter().cloned()),
        )
    }

    /// For each line (index 0 is line 1): whether it is code or comment
    /// (fences and comment delimiters included), judged by its first
    /// non-blank byte. Lines of metadata (`**Status**: ...`) are read only
    /// where this is false.
    pub fn hidden_lines(&self) -> Vec<bool> {
        let mask = self.non_prose_mask();
        let mut at = 0;
        (1..=self.line_count())
            .map(|line| {
                let range = self.line_range(line);
                let text = &self.text[range.clone()];
                let first = range.start + (text.len() - text.trim_start().len());
                while at < mask.len() && mask[at].end <= first {
                    at += 1;
                }
                at < mask.len() && mask[at].start <= first
            })
            .collect()
    }

    /// Index of the heading ending the section that starts at heading `idx`:
    /// the next heading of the same or a higher level (None: end of document).
    pub fn section_end(&self, idx: usize) -> Option<usize> {
        let level = self.headings[idx].level;
        (idx + 1..self.headings.len()).find(|&j| self.headings[j].level <= level)
    }

    /// Lines `[first, last]` of the section under heading `idx` (the heading
    /// line included).
    pub fn section_lines(&self, idx: usize) -> (usize, usize) {
        let first = self.headings[idx].line;
        let last = match self.section_end(idx) {
            Some(j) => self.headings[j].line.saturating_sub(1).max(first),
            None => self.line_count().max(first),
        };
        (first, last)
    }
}

/// Iterator over masked lines, see [`Markdown::masked_lines`].
pub struct MaskedLines<'a, 'm> {
    md: &'m Markdown<'a>,
    mask: &'m [Range<usize>],
    next_line: usize,
    mask_pos: usize,
}

impl<'a> Iterator for MaskedLines<'a, '_> {
    type Item = (usize, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next_line > self.md.line_count() {
            return None;
        }
        let line = self.next_line;
        self.next_line += 1;
        let range = self.md.line_range(line);
        let text: &'a str = self.md.text;
        while self.mask_pos < self.mask.len() && self.mask[self.mask_pos].end <= range.start {
            self.mask_pos += 1;
        }
        let mut i = self.mask_pos;
        if i >= self.mask.len() || self.mask[i].start >= range.end.max(range.start + 1) {
            return Some((line, Cow::Borrowed(&text[range])));
        }
        let mut out = String::new();
        let mut pos = range.start;
        while i < self.mask.len() && self.mask[i].start < range.end {
            let m = &self.mask[i];
            if m.start > pos {
                out.push_str(&text[pos..m.start]);
            }
            out.push(' ');
            pos = pos.max(m.end);
            if m.end > range.end {
                break;
            }
            i += 1;
        }
        if pos < range.end {
            out.push_str(&text[pos..range.end]);
        }
        Some((line, Cow::Owned(out)))
    }
}

/// Sort and merge overlapping ranges.
pub fn merge(ranges: impl Iterator<Item = Range<usize>>) -> Vec<Range<usize>> {
    let mut v: Vec<Range<usize>> = ranges.filter(|r| r.start < r.end).collect();
    v.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(v.len());
    for r in v {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Start offsets of every line: after `\n`, `\r\n`, or a lone `\r`.
fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::with_capacity(bytes.len() / 40 + 1);
    starts.push(0);
    if !text.contains('\r') {
        // The common case: `\n` only, found by the standard library's fast search.
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        return starts;
    }
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => starts.push(i + 1),
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    starts
}

/// `range.end` moved back over line endings.
fn trim_trailing_newlines(text: &str, range: Range<usize>) -> usize {
    let bytes = text.as_bytes();
    let mut end = range.end.min(text.len());
    while end > range.start && matches!(bytes[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    end
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whitespace-separated tokens of `s` (the `wc -w` figure).
pub fn raw_words(s: &str) -> usize {
    count_tokens(s).0
}

/// Tokens of `s` that hold a letter or digit: `-`, `|`, `-->` are not words.
pub fn prose_words(s: &str) -> usize {
    count_tokens(s).1
}

/// (tokens, tokens holding a letter or digit), whitespace as `split_whitespace`
/// sees it; a byte loop over a class table, as word counts run over every line
/// of every document.
pub fn count_tokens(s: &str) -> (usize, usize) {
    const OTHER: u8 = 0;
    const SPACE: u8 = 1;
    const ALNUM: u8 = 2;
    const WIDE: u8 = 3;
    static CLASS: [u8; 256] = {
        let mut t = [OTHER; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            t[b] = if c >= 0x80 {
                WIDE
            } else if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                SPACE
            } else if c.is_ascii_alphanumeric() {
                ALNUM
            } else {
                OTHER
            };
            b += 1;
        }
        t
    };
    let bytes = s.as_bytes();
    if s.is_ascii() {
        // Branch-free: a token starts where a non-space follows a space, and
        // counts as a word when it held a letter or digit by its end.
        let (mut tokens, mut words) = (0usize, 0usize);
        let (mut prev_space, mut alnum_seen) = (true, false);
        for &b in bytes {
            let class = CLASS[b as usize];
            let space = class == SPACE;
            words += usize::from(space & !prev_space & alnum_seen);
            tokens += usize::from(!space & prev_space);
            alnum_seen = !space & (alnum_seen | (class == ALNUM));
            prev_space = space;
        }
        words += usize::from(!prev_space & alnum_seen);
        return (tokens, words);
    }
    let (mut tokens, mut words) = (0, 0);
    let (mut in_token, mut has_alnum) = (false, false);
    let mut i = 0;
    while i < bytes.len() {
        let (space, alnum) = match CLASS[bytes[i] as usize] {
            SPACE => (true, false),
            ALNUM => (false, true),
            OTHER => (false, false),
            _ => {
                let c = s[i..].chars().next().unwrap_or(' ');
                i += c.len_utf8() - 1;
                (c.is_whitespace(), c.is_alphanumeric())
            }
        };
        i += 1;
        if space {
            tokens += usize::from(in_token);
            words += usize::from(in_token && has_alnum);
            in_token = false;
            has_alnum = false;
        } else {
            in_token = true;
            has_alnum |= alnum;
        }
    }
    tokens += usize::from(in_token);
    words += usize::from(in_token && has_alnum);
    (tokens, words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn langs(md: &Markdown) -> Vec<(String, usize, String)> {
        md.blocks.iter().map(|b| (b.lang(), b.first_line, b.code.clone())).collect()
    }

    #[test]
    fn fences_backtick_and_tilde_with_lines() {
        let text = "# T\n\n```python\nx = 1\n```\n\n~~~Py3 extra\ny = 2\n~~~\n";
        let md = Markdown::parse(text);
        assert_eq!(langs(&md), [("python".into(), 4, "x = 1\n".into()), ("py3".into(), 8, "y = 2\n".into())]);
        assert_eq!(md.blocks[0].open_line, 3);
        assert_eq!(md.headings, [Heading { level: 1, text: "T".into(), line: 1 }]);
    }

    #[test]
    fn longer_fence_holds_shorter_ones() {
        let text = "````markdown\n```python\nreturn 1\n```\n````\n";
        let md = Markdown::parse(text);
        assert_eq!(md.blocks.len(), 1);
        assert_eq!(md.blocks[0].lang(), "markdown");
        assert!(md.blocks[0].code.contains("```python"));
    }

    #[test]
    fn fences_in_lists_and_quotes() {
        let text = "- item\n\n  ```python\n  a = 1\n  b = 2\n  ```\n\n> ```py\n> c = 3\n> ```\n";
        let md = Markdown::parse(text);
        assert_eq!(langs(&md), [("python".into(), 4, "a = 1\nb = 2\n".into()), ("py".into(), 9, "c = 3\n".into())]);
    }

    #[test]
    fn crlf_bom_and_lone_cr() {
        let text = "# A\r\n\r\n```python\r\nx = 1\r\n```\r\n";
        let md = Markdown::parse(text);
        assert_eq!(md.blocks[0].first_line, 4);
        assert_eq!(md.line(4), "x = 1");
        let cr = Markdown::parse("a\rb\rc");
        assert_eq!(cr.line_count(), 3);
        assert_eq!(cr.line(2), "b");
        // decode() drops a BOM; a BOM left in still parses.
        let bom = Markdown::parse("\u{feff}# Title\n");
        assert_eq!(bom.headings.len(), 1);
    }

    #[test]
    fn unterminated_fence_runs_to_the_end() {
        let text = "# A\n\n```python\nx = 1\n\n## Not a heading\n";
        let md = Markdown::parse(text);
        assert_eq!(md.blocks.len(), 1);
        assert!(md.blocks[0].code.contains("## Not a heading"));
        assert_eq!(md.headings.len(), 1);
    }

    #[test]
    fn empty_block_and_indented_block() {
        let md = Markdown::parse("```python\n```\n\n    indented = 1\n");
        assert_eq!(md.blocks[0].first_line, 2);
        assert_eq!(md.blocks[0].code, "");
        assert!(!md.blocks[1].fenced);
        assert_eq!(md.blocks[1].first_line, 4);
    }

    #[test]
    fn comments_inline_block_and_multiline() {
        let text = "<!-- gate: words >= 10 -->\n\nText <!-- inline --> more\n\n<!--\nmulti\nline -->\n";
        let md = Markdown::parse(text);
        let bodies: Vec<(&str, usize)> = md.comments.iter().map(|c| (c.body.trim(), c.line)).collect();
        assert_eq!(bodies, [("gate: words >= 10", 1), ("inline", 3), ("multi\nline", 5)]);
        let mask = md.non_prose_mask();
        let lines: Vec<String> = md.masked_lines(&mask).map(|(_, l)| l.trim().to_string()).collect();
        assert_eq!(lines, ["", "", "Text   more", "", "", "", ""]);
    }

    #[test]
    fn comment_inside_code_is_code() {
        let md = Markdown::parse("```\n<!-- gate: nonsense -->\n```\n");
        assert!(md.comments.is_empty());
    }

    #[test]
    fn headings_and_sections() {
        let text = "# Top\n## A (10+ words)\ntext\n### A.1\nmore\n## B\nend\n\nSetext\n---\n";
        let md = Markdown::parse(text);
        let hs: Vec<(u8, &str, usize)> = md.headings.iter().map(|h| (h.level, h.text.as_str(), h.line)).collect();
        assert_eq!(hs, [(1, "Top", 1), (2, "A (10+ words)", 2), (3, "A.1", 4), (2, "B", 6), (2, "Setext", 9)]);
        assert_eq!(md.section_lines(1), (2, 5));
        assert_eq!(md.section_lines(0), (1, 10));
        assert_eq!(md.headings[2].atx(), "### A.1");
    }

    #[test]
    fn list_items_with_depth_and_own_text() {
        let text = "- [ ] **AC1**: one\n  - detail 5\n- [x] two <!-- hint -->\n  continued\n";
        let md = Markdown::parse(text);
        let items: Vec<(usize, usize, &str)> = md.items.iter().map(|i| (i.line, i.depth, i.text.as_str())).collect();
        assert_eq!(items, [(1, 1, "- [ ] **AC1**: one"), (2, 2, "- detail 5"), (3, 1, "- [x] two  \n  continued")]);
    }

    #[test]
    fn pathological_inputs_parse() {
        let inputs = [
            ">".repeat(20_000),
            "[".repeat(50_000),
            "*a".repeat(30_000),
            "- ".repeat(5_000) + "x",
            "<!--".repeat(10_000),
            "```\n".repeat(10_001),
            "#".repeat(70_000) + " x",
            "\r".repeat(50_000),
        ];
        for text in &inputs {
            let md = Markdown::parse(text);
            let mask = md.non_text_mask();
            assert!(md.masked_lines(&mask).count() <= md.line_count());
        }
    }

    #[test]
    fn word_counts() {
        assert_eq!(prose_words("a - b | --> c3 ✓"), 3);
        assert_eq!(raw_words("a - b | --> c3 ✓"), 7);
        for s in ["", "  ", "a\u{a0}b\u{2003}c", "\u{b}x\u{c}y\r\nz", "é漢字 ok", "tail "] {
            let expect = (
                s.split_whitespace().count(),
                s.split_whitespace().filter(|t| t.chars().any(char::is_alphanumeric)).count(),
            );
            assert_eq!(count_tokens(s), expect, "{s:?}");
        }
    }
}
