//! Conditions on partly known strings: they decide whenever the known parts
//! decide, and are unknown otherwise.
//!
//! A partly known string is literals and gaps, each gap any string at all, or
//! (an id's subscription) any one path segment.
//! A pattern (`like`'s `*`, `match`'s `#`/`?`/`.`, or a plain string for
//! `equals` and `contains`) holds
//! - **certainly** when it matches with every gap swallowed by a `*` of the
//!   pattern: then it matches whatever the gaps turn out to be;
//! - **possibly** when some filling of the gaps matches it.
//!
//! Certainly gives `true`, not even possibly gives `false`, anything between
//! is unknown. Both are dynamic programmes over (pattern position, string
//! position): linear in each, so cost stays predictable on long ids.

use crate::inventory::{Part, Partial};

use super::Tri;

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pat {
    /// One character, compared case-insensitively when asked.
    Char(char),
    /// `match`'s `#`: one digit.
    Digit,
    /// `match`'s `?`: one letter.
    Letter,
    /// `match`'s `.`: one character.
    AnyChar,
    /// `like`'s `*`: any run of characters.
    Star,
}

/// One element of a partly known string.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Sym {
    Char(char),
    /// Any string; `segment`: one that holds no `/` (an id's subscription).
    Gap {
        segment: bool,
    },
}

fn symbols(p: &Partial) -> Vec<Sym> {
    let mut out = Vec::new();
    for part in &p.parts {
        match part {
            Part::Lit(s) => out.extend(s.chars().map(Sym::Char)),
            Part::Gap => out.push(Sym::Gap { segment: false }),
            Part::Segment => out.push(Sym::Gap { segment: true }),
        }
    }
    out
}

/// Whether a gap can produce a character the pattern element takes.
fn gap_fits(p: Pat, segment: bool) -> bool {
    !(segment && p == Pat::Char('/'))
}

/// A `like` pattern: `*` is any run, the rest literal.
pub fn like_pattern(p: &str) -> Vec<Pat> {
    p.chars()
        .map(|c| if c == '*' { Pat::Star } else { Pat::Char(c) })
        .collect()
}

/// A `match` pattern: `#` a digit, `?` a letter, `.` any character.
pub fn match_pattern(p: &str) -> Vec<Pat> {
    p.chars()
        .map(|c| match c {
            '#' => Pat::Digit,
            '?' => Pat::Letter,
            '.' => Pat::AnyChar,
            c => Pat::Char(c),
        })
        .collect()
}

/// A plain string, each character literal.
pub fn literal(p: &str) -> Vec<Pat> {
    p.chars().map(Pat::Char).collect()
}

/// `*text*`: a substring.
pub fn containing(p: &str) -> Vec<Pat> {
    let mut v = vec![Pat::Star];
    v.extend(literal(p));
    v.push(Pat::Star);
    v
}

fn char_fits(p: Pat, c: char, insensitive: bool) -> bool {
    match p {
        Pat::Char(x) if insensitive => x.to_lowercase().eq(c.to_lowercase()),
        Pat::Char(x) => x == c,
        Pat::Digit => c.is_ascii_digit(),
        Pat::Letter => c.is_alphabetic(),
        Pat::AnyChar => true,
        Pat::Star => true,
    }
}

/// Whether the pattern holds for every filling of the gaps.
pub fn certainly(pat: &[Pat], s: &Partial, insensitive: bool) -> bool {
    let s = symbols(s);
    // reach[j]: the pattern prefix read so far can end at string position j;
    // two rows, swapped per pattern element.
    let mut reach = vec![false; s.len() + 1];
    let mut next = vec![false; s.len() + 1];
    reach[0] = true;
    for &p in pat {
        next.fill(false);
        for j in 0..=s.len() {
            if !reach[j] {
                continue;
            }
            if p == Pat::Star {
                // A star takes any run of symbols, gaps included.
                next[j..].fill(true);
                break;
            }
            if let Some(Sym::Char(c)) = s.get(j) {
                if char_fits(p, *c, insensitive) {
                    next[j + 1] = true;
                }
            }
        }
        std::mem::swap(&mut reach, &mut next);
        if !reach.contains(&true) {
            return false;
        }
    }
    reach[s.len()]
}

