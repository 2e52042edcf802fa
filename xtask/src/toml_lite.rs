//! A small TOML reader for the two files we read settings from: the root
//! `Cargo.toml` (`[workspace.metadata.xtask]`) and the host's `pyproject.toml`
//! (`requires-python`, the `dev` extra, black's config). It turns a document into a
//! `serde_json::Value` and covers the TOML those files use: tables, arrays of
//! tables, dotted and quoted keys, strings of all four kinds, numbers, booleans,
//! arrays and inline tables. Dates are kept as strings. A full TOML crate would
//! cost more build time than everything else we depend on.
use serde_json::{Map, Value};

/// How deep tables, arrays and dotted keys may nest. Real files stay under
/// ten; the parser recurses and a `Value` is dropped recursively, so a file
/// nesting 100,000 levels would overflow the stack.
pub const MAX_DEPTH: usize = 128;

/// What the error for a too deeply nested file says (callers that tolerate
/// other errors refuse this one).
pub const TOO_DEEP: &str = "nested deeper than 128 levels";

/// Parse `text`; the error names the 1-based line.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser { s: text.strip_prefix('\u{feff}').unwrap_or(text).as_bytes(), i: 0, line: 1 };
    let mut root = Value::Object(Map::new());
    // Path of the table that `key = value` lines go into.
    let mut current: Vec<String> = Vec::new();
    loop {
        p.skip_ws_comments_newlines();
        if p.eof() {
            break;
        }
        if p.peek() == b'[' {
            let array = p.s.get(p.i + 1) == Some(&b'[');
            p.i += if array { 2 } else { 1 };
            p.skip_ws();
            let path = p.key_path(0)?;
            p.skip_ws();
            p.expect(b']')?;
            if array {
                p.expect(b']')?;
            }
            p.end_of_line()?;
            let line = p.line;
            if array {
                let (last, parent) = path.split_last().expect("key_path is never empty");
                let table = table_at(&mut root, parent, line)?;
                let entry = table.entry(last.clone()).or_insert_with(|| Value::Array(Vec::new()));
                match entry {
                    Value::Array(items) => items.push(Value::Object(Map::new())),
                    _ => return Err(format!("line {line}: `{last}` is not an array of tables")),
                }
            } else {
                table_at(&mut root, &path, line)?;
            }
            current = path;
            continue;
        }
        let path = p.key_path(current.len())?;
        p.skip_ws();
        p.expect(b'=')?;
        p.skip_ws();
        let value = p.value(current.len() + path.len())?;
        p.end_of_line()?;
        let line = p.line;
        let (last, parent) = path.split_last().expect("key_path is never empty");
        let mut full = current.clone();
        full.extend_from_slice(parent);
        let table = table_at(&mut root, &full, line)?;
        if table.insert(last.clone(), value).is_some() {
            return Err(format!("line {line}: key `{last}` is defined twice"));
        }
    }
    Ok(root)
}

/// The table at `path` (creating tables on the way); an array of tables
/// resolves to its last element, as TOML says.
fn table_at<'a>(root: &'a mut Value, path: &[String], line: usize) -> Result<&'a mut Map<String, Value>, String> {
    let mut node = root;
    for key in path {
        let map = match node {
            Value::Object(map) => map,
            _ => return Err(format!("line {line}: `{key}` is inside a value that is not a table")),
        };
        node = map.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Array(items) = node {
            node = match items.last_mut() {
                Some(last) => last,
                None => return Err(format!("line {line}: `{key}` is an empty array")),
            };
        }
    }
    match node {
        Value::Object(map) => Ok(map),
        _ => Err(format!("line {line}: `{}` is not a table", path.join("."))),
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
}

