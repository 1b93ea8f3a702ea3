//! Hand-written SVG charts: line charts with error bars and grouped bar charts.
//!
//! Written by hand rather than through a plotting crate so the output needs no font library at
//! build time, carries no script, and can be inlined into the HTML page as is. Text is plain SVG
//! `<text>` in the browser's sans-serif font. Every series is one `<g class="series">` carrying
//! `data-structure`, `data-machine` and its colour, which the tests read back.

use std::fmt::Write as _;

use crate::fmt;

/// An axis: its label (with units), its scale, and how its ticks read.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    /// The label, units included, e.g. "throughput (operations/s)".
    pub label: String,
    /// Logarithmic (base 10) instead of linear.
    pub log: bool,
    /// Whether a linear axis must reach zero (rates and sizes do, so bars and lines are honest).
    pub include_zero: bool,
    /// Fixed ticks (position, label); computed from the data when empty.
    pub ticks: Vec<(f64, String)>,
    /// Formats a computed tick.
    pub format: fn(f64) -> String,
}

/// One measured value with its spread.
#[derive(Debug, Clone)]
pub(crate) struct Value {
    /// Position along the x axis (line charts only).
    pub x: f64,
    /// The median.
    pub y: f64,
    /// The smallest repeat.
    pub lo: f64,
    /// The largest repeat.
    pub hi: f64,
    /// The tooltip: exact figures.
    pub tip: String,
}

/// One line, or one colour of bars.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    /// The legend entry.
    pub label: String,
    /// The structure, which decides the colour.
    pub structure: String,
    /// The machine, when the report merges several.
    pub machine: String,
    /// `#rrggbb`.
    pub colour: &'static str,
    /// `stroke-dasharray`, empty for a solid line; tells machines apart in line charts.
    pub dash: &'static str,
    /// Fill opacity of bars; tells machines apart in bar charts.
    pub opacity: f64,
    /// Line charts: the points, any order. Bar charts: one per group, `None` where absent.
    pub values: Vec<Option<Value>>,
}

/// What kind of chart.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// Lines through points, x from [`Value::x`].
    Line {
        /// The x axis.
        x: Axis,
    },
    /// Bars grouped by category.
    Bars {
        /// The category under each group, in order.
        groups: Vec<String>,
        /// What the categories are.
        x_label: String,
    },
}

/// A chart ready to draw.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    /// Unique within a report; used for element ids when charts are inlined together.
    pub id: String,
    /// The heading inside the image.
    pub title: String,
    /// One line under the title: what was held fixed.
    pub subtitle: String,
    /// Line or bars.
    pub kind: Kind,
    /// The y axis.
    pub y: Axis,
    /// The series.
    pub series: Vec<Series>,
}

const FONT: &str = "DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif";
const CHAR_WIDTH: f64 = 6.6; // Average width of a 12 px sans-serif glyph; good enough for layout.

impl Chart {
    /// The chart as a standalone SVG document.
    pub(crate) fn to_svg(&self) -> String {
        let values: Vec<&Value> = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .collect();
        let longest_label = self
            .series
            .iter()
            .map(|s| s.label.chars().count())
            .max()
            .unwrap_or(0);
        let legend_width = (40.0 + CHAR_WIDTH * longest_label as f64).clamp(110.0, 330.0);

        let (groups, rotate) = match &self.kind {
            Kind::Bars { groups, .. } => {
                let per_group = 460.0 / groups.len().max(1) as f64;
                let widest = groups.iter().map(|g| g.chars().count()).max().unwrap_or(0) as f64;
                (groups.len(), widest * CHAR_WIDTH > per_group * 0.95)
            }
            Kind::Line { .. } => (0, false),
        };
        let plot_width = match &self.kind {
            Kind::Bars { .. } => {
                (groups as f64 * (self.series.len() as f64 * 10.0 + 24.0)).max(460.0)
            }
            // Narrow enough that two charts sit side by side on a 1920-pixel screen.
            Kind::Line { .. } => 460.0,
        };
        // Rotated group labels hang down-left from their group's centre; the first ones may need
        // more room than the axis labels do.
        let overhang = match &self.kind {
            Kind::Bars { groups: names, .. } if rotate => {
                let slot = plot_width / names.len().max(1) as f64;
                names
                    .iter()
                    .enumerate()
                    .map(|(i, g)| {
                        g.chars().count() as f64 * CHAR_WIDTH * 0.82 - slot * (i as f64 + 0.5)
                    })
                    .fold(0.0, f64::max)
            }
            _ => 0.0,
        };
        let (left, top) = (84.0 + (overhang - 60.0).max(0.0), 56.0);
        let widest = match &self.kind {
            Kind::Bars { groups, .. } => {
                groups.iter().map(|g| g.chars().count()).max().unwrap_or(0)
            }
            Kind::Line { .. } => 0,
        } as f64;
        // sin(35°) of the widest rotated label, plus room for the axis label under it.
        let bottom = if rotate {
            (widest * CHAR_WIDTH * 0.58 + 62.0).max(100.0)
        } else {
            64.0
        };
        let legend_height = 22.0 + 18.0 * self.series.len() as f64;
        let plot_height = (300.0_f64).max(legend_height - 10.0);
        // Wide enough for the title (15 px bold) and subtitle (11 px) not to be clipped.
        let width = (left + plot_width + 24.0 + legend_width)
            .max(left + 9.0 * self.title.chars().count() as f64 + 16.0)
            .max(left + 6.0 * self.subtitle.chars().count() as f64 + 16.0);
        let height = top + plot_height + bottom;
        let area = Area {
            x0: left,
            x1: left + plot_width,
            y0: top,
            y1: top + plot_height,
        };

        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title" font-family="{FONT}" font-size="12">"#,
            w = width.round(),
            h = height.round(),
            id = esc(&self.id),
        );
        let _ = write!(
            out,
            r#"<title id="{}-title">{}</title>"#,
            esc(&self.id),
            esc(&self.title)
        );
        let _ = write!(
            out,
            r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
        );
        let _ = write!(
            out,
            r##"<text class="chart-title" x="{left}" y="22" font-size="15" font-weight="bold" fill="#111111">{}</text>"##,
            esc(&self.title)
        );
        let _ = write!(
            out,
            r##"<text class="chart-subtitle" x="{left}" y="40" font-size="11" fill="#555555">{}</text>"##,
            esc(&self.subtitle)
        );

