//! The diagram as a standalone SVG, laid out by `layout-rs` (a Sugiyama layered layout
//! with edge routing through the free space between boxes) and drawn here.
//!
//! Each connected group of tables is laid out on its own, referenced tables above the
//! tables that reference them; the groups are then packed in rows so that fifty tables
//! make a page, not a ribbon. Each foreign key's name is a small node of its own on the
//! edge, so the layout keeps labels clear of boxes and two keys between the same tables
//! stay two edges. Text widths are estimated for a monospaced font, which the image asks
//! for.
//!
//! Invariants: every string from the document goes through [`xml`]; the layout crate sees
//! only sizes, and its drawing calls are recorded, never written out as they come.

use std::fmt::Write;

use layout::core::base::Orientation;
use layout::core::format::{ClipHandle, RenderBackend};
use layout::core::geometry::{Point, Position};
use layout::core::style::StyleAttr;
use layout::std_shapes::shapes::{Arrow, Element, ShapeKind};
use layout::topo::layout::VisualGraph;

use super::{Diagram, Entity, Link};

const FONT_SIZE: f64 = 12.0;
/// The advance of one monospaced character at [`FONT_SIZE`] (DejaVu Sans Mono: 0.602 em).
const CHAR: f64 = 7.3;
const SMALL_FONT_SIZE: f64 = 10.0;
const SMALL_CHAR: f64 = 6.1;
const ROW: f64 = 18.0;
const SMALL_ROW: f64 = 14.0;
const HEADER: f64 = 24.0;
const PAD: f64 = 8.0;
const GAP: f64 = 14.0;
/// Space kept around each table and between packed groups.
const TABLE_HALO: f64 = 36.0;
const LABEL_HALO: f64 = 6.0;
const GROUP_GAP: f64 = 48.0;
const MARGIN: f64 = 16.0;
/// The largest group of connected tables given the layered layout. Its cost grows much
/// faster than the group (120 tables in a chain: minutes), so larger groups are set out
/// on a grid, with straight edges drawn beneath the boxes.
const LAYERED_GROUP: usize = 60;

