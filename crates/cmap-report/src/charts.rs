//! Which charts a dataset supports, and their data.
//!
//! Every chart is drawn only from measured figures: medians with min/max error bars over repeats.
//! A chart whose data is absent (no two workloads that differ only in read share, no snapshot
//! workload...) is not drawn; an [`Omitted`] entry says why, and the report shows it.

use std::collections::{BTreeMap, BTreeSet};

use cmap_results::{Distribution, Family, Latency, Mix, Point, Stats, WorkloadSpec};

use crate::describe;
use crate::fmt;
use crate::input::Dataset;
use crate::palette::Palette;
use crate::svg::{Axis, Chart, Kind, Series, Value};

/// Where a chart belongs in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Section {
    /// Under one workload.
    Workload(String),
    /// In the cross-workload section.
    Across,
}

/// A chart with its file name and place.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    /// The chart.
    pub chart: Chart,
    /// `name.svg`, unique within the report, under `charts/`.
    pub file: String,
    /// Where it goes.
    pub section: Section,
}

/// A chart that was not drawn, and why.
#[derive(Debug, Clone)]
pub(crate) struct Omitted {
    /// What the chart would have shown.
    pub title: String,
    /// Why it is absent, and what run would produce it.
    pub reason: String,
    /// Where the note goes.
    pub section: Section,
}

/// Every chart of a report.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChartSet {
    /// Drawn, in report order.
    pub placed: Vec<Placed>,
    /// Not drawn.
    pub omitted: Vec<Omitted>,
}

/// The percentiles of a latency curve: label, x position (`log10(1 / (1 - p))`), accessor.
/// Reads one percentile out of a latency record.
type Percentile = fn(&Latency) -> u64;

const PERCENTILES: [(&str, f64, Percentile); 5] = [
    ("p50", std::f64::consts::LOG10_2, |l| l.p50_ns),
    ("p90", 1.0, |l| l.p90_ns),
    ("p99", 2.0, |l| l.p99_ns),
    ("p99.9", 3.0, |l| l.p999_ns),
    ("p99.99", 4.0, |l| l.p9999_ns),
];

/// Builds every chart the dataset supports.
pub(crate) fn build(data: &Dataset, palette: &Palette) -> ChartSet {
    let mut set = ChartSet::default();
    let b = Builder { data, palette };
    for w in data.workloads() {
        b.throughput_vs_threads(&mut set, w);
        b.latency(&mut set, w);
        if w.mix.snapshot > 0 {
            b.snapshot(&mut set, w);
        }
    }
    b.memory(&mut set);
    b.read_ratio(&mut set);
    b.zipf(&mut set);
    if !data.workloads().iter().any(|w| w.mix.snapshot > 0) {
        set.omitted.push(Omitted {
            title: "Snapshot iteration under writes".into(),
            reason: "no workload's mix includes `snapshot`".into(),
            section: Section::Across,
        });
    }
    b.frequency_count(&mut set);
    // File names come from workload names; two names may slug alike.
    let mut used = BTreeSet::new();
    for p in &mut set.placed {
        let stem = p.file.trim_end_matches(".svg").to_owned();
        let mut candidate = stem.clone();
        let mut n = 2;
        while !used.insert(candidate.clone()) {
            candidate = format!("{stem}-{n}");
            n += 1;
        }
        p.file = format!("{candidate}.svg");
        p.chart.id = candidate;
    }
    set
}

struct Builder<'a> {
    data: &'a Dataset,
    palette: &'a Palette,
}

fn throughput_axis() -> Axis {
    Axis {
        label: "throughput (operations/s)".into(),
        log: false,
        include_zero: true,
        ticks: vec![],
        format: |v| fmt::si(v, 3),
    }
}

/// Fixed ticks at the distinct data positions (thread counts, read shares, zipf constants).
fn data_ticks(
    xs: impl IntoIterator<Item = f64>,
    label: impl Fn(f64) -> String,
) -> Vec<(f64, String)> {
    let mut xs: Vec<f64> = xs.into_iter().collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs.into_iter().map(|x| (x, fmt::tick(label(x)))).collect()
}

