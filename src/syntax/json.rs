//! A strict RFC 8259 JSON parser that keeps the span of every value.
//!
//! serde_json drops positions and keys after the first duplicate; diagnostics need
//! both, so the document is first read into this spanned tree. Invariant: the parser
//! never panics and never recurses deeper than [`MAX_DEPTH`], whatever the input.

use std::borrow::Cow;

use crate::source::Span;

/// Deepest nesting accepted. The format itself needs five levels; the bound keeps
/// hostile input (`[[[[…`) from exhausting the stack.
pub const MAX_DEPTH: usize = 128;

/// A JSON value with the span of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Value<'a> {
    pub kind: ValueKind<'a>,
    pub span: Span,
}

/// The JSON value itself.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueKind<'a> {
    Null,
    Bool(bool),
    Number(Number<'a>),
    /// Borrowed from the text unless it had escapes.
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    /// Members in document order, duplicates included.
    Object(Vec<Member<'a>>),
}

/// One `"key": value` pair of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member<'a> {
    pub key: Cow<'a, str>,
    pub key_span: Span,
    pub value: Value<'a>,
}

/// A JSON number, kept as written so that decimals stay exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number<'a> {
    raw: &'a str,
}

impl Number<'_> {
    pub fn raw(&self) -> &str {
        self.raw
    }

    /// True when written without fraction or exponent.
    pub fn is_integer(&self) -> bool {
        !self.raw.contains(['.', 'e', 'E'])
    }

    /// The value as an `i64` when written as an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        if self.is_integer() { self.raw.parse().ok() } else { None }
    }

    /// The value as a finite `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        self.raw.parse::<f64>().ok().filter(|value| value.is_finite())
    }
}

impl ValueKind<'_> {
    /// How the kind is named in messages: "a string", "an array", …
    pub fn describe(&self) -> &'static str {
        match self {
            ValueKind::Null => "null",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Number(number) if number.is_integer() => "an integer",
            ValueKind::Number(_) => "a number",
            ValueKind::String(_) => "a string",
            ValueKind::Array(_) => "an array",
            ValueKind::Object(_) => "an object",
        }
    }
}

/// Why the text is not JSON, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub label: String,
    pub span: Span,
    pub help: Option<String>,
    /// The opening bracket of an unclosed array or object, when that explains the error.
    pub opened_at: Option<Span>,
}

