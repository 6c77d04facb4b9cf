//! Values that keep a column's [`Constraints`], and values that break exactly one of
//! them: the generated tests build valid rows from the first and expect a 422 for each
//! of the second. Strings for a pattern are generated from the pattern itself (its
//! `regex-syntax` tree), then checked with the compiled pattern, so a sample is only
//! ever offered when it really matches.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::{Constraints, Example, ScalarType};

/// How many distinct valid strings the tests get per constrained column.
pub const SAMPLES: usize = 24;

/// Up to `count` distinct strings valid for a `String`/`Text` column with `constraints`
/// (the declared examples first). Empty when none can be found: the constraints are
/// then rejected before they reach a target.
pub fn valid_texts(constraints: &Constraints, ty: &ScalarType, count: usize) -> Vec<String> {
    let (min, max) = text_bounds(constraints, ty);
    let pattern = match constraints.pattern.as_deref().map(compile) {
        Some(Some(compiled)) => Some(compiled),
        Some(None) => return Vec::new(),
        None => None,
    };
    let fits = |text: &str| {
        let length = text.chars().count();
        length >= min && length <= max && !text.contains('\0') && pattern.as_ref().is_none_or(|(regex, _)| regex.is_match(text))
    };
    let mut found: Vec<String> = Vec::new();
    let offer = |text: String, found: &mut Vec<String>| {
        if found.len() < count && fits(&text) && !found.contains(&text) {
            found.push(text);
        }
    };
    for example in &constraints.examples {
        if let Example::Text(text) = example {
            offer(text.clone(), &mut found);
        }
    }
    match &pattern {
        Some((_, hir)) => {
            // Longer repetitions are tried only when short ones are too short.
            for stretch in [2, 6, 16, 48, 128] {
                for seed in 0..(count as u64 * 8) {
                    let mut random = Random::new(seed);
                    let mut text = String::new();
                    generate(hir, &mut random, stretch, &mut text);
                    offer(text, &mut found);
                    if found.len() >= count {
                        return found;
                    }
                }
            }
        }
        None => {
            for seed in 0..count * 4 {
                let digits = format!("{seed:04}");
                let width = min.max(digits.len()).min(max);
                offer(format!("{digits:x>width$}").chars().take(max).collect(), &mut found);
            }
        }
    }
    found
}

/// Text values of the column's type that break exactly one constraint each, with what
/// they break: one character short, one too many, not matching the pattern.
pub fn invalid_texts(constraints: &Constraints, ty: &ScalarType) -> Vec<(&'static str, String)> {
    let (min, max) = text_bounds(constraints, ty);
    let valid = valid_texts(constraints, ty, 1);
    let Some(base) = valid.first() else { return Vec::new() };
    let mut invalid = Vec::new();
    if constraints.min_length.is_some_and(|min_length| min_length > 0) {
        let short: String = base.chars().take(min - 1).collect();
        invalid.push(("min_length", short));
    }
    if let Some(max_length) = constraints.max_length
        && (max_length as usize) < type_max(ty)
    {
        // One character more than allowed, still within what the column could hold.
        let mut long = base.clone();
        while long.chars().count() <= max {
            long.push(base.chars().last().unwrap_or('x'));
        }
        invalid.push(("max_length", long));
    }
    if let Some((regex, _)) = constraints.pattern.as_deref().and_then(compile) {
        let candidates = ["~", "!", " ", "-", "0", "a", "Z", "é", "_"];
        let not_matching =
            (min.max(1)..=max.min(min.max(1) + 8)).flat_map(|length| candidates.iter().map(move |c| c.repeat(length))).find(|text| !regex.is_match(text));
        if let Some(text) = not_matching {
            invalid.push(("pattern", text));
        }
    }
    invalid
}

/// Numbers that break a bound: one below the minimum, one above the maximum, as text.
pub fn invalid_numbers(constraints: &Constraints, ty: &ScalarType) -> Vec<(&'static str, String)> {
    let step = match ty {
        ScalarType::Numeric { scale, .. } => 10f64.powi(-i32::try_from(*scale).unwrap_or(0)),
        _ => 1.0,
    };
    let mut invalid = Vec::new();
    for (name, bound, sign) in [("minimum", &constraints.minimum, -1.0), ("maximum", &constraints.maximum, 1.0)] {
        let Some(value) = bound.as_deref().and_then(|text| text.parse::<f64>().ok()) else { continue };
        let outside = value + sign * step;
        let text = match ty {
            ScalarType::Integer => format!("{outside:.0}"),
            ScalarType::Numeric { scale, .. } => format!("{outside:.*}", *scale as usize),
            _ => format!("{outside}"),
        };
        invalid.push((name, text));
    }
    invalid
}

/// The inclusive character bounds a valid string has.
fn text_bounds(constraints: &Constraints, ty: &ScalarType) -> (usize, usize) {
    let min = constraints.min_length.unwrap_or(0) as usize;
    let max = constraints.max_length.map_or(type_max(ty), |max| (max as usize).min(type_max(ty)));
    (min, max)
}

/// The longest string a column holds (Text: what a test value sensibly needs).
fn type_max(ty: &ScalarType) -> usize {
    match ty {
        ScalarType::String { length } => *length as usize,
        _ => 4_000,
    }
}

fn compile(pattern: &str) -> Option<(regex::Regex, Hir)> {
    let regex = regex::RegexBuilder::new(pattern).size_limit(1 << 20).build().ok()?;
    let hir = regex_syntax::ParserBuilder::new().build().parse(pattern).ok()?;
    Some((regex, hir))
}

