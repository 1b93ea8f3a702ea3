//! `summary.md`: per workload, a table of structures with every headline figure, its charts, and
//! what was not run; then the cross-workload charts.
//!
//! Every figure is taken from the point summaries of the result files (medians over repeats), so
//! the tables match the JSON; only the ratio to the baseline is recomputed, because the reader
//! chooses the baseline here.

use std::collections::BTreeSet;

use cmap_results::{Family, Point};

use crate::charts::{ChartSet, Section};
use crate::describe;
use crate::doc::{Block, Doc, Span, t};
use crate::fmt;
use crate::input::Dataset;

/// Builds the summary document.
pub(crate) fn build(data: &Dataset, charts: &ChartSet, baseline: &str) -> Doc {
    let mut d = Doc::default();
    d.push(Block::Heading(1, format!("Summary: {}", machines(data))));
    d.push(Block::Para(vec![
        t("Figures are medians over each point's repeats; "),
        Span::Bold("spread".into()),
        t(" gives the slowest and the fastest repeat relative to the median, and "),
        Span::Code("~".into()),
        t(" marks a point whose repeats disagree too much to separate small differences. "),
        t("Ratios are to "),
        Span::Code(baseline.to_owned()),
        t(" at the same workload, thread count and machine. The structure marked "),
        Span::Bold("best".into()),
        t(" has the highest median throughput at its thread count; the null map, which measures the \
           harness alone, is listed for reference and never wins. Latencies are of sampled \
           operations (p50 / p99 / p99.99)."),
    ]));
    if !data.points().any(|(_, _, p)| p.structure == baseline) {
        d.push(Block::Note(vec![
            t("The baseline "),
            Span::Code(baseline.to_owned()),
            t(" is not in these results, so there are no ratios; choose another with "),
            Span::Code("--baseline".into()),
            t("."),
        ]));
    }
    for w in &data.warnings {
        d.push(Block::Note(vec![t(format!("Warning: {w}"))]));
    }

    let workloads = data.workloads();
    for w in &workloads {
        d.push(Block::Heading(2, format!("Workload {}", w.name)));
        if !w.description.is_empty() {
            d.push(Block::Para(vec![t(w.description.clone())]));
        }
        d.push(Block::Para(vec![t(describe::workload(w))]));
        for (i, source) in data.sources.iter().enumerate() {
            let points: Vec<&Point> = source
                .results
                .points
                .iter()
                .filter(|p| p.workload.name == w.name)
                .collect();
            if points.is_empty() {
                continue;
            }
            if data.multi() {
                d.push(Block::Heading(3, format!("On {}", data.sources[i].label)));
            }
            d.push(table(&points, baseline));
        }
        let skipped: BTreeSet<String> = data
            .sources
            .iter()
            .flat_map(|s| s.results.skipped.iter().map(move |k| (s, k)))
            .filter(|(_, k)| k.workload == w.name)
            .map(|(s, k)| {
                let on = if data.multi() {
                    format!(" (on {})", s.label)
                } else {
                    String::new()
                };
                format!("{}{on}: {}", k.structure, k.reason)
            })
            .collect();
        if !skipped.is_empty() {
            d.push(Block::Para(vec![t("Not run:")]));
            d.push(Block::List(
                skipped.into_iter().map(|s| vec![t(s)]).collect(),
            ));
        }
        place_charts(&mut d, charts, &Section::Workload(w.name.clone()));
    }

    d.push(Block::Heading(2, "Across workloads".into()));
    place_charts(&mut d, charts, &Section::Across);

    let measured: BTreeSet<&str> = workloads.iter().map(|w| w.name.as_str()).collect();
    let unmeasured: Vec<Vec<Vec<Span>>> = data
        .sources
        .iter()
        .flat_map(|s| s.results.skipped.iter().map(move |k| (s, k)))
        .filter(|(_, k)| !measured.contains(k.workload.as_str()))
        .map(|(s, k)| {
            let mut row = vec![
                vec![t(k.workload.clone())],
                vec![t(k.structure.clone())],
                vec![t(k.reason.clone())],
            ];
            if data.multi() {
                row.push(vec![t(s.label.clone())]);
            }
            row
        })
        .collect();
    if !unmeasured.is_empty() {
        d.push(Block::Heading(2, "Other pairs not run".into()));
        let mut head = vec!["workload".to_owned(), "structure".into(), "reason".into()];
        if data.multi() {
            head.push("machine".into());
        }
        let numeric = vec![false; head.len()];
        d.push(Block::Table {
            head,
            numeric,
            rows: unmeasured,
        });
    }

    frequency_count(&mut d, data);
    d
}

