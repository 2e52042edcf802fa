//! Path globs for settings (`include`/`exclude` of rules, config templates):
//! `*` any run within one path segment, `**` any number of whole segments, `?`
//! one character, `[abc]` a character class. Paths use `/`.

/// Whether `path` matches `pattern`.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match_segments(&pat, &segs)
}

fn match_segments(pat: &[&str], segs: &[&str]) -> bool {
    // Dynamic programming over (pattern index, segment index): `**` runs cannot
    // blow up however many a hostile pattern holds.
    let (np, ns) = (pat.len(), segs.len());
    // ok[i][j]: pat[i..] matches segs[j..].
    let mut ok = vec![vec![false; ns + 1]; np + 1];
    ok[np][ns] = true;
    for i in (0..np).rev() {
        for j in (0..=ns).rev() {
            ok[i][j] = if pat[i] == "**" {
                ok[i + 1][j] || (j < ns && ok[i][j + 1])
            } else {
                j < ns && ok[i + 1][j + 1] && match_segment(pat[i].as_bytes(), segs[j].as_bytes())
            };
        }
    }
    ok[0][0]
}

/// One segment: `*`, `?`, `[...]`, literals. Greedy with backtracking on `*`.
fn match_segment(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class(&p[pi..], s[si]) {
                        if ok {
                            pi += next;
                            si += 1;
                            continue;
                        }
                    } else if s[si] == b'[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                c if c == s[si] => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// `[abc]`, `[a-z]`, `[!x]`: whether `c` is in it, and the class's length.
fn class(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let end = p.iter().skip(1).position(|&b| b == b']')? + 1;
    let body = &p[1..end];
    let (negate, body) = match body.first() {
        Some(b'!') | Some(b'^') => (true, &body[1..]),
        _ => (false, body),
    };
    let mut hit = false;
    let mut i = 0;
    while i < body.len() {
        if i + 2 < body.len() && body[i + 1] == b'-' {
            hit |= (body[i]..=body[i + 2]).contains(&c);
            i += 3;
        } else {
            hit |= body[i] == c;
            i += 1;
        }
    }
    Some((hit != negate, end + 1))
}

/// Whether `path` matches one of `include` (all paths when empty) and none of `exclude`.
pub fn selected(path: &str, include: &[String], exclude: &[String]) -> bool {
    (include.is_empty() || include.iter().any(|g| matches(g, path))) && !exclude.iter().any(|g| matches(g, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_stars() {
        assert!(matches("src/**/*.py", "src/goe/offload/x.py"));
        assert!(matches("src/**/*.py", "src/x.py"));
        assert!(!matches("src/**/*.py", "tests/x.py"));
        assert!(matches("**/factory/**", "src/goe/offload/factory/a_factory.py"));
        assert!(!matches("src/*.py", "src/a/b.py"));
        assert!(matches("templates/conf/*.template*", "templates/conf/offload.env.template.bigquery"));
        assert!(matches("a?c.py", "abc.py"));
        assert!(matches("[ab]x", "bx") && !matches("[!ab]x", "bx") && matches("[a-c]x", "cx"));
        assert!(matches("**", "anything/at/all"));
        assert!(!matches("*.py", "x.pyc"));
    }

    #[test]
    fn include_and_exclude() {
        let inc = vec!["src/**/*.py".to_string()];
        let exc = vec!["src/**/factory/**".to_string()];
        assert!(selected("src/pkg/api.py", &inc, &exc));
        assert!(!selected("src/pkg/factory/f.py", &inc, &exc));
        assert!(selected("any/thing", &[], &[]));
    }

    #[test]
    fn hostile_patterns_terminate() {
        let long = "a".repeat(200);
        assert!(!matches(&"*a".repeat(30), &format!("{long}b")));
        assert!(!matches("[", "x") && matches("[", "["));
        assert!(matches(&"**/".repeat(20), ""));
        let deep = vec!["d"; 40].join("/");
        assert!(!matches(&format!("{}z", "**/".repeat(30)), &deep));
    }
}