/// The SVG document.
pub fn render(diagram: &Diagram) -> String {
    let boxes: Vec<TableBox> = diagram.entities.iter().enumerate().map(|(idx, entity)| TableBox::new(diagram, idx, entity)).collect();
    let mut groups: Vec<Group> = components(diagram)
        .into_iter()
        .map(|tables| if tables.len() <= LAYERED_GROUP { Group::lay_out(diagram, &boxes, &tables) } else { Group::grid(diagram, &boxes, &tables) })
        .collect();
    pack(&mut groups);
    let (width, height) =
        groups.iter().fold((0.0_f64, 0.0_f64), |(width, height), group| (width.max(group.offset.x + group.size.x), height.max(group.offset.y + group.size.y)));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"{FONT_SIZE}\">",
        w = num(width + 2.0 * MARGIN),
        h = num(height + 2.0 * MARGIN),
    );
    let _ = writeln!(out, "<title>{}</title>", xml(&diagram.project));
    out.push_str(DEFS);
    let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    for group in &groups {
        let shift = Point::new(group.offset.x - group.origin.x + MARGIN, group.offset.y - group.origin.y + MARGIN);
        for edge in &group.edges {
            draw_edge(&mut out, diagram, edge, shift);
        }
        for placed in &group.tables {
            boxes[placed.table].draw(&mut out, placed.top_left.add(shift));
            boxes[placed.table].draw_loops(&mut out, diagram, placed.top_left.add(shift));
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Crow's-foot ends, drawn as if at the end of a line that arrives from the left; SVG
/// turns them to face outwards at either end (`auto-start-reverse`).
const DEFS: &str = "<defs>
<marker id=\"one\" viewBox=\"-18 -8 20 16\" refX=\"0\" refY=\"0\" markerWidth=\"20\" markerHeight=\"16\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M -6 -6 L -6 6 M -10 -6 L -10 6\" stroke=\"#555555\" stroke-width=\"1.5\" fill=\"none\"/></marker>
<marker id=\"zero-or-one\" viewBox=\"-18 -8 20 16\" refX=\"0\" refY=\"0\" markerWidth=\"20\" markerHeight=\"16\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M -6 -6 L -6 6\" stroke=\"#555555\" stroke-width=\"1.5\" fill=\"none\"/><circle cx=\"-12\" cy=\"0\" r=\"4\" stroke=\"#555555\" stroke-width=\"1.5\" fill=\"#ffffff\"/></marker>
<marker id=\"many\" viewBox=\"-18 -8 20 16\" refX=\"0\" refY=\"0\" markerWidth=\"20\" markerHeight=\"16\" markerUnits=\"userSpaceOnUse\" orient=\"auto-start-reverse\"><path d=\"M 0 -6 L -9 0 L 0 6 M -9 0 L 0 0\" stroke=\"#555555\" stroke-width=\"1.5\" fill=\"none\"/><circle cx=\"-13\" cy=\"0\" r=\"4\" stroke=\"#555555\" stroke-width=\"1.5\" fill=\"#ffffff\"/></marker>
</defs>
";

/// A table's box: its lines of text and its size.
struct TableBox {
    title: String,
    class: String,
    /// `many-to-many: authors ↔ books` lines for an association table.
    notes: Vec<String>,
    rows: Vec<BoxRow>,
    keys_width: f64,
    name_width: f64,
    /// The drawn box; the layout reserves `loop_width` more on the right.
    size: Point,
    /// Self-referencing foreign keys (link indexes), drawn as loops on the right side.
    loops: Vec<usize>,
    loop_width: f64,
}

struct BoxRow {
    keys: String,
    name: String,
    nullable: bool,
    ty: String,
    /// The enum values, wrapped.
    values: Vec<String>,
}

impl TableBox {
    fn new(diagram: &Diagram, idx: usize, entity: &Entity) -> Self {
        let notes: Vec<String> = diagram
            .many_to_many
            .iter()
            .filter(|pair| pair.via == idx)
            .map(|pair| format!("many-to-many: {} \u{2194} {}", diagram.entities[pair.left].table, diagram.entities[pair.right].table))
            .collect();
        let keys_chars = entity.rows.iter().map(|row| row.keys().join(" ").len()).max().unwrap_or(0);
        let name_chars = entity.rows.iter().map(|row| text_width(&row.name)).max().unwrap_or(0);
        let type_chars = entity.rows.iter().map(|row| text_width(&row.ty) + usize::from(row.nullable)).max().unwrap_or(0);
        let keys_width = if keys_chars == 0 { 0.0 } else { count(keys_chars) * CHAR + GAP };
        let name_width = count(name_chars) * CHAR + GAP;
        let content = keys_width + name_width + count(type_chars) * CHAR;
        let header = count(text_width(&entity.table) + 1 + text_width(&entity.class)) * (CHAR + 0.5);
        let notes_width = notes.iter().map(|note| count(text_width(note)) * SMALL_CHAR).fold(0.0, f64::max);
        let inner = content.max(header).max(notes_width);
        // Enum values wrap at the box's width, or at 32 small characters when narrower.
        let wrap = cells((inner - keys_width) / SMALL_CHAR).max(32);
        let rows: Vec<BoxRow> = entity
            .rows
            .iter()
            .map(|row| BoxRow {
                keys: row.keys().join(" "),
                name: row.name.clone(),
                nullable: row.nullable,
                ty: row.ty.clone(),
                values: wrap_values(&row.values, wrap),
            })
            .collect();
        let values_width = rows.iter().flat_map(|row| &row.values).map(|line| count(text_width(line)) * SMALL_CHAR).fold(0.0, f64::max);
        // Enum values are drawn from the name column on.
        let width = inner.max(keys_width + values_width) + 2.0 * PAD;
        let lines = rows.iter().map(|row| ROW + count(row.values.len()) * SMALL_ROW).sum::<f64>();
        let height = HEADER + count(notes.len()) * SMALL_ROW + lines + PAD / 2.0;
        let loops: Vec<usize> =
            diagram.links.iter().enumerate().filter(|(_, link)| link.child == idx && link.parent == idx).map(|(link_idx, _)| link_idx).collect();
        let loop_width = loops
            .iter()
            .enumerate()
            .map(|(nth, &link)| loop_reach(nth) + 4.0 + count(text_width(&diagram.links[link].label)) * SMALL_CHAR)
            .fold(0.0, f64::max)
            .ceil();
        Self {
            title: entity.table.clone(),
            class: entity.class.clone(),
            notes,
            rows,
            keys_width,
            name_width,
            size: Point::new(width.ceil(), height.ceil()),
            loops,
            loop_width,
        }
    }

    /// The size the layout reserves: the box and its self-reference loops.
    fn footprint(&self) -> Point {
        Point::new(self.size.x + self.loop_width, self.size.y)
    }

    /// The vertical middle of a column's first line, from the top of the box.
    fn row_middle(&self, row: usize) -> f64 {
        let above: f64 = self.rows.iter().take(row).map(|row| ROW + count(row.values.len()) * SMALL_ROW).sum();
        HEADER + count(self.notes.len()) * SMALL_ROW + above + ROW / 2.0
    }

    /// Each self-referencing key as a loop from the target row to the key's row.
    fn draw_loops(&self, out: &mut String, diagram: &Diagram, at: Point) {
        for (nth, &link_idx) in self.loops.iter().enumerate() {
            let link = &diagram.links[link_idx];
            let right = at.x + self.size.x;
            let reach = right + loop_reach(nth);
            let (from, to) = (at.y + self.row_middle(link.parent_row), at.y + self.row_middle(link.child_row));
            let (parent_end, child_end) = end_markers(link);
            let _ = writeln!(out, "<g class=\"link\">");
            let _ = writeln!(
                out,
                "<path d=\"M {r} {from} C {reach} {from} {reach} {to} {r} {to}\" fill=\"none\" stroke=\"#555555\" stroke-width=\"1.2\" marker-start=\"url(#{parent_end})\" marker-end=\"url(#{child_end})\"/>",
                r = num(right),
                reach = num(reach),
                from = num(from),
                to = num(to),
            );
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"{SMALL_FONT_SIZE}\" fill=\"#333333\">{}</text>",
                num(right + loop_reach(nth) * 0.75 + 4.0),
                num(f64::midpoint(from, to) + 3.5),
                xml(&link.label)
            );
            out.push_str("</g>\n");
        }
    }

    fn draw(&self, out: &mut String, at: Point) {
        let (x, y) = (at.x, at.y);
        let header = HEADER + count(self.notes.len()) * SMALL_ROW;
        let _ = writeln!(out, "<g class=\"table\" id=\"table-{}\">", xml(&self.title));
        let _ = writeln!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"4\" fill=\"#ffffff\" stroke=\"#4a6fa5\" stroke-width=\"1.5\"/>",
            num(x),
            num(y),
            num(self.size.x),
            num(self.size.y)
        );
        let _ = writeln!(
            out,
            "<path d=\"M {x0} {y1} L {x0} {y0r} Q {x0} {y0} {x0r} {y0} L {x1r} {y0} Q {x1} {y0} {x1} {y0r} L {x1} {y1} Z\" fill=\"#dbe7f5\" stroke=\"none\"/>",
            x0 = num(x + 0.75),
            x1 = num(x + self.size.x - 0.75),
            x0r = num(x + 4.0),
            x1r = num(x + self.size.x - 4.0),
            y0 = num(y + 0.75),
            y0r = num(y + 4.0),
            y1 = num(y + header)
        );
        let _ =
            writeln!(out, "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#4a6fa5\"/>", num(x), num(y + header), num(x + self.size.x), num(y + header));
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\"><tspan font-weight=\"bold\">{}</tspan> <tspan fill=\"#555555\">{}</tspan></text>",
            num(x + PAD),
            num(y + 16.0),
            xml(&self.title),
            xml(&self.class)
        );
        for (idx, note) in self.notes.iter().enumerate() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"{SMALL_FONT_SIZE}\" fill=\"#555555\">{}</text>",
                num(x + PAD),
                num(y + HEADER + count(idx) * SMALL_ROW + 6.0),
                xml(note)
            );
        }
        let mut line_y = y + header;
        for row in &self.rows {
            let baseline = line_y + 13.0;
            if !row.keys.is_empty() {
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\" font-size=\"{SMALL_FONT_SIZE}\" font-weight=\"bold\" fill=\"#a05a00\">{}</text>",
                    num(x + PAD),
                    num(baseline),
                    xml(&row.keys)
                );
            }
            let weight = if row.nullable { "" } else { " font-weight=\"bold\"" };
            let _ = writeln!(out, "<text x=\"{}\" y=\"{}\"{weight}>{}</text>", num(x + PAD + self.keys_width), num(baseline), xml(&row.name));
            let optional = if row.nullable { "?" } else { "" };
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"#2e5d2e\">{}{optional}</text>",
                num(x + PAD + self.keys_width + self.name_width),
                num(baseline),
                xml(&row.ty)
            );
            line_y += ROW;
            for line in &row.values {
                let _ = writeln!(
                    out,
                    "<text x=\"{}\" y=\"{}\" font-size=\"{SMALL_FONT_SIZE}\" fill=\"#555555\">{}</text>",
                    num(x + PAD + self.keys_width),
                    num(line_y + 10.0),
                    xml(line)
                );
                line_y += SMALL_ROW;
            }
        }
        out.push_str("</g>\n");
    }
}

