//! `backbone diagram`: Mermaid and DOT snapshotted for every example; the SVG of every
//! example, of the 50-table synthetic document and of generated documents with hostile
//! enum values parsed as XML, with every table drawn, no two boxes overlapping and the
//! same bytes on a second render.

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use backbone::diagram::{self, DiagramFormat};
use backbone::ir::Schema;
use backbone::source::Source;
use backbone::{CompileOptions, compile};
use proptest::prelude::*;
use serde_json::json;

fn examples() -> Vec<PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir("examples")
        .expect("examples/ exists")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "json"))
        .collect();
    paths.sort();
    paths
}

/// Compiles `text` and hands its valid schema to `check`.
fn with_schema(name: &str, text: String, check: impl FnOnce(&Schema)) {
    let source = Source::new(name, text);
    let compilation = compile(&source, &CompileOptions::default());
    let (schema, _) = compilation
        .valid_schema()
        .unwrap_or_else(|| panic!("{name} is invalid: {:?}", compilation.diagnostics.iter().map(|d| d.message.clone()).collect::<Vec<_>>()));
    check(schema);
}

#[test]
fn every_example_has_the_snapshotted_mermaid_and_dot() {
    for path in examples() {
        let stem = path.file_stem().and_then(|stem| stem.to_str()).expect("UTF-8 file name").to_owned();
        with_schema(&path.display().to_string(), std::fs::read_to_string(&path).expect("readable example"), |schema| {
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path("../snapshots/diagram");
            settings.set_prepend_module_to_snapshot(false);
            settings.set_input_file(&path);
            settings.bind(|| {
                insta::assert_snapshot!(format!("{stem}.mmd"), diagram::render(schema, DiagramFormat::Mermaid));
                insta::assert_snapshot!(format!("{stem}.dot"), diagram::render(schema, DiagramFormat::Dot));
            });
        });
    }
}

