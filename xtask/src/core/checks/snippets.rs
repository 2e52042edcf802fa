//! `snippets`: python blocks of markdown. Each carries a `# VERIFIED:` line
//! (when the document requires it), compiles (the host compiles, never runs,
//! and hands the results in), and a `# VERIFIED: path:A-B` reference names an
//! existing file and range whose lines hold the block's code (whitespace and
//! comments ignored); otherwise the block has drifted.
//!
//! Python blocks: the info string's first word is `python`, `py`, `python3` or
//! `py3` (any case); `pycon` blocks and python blocks starting with `>>>` are
//! interpreter sessions, of which only the code after `>>> ` / `... ` counts.
//! A block right after `<!-- gate: skip-snippet REASON -->` is skipped.
use std::collections::HashMap;

use crate::core::finding::Finding;
use crate::core::markdown::Markdown;
use crate::core::rules::gate_directives;

/// One python block, as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyBlock {
    /// Line of the opening fence.
    pub open_line: usize,
    /// Line of the first code line.
    pub first_line: usize,
    /// The code to compile, one line per markdown line (session output lines
    /// and prompts blanked), so compiler lines are markdown lines.
    pub code: String,
    pub session: bool,
    pub skip: Option<Skip>,
    pub verified: Vec<Verified>,
    /// A fence never closed: the block runs to the end of its container, so
    /// prose after it is read as code.
    pub unclosed: bool,
}

impl PyBlock {
    pub fn line_count(&self) -> usize {
        self.code.lines().count()
    }

    pub fn last_line(&self) -> usize {
        self.first_line + self.line_count().saturating_sub(1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub line: usize,
    pub reason: String,
}

/// A `# VERIFIED:` line of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// `# VERIFIED: path:A-B` (or `path:N`), path normalized and inside the
    /// root; `path:A-B@REV` quotes the file at a revision (a commit, tag,
    /// branch, or `base` for the merge base), so the quote survives the change
    /// it plans.
    Ref { line: usize, path: String, start: usize, end: usize, rev: Option<String> },
    /// A reference that cannot be right whatever the files say.
    BadRef { line: usize, message: String },
    /// Free text (`# VERIFIED: syntax checked`): the gate compiles the block itself.
    Note { line: usize },
}

impl Verified {
    pub fn line(&self) -> usize {
        match self {
            Verified::Ref { line, .. } | Verified::BadRef { line, .. } | Verified::Note { line } => *line,
        }
    }
}

/// What the host found at a referenced path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefFile {
    /// The file's lines (without line endings).
    Lines(Vec<String>),
    Missing,
    /// A symbolic link leading out of the root: not read (where it leads is
    /// not said, so a document cannot probe files outside).
    OutsideRoot,
    NotAFile,
    NotText {
        line: usize,
    },
    Unreadable {
        reason: String,
    },
}

/// The compiler's verdict on one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compiled {
    /// Not compiled (skipped blocks).
    NotRun,
    Ok,
    Error {
        line: Option<usize>,
        message: String,
    },
}

/// `Some(is_session)` when a block with this info-string word is Python.
pub fn python_kind(lang: &str) -> Option<bool> {
    match lang {
        "python" | "py" | "python3" | "py3" => Some(false),
        "pycon" => Some(true),
        _ => None,
    }
}

/// The python blocks of a document, in order.
pub fn extract(md: &Markdown) -> Vec<PyBlock> {
    let mut out = Vec::new();
    let mut comment_idx = 0;
    for block in &md.blocks {
        while comment_idx < md.comments.len() && md.comments[comment_idx].range.end <= block.range.start {
            comment_idx += 1;
        }
        let Some(mut session) = python_kind(&block.lang()) else { continue };
        if !session {
            session =
                block.code.lines().find(|l| !l.trim().is_empty()).is_some_and(|l| l.trim_start().starts_with(">>>"));
        }
        // The comment right before the block, nothing but blank lines (and
        // quote markers) between them.
        let skip = comment_idx
            .checked_sub(1)
            .map(|i| &md.comments[i])
            .filter(|c| md.text[c.range.end..block.range.start].chars().all(|ch| ch.is_whitespace() || ch == '>'))
            .and_then(|c| {
                gate_directives(&c.body).into_iter().find_map(|(offset, d)| {
                    let head = d.get(..12)?;
                    head.eq_ignore_ascii_case("skip-snippet")
                        .then(|| Skip { line: c.line + offset, reason: d[12..].trim().to_string() })
                })
            });
        let code = if session { session_code(&block.code) } else { block.code.clone() };
        let verified = block
            .code
            .lines()
            .enumerate()
            .filter_map(|(i, l)| verified_line(l).map(|rest| parse_verified(rest, block.first_line + i)))
            .collect();
        let unclosed = block.fenced && !closes(&md.text[block.range.clone()]);
        out.push(PyBlock {
            open_line: block.open_line,
            first_line: block.first_line,
            code,
            session,
            skip,
            verified,
            unclosed,
        });
    }
    out
}