        let y_scale = Scale::fit(&self.y, values.iter().flat_map(|v| [v.y, v.lo, v.hi]));
        draw_y_axis(&mut out, &self.y, &y_scale, &area);
        match &self.kind {
            Kind::Line { x } => {
                let x_scale = Scale::fit(x, values.iter().map(|v| v.x));
                draw_x_axis(&mut out, x, &x_scale, &area);
                for s in &self.series {
                    draw_line_series(&mut out, s, &x_scale, &y_scale, &area);
                }
            }
            Kind::Bars { groups, x_label } => {
                draw_groups(&mut out, groups, x_label, rotate, height - 18.0, &area);
                let slot = (area.x1 - area.x0) / groups.len().max(1) as f64;
                let bar = slot * 0.8 / self.series.len().max(1) as f64;
                for (i, s) in self.series.iter().enumerate() {
                    draw_bar_series(&mut out, s, i, slot, bar, &y_scale, &area);
                }
            }
        }
        let bars = matches!(self.kind, Kind::Bars { .. });
        draw_legend(&mut out, &self.series, area.x1 + 24.0, top, bars);
        out.push_str("</svg>\n");
        out
    }
}

struct Area {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

/// A fitted axis: domain and ticks.
struct Scale {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<(f64, String)>,
}

impl Scale {
    fn fit(axis: &Axis, values: impl Iterator<Item = f64>) -> Self {
        let values: Vec<f64> = values
            .filter(|v| v.is_finite() && (!axis.log || *v > 0.0))
            .collect();
        let (mut min, mut max) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        if values.is_empty() {
            (min, max) = if axis.log { (1.0, 10.0) } else { (0.0, 1.0) };
        }
        if !axis.ticks.is_empty() {
            for (t, _) in &axis.ticks {
                min = min.min(*t);
                max = max.max(*t);
            }
            let pad = if max > min { (max - min) * 0.06 } else { 0.5 };
            return Self {
                lo: min - pad,
                hi: max + pad,
                log: false,
                ticks: axis.ticks.clone(),
            };
        }
        if axis.log {
            let mut lo = min.log10().floor() as i32;
            let mut hi = max.log10().ceil() as i32;
            if hi <= lo {
                hi = lo + 1;
            }
            // Keep at most ~7 labelled decades; beyond that label every other one.
            lo = lo.max(hi - 12);
            let decades = hi - lo;
            let mut ticks = Vec::new();
            for k in lo..=hi {
                let base = 10f64.powi(k);
                if decades > 7 && (k - lo) % 2 == 1 {
                    continue;
                }
                ticks.push((base, fmt::tick((axis.format)(base))));
                if decades <= 2 && k < hi {
                    ticks.push((2.0 * base, fmt::tick((axis.format)(2.0 * base))));
                    ticks.push((5.0 * base, fmt::tick((axis.format)(5.0 * base))));
                }
            }
            return Self {
                lo: 10f64.powi(lo),
                hi: 10f64.powi(hi),
                log: true,
                ticks,
            };
        }
        if axis.include_zero {
            min = min.min(0.0);
            max = max.max(0.0);
        }
        if max <= min {
            max = min + if min == 0.0 { 1.0 } else { min.abs() * 0.1 };
        }
        let step = nice_step((max - min) / 5.0);
        let lo = (min / step).floor() * step;
        let hi = (max / step).ceil() * step;
        let n = ((hi - lo) / step).round() as usize;
        let ticks = (0..=n)
            .map(|i| {
                let v = lo + i as f64 * step;
                // Avoid "-0" and float dust such as 0.30000000000000004.
                let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
                (v, fmt::tick((axis.format)(v)))
            })
            .collect();
        Self {
            lo,
            hi,
            log: false,
            ticks,
        }
    }