/// How far the `nth` self-reference loop of a table reaches out of its box.
fn loop_reach(nth: usize) -> f64 {
    28.0 + count(nth) * 14.0
}

/// The markers at the parent's and the child's end of a link.
fn end_markers(link: &Link) -> (&'static str, &'static str) {
    (if link.optional { "zero-or-one" } else { "one" }, if link.one_to_one { "zero-or-one" } else { "many" })
}

/// Enum values as `{a | b | c}` lines of at most `width` characters.
fn wrap_values(values: &[String], width: usize) -> Vec<String> {
    if values.is_empty() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let mut line = String::from("{");
    for (idx, value) in values.iter().enumerate() {
        let piece = if idx + 1 == values.len() { format!("{value}}}") } else { format!("{value} | ") };
        if text_width(&line) + text_width(&piece) > width && text_width(&line) > 1 {
            lines.push(line.trim_end().to_owned());
            line = String::from(" ");
        }
        line.push_str(&piece);
    }
    lines.push(line);
    lines
}

/// The width of `text` in monospaced cells: East Asian wide characters take two.
fn text_width(text: &str) -> usize {
    text.chars().map(|character| if is_wide(character) { 2 } else { 1 }).sum()
}

fn is_wide(character: char) -> bool {
    matches!(u32::from(character), 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1_F300..=0x1_F64F | 0x2_0000..=0x3_FFFD)
}

