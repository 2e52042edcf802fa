//! The gate's document rules, read from a template (specs/guides/templates-and-rules.md), and what
//! else a template tells the gate about its filled copies: which lines are the
//! template's own (residue, not prose) and which placeholders it holds.
//!
//! Grammar, in `<!-- gate: RULE; RULE -->` comments:
//! ```text
//! words >= N
//! items >= N under "SECTION"
//! measurable under "SECTION"
//! headings "PREFIX" >= N [under "SECTION"]
//! diagram [under "SECTION"]
//! verified-snippets
//! proven under "SECTION" [from PHASE]
//! ```
//! and headings ending in `(N+ words)`. `skip-snippet REASON` is a directive for
//! the block after it, not a rule.
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::core::markdown::Markdown;
use crate::core::phase::Phase;

/// One rule a template declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// `words >= N`: prose in the whole document.
    DocumentWords { min: u64 },
    /// A heading ending in `(N+ words)`: prose under the `ordinal`-th heading
    /// (0-based) whose normalized text is `section`.
    SectionWords { section: String, heading: String, ordinal: usize, min: u64 },
    /// `items >= N under "SECTION"`.
    Items { min: u64, section: String },
    /// `measurable under "SECTION"`.
    Measurable { section: String },
    /// `headings "PREFIX" >= N [under "SECTION"]`.
    Headings { prefix: String, min: u64, section: Option<String> },
    /// `diagram [under "SECTION"]`.
    Diagram { section: Option<String> },
    /// `verified-snippets`.
    VerifiedSnippets,
    /// `proven under "SECTION" [from PHASE]`: each item of the section names
    /// the pytest tests that prove it, checked against the gate's test run
    /// from PHASE on (every phase when none is given).
    Proven { section: String, from: Option<Phase> },
}

/// A rule and the template line declaring it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub rule: Rule,
    pub line: usize,
}

/// A template that cannot be read as rules: its line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub line: usize,
    pub message: String,
}

/// Everything the gate takes from one template.
#[derive(Debug, Clone, Default)]
pub struct TemplateRules {
    /// Where the rules came from (`templates/prd.md`, `built-in template prd.md`).
    pub source: String,
    /// When the rules are the built-in template's because the team's template
    /// declares none: that template (whose lines are still residue).
    pub text_source: Option<String>,
    pub rules: Vec<Declared>,
    /// The sum of the word minimums of the top-level `(N+ words)` sections (a
    /// section's minimum already counts the sections inside it).
    pub section_total: u64,
    /// Prose lines of the template (trimmed, comments and code removed).
    residue_lines: FastSet,
    /// Template lines holding tool placeholders (`# PRD: {{feature}}`), as the
    /// literal pieces between them.
    wildcard_lines: Vec<Vec<String>>,
    /// Author placeholders of the template: `[Feature Name]`, `{count}`.
    pub placeholders: FastSet,
    /// Template lines holding a placeholder anywhere, inline code included
    /// (`- Files: `[src/... paths]``): left unchanged, they are residue too.
    pub placeholder_lines: FastSet,
    /// Code blocks of the template, so an untouched example is not the author's.
    pub block_contents: FastSet,
}

/// Sets the gate looks every line of every document up in: a simple
/// multiplicative hash (the keys are template lines, nothing to defend against)
/// is several times cheaper than the default SipHash.
pub type FastSet = HashSet<String, BuildHasherDefault<FastHasher>>;

#[derive(Default)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last) ^ rest.len() as u64);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

pub const GRAMMAR: &str = "words >= N; items >= N under \"SECTION\"; measurable under \"SECTION\"; \
     headings \"PREFIX\" >= N [under \"SECTION\"]; diagram [under \"SECTION\"]; verified-snippets; \
     proven under \"SECTION\" [from PHASE]";