/// A table box of the SVG: its name and rectangle.
#[derive(Debug)]
struct DrawnTable {
    name: String,
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

/// Parses the SVG (any XML error fails) and returns its table boxes.
fn drawn_tables(svg: &str) -> Result<Vec<DrawnTable>, String> {
    let document = roxmltree::Document::parse(svg).map_err(|error| format!("not well-formed XML: {error}"))?;
    let number = |node: roxmltree::Node<'_, '_>, attribute: &str| -> Result<f64, String> {
        node.attribute(attribute).and_then(|value| value.parse().ok()).ok_or_else(|| format!("rect without a numeric {attribute}"))
    };
    let mut tables = Vec::new();
    for group in document.descendants().filter(|node| node.has_tag_name("g") && node.attribute("class") == Some("table")) {
        let rect = group.children().find(|node| node.has_tag_name("rect")).ok_or("a table without a rect")?;
        let title = group.descendants().find(|node| node.has_tag_name("tspan")).and_then(|node| node.text()).ok_or("a table without a title")?;
        tables.push(DrawnTable {
            name: title.to_owned(),
            x: number(rect, "x")?,
            y: number(rect, "y")?,
            width: number(rect, "width")?,
            height: number(rect, "height")?,
        });
    }
    Ok(tables)
}

/// Every table is drawn once, inside the picture, and no two boxes overlap.
fn check_svg(schema: &Schema, svg: &str) -> Result<(), String> {
    let tables = drawn_tables(svg)?;
    let mut names: Vec<&str> = tables.iter().map(|table| table.name.as_str()).collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = schema.tables.iter().map(|table| table.name.as_str()).collect();
    expected.sort_unstable();
    if names != expected {
        return Err(format!("tables drawn {names:?}, expected {expected:?}"));
    }
    for (idx, a) in tables.iter().enumerate() {
        if a.x < 0.0 || a.y < 0.0 {
            return Err(format!("{} is outside the picture", a.name));
        }
        for b in &tables[idx + 1..] {
            let apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
            if !apart {
                return Err(format!("{} and {} overlap: {a:?} {b:?}", a.name, b.name));
            }
        }
    }
    Ok(())
}

#[test]
fn every_example_svg_is_well_formed_with_every_table_apart() {
    for path in examples() {
        with_schema(&path.display().to_string(), std::fs::read_to_string(&path).expect("readable example"), |schema| {
            let svg = diagram::render(schema, DiagramFormat::Svg);
            if let Err(error) = check_svg(schema, &svg) {
                panic!("{}: {error}", path.display());
            }
            assert_eq!(svg, diagram::render(schema, DiagramFormat::Svg), "{}: a second render differs", path.display());
        });
    }
}

/// Five example schemas side by side (`tests/fixtures/diagram/fifty_tables.json`, 50
/// tables, 58 foreign keys, 7 many-to-many pairs) make one page, not a ribbon.
#[test]
fn fifty_tables_make_a_readable_page() {
    let text = std::fs::read_to_string("tests/fixtures/diagram/fifty_tables.json").expect("readable fixture");
    with_schema("fifty_tables.json", text, |schema| {
        assert_eq!(schema.tables.len(), 50);
        let svg = diagram::render(schema, DiagramFormat::Svg);
        check_svg(schema, &svg).unwrap_or_else(|error| panic!("{error}"));
        let document = roxmltree::Document::parse(&svg).expect("well-formed");
        let root = document.root_element();
        let width: f64 = root.attribute("width").and_then(|value| value.parse().ok()).expect("width");
        let height: f64 = root.attribute("height").and_then(|value| value.parse().ok()).expect("height");
        // Drawn at its natural size (12 px text), on about two screens each way.
        assert!(width / height < 2.0 && height / width < 2.0 && width * height < 12.0e6, "{width} × {height}");
    });
}

/// The synthetic documents (chains of foreign keys, the worst shape for a layered
/// layout: one layer per link) still draw every table apart: 50 tables through the
/// layered layout, 200 (one group past its limit) on the grid.
#[test]
fn a_long_chain_of_keys_still_draws_every_table_apart() {
    for tables in [50, 200] {
        with_schema("synthetic.json", synthetic::document(tables), |schema| {
            check_svg(schema, &diagram::render(schema, DiagramFormat::Svg)).unwrap_or_else(|error| panic!("{tables} tables: {error}"));
        });
    }
}

#[test]
fn text_from_the_document_is_escaped_in_every_format() {
    let values = ["say \"hi\"", "<b>&amp;</b>", "it's", "a#quot;b", "back\\slash"];
    let document = json!({
        "project_name": "escapes",
        "db_type": "sqlite",
        "schema": [{"table_name": "things", "class_name": "Thing", "columns": [
            {"name": "id", "type": "Integer", "primary_key": true},
            {"name": "state", "type": "Enum", "values": values}
        ]}]
    });
    with_schema("escapes.json", document.to_string(), |schema| {
        let svg = diagram::render(schema, DiagramFormat::Svg);
        check_svg(schema, &svg).unwrap_or_else(|error| panic!("{error}"));
        let parsed = roxmltree::Document::parse(&svg).expect("well-formed");
        let text: String = parsed.descendants().filter_map(|node| node.text()).collect();
        for value in values {
            assert!(text.contains(value), "{value} is not drawn as itself: {text}");
        }
        let mermaid = diagram::render(schema, DiagramFormat::Mermaid);
        assert!(mermaid.contains("\"nullable; say #quot;hi#quot; | <b>&amp;</b> | it's | a#35;quot;b | back\\slash\""), "{mermaid}");
        let dot = diagram::render(schema, DiagramFormat::Dot);
        assert!(dot.contains("say &quot;hi&quot; | &lt;b&gt;&amp;amp;&lt;/b&gt; | it&#39;s"), "{dot}");
    });
}

/// Table names that are words of Mermaid's and DOT's grammars, columns named like key
/// markers, and enum values full of quoting characters: every format keeps them apart
/// (the Mermaid snapshot was checked with Mermaid 11's own parser).
#[test]
fn names_from_the_grammars_of_the_outputs_stay_names() {
    let path = Path::new("tests/fixtures/diagram/hostile_names.json");
    with_schema("hostile_names.json", std::fs::read_to_string(path).expect("readable fixture"), |schema| {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../snapshots/diagram");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(path);
        settings.bind(|| {
            insta::assert_snapshot!("hostile_names.mmd", diagram::render(schema, DiagramFormat::Mermaid));
            insta::assert_snapshot!("hostile_names.dot", diagram::render(schema, DiagramFormat::Dot));
        });
        check_svg(schema, &diagram::render(schema, DiagramFormat::Svg)).unwrap_or_else(|error| panic!("{error}"));
    });
}

/// A document of `tables` tables, each with an enum of `values` and foreign keys to
/// the tables `edges` name (nullable, so any graph is valid, cycles included).
fn generated_document(tables: usize, values: &[String], edges: &[(usize, usize)]) -> String {
    let schema: Vec<_> = (0..tables)
        .map(|table| {
            let mut columns = vec![json!({"name": "id", "type": "Integer", "primary_key": true}), json!({"name": "state", "type": "Enum", "values": values})];
            for (nth, &(from, to)) in edges.iter().enumerate() {
                if from % tables == table {
                    columns.push(json!({"name": format!("ref{nth}_id"), "type": "ForeignKey", "target": format!("t{}.id", to % tables), "nullable": true}));
                }
            }
            json!({"table_name": format!("t{table}"), "class_name": format!("T{table}"), "columns": columns})
        })
        .collect();
    json!({"project_name": "generated", "db_type": "postgresql", "schema": schema}).to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any foreign-key graph (self references, parallel keys, cycles) and any enum text
    /// give a well-formed SVG with every table apart, and Mermaid whose quotes balance.
    #[test]
    fn any_graph_and_any_text_draw_cleanly(
        tables in 1_usize..14,
        edges in prop::collection::vec((0_usize..14, 0_usize..14), 0..20),
        values in prop::collection::btree_set("[^\u{0}]{1,12}", 1..4),
    ) {
        let values: Vec<String> = values.into_iter().filter(|value| value.len() <= 63).collect();
        prop_assume!(!values.is_empty());
        let text = generated_document(tables, &values, &edges);
        let source = Source::new("generated.json", text);
        let compilation = compile(&source, &CompileOptions::default());
        let Some((schema, _)) = compilation.valid_schema() else {
            // Values the format rejects (duplicates after trimming, say) prove nothing here.
            return Ok(());
        };
        let svg = diagram::render(schema, DiagramFormat::Svg);
        prop_assert!(check_svg(schema, &svg).is_ok(), "{:?}", check_svg(schema, &svg));
        let mermaid = diagram::render(schema, DiagramFormat::Mermaid);
        for line in mermaid.lines() {
            prop_assert_eq!(line.matches('"').count() % 2, 0, "{}", line);
        }
    }
}

#[test]
fn the_command_writes_the_file_or_prints() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("library.svg");
    cargo_bin_cmd!("backbone").args(["diagram", "examples/library.json", "--format", "svg", "-o"]).arg(&out).assert().success().stdout("");
    let svg = std::fs::read_to_string(&out).expect("written");
    assert!(svg.starts_with("<svg"), "{svg}");
    let printed = cargo_bin_cmd!("backbone").args(["diagram", "examples/library.json"]).assert().success().get_output().stdout.clone();
    assert!(String::from_utf8(printed).expect("UTF-8").starts_with("erDiagram\n"));
}