/// Whether a fenced block's source (fences included) ends with a closing
/// fence: a run of the opening fence's character, at least as long, alone on
/// the last line (quote markers before it allowed).
fn closes(source: &str) -> bool {
    let strip = |l: &str| l.trim_start_matches(|c: char| c == '>' || c.is_whitespace()).trim_end().to_string();
    let mut lines = crate::core::markdown::lines(source);
    let open = strip(lines.next().unwrap_or(""));
    let Some(ch) = open.chars().next().filter(|c| matches!(c, '`' | '~')) else { return true };
    let len = open.chars().take_while(|&c| c == ch).count();
    let Some(last) = lines.last().map(strip) else { return false };
    last.chars().all(|c| c == ch) && last.chars().count() >= len
}

/// Code of an interpreter session: `>>> ` and `... ` lines without the prompt,
/// output lines blank (so line numbers stay).
pub fn session_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let t = line.trim_start();
        let code = if let Some(rest) = t.strip_prefix(">>>").or_else(|| t.strip_prefix("...")) {
            rest.strip_prefix(' ').unwrap_or(rest)
        } else {
            ""
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The text after `# VERIFIED:` on a line (prompt and indentation allowed).
fn verified_line(line: &str) -> Option<&str> {
    let mut t = line.trim_start();
    if let Some(rest) = t.strip_prefix(">>>").or_else(|| t.strip_prefix("...")) {
        t = rest.trim_start();
    }
    let t = t.strip_prefix('#')?.trim_start();
    let head = t.get(..9)?;
    head.eq_ignore_ascii_case("verified:").then(|| t[9..].trim())
}

/// Read what follows `# VERIFIED:`: a `path:A-B` / `path:N` reference as its
/// first word, else free text.
pub fn parse_verified(rest: &str, line: usize) -> Verified {
    let token = rest.split_whitespace().next().unwrap_or("");
    let token = token.trim_matches(|c| matches!(c, '`' | '(' | ')' | ',' | ';' | '"' | '\''));
    if token.contains("://") {
        return Verified::Note { line };
    }
    // `path:A-B@REV`: the revision after the range.
    let (token, rev) = match token.rsplit_once('@') {
        Some((head, rev)) if head.contains(':') && !rev.is_empty() => (head, Some(rev)),
        _ => (token, None),
    };
    let Some(colon) = token.rfind(':') else { return Verified::Note { line } };
    let (path, spec) = (&token[..colon], &token[colon + 1..]);
    let (a, b) = match spec.split_once('-') {
        Some((a, b)) => (a, b),
        None => (spec, spec),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return Verified::Note { line };
    }
    let bad = |message: String| Verified::BadRef { line, message };
    if path.is_empty() {
        return bad(format!("`{token}` names no file; write `# VERIFIED: path/to/file.py:{spec}`"));
    }
    let (Ok(start), Ok(end)) = (a.parse::<usize>(), b.parse::<usize>()) else {
        return bad(format!("{spec} in `{token}` is not a line range of any file"));
    };
    if start == 0 || end < start {
        return bad(format!("{spec} in `{token}` is not a line range (lines count from 1, start <= end)"));
    }
    if let Some(rev) = rev {
        if !is_revision(rev) {
            return bad(format!(
                "`@{rev}` is not a revision the gate reads; name a commit, tag or branch (letters, digits, \
                 `.` `_` `/` `-` `~` `^`), or `@base`"
            ));
        }
    }
    match normalize_ref_path(path) {
        Ok(path) => Verified::Ref { line, path, start, end, rev: rev.map(str::to_string) },
        Err(why) => bad(format!("`{path}` {why}; name a file inside the repository, relative to its root")),
    }
}

/// A revision name safe to hand to git as data: no option (`-x`), no range
/// (`a..b`), no `rev:path` or reflog syntax, no spaces.
pub fn is_revision(rev: &str) -> bool {
    !rev.is_empty()
        && rev.len() <= 100
        && !rev.starts_with(['-', '.', '/'])
        && !rev.contains("..")
        && rev.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-' | '~' | '^'))
}

/// The key of a referenced file in the host's map: `path`, or `REV:path`
/// for a file at a revision.
pub fn ref_key(path: &str, rev: Option<&str>) -> String {
    match rev {
        Some(rev) => format!("{rev}:{path}"),
        None => path.to_string(),
    }
}

/// `path` or `path@REV`, for messages.
fn ref_name(path: &str, rev: Option<&str>) -> String {
    match rev {
        Some(rev) => format!("{path}@{rev}"),
        None => path.to_string(),
    }
}

/// The file a reference quotes when its document was archived at `at`:
/// unpinned references are read at that commit; with no commit recorded
/// (`None`), they are only compiled (turned into notes), never compared with
/// today's code.
pub fn pin_references(blocks: &mut [PyBlock], at: Option<&str>) {
    for v in blocks.iter_mut().flat_map(|b| b.verified.iter_mut()) {
        if let Verified::Ref { line, rev: rev @ None, .. } = v {
            match at {
                Some(commit) => *rev = Some(commit.to_string()),
                None => *v = Verified::Note { line: *line },
            }
        }
    }
}

/// `./src/../src/x.py` -> `src/x.py`; absolute paths and `..` escapes refused.
pub fn normalize_ref_path(path: &str) -> Result<String, &'static str> {
    let b = path.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if path.starts_with(['/', '\\', '~']) || drive {
        return Err("is an absolute path");
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("leads out of the repository");
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return Err("names no file");
    }
    Ok(parts.join("/"))
}

