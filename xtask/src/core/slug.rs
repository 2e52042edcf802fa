//! Feature name -> workspace slug (README.md, "Quick start").

/// Longest slug, in characters.
pub const MAX_LEN: usize = 60;

/// Lowercase ASCII letters and digits; Latin accents folded (é -> e, ß -> ss);
/// every run of anything else becomes one `-`; no leading or trailing `-`; at
/// most 60 characters, cut at a `-` so no word is split. Empty when the name
/// has no letter or digit left.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    let mut pending_dash = false;
    for ch in name.chars().flat_map(char::to_lowercase) {
        match fold(ch) {
            Some(ascii) => {
                if pending_dash && !slug.is_empty() {
                    slug.push('-');
                }
                pending_dash = false;
                slug.push_str(ascii);
            }
            None => pending_dash = true,
        }
        if slug.len() > MAX_LEN {
            break;
        }
    }
    if slug.len() > MAX_LEN {
        // Cut at the last `-` that keeps the slug within the limit; a single
        // word longer than the limit is cut hard.
        let head = &slug[..=MAX_LEN];
        slug = match head.rfind('-') {
            Some(cut) if cut > 0 => slug[..cut].to_string(),
            _ => slug[..MAX_LEN].to_string(),
        };
    }
    slug
}

/// ASCII for a lowercase character, or None when it separates words.
fn fold(ch: char) -> Option<&'static str> {
    const ASCII: [&str; 36] = [
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v",
        "w", "x", "y", "z", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    ];
    let s = match ch {
        'a'..='z' => ASCII[(ch as u8 - b'a') as usize],
        '0'..='9' => ASCII[26 + (ch as u8 - b'0') as usize],
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    };
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `slug` is a name `slugify` could have produced: safe as one path
    /// component (no `/`, no `..`, no hidden or empty name).
    fn is_valid(slug: &str) -> bool {
        !slug.is_empty()
            && slug.len() <= MAX_LEN
            && !slug.starts_with('-')
            && !slug.ends_with('-')
            && !slug.contains("--")
            && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    #[test]
    fn folds_accents_and_collapses_separators() {
        assert_eq!(slugify("Café Ünïcode: batch-loading!!"), "cafe-unicode-batch-loading");
        assert_eq!(slugify("Snowflake batch optimization"), "snowflake-batch-optimization");
        assert_eq!(slugify("Straße & Œuvre"), "strasse-oeuvre");
        assert_eq!(slugify("  --Łódź--  "), "lodz");
        assert_eq!(slugify("ÀÉÎÕÜ"), "aeiou");
    }

    #[test]
    fn keeps_digits() {
        assert_eq!(slugify("Python 3.11 support"), "python-3-11-support");
        assert_eq!(slugify("2026"), "2026");
    }

    #[test]
    fn punctuation_only_is_empty() {
        assert_eq!(slugify("!!! ??? ..."), "");
        assert_eq!(slugify(""), "");
        assert_eq!(slugify("日本語"), "");
        assert_eq!(slugify("🚀🚀"), "");
    }

    #[test]
    fn path_names_cannot_escape() {
        assert_eq!(slugify("../../etc/passwd"), "etc-passwd");
        assert_eq!(slugify(".."), "");
        assert_eq!(slugify("a/b\\c"), "a-b-c");
        assert!(is_valid(&slugify("../x")));
    }

    #[test]
    fn long_names_are_cut_at_a_dash() {
        let name = "word ".repeat(40); // 200 characters
        let slug = slugify(&name);
        assert!(slug.len() <= MAX_LEN, "{slug}");
        assert!(!slug.ends_with('-'));
        assert_eq!(slug, ["word"; 12].join("-")); // 59 characters
        let one_word = "x".repeat(200);
        assert_eq!(slugify(&one_word).len(), MAX_LEN);
        // A word boundary exactly at 60 keeps all 60.
        let exact = format!("{}-{}", "a".repeat(29), "b".repeat(30));
        assert_eq!(slugify(&format!("{exact} more")), exact);
    }

    #[test]
    fn validity() {
        assert!(is_valid("cafe-unicode"));
        for bad in ["", "-a", "a-", "a--b", "A", "a/b", "..", "a.b", &"a".repeat(61)] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
