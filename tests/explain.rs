//! Every `backbone explain` text keeps its promise: it has the sections What, Why, Example
//! and Fix, its Example triggers the code it explains, and its Fix no longer does (nor has
//! any error left). The texts are the files of docs/codes/, one per code and no other.

use std::collections::BTreeSet;

use backbone::diagnostics::Code;
use backbone::source::Source;
use backbone::{Compilation, CompileOptions, Limits};

const SECTIONS: [&str; 4] = ["## What", "## Why", "## Example", "## Fix"];

/// The ```` ```json ```` blocks of `explanation`, each with the line it starts on.
fn json_blocks(explanation: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, Vec<&str>)> = None;
    for (number, line) in explanation.lines().enumerate() {
        match open.take() {
            None if line.trim_end() == "```json" => open = Some((number, Vec::new())),
            None => {}
            Some((start, body)) if line.trim_end() == "```" => blocks.push((start, body.join("\n"))),
            Some((start, mut body)) => {
                body.push(line);
                open = Some((start, body));
            }
        }
    }
    blocks
}

/// The line on which `heading` stands, if it does.
fn heading_line(explanation: &str, heading: &str) -> Option<usize> {
    explanation.lines().position(|line| line.trim_end() == heading)
}

/// The options to compile `code`'s documents with: `LIMIT_EXCEEDED` needs a limit to fire.
fn options_for(code: Code) -> CompileOptions {
    if code == Code::LimitExceeded {
        CompileOptions { limits: Limits { max_tables: Some(1), ..Default::default() }, ..Default::default() }
    } else {
        CompileOptions::default()
    }
}

fn compile(text: &str, options: &CompileOptions) -> Compilation {
    backbone::compile(&Source::new("example.json", text), options)
}

/// Every diagnostic of `compilation` as `CODE: message`, for failure messages.
fn listed(compilation: &Compilation) -> String {
    let lines: Vec<String> = compilation.diagnostics.iter().map(|diagnostic| format!("  {}: {}", diagnostic.code, diagnostic.message)).collect();
    if lines.is_empty() { "  (no diagnostics)".to_owned() } else { lines.join("\n") }
}

/// The problems with `code`'s explanation; empty when it is sound.
fn problems(code: Code) -> Vec<String> {
    let explanation = code.explanation();
    let mut problems = Vec::new();

    let summary = explanation.lines().next().unwrap_or_default();
    if summary.trim().is_empty() || summary.starts_with('#') {
        problems.push(format!("the first line is not a one-line summary: {summary:?}"));
    }
    let headings: Vec<Option<usize>> = SECTIONS.iter().map(|heading| heading_line(explanation, heading)).collect();
    for (heading, line) in SECTIONS.iter().zip(&headings) {
        if line.is_none() {
            problems.push(format!("no `{heading}` section"));
        }
    }
    let lines: Vec<usize> = headings.iter().flatten().copied().collect();
    if lines.len() == SECTIONS.len() && !lines.is_sorted() {
        problems.push(format!("the sections are not in the order {}", SECTIONS.join(", ")));
    }

    let blocks = json_blocks(explanation);
    let [(example_line, example), (fix_line, fix), ..] = blocks.as_slice() else {
        problems.push(format!("{} ```json block(s), expected an Example and a Fix", blocks.len()));
        return problems;
    };
    if let [_, _, Some(example_heading), Some(fix_heading)] = headings[..] {
        if !(example_heading < *example_line && *example_line < fix_heading) {
            problems.push("the first ```json block is not in the Example section".to_owned());
        }
        if *fix_line < fix_heading {
            problems.push("the second ```json block is not in the Fix section".to_owned());
        }
    }

    let options = options_for(code);
    let compiled = compile(example, &options);
    if !compiled.diagnostics.iter().any(|diagnostic| diagnostic.code == code) {
        problems.push(format!("the Example does not trigger {code}; it gives:\n{}", listed(&compiled)));
    }
    let compiled = compile(fix, &options);
    if compiled.diagnostics.iter().any(|diagnostic| diagnostic.code == code) {
        problems.push(format!("the Fix still triggers {code}:\n{}", listed(&compiled)));
    }
    // A Fix may keep warnings and notes (a warning's fix can leave another warning), but a
    // fixed document with errors left would not show the way out.
    if compiled.diagnostics.has_errors() {
        problems.push(format!("the Fix still has errors:\n{}", listed(&compiled)));
    }
    problems
}

#[test]
fn every_explanation_has_what_why_example_and_fix_that_work() {
    let failures: Vec<String> = Code::ALL.iter().flat_map(|&code| problems(code).into_iter().map(move |problem| format!("{code}: {problem}"))).collect();
    assert!(failures.is_empty(), "{} problem(s) in `backbone explain` texts:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn json_syntax_example_is_malformed_json() {
    let explanation = Code::JsonSyntax.explanation();
    let blocks = json_blocks(explanation);
    let compiled = compile(&blocks[0].1, &CompileOptions::default());
    assert!(compiled.schema.is_none(), "the JSON_SYNTAX Example should not parse at all");
}

#[test]
fn limit_exceeded_example_is_valid_without_limits() {
    let explanation = Code::LimitExceeded.explanation();
    let blocks = json_blocks(explanation);
    let compiled = compile(&blocks[0].1, &CompileOptions::default());
    assert!(compiled.diagnostics.is_empty(), "the LIMIT_EXCEEDED Example should be clean without limits:\n{}", listed(&compiled));
}

#[test]
fn summaries_are_single_sentences() {
    for code in Code::ALL {
        let explanation = code.explanation();
        let summary = explanation.lines().next().unwrap_or_default();
        assert!(summary.ends_with('.'), "{code}: the summary should be one sentence ending in a period: {summary:?}");
        assert_eq!(explanation.lines().nth(1), Some(""), "{code}: a blank line should follow the summary");
    }
}

#[test]
fn docs_codes_holds_one_file_per_code_and_nothing_else() {
    // A code without its file does not compile (`include_str!`); a file without its code
    // would be an explanation nobody can read, e.g. left behind by a rename.
    let files: BTreeSet<String> = std::fs::read_dir("docs/codes")
        .expect("docs/codes exists")
        .map(|entry| entry.expect("directory entry").file_name().into_string().expect("a UTF-8 file name"))
        .filter(|name| name != "README.md")
        .collect();
    let expected: BTreeSet<String> = Code::ALL.iter().map(|code| format!("{code}.md")).collect();
    let orphans: Vec<&String> = files.difference(&expected).collect();
    let missing: Vec<&String> = expected.difference(&files).collect();
    assert!(orphans.is_empty(), "files in docs/codes/ that name no code: {orphans:?}");
    assert!(missing.is_empty(), "codes without their file in docs/codes/: {missing:?}");
}