impl TemplateRules {
    /// Read the rules of a template. `source` names it in errors.
    pub fn parse(source: &str, text: &str) -> Result<TemplateRules, RuleError> {
        let md = Markdown::parse(text);
        swallowed_rules(&md)?;
        let mut t = TemplateRules { source: source.to_string(), ..Default::default() };
        for comment in &md.comments {
            for (offset, piece) in gate_directives(&comment.body) {
                let line = comment.line + offset;
                match parse_rule(piece) {
                    Ok(Some(rule)) => t.rules.push(Declared { rule, line }),
                    Ok(None) => {}
                    Err(message) => return Err(RuleError { line, message }),
                }
            }
        }
        let mut seen: Vec<String> = Vec::new();
        // Levels of the open headings that carry a minimum, outermost first.
        let mut counted: Vec<u8> = Vec::new();
        for h in &md.headings {
            let (name, min) = split_word_minimum(&h.text);
            let section = normalize_section(name);
            let ordinal = seen.iter().filter(|s| **s == section).count();
            seen.push(section.clone());
            while counted.last().is_some_and(|&level| level >= h.level) {
                counted.pop();
            }
            if let Some(Ok(min)) = min {
                if counted.is_empty() {
                    t.section_total = t.section_total.saturating_add(min);
                }
                counted.push(h.level);
            }
            match min {
                Some(Ok(min)) => t.rules.push(Declared {
                    rule: Rule::SectionWords { section, heading: name.trim().to_string(), ordinal, min },
                    line: h.line,
                }),
                Some(Err(())) => {
                    return Err(RuleError {
                        line: h.line,
                        message: format!("heading \"{}\": the word minimum is not a number we can use", h.text),
                    })
                }
                None => {}
            }
        }
        t.rules.sort_by_key(|d| d.line);
        let mask = md.non_prose_mask();
        for (_, line) in md.masked_lines(&mask) {
            let line = line.trim();
            if !line.chars().any(char::is_alphanumeric) {
                continue;
            }
            if line.contains("{{") {
                t.wildcard_lines.push(split_tool_placeholders(line));
            } else {
                if placeholders_in(line).iter().any(|p| !p.starts_with("{{")) {
                    t.placeholder_lines.insert(line.to_string());
                }
                t.residue_lines.insert(line.to_string());
            }
        }
        let text_mask = md.non_text_mask();
        for (_, line) in md.masked_lines(&text_mask) {
            for p in placeholders_in(&line) {
                if !p.starts_with("{{") {
                    t.placeholders.insert(p.to_string());
                }
            }
        }
        t.block_contents = md.blocks.iter().map(|b| b.code.trim().to_string()).filter(|c| !c.is_empty()).collect();
        Ok(t)
    }

    /// Whether a (masked, trimmed) line of a filled document is a line of the
    /// template left as it was, tool placeholders filled in or not.
    pub fn is_residue_line(&self, line: &str) -> bool {
        if self.residue_lines.contains(line) {
            return true;
        }
        self.wildcard_lines.iter().any(|pieces| matches_pieces(line, pieces))
    }

    pub fn declares(&self, f: impl Fn(&Rule) -> bool) -> bool {
        self.rules.iter().any(|d| f(&d.rule))
    }

    /// The document's own `words >= N`, if it declares one.
    pub fn own_minimum(&self) -> Option<u64> {
        self.rules.iter().find_map(|d| match d.rule {
            Rule::DocumentWords { min } => Some(min),
            _ => None,
        })
    }

    /// The one word minimum of the whole document that the gate measures and
    /// every message states: the larger of its own `words >= N` and the sum of
    /// its top-level sections' minimums. None when it declares neither.
    pub fn document_minimum(&self) -> Option<u64> {
        match (self.own_minimum(), self.section_total) {
            (None, 0) => None,
            (own, sections) => Some(own.unwrap_or(0).max(sections)),
        }
    }
}

impl Rule {
    /// The section a rule needs, with its ordinal among same-named headings.
    pub fn section(&self) -> Option<(&str, usize)> {
        match self {
            Rule::SectionWords { heading, ordinal, .. } => Some((heading.as_str(), *ordinal)),
            Rule::Items { section, .. } | Rule::Measurable { section } | Rule::Proven { section, .. } => {
                Some((section.as_str(), 0))
            }
            Rule::Headings { section, .. } | Rule::Diagram { section } => section.as_deref().map(|s| (s, 0)),
            Rule::DocumentWords { .. } | Rule::VerifiedSnippets => None,
        }
    }

