//! The charts: which exist, that they parse, and what each one shows.

use std::collections::{BTreeMap, BTreeSet};

use crate::fixture::{self, single, svgs};

/// Every series of a chart: (structure, machine) to colour.
fn series(svg: &str) -> Vec<(String, String, String)> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    doc.descendants()
        .filter(|n| n.attribute("class") == Some("series"))
        .map(|n| {
            (
                n.attribute("data-structure").unwrap().to_owned(),
                n.attribute("data-machine").unwrap().to_owned(),
                n.attribute("stroke").unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_chart_the_data_supports_is_drawn() {
    let (_dir, _, out) = single();
    let names: BTreeSet<String> = svgs(&out).into_keys().collect();
    for w in fixture::workloads() {
        let slug = w.name.replace('.', "-");
        assert!(
            names.contains(&format!("throughput-threads-{slug}.svg")),
            "{names:?}"
        );
        for op in ["insert", "remove"] {
            if w.mix.insert > 0 {
                assert!(
                    names.contains(&format!("latency-{slug}-{op}.svg")),
                    "{names:?}"
                );
            }
        }
    }
    for name in [
        "latency-read-heavy-uniform-get.svg",
        "latency-snapshot-under-writes-snapshot.svg",
        "memory-per-entry.svg",
        "read-ratio-1.svg",
        "zipf-1.svg",
        "snapshot-snapshot-under-writes.svg",
        "frequency-count.svg",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    // One read-ratio family and one zipf family in the fixture, so no second chart of either.
    assert!(!names.contains("read-ratio-2.svg") && !names.contains("zipf-2.svg"));
}

#[test]
fn every_chart_is_well_formed_with_labelled_axes_a_title_and_a_legend() {
    let (_dir, _, out) = single();
    for (name, svg) in svgs(&out) {
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg", "{name}");
        assert!(root.attribute("viewBox").is_some(), "{name}");
        let texts = |class: &str| -> Vec<String> {
            doc.descendants()
                .filter(|n| n.attribute("class") == Some(class))
                .map(|n| n.text().unwrap_or_default().to_owned())
                .collect()
        };
        let labels = texts("axis-label");
        assert_eq!(labels.len(), 2, "{name}: {labels:?}");
        assert!(labels.iter().all(|l| !l.trim().is_empty()), "{name}");
        assert_eq!(texts("chart-title").len(), 1, "{name}");
        let legend = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("legend"))
            .expect("legend");
        let entries = legend
            .children()
            .filter(|n| n.tag_name().name() == "text")
            .count();
        assert_eq!(
            entries,
            series(&svg).len(),
            "{name}: one legend entry per series"
        );
        // No stray markup: the only elements are drawing primitives.
        for n in doc.descendants().filter(|n| n.is_element()) {
            assert!(
                [
                    "svg", "title", "rect", "text", "g", "line", "path", "circle"
                ]
                .contains(&n.tag_name().name()),
                "{name}: unexpected <{}>",
                n.tag_name().name()
            );
        }
    }
}

#[test]
fn units_are_on_the_axes() {
    let (_dir, _, out) = single();
    let all = svgs(&out);
    assert!(all["throughput-threads-read-heavy-uniform.svg"].contains("throughput (operations/s)"));
    assert!(all["latency-read-heavy-uniform-get.svg"].contains("get latency (log scale)"));
    assert!(
        all["latency-read-heavy-uniform-get.svg"].contains(" µs<"),
        "durations label the log axis"
    );
    assert!(all["memory-per-entry.svg"].contains("heap bytes per entry (B)"));
    assert!(all["zipf-1.svg"].contains("zipfian constant θ (0 = uniform)"));
    assert!(all["read-ratio-1.svg"].contains("reads (% of operations)"));
    assert!(all["snapshot-snapshot-under-writes.svg"].contains("snapshot iteration (entries/s)"));
}

#[test]
fn one_series_per_structure_and_never_the_null_map() {
    let (_dir, _, out) = single();
    let all = svgs(&out);
    let structures =
        |name: &str| -> Vec<String> { series(&all[name]).into_iter().map(|s| s.0).collect() };
    let maps = ["locked", "sharded", "cow", "dashmap"];
    for name in [
        "throughput-threads-read-heavy-uniform.svg",
        "latency-balanced-uniform-insert.svg",
        "memory-per-entry.svg",
        "read-ratio-1.svg",
        "zipf-1.svg",
    ] {
        let mut got = structures(name);
        got.sort();
        let mut want: Vec<String> = maps.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        assert_eq!(got, want, "{name}");
    }
    assert_eq!(structures("snapshot-snapshot-under-writes.svg"), ["cow"]);
    assert_eq!(
        structures("frequency-count.svg"),
        ["sharded", "dashmap", "rayon-fold-reduce"]
    );
}

#[test]
fn each_structure_has_one_colour_in_every_chart_and_no_two_share_one() {
    let (_dir, _, out) = single();
    let mut colours: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for svg in svgs(&out).values() {
        for (structure, _, colour) in series(svg) {
            colours.entry(structure).or_default().insert(colour);
        }
    }
    assert!(colours.len() >= 5, "{colours:?}");
    for (structure, set) in &colours {
        assert_eq!(set.len(), 1, "{structure} drawn in {set:?}");
    }
    let distinct: BTreeSet<&String> = colours.values().flatten().collect();
    assert_eq!(
        distinct.len(),
        colours.len(),
        "two structures share a colour: {colours:?}"
    );
}

#[test]
fn points_carry_the_medians_and_error_bars_the_spread() {
    let (_dir, results, out) = single();
    let svg = &svgs(&out)["throughput-threads-read-heavy-uniform.svg"];
    let doc = roxmltree::Document::parse(svg).unwrap();
    let sharded = doc
        .descendants()
        .find(|n| n.attribute("data-structure") == Some("sharded"))
        .unwrap();
    let markers = sharded
        .descendants()
        .filter(|n| n.tag_name().name() == "circle")
        .count();
    let bars = sharded
        .descendants()
        .filter(|n| n.attribute("class") == Some("error-bar"))
        .count();
    assert_eq!(markers, fixture::THREADS.len());
    assert_eq!(
        bars,
        fixture::THREADS.len(),
        "repeats differ, so every point has a bar"
    );
    let p = results.point("read-heavy-uniform/sharded/t4").unwrap();
    let tip = sharded
        .descendants()
        .rfind(|n| n.tag_name().name() == "title")
        .unwrap()
        .text()
        .unwrap();
    let quoted: f64 = tip
        .split(": ")
        .nth(1)
        .unwrap()
        .split(" M ops/s")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (quoted * 1e6 / p.summary.throughput.median - 1.0).abs() < 5e-4,
        "{tip}"
    );
}
