//! The page: self-contained, well-formed, with every chart inlined.

use std::fs;

use crate::fixture::{single, svgs};

#[test]
fn the_page_loads_nothing_from_anywhere() {
    let (_dir, _, out) = single();
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    for banned in [
        "http://", "https://", "<script", "<link", "<img", "<iframe", "@import", "url(", "src=",
    ] {
        assert!(!html.contains(banned), "index.html contains {banned}");
    }
}

#[test]
fn the_page_is_well_formed_and_inlines_every_chart() {
    let (_dir, _, out) = single();
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc =
        roxmltree::Document::parse_with_options(&html, opts).expect("index.html is well-formed");
    let inline = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "svg")
        .count();
    assert_eq!(inline, svgs(&out).len());
    // Every link of the navigation leads to an element of the page.
    let ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "duplicate ids");
    for href in doc.descendants().filter_map(|n| n.attribute("href")) {
        if let Some(target) = href.strip_prefix('#') {
            assert!(ids.contains(&target), "dangling link {href}");
        } else {
            assert!(out.join(href).exists(), "link to a missing file {href}");
        }
    }
}

#[test]
fn the_page_shows_the_summary_and_the_method() {
    let (_dir, _, out) = single();
    let html = fs::read_to_string(out.join("index.html")).unwrap();
    for needle in [
        "Workload read-heavy-uniform",
        "alpha cpu",
        "0123abcd",
        "rustc 1.95.0",
        "Frequency count",
        "Not run:",
    ] {
        assert!(html.contains(needle), "index.html lacks {needle}");
    }
}