    /// Where `v` falls between `a` (domain low) and `b` (domain high), in pixels.
    fn map(&self, v: f64, a: f64, b: f64) -> f64 {
        let t = if self.log {
            (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        a + t * (b - a)
    }
}

fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let exp = raw.log10().floor();
    let base = 10f64.powf(exp);
    let f = raw / base;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * base
}

fn draw_y_axis(out: &mut String, axis: &Axis, scale: &Scale, a: &Area) {
    out.push_str(r##"<g class="axis y-axis" fill="#333333">"##);
    for (v, label) in &scale.ticks {
        let y = scale.map(*v, a.y1, a.y0);
        let _ = write!(
            out,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            a.x0,
            a.x1,
            a.x0 - 6.0,
            y + 4.0,
            esc(label)
        );
    }
    let mid = (a.y0 + a.y1) / 2.0;
    let _ = write!(
        out,
        r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#333333"/><text class="axis-label" x="18" y="{mid:.1}" text-anchor="middle" transform="rotate(-90 18 {mid:.1})">{}</text></g>"##,
        a.y0,
        a.y1,
        esc(&axis.label),
        x = a.x0,
    );
}

fn draw_x_axis(out: &mut String, axis: &Axis, scale: &Scale, a: &Area) {
    out.push_str(r##"<g class="axis x-axis" fill="#333333">"##);
    for (v, label) in &scale.ticks {
        let x = scale.map(*v, a.x0, a.x1);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#333333"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            a.y1,
            a.y1 + 5.0,
            a.y1 + 19.0,
            esc(label)
        );
    }
    draw_x_label(out, &axis.label, a, a.y1 + 44.0);
    out.push_str("</g>");
}

fn draw_x_label(out: &mut String, label: &str, a: &Area, y: f64) {
    let _ = write!(
        out,
        r##"<line x1="{:.1}" y1="{y1:.1}" x2="{:.1}" y2="{y1:.1}" stroke="#333333"/><text class="axis-label" x="{:.1}" y="{y:.1}" text-anchor="middle">{}</text>"##,
        a.x0,
        a.x1,
        (a.x0 + a.x1) / 2.0,
        esc(label),
        y1 = a.y1,
    );
}

fn draw_groups(
    out: &mut String,
    groups: &[String],
    label: &str,
    rotate: bool,
    label_y: f64,
    a: &Area,
) {
    out.push_str(r##"<g class="axis x-axis" fill="#333333">"##);
    let slot = (a.x1 - a.x0) / groups.len().max(1) as f64;
    for (i, g) in groups.iter().enumerate() {
        let x = a.x0 + slot * (i as f64 + 0.5);
        let y = a.y1 + 18.0;
        if rotate {
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{y:.1}" text-anchor="end" transform="rotate(-35 {x:.1} {y:.1})">{}</text>"#,
                esc(g)
            );
        } else {
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{y:.1}" text-anchor="middle">{}</text>"#,
                esc(g)
            );
        }
    }
    draw_x_label(out, label, a, label_y);
    out.push_str("</g>");
}

fn series_open(out: &mut String, s: &Series) {
    let _ = write!(
        out,
        r#"<g class="series" data-structure="{}" data-machine="{}" stroke="{c}" fill="{c}">"#,
        esc(&s.structure),
        esc(&s.machine),
        c = s.colour
    );
}

fn error_bar(out: &mut String, x: f64, lo: f64, hi: f64) {
    if (lo - hi).abs() < 0.5 {
        return;
    }
    let _ = write!(
        out,
        r#"<path class="error-bar" d="M{:.1} {lo:.1}H{:.1}M{x:.1} {lo:.1}V{hi:.1}M{:.1} {hi:.1}H{:.1}" fill="none" stroke-width="1.2"/>"#,
        x - 4.0,
        x + 4.0,
        x - 4.0,
        x + 4.0
    );
}

fn draw_line_series(out: &mut String, s: &Series, xs: &Scale, ys: &Scale, a: &Area) {
    let mut points: Vec<&Value> = s
        .values
        .iter()
        .flatten()
        .filter(|v| !ys.log || v.y > 0.0)
        .collect();
    points.sort_by(|p, q| p.x.total_cmp(&q.x));
    series_open(out, s);
    let coords: Vec<(f64, f64)> = points
        .iter()
        .map(|v| (xs.map(v.x, a.x0, a.x1), ys.map(v.y, a.y1, a.y0)))
        .collect();
    if coords.len() > 1 {
        let d: Vec<String> = coords
            .iter()
            .enumerate()
            .map(|(i, (x, y))| format!("{}{x:.1} {y:.1}", if i == 0 { 'M' } else { 'L' }))
            .collect();
        let dash = if s.dash.is_empty() {
            String::new()
        } else {
            format!(r#" stroke-dasharray="{}""#, s.dash)
        };
        let _ = write!(
            out,
            r#"<path d="{}" fill="none" stroke-width="2"{dash}/>"#,
            d.join("")
        );
    }
    for (v, (x, y)) in points.iter().zip(&coords) {
        error_bar(out, *x, ys.map(v.lo, a.y1, a.y0), ys.map(v.hi, a.y1, a.y0));
        let _ = write!(
            out,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5"><title>{}</title></circle>"#,
            esc(&v.tip)
        );
    }
    out.push_str("</g>");
}

fn draw_bar_series(
    out: &mut String,
    s: &Series,
    index: usize,
    slot: f64,
    bar: f64,
    ys: &Scale,
    a: &Area,
) {
    series_open(out, s);
    for (g, v) in s.values.iter().enumerate() {
        let Some(v) = v else { continue };
        let x = a.x0 + slot * g as f64 + slot * 0.1 + bar * index as f64;
        let y = ys.map(v.y, a.y1, a.y0);
        let _ = write!(
            out,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" stroke="none" fill-opacity="{}"><title>{}</title></rect>"#,
            (bar - 1.0).max(1.0),
            (a.y1 - y).max(0.0),
            s.opacity,
            esc(&v.tip)
        );
        let centre = x + bar / 2.0;
        error_bar(
            out,
            centre,
            ys.map(v.lo, a.y1, a.y0),
            ys.map(v.hi, a.y1, a.y0),
        );
    }
    out.push_str("</g>");
}

fn draw_legend(out: &mut String, series: &[Series], x: f64, top: f64, bars: bool) {
    out.push_str(r##"<g class="legend" fill="#222222">"##);
    for (i, s) in series.iter().enumerate() {
        let y = top + 8.0 + 18.0 * i as f64;
        if bars {
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{:.1}" width="18" height="10" fill="{}" fill-opacity="{}"/>"#,
                y - 5.0,
                s.colour,
                s.opacity
            );
        } else {
            let dash = if s.dash.is_empty() {
                String::new()
            } else {
                format!(r#" stroke-dasharray="{}""#, s.dash)
            };
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{c}" stroke-width="2"{dash}/><circle cx="{:.1}" cy="{y:.1}" r="3.5" fill="{c}"/>"#,
                x + 22.0,
                x + 11.0,
                c = s.colour
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            x + 28.0,
            y + 4.0,
            esc(&s.label)
        );
    }
    out.push_str("</g>");
}

/// Escapes text for XML content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(log: bool) -> Axis {
        Axis {
            label: "y".into(),
            log,
            include_zero: !log,
            ticks: vec![],
            format: |v| format!("{v}"),
        }
    }

    #[test]
    fn linear_axis_reaches_zero_and_covers_the_data() {
        let s = Scale::fit(&axis(false), [3.2e6, 7.9e6].into_iter());
        assert_eq!(s.lo, 0.0);
        assert!(s.hi >= 7.9e6 && s.hi <= 1e7, "{}", s.hi);
        assert_eq!(s.ticks.first().map(|t| t.0), Some(0.0));
        assert_eq!(s.ticks.last().map(|t| t.0), Some(s.hi));
    }

    #[test]
    fn log_axis_spans_whole_decades() {
        let s = Scale::fit(&axis(true), [40.0, 12_000.0, 0.0].into_iter());
        assert_eq!((s.lo, s.hi), (10.0, 100_000.0));
        assert_eq!(s.ticks.len(), 5);
        assert!((s.map(1000.0, 0.0, 400.0) - 200.0).abs() < 1e-9);
    }

    #[test]
    fn escaping() {
        assert_eq!(esc(r#"a<b & "c">'"#), "a&lt;b &amp; &quot;c&quot;&gt;&#39;");
    }
}