    /// What the rule asks, in a message: `600+ words`, `at least 8 items`.
    pub fn describe(&self) -> String {
        match self {
            Rule::DocumentWords { min } | Rule::SectionWords { min, .. } => format!("{min}+ words"),
            Rule::Items { min, .. } => format!("at least {min} items"),
            Rule::Measurable { .. } => "every item measurable".to_string(),
            Rule::Headings { prefix, min, .. } => format!("at least {min} headings \"{prefix}\""),
            Rule::Diagram { .. } => "an ASCII diagram".to_string(),
            Rule::VerifiedSnippets => "a # VERIFIED: line on every python block".to_string(),
            Rule::Proven { from: Some(phase), .. } => format!("every item proven by the tests it names (from {phase})"),
            Rule::Proven { from: None, .. } => "every item proven by the tests it names".to_string(),
        }
    }
}

/// A rule the template's author meant but the gate cannot see: a `(N+ words)`
/// heading or a `gate:` comment inside a code block. The usual cause is an arrow
/// (`--->`) in an HTML comment, which ends the comment early and lets a code
/// fence of the comment's example swallow what follows.
fn swallowed_rules(md: &Markdown) -> Result<(), RuleError> {
    for block in &md.blocks {
        for (i, line) in block.code.lines().enumerate() {
            let t = line.trim_start();
            let heading_rule = t.starts_with('#') && matches!(split_word_minimum(t).1, Some(Ok(_)));
            if heading_rule || t.contains("<!-- gate:") {
                return Err(RuleError {
                    line: block.first_line + i,
                    message: format!(
                        "`{}` is inside a code block opened at line {}, so the gate cannot see this rule; close \
                         the block, or check the HTML comment before it (a comment ends at its first `-->`, so an \
                         arrow such as `--->` inside one ends it early)",
                        t.trim_end(),
                        block.open_line
                    ),
                });
            }
        }
    }
    Ok(())
}

/// `# PRD: {{feature}} ({{date}})` -> `["# PRD: ", " (", ")"]`.
fn split_tool_placeholders(line: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find("{{") {
        pieces.push(rest[..open].to_string());
        match rest[open..].find("}}") {
            Some(close) => rest = &rest[open + close + 2..],
            None => {
                rest = "";
                break;
            }
        }
    }
    pieces.push(rest.to_string());
    pieces
}