/// Whole cells in a width (positive, a few hundred at most).
#[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a small positive width")]
fn cells(width: f64) -> usize {
    width.max(0.0).floor() as usize
}

/// A count as a coordinate (counts in a diagram are far below 2^52).
#[expect(clippy::cast_precision_loss, reason = "counts of characters and lines are small")]
fn count(value: usize) -> f64 {
    value as f64
}

/// The tables of each connected group (foreign keys joining them), each group in
/// declaration order, groups by their first table.
fn components(diagram: &Diagram) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..diagram.entities.len()).collect();
    for link in &diagram.links {
        let (a, b) = (root(&mut parent, link.child), root(&mut parent, link.parent));
        parent[a.max(b)] = a.min(b);
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of_root = vec![usize::MAX; diagram.entities.len()];
    for table in 0..diagram.entities.len() {
        let top = root(&mut parent, table);
        if group_of_root[top] == usize::MAX {
            group_of_root[top] = groups.len();
            groups.push(Vec::new());
        }
        groups[group_of_root[top]].push(table);
    }
    groups
}

/// The representative of `node`'s set (union-find with path halving).
fn root(parent: &mut [usize], mut node: usize) -> usize {
    while parent[node] != node {
        parent[node] = parent[parent[node]];
        node = parent[node];
    }
    node
}