/// A Python line as references are compared: comment dropped (outside
/// strings), all whitespace removed.
pub fn normalize_code_line(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in line.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '#' => break,
                '"' | '\'' => quote = Some(c),
                _ => {}
            },
        }
        if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// The files a document's blocks reference, each with its revision (None:
/// the working tree), for the host to read.
pub fn referenced_paths(blocks: &[PyBlock]) -> impl Iterator<Item = (&str, Option<&str>)> {
    blocks.iter().filter(|b| b.skip.is_none()).flat_map(|b| b.verified.iter()).filter_map(|v| match v {
        Verified::Ref { path, rev, .. } => Some((path.as_str(), rev.as_deref())),
        _ => None,
    })
}

/// A true quote of code that lives inside a `def` or `class` (an indented
/// method, a method body with `return`) does not compile on its own. For a
/// block whose code lines all match its references, in order: the code to
/// compile instead (the enclosing `def`/`class` headers from the referenced
/// file, then the block dedented under them) and the number of header lines
/// before the block. None for proposed code or a quote that drifted.
pub fn in_context(block: &PyBlock, refs: &HashMap<String, RefFile>) -> Option<(String, usize)> {
    if block.session {
        return None;
    }
    let mut wanted = Vec::new();
    let mut first: Option<(&Vec<String>, usize)> = None;
    for v in &block.verified {
        if let Verified::Ref { path, start, end, rev, .. } = v {
            let Some(RefFile::Lines(lines)) = refs.get(&ref_key(path, rev.as_deref())) else { return None };
            if *end > lines.len() {
                return None;
            }
            wanted.extend(lines[start - 1..*end].iter().map(|l| normalize_code_line(l)));
            first.get_or_insert((lines, *start));
        }
    }
    let (lines, start) = first?;
    let code_lines: Vec<(usize, String)> = block
        .code
        .lines()
        .enumerate()
        .map(|(i, l)| (i, normalize_code_line(l)))
        .filter(|(_, n)| !n.is_empty() && n != "...")
        .collect();
    if code_lines.is_empty() || !missing_in_order(&code_lines, &wanted).is_empty() {
        return None;
    }
    let indent = |l: &str| l.len() - l.trim_start().len();
    let is_code = |l: &&String| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    // Where the quoted code sits in the file.
    let file_indent = lines[start - 1..].iter().find(is_code).map_or(0, |l| indent(l));
    let headers = enclosing_headers(lines, start, file_indent);
    let outer = headers.first().map_or(file_indent, |h| h.indent);
    let mut out = String::new();
    let mut header_lines = 0;
    for h in &headers {
        for l in &h.text {
            out.push_str(&" ".repeat(indent(l).saturating_sub(outer)));
            out.push_str(l.trim_start());
            out.push('\n');
            header_lines += 1;
        }
    }
    // The block moved so its first code line sits where the file has it.
    let block_lines: Vec<String> = block.code.lines().map(str::to_string).collect();
    let own = block_lines.iter().find(is_code).map_or(0, |l| indent(l));
    let mut last: Option<(usize, &str)> = None;
    for l in &block_lines {
        if !l.trim().is_empty() {
            let at = (indent(l) + file_indent).saturating_sub(own).saturating_sub(outer);
            out.push_str(&" ".repeat(at));
            out.push_str(l.trim_start());
            if is_code(&l) {
                last = Some((at, l.trim_end()));
            }
        }
        out.push('\n');
    }
    // A quote that ends on a header (a signature, `class X:`) is real code
    // whose body was left out: give it one.
    if let Some((at, line)) = last {
        if line.ends_with(':') {
            out.push_str(&" ".repeat(at + 4));
            out.push_str("...\n");
        }
    }
    Some((out, header_lines))
}