/// Whether `line` is the pieces with something (or nothing) between them.
fn matches_pieces(line: &str, pieces: &[String]) -> bool {
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else { return false };
    if pieces.len() < 2 || !line.starts_with(first.as_str()) || !line.ends_with(last.as_str()) {
        return false;
    }
    if line.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for mid in &pieces[1..pieces.len() - 1] {
        match rest.find(mid.as_str()) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// The `gate:` directives of a comment body, each with the number of line
/// breaks before it in the body. Directives are separated by `;` or line
/// breaks outside double quotes.
pub fn gate_directives(body: &str) -> Vec<(usize, &str)> {
    let trimmed = body.trim_start();
    let lead = body.len() - trimmed.len();
    let Some(head) = trimmed.get(..5) else { return Vec::new() };
    if !head.eq_ignore_ascii_case("gate:") {
        return Vec::new();
    }
    let start = lead + 5;
    let mut out = Vec::new();
    let mut piece_start = start;
    let mut in_quote = false;
    let mut newlines = body[..start].matches('\n').count();
    let mut piece_newlines = newlines;
    for (i, c) in body[start..].char_indices() {
        let at = start + i;
        match c {
            '"' => in_quote = !in_quote,
            ';' | '\n' | '\r' if !in_quote => {
                push_piece(&mut out, body, piece_start, at, piece_newlines);
                piece_start = at + c.len_utf8();
                if c == '\n' {
                    newlines += 1;
                }
                piece_newlines = newlines;
            }
            '\n' => newlines += 1,
            _ => {}
        }
    }
    push_piece(&mut out, body, piece_start, body.len(), piece_newlines);
    out
}

fn push_piece<'b>(out: &mut Vec<(usize, &'b str)>, body: &'b str, start: usize, end: usize, newlines: usize) {
    let piece = body[start..end].trim();
    if !piece.is_empty() {
        // Line breaks between the piece start and its first character.
        let lead = &body[start..end][..body[start..end].len() - body[start..end].trim_start().len()];
        out.push((newlines + lead.matches('\n').count(), piece));
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token<'s> {
    Word(&'s str),
    Quoted(&'s str),
    AtLeast,
    Number(&'s str),
}

fn tokenize(s: &str) -> Result<Vec<Token<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix(">=").or_else(|| rest.strip_prefix('≥')) {
            out.push(Token::AtLeast);
            rest = r;
        } else if let Some(r) = rest.strip_prefix('"') {
            let close = r.find('"').ok_or_else(|| format!("unterminated quote in `{s}`"))?;
            out.push(Token::Quoted(&r[..close]));
            rest = &r[close + 1..];
        } else {
            let end = rest.find(|c: char| c.is_whitespace() || c == '"' || c == '>' || c == '≥').unwrap_or(rest.len());
            let end = if end == 0 { rest.chars().next().map_or(1, char::len_utf8) } else { end };
            let word = &rest[..end];
            out.push(if word.bytes().all(|b| b.is_ascii_digit()) { Token::Number(word) } else { Token::Word(word) });
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    Ok(out)
}

fn number(n: &str) -> Result<u64, String> {
    n.parse::<u64>().map_err(|_| format!("{n} is too large a minimum"))
}

fn quoted(s: &str, what: &str) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("empty {what} in quotes"));
    }
    Ok(s.to_string())
}

/// Parse one directive. `Ok(None)` for `skip-snippet ...`, which is not a rule.
pub fn parse_rule(text: &str) -> Result<Option<Rule>, String> {
    let tokens = tokenize(text)?;
    let keyword = match tokens.first() {
        Some(Token::Word(w)) => w.to_ascii_lowercase(),
        _ => return Err(format!("`{text}` is not a gate rule; rules are: {GRAMMAR}")),
    };
    let is_under = |t: &Token| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case("under"));
    let malformed = |form: &str| format!("malformed rule `{text}`; write `{form}`");
    let rule = match keyword.as_str() {
        "words" => match tokens.as_slice() {
            [_, Token::AtLeast, Token::Number(n)] => Rule::DocumentWords { min: number(n)? },
            _ => return Err(malformed("words >= N")),
        },
        "items" => match tokens.as_slice() {
            [_, Token::AtLeast, Token::Number(n), u, Token::Quoted(s)] if is_under(u) => {
                Rule::Items { min: number(n)?, section: quoted(s, "SECTION")? }
            }
            _ => return Err(malformed("items >= N under \"SECTION\"")),
        },
        "measurable" => match tokens.as_slice() {
            [_, u, Token::Quoted(s)] if is_under(u) => Rule::Measurable { section: quoted(s, "SECTION")? },
            _ => return Err(malformed("measurable under \"SECTION\"")),
        },
        "headings" => match tokens.as_slice() {
            [_, Token::Quoted(p), Token::AtLeast, Token::Number(n)] => {
                Rule::Headings { prefix: quoted(p, "PREFIX")?, min: number(n)?, section: None }
            }
            [_, Token::Quoted(p), Token::AtLeast, Token::Number(n), u, Token::Quoted(s)] if is_under(u) => {
                Rule::Headings { prefix: quoted(p, "PREFIX")?, min: number(n)?, section: Some(quoted(s, "SECTION")?) }
            }
            _ => return Err(malformed("headings \"PREFIX\" >= N [under \"SECTION\"]")),
        },
        "diagram" => match tokens.as_slice() {
            [_] => Rule::Diagram { section: None },
            [_, u, Token::Quoted(s)] if is_under(u) => Rule::Diagram { section: Some(quoted(s, "SECTION")?) },
            _ => return Err(malformed("diagram [under \"SECTION\"]")),
        },
        "verified-snippets" => match tokens.as_slice() {
            [_] => Rule::VerifiedSnippets,
            _ => return Err(malformed("verified-snippets")),
        },
        "proven" => {
            let form = "proven under \"SECTION\" [from PHASE]";
            let (section, from) = match tokens.as_slice() {
                [_, u, Token::Quoted(s)] if is_under(u) => (s, None),
                [_, u, Token::Quoted(s), f, Token::Word(p)] if is_under(u) && is_word(f, "from") => (s, Some(*p)),
                _ => return Err(malformed(form)),
            };
            let from = match from {
                None => None,
                Some(p) => Some(phase_name(p).ok_or_else(|| {
                    format!(
                        "`{text}`: `{p}` is not a phase; write one of prd, research, implementation, testing, docs, qa"
                    )
                })?),
            };
            Rule::Proven { section: quoted(section, "SECTION")?, from }
        }
        "skip-snippet" => return Ok(None),
        other => return Err(format!("unknown gate rule `{other}` in `{text}`; rules are: {GRAMMAR}")),
    };
    Ok(Some(rule))
}