impl Parser<'_> {
    fn eof(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> u8 {
        self.s.get(self.i).copied().unwrap_or(0)
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("line {}: {what}", self.line))
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == c {
            self.i += 1;
            Ok(())
        } else {
            self.err(&format!("expected `{}`", c as char))
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), b' ' | b'\t') {
            self.i += 1;
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == b'#' {
            while !self.eof() && self.peek() != b'\n' {
                self.i += 1;
            }
        }
    }

    fn skip_ws_comments_newlines(&mut self) {
        loop {
            self.skip_ws();
            self.skip_comment();
            match self.peek() {
                b'\n' => {
                    self.line += 1;
                    self.i += 1;
                }
                b'\r' => self.i += 1,
                _ => return,
            }
        }
    }

    fn end_of_line(&mut self) -> Result<(), String> {
        self.skip_ws();
        self.skip_comment();
        match self.peek() {
            b'\r' | b'\n' => Ok(()),
            _ if self.eof() => Ok(()),
            _ => self.err("expected the end of the line"),
        }
    }

    /// A dotted key, `depth` levels down already.
    fn key_path(&mut self, depth: usize) -> Result<Vec<String>, String> {
        let mut path = vec![self.key()?];
        loop {
            self.skip_ws();
            if self.peek() != b'.' {
                return Ok(path);
            }
            if depth + path.len() >= MAX_DEPTH {
                return self.too_deep();
            }
            self.i += 1;
            self.skip_ws();
            path.push(self.key()?);
        }
    }

    fn too_deep<T>(&self) -> Result<T, String> {
        self.err(&format!("{TOO_DEEP} (tables, arrays and dotted keys); flatten it"))
    }

    fn key(&mut self) -> Result<String, String> {
        match self.peek() {
            b'"' => self.basic_string(),
            b'\'' => self.literal_string(),
            _ => {
                let start = self.i;
                while matches!(self.peek(), b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-') {
                    self.i += 1;
                }
                if start == self.i {
                    return self.err("expected a key");
                }
                Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
            }
        }
    }

    /// A value `depth` levels down (tables, arrays and dotted keys above it).
    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth >= MAX_DEPTH && matches!(self.peek(), b'[' | b'{') {
            return self.too_deep();
        }
        match self.peek() {
            b'"' | b'\'' => Ok(Value::String(if self.s[self.i..].starts_with(b"\"\"\"") {
                self.multiline(b'"')?
            } else if self.s[self.i..].starts_with(b"'''") {
                self.multiline(b'\'')?
            } else if self.peek() == b'"' {
                self.basic_string()?
            } else {
                self.literal_string()?
            })),
            b'[' => self.array(depth + 1),
            b'{' => self.inline_table(depth + 1),
            _ => self.scalar(),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws_comments_newlines();
            if self.peek() == b']' {
                self.i += 1;
                return Ok(Value::Array(items));
            }
            if self.eof() {
                return self.err("unterminated array");
            }
            items.push(self.value(depth)?);
            self.skip_ws_comments_newlines();
            match self.peek() {
                b',' => self.i += 1,
                b']' => {}
                _ => return self.err("expected `,` or `]` in an array"),
            }
        }
    }

    fn inline_table(&mut self, depth: usize) -> Result<Value, String> {
        self.i += 1;
        let mut root = Value::Object(Map::new());
        loop {
            self.skip_ws();
            if self.peek() == b'}' {
                self.i += 1;
                return Ok(root);
            }
            let path = self.key_path(depth)?;
            self.skip_ws();
            self.expect(b'=')?;
            self.skip_ws();
            let value = self.value(depth + path.len())?;
            let (last, parent) = path.split_last().expect("key_path is never empty");
            table_at(&mut root, parent, self.line)?.insert(last.clone(), value);
            self.skip_ws();
            match self.peek() {
                b',' => self.i += 1,
                b'}' => {}
                _ => return self.err("expected `,` or `}` in an inline table"),
            }
        }
    }

    fn scalar(&mut self) -> Result<Value, String> {
        let start = self.i;
        while !matches!(self.peek(), b',' | b']' | b'}' | b'\n' | b'\r' | b'#' | 0) {
            self.i += 1;
        }
        let token = String::from_utf8_lossy(&self.s[start..self.i]).trim().to_string();
        let plain = token.replace('_', "");
        Ok(match token.as_str() {
            "" => return self.err("expected a value"),
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => {
                if let Ok(n) = plain.parse::<i64>() {
                    Value::from(n)
                } else if let Some(f) = plain.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                    Value::Number(f)
                } else if token.as_bytes()[0].is_ascii_digit() {
                    // Dates, times and hex/octal numbers: kept as text.
                    Value::String(token)
                } else {
                    return self.err(&format!("cannot read the value `{token}`"));
                }
            }
        })
    }

    fn literal_string(&mut self) -> Result<String, String> {
        self.i += 1;
        let start = self.i;
        while self.peek() != b'\'' {
            if self.eof() || self.peek() == b'\n' {
                return self.err("unterminated string");
            }
            self.i += 1;
        }
        let out = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        self.i += 1;
        Ok(out)
    }

    fn basic_string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                b'"' => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => self.escape(&mut out)?,
                b'\n' => return self.err("unterminated string"),
                _ if self.eof() => return self.err("unterminated string"),
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.i += 1;
        let c = self.peek();
        self.i += 1;
        let simple = match c {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'b' => Some(8),
            b'f' => Some(12),
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            _ => None,
        };
        if let Some(b) = simple {
            out.push(b);
            return Ok(());
        }
        let len = match c {
            b'u' => 4,
            b'U' => 8,
            _ => return self.err("unknown escape in a string"),
        };
        let hex = self.s.get(self.i..self.i + len).and_then(|h| std::str::from_utf8(h).ok());
        let ch = hex.and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32);
        let Some(ch) = ch else { return self.err("bad unicode escape") };
        self.i += len;
        out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
        Ok(())
    }

    fn multiline(&mut self, quote: u8) -> Result<String, String> {
        self.i += 3;
        // A newline right after the opening quotes is not part of the string.
        if self.peek() == b'\r' {
            self.i += 1;
        }
        if self.peek() == b'\n' {
            self.i += 1;
            self.line += 1;
        }
        let mut out = Vec::new();
        loop {
            if self.eof() {
                return self.err("unterminated multi-line string");
            }
            if self.s[self.i..].starts_with(&[quote; 3]) {
                self.i += 3;
                // Up to two more quotes belong to the string.
                while self.peek() == quote {
                    out.push(quote);
                    self.i += 1;
                }
                return Ok(String::from_utf8_lossy(&out).into_owned());
            }
            let c = self.peek();
            if c == b'\\' && quote == b'"' {
                // Line-ending backslash trims the following whitespace.
                let rest = &self.s[self.i + 1..];
                let ws = rest.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\r')).count();
                if rest.get(ws) == Some(&b'\n') {
                    self.i += 1;
                    while matches!(self.peek(), b' ' | b'\t' | b'\r' | b'\n') {
                        if self.peek() == b'\n' {
                            self.line += 1;
                        }
                        self.i += 1;
                    }
                    continue;
                }
                self.escape(&mut out)?;
                continue;
            }
            if c == b'\n' {
                self.line += 1;
            }
            out.push(c);
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_cargo_metadata_tables() {
        let doc = parse(
            "[workspace]\nmembers = [\"xtask\"] # comment\n\n[workspace.metadata.xtask]\nsource-roots = [\n  \"src\",\n  'lib',\n]\ncoverage-threshold = 85.5\n\n[[workspace.metadata.xtask.rules]]\nid = \"a\"\n[[workspace.metadata.xtask.rules]]\nid = \"b\"\nenabled = true\n",
        )
        .unwrap();
        let x = &doc["workspace"]["metadata"]["xtask"];
        assert_eq!(x["source-roots"], json!(["src", "lib"]));
        assert_eq!(x["coverage-threshold"], json!(85.5));
        assert_eq!(x["rules"], json!([{"id": "a"}, {"id": "b", "enabled": true}]));
    }

    #[test]
    fn reads_pyproject_shapes() {
        let doc = parse(
            "[project]\nname = \"pkg\"\nrequires-python = \">=3.8,<3.13\"\ndependencies = []\n[project.optional-dependencies]\ndev = [\"pytest>=7\", \"black==24.1.0\"]\n[tool.black]\nline-length = 100\nextend-exclude = '''\n/(build)/\n'''\n[tool.x]\ninline = { a = 1, b.c = \"d\" }\nwhen = 1979-05-27T07:32:00Z\n",
        )
        .unwrap();
        assert_eq!(doc["project"]["requires-python"], json!(">=3.8,<3.13"));
        assert_eq!(doc["project"]["optional-dependencies"]["dev"][1], json!("black==24.1.0"));
        assert_eq!(doc["tool"]["black"]["line-length"], json!(100));
        assert_eq!(doc["tool"]["black"]["extend-exclude"], json!("/(build)/\n"));
        assert_eq!(doc["tool"]["x"]["inline"], json!({"a": 1, "b": {"c": "d"}}));
        assert_eq!(doc["tool"]["x"]["when"], json!("1979-05-27T07:32:00Z"));
    }

    #[test]
    fn strings_and_escapes() {
        let doc =
            parse("a = \"x\\ty\\u00e9\"\n\"quoted key\" = 'C:\\path'\nb = \"\"\"\none \\\n   two\"\"\"\n").unwrap();
        assert_eq!(doc["a"], json!("x\ty\u{e9}"));
        assert_eq!(doc["quoted key"], json!("C:\\path"));
        assert_eq!(doc["b"], json!("one two"));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(parse("a = 1\nb = \n").unwrap_err(), "line 2: expected a value");
        assert!(parse("a = 1\na = 2\n").unwrap_err().starts_with("line 2"));
        assert!(parse("a = \"open\n").is_err());
        assert!(parse("[t]\nx = [1, 2\n").is_err());
    }

    #[test]
    fn hostile_input_never_panics() {
        for text in [
            "[",
            "[[",
            "[a.]",
            "a.=1",
            "=",
            "a = {",
            "a = \"\\u",
            "a = '''",
            "\u{feff}x = 1",
            "a = [[[]]]",
            "a = \"\\U0011FFFF\"",
        ] {
            let _ = parse(text);
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        // 100,000 levels overflowed the stack (exit 134) in every command.
        let n = 100_000;
        let inline = format!("x = {}1{}\n", "{a=".repeat(n), "}".repeat(n));
        let arrays = format!("x = {}1{}\n", "[".repeat(n), "]".repeat(n));
        let dotted = format!("{} = 1\n", vec!["a"; n].join("."));
        let header = format!("[{}]\n", vec!["a"; n].join("."));
        let mixed = format!("[t]\nx = {}{{}}{}\n", "{b.c.d = ".repeat(n / 3), "}".repeat(n / 3));
        for text in [inline, arrays, dotted, header, mixed] {
            let err = parse(&text).unwrap_err();
            assert!(err.contains(TOO_DEEP), "{err}");
        }
        // What real files nest still reads.
        let ok = format!("x = {}1{}\n", "[".repeat(100), "]".repeat(100));
        assert!(parse(&ok).is_ok());
        assert!(parse(&format!("[{}]\ny = {{ a.b = [[1]] }}\n", vec!["t"; 60].join("."))).is_ok());
    }
}
