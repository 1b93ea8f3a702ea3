//! Several result files, from several machines, merge into one report.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use crate::fixture::{self, svgs};

#[test]
fn machines_become_a_dimension_of_every_chart_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture::write(dir.path(), "alpha.json", &fixture::results("alpha", 1.0, 1));
    let b = fixture::write(dir.path(), "beta.json", &fixture::results("beta", 0.5, 2));
    let out = dir.path().join("report");
    fixture::report(&[a, b], &out).unwrap();

    let all = svgs(&out);
    let svg = &all["throughput-threads-read-heavy-uniform.svg"];
    let doc = roxmltree::Document::parse(svg).unwrap();
    let series: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("series"))
        .collect();
    let pairs: BTreeSet<(&str, &str)> = series
        .iter()
        .map(|n| {
            (
                n.attribute("data-structure").unwrap(),
                n.attribute("data-machine").unwrap(),
            )
        })
        .collect();
    assert_eq!(pairs.len(), 8, "four maps on two machines: {pairs:?}");
    // Colour means the structure on every machine; the dash pattern tells machines apart.
    let mut colour: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut dash: BTreeMap<&str, BTreeSet<Option<&str>>> = BTreeMap::new();
    for n in &series {
        colour
            .entry(n.attribute("data-structure").unwrap())
            .or_default()
            .insert(n.attribute("stroke").unwrap());
        let path = n
            .children()
            .find(|c| c.tag_name().name() == "path")
            .unwrap();
        dash.entry(n.attribute("data-machine").unwrap())
            .or_default()
            .insert(path.attribute("stroke-dasharray"));
    }
    assert!(colour.values().all(|c| c.len() == 1), "{colour:?}");
    assert_eq!(dash["alpha"].len(), 1);
    assert_eq!(dash["beta"].len(), 1);
    assert_ne!(dash["alpha"], dash["beta"]);
    assert!(svg.contains("sharded @ beta"), "legend names the machine");

    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("### On alpha") && summary.contains("### On beta"));
    let readme = fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains(" | alpha | beta |\n"),
        "machines side by side in the README"
    );
    assert!(readme.contains("alpha cpu") && readme.contains("beta cpu"));
}

#[test]
fn two_files_from_one_machine_stay_apart() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture::write(
        dir.path(),
        "before.json",
        &fixture::results("alpha", 1.0, 1),
    );
    let b = fixture::write(dir.path(), "after.json", &fixture::results("alpha", 1.2, 2));
    let out = dir.path().join("report");
    fixture::report(&[a, b], &out).unwrap();
    let summary = fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("### On alpha (before.json)")
            && summary.contains("### On alpha (after.json)")
    );
}

#[test]
fn differing_loads_and_definitions_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = fixture::results("alpha", 1.0, 1);
    a.points[0].stream_checksum = "deadbeef".into();
    let mut b = fixture::results("beta", 1.0, 2);
    for p in b
        .points
        .iter_mut()
        .filter(|p| p.workload.name == "balanced-uniform")
    {
        p.workload.key_space = 1_000;
    }
    let a = fixture::write(dir.path(), "a.json", &a);
    let b = fixture::write(dir.path(), "b.json", &b);
    let written = fixture::report(&[a, b], &dir.path().join("report")).unwrap();
    assert_eq!(written.warnings.len(), 2, "{:?}", written.warnings);
    assert!(
        written
            .warnings
            .iter()
            .any(|w| w.contains("different operation streams"))
    );
    assert!(
        written
            .warnings
            .iter()
            .any(|w| w.contains("workload balanced-uniform is defined differently"))
    );
}