fn is_word(t: &Token, word: &str) -> bool {
    matches!(t, Token::Word(w) if w.eq_ignore_ascii_case(word))
}

/// A phase as the gate prints it (`testing`), not the workflow's other names:
/// a rule says exactly when it starts.
fn phase_name(word: &str) -> Option<Phase> {
    Phase::ALL.into_iter().filter(|p| *p != Phase::Archived).find(|p| p.as_str().eq_ignore_ascii_case(word))
}

/// `Architecture (600+ words)` -> (`Architecture`, Some(Ok(600))). A suffix
/// whose number does not fit is `Some(Err)`.
pub fn split_word_minimum(heading: &str) -> (&str, Option<Result<u64, ()>>) {
    let t = heading.trim_end();
    let Some(inner_end) = t.strip_suffix(')') else { return (heading, None) };
    let Some(open) = inner_end.rfind('(') else { return (heading, None) };
    let inner = inner_end[open + 1..].trim();
    let digits_end = inner.find(|c: char| !c.is_ascii_digit()).unwrap_or(inner.len());
    if digits_end == 0 {
        return (heading, None);
    }
    let rest = inner[digits_end..].trim_start();
    let Some(rest) = rest.strip_prefix('+') else { return (heading, None) };
    let rest = rest.trim().to_ascii_lowercase();
    if rest != "words" && rest != "word" {
        return (heading, None);
    }
    (&t[..open], Some(inner[..digits_end].parse::<u64>().map_err(|_| ())))
}

/// How a SECTION name and heading texts are compared, the way authors vary a
/// name: without a `(N+ words)` suffix, a trailing colon, emphasis, emoji and
/// other symbols, or leading numbering (`2.`, `2)`, `2.1`, `II.`, `Phase 2:`,
/// `Step 2 -`); `&` read as `and`; case and runs of spaces ignored.
pub fn normalize_section(text: &str) -> String {
    let (name, _) = split_word_minimum(text);
    // Letters, digits and the punctuation names are made of; emoji, arrows,
    // check marks and emphasis go.
    let kept: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '&' | '-' | '/' | '\'' | '(' | ')' | ':' | '.' | ',' | '+') {
                c
            } else {
                ' '
            }
        })
        .collect();
    let mut words: Vec<&str> = kept.split_whitespace().collect();
    strip_numbering(&mut words);
    let mut out = String::with_capacity(name.len());
    for (i, w) in words.iter().enumerate() {
        let w = if *w == "&" { "and" } else { w };
        if i > 0 {
            out.push(' ');
        }
        if w.is_ascii() {
            out.extend(w.bytes().map(|b| b.to_ascii_lowercase() as char));
        } else {
            out.extend(w.chars().flat_map(char::to_lowercase));
        }
    }
    while out.ends_with([':', ' ']) {
        out.pop();
    }
    out
}