/// One connected group, laid out: positions relative to `origin`, placed at `offset`.
struct Group {
    tables: Vec<PlacedTable>,
    edges: Vec<PlacedEdge>,
    origin: Point,
    size: Point,
    offset: Point,
}

struct PlacedTable {
    table: usize,
    top_left: Point,
}

/// One foreign key: the path from the parent to its label and from the label to the child.
struct PlacedEdge {
    link: usize,
    to_label: Vec<(Point, Point)>,
    from_label: Vec<(Point, Point)>,
    label_center: Point,
}

impl Group {
    fn lay_out(diagram: &Diagram, boxes: &[TableBox], tables: &[usize]) -> Self {
        let mut graph = VisualGraph::new(Orientation::TopToBottom);
        let mut handles = vec![None; diagram.entities.len()];
        for &table in tables {
            let size = boxes[table].footprint();
            let mut element =
                Element::create_with_properties(ShapeKind::Box(String::new()), StyleAttr::simple(), Orientation::TopToBottom, size, format!("t{table}"));
            element.pos = Position::new(Point::zero(), size, Point::zero(), Point::splat(TABLE_HALO));
            handles[table] = Some(graph.add_node(element));
        }
        for (idx, link) in diagram.links.iter().enumerate() {
            let (Some(parent), Some(child)) = (handles[link.parent], handles[link.child]) else { continue };
            if link.parent == link.child {
                // Drawn as a loop beside the box, whose footprint has room for it.
                continue;
            }
            let size = Point::new(count(text_width(&link.label)) * SMALL_CHAR + 6.0, SMALL_ROW);
            let mut element =
                Element::create_with_properties(ShapeKind::Box(String::new()), StyleAttr::simple(), Orientation::TopToBottom, size, format!("k{idx}"));
            element.pos = Position::new(Point::zero(), size, Point::zero(), Point::splat(LABEL_HALO));
            let label = graph.add_node(element);
            graph.add_edge(Arrow::simple_with_properties("", format!("a{idx}")), parent, label);
            graph.add_edge(Arrow::simple_with_properties("", format!("b{idx}")), label, child);
        }
        let mut recorder = Recorder::default();
        graph.do_it(false, false, false, &mut recorder);
        recorder.into_group(boxes)
    }
}

/// Half of an edge: its link, whether it is the half from the parent, its path.
type Half = (usize, bool, Vec<(Point, Point)>);