/// `laptop` or `laptop, ci-runner`.
pub(crate) fn machines(data: &Dataset) -> String {
    data.sources
        .iter()
        .map(|s| s.label.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn place_charts(d: &mut Doc, charts: &ChartSet, section: &Section) {
    for p in charts.placed.iter().filter(|p| &p.section == section) {
        d.push(Block::Chart(p.file.clone(), p.chart.title.clone()));
    }
    for o in charts.omitted.iter().filter(|o| &o.section == section) {
        d.push(Block::Note(vec![
            Span::Bold(format!("{}:", o.title)),
            t(format!(" not drawn; {}.", o.reason)),
        ]));
    }
}

/// The table of one workload on one machine: rows by thread count, fastest first.
fn table(points: &[&Point], baseline: &str) -> Block {
    let mut ops: Vec<(usize, String)> = points
        .iter()
        .flat_map(|p| p.summary.latency.keys())
        .map(|k| describe::op_rank(k))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    ops.dedup();
    let mut head = vec![
        "threads".to_owned(),
        "structure".into(),
        "throughput (ops/s)".into(),
        "spread (min / max)".into(),
        format!("vs {baseline}"),
    ];
    head.extend(
        ops.iter()
            .map(|(_, op)| format!("{} p50 / p99 / p99.99", describe::op_label(op))),
    );
    head.extend(["bytes/entry".to_owned(), "allocs/op".into()]);
    let mut numeric = vec![true, false, true, true, true];
    numeric.extend(ops.iter().map(|_| true));
    numeric.extend([true, true]);

    let mut sorted: Vec<&Point> = points.to_vec();
    sorted.sort_by(|a, b| {
        // The null map goes last: it is the harness's ceiling, not a contender.
        (a.threads, a.family == Family::Null)
            .cmp(&(b.threads, b.family == Family::Null))
            .then(
                b.summary
                    .throughput
                    .median
                    .total_cmp(&a.summary.throughput.median),
            )
    });
    let mut rows = Vec::new();
    for p in &sorted {
        let peers: Vec<&&Point> = points.iter().filter(|q| q.threads == p.threads).collect();
        let contenders: Vec<&&Point> = peers
            .iter()
            .copied()
            .filter(|q| q.family != Family::Null)
            .collect();
        let best = contenders
            .iter()
            .max_by(|a, b| {
                a.summary
                    .throughput
                    .median
                    .total_cmp(&b.summary.throughput.median)
            })
            .map(|q| q.structure.as_str());
        let winner =
            contenders.len() > 1 && best == Some(p.structure.as_str()) && p.family != Family::Null;
        let base = peers
            .iter()
            .find(|q| q.structure == baseline)
            .map(|q| q.summary.throughput.median);

        let s = &p.summary.throughput;
        let mut structure = vec![if winner {
            Span::Bold(p.structure.clone())
        } else {
            t(p.structure.clone())
        }];
        match (winner, p.family) {
            (true, _) => structure.push(t(" (best)")),
            (_, Family::Peer) => structure.push(t(" (peer)")),
            (_, Family::Null) => structure.push(t(" (null map: harness cost)")),
            _ => {}
        }
        let throughput = format!(
            "{}{}",
            fmt::si(s.median, 4),
            if p.summary.noisy { " ~" } else { "" }
        );
        let mut row = vec![
            vec![t(p.threads.to_string())],
            structure,
            vec![if winner {
                Span::Bold(throughput)
            } else {
                t(throughput)
            }],
            vec![t(format!(
                "{} / {}",
                fmt::relative(s.min, s.median),
                fmt::relative(s.max, s.median)
            ))],
            vec![t(match base {
                Some(b) if b > 0.0 => format!("{}×", fmt::sig(s.median / b, 3)),
                _ => "–".to_owned(),
            })],
        ];
        for (_, op) in &ops {
            row.push(vec![t(match p.summary.latency.get(op) {
                Some(l) => format!(
                    "{} / {} / {}",
                    fmt::duration_ns(l.p50_ns as f64),
                    fmt::duration_ns(l.p99_ns as f64),
                    fmt::duration_ns(l.p9999_ns as f64)
                ),
                None => "–".to_owned(),
            })]);
        }
        row.push(vec![t(p
            .summary
            .bytes_per_entry
            .map_or_else(|| "–".to_owned(), fmt::bytes))]);
        row.push(vec![t(fmt::sig(p.summary.allocations_per_op, 3))]);
        rows.push(row);
    }
    Block::Table {
        head,
        numeric,
        rows,
    }
}

fn frequency_count(d: &mut Doc, data: &Dataset) {
    let entries: Vec<_> = data
        .sources
        .iter()
        .flat_map(|s| s.results.frequency_count.iter().map(move |f| (s, f)))
        .collect();
    if entries.is_empty() {
        return;
    }
    d.push(Block::Heading(2, "Frequency count".into()));
    d.push(Block::Para(vec![
        t("Counting a skewed slice through each map's "),
        Span::Code("upsert".into()),
        t(" from a rayon parallel iterator, against rayon fold/reduce over thread-local hash maps ("),
        Span::Code("rayon-fold-reduce".into()),
        t(")."),
    ]));
    let mut head: Vec<String> = [
        "structure",
        "elements",
        "distinct",
        "θ",
        "threads",
        "elements/s",
        "spread (min / max)",
        "vs rayon-fold-reduce",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    if data.multi() {
        head.insert(0, "machine".into());
    }
    let mut numeric = vec![false, true, true, true, true, true, true, true];
    if data.multi() {
        numeric.insert(0, false);
    }
    let rows = entries
        .iter()
        .map(|(s, f)| {
            let reference = s
                .results
                .frequency_count
                .iter()
                .find(|r| {
                    r.structure == "rayon-fold-reduce"
                        && r.elements == f.elements
                        && r.threads == f.threads
                        && r.theta == f.theta
                })
                .map(|r| r.elements_per_sec.median);
            let e = &f.elements_per_sec;
            let mut row = vec![
                vec![t(f.structure.clone())],
                vec![t(fmt::thousands(f.elements))],
                vec![t(fmt::thousands(f.distinct))],
                vec![t(fmt::sig(f.theta, 3))],
                vec![t(f.threads.to_string())],
                vec![t(fmt::si(e.median, 4))],
                vec![t(format!(
                    "{} / {}",
                    fmt::relative(e.min, e.median),
                    fmt::relative(e.max, e.median)
                ))],
                vec![t(match reference {
                    Some(r) if r > 0.0 => format!("{}×", fmt::sig(e.median / r, 3)),
                    _ => "–".to_owned(),
                })],
            ];
            if data.multi() {
                row.insert(0, vec![t(s.label.clone())]);
            }
            row
        })
        .collect();
    d.push(Block::Table {
        head,
        numeric,
        rows,
    });
}
