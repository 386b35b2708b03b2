//! The pathway diagram: the network drawn left to right, from sources to exits, as one SVG.
//!
//! Laid out in layers, as Sugiyama et al. do: each node stands in its column; a route that spans
//! several columns passes a waypoint in each column between, so that it runs between the boxes
//! rather than through them; the order within each column is swept by barycentres (each item
//! sorted by the mean place of its neighbours in the column before, then after) to reduce
//! crossings; then each item is pulled towards its neighbours' heights and the column spread
//! where items would overlap. A route back to an earlier column (a readmission) is laid out as if
//! it ran forwards and drawn dashed, its arrow pointing back.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::html::{escape, percent};
use super::view::{NodeRole, Pathway, PathwayNode};

/// The size of all text, in the SVG's units. The diagram is scaled to the page's width; at about
/// 1,250 units wide (eight columns) on a landscape A4 page this prints at 10 px.
const FONT_SIZE: f64 = 12.5;
/// The height of a line of text.
const LINE_HEIGHT: f64 = 15.0;
/// A box's width.
const BOX_WIDTH: f64 = 104.0;
/// The characters of a label that fit on one line of a box.
const LINE_CHARACTERS: usize = 13;
/// The most lines a label may take in a box.
const MAX_LABEL_LINES: usize = 3;
/// The space inside a box around its text.
const BOX_PADDING: f64 = 6.0;
/// The space between columns, where routes bend and their percentages stand.
const COLUMN_GAP: f64 = 54.0;
/// The least space between two items of a column.
const ITEM_GAP: f64 = 14.0;
/// The distance above the end of a route on a box's side where a percentage stands beside it:
/// more than a line of text, so that percentages do not overlap.
const PORT_PITCH: f64 = 15.0;
/// The distance above the end of a route without a percentage beside it.
const TIGHT_PORT_PITCH: f64 = 6.0;
/// The space around the drawing.
const MARGIN: f64 = 16.0;
/// How far a route between two boxes of one column swings out to the right.
const LOOP_REACH: f64 = 40.0;
/// The space between a box and a percentage beside it.
const LABEL_OFFSET: f64 = 3.0;
/// An arrowhead's length.
const ARROW_LENGTH: f64 = 8.0;
/// Barycentre sweeps over the columns (each one down and back up).
const ORDER_SWEEPS: usize = 4;
/// Passes pulling items towards their neighbours' heights.
const HEIGHT_PASSES: usize = 8;

/// Okabe-Ito colours, safe for colour-blind readers; each role also has its own shape of box.
const SOURCE_COLOUR: &str = "#0072B2";
const SERVICE_COLOUR: &str = "#E69F00";
const EXIT_COLOUR: &str = "#009E73";
const BACK_COLOUR: &str = "#D55E00";
const ROUTE_COLOUR: &str = "#555555";

/// Where the diagram puts each node and route, in the SVG's units (y downwards).
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// The drawing's width.
    pub width: f64,
    /// The drawing's height.
    pub height: f64,
    /// One box for each node of the pathway, in the nodes' order.
    pub boxes: Vec<NodeBox>,
    /// One line for each route drawn (a route naming a node that does not exist is left out).
    pub routes: Vec<RouteLine>,
}

/// A node's box.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    /// The left edge.
    pub x: f64,
    /// The top edge.
    pub y: f64,
    /// The width.
    pub width: f64,
    /// The height.
    pub height: f64,
    /// The label, wrapped to the box.
    pub lines: Vec<String>,
}

impl NodeBox {
    fn right(&self) -> f64 {
        self.x + self.width
    }

    fn bottom(&self) -> f64 {
        self.y + self.height
    }

    /// Whether two boxes share any area.
    pub fn overlaps(&self, other: &NodeBox) -> bool {
        self.x < other.right() && other.x < self.right() && self.y < other.bottom() && other.y < self.bottom()
    }
}

/// Which way a route runs across the columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// To a later column.
    Forward,
    /// Back to an earlier column.
    Back,
    /// To a node of its own column (or itself): out of the right side and back into it.
    Within,
}

/// A route as drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteLine {
    /// The route (an index into [`Pathway::routes`]).
    pub route: usize,
    /// Which way it runs.
    pub direction: Direction,
    /// The points it passes, from the node it leaves to the node it reaches: its ends on the
    /// boxes' sides, and the waypoints between (each a pair, where it crosses a column).
    pub points: Vec<(f64, f64)>,
    /// Its percentage, where the probability is known: text and where its baseline starts.
    pub label: Option<RouteLabel>,
}