/// Drop a leading `2.` / `2)` / `2.1` / `II.` / `Phase 2:` / `Step 2 -` from
/// a heading's words (one of them, once), when a name follows it.
fn strip_numbering(words: &mut Vec<&str>) {
    // `2.`, `2)`, `2:`, `2.1`: a bare `2024` may be part of the name.
    let is_number = |w: &str| {
        let core = w.trim_end_matches(['.', ')', ':']);
        (core.len() < w.len() || core.contains('.'))
            && !core.is_empty()
            && core.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let is_roman = |w: &str| {
        let Some(core) = w.strip_suffix(['.', ')']) else { return false };
        !core.is_empty() && core.len() <= 5 && core.bytes().all(|b| matches!(b, b'I' | b'V' | b'X'))
    };
    let Some(first) = words.first().copied() else { return };
    let take = if is_number(first) || is_roman(first) {
        1
    } else if ["phase", "step", "part", "section"].iter().any(|p| first.eq_ignore_ascii_case(p))
        && words.get(1).is_some_and(|w| {
            let core = w.trim_end_matches(['.', ')', ':']);
            !core.is_empty() && core.bytes().all(|b| b.is_ascii_digit())
        })
    {
        // `Phase 2: Name`, `Phase 2 - Name`, `Phase 2 – Name` (the dash was
        // dropped as a symbol when it is not an ASCII hyphen).
        if words.get(2).is_some_and(|w| *w == "-" || *w == ":") {
            3
        } else {
            2
        }
    } else {
        return;
    };
    if words.len() > take {
        words.drain(..take);
    }
}

/// Index of the section named `name` among headings already normalized: the
/// `ordinal`-th heading whose normalized text equals it; failing that, the
/// first heading that starts with it (an author who wrote "Acceptance
/// Criteria (12 items)") or is its plural ("Risks & Mitigations" for "Risks &
/// Mitigation").
pub fn find_normalized(normalized: &[String], name: &str, ordinal: usize) -> Option<usize> {
    let want = normalize_section(name);
    if let Some(i) = normalized.iter().enumerate().filter(|(_, n)| **n == want).map(|(i, _)| i).nth(ordinal) {
        return Some(i);
    }
    normalized.iter().position(|n| {
        n.strip_prefix(want.as_str()).is_some_and(|rest| {
            rest.starts_with(|c: char| !c.is_alphanumeric()) || rest == "s" || rest.starts_with("s ")
        })
    })
}

/// Placeholders in a line of text (code and comments already masked out):
/// `[Feature Name]`-style brackets that are not links, task boxes or
/// footnotes, and `{name}` / `{{name}}` braces.
pub fn placeholders_in(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => {
                let Some(close) = line[i + 1..].find([']', '[']).map(|k| i + 1 + k) else { break };
                if bytes[close] == b'[' {
                    i = close;
                    continue;
                }
                let inner = &line[i + 1..close];
                let after = bytes.get(close + 1).copied();
                let is_link = matches!(after, Some(b'(') | Some(b'[') | Some(b':'));
                let is_box = matches!(inner, " " | "x" | "X" | "-" | "");
                if !is_link
                    && !is_box
                    && !inner.starts_with('^')
                    && inner.chars().filter(|c| c.is_alphabetic()).count() >= 2
                {
                    out.push(&line[i..=close]);
                }
                i = close + 1;
            }
            b'{' => {
                let double = bytes.get(i + 1) == Some(&b'{');
                let open_len = if double { 2 } else { 1 };
                let close_pat = if double { "}}" } else { "}" };
                let Some(close) = line[i + open_len..].find(close_pat).map(|k| i + open_len + k) else { break };
                let inner = &line[i + open_len..close];
                if is_placeholder_name(inner) {
                    out.push(&line[i..close + close_pat.len()]);
                }
                i = close + close_pat.len();
            }
            _ => i += 1,
        }
    }
    out
}

