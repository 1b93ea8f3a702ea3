//! The committed reference report is what this build renders from the committed results.

use std::fs;
use std::path::Path;

use crate::fixture;

#[test]
fn the_reference_report_is_current_with_its_results() {
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/reference");
    let results = reference.join("results.json");
    assert!(results.exists(), "{} is missing", results.display());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reference");
    fixture::report(&[results], &out).unwrap();
    // README.md and index.html name the output folder, and raw.csv the input path in its
    // `file` column, so those are compared without it; the rest holds every figure.
    let without_file_column = |csv: Vec<u8>| -> String {
        String::from_utf8(csv)
            .unwrap()
            .lines()
            .map(|l| {
                let mut cells: Vec<&str> = l.split(',').collect();
                cells.remove(1);
                cells.join(",")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let stale = |rel: &str| {
        format!(
            "reports/reference/{rel} is stale; regenerate it with \
             `cmap report reports/reference/results.json --out reports/reference`"
        )
    };
    let csv = |dir: &Path| without_file_column(fs::read(dir.join("raw.csv")).unwrap_or_default());
    assert!(csv(&out) == csv(&reference), "{}", stale("raw.csv"));
    let mut compared = 0;
    for rel in std::iter::once("summary.md".to_owned()).chain(
        fixture::svgs(&out)
            .into_keys()
            .map(|name| format!("charts/{name}")),
    ) {
        let fresh = fs::read(out.join(&rel)).unwrap();
        let committed = fs::read(reference.join(&rel)).unwrap_or_default();
        assert!(fresh == committed, "{}", stale(&rel));
        compared += 1;
    }
    let committed_charts = fs::read_dir(reference.join("charts")).unwrap().count();
    assert_eq!(
        compared - 1,
        committed_charts,
        "the reference holds charts this build does not draw"
    );
}
