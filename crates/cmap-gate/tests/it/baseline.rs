//! Baseline mode: results files compared with a stored one.

use std::path::{Path, PathBuf};
use std::process::Command;

use cmap_gate::{Mode, Verdict, gate};

use crate::support::{build, parse};

fn results(dir: &Path, name: &str, env: &[(&str, &str)]) -> PathBuf {
    let bin = build(dir, &format!("{name}.sh"), env);
    let json = dir.join(format!("{name}.json"));
    let status = Command::new(&bin)
        .args(["run", "--repeats", "5", "--json"])
        .arg(&json)
        .status()
        .unwrap();
    assert!(status.success());
    json
}

fn compare(old: &Path, new: &Path, out: &Path, extra: &[&str]) -> cmap_gate::GateReport {
    let (o, n, d) = (
        old.display().to_string(),
        new.display().to_string(),
        out.display().to_string(),
    );
    let mut args = vec!["--baseline", &o, "--results", &n, "--out-dir", &d];
    args.extend_from_slice(extra);
    gate(&parse(&args).unwrap()).unwrap()
}

#[test]
fn a_regression_against_a_stored_baseline_only_warns_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let old = results(dir.path(), "old", &[("CMAP_FAKE_NOISE", "0.01")]);
    let new = results(
        dir.path(),
        "new",
        &[
            ("CMAP_FAKE_NOISE", "0.01"),
            ("CMAP_SLOWDOWN_GET", "locked:40"),
        ],
    );
    let out = dir.path().join("out");
    let report = compare(&old, &new, &out, &[]);
    assert_eq!(report.mode, Mode::Baseline);
    assert_eq!(report.verdict, Verdict::Warn);
    let slow = report
        .benchmarks
        .iter()
        .find(|b| b.id == "read-heavy-uniform/locked/t1")
        .unwrap();
    assert_eq!(slow.verdict, Verdict::Warn);
    assert_eq!(slow.attempts[0].verdict, Verdict::Fail);
    assert!(slow.note.as_deref().unwrap().contains("A/B"));

    let strict = compare(&old, &new, &out, &["--baseline-can-fail"]);
    assert_eq!(strict.verdict, Verdict::Fail);
    let same = compare(&old, &old, &out, &["--baseline-can-fail"]);
    assert_eq!(same.verdict, Verdict::Pass);
}

#[test]
fn a_file_that_is_not_a_results_document_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{}").unwrap();
    let b = bad.display().to_string();
    let args = parse(&["--baseline", &b, "--results", &b]).unwrap();
    assert_eq!(gate(&args).unwrap_err().exit_code(), 2);
}