/// A route's percentage.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteLabel {
    /// The text (`46%`).
    pub text: String,
    /// The middle of its baseline.
    pub x: f64,
    /// Its baseline.
    pub y: f64,
}

impl RouteLabel {
    /// Roughly the space the text takes: (left, top, right, bottom).
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        let half = text_width(&self.text) / 2.0;
        (
            self.x - half,
            self.y - FONT_SIZE * 0.8,
            self.x + half,
            self.y + FONT_SIZE * 0.2,
        )
    }
}

/// An item of a column: a node, or a route's waypoint through the column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Item {
    Node(usize),
    Waypoint { chain: usize, step: usize },
}

/// A route laid out forwards: from the node on its left to the node on its right, through a
/// waypoint in each column between.
struct Chain {
    route: usize,
    direction: Direction,
    left: usize,
    right: usize,
    /// The columns between its ends, where it passes a waypoint.
    waypoints: Vec<usize>,
}

/// The columns: each item's column and place, kept in step.
struct Columns {
    items: Vec<Vec<Item>>,
    heights: Vec<Vec<f64>>,
    tops: Vec<Vec<f64>>,
}

/// The network as an SVG diagram laid out left to right from sources to exits.
pub fn diagram(pathway: &Pathway) -> String {
    draw(pathway, &layout(pathway))
}

/// The SVG of `pathway` laid out as `layout` (which [`layout`] made of it).
pub fn draw(pathway: &Pathway, layout: &Layout) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="pathway" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" role="img" aria-label="{label}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="{FONT_SIZE}">"#,
        w = layout.width,
        h = layout.height,
        label = escape(&description(pathway)),
    );
    let _ = write!(
        svg,
        r#"<defs>{}{}</defs>"#,
        arrowhead("pathway-arrow", ROUTE_COLOUR),
        arrowhead("pathway-arrow-back", BACK_COLOUR)
    );
    key(&mut svg);
    let label = |node: usize| pathway.nodes.get(node).map_or("", |node| node.label.as_str());
    for line in &layout.routes {
        let Some(route) = pathway.routes.get(line.route) else {
            continue;
        };
        let probability = route.probability.filter(|p| p.is_finite());
        let width = probability.map_or(1.5, |p| 1.0 + 3.0 * p.clamp(0.0, 1.0));
        let (colour, dash, marker) = line_style(line.direction);
        let _ = write!(
            svg,
            r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="{width:.1}"{dash} marker-end="url(#{marker})"><title>{} to {}{}</title></path>"#,
            path_data(line),
            escape(label(route.from)),
            escape(label(route.to)),
            probability.map(|p| format!(": {}", percent(p))).unwrap_or_default(),
        );
    }
    for (node, node_box) in pathway.nodes.iter().zip(&layout.boxes) {
        draw_node(&mut svg, node, node_box);
    }
    for label in layout.routes.iter().filter_map(|line| line.label.as_ref()) {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#222" stroke="#fff" stroke-width="3" paint-order="stroke">{}</text>"##,
            label.x,
            label.y,
            escape(&label.text)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// What the diagram shows, for readers who cannot see it.
fn description(pathway: &Pathway) -> String {
    let count = |role| pathway.nodes.iter().filter(|node| node.role == role).count();
    format!(
        "The pathway: {} sources, {} services and {} exits joined by {} routes, drawn left to right",
        count(NodeRole::Source),
        count(NodeRole::Service),
        count(NodeRole::Exit),
        pathway.routes.len()
    )
}

fn arrowhead(id: &str, colour: &str) -> String {
    format!(
        r#"<marker id="{id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="{ARROW_LENGTH}" markerHeight="{ARROW_LENGTH}" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
    )
}

/// How a node's role looks: colours and the rounding of its corners, so that roles differ in
/// shape as well as colour.
fn style(role: NodeRole, height: f64) -> (&'static str, &'static str, f64) {
    match role {
        NodeRole::Source => (SOURCE_COLOUR, "#DCEBF7", 0.0),
        NodeRole::Service => (SERVICE_COLOUR, "#FDF0D5", 6.0),
        NodeRole::Exit => (EXIT_COLOUR, "#D9F0E8", (height / 2.0).min(18.0)),
    }
}

/// What a box says under its label: a service's places (or the staff whose time they are), or
/// the patients a year through a source or an exit where counted.
fn detail(node: &PathwayNode) -> Option<String> {
    match node.role {
        NodeRole::Service => Some(match (node.capacity.filter(|c| c.is_finite()), &node.staffed_by) {
            (Some(places), _) => format!("{} places", super::html::number(Some(places))),
            (None, Some(staff)) => staff.clone(),
            (None, None) => "unlimited".to_owned(),
        }),
        NodeRole::Source | NodeRole::Exit => node
            .per_year
            .filter(|n| n.is_finite())
            .map(|n| format!("{} a year", super::html::number(Some(n)))),
    }
}

fn draw_node(svg: &mut String, node: &PathwayNode, node_box: &NodeBox) {
    let (stroke, fill, radius) = style(node.role, node_box.height);
    let detail = detail(node);
    let _ = write!(
        svg,
        r#"<g><title>{}</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="{radius:.1}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>"#,
        escape(&node.label),
        node_box.x,
        node_box.y,
        node_box.width,
        node_box.height,
    );
    let text_lines = node_box.lines.len() + usize::from(detail.is_some());
    let centre_x = node_box.x + node_box.width / 2.0;
    let first_baseline = node_box.y + (node_box.height - text_lines as f64 * LINE_HEIGHT) / 2.0 + LINE_HEIGHT * 0.8;
    for (index, line) in node_box.lines.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{centre_x:.1}" y="{:.1}" text-anchor="middle" font-weight="600">{}</text>"#,
            first_baseline + index as f64 * LINE_HEIGHT,
            escape(line)
        );
    }
    if let Some(detail) = detail {
        let _ = write!(
            svg,
            r##"<text x="{centre_x:.1}" y="{:.1}" text-anchor="middle" fill="#333">{}</text>"##,
            first_baseline + node_box.lines.len() as f64 * LINE_HEIGHT,
            escape(&detail)
        );
    }
    svg.push_str("</g>");
}