impl Group {
    /// A large group: tables in declaration order on a square grid, each key a straight
    /// line between the two boxes' borders (drawn before the boxes, so it passes beneath).
    fn grid(diagram: &Diagram, boxes: &[TableBox], tables: &[usize]) -> Self {
        let columns = (1..=tables.len()).find(|columns| columns * columns >= tables.len()).unwrap_or(1);
        let cell_width = tables.iter().map(|&table| boxes[table].footprint().x).fold(0.0, f64::max) + 2.0 * TABLE_HALO;
        let mut placed = Vec::new();
        let mut position = vec![None; diagram.entities.len()];
        let mut top = 0.0;
        for row in tables.chunks(columns) {
            for (column, &table) in row.iter().enumerate() {
                let top_left = Point::new(count(column) * cell_width, top);
                position[table] = Some(top_left);
                placed.push(PlacedTable { table, top_left });
            }
            top += row.iter().map(|&table| boxes[table].size.y).fold(0.0, f64::max) + 2.0 * TABLE_HALO;
        }
        let mut edges = Vec::new();
        for (link_idx, link) in diagram.links.iter().enumerate() {
            let (Some(parent), Some(child)) = (position[link.parent], position[link.child]) else { continue };
            if link.parent == link.child {
                continue;
            }
            let (parent_box, child_box) = ((parent, boxes[link.parent].size), (child, boxes[link.child].size));
            let from = border_toward(parent_box, center(child_box));
            let to = border_toward(child_box, center(parent_box));
            let middle = Point::new(f64::midpoint(from.x, to.x), f64::midpoint(from.y, to.y));
            edges.push(PlacedEdge { link: link_idx, to_label: straight(from, middle), from_label: straight(middle, to), label_center: middle });
        }
        let width = count(columns) * cell_width;
        Self { tables: placed, edges, origin: Point::zero(), size: Point::new(width, top), offset: Point::zero() }
    }
}

fn center((top_left, size): (Point, Point)) -> Point {
    Point::new(top_left.x + size.x / 2.0, top_left.y + size.y / 2.0)
}

/// Where the line from a box's center toward `target` leaves the box.
fn border_toward(rect: (Point, Point), target: Point) -> Point {
    let middle = center(rect);
    let (dx, dy) = (target.x - middle.x, target.y - middle.y);
    let (half_width, half_height) = (rect.1.x / 2.0, rect.1.y / 2.0);
    let scale_x = if dx.abs() > f64::EPSILON { half_width / dx.abs() } else { f64::INFINITY };
    let scale_y = if dy.abs() > f64::EPSILON { half_height / dy.abs() } else { f64::INFINITY };
    let scale = scale_x.min(scale_y).min(1.0);
    Point::new(middle.x + dx * scale, middle.y + dy * scale)
}

/// A straight line as a recorded cubic path (controls at a third and two thirds).
fn straight(from: Point, to: Point) -> Vec<(Point, Point)> {
    let at = |share: f64| Point::new(from.x + (to.x - from.x) * share, from.y + (to.y - from.y) * share);
    vec![(from, at(1.0 / 3.0)), (at(2.0 / 3.0), to)]
}

/// What the layout drew, by the ids given to its nodes and edges.
#[derive(Default)]
struct Recorder {
    tables: Vec<PlacedTable>,
    /// Label boxes: link index → center.
    labels: Vec<(usize, Point)>,
    /// Edge halves: (link index, first half?, path from parent side to child side).
    halves: Vec<Half>,
}

impl Recorder {
    fn into_group(self, boxes: &[TableBox]) -> Group {
        let mut edges = Vec::new();
        for &(link, center) in &self.labels {
            let half = |first: bool| {
                self.halves.iter().find(|(idx, is_first, _)| *idx == link && *is_first == first).map(|(_, _, path)| path.clone()).unwrap_or_default()
            };
            edges.push(PlacedEdge { link, to_label: half(true), from_label: half(false), label_center: center });
        }
        edges.sort_by_key(|edge| edge.link);
        let mut min = Point::splat(f64::INFINITY);
        let mut max = Point::splat(f64::NEG_INFINITY);
        let mut grow = |point: Point| {
            min = Point::new(min.x.min(point.x), min.y.min(point.y));
            max = Point::new(max.x.max(point.x), max.y.max(point.y));
        };
        for table in &self.tables {
            grow(table.top_left);
            grow(table.top_left.add(boxes[table.table].footprint()));
        }
        for edge in &edges {
            for (a, b) in edge.to_label.iter().chain(&edge.from_label) {
                grow(*a);
                grow(*b);
            }
            grow(edge.label_center);
        }
        Group { tables: self.tables, edges, origin: min, size: max.sub(min), offset: Point::zero() }
    }
}