/// Whether the pattern holds for some filling of the gaps.
pub fn possibly(pat: &[Pat], s: &Partial, insensitive: bool) -> bool {
    let s = symbols(s);
    // reach[i * w + j]: pattern prefix i can meet string prefix j. A gap may
    // take any run, a star any run, so states close under "gap eats a
    // pattern char" and "star eats a string symbol".
    let (np, ns) = (pat.len(), s.len());
    let w = ns + 1;
    let mut reach = vec![false; (np + 1) * w];
    reach[0] = true;
    for i in 0..=np {
        for j in 0..=ns {
            if !reach[i * w + j] {
                continue;
            }
            let p = pat.get(i).copied();
            let c = s.get(j).copied();
            // A gap may be empty.
            if matches!(c, Some(Sym::Gap { .. })) {
                reach[i * w + j + 1] = true;
            }
            match (p, c) {
                (Some(Pat::Star), _) => {
                    reach[(i + 1) * w + j] = true;
                    if j < ns {
                        reach[i * w + j + 1] = true;
                    }
                }
                (Some(p), Some(Sym::Gap { segment })) if gap_fits(p, segment) => {
                    reach[(i + 1) * w + j] = true
                }
                (Some(p), Some(Sym::Char(ch))) if char_fits(p, ch, insensitive) => {
                    reach[(i + 1) * w + j + 1] = true
                }
                _ => {}
            }
        }
    }
    reach[np * w + ns]
}

/// The three-valued verdict of a pattern on a partly known string.
pub fn holds(pat: &[Pat], s: &Partial, insensitive: bool) -> Tri {
    if certainly(pat, s, insensitive) {
        Tri::True
    } else if possibly(pat, s, insensitive) {
        Tri::Unknown
    } else {
        Tri::False
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Value;

    fn partial(text: &str) -> Partial {
        // `{}` marks a gap in these tests, `{s}` an id segment.
        let mut parts = Vec::new();
        for (i, lit) in text.replace("{s}", "{}\u{1}").split("{}").enumerate() {
            let (segment, lit) = match lit.strip_prefix('\u{1}') {
                Some(rest) => (true, rest),
                None => (false, lit),
            };
            if i > 0 {
                parts.push(if segment { Part::Segment } else { Part::Gap });
            }
            parts.push(Part::Lit(lit.to_string()));
        }
        match Partial::build(parts, None) {
            Value::Partial(p) => (*p).clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ids_with_an_unknown_subscription() {
        let id = partial("/subscriptions/{s}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s");
        let star = like_pattern(
            "/subscriptions/*/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
        );
        assert_eq!(holds(&star, &id, true), Tri::True);
        let exact = literal("/subscriptions/1111/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s");
        assert_eq!(holds(&exact, &id, true), Tri::Unknown);
        let other = literal("/subscriptions/1111/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/t");
        assert_eq!(holds(&other, &id, true), Tri::False);
        let other_rg = like_pattern("/subscriptions/*/resourceGroups/prod/*");
        assert_eq!(
            holds(&other_rg, &id, true),
            Tri::False,
            "a subscription holds no `/`"
        );
        let any = partial("/subscriptions/{}/resourceGroups/rg/x");
        assert_eq!(
            holds(&other_rg, &any, true),
            Tri::Unknown,
            "any string might"
        );
    }

    #[test]
    fn images_and_subjects() {
        let image = partial("{}/mcp-server:{}");
        assert_eq!(holds(&containing("mcp-server"), &image, true), Tri::True);
        assert_eq!(holds(&containing("nginx"), &image, true), Tri::Unknown);
        assert_eq!(holds(&like_pattern("*:latest"), &image, true), Tri::Unknown);
        assert_eq!(holds(&like_pattern("nginx*"), &image, true), Tri::Unknown);
        assert_eq!(
            holds(&like_pattern("*/nginx:*"), &image, true),
            Tri::Unknown
        );
        let subject = partial("repo:{}/{}:environment:{}");
        assert_eq!(
            holds(&like_pattern("repo:*:environment:*"), &subject, false),
            Tri::True
        );
        assert_eq!(
            holds(&like_pattern("*:ref:refs/heads/*"), &subject, false),
            Tri::Unknown
        );
        assert_eq!(
            holds(&like_pattern("repo:*:pull_request"), &subject, false),
            Tri::Unknown
        );
        assert_eq!(holds(&literal("x"), &subject, false), Tri::False);
    }

    #[test]
    fn match_patterns_and_case() {
        let s = partial("v{}-a");
        assert_eq!(holds(&match_pattern("v#-a"), &s, false), Tri::Unknown);
        assert_eq!(holds(&match_pattern("x#-a"), &s, false), Tri::False);
        assert_eq!(holds(&literal("V1-A"), &s, true), Tri::Unknown);
        assert_eq!(holds(&literal("V1-A"), &s, false), Tri::False);
        assert_eq!(holds(&like_pattern("*"), &s, false), Tri::True);
        assert_eq!(holds(&like_pattern("v*"), &s, false), Tri::True);
        assert_eq!(holds(&like_pattern("v*b"), &s, false), Tri::False);
    }
}