/// What differs between the charts of one value against thread count.
struct VsThreads {
    title: String,
    /// Why the chart is omitted when no structure has a value.
    if_empty: &'static str,
    /// After the workload's mix.
    subtitle: &'static str,
    y: Axis,
    /// The file name's prefix; the workload's slug follows.
    file: &'static str,
}

/// A tooltip for a median over repeats: structure, threads, median, min, max and count.
fn stats_tip(p: &Point, s: &Stats, unit: &str) -> String {
    format!(
        "{}, {}: {} {unit} (min {}, max {}, {} repeats)",
        p.structure,
        fmt::threads(p.threads),
        fmt::si(s.median, 4),
        fmt::si(s.min, 4),
        fmt::si(s.max, 4),
        s.n
    )
}

fn stats_value(x: f64, s: &Stats, tip: String) -> Value {
    Value {
        x,
        y: s.median,
        lo: s.min,
        hi: s.max,
        tip,
    }
}

impl Builder<'_> {
    /// One series per structure (and machine) with at least one value; the null map is left
    /// out because it measures the harness, not a map, and would flatten every other line.
    fn series(&self, mut value: impl FnMut(usize, &Point) -> Option<Value>) -> Vec<Series> {
        let mut out = Vec::new();
        for (structure, family) in self.data.structures() {
            if family == Family::Null {
                continue;
            }
            for (i, source) in self.data.sources.iter().enumerate() {
                let values: Vec<Option<Value>> = source
                    .results
                    .points
                    .iter()
                    .filter(|p| p.structure == structure)
                    .filter_map(|p| value(i, p))
                    .map(Some)
                    .collect();
                if !values.is_empty() {
                    out.push(self.one_series(&structure, i, values));
                }
            }
        }
        out
    }

    fn one_series(&self, structure: &str, source: usize, values: Vec<Option<Value>>) -> Series {
        Series {
            label: self.data.series_label(structure, source),
            structure: structure.to_owned(),
            machine: self.data.sources[source].label.clone(),
            colour: self.palette.colour(structure),
            dash: self.data.dash(source),
            opacity: self.data.opacity(source),
            values,
        }
    }

    fn throughput_vs_threads(&self, set: &mut ChartSet, w: &WorkloadSpec) {
        let series = self.series(|_, p| {
            (p.workload.name == w.name).then(|| {
                stats_value(
                    p.threads as f64,
                    &p.summary.throughput,
                    stats_tip(p, &p.summary.throughput, "ops/s"),
                )
            })
        });
        self.place_vs_threads(
            set,
            w,
            VsThreads {
                title: format!("{}: throughput vs threads", w.name),
                if_empty: "only the null map ran this workload",
                subtitle: "median of repeats, bars: min to max",
                y: throughput_axis(),
                file: "throughput-threads",
            },
            series,
        );
    }

    /// Places a line chart of one value per structure against thread count, or notes why there
    /// is none.
    fn place_vs_threads(
        &self,
        set: &mut ChartSet,
        w: &WorkloadSpec,
        c: VsThreads,
        series: Vec<Series>,
    ) {
        if series.is_empty() {
            set.omitted.push(Omitted {
                title: c.title,
                reason: c.if_empty.into(),
                section: Section::Workload(w.name.clone()),
            });
            return;
        }
        let xs = series
            .iter()
            .flat_map(|s| s.values.iter().flatten().map(|v| v.x));
        let chart = Chart {
            id: String::new(),
            title: c.title,
            subtitle: format!("{}; {}", describe::mix(&w.mix), c.subtitle),
            kind: Kind::Line {
                x: Axis {
                    label: "threads".into(),
                    log: false,
                    include_zero: false,
                    ticks: data_ticks(xs, |x| format!("{x}")),
                    format: |v| format!("{v}"),
                },
            },
            y: c.y,
            series,
        };
        set.placed.push(Placed {
            chart,
            file: format!("{}-{}.svg", c.file, fmt::slug(&w.name)),
            section: Section::Workload(w.name.clone()),
        });
    }

    fn latency(&self, set: &mut ChartSet, w: &WorkloadSpec) {
        // The highest thread count of this workload on each machine: where contention shows.
        let mut top: BTreeMap<usize, usize> = BTreeMap::new();
        let mut ops = BTreeSet::new();
        for (i, _, p) in self.data.points() {
            if p.workload.name == w.name && p.family != Family::Null {
                let t = top.entry(i).or_default();
                *t = (*t).max(p.threads);
                ops.extend(p.summary.latency.keys().map(|op| describe::op_rank(op)));
            }
        }
        let threads: BTreeSet<usize> = top.values().copied().collect();
        let at = match threads.iter().collect::<Vec<_>>().as_slice() {
            [t] => fmt::threads(**t),
            _ => "the highest thread count of each machine".to_owned(),
        };
        for (_, op) in ops {
            let mut series = Vec::new();
            for (structure, family) in self.data.structures() {
                if family == Family::Null {
                    continue;
                }
                for (i, source) in self.data.sources.iter().enumerate() {
                    let point = source.results.points.iter().find(|p| {
                        p.workload.name == w.name
                            && p.structure == structure
                            && top.get(&i) == Some(&p.threads)
                    });
                    let values = point.map(|p| percentile_values(p, &op)).unwrap_or_default();
                    if !values.is_empty() {
                        series.push(self.one_series(&structure, i, values));
                    }
                }
            }
            if series.is_empty() {
                continue;
            }
            let chart = Chart {
                id: String::new(),
                title: format!(
                    "{}: {} latency percentiles",
                    w.name,
                    describe::op_label(&op)
                ),
                subtitle: format!("{at}; sampled operations, median of repeats, bars: min to max"),
                kind: Kind::Line {
                    x: Axis {
                        label: "percentile".into(),
                        log: false,
                        include_zero: false,
                        ticks: PERCENTILES
                            .iter()
                            .map(|(l, x, _)| (*x, (*l).to_owned()))
                            .collect(),
                        format: |v| format!("{v}"),
                    },
                },
                y: Axis {
                    label: format!("{} latency (log scale)", describe::op_label(&op)),
                    log: true,
                    include_zero: false,
                    ticks: vec![],
                    format: fmt::duration_ns,
                },
                series,
            };
            set.placed.push(Placed {
                chart,
                file: format!("latency-{}-{}.svg", fmt::slug(&w.name), fmt::slug(&op)),
                section: Section::Workload(w.name.clone()),
            });
        }
    }

    fn snapshot(&self, set: &mut ChartSet, w: &WorkloadSpec) {
        let series = self.series(|_, p| {
            if p.workload.name != w.name {
                return None;
            }
            // Entries at the end divided by the mean time of one snapshot-and-iterate: how fast
            // a snapshot is walked while the writers of the mix run.
            let rates: Vec<f64> = p
                .repeats
                .iter()
                .filter_map(|r| {
                    let l = r.latency.get("snapshot")?;
                    (l.samples > 0 && l.mean_ns > 0.0)
                        .then(|| r.memory.entries_at_end as f64 * 1e9 / l.mean_ns)
                })
                .collect();
            let s = Stats::of(&rates)?;
            Some(stats_value(
                p.threads as f64,
                &s,
                stats_tip(p, &s, "entries/s"),
            ))
        });
        self.place_vs_threads(
            set,
            w,
            VsThreads {
                title: format!("{}: snapshot iteration under writes", w.name),
                if_empty: "no repeat timed a snapshot operation (too few samples)",
                subtitle: "entries at end / mean snapshot-and-iterate time; bars: min to max",
                y: Axis {
                    label: "snapshot iteration (entries/s)".into(),
                    log: false,
                    include_zero: true,
                    ticks: vec![],
                    format: |v| fmt::si(v, 3),
                },
                file: "snapshot",
            },
            series,
        );
    }

    fn memory(&self, set: &mut ChartSet) {
        let workloads: Vec<&WorkloadSpec> = self
            .data
            .workloads()
            .into_iter()
            .filter(|w| {
                self.data.points().any(|(_, _, p)| {
                    p.workload.name == w.name
                        && p.family != Family::Null
                        && p.summary.bytes_per_entry.is_some()
                })
            })
            .collect();
        let title = "Memory per entry".to_owned();
        if workloads.is_empty() {
            set.omitted.push(Omitted {
                title,
                reason: "no point reported bytes per entry (every map ended empty)".into(),
                section: Section::Across,
            });
            return;
        }
        let mut series = Vec::new();
        for (structure, family) in self.data.structures() {
            if family == Family::Null {
                continue;
            }
            for (i, source) in self.data.sources.iter().enumerate() {
                let values: Vec<Option<Value>> = workloads
                    .iter()
                    .map(|w| {
                        // Memory hardly depends on threads; the lowest count has the least
                        // per-thread slack in it.
                        let p = source
                            .results
                            .points
                            .iter()
                            .filter(|p| p.workload.name == w.name && p.structure == structure)
                            .min_by_key(|p| p.threads)?;
                        let median = p.summary.bytes_per_entry?;
                        let each: Vec<f64> = p
                            .repeats
                            .iter()
                            .filter_map(|r| r.memory.bytes_per_entry)
                            .collect();
                        let s = Stats::of(&each)?;
                        Some(Value {
                            x: 0.0,
                            y: median,
                            lo: s.min,
                            hi: s.max,
                            tip: format!(
                                "{structure}, {}, {}: {} per entry",
                                w.name,
                                fmt::threads(p.threads),
                                fmt::bytes(median)
                            ),
                        })
                    })
                    .collect();
                if values.iter().any(Option::is_some) {
                    series.push(self.one_series(&structure, i, values));
                }
            }
        }
        let chart = Chart {
            id: String::new(),
            title,
            subtitle: "heap bytes held per entry at the end of the timed phase, lowest thread count; bars: min to max"
                .into(),
            kind: Kind::Bars {
                groups: workloads.iter().map(|w| w.name.clone()).collect(),
                x_label: "workload".into(),
            },
            y: Axis {
                label: "heap bytes per entry (B)".into(),
                log: false,
                include_zero: true,
                ticks: vec![],
                format: |v| fmt::sig(v, 3),
            },
            series,
        };
        set.placed.push(Placed {
            chart,
            file: "memory-per-entry.svg".into(),
            section: Section::Across,
        });
    }

    /// Throughput against one varying workload parameter, over families of workloads that are
    /// otherwise identical, at the highest thread count they all share.
    fn sweep(
        &self,
        set: &mut ChartSet,
        family: &[&WorkloadSpec],
        x_of: fn(&WorkloadSpec) -> f64,
        x_axis: (&str, fn(f64) -> String),
        (title, detail): (String, String),
        file: String,
    ) {
        let names: BTreeSet<&str> = family.iter().map(|w| w.name.as_str()).collect();
        let mut per_workload: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for (_, _, p) in self.data.points() {
            if names.contains(p.workload.name.as_str()) && p.family != Family::Null {
                per_workload
                    .entry(&p.workload.name)
                    .or_default()
                    .insert(p.threads);
            }
        }
        let common = per_workload
            .values()
            .fold(None::<BTreeSet<usize>>, |acc, t| {
                Some(acc.map_or_else(|| t.clone(), |a| &a & t))
            })
            .unwrap_or_default();
        let Some(&threads) = common.iter().next_back() else {
            set.omitted.push(Omitted {
                title,
                reason: format!(
                    "workloads {} share no thread count",
                    names.into_iter().collect::<Vec<_>>().join(", ")
                ),
                section: Section::Across,
            });
            return;
        };
        let series = self.series(|_, p| {
            if !names.contains(p.workload.name.as_str()) || p.threads != threads {
                return None;
            }
            let s = &p.summary.throughput;
            let x = x_of(&p.workload);
            let tip = format!(
                "{}, {}: {} ops/s",
                p.structure,
                p.workload.name,
                fmt::si(s.median, 4)
            );
            Some(stats_value(x, s, tip))
        });
        if series.is_empty() {
            return;
        }
        let xs = family.iter().map(|w| x_of(w));
        let w0 = family[0];
        let chart = Chart {
            id: String::new(),
            title,
            subtitle: format!(
                "{detail}; {}; {} keys, {}; workloads {}",
                fmt::threads(threads),
                fmt::thousands(w0.key_space),
                describe::key_type(&w0.key_type),
                names.into_iter().collect::<Vec<_>>().join(", ")
            ),
            kind: Kind::Line {
                x: Axis {
                    label: x_axis.0.into(),
                    log: false,
                    include_zero: false,
                    ticks: data_ticks(xs, x_axis.1),
                    format: x_axis.1,
                },
            },
            y: throughput_axis(),
            series,
        };
        set.placed.push(Placed {
            chart,
            file,
            section: Section::Across,
        });
    }

    fn read_ratio(&self, set: &mut ChartSet) {
        // Families: identical but for the mix; scans and snapshots change what a "read" costs,
        // so only point-operation mixes take part.
        let mut families: BTreeMap<String, Vec<&WorkloadSpec>> = BTreeMap::new();
        for w in self.data.workloads() {
            if w.mix.scan == 0 && w.mix.snapshot == 0 {
                let mut key = w.clone();
                key.mix = Mix::default();
                families.entry(family_key(key)).or_default().push(w);
            }
        }
        let mut n = 0;
        for family in families.values() {
            let family = distinct_by(family, |w| f64::from(w.mix.read));
            if family.len() < 2 {
                continue;
            }
            n += 1;
            let title = (
                "Throughput vs read ratio".to_owned(),
                describe::distribution(&family[0].distribution),
            );
            self.sweep(
                set,
                &family,
                |w| f64::from(w.mix.read),
                ("reads (% of operations)", |x| format!("{x}%")),
                title,
                format!("read-ratio-{n}.svg"),
            );
        }
        if n == 0 {
            set.omitted.push(Omitted {
                title: "Throughput vs read ratio".into(),
                reason: "needs two or more workloads that differ only in their read share".into(),
                section: Section::Across,
            });
        }
    }

    fn zipf(&self, set: &mut ChartSet) {
        let mut zipf: BTreeMap<(String, bool), Vec<&WorkloadSpec>> = BTreeMap::new();
        let mut uniform: BTreeMap<String, Vec<&WorkloadSpec>> = BTreeMap::new();
        for w in self.data.workloads() {
            let mut key = w.clone();
            key.distribution = Distribution::Uniform;
            let key = family_key(key);
            match w.distribution {
                Distribution::Zipfian { scrambled, .. } => {
                    zipf.entry((key, scrambled)).or_default().push(w)
                }
                Distribution::Uniform => uniform.entry(key).or_default().push(w),
                _ => {}
            }
        }
        let mut n = 0;
        for ((key, scrambled), list) in &zipf {
            // Uniform is the zipfian law with θ = 0, so it anchors the curve at its left end.
            let mut family = list.clone();
            family.extend(uniform.get(key).into_iter().flatten());
            let family = distinct_by(&family, theta);
            if family.len() < 2 {
                continue;
            }
            n += 1;
            let title = (
                "Throughput vs zipfian constant".to_owned(),
                format!(
                    "{}{}",
                    describe::mix(&family[0].mix),
                    if *scrambled { ", scrambled" } else { "" }
                ),
            );
            self.sweep(
                set,
                &family,
                theta,
                ("zipfian constant θ (0 = uniform)", |x| fmt::sig(x, 3)),
                title,
                format!("zipf-{n}.svg"),
            );
        }
        if n == 0 {
            set.omitted.push(Omitted {
                title: "Throughput vs zipfian constant".into(),
                reason: "needs two or more workloads that differ only in their zipfian constant \
                         (a uniform one counts as θ = 0)"
                    .into(),
                section: Section::Across,
            });
        }
    }

    fn frequency_count(&self, set: &mut ChartSet) {
        let mut groups: Vec<(u64, u64, String, usize)> = Vec::new();
        for s in &self.data.sources {
            for f in &s.results.frequency_count {
                let g = (
                    f.elements,
                    f.distinct,
                    fmt::tick(fmt::sig(f.theta, 3)),
                    f.threads,
                );
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
        }
        if groups.is_empty() {
            return;
        }
        // Each group is labelled by what sets it apart; what all share goes to the subtitle.
        let parts: Vec<[String; 4]> = groups
            .iter()
            .map(|(e, d, t, th)| {
                [
                    format!("{} elements", fmt::tick(fmt::si(*e as f64, 3))),
                    format!("{} distinct", fmt::tick(fmt::si(*d as f64, 3))),
                    format!("θ={t}"),
                    fmt::threads(*th),
                ]
            })
            .collect();
        let shared: Vec<bool> = (0..4)
            .map(|i| parts.iter().all(|p| p[i] == parts[0][i]))
            .collect();
        let common: Vec<String> = (0..4)
            .filter(|i| shared[*i])
            .map(|i| parts[0][i].clone())
            .collect();
        let labels: Vec<String> = parts
            .iter()
            .map(|p| {
                let own: Vec<&str> = (0..4)
                    .filter(|i| !shared[*i])
                    .map(|i| p[i].as_str())
                    .collect();
                if own.is_empty() {
                    "all".to_owned()
                } else {
                    own.join(", ")
                }
            })
            .collect();
        let mut names: Vec<String> = Vec::new();
        for s in &self.data.sources {
            for f in &s.results.frequency_count {
                if !names.contains(&f.structure) {
                    names.push(f.structure.clone());
                }
            }
        }
        let mut series = Vec::new();
        for name in &names {
            for (i, source) in self.data.sources.iter().enumerate() {
                let values: Vec<Option<Value>> = groups
                    .iter()
                    .map(|g| {
                        let f = source.results.frequency_count.iter().find(|f| {
                            &f.structure == name
                                && (
                                    f.elements,
                                    f.distinct,
                                    fmt::tick(fmt::sig(f.theta, 3)),
                                    f.threads,
                                ) == *g
                        })?;
                        let s = &f.elements_per_sec;
                        Some(stats_value(
                            0.0,
                            s,
                            format!("{name}: {} elements/s", fmt::si(s.median, 4)),
                        ))
                    })
                    .collect();
                if values.iter().any(Option::is_some) {
                    series.push(self.one_series(name, i, values));
                }
            }
        }
        let chart = Chart {
            id: String::new(),
            title: "Frequency count".into(),
            subtitle: format!(
                "upsert from rayon vs rayon fold/reduce; {}bars: min to max",
                if common.is_empty() {
                    String::new()
                } else {
                    format!("{}; ", common.join(", "))
                }
            ),
            kind: Kind::Bars {
                groups: labels,
                x_label: "data set".into(),
            },
            y: Axis {
                label: "elements counted per second".into(),
                log: false,
                include_zero: true,
                ticks: vec![],
                format: |v| fmt::si(v, 3),
            },
            series,
        };
        set.placed.push(Placed {
            chart,
            file: "frequency-count.svg".into(),
            section: Section::Across,
        });
    }
}

