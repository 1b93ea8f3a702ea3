//! `cmap run --suite full --dry-run`: the full suite's plan, printed without running anything.

use crate::cmap;

#[test]
fn full_suite_dry_run_prints_the_plan_and_estimate_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = cmap(
        dir.path(),
        &["run", "--suite", "full", "--dry-run", "--out", "out"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "read-heavy-uniform",
        "read-95-uniform",
        "read-80-uniform",
        "read-60-uniform",
        "exchange-uniform",
        "read-heavy-zipf-0.5",
        "read-heavy-zipf-0.7",
        "read-heavy-zipf-0.9",
        "read-heavy-zipf-0.99",
        "snapshot-churn-uniform",
        "rapid-grow-uniform",
        "ycsb-a-zipf",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} missing from:\n{stdout}"
        );
    }
    assert!(stdout.contains("workloads (12):"), "{stdout}");
    assert!(stdout.contains("zipfian theta 0.7 scrambled"), "{stdout}");
    assert!(stdout.contains("threads: [1, 2, 4]"), "{stdout}");
    assert!(
        stdout.contains("frequency count: 2000000 elements"),
        "{stdout}"
    );
    assert!(stdout.contains("structures (10):"), "{stdout}");
    assert!(stdout.contains("estimated"), "{stdout}");
    assert!(!dir.path().join("out").exists(), "a dry run writes nothing");

    // Other flags override the suite.
    let out = cmap(
        dir.path(),
        &["run", "--suite", "full", "--threads", "1,2", "--dry-run"],
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("threads: [1, 2]"), "{stdout}");
    assert!(stdout.contains("read-heavy-zipf-0.9"), "{stdout}");

    // An unknown suite is bad input.
    let out = cmap(dir.path(), &["run", "--suite", "huge"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("default") && stderr.contains("full"),
        "{stderr}"
    );
}