impl RenderBackend for Recorder {
    fn draw_rect(&mut self, xy: Point, size: Point, _look: &StyleAttr, properties: Option<String>, _clip: Option<ClipHandle>) {
        let Some(properties) = properties else { return };
        if let Some(table) = properties.strip_prefix('t').and_then(|id| id.parse().ok()) {
            self.tables.push(PlacedTable { table, top_left: xy });
        } else if let Some(link) = properties.strip_prefix('k').and_then(|id| id.parse().ok()) {
            self.labels.push((link, Point::new(xy.x + size.x / 2.0, xy.y + size.y / 2.0)));
        }
    }

    fn draw_line(&mut self, _start: Point, _stop: Point, _look: &StyleAttr, _properties: Option<String>) {}

    fn draw_circle(&mut self, _xy: Point, _size: Point, _look: &StyleAttr, _properties: Option<String>) {}

    fn draw_text(&mut self, _xy: Point, _text: &str, _look: &StyleAttr) {}

    fn draw_arrow(&mut self, path: &[(Point, Point)], _dashed: bool, head: (bool, bool), _look: &StyleAttr, properties: Option<String>, _text: &str) {
        let Some(properties) = properties else { return };
        let (first, id) = match properties.split_at_checked(1) {
            Some(("a", id)) => (true, id),
            Some(("b", id)) => (false, id),
            _ => return,
        };
        let Ok(link) = id.parse() else { return };
        // An edge the layout turned around to break a cycle arrives with its head at
        // the start: turn the path back so that every half runs parent → child.
        let path = if head.0 && !head.1 { reverse(path) } else { path.to_vec() };
        self.halves.push((link, first, path));
    }

    fn create_clip(&mut self, _xy: Point, _size: Point, _rounded_px: usize) -> ClipHandle {
        0
    }
}

/// The same cubic path, run backwards. Points are `[(start, control), (control, end)…]`.
fn reverse(path: &[(Point, Point)]) -> Vec<(Point, Point)> {
    // As a list of points: start, c1, c2, p1, c2', p2… with `S` mirroring; rebuild it
    // as explicit cubic segments and reverse each.
    let segments = segments(path);
    let mut reversed: Vec<(Point, Point, Point, Point)> = segments.into_iter().rev().map(|(p0, c1, c2, p1)| (p1, c2, c1, p0)).collect();
    // Back to the crate's form: the first segment's start and first control, then for
    // each segment its second control and end. `S` would mirror the previous control,
    // so explicit segments are kept by writing them with `C` (see `path_data`).
    let mut out = Vec::new();
    for (idx, (p0, c1, c2, p1)) in reversed.drain(..).enumerate() {
        if idx == 0 {
            out.push((p0, c1));
        }
        out.push((c2, p1));
    }
    out
}

/// Explicit cubic segments `(start, control 1, control 2, end)` of a recorded path.
fn segments(path: &[(Point, Point)]) -> Vec<(Point, Point, Point, Point)> {
    let mut segments = Vec::new();
    let Some(&(mut start, mut control)) = path.first() else { return segments };
    for &(control_2, end) in path.iter().skip(1) {
        segments.push((start, control, control_2, end));
        // `S`: the next first control mirrors this second control around the end.
        control = Point::new(2.0 * end.x - control_2.x, 2.0 * end.y - control_2.y);
        start = end;
    }
    segments
}

/// SVG path data for a recorded path, as explicit cubic segments.
fn path_data(path: &[(Point, Point)], shift: Point) -> String {
    let mut data = String::new();
    for (idx, (p0, c1, c2, p1)) in segments(path).into_iter().enumerate() {
        if idx == 0 {
            let _ = write!(data, "M {} {} ", num(p0.x + shift.x), num(p0.y + shift.y));
        }
        let _ = write!(
            data,
            "C {} {} {} {} {} {} ",
            num(c1.x + shift.x),
            num(c1.y + shift.y),
            num(c2.x + shift.x),
            num(c2.y + shift.y),
            num(p1.x + shift.x),
            num(p1.y + shift.y)
        );
    }
    data.trim_end().to_owned()
}

