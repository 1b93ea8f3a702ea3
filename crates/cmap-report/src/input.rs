//! Reading, checking and merging result files.
//!
//! Each file becomes a [`Source`], labelled by its machine. Several sources merge into one
//! [`Dataset`] in which the machine is one more dimension: a series is a structure on a machine.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use cmap_results::{Family, Point, Results, WorkloadSpec};

/// One result file.
#[derive(Debug)]
pub(crate) struct Source {
    /// The machine name, made unique across the report (two files from one machine get their
    /// file name appended).
    pub label: String,
    /// The file, as given on the command line.
    pub path: PathBuf,
    /// Its content.
    pub results: Results,
}

/// Every source of a report.
#[derive(Debug)]
pub(crate) struct Dataset {
    /// In command-line order.
    pub sources: Vec<Source>,
    /// Things readers should know that do not stop the report (shown in it and on stderr).
    pub warnings: Vec<String>,
}

/// Dash patterns that tell machines apart while colour tells structures apart.
const DASHES: &[&str] = &["", "7 4", "2 3", "10 3 2 3", "4 2 1 2"];

/// Bar fill opacities that tell machines apart in bar charts.
const OPACITY: &[f64] = &[0.9, 0.45, 0.7, 0.25, 0.6];

impl Dataset {
    /// Reads and checks every file; the error names the file and what is wrong with it.
    pub(crate) fn load(paths: &[PathBuf]) -> Result<Self, String> {
        let mut sources: Vec<Source> = Vec::new();
        for path in paths {
            let results = Results::read(path).map_err(|e| e.to_string())?;
            check(&results, path)?;
            sources.push(Source {
                label: results.method.machine.clone(),
                path: path.clone(),
                results,
            });
        }
        if sources.is_empty() {
            return Err("no result files given".to_owned());
        }
        // Label collisions: two files from one machine (e.g. before and after a change).
        let mut count: HashMap<String, usize> = HashMap::new();
        for s in &sources {
            *count.entry(s.label.clone()).or_default() += 1;
        }
        let mut used = BTreeSet::new();
        for s in &mut sources {
            if count[&s.label] > 1 {
                let file = s
                    .path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default();
                s.label = format!("{} ({file})", s.label);
            }
            let base = s.label.clone();
            let mut n = 2;
            while !used.insert(s.label.clone()) {
                s.label = format!("{base} #{n}");
                n += 1;
            }
        }
        let warnings = warnings(&sources);
        Ok(Self { sources, warnings })
    }

    /// Whether the report merges several sources (then series and tables name the machine).
    pub(crate) fn multi(&self) -> bool {
        self.sources.len() > 1
    }

    /// Every point with its source.
    pub(crate) fn points(&self) -> impl Iterator<Item = (usize, &Source, &Point)> {
        self.sources
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.results.points.iter().map(move |p| (i, s, p)))
    }

    /// Workloads by name, in order of first appearance.
    pub(crate) fn workloads(&self) -> Vec<&WorkloadSpec> {
        let mut seen = BTreeSet::new();
        self.points()
            .map(|(_, _, p)| &p.workload)
            .filter(|w| seen.insert(w.name.clone()))
            .collect()
    }

    /// Structures with their family: ours first, then peers, then the null map, each group in
    /// order of first appearance.
    pub(crate) fn structures(&self) -> Vec<(String, Family)> {
        let mut seen = BTreeSet::new();
        let mut list: Vec<(String, Family)> = self
            .points()
            .filter(|(_, _, p)| seen.insert(p.structure.clone()))
            .map(|(_, _, p)| (p.structure.clone(), p.family))
            .collect();
        list.sort_by_key(|(_, f)| family_rank(*f));
        list
    }

    /// The legend label of a structure on a source.
    pub(crate) fn series_label(&self, structure: &str, source: usize) -> String {
        if self.multi() {
            format!("{structure} @ {}", self.sources[source].label)
        } else {
            structure.to_owned()
        }
    }

    /// The dash pattern of a source's lines.
    pub(crate) fn dash(&self, source: usize) -> &'static str {
        DASHES[source % DASHES.len()]
    }

    /// The fill opacity of a source's bars.
    pub(crate) fn opacity(&self, source: usize) -> f64 {
        OPACITY[source % OPACITY.len()]
    }
}

/// Sort key of a family: ours, peers, the null map.
pub(crate) fn family_rank(f: Family) -> u8 {
    match f {
        Family::Cmap => 0,
        Family::Peer => 1,
        Family::Null => 2,
    }
}

fn check(results: &Results, path: &std::path::Path) -> Result<(), String> {
    let path = path.display();
    if results.points.is_empty() {
        return Err(format!(
            "{path} has no measured points (an interrupted run, or a filter that matched nothing); \
             nothing to report"
        ));
    }
    let mut ids = BTreeSet::new();
    for p in &results.points {
        let id = p.id();
        if p.repeats.is_empty() {
            return Err(format!("{path}: point {id} has no repeats"));
        }
        if !ids.insert(id.clone()) {
            return Err(format!("{path}: point {id} appears twice"));
        }
    }
    Ok(())
}

fn warnings(sources: &[Source]) -> Vec<String> {
    let mut out = Vec::new();
    // Identical loads: every structure at one workload and thread count must have run the same
    // operation streams, or the comparison is between different experiments.
    for s in sources {
        let mut checksums: BTreeMap<(String, usize), BTreeSet<&str>> = BTreeMap::new();
        for p in &s.results.points {
            checksums
                .entry((p.workload.name.clone(), p.threads))
                .or_default()
                .insert(&p.stream_checksum);
        }
        for ((workload, threads), set) in checksums {
            if set.len() > 1 {
                out.push(format!(
                    "{}: structures at {workload}, {threads} threads ran different operation streams \
                     (checksums {}); their figures do not compare",
                    s.path.display(),
                    set.into_iter().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    // One workload name, two definitions: across machines the figures would not compare.
    let mut specs: BTreeMap<&str, (&WorkloadSpec, &Source)> = BTreeMap::new();
    for s in sources {
        for p in &s.results.points {
            match specs.get(p.workload.name.as_str()) {
                None => {
                    specs.insert(&p.workload.name, (&p.workload, s));
                }
                Some((spec, first)) if !same_workload(spec, &p.workload) => {
                    out.push(format!(
                        "workload {} is defined differently in {} and {}; compare its machines with care",
                        p.workload.name,
                        first.path.display(),
                        s.path.display()
                    ));
                    specs.insert(&p.workload.name, (&p.workload, s));
                }
                Some(_) => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Equal except for the description, which is prose.
fn same_workload(a: &WorkloadSpec, b: &WorkloadSpec) -> bool {
    let mut b = b.clone();
    b.description.clone_from(&a.description);
    *a == b
}