/// `slug`, `count`, `feature name`, `Total Words`: a name, not code or JSON.
fn is_placeholder_name(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 40
        && s.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | ' ' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find_section(md: &Markdown, name: &str, ordinal: usize) -> Option<usize> {
        let normalized: Vec<String> = md.headings.iter().map(|h| normalize_section(&h.text)).collect();
        find_normalized(&normalized, name, ordinal)
    }

    #[test]
    fn parses_every_rule_of_the_grammar() {
        let cases = [
            ("words >= 2000", Rule::DocumentWords { min: 2000 }),
            ("items >= 8 under \"Acceptance Criteria\"", Rule::Items { min: 8, section: "Acceptance Criteria".into() }),
            ("measurable under \"Acceptance Criteria\"", Rule::Measurable { section: "Acceptance Criteria".into() }),
            ("headings \"### Pattern\" >= 5", Rule::Headings { prefix: "### Pattern".into(), min: 5, section: None }),
            (
                "headings \"### Library\" >= 3 under \"Library Best Practices\"",
                Rule::Headings { prefix: "### Library".into(), min: 3, section: Some("Library Best Practices".into()) },
            ),
            ("diagram", Rule::Diagram { section: None }),
            ("diagram under \"Architecture\"", Rule::Diagram { section: Some("Architecture".into()) }),
            ("verified-snippets", Rule::VerifiedSnippets),
            ("WORDS>=10", Rule::DocumentWords { min: 10 }),
            (
                "proven under \"Acceptance Criteria\" from testing",
                Rule::Proven { section: "Acceptance Criteria".into(), from: Some(Phase::Testing) },
            ),
            ("proven under \"Goals\"", Rule::Proven { section: "Goals".into(), from: None }),
            ("PROVEN UNDER \"Goals\" FROM QA", Rule::Proven { section: "Goals".into(), from: Some(Phase::Qa) }),
        ];
        for (text, rule) in cases {
            assert_eq!(parse_rule(text), Ok(Some(rule)), "{text}");
        }
        assert_eq!(parse_rule("skip-snippet generated"), Ok(None));
    }

    #[test]
    fn rejects_unknown_and_malformed_rules() {
        for bad in [
            "wordz >= 3",
            "words > 3",
            "words >= x",
            "items >= 8",
            "items >= 8 under Acceptance",
            "headings \"##\" 3",
            "diagram in \"X\"",
            "measurable under \"\"",
            "words >= 99999999999999999999999",
            "headings \"### P >= 3",
            ">= 3",
            "proven",
            "proven \"Acceptance Criteria\"",
            "proven under \"Acceptance Criteria\" from",
            "proven under \"Acceptance Criteria\" since testing",
            "proven under \"\" from testing",
        ] {
            assert!(parse_rule(bad).is_err(), "{bad}");
        }
        assert!(parse_rule("frobnicate").unwrap_err().contains("unknown gate rule `frobnicate`"));
        let phase = parse_rule("proven under \"AC\" from later").unwrap_err();
        assert!(phase.contains("`later` is not a phase") && phase.contains("testing"), "{phase}");
        assert!(parse_rule("proven under \"AC\" from archived").is_err());
    }

    #[test]
    fn directives_split_on_semicolons_and_lines_outside_quotes() {
        let body = " gate: words >= 10; items >= 2 under \"A; B\"\n  diagram ";
        assert_eq!(gate_directives(body), [(0, "words >= 10"), (0, "items >= 2 under \"A; B\""), (1, "diagram")]);
        assert!(gate_directives(" guidance for authors ").is_empty());
        assert_eq!(gate_directives("\nGATE:\nwords >= 1"), [(2, "words >= 1")]);
    }

    #[test]
    fn template_rules_with_lines() {
        let text =
            "# PRD: {{feature}}\n\n<!-- gate: words >= 2000\n     items >= 8 under \"Acceptance Criteria\" -->\n\n\
                    ## Overview (300+ words)\n\n[What problem does this solve?]\n\n## Acceptance Criteria\n\n\
                    - [ ] **AC1**: [criterion]\n";
        let t = TemplateRules::parse("templates/prd.md", text).unwrap();
        let lines: Vec<usize> = t.rules.iter().map(|d| d.line).collect();
        assert_eq!(lines, [3, 4, 6]);
        assert_eq!(
            t.rules[2].rule,
            Rule::SectionWords { section: "overview".into(), heading: "Overview".into(), ordinal: 0, min: 300 }
        );
        assert!(t.placeholders.contains("[What problem does this solve?]"));
        assert!(t.placeholders.contains("[criterion]"));
        assert!(t.is_residue_line("# PRD: Batch loading"));
        assert!(t.is_residue_line("- [ ] **AC1**: [criterion]"));
        assert!(!t.is_residue_line("Loads 1M rows in 5 minutes"));
    }

    #[test]
    fn one_document_minimum() {
        // 300 for Overview counts its sub-section; 100 for Risks; the sections
        // ask 400 in all, more than the document's own 250.
        let text = "# T\n<!-- gate: words >= 250 -->\n## Overview (300+ words)\n### Detail (200+ words)\n\
                    ## Plain\n### Deep (50+ words)\n## Risks (100+ words)\n";
        let t = TemplateRules::parse("t", text).unwrap();
        assert_eq!((t.own_minimum(), t.section_total, t.document_minimum()), (Some(250), 450, Some(450)));
        let t = TemplateRules::parse("t", "# T\n<!-- gate: words >= 2000 -->\n## A (100+ words)\n").unwrap();
        assert_eq!(t.document_minimum(), Some(2000));
        assert_eq!(TemplateRules::parse("t", "# T\n## A\n").unwrap().document_minimum(), None);
    }

    #[test]
    fn unknown_rule_in_a_template_names_its_line() {
        let err = TemplateRules::parse("t", "# T\n\n<!-- gate: words >= 1;\n  colour blue -->\n").unwrap_err();
        assert_eq!(err.line, 4);
        assert!(err.message.contains("colour"));
        let fenced = TemplateRules::parse("t", "~~~\n<!-- gate colour blue -->\n~~~\n");
        assert!(fenced.is_ok(), "a comment inside code is not a rule");
    }

    #[test]
    fn rules_swallowed_by_a_code_block_are_template_errors() {
        // The arrow ends the comment; its example fence then runs over the heading.
        let text =
            "# T\n\n<!-- example:\n```\n[a] ---> [b]\n```\n-->\n\n## Current State (200+ words)\n\ntext\n\n```\n";
        let err = TemplateRules::parse("templates/prd.md", text).unwrap_err();
        assert_eq!(err.line, 9);
        assert!(err.message.contains("opened at line 6"), "{}", err.message);
        let rule_in_code = "```\n<!-- gate: words >= 5 -->\n```\n";
        assert_eq!(TemplateRules::parse("t", rule_in_code).unwrap_err().line, 2);
    }

    #[test]
    fn word_minimum_suffix() {
        assert_eq!(split_word_minimum("Architecture (600+ words)"), ("Architecture ", Some(Ok(600))));
        assert_eq!(split_word_minimum("Risks (100 + Words) "), ("Risks ", Some(Ok(100))));
        assert_eq!(split_word_minimum("Risks (many)"), ("Risks (many)", None));
        assert_eq!(split_word_minimum("(5+ words)"), ("", Some(Ok(5))));
        assert_eq!(normalize_section("  Acceptance   Criteria: (8+ words)"), "acceptance criteria");
    }

    #[test]
    fn section_names_as_authors_write_them() {
        for heading in [
            "2. Problem Statement",
            "2) Problem Statement",
            "2.1 Problem Statement",
            "II. Problem Statement",
            "Problem Statement:",
            "PROBLEM STATEMENT",
            "**Problem Statement**",
            "🎯 Problem Statement",
            "Problem Statement ✅",
            "Phase 2: Problem Statement",
            "Phase 2 - Problem Statement",
            "Phase 2 – Problem Statement",
            "Step 2: Problem Statement (200+ words)",
        ] {
            assert_eq!(normalize_section(heading), "problem statement", "{heading}");
        }
        assert_eq!(normalize_section("Risks & Mitigation"), "risks and mitigation");
        assert_eq!(normalize_section("2024 Roadmap"), "2024 roadmap");
        assert_eq!(normalize_section("2."), "2.");
        assert_eq!(normalize_section("Phase 1: Scope Discovery (1000+ words)"), "scope discovery");
        let md = Markdown::parse("# PRD\n## 6. Acceptance Criteria\n## 7. Risks and Mitigations\n");
        assert_eq!(find_section(&md, "Acceptance Criteria", 0), Some(1));
        assert_eq!(find_section(&md, "Risks & Mitigation", 0), Some(2));
        assert_eq!(find_section(&md, "Risks & Mitigations", 0), Some(2));
        assert_eq!(find_section(&md, "Risk", 0), Some(2));
        assert_eq!(find_section(&md, "Ris", 0), None);
    }

    #[test]
    fn finds_sections_exactly_then_by_prefix() {
        let md = Markdown::parse("# T\n## Current State\n## X\n## Current State\n## Acceptance Criteria (12 items)\n");
        assert_eq!(find_section(&md, "current state", 1), Some(3));
        assert_eq!(find_section(&md, "Acceptance Criteria", 0), Some(4));
        assert_eq!(find_section(&md, "Acceptance", 0), Some(4));
        assert_eq!(find_section(&md, "Accept", 0), None);
    }

    #[test]
    fn placeholder_detection() {
        let line = "See [docs](http://x) and [Feature Name] - [ ] [x] [^1] {slug} {{date}} {\"a\": 1} [a]";
        assert_eq!(placeholders_in(line), ["[Feature Name]", "{slug}", "{{date}}"]);
        assert_eq!(placeholders_in("[ref]: http://x"), Vec::<&str>::new());
        assert_eq!(placeholders_in("unclosed [bracket and {brace"), Vec::<&str>::new());
    }
}