fn draw_edge(out: &mut String, diagram: &Diagram, edge: &PlacedEdge, shift: Point) {
    let link: &Link = &diagram.links[edge.link];
    let (parent_end, child_end) = end_markers(link);
    let _ = writeln!(out, "<g class=\"link\">");
    if !edge.to_label.is_empty() {
        let _ = writeln!(
            out,
            "<path d=\"{}\" fill=\"none\" stroke=\"#555555\" stroke-width=\"1.2\" marker-start=\"url(#{parent_end})\"/>",
            path_data(&edge.to_label, shift)
        );
    }
    if !edge.from_label.is_empty() {
        let _ = writeln!(
            out,
            "<path d=\"{}\" fill=\"none\" stroke=\"#555555\" stroke-width=\"1.2\" marker-end=\"url(#{child_end})\"/>",
            path_data(&edge.from_label, shift)
        );
    }
    let center = edge.label_center.add(shift);
    let _ = writeln!(
        out,
        "<text x=\"{}\" y=\"{}\" font-size=\"{SMALL_FONT_SIZE}\" fill=\"#333333\" text-anchor=\"middle\">{}</text>",
        num(center.x),
        num(center.y + 3.5),
        xml(&link.label)
    );
    out.push_str("</g>\n");
}

/// Places the groups in rows, tallest first, the rows about as wide as the whole
/// picture is tall.
fn pack(groups: &mut [Group]) {
    let area: f64 = groups.iter().map(|group| (group.size.x + GROUP_GAP) * (group.size.y + GROUP_GAP)).sum();
    let widest = groups.iter().map(|group| group.size.x).fold(0.0, f64::max);
    let row_width = widest.max((area * 1.5).sqrt());
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| groups[b].size.y.total_cmp(&groups[a].size.y).then(a.cmp(&b)));
    let (mut x, mut y, mut row_height) = (0.0_f64, 0.0_f64, 0.0_f64);
    for idx in order {
        let group = &mut groups[idx];
        if x > 0.0 && x + group.size.x > row_width {
            x = 0.0;
            y += row_height + GROUP_GAP;
            row_height = 0.0;
        }
        group.offset = Point::new(x, y);
        x += group.size.x + GROUP_GAP;
        row_height = row_height.max(group.size.y);
    }
}

/// A coordinate with at most one decimal, without a trailing `.0`.
fn num(value: f64) -> String {
    // Adding 0.0 turns -0.0 into 0.0.
    let text = format!("{:.1}", (value * 10.0).round() / 10.0 + 0.0);
    match text.strip_suffix(".0") {
        Some(whole) => whole.to_owned(),
        None => text,
    }
}

/// Text as XML character data or attribute value: markup escaped, and characters XML
/// cannot carry (most controls, U+FFFE, U+FFFF) replaced.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(' '),
            character if character.is_control() || matches!(character, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            character => out.push(character),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(xml("<a href=\"x\">&'\u{1}\u{FFFF}"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn values_wrap_at_the_width() {
        let values: Vec<String> = ["draft", "published", "archived"].iter().map(|value| (*value).to_owned()).collect();
        assert_eq!(wrap_values(&values, 80), ["{draft | published | archived}"]);
        assert_eq!(wrap_values(&values, 18), ["{draft |", " published |", " archived}"]);
        assert_eq!(text_width("完了"), 4);
    }

    #[test]
    fn a_reversed_path_runs_the_other_way() {
        let path = [(Point::new(0.0, 0.0), Point::new(0.0, 10.0)), (Point::new(10.0, 10.0), Point::new(10.0, 20.0))];
        let back = reverse(&path);
        assert_eq!(segments(&back).first().map(|segment| (segment.0.x, segment.0.y, segment.3.x, segment.3.y)), Some((10.0, 20.0, 0.0, 0.0)));
    }
}