/// One line (or lines) that opens a block around quoted code.
struct Header {
    indent: usize,
    /// A `def`/`class` header as the file writes it; any other compound
    /// statement (`if`, `for`, `try`, `else`, ...) as `if True:`, which opens a
    /// block the same way.
    text: Vec<String>,
}

/// The headers enclosing 1-based line `start` of a file (whose code sits at
/// `code_indent`), outermost first.
fn enclosing_headers(lines: &[String], start: usize, code_indent: usize) -> Vec<Header> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut min = code_indent;
    let mut out = Vec::new();
    for i in (0..start - 1).rev() {
        if min == 0 {
            break;
        }
        let l = &lines[i];
        let t = l.trim_start();
        // Blank lines, comments and the closing lines of bracketed
        // continuations (`) -> str:`) open no block.
        if t.is_empty() || t.starts_with(['#', ')', ']', '}']) || indent(l) >= min {
            continue;
        }
        min = indent(l);
        let text = if ["def ", "async def ", "class "].iter().any(|k| t.starts_with(k)) {
            // A header may run over several lines: to the line ending in `:`.
            let end = (i..start - 1).find(|&j| normalize_code_line(&lines[j]).ends_with(':')).unwrap_or(i);
            lines[i..=end].to_vec()
        } else {
            vec![format!("{}if True:", " ".repeat(min))]
        };
        out.push(Header { indent: min, text });
    }
    out.reverse();
    out
}

/// The referenced files at the base the change is measured against, for
/// telling a quote that drifted because the change it plans was made.
#[derive(Debug, Clone, Default)]
pub struct BaseRefs {
    /// The base commit, short.
    pub commit: String,
    /// What is at each path at that commit.
    pub refs: HashMap<String, RefFile>,
}

/// Findings for the blocks of one file. `compiled[i]` is block `i`'s verdict;
/// `refs` what the host found at each referenced path.
pub fn check(
    file: &str,
    blocks: &[PyBlock],
    compiled: &[Compiled],
    refs: &HashMap<String, RefFile>,
    require_verified: bool,
) -> Vec<Finding> {
    check_with_base(file, blocks, compiled, refs, None, require_verified)
}

/// [`check`], with the referenced files at the base: a drifted unpinned
/// quote that matches there says so and offers the pinned form.
pub fn check_with_base(
    file: &str,
    blocks: &[PyBlock],
    compiled: &[Compiled],
    refs: &HashMap<String, RefFile>,
    base: Option<&BaseRefs>,
    require_verified: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut checked = 0usize;
    let mut referenced = 0usize;
    for (i, block) in blocks.iter().enumerate() {
        if let Some(skip) = &block.skip {
            out.push(if skip.reason.is_empty() {
                Finding::fail(
                    "snippets",
                    "skip",
                    "skip-snippet needs a reason: `<!-- gate: skip-snippet REASON -->` (e.g. pseudo-code, output)",
                )
                .at(file, Some(skip.line))
            } else {
                Finding::skip("snippets", "skipped", format!("python block skipped: {}", skip.reason))
                    .at(file, Some(block.open_line))
            });
            continue;
        }
        checked += 1;
        let before = out.len();
        if block.verified.is_empty() && require_verified {
            out.push(
                Finding::fail(
                    "snippets",
                    "unverified",
                    "python block has no `# VERIFIED:` line; add `# VERIFIED: path/to/file.py:START-END` naming the \
                     lines it shows, or a note on how it was checked",
                )
                .at(file, Some(block.open_line)),
            );
        }
        if block.unclosed {
            let then = match compiled.get(i) {
                Some(Compiled::Error { message, .. }) => format!(", and reading it as code gives: {message}"),
                _ => String::new(),
            };
            out.push(
                Finding::fail(
                    "snippets",
                    "unclosed",
                    format!(
                        "the code block opened here is never closed, so everything after it is read as code{then}; \
                         close it with a fence line like the opening one"
                    ),
                )
                .at(file, Some(block.open_line)),
            );
        } else if let Some(Compiled::Error { line, message }) = compiled.get(i) {
            let at = line.unwrap_or(block.first_line).clamp(block.first_line, block.last_line() + 1);
            out.push(
                Finding::fail("snippets", "compile", format!("python block does not compile: {message}"))
                    .at(file, Some(at)),
            );
        }
        let refs_ok = check_references(file, block, refs, &mut out);
        if refs_ok && block.verified.iter().any(|v| matches!(v, Verified::Ref { .. })) {
            referenced += 1;
            if let Some(f) = drift(file, block, refs, base) {
                out.push(f);
            }
        }
        if out.len() > before {
            // Counted among the failures, not the passes.
            checked -= 1;
        }
    }
    if checked > 0 && out.iter().all(|f| !f.is_fail()) {
        out.push(
            Finding::pass(
                "snippets",
                "compile",
                format!("{checked} python blocks compile; {referenced} with references that match"),
            )
            .at(file, None)
            .with("blocks", checked),
        );
    }
    out
}

