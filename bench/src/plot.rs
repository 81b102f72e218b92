//! The latency-against-size chart of the `scale` benchmark: an SVG, drawn as text, with
//! one panel per database, the number of cases on a log x-axis, milliseconds on a log
//! y-axis, and per path its p99 (solid) and p50 (dashed) at one concurrency.

use std::collections::BTreeMap;
use std::fmt::Write;

/// One measured point.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The database (`SQLite`, `PostgreSQL`).
    pub database: String,
    /// Cases in the database.
    pub cases: usize,
    /// The path's name.
    pub path: String,
    /// Connections.
    pub connections: usize,
    /// Median, ms.
    pub p50: f64,
    /// 99th percentile, ms.
    pub p99: f64,
}

impl Point {
    /// The point as a tab-separated line (the results file's format).
    pub fn to_line(&self) -> String {
        format!(
            "{}\t{}\t{}\t{}\t{:.3}\t{:.3}",
            self.database, self.cases, self.path, self.connections, self.p50, self.p99
        )
    }

    /// A point from a line of the results file.
    pub fn parse(line: &str) -> Result<Point, String> {
        let fields: Vec<&str> = line.split('\t').collect();
        let [database, cases, path, connections, p50, p99] = fields[..] else {
            return Err(format!("`{line}`: six tab-separated fields expected"));
        };
        let number = |s: &str| s.parse::<f64>().map_err(|e| format!("`{s}` in `{line}`: {e}"));
        Ok(Point {
            database: database.into(),
            cases: cases.parse().map_err(|e| format!("`{cases}` in `{line}`: {e}"))?,
            path: path.into(),
            connections: connections.parse().map_err(|e| format!("`{connections}` in `{line}`: {e}"))?,
            p50: number(p50)?,
            p99: number(p99)?,
        })
    }
}

const COLOURS: [&str; 10] = [
    "#444444", "#1565c0", "#2e7d32", "#c62828", "#6a1b9a", "#b26a00", "#00838f", "#ad1457", "#5d4037",
    "#9e9d24",
];
const PANEL_W: f64 = 520.0;
const PANEL_H: f64 = 360.0;
const MARGIN: f64 = 60.0;
const LEGEND_W: f64 = 260.0;

/// One database's panel: each path's (p50, p99) by database size.
type Panel<'a> = BTreeMap<&'a str, BTreeMap<usize, (f64, f64)>>;

