//! Bad input stops the report with exit status 2 and a message naming the file, and leaves an
//! existing report as it was; good input rewrites the folder in place.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use cmap_report::ReportError;

use crate::fixture::{self, snapshot};

/// Writes a good report, then checks that `input` fails with a message mentioning `expect` and
/// changes nothing.
fn refused(input: &Path, expect: &str) {
    let dir = input.parent().unwrap();
    let good = fixture::write(dir, "good.json", &fixture::results("alpha", 1.0, 5));
    let out = dir.join("report");
    fixture::report(std::slice::from_ref(&good), &out).unwrap();
    let before = snapshot(&out);

    let err = fixture::report(&[good.clone(), input.to_owned()], &out).unwrap_err();
    assert!(matches!(err, ReportError::Input(_)), "{err:?}");
    assert_eq!(err.exit_code(), 2);
    let msg = err.to_string();
    assert!(
        msg.contains(&input.display().to_string()),
        "message does not name the file: {msg}"
    );
    assert!(msg.contains(expect), "{msg}");
    assert_eq!(
        cmap_report::run(&fixture::args(&[input.to_owned()], &out)),
        ExitCode::from(2)
    );
    assert!(
        snapshot(&out) == before,
        "a failed report changed the folder"
    );
}

#[test]
fn a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    refused(&dir.path().join("absent.json"), "cannot read");
}

#[test]
fn a_file_that_is_not_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.json");
    fs::write(&path, "not json at all").unwrap();
    refused(&path, "is not a cmap results document");
}

#[test]
fn a_document_of_another_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.json");
    let mut json = serde_json::to_value(fixture::results("alpha", 1.0, 5)).unwrap();
    json["schema_version"] = 99.into();
    fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
    refused(&path, "schema_version 99");
}

#[test]
fn a_document_without_points() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = fixture::results("alpha", 1.0, 5);
    r.points.clear();
    let path = fixture::write(dir.path(), "empty.json", &r);
    refused(&path, "no measured points");
}

#[test]
fn a_point_without_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = fixture::results("alpha", 1.0, 5);
    r.points[3].repeats.clear();
    let id = r.points[3].id();
    let path = fixture::write(dir.path(), "hollow.json", &r);
    refused(&path, &format!("point {id} has no repeats"));
}

#[test]
fn a_report_is_regenerated_byte_for_byte_and_sheds_charts_it_no_longer_draws() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("latest");
    // The usual layout: `cmap run --out reports/latest` then a report into the same folder.
    let full = fixture::write(&out, "results.json", &fixture::results("alpha", 1.0, 11));
    fixture::report(std::slice::from_ref(&full), &out).unwrap();
    let first = snapshot(&out);
    fixture::report(std::slice::from_ref(&full), &out).unwrap();
    assert!(snapshot(&out) == first, "same input, different bytes");
    let readme = fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("- [results.json](results.json): the results this report was built from")
    );
    assert!(
        first.keys().all(|p| !p.to_string_lossy().contains(".tmp")),
        "temporary files left behind"
    );

    let small = fixture::write(&out, "results.json", &crate::tables::one_workload());
    let written = fixture::report(&[small], &out).unwrap();
    let after = snapshot(&out);
    let charts: Vec<_> = after.keys().filter(|p| p.starts_with("charts")).collect();
    assert_eq!(
        charts.len(),
        written.charts,
        "stale charts left: {charts:?}"
    );
    assert!(
        after.contains_key(Path::new("results.json")),
        "the results beside the report must stay"
    );
    assert!(
        !fs::read_to_string(out.join("README.md"))
            .unwrap()
            .contains("zipf")
    );
}