/// A small deterministic generator: the same seed gives the same sample everywhere.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % (bound.max(1) as u64)).unwrap_or(0)
    }
}

/// Appends one string that `hir` may match; look-arounds (anchors, word boundaries)
/// produce nothing and are left to the final check.
fn generate(hir: &Hir, random: &mut Random, stretch: u32, out: &mut String) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => out.push_str(&String::from_utf8_lossy(&literal.0)),
        HirKind::Class(class) => {
            let candidates = class_candidates(class);
            if !candidates.is_empty() {
                out.push(candidates[random.below(candidates.len())]);
            }
        }
        HirKind::Repetition(repetition) => {
            let most = repetition.max.unwrap_or(u32::MAX).min(repetition.min.saturating_add(stretch));
            let times = repetition.min + u32::try_from(random.below((most - repetition.min) as usize + 1)).unwrap_or(0);
            for _ in 0..times {
                generate(&repetition.sub, random, stretch, out);
            }
        }
        HirKind::Capture(capture) => generate(&capture.sub, random, stretch, out),
        HirKind::Concat(parts) => {
            for part in parts {
                generate(part, random, stretch, out);
            }
        }
        HirKind::Alternation(choices) => generate(&choices[random.below(choices.len())], random, stretch, out),
    }
}

/// Characters of a class to choose from: readable ASCII first, else the start of each range.
fn class_candidates(class: &Class) -> Vec<char> {
    let ranges: Vec<(char, char)> = match class {
        Class::Unicode(unicode) => unicode.ranges().iter().map(|range| (range.start(), range.end())).collect(),
        Class::Bytes(bytes) => {
            bytes.ranges().iter().filter(|range| range.start().is_ascii()).map(|range| (char::from(range.start()), char::from(range.end().min(0x7f)))).collect()
        }
    };
    let contains = |c: char| ranges.iter().any(|(start, end)| *start <= c && c <= *end);
    let readable: Vec<char> = ('0'..='9').chain('a'..='z').chain('A'..='Z').chain("-_.@+".chars()).filter(|c| contains(*c)).collect();
    if !readable.is_empty() {
        return readable;
    }
    let printable: Vec<char> = (' '..='~').filter(|c| contains(*c)).collect();
    if !printable.is_empty() {
        return printable;
    }
    ranges.iter().map(|(start, _)| *start).filter(|c| !c.is_control()).take(16).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constraints(pattern: Option<&str>, min: Option<u32>, max: Option<u32>) -> Constraints {
        Constraints { pattern: pattern.map(str::to_owned), min_length: min, max_length: max, ..Constraints::default() }
    }

    #[test]
    fn samples_match_the_pattern_and_lengths_and_differ() {
        for (pattern, min, max) in [
            ("^[0-9]{13}$", Some(13), Some(13)),
            ("^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$", None, None),
            ("^[a-z0-9]+(?:-[a-z0-9]+)*$", Some(3), Some(40)),
            ("^https?://[a-z]+\\.example\\.org(/[a-z]*)?$", None, None),
            ("^(red|green|blue)$", None, None),
            ("^\\p{Lu}\\p{Ll}+$", Some(2), Some(20)),
        ] {
            let rules = constraints(Some(pattern), min, max);
            let texts = valid_texts(&rules, &ScalarType::String { length: 60 }, SAMPLES);
            let regex = regex::Regex::new(pattern).expect("valid");
            assert!(!texts.is_empty(), "{pattern}");
            for text in &texts {
                assert!(regex.is_match(text), "{pattern}: {text:?}");
                let length = text.chars().count();
                assert!(min.is_none_or(|min| length >= min as usize) && length <= max.unwrap_or(60) as usize, "{pattern}: {text:?}");
            }
            let mut unique = texts.clone();
            unique.dedup();
            assert_eq!(unique.len(), texts.len());
            if pattern != "^(red|green|blue)$" {
                assert!(texts.len() >= 10, "{pattern}: only {texts:?}");
            }
        }
    }

    #[test]
    fn an_unsatisfiable_pattern_has_no_samples() {
        let rules = constraints(Some("^[a-z]{20}$"), None, Some(10));
        assert!(valid_texts(&rules, &ScalarType::String { length: 60 }, SAMPLES).is_empty());
    }

    #[test]
    fn invalid_texts_break_one_rule_each() {
        let rules = constraints(Some("^[a-z]+$"), Some(3), Some(8));
        let ty = ScalarType::String { length: 60 };
        let invalid = invalid_texts(&rules, &ty);
        let regex = regex::Regex::new("^[a-z]+$").expect("valid");
        let by_rule: std::collections::BTreeMap<_, _> = invalid.into_iter().collect();
        assert_eq!(by_rule["min_length"].chars().count(), 2);
        assert_eq!(by_rule["max_length"].chars().count(), 9);
        assert!(!regex.is_match(&by_rule["pattern"]) && (3..=8).contains(&by_rule["pattern"].chars().count()));
    }

    #[test]
    fn invalid_numbers_step_outside_each_bound() {
        let rules = Constraints { minimum: Some("1".to_owned()), maximum: Some("99.5".to_owned()), ..Constraints::default() };
        assert_eq!(invalid_numbers(&rules, &ScalarType::Numeric { precision: 5, scale: 2 }), [("minimum", "0.99".to_owned()), ("maximum", "99.51".to_owned())]);
        let integers = Constraints { minimum: Some("0".to_owned()), ..Constraints::default() };
        assert_eq!(invalid_numbers(&integers, &ScalarType::Integer), [("minimum", "-1".to_owned())]);
    }
}