/// Report each reference that cannot hold; true when every one can.
fn check_references(file: &str, block: &PyBlock, refs: &HashMap<String, RefFile>, out: &mut Vec<Finding>) -> bool {
    let mut ok = true;
    for v in &block.verified {
        let problem = match v {
            Verified::Note { .. } => None,
            Verified::BadRef { message, .. } => Some(message.clone()),
            Verified::Ref { path, start, end, rev, .. } => match refs.get(&ref_key(path, rev.as_deref())) {
                Some(RefFile::Lines(lines)) if *end <= lines.len() => None,
                Some(RefFile::Lines(lines)) => Some(format!(
                    "lines {start}-{end} are outside {} ({} lines); fix the range",
                    ref_name(path, rev.as_deref()),
                    lines.len()
                )),
                Some(RefFile::Missing) | None => Some(match rev {
                    Some(rev) => format!(
                        "{path} does not exist at {rev} (or {rev} is not a commit, tag or branch here); fix the path \
                         or the revision"
                    ),
                    None => format!("{path} does not exist; fix the path (relative to the repository root)"),
                }),
                Some(RefFile::OutsideRoot) => {
                    Some(format!("{path} is a symbolic link out of the repository; not followed"))
                }
                Some(RefFile::NotAFile) => Some(format!("{path} is not a file")),
                Some(RefFile::NotText { line }) => Some(format!("{path} is not UTF-8 text (line {line})")),
                Some(RefFile::Unreadable { reason }) => Some(format!("{path} cannot be read: {reason}")),
            },
        };
        if let Some(message) = problem {
            ok = false;
            out.push(Finding::fail("snippets", "reference", format!("# VERIFIED: {message}")).at(file, Some(v.line())));
        }
    }
    ok
}

/// A drift finding when the code lines of the block are not, in order, among
/// the referenced lines (compared whitespace-insensitively, comments ignored;
/// lines may be skipped, which is what `...` elisions mark). Order matters: a
/// range that slid past the quoted code no longer holds its lines in sequence.
fn drift(file: &str, block: &PyBlock, refs: &HashMap<String, RefFile>, base: Option<&BaseRefs>) -> Option<Finding> {
    let code_lines: Vec<(usize, String)> = block
        .code
        .lines()
        .enumerate()
        .map(|(i, l)| (block.first_line + i, normalize_code_line(l)))
        .filter(|(_, n)| !n.is_empty() && n != "...")
        .collect();
    let mut wanted: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut references = Vec::new();
    for v in &block.verified {
        if let Verified::Ref { path, start, end, rev, .. } = v {
            if let Some(RefFile::Lines(lines)) = refs.get(&ref_key(path, rev.as_deref())) {
                wanted.extend(lines[start - 1..*end].iter().map(|l| normalize_code_line(l)));
                names.push(format!("{}:{start}-{end}", ref_name(path, rev.as_deref())));
                let mut reference = serde_json::json!({"path": path, "start": start, "end": end});
                if let Some(rev) = rev {
                    reference["revision"] = rev.clone().into();
                }
                references.push(reference);
            }
        }
    }
    let missing = missing_in_order(&code_lines, &wanted);
    let (first_line, _) = missing.first()?;
    let shown = block.code.lines().nth(first_line - block.first_line).unwrap_or("").trim();
    let matches_at = at_base(block, &code_lines, base);
    let advice = match &matches_at {
        Some((commit, pinned)) => format!(
            "; it matches at the base ({commit}), so it quotes code the change has since rewritten: pin it with \
             `{}`, or update the block",
            pinned.join("` and `")
        ),
        None => "; update the block or its # VERIFIED: range".to_string(),
    };
    let finding = Finding::fail(
        "snippets",
        "drift",
        format!(
            "{} of {} code lines are not, in order, in {} (first: `{}`){advice}",
            missing.len(),
            code_lines.len(),
            names.join(", "),
            crate::core::checks::excerpt(shown, 60),
        ),
    )
    .at(file, Some(*first_line))
    .measure(missing.len() as f64, 0.0)
    // Where the quote comes from, as fields: an agent reads the range
    // without parsing the message.
    .with("reference", references.first().cloned().unwrap_or_default())
    .with("references", references);
    // The pinned form, when the quote matches at the base.
    Some(match matches_at {
        Some((_, pinned)) => finding.with("pinned", pinned),
        None => finding,
    })
}