/// The chart of `points` at `connections` (the latest point wins where one database,
/// size and path were measured more than once).
pub fn chart(points: &[Point], connections: usize) -> String {
    let mut panels: BTreeMap<&str, Panel<'_>> = BTreeMap::new();
    let mut paths: Vec<&str> = Vec::new();
    for p in points.iter().filter(|p| p.connections == connections && p.p99.is_finite()) {
        panels.entry(&p.database).or_default().entry(&p.path).or_default().insert(p.cases, (p.p50, p.p99));
        if !paths.contains(&p.path.as_str()) {
            paths.push(&p.path);
        }
    }
    let sizes = points.iter().map(|p| p.cases.max(1) as f64);
    let (x_min, x_max) = sizes.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    let (x_lo, x_hi) = (x_min.log10().floor(), x_max.log10().ceil().max(x_min.log10().floor() + 1.0));
    let values = points.iter().flat_map(|p| [p.p50, p.p99]).filter(|v| v.is_finite() && *v > 0.0);
    let (y_min, y_max) = values.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    let (y_lo, y_hi) = if y_min > y_max {
        (-1.0, 2.0)
    } else {
        (y_min.log10().floor(), y_max.log10().ceil().max(y_min.log10().floor() + 1.0))
    };
    let width = MARGIN + panels.len().max(1) as f64 * (PANEL_W + MARGIN) + LEGEND_W;
    let height = PANEL_H + 2.0 * MARGIN;
    let mut svg = String::new();
    let title = format!("Latency against database size, {connections} connections: p99 solid, p50 dashed");
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\" aria-label=\"{title}\"><title>{title}</title><rect width=\"100%\" height=\"100%\" fill=\"white\"/><text x=\"{MARGIN}\" y=\"22\" font-size=\"15\">{title}</text>"
    );
    for (n, (database, lines)) in panels.iter().enumerate() {
        let left = MARGIN + n as f64 * (PANEL_W + MARGIN);
        let top = MARGIN;
        let x = |cases: usize| left + ((cases.max(1) as f64).log10() - x_lo) / (x_hi - x_lo) * PANEL_W;
        let y = |ms: f64| top + PANEL_H - (ms.max(1e-3).log10() - y_lo) / (y_hi - y_lo) * PANEL_H;
        let _ = write!(
            svg,
            "<text x=\"{left}\" y=\"{}\" font-size=\"13\">{database}</text><rect x=\"{left}\" y=\"{top}\" width=\"{PANEL_W}\" height=\"{PANEL_H}\" fill=\"none\" stroke=\"#999\"/>",
            top - 8.0
        );
        for decade in x_lo as i32..=x_hi as i32 {
            let cases = 10f64.powi(decade) as usize;
            let gx = x(cases);
            let _ = write!(
                svg,
                "<line x1=\"{gx:.1}\" y1=\"{top}\" x2=\"{gx:.1}\" y2=\"{}\" stroke=\"#eee\"/><text x=\"{gx:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                top + PANEL_H,
                top + PANEL_H + 16.0,
                size_label(cases)
            );
        }
        for decade in y_lo as i32..=y_hi as i32 {
            let ms = 10f64.powi(decade);
            let gy = y(ms);
            let _ = write!(
                svg,
                "<line x1=\"{left}\" y1=\"{gy:.1}\" x2=\"{}\" y2=\"{gy:.1}\" stroke=\"#eee\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{} ms</text>",
                left + PANEL_W,
                left - 4.0,
                gy + 4.0,
                ms
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">cases in the database</text>",
            left + PANEL_W / 2.0,
            top + PANEL_H + 34.0
        );
        for (path, by_size) in lines {
            let colour = COLOURS[paths.iter().position(|p| p == path).unwrap_or(0) % COLOURS.len()];
            for (pick, dash) in [(1, ""), (0, " stroke-dasharray=\"5 4\"")] {
                let line: Vec<String> = by_size
                    .iter()
                    .map(|(cases, (p50, p99))| {
                        format!("{:.1},{:.1}", x(*cases), y(if pick == 1 { *p99 } else { *p50 }))
                    })
                    .collect();
                let _ = write!(
                    svg,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\"{dash}/>",
                    line.join(" ")
                );
            }
        }
    }
    let legend_x = width - LEGEND_W + 10.0;
    for (n, path) in paths.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        let ly = MARGIN + 10.0 + 20.0 * n as f64;
        let _ = write!(
            svg,
            "<line x1=\"{legend_x}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"3\"/><text x=\"{}\" y=\"{}\">{}</text>",
            legend_x + 24.0,
            legend_x + 30.0,
            ly + 4.0,
            xml(path)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn size_label(cases: usize) -> String {
    match cases {
        c if c >= 1_000_000 => format!("{}M", c / 1_000_000),
        c if c >= 1_000 => format!("{}k", c / 1_000),
        c => c.to_string(),
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(database: &str, cases: usize, path: &str, p99: f64) -> Point {
        Point { database: database.into(), cases, path: path.into(), connections: 32, p50: p99 / 2.0, p99 }
    }

    #[test]
    fn a_point_survives_its_line() {
        let p = point("SQLite", 10_000, "/cases/{id}", 3.25);
        assert_eq!(Point::parse(&p.to_line()).unwrap(), p);
        assert!(Point::parse("SQLite\t10").is_err());
        assert!(Point::parse("SQLite\tmany\t/x\t32\t1\t2").is_err());
    }

    #[test]
    fn the_chart_has_a_panel_per_database_and_a_line_per_path() {
        let points = [
            point("SQLite", 1_000, "/healthz", 1.0),
            point("SQLite", 1_000_000, "/healthz", 1.5),
            point("SQLite", 1_000, "/cases <first>", 10.0),
            point("SQLite", 1_000_000, "/cases <first>", 12.0),
            point("PostgreSQL", 1_000_000, "/healthz", 2.0),
        ];
        let svg = chart(&points, 32);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches(">SQLite</text>").count(), 1);
        assert_eq!(svg.matches(">PostgreSQL</text>").count(), 1);
        // Two paths on SQLite and one on PostgreSQL, each a p99 and a p50 line.
        assert_eq!(svg.matches("<polyline").count(), 6);
        assert!(svg.contains("/cases &lt;first&gt;"));
        assert!(svg.contains(">1M</text>") && svg.contains(">1k</text>"));
        // Another concurrency has no points: no lines.
        assert_eq!(chart(&points, 8).matches("<polyline").count(), 0);
    }
}