/// Parses one JSON value that spans the whole text (surrounding whitespace and a
/// leading byte-order mark allowed).
pub fn parse(text: &str) -> Result<Value<'_>, SyntaxError> {
    let mut parser = Parser { text, bytes: text.as_bytes(), pos: 0, depth: 0 };
    if text.starts_with('\u{feff}') {
        parser.pos = '\u{feff}'.len_utf8();
    }
    parser.skip_whitespace();
    if parser.pos == parser.bytes.len() {
        return Err(parser.error_here(
            "the document is empty",
            "expected a JSON object here",
            Some("a backbone document is one JSON object: `{\"project_name\": …}`"),
        ));
    }
    let value = parser.value().map_err(|error| at_visible_end(text, error))?;
    parser.skip_whitespace();
    if parser.pos < parser.bytes.len() {
        return Err(error_at(
            Span::new(parser.pos, parser.char_end(parser.pos)),
            "unexpected text after the end of the JSON document",
            "the document already ended",
            Some("a file holds exactly one JSON object; remove what follows it"),
        ));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn value(&mut self) -> Result<Value<'a>, SyntaxError> {
        let start = self.pos;
        let Some(&byte) = self.bytes.get(self.pos) else {
            return Err(self.error_here("unexpected end of input", "expected a value here", None));
        };
        let kind = match byte {
            b'{' => self.nested(Self::object)?,
            b'[' => self.nested(Self::array)?,
            b'"' => ValueKind::String(self.string()?),
            b'-' | b'0'..=b'9' => ValueKind::Number(self.number()?),
            b't' => self.literal("true", ValueKind::Bool(true))?,
            b'f' => self.literal("false", ValueKind::Bool(false))?,
            b'n' => self.literal("null", ValueKind::Null)?,
            _ => return Err(self.unexpected_value()),
        };
        Ok(Value { kind, span: Span::new(start, self.pos) })
    }

    fn nested(&mut self, parse: fn(&mut Self) -> Result<ValueKind<'a>, SyntaxError>) -> Result<ValueKind<'a>, SyntaxError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error_here(
                &format!("values are nested more than {MAX_DEPTH} levels deep"),
                "nesting limit reached here",
                Some("a backbone document needs five levels; this input is not a schema"),
            ));
        }
        self.depth += 1;
        let kind = parse(self);
        self.depth -= 1;
        kind
    }

    fn object(&mut self) -> Result<ValueKind<'a>, SyntaxError> {
        let open = Span::new(self.pos, self.pos + 1);
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.eat(b'}') {
            return Ok(ValueKind::Object(members));
        }
        loop {
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b'"') => {}
                Some(b'}') if !members.is_empty() => {
                    return Err(self
                        .error_here(
                            "trailing comma before `}`",
                            "remove this comma's successor or the comma",
                            Some("JSON does not allow a comma after the last member"),
                        )
                        .with_span_back(self, b','));
                }
                None => return Err(self.unclosed("object", open)),
                Some(b'/') if matches!(self.bytes.get(self.pos + 1), Some(b'/' | b'*')) => {
                    return Err(error_at(
                        Span::new(self.pos, self.pos + 2),
                        "comments are not allowed in JSON",
                        "comment starts here",
                        Some("remove the comment; use a `description` field to document a table or column"),
                    ));
                }
                Some(_) => {
                    let help = if self.bytes[self.pos] == b'\'' {
                        "JSON keys use double quotes: `\"key\"`"
                    } else {
                        "object keys are strings in double quotes: `\"key\": value`"
                    };
                    return Err(error_at(self.char_span(), "expected a member name in double quotes", "expected `\"` here", Some(help)));
                }
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = Span::new(key_start, self.pos);
            self.skip_whitespace();
            if !self.eat(b':') {
                return Err(self.error_here_or_end("expected `:` after the member name", "expected `:` here", Some("write members as `\"key\": value`"), open));
            }
            self.skip_whitespace();
            let value = self.value()?;
            members.push(Member { key, key_span, value });
            self.skip_whitespace();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(ValueKind::Object(members));
            }
            return Err(self.error_here_or_end(
                "expected `,` or `}` after an object member",
                "expected `,` or `}` here",
                Some("separate members with commas; close the object with `}`"),
                open,
            ));
        }
    }

    fn array(&mut self) -> Result<ValueKind<'a>, SyntaxError> {
        let open = Span::new(self.pos, self.pos + 1);
        self.pos += 1;
        let mut elements = Vec::new();
        self.skip_whitespace();
        if self.eat(b']') {
            return Ok(ValueKind::Array(elements));
        }
        loop {
            self.skip_whitespace();
            match self.bytes.get(self.pos) {
                Some(b']') => {
                    return Err(self
                        .error_here("trailing comma before `]`", "expected a value here", Some("JSON does not allow a comma after the last element"))
                        .with_span_back(self, b','));
                }
                None => return Err(self.unclosed("array", open)),
                Some(_) => {}
            }
            elements.push(self.value()?);
            self.skip_whitespace();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(ValueKind::Array(elements));
            }
            return Err(self.error_here_or_end(
                "expected `,` or `]` after an array element",
                "expected `,` or `]` here",
                Some("separate elements with commas; close the array with `]`"),
                open,
            ));
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        // Most strings have no escapes: borrow them from the text.
        let mut out: Option<String> = None;
        loop {
            let run_start = self.pos;
            while let Some(&byte) = self.bytes.get(self.pos) {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            match self.bytes.get(self.pos) {
                None => {
                    return Err(error_at(Span::new(open, self.pos), "unterminated string", "this string never ends", Some("close the string with `\"`")));
                }
                Some(b'"') => {
                    let text = &self.text[run_start..self.pos];
                    self.pos += 1;
                    return Ok(match out {
                        None => Cow::Borrowed(text),
                        Some(mut owned) => {
                            owned.push_str(text);
                            Cow::Owned(owned)
                        }
                    });
                }
                Some(b'\\') => {
                    let owned = out.get_or_insert_with(String::new);
                    owned.push_str(&self.text[run_start..self.pos]);
                    self.escape(owned)?;
                }
                Some(_) => {
                    return Err(error_at(
                        self.char_span(),
                        "control character in a string",
                        "a raw control character (such as a line break or tab) is not allowed here",
                        Some("write it escaped: `\\n`, `\\t`, or `\\u00XX`"),
                    ));
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let Some(&byte) = self.bytes.get(self.pos) else {
            return Err(self.error_here("unterminated string", "input ends inside an escape", None));
        };
        self.pos += 1;
        let character = match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape(start)?,
            _ => {
                return Err(error_at(
                    Span::new(start, self.char_end(start + 1)),
                    "invalid escape sequence",
                    "not a JSON escape",
                    Some("JSON escapes are `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\uXXXX`"),
                ));
            }
        };
        out.push(character);
        Ok(())
    }

    fn unicode_escape(&mut self, start: usize) -> Result<char, SyntaxError> {
        let first = self.hex4(start)?;
        let code = if (0xD800..0xDC00).contains(&first) {
            // A high surrogate must be followed by `\u` and a low surrogate.
            if self.bytes.get(self.pos) == Some(&b'\\') && self.bytes.get(self.pos + 1) == Some(&b'u') {
                self.pos += 2;
                let second = self.hex4(start)?;
                if !(0xDC00..0xE000).contains(&second) {
                    return Err(self.lone_surrogate(start));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            } else {
                return Err(self.lone_surrogate(start));
            }
        } else if (0xDC00..0xE000).contains(&first) {
            return Err(self.lone_surrogate(start));
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.lone_surrogate(start))
    }

    fn hex4(&mut self, escape_start: usize) -> Result<u32, SyntaxError> {
        let digits = self.bytes.get(self.pos..self.pos + 4).filter(|digits| digits.iter().all(u8::is_ascii_hexdigit));
        let Some(digits) = digits else {
            let end = (self.pos + 4).min(self.bytes.len());
            return Err(error_at(
                Span::new(escape_start, self.char_end(end.max(escape_start + 1) - 1)),
                "invalid unicode escape",
                "`\\u` needs four hexadecimal digits",
                Some("write `\\u` followed by exactly four hex digits, e.g. `\\u00e9`"),
            ));
        };
        self.pos += 4;
        // The four bytes are ASCII hex digits, so both conversions succeed.
        Ok(std::str::from_utf8(digits).ok().and_then(|digits| u32::from_str_radix(digits, 16).ok()).unwrap_or(0))
    }

    fn lone_surrogate(&self, start: usize) -> SyntaxError {
        error_at(
            Span::new(start, self.pos),
            "unpaired surrogate in a unicode escape",
            "this escape is half of a UTF-16 pair",
            Some("characters outside the Basic Multilingual Plane are written as two escapes, `\\uD83D\\uDE00`, or as the character itself"),
        )
    }

    fn number(&mut self) -> Result<Number<'a>, SyntaxError> {
        let start = self.pos;
        self.eat(b'-');
        match self.bytes.get(self.pos) {
            Some(b'0') => {
                self.pos += 1;
                if self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    return Err(self.number_error(start, "numbers cannot have leading zeros", "write the number without leading zeros"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => {
                if self.text[self.pos..].starts_with("Infinity") {
                    return Err(self.not_json_word(start, "Infinity"));
                }
                return Err(self.number_error(start, "expected digits after `-`", "a JSON number is `-?digits[.digits][e±digits]`"));
            }
        }
        if self.eat(b'.') {
            if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err(self.number_error(start, "expected digits after the decimal point", "write at least one digit after `.`, e.g. `1.0`"));
            }
            self.digits();
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if !self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err(self.number_error(start, "expected digits in the exponent", "write the exponent as digits, e.g. `1e10`"));
            }
            self.digits();
        }
        Ok(Number { raw: &self.text[start..self.pos] })
    }

    fn digits(&mut self) {
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
    }

    fn number_error(&mut self, start: usize, message: &str, help: &str) -> SyntaxError {
        let end = self.char_end(self.pos.min(self.bytes.len().saturating_sub(1)));
        error_at(Span::new(start, end.max(start + 1).min(self.bytes.len().max(start))), message, "invalid number", Some(help))
    }

    fn literal(&mut self, word: &str, kind: ValueKind<'a>) -> Result<ValueKind<'a>, SyntaxError> {
        if self.text[self.pos..].starts_with(word) && !self.bytes.get(self.pos + word.len()).is_some_and(u8::is_ascii_alphanumeric) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.unexpected_value())
        }
    }

    /// An error for a value that starts with something JSON does not have, with help
    /// for the usual suspects (comments, single quotes, Python/JavaScript words).
    fn unexpected_value(&mut self) -> SyntaxError {
        let start = self.pos;
        let rest = &self.text[start..];
        let word_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let word = &rest[..word_len];
        match word {
            "True" | "False" | "None" | "TRUE" | "FALSE" | "NULL" | "Null" | "undefined" | "NaN" | "Infinity" => {
                return self.not_json_word(start, word);
            }
            _ => {}
        }
        let (message, help) = if rest.starts_with("//") || rest.starts_with("/*") {
            ("comments are not allowed in JSON", "remove the comment; use a `description` field to document a table or column")
        } else if rest.starts_with('\'') {
            ("strings must use double quotes", "replace the single quotes with double quotes")
        } else if word.is_empty() {
            ("expected a value", "a value is a string, number, object, array, `true`, `false` or `null`")
        } else {
            ("expected a value, found a bare word", "strings need double quotes: `\"…\"`")
        };
        let span = if word.is_empty() { self.char_span() } else { Span::new(start, start + word_len) };
        error_at(span, message, "not valid JSON here", Some(help))
    }

    fn not_json_word(&self, start: usize, word: &str) -> SyntaxError {
        let replacement = match word {
            "True" | "TRUE" => "`true`",
            "False" | "FALSE" => "`false`",
            "None" | "NULL" | "Null" | "undefined" => "`null`",
            _ => "a finite number, or leave the value out",
        };
        let end = start + self.text[start..].find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(self.text.len() - start);
        error_at(Span::new(start, end), &format!("`{word}` is not valid JSON"), "not a JSON value", Some(&format!("write {replacement}")))
    }

    fn unclosed(&self, what: &str, open: Span) -> SyntaxError {
        let mut error = self.error_here(
            &format!("unexpected end of input: unclosed {what}"),
            "input ends here",
            Some(if what == "object" { "close the object with `}`" } else { "close the array with `]`" }),
        );
        error.opened_at = Some(open);
        error
    }

    /// An error at the current position, or an "unclosed" error when input has ended.
    fn error_here_or_end(&self, message: &str, label: &str, help: Option<&str>, open: Span) -> SyntaxError {
        if self.pos >= self.bytes.len() {
            let what = if self.bytes[open.start] == b'{' { "object" } else { "array" };
            return self.unclosed(what, open);
        }
        error_at(self.char_span(), message, label, help)
    }

    fn error_here(&self, message: &str, label: &str, help: Option<&str>) -> SyntaxError {
        error_at(self.char_span(), message, label, help)
    }

    /// The span of the character at the current position (empty at end of input).
    fn char_span(&self) -> Span {
        Span::new(self.pos, self.char_end(self.pos))
    }

    /// The end of the character that starts at or contains `offset`.
    fn char_end(&self, offset: usize) -> usize {
        if offset >= self.bytes.len() {
            return self.bytes.len();
        }
        let mut end = offset + 1;
        while end < self.bytes.len() && !self.text.is_char_boundary(end) {
            end += 1;
        }
        end
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }
}

/// An error at the end of input points at the last visible character instead, so the
/// snippet shows where the text stops rather than an empty line.
fn at_visible_end(text: &str, mut error: SyntaxError) -> SyntaxError {
    let trimmed = text.trim_end_matches([' ', '\t', '\n', '\r']);
    if error.span.start >= trimmed.len()
        && let Some((offset, character)) = trimmed.char_indices().next_back()
    {
        error.span = Span::new(offset, offset + character.len_utf8());
        "the input ends after this".clone_into(&mut error.label);
    }
    error
}

fn error_at(span: Span, message: &str, label: &str, help: Option<&str>) -> SyntaxError {
    SyntaxError { message: message.to_owned(), label: label.to_owned(), span, help: help.map(str::to_owned), opened_at: None }
}

impl SyntaxError {
    /// Moves the error onto the last `byte` before the current position (the comma of
    /// a trailing comma), so the label points at what must be removed.
    fn with_span_back(mut self, parser: &Parser<'_>, byte: u8) -> Self {
        if let Some(offset) = parser.bytes[..parser.pos].iter().rposition(|&b| b == byte) {
            self.span = Span::new(offset, offset + 1);
            "remove this comma".clone_into(&mut self.label);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> SyntaxError {
        parse(text).expect_err("should not parse")
    }

    #[test]
    fn keeps_spans_and_duplicates() {
        let value = parse(r#"{"a": [1, "x"], "a": null}"#).unwrap();
        let ValueKind::Object(members) = value.kind else { panic!("not an object") };
        assert_eq!(members.len(), 2);
        assert_eq!(members[0].key_span, Span::new(1, 4));
        assert_eq!(members[0].value.span, Span::new(6, 14));
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let value = parse(r#""a\n\u00e9\uD83D\uDE00""#).unwrap();
        assert_eq!(value.kind, ValueKind::String(Cow::Owned("a\n\u{e9}\u{1F600}".to_owned())));
    }

    #[test]
    fn rejects_what_rfc_8259_rejects() {
        for text in
            ["{,}", "[1,]", "{\"a\":1,}", "01", "1.", "-", "'a'", "NaN", "// c\n{}", "{\"a\" 1}", "\"\\x\"", "\"\\uD800\"", "tru", "{} {}", "", "\"a\u{1}\""]
        {
            assert!(parse(text).is_err(), "{text:?} should be rejected");
        }
    }

    #[test]
    fn trailing_comma_points_at_the_comma() {
        let error = error("[1,\n]");
        assert_eq!(error.span, Span::new(2, 3));
    }

    #[test]
    fn unclosed_object_names_its_opening() {
        let error = error("{\"a\": 1");
        assert_eq!(error.opened_at, Some(Span::new(0, 1)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        assert!(error(&text).message.contains("nested"));
    }

    #[test]
    fn numbers_keep_their_text() {
        let value = parse("12.50").unwrap();
        let ValueKind::Number(number) = value.kind else { panic!("not a number") };
        assert_eq!(number.raw(), "12.50");
        assert!(!number.is_integer());
        assert_eq!(parse("1e999").map(|v| matches!(v.kind, ValueKind::Number(n) if n.as_f64().is_none())), Ok(true));
    }
}