/// The code lines not found, in order, among `wanted`. Greedy: each code line
/// is looked for after the previous match; one that is not found is missing
/// and the search goes on from the same place. The wanted lines are indexed
/// first (sorted hash and position, 16 bytes a line), so a long block against
/// a long range costs their sum, not their product.
fn missing_in_order<'c>(code_lines: &'c [(usize, String)], wanted: &[String]) -> Vec<&'c (usize, String)> {
    let mut keys: Vec<(u64, usize)> = wanted.iter().enumerate().map(|(i, w)| (line_hash(w), i)).collect();
    keys.sort_unstable();
    let mut at = 0;
    let mut missing = Vec::new();
    for line in code_lines {
        let h = line_hash(&line.1);
        let first = keys.partition_point(|&k| k < (h, at));
        // Equal hashes are checked against the text: a collision is no match.
        let found =
            keys[first..].iter().take_while(|&&(kh, _)| kh == h).map(|&(_, i)| i).find(|&i| wanted[i] == line.1);
        match found {
            Some(i) => at = i + 1,
            None => missing.push(line),
        }
    }
    missing
}

fn line_hash(normalized: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(normalized)
}

/// When every reference of the block is unpinned and the block matches them
/// at the base: the base commit and the pinned references to offer.
fn at_base(block: &PyBlock, code_lines: &[(usize, String)], base: Option<&BaseRefs>) -> Option<(String, Vec<String>)> {
    let base = base?;
    let mut wanted = Vec::new();
    let mut pinned = Vec::new();
    for v in &block.verified {
        let Verified::Ref { path, start, end, rev, .. } = v else { continue };
        if rev.is_some() {
            return None;
        }
        let Some(RefFile::Lines(lines)) = base.refs.get(path) else { return None };
        if *end > lines.len() {
            return None;
        }
        wanted.extend(lines[start - 1..*end].iter().map(|l| normalize_code_line(l)));
        pinned.push(format!("# VERIFIED: {path}:{start}-{end}@{}", base.commit));
    }
    (!pinned.is_empty() && missing_in_order(code_lines, &wanted).is_empty()).then(|| (base.commit.clone(), pinned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::finding::Status;

    fn blocks(text: &str) -> Vec<PyBlock> {
        extract(&Markdown::parse(text))
    }

    #[test]
    fn python_blocks_sessions_and_skips() {
        let text = "```Python title=x\na = 1\n```\n\n```js\nb\n```\n\n```pycon\n>>> x = 1\n>>> x\n1\n... \n```\n\n\
                    ```py\n>>> for i in y:\n...     pass\nout\n```\n\n<!-- gate: skip-snippet pseudo-code -->\n\n\
                    ```python3\nnot python\n```\n<!-- gate: skip-snippet -->\n```py3\nz\n```\n";
        let b = blocks(text);
        assert_eq!(b.len(), 5);
        assert_eq!((b[0].first_line, b[0].session), (2, false));
        assert!(b[1].session && b[2].session);
        assert_eq!(b[1].code, "x = 1\nx\n\n\n");
        assert_eq!(b[2].code, "for i in y:\n    pass\n\n");
        assert_eq!(b[3].skip, Some(Skip { line: 22, reason: "pseudo-code".into() }));
        assert_eq!(b[4].skip, Some(Skip { line: 27, reason: String::new() }));
    }

    #[test]
    fn an_unclosed_fence_is_reported_at_its_opening_line() {
        let text = "# Doc\n\n```python\nx = 1\n\nSome prose that isn't code.\n";
        let b = blocks(text);
        assert!(b[0].unclosed);
        let compiled = [Compiled::Error { line: Some(6), message: "SyntaxError: unterminated string literal".into() }];
        let f = check("d.md", &b, &compiled, &HashMap::new(), false);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].rule.as_str(), f[0].line), ("unclosed", Some(3)));
        assert!(f[0].message.contains("unterminated string literal"), "{}", f[0].message);
        for closed in ["```python\nx\n```\n", "~~~~py\nx\n~~~~~\n", "> ```python\n> x\n> ```\n", "```python\n```\n"] {
            assert!(!blocks(closed)[0].unclosed, "{closed}");
        }
        assert!(blocks("````python\nx\n```\n")[0].unclosed);
    }

    #[test]
    fn a_quoted_method_compiles_inside_its_class() {
        let file: Vec<String> =
            "class Banner:\n    def render(\n        self,\n    ) -> str:\n        if self.loud:\n            return 1\n        return 2\n"
                .lines()
                .map(str::to_string)
                .collect();
        let refs: HashMap<String, RefFile> = [("src/b.py".to_string(), RefFile::Lines(file))].into_iter().collect();
        let method = blocks("```python\n# VERIFIED: src/b.py:2-7\n    def render(\n        self,\n    ) -> str:\n        return 2\n```\n");
        let (code, headers) = in_context(&method[0], &refs).unwrap();
        assert_eq!(headers, 1);
        assert!(code.starts_with("class Banner:\n# VERIFIED: src/b.py:2-7\n    def render(\n"), "{code}");
        // The author dedented the quote: it goes back where the file has it.
        let dedented = blocks("```python\n# VERIFIED: src/b.py:5-7\nif self.loud:\n    return 1\nreturn 2\n```\n");
        let (code, headers) = in_context(&dedented[0], &refs).unwrap();
        assert_eq!(
            (code.as_str(), headers),
            ("class Banner:\n    def render(\n        self,\n    ) -> str:\n        # VERIFIED: src/b.py:5-7\n        if self.loud:\n            return 1\n        return 2\n", 4)
        );
        let body = blocks("```python\n# VERIFIED: src/b.py:6-7\n            return 1\n        return 2\n```\n");
        let (code, headers) = in_context(&body[0], &refs).unwrap();
        assert_eq!(headers, 5, "{code}");
        assert!(
            code.ends_with("        if True:\n# VERIFIED: src/b.py:6-7\n            return 1\n        return 2\n"),
            "{code}"
        );
        let drifted = blocks("```python\n# VERIFIED: src/b.py:6-7\n        return 3\n```\n");
        assert_eq!(in_context(&drifted[0], &refs), None);
    }

    #[test]
    fn verified_lines() {
        let v = |s: &str| parse_verified(s, 7);
        assert_eq!(v("src/a.py:3-9"), Verified::Ref { line: 7, path: "src/a.py".into(), start: 3, end: 9, rev: None });
        assert_eq!(
            v("src/a.py:3-9@v1.2"),
            Verified::Ref { line: 7, path: "src/a.py".into(), start: 3, end: 9, rev: Some("v1.2".into()) }
        );
        assert_eq!(
            v("`src/a.py:3@base`"),
            Verified::Ref { line: 7, path: "src/a.py".into(), start: 3, end: 3, rev: Some("base".into()) }
        );
        for bad_rev in ["src/a.py:3-9@--output=x", "src/a.py:3-9@a..b", "src/a.py:3-9@x:y"] {
            assert!(matches!(v(bad_rev), Verified::BadRef { .. }), "{bad_rev}");
        }
        // Reflog syntax is no reference at all.
        assert_eq!(v("src/a.py:3-9@HEAD@{1}"), Verified::Note { line: 7 });
        assert_eq!(
            v("`./src/../src/a.py:4` (factory)"),
            Verified::Ref { line: 7, path: "src/a.py".into(), start: 4, end: 4, rev: None }
        );
        assert_eq!(v("Syntax checked with py_compile"), Verified::Note { line: 7 });
        assert_eq!(v("see https://x.org:443"), Verified::Note { line: 7 });
        assert_eq!(v("src/a.py:abc"), Verified::Note { line: 7 });
        for bad in [
            "/etc/passwd:1",
            "../x.py:1-2",
            "src/../../x.py:1",
            "a.py:0-3",
            "a.py:9-3",
            "a.py:1-99999999999999999999999",
            ":3",
        ] {
            assert!(matches!(v(bad), Verified::BadRef { .. }), "{bad}");
        }
        let b = blocks("```python\n    # VERIFIED: src/a.py:1-2\n>>> # verified: note\nx\n```\n");
        assert_eq!(b[0].verified.iter().map(Verified::line).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn code_line_normalization() {
        assert_eq!(normalize_code_line("  x = f( a ,b )  # note"), "x=f(a,b)");
        assert_eq!(normalize_code_line("s = \"a # b\"  # c"), "s=\"a#b\"");
        assert_eq!(normalize_code_line("t = 'it\\'s # x'"), "t='it\\'s#x'");
        assert_eq!(normalize_code_line("# only a comment"), "");
    }

    fn run(
        text: &str,
        compiled: &[Compiled],
        refs: &[(&str, RefFile)],
        require: bool,
    ) -> Vec<(String, Status, Option<usize>)> {
        let b = blocks(text);
        let refs: HashMap<String, RefFile> = refs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        check("doc.md", &b, compiled, &refs, require).into_iter().map(|f| (f.rule, f.status, f.line)).collect()
    }

    fn lines(ls: &[&str]) -> RefFile {
        RefFile::Lines(ls.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn unverified_compile_reference_and_drift() {
        let text =
            "# D\n\n```python\nx = 1\n```\n\n```python\n# VERIFIED: src/a.py:2-3\ndef f(a):\n    return  a\n```\n\n\
                    ```python\n# VERIFIED: src/a.py:2-3\ndef f(a):\n    return a + 1\n```\n\n\
                    ```python\n# VERIFIED: src/missing.py:1\nx\n```\n\n```python\n# VERIFIED: src/a.py:2-40\nx\n```\n";
        let src = lines(&["import os", "def f(a):   # the function", "    return a"]);
        let compiled = [
            Compiled::Ok,
            Compiled::Ok,
            Compiled::Error { line: Some(17), message: "SyntaxError: x".into() },
            Compiled::Ok,
            Compiled::Ok,
        ];
        let got = run(text, &compiled, &[("src/a.py", src), ("src/missing.py", RefFile::Missing)], true);
        assert_eq!(
            got,
            [
                ("unverified".into(), Status::Fail, Some(3)),
                ("compile".into(), Status::Fail, Some(17)),
                ("drift".into(), Status::Fail, Some(16)),
                ("reference".into(), Status::Fail, Some(20)),
                ("reference".into(), Status::Fail, Some(25)),
            ]
        );
        // Not required: the first block passes; the matching block gives no finding.
        let ok =
            "```python\n# VERIFIED: src/a.py:2-3\ndef f(a):\n    ...\n    return a\n```\n\n```python\nx = 1\n```\n";
        let got =
            run(ok, &[Compiled::Ok, Compiled::Ok], &[("src/a.py", lines(&["", "def f(a):", "  return a"]))], false);
        assert_eq!(got, [("compile".into(), Status::Pass, None)]);
    }

    #[test]
    fn drift_needs_the_lines_in_order() {
        let src = lines(&["def f(a):", "    b = a", "    return b", "", "def g():", "    return 1"]);
        let in_order = "```python\n# VERIFIED: src/a.py:1-6\ndef f(a):\n    ...\n    return b\n\ndef g():\n```\n";
        let got = run(in_order, &[Compiled::Ok], &[("src/a.py", src.clone())], true);
        assert_eq!(got, [("compile".into(), Status::Pass, None)]);
        // The same lines out of order: the range no longer shows this code.
        let swapped = "```python\n# VERIFIED: src/a.py:1-6\ndef g():\n    return 1\ndef f(a):\n    return b\n```\n";
        let got = run(swapped, &[Compiled::Ok], &[("src/a.py", src.clone())], true);
        assert_eq!(got, [("drift".into(), Status::Fail, Some(5))]);
        // The reference travels as fields, not only in the message.
        let refs: HashMap<String, RefFile> = [("src/a.py".to_string(), src)].into();
        let drift = check("doc.md", &blocks(swapped), &[Compiled::Ok], &refs, true).remove(0).to_json();
        assert_eq!(drift["reference"], serde_json::json!({"path": "src/a.py", "start": 1, "end": 6}));
        assert_eq!(drift["references"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn drift_reads_several_ranges_in_order() {
        let a = lines(&["def f():", "    return 1", "x = 2"]);
        let b = lines(&["y = 3", "def g():", "    return 2"]);
        let refs = [("a.py", a), ("b.py", b)];
        let doc = |code: &str| format!("```python\n# VERIFIED: a.py:1-2\n# VERIFIED: b.py:2-3\n{code}```\n");
        let ok = run(&doc("def f():\n    return 1\ndef g():\n    return 2\n"), &[Compiled::Ok], &refs, true);
        assert_eq!(ok, [("compile".into(), Status::Pass, None)]);
        // `x = 2` is in a.py but outside the range; `return 1` after g() is out of order.
        for code in ["def f():\nx = 2\n", "def g():\n    return 1\n", "y = 3\n"] {
            let got = run(&doc(code), &[Compiled::Ok], &refs, true);
            assert_eq!(got.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(), ["drift"], "{code}");
        }
    }

    #[test]
    fn drift_of_a_long_block_against_a_long_range_is_linear() {
        // 40,000 quoted lines, none in a 200,000-line range: block lines times
        // referenced lines was 8e9 comparisons (over a minute in a debug
        // build); indexed, it is their sum.
        let file: Vec<String> = (0..200_000).map(|i| format!("v{i} = {i}")).collect();
        let code: String = (0..40_000).map(|i| format!("w{i} = {i}\n")).collect();
        let text = format!("```python\n# VERIFIED: big.py:1-200000\n{code}```\n");
        let started = std::time::Instant::now();
        let got = run(&text, &[Compiled::Ok], &[("big.py", RefFile::Lines(file))], true);
        assert_eq!(got, [("drift".into(), Status::Fail, Some(3))]);
        // A generous bound (about 0.5 s in a debug build); the figures live in
        // `cargo xtask bench`.
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    }

    #[test]
    fn skipped_blocks_are_reported_not_checked() {
        let text = "<!-- gate: skip-snippet output of a run -->\n```python\nnot python at all\n```\n<!-- gate: skip-snippet -->\n```python\nx\n```\n";
        let got = run(text, &[Compiled::NotRun, Compiled::NotRun], &[], true);
        assert_eq!(got, [("skipped".into(), Status::Skip, Some(2)), ("skip".into(), Status::Fail, Some(5))]);
    }
}