#[test]
fn an_invalid_document_draws_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"project_name": "x", "db_type": "sqlite", "schema": [{"table_name": "a", "class_name": "A", "columns": [{"name": "b_id", "type": "ForeignKey", "target": "b.id"}]}]}"#).expect("writable");
    let out = dir.path().join("out.svg");
    cargo_bin_cmd!("backbone").arg("diagram").arg(&bad).args(["--format", "svg", "-o"]).arg(&out).assert().code(1);
    assert!(!Path::new(&out).exists());
}

/// Writes the synthetic documents of 50, 200 and 1000 tables, to look at their pictures:
/// `cargo test --test diagram -- --ignored write_fifty_tables`, then
/// `backbone diagram /tmp/synthetic-50.json --format svg -o 50.svg`.
#[test]
#[ignore = "writes /tmp/synthetic-{50,200,1000}.json for a manual look"]
fn write_fifty_tables() {
    for tables in [50, 200, 1000] {
        std::fs::write(format!("/tmp/synthetic-{tables}.json"), synthetic::document(tables)).expect("writable /tmp");
    }
}

/// The generated project's README embeds the Mermaid diagram, unless it is too large
/// for GitHub's Mermaid (50 000 characters), where it says how to draw the model.
#[test]
fn the_generated_readme_embeds_the_diagram_while_mermaid_can_draw_it() {
    for (tables, embedded) in [(50, true), (400, false)] {
        let source = Source::new("synthetic.json", synthetic::document(tables));
        let compilation = compile(&source, &CompileOptions::default());
        let (schema, order) = compilation.valid_schema().expect("valid");
        let files = backbone::target::python::render(schema, order).expect("the templates render");
        let readme = &files.get("README.md").expect("a README").contents;
        let mermaid = diagram::render(schema, DiagramFormat::Mermaid);
        assert_eq!(readme.contains(&format!("```mermaid\n{mermaid}```\n")), embedded, "{tables} tables");
        assert_eq!(readme.contains("too many for a Mermaid diagram"), !embedded, "{tables} tables");
    }
}

/// The picture in README.md is what `backbone diagram examples/library.json --format svg`
/// draws today. Update it with `BACKBONE_UPDATE_DIAGRAM=1 cargo test --test diagram`.
#[test]
fn the_readme_picture_is_up_to_date() {
    const PICTURE: &str = "docs/library.svg";
    with_schema("examples/library.json", std::fs::read_to_string("examples/library.json").expect("readable example"), |schema| {
        let drawn = diagram::render(schema, DiagramFormat::Svg);
        if std::env::var_os("BACKBONE_UPDATE_DIAGRAM").is_some() {
            std::fs::write(PICTURE, &drawn).expect("writable docs/");
        }
        let committed = std::fs::read_to_string(PICTURE).expect("the committed picture");
        assert!(committed == drawn, "{PICTURE} is stale: run `BACKBONE_UPDATE_DIAGRAM=1 cargo test --test diagram` and commit it");
    });
}