/// What the key at the top shows: the three kinds of box and the two kinds of line.
#[derive(Clone, Copy)]
enum KeyEntry {
    Node(NodeRole, &'static str),
    Line(Direction, &'static str),
}

const KEY: [KeyEntry; 5] = [
    KeyEntry::Node(NodeRole::Source, "Source"),
    KeyEntry::Node(NodeRole::Service, "Service"),
    KeyEntry::Node(NodeRole::Exit, "Exit"),
    KeyEntry::Line(Direction::Forward, "route, % of those leaving"),
    KeyEntry::Line(Direction::Back, "back to an earlier step"),
];

/// Where each entry of the key starts, and the width the key needs (a narrow diagram widens to
/// hold it).
fn key_places() -> ([f64; 5], f64) {
    let mut x = MARGIN;
    let places = KEY.map(|entry| {
        let start = x;
        let (KeyEntry::Node(_, name) | KeyEntry::Line(_, name)) = entry;
        x += KEY_SYMBOL_WIDTH + text_width(name) + 18.0;
        start
    });
    (places, x + MARGIN)
}

/// The room a key entry's symbol takes before its name.
const KEY_SYMBOL_WIDTH: f64 = 36.0;

fn key(svg: &mut String) {
    let y = MARGIN;
    for (entry, x) in KEY.iter().zip(key_places().0) {
        let name_x = x + KEY_SYMBOL_WIDTH;
        let name = match *entry {
            KeyEntry::Node(role, name) => {
                let (stroke, fill, radius) = style(role, 16.0);
                let _ = write!(
                    svg,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="28" height="16" rx="{radius:.1}" fill="{fill}" stroke="{stroke}" stroke-width="2"/>"#
                );
                name
            }
            KeyEntry::Line(direction, name) => {
                let (colour, dash, marker) = line_style(direction);
                let _ = write!(
                    svg,
                    r#"<path d="M{x:.1},{:.1} h30" stroke="{colour}" stroke-width="2"{dash} marker-end="url(#{marker})"/>"#,
                    y + 8.0
                );
                name
            }
        };
        let _ = write!(svg, r#"<text x="{name_x:.1}" y="{:.1}">{name}</text>"#, y + 12.5);
    }
}

/// How a route's line looks: its colour, dashes, and arrowhead's id.
fn line_style(direction: Direction) -> (&'static str, &'static str, &'static str) {
    match direction {
        Direction::Back => (BACK_COLOUR, r#" stroke-dasharray="6 4""#, "pathway-arrow-back"),
        Direction::Forward | Direction::Within => (ROUTE_COLOUR, "", "pathway-arrow"),
    }
}

/// Roughly how wide a text is at the diagram's size: a generous average character, as wide as
/// DejaVu Sans's digits (the sans-serif font where no system font is found).
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * FONT_SIZE * 0.62
}

/// The path through a route's points: straight across a column, a curve leaving and reaching
/// each side level; a route within a column swings out to the right and back.
fn path_data(line: &RouteLine) -> String {
    let Some(&(start_x, start_y)) = line.points.first() else {
        return String::new();
    };
    let mut data = format!("M{start_x:.1},{start_y:.1}");
    if line.direction == Direction::Within {
        if let Some(&(end_x, end_y)) = line.points.last() {
            let reach = start_x.max(end_x) + LOOP_REACH;
            let _ = write!(
                data,
                " C{reach:.1},{start_y:.1} {reach:.1},{end_y:.1} {end_x:.1},{end_y:.1}"
            );
        }
        return data;
    }
    for pair in line.points.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if (y1 - y0).abs() < 0.05 {
            let _ = write!(data, " L{x1:.1},{y1:.1}");
        } else {
            let middle = (x0 + x1) / 2.0;
            let _ = write!(data, " C{middle:.1},{y0:.1} {middle:.1},{y1:.1} {x1:.1},{y1:.1}");
        }
    }
    data
}

/// A label broken into lines of a box's width at spaces (a word longer than a line is cut), the
/// last line ending in `…` where it does not all fit.
fn wrap(label: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in label.split_whitespace() {
        let mut word: String = word.to_owned();
        while word.chars().count() > LINE_CHARACTERS {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            let head: String = word.chars().take(LINE_CHARACTERS - 1).collect();
            word = word.chars().skip(LINE_CHARACTERS - 1).collect();
            lines.push(format!("{head}-"));
        }
        if current.is_empty() {
            current = word;
        } else if current.chars().count() + 1 + word.chars().count() <= LINE_CHARACTERS {
            current.push(' ');
            current.push_str(&word);
        } else {
            lines.push(std::mem::replace(&mut current, word));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > MAX_LABEL_LINES {
        lines.truncate(MAX_LABEL_LINES);
        let last = &mut lines[MAX_LABEL_LINES - 1];
        let kept: String = last.chars().take(LINE_CHARACTERS - 1).collect();
        *last = format!("{}…", kept.trim_end_matches(['-', ' ']));
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// Where each node and route goes: columns, order within them, heights, and the ends of routes.
pub fn layout(pathway: &Pathway) -> Layout {
    let nodes = &pathway.nodes;
    let column_of = compact_columns(nodes);
    let column_count = column_of.iter().max().map_or(0, |&last| last + 1);

    let chains = chains(pathway, &column_of);
    let mut items: Vec<Vec<Item>> = vec![Vec::new(); column_count];
    for (node, &column) in column_of.iter().enumerate() {
        items[column].push(Item::Node(node));
    }
    for (chain_index, chain) in chains.iter().enumerate() {
        for (step, &column) in chain.waypoints.iter().enumerate() {
            items[column].push(Item::Waypoint {
                chain: chain_index,
                step,
            });
        }
    }
    let links = links(&chains);
    order(&mut items, &links);

    let lines: Vec<Vec<String>> = nodes.iter().map(|node| wrap(&node.label)).collect();
    let ports = port_extents(pathway, &chains);
    let node_height = |node: usize| {
        let text_lines = lines[node].len() + usize::from(detail(&nodes[node]).is_some());
        let text = text_lines as f64 * LINE_HEIGHT + 2.0 * BOX_PADDING;
        let [left, right] = ports[node];
        text.max(left.max(right) + PORT_PITCH)
    };
    let heights: Vec<Vec<f64>> = items
        .iter()
        .map(|column| {
            column
                .iter()
                .map(|item| match *item {
                    Item::Node(node) => node_height(node),
                    Item::Waypoint { .. } => 0.0,
                })
                .collect()
        })
        .collect();
    let mut columns = Columns {
        tops: vec![Vec::new(); column_count],
        items,
        heights,
    };
    place_heights(&mut columns, &links);

    let top = MARGIN + 16.0 + 2.0 * MARGIN;
    let lowest = columns.tops.iter().flatten().copied().fold(f64::INFINITY, f64::min);
    let shift = if lowest.is_finite() { top - lowest } else { 0.0 };
    let column_x = |column: usize| MARGIN + column as f64 * (BOX_WIDTH + COLUMN_GAP);

    let mut boxes: Vec<NodeBox> = lines
        .into_iter()
        .map(|lines| NodeBox {
            x: 0.0,
            y: 0.0,
            width: BOX_WIDTH,
            height: 0.0,
            lines,
        })
        .collect();
    let mut waypoints: Vec<Vec<(f64, f64, f64)>> = chains
        .iter()
        .map(|c| vec![(0.0, 0.0, 0.0); c.waypoints.len()])
        .collect();
    for (column, column_items) in columns.items.iter().enumerate() {
        for (place, item) in column_items.iter().enumerate() {
            let y = columns.tops[column][place] + shift;
            match *item {
                Item::Node(node) => {
                    let node_box = &mut boxes[node];
                    node_box.x = column_x(column);
                    node_box.y = y;
                    node_box.height = columns.heights[column][place];
                }
                Item::Waypoint { chain, step } => {
                    waypoints[chain][step] = (column_x(column), column_x(column) + BOX_WIDTH, y);
                }
            }
        }
    }

    let mut routes = route_lines(pathway, &chains, &boxes, &waypoints);
    place_labels(pathway, &mut routes, &boxes);
    // A route within a column swings out past its boxes, beyond the drawing in the last column.
    let loops = chains
        .iter()
        .filter(|chain| chain.direction == Direction::Within)
        .map(|chain| boxes[chain.left].right() + LOOP_REACH);
    let right = boxes.iter().map(NodeBox::right).chain(loops).fold(0.0, f64::max);
    let bottom = boxes.iter().map(NodeBox::bottom).fold(top, f64::max);
    let waypoint_bottom = waypoints.iter().flatten().map(|&(_, _, y)| y).fold(bottom, f64::max);
    Layout {
        width: (right + MARGIN).max(key_places().1),
        height: waypoint_bottom + MARGIN,
        boxes,
        routes,
    }
}

/// Each node's column, numbered from 0 without gaps (the view's columns may skip numbers).
fn compact_columns(nodes: &[PathwayNode]) -> Vec<usize> {
    let mut used: Vec<u32> = nodes.iter().map(|node| node.column).collect();
    used.sort_unstable();
    used.dedup();
    nodes
        .iter()
        .map(|node| used.binary_search(&node.column).unwrap_or(0))
        .collect()
}

/// The routes that can be drawn, each laid out forwards through the columns between its ends.
fn chains(pathway: &Pathway, column_of: &[usize]) -> Vec<Chain> {
    let node_count = pathway.nodes.len();
    pathway
        .routes
        .iter()
        .enumerate()
        .filter(|(_, route)| route.from < node_count && route.to < node_count)
        .map(|(index, route)| {
            let (from_column, to_column) = (column_of[route.from], column_of[route.to]);
            let (direction, left, right) = match from_column.cmp(&to_column) {
                std::cmp::Ordering::Less => (Direction::Forward, route.from, route.to),
                std::cmp::Ordering::Greater => (Direction::Back, route.to, route.from),
                std::cmp::Ordering::Equal => (Direction::Within, route.from, route.to),
            };
            let waypoints = if direction == Direction::Within {
                Vec::new()
            } else {
                (column_of[left] + 1..column_of[right]).collect()
            };
            Chain {
                route: index,
                direction,
                left,
                right,
                waypoints,
            }
        })
        .collect()
}

/// The links between items of neighbouring columns, each as (left item, right item).
fn links(chains: &[Chain]) -> Vec<(Item, Item)> {
    let mut links = Vec::new();
    for (chain_index, chain) in chains.iter().enumerate() {
        if chain.direction == Direction::Within {
            continue;
        }
        let mut previous = Item::Node(chain.left);
        for step in 0..chain.waypoints.len() {
            let waypoint = Item::Waypoint {
                chain: chain_index,
                step,
            };
            links.push((previous, waypoint));
            previous = waypoint;
        }
        links.push((previous, Item::Node(chain.right)));
    }
    links
}

/// The room the end of a route takes on a box's side: a line of text where the route's
/// percentage stands beside it (where it leaves a box to the right), less elsewhere.
fn port_pitch(pathway: &Pathway, chain: &Chain, is_left_end: bool) -> f64 {
    let labelled = is_left_end
        && chain.direction != Direction::Back
        && pathway.routes[chain.route].probability.is_some_and(f64::is_finite);
    if labelled {
        PORT_PITCH
    } else {
        TIGHT_PORT_PITCH
    }
}

/// The room the ends of routes take on each node's left side and right side.
fn port_extents(pathway: &Pathway, chains: &[Chain]) -> Vec<[f64; 2]> {
    let mut extents = vec![[0.0, 0.0]; pathway.nodes.len()];
    for chain in chains {
        extents[chain.left][1] += port_pitch(pathway, chain, true);
        let side = usize::from(chain.direction == Direction::Within);
        extents[chain.right][side] += port_pitch(pathway, chain, false);
    }
    extents
}

/// Each item's place in a column, indexed by item.
/// Where the items linked to `item` lie in `column`, by `positions` (an item's column and place).
fn neighbours_in(
    links: &[(Item, Item)],
    item: Item,
    positions: &HashMap<Item, (usize, f64)>,
    column: usize,
) -> Vec<f64> {
    links
        .iter()
        .filter_map(|&(left, right)| {
            let other = if right == item {
                left
            } else if left == item {
                right
            } else {
                return None;
            };
            positions
                .get(&other)
                .filter(|(c, _)| *c == column)
                .map(|&(_, position)| position)
        })
        .collect()
}

fn places(items: &[Vec<Item>]) -> HashMap<Item, (usize, f64)> {
    let mut places = HashMap::new();
    for (column, column_items) in items.iter().enumerate() {
        let count = column_items.len().max(1) as f64;
        for (place, item) in column_items.iter().enumerate() {
            places.insert(*item, (column, place as f64 / count));
        }
    }
    places
}

/// Orders each column by barycentres, sweeping right then left, and keeps the order with the
/// fewest crossings.
fn order(items: &mut [Vec<Item>], links: &[(Item, Item)]) {
    let mut best = items.to_vec();
    let mut fewest = crossings(items, links);
    for sweep in 0..ORDER_SWEEPS * 2 {
        let rightwards = sweep % 2 == 0;
        let columns: Vec<usize> = if rightwards {
            (1..items.len()).collect()
        } else {
            (0..items.len().saturating_sub(1)).rev().collect()
        };
        for column in columns {
            let placed = places(items);
            let neighbour_column = if rightwards { column - 1 } else { column + 1 };
            let key = |item: &Item| {
                let neighbours = neighbours_in(links, *item, &placed, neighbour_column);
                if neighbours.is_empty() {
                    placed.get(item).map_or(0.0, |&(_, p)| p)
                } else {
                    neighbours.iter().sum::<f64>() / neighbours.len() as f64
                }
            };
            let mut keyed: Vec<(f64, Item)> = items[column].iter().map(|item| (key(item), *item)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
            items[column] = keyed.into_iter().map(|(_, item)| item).collect();
        }
        let count = crossings(items, links);
        if count < fewest {
            fewest = count;
            best = items.to_vec();
        }
    }
    items.clone_from_slice(&best);
}

/// How many pairs of links between neighbouring columns cross.
fn crossings(items: &[Vec<Item>], links: &[(Item, Item)]) -> usize {
    let placed = places(items);
    let ends: Vec<(usize, f64, f64)> = links
        .iter()
        .filter_map(|(left, right)| {
            let (column, left_place) = *placed.get(left)?;
            let (_, right_place) = *placed.get(right)?;
            Some((column, left_place, right_place))
        })
        .collect();
    let mut count = 0;
    for (index, a) in ends.iter().enumerate() {
        for b in &ends[index + 1..] {
            if a.0 == b.0 && (a.1 - b.1) * (a.2 - b.2) < 0.0 {
                count += 1;
            }
        }
    }
    count
}

/// Sets each item's top: stacked first, then pulled towards the mean height of its neighbours in
/// the column before (or after), with the column spread where items would overlap.
fn place_heights(columns: &mut Columns, links: &[(Item, Item)]) {
    for (column, heights) in columns.heights.iter().enumerate() {
        let mut top = 0.0;
        columns.tops[column] = heights
            .iter()
            .map(|height| {
                let this = top;
                top += height + ITEM_GAP;
                this
            })
            .collect();
    }
    for pass in 0..HEIGHT_PASSES {
        let rightwards = pass % 2 == 0;
        let order: Vec<usize> = if rightwards {
            (1..columns.items.len()).collect()
        } else {
            (0..columns.items.len().saturating_sub(1)).rev().collect()
        };
        for column in order {
            let centres = centres(columns);
            let neighbour_column = if rightwards { column - 1 } else { column + 1 };
            let wanted: Vec<f64> = columns.items[column]
                .iter()
                .enumerate()
                .map(|(place, item)| {
                    let neighbours = neighbours_in(links, *item, &centres, neighbour_column);
                    let height = columns.heights[column][place];
                    if neighbours.is_empty() {
                        columns.tops[column][place]
                    } else {
                        neighbours.iter().sum::<f64>() / neighbours.len() as f64 - height / 2.0
                    }
                })
                .collect();
            columns.tops[column] = spread(&wanted, &columns.heights[column]);
        }
    }
}

/// Each item's column and the height of its middle.
fn centres(columns: &Columns) -> HashMap<Item, (usize, f64)> {
    let mut centres = HashMap::new();
    for (column, items) in columns.items.iter().enumerate() {
        for (place, item) in items.iter().enumerate() {
            centres.insert(
                *item,
                (
                    column,
                    columns.tops[column][place] + columns.heights[column][place] / 2.0,
                ),
            );
        }
    }
    centres
}

/// The tops nearest to `wanted` (least squares) that keep the items in order with [`ITEM_GAP`]
/// between them: items that would overlap are merged into blocks placed at their members' mean
/// wish (pool adjacent violators).
fn spread(wanted: &[f64], heights: &[f64]) -> Vec<f64> {
    struct Block {
        first: usize,
        count: usize,
        wish_sum: f64,
        height: f64,
    }
    let mut blocks: Vec<Block> = Vec::new();
    for (index, (&wish, &height)) in wanted.iter().zip(heights).enumerate() {
        let mut block = Block {
            first: index,
            count: 1,
            wish_sum: wish,
            height,
        };
        while let Some(previous) = blocks.last() {
            let previous_top = previous.wish_sum / previous.count as f64;
            let block_top = block.wish_sum / block.count as f64;
            if previous_top + previous.height + ITEM_GAP <= block_top {
                break;
            }
            let offset = previous.height + ITEM_GAP;
            block = Block {
                first: previous.first,
                count: previous.count + block.count,
                wish_sum: previous.wish_sum + block.wish_sum - offset * block.count as f64,
                height: offset + block.height,
            };
            blocks.pop();
        }
        blocks.push(block);
    }
    let mut tops = vec![0.0; wanted.len()];
    for block in blocks {
        let mut top = block.wish_sum / block.count as f64;
        for index in block.first..block.first + block.count {
            tops[index] = top;
            top += heights[index] + ITEM_GAP;
        }
    }
    tops
}

/// Each route's ends on its boxes' sides (spread down the side in the order of where the route
/// goes next, so that routes leaving one box do not cross at it) and its waypoints.
fn route_lines(
    pathway: &Pathway,
    chains: &[Chain],
    boxes: &[NodeBox],
    waypoints: &[Vec<(f64, f64, f64)>],
) -> Vec<RouteLine> {
    let centre = |node: usize| boxes[node].y + boxes[node].height / 2.0;
    // (chain, whether the end is the chain's left node) for each node side, with the height the
    // route heads for from there.
    let mut sides: Vec<[Vec<(f64, usize, bool)>; 2]> = vec![[Vec::new(), Vec::new()]; boxes.len()];
    for (index, chain) in chains.iter().enumerate() {
        let after_left = waypoints[index].first().map_or(centre(chain.right), |&(_, _, y)| y);
        let before_right = waypoints[index].last().map_or(centre(chain.left), |&(_, _, y)| y);
        sides[chain.left][1].push((after_left, index, true));
        let right_side = usize::from(chain.direction == Direction::Within);
        sides[chain.right][right_side].push((before_right, index, false));
    }
    let mut ends: Vec<[(f64, f64); 2]> = vec![[(0.0, 0.0); 2]; chains.len()];
    for (node, node_sides) in sides.iter_mut().enumerate() {
        let node_box = &boxes[node];
        for (side, side_ends) in node_sides.iter_mut().enumerate() {
            side_ends.sort_by(|a, b| a.0.total_cmp(&b.0));
            let x = if side == 0 { node_box.x } else { node_box.right() };
            // Each end at the foot of its room (a percentage stands above its line), the whole
            // stack centred on the side.
            let mut foot = 0.0;
            let feet: Vec<f64> = side_ends
                .iter()
                .map(|&(_, chain, is_left)| {
                    foot += port_pitch(pathway, &chains[chain], is_left);
                    foot
                })
                .collect();
            let (Some(first), Some(last)) = (feet.first(), feet.last()) else {
                continue;
            };
            let shift = node_box.y + node_box.height / 2.0 - (first + last) / 2.0;
            for (&(_, chain, is_left), foot) in side_ends.iter().zip(&feet) {
                ends[chain][usize::from(!is_left)] = (x, foot + shift);
            }
        }
    }
    chains
        .iter()
        .enumerate()
        .map(|(index, chain)| {
            let [left_end, right_end] = ends[index];
            let mut points = vec![left_end];
            for &(x_left, x_right, y) in &waypoints[index] {
                points.push((x_left, y));
                points.push((x_right, y));
            }
            points.push(right_end);
            if chain.direction == Direction::Back {
                points.reverse();
            }
            RouteLine {
                route: chain.route,
                direction: chain.direction,
                points,
                label: None,
            }
        })
        .collect()
}

/// Sets each route's percentage, where its probability is known, at the first of its places that
/// overlaps no box and no percentage already set (or where it overlaps least, where all do): routes
/// forward first, beside the box they leave on its right, each at its own end there; then routes
/// back, which would otherwise crowd a busy box's right side with the labels of routes arriving.
fn place_labels(pathway: &Pathway, routes: &mut [RouteLine], boxes: &[NodeBox]) {
    type Bounds = (f64, f64, f64, f64);
    let shared =
        |a: &Bounds, b: &Bounds| (a.2.min(b.2) - a.0.max(b.0)).max(0.0) * (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
    let box_bounds: Vec<Bounds> = boxes.iter().map(|b| (b.x, b.y, b.right(), b.bottom())).collect();
    // How much a percentage would hide: covering a box's text is far worse than touching
    // another percentage.
    let cost = |bounds: &Bounds, placed: &[Bounds]| {
        box_bounds.iter().map(|b| 10.0 * shared(bounds, b)).sum::<f64>()
            + placed.iter().map(|other| shared(bounds, other)).sum::<f64>()
    };
    let mut placed: Vec<Bounds> = Vec::new();
    for backwards in [false, true] {
        for line in routes
            .iter_mut()
            .filter(|line| (line.direction == Direction::Back) == backwards)
        {
            let Some(probability) = pathway.routes[line.route].probability.filter(|p| p.is_finite()) else {
                continue;
            };
            let text = percent(probability);
            let candidates = label_places(&text, line.direction, &line.points);
            let chosen = candidates
                .iter()
                .map(|&(x, y)| label_at(&text, x, y))
                .min_by(|a, b| cost(&a.bounds(), &placed).total_cmp(&cost(&b.bounds(), &placed)));
            if let Some(label) = chosen {
                placed.push(label.bounds());
                line.label = Some(label);
            }
        }
    }
}

fn label_at(text: &str, x: f64, y: f64) -> RouteLabel {
    RouteLabel {
        text: text.to_owned(),
        x,
        y: y - 3.0,
    }
}

/// Where a route's percentage may stand, best first (the middle of its baseline, on the line):
/// just right of where it leaves a box's right side; for a route back, along its first stretch
/// across a column, just left of the box it leaves, or past the arrowhead where it arrives; and
/// points along its first bend.
fn label_places(text: &str, direction: Direction, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let half = text_width(text) / 2.0;
    let (Some(&(start_x, start_y)), Some(&(end_x, end_y))) = (points.first(), points.last()) else {
        return Vec::new();
    };
    let first_bend = points
        .get(1)
        .into_iter()
        .flat_map(|&next| [0.5, 0.3, 0.7].map(|t| bend_point((start_x, start_y), next, t)));
    let mut places = Vec::new();
    if direction == Direction::Back {
        if let [_, (run_start, y), (run_end, _), _, ..] = points {
            places.push(((run_start + run_end) / 2.0, *y));
        }
        places.push((start_x - LABEL_OFFSET - half, start_y));
        places.push((end_x + ARROW_LENGTH + LABEL_OFFSET + half, end_y));
    } else {
        places.push((start_x + LABEL_OFFSET + half, start_y));
    }
    places.extend(first_bend);
    places
}

/// The point a fraction `t` along the curve [`path_data`] draws between two points (a cubic
/// leaving and arriving level, its control points halfway across).
fn bend_point((x0, y0): (f64, f64), (x1, y1): (f64, f64), t: f64) -> (f64, f64) {
    let middle = (x0 + x1) / 2.0;
    let u = 1.0 - t;
    let (a, b, c, d) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    (a * x0 + (b + c) * middle + d * x1, (a + b) * y0 + (c + d) * y1)
}