fn theta(w: &WorkloadSpec) -> f64 {
    match w.distribution {
        Distribution::Zipfian { theta, .. } => theta,
        _ => 0.0,
    }
}

/// A workload with its varying field blanked, as a comparable string.
fn family_key(mut w: WorkloadSpec) -> String {
    w.name.clear();
    w.description.clear();
    serde_json::to_string(&w).unwrap_or_default()
}

/// The first workload for each distinct x, ordered by x.
fn distinct_by<'a>(
    list: &[&'a WorkloadSpec],
    x: impl Fn(&WorkloadSpec) -> f64,
) -> Vec<&'a WorkloadSpec> {
    let mut out: Vec<&WorkloadSpec> = Vec::new();
    for w in list {
        if !out.iter().any(|o| x(o) == x(w)) {
            out.push(w);
        }
    }
    out.sort_by(|a, b| x(a).total_cmp(&x(b)));
    out
}

fn percentile_values(p: &Point, op: &str) -> Vec<Option<Value>> {
    let Some(median) = p.summary.latency.get(op) else {
        return vec![];
    };
    PERCENTILES
        .iter()
        .filter_map(|(label, x, get)| {
            let y = get(median) as f64;
            let each: Vec<f64> = p
                .repeats
                .iter()
                .filter_map(|r| r.latency.get(op))
                .map(|l| get(l) as f64)
                .collect();
            let (lo, hi) = each.iter().fold((y, y), |(a, b), v| (a.min(*v), b.max(*v)));
            // A log scale has no place for zero; a zero percentile means too few samples.
            (y > 0.0).then(|| Value {
                x: *x,
                y,
                lo,
                hi,
                tip: format!("{} {op} {label}: {}", p.structure, fmt::duration_ns(y)),
            })
        })
        .map(Some)
        .collect()
}
