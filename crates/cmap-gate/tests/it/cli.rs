//! Exit codes and usage errors.

use std::process::ExitCode;

use cmap_gate::{GateError, gate, run};

use crate::support::{ab_args, build, parse};

#[test]
fn exit_codes_follow_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(dir.path(), "base", &[]);
    let slow = build(dir.path(), "slow", &[("CMAP_SLOWDOWN_GET", "locked:30")]);
    let out = dir.path().join("out");
    let narrow = ["--workloads", "read-heavy-uniform", "--threads", "1"];
    assert_eq!(
        run(&ab_args(&base, &base, &out, &narrow)),
        ExitCode::from(0)
    );
    assert_eq!(
        run(&ab_args(&base, &slow, &out, &narrow)),
        ExitCode::from(3)
    );
    let noisy = build(dir.path(), "noisy", &[("CMAP_FAKE_NOISE", "0.5")]);
    assert_eq!(
        run(&ab_args(&noisy, &noisy, &out, &narrow)),
        ExitCode::from(4)
    );
}

#[test]
fn a_failing_harness_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(dir.path(), "base", &[]);
    let broken = build(dir.path(), "broken", &[("CMAP_FAKE_EXIT", "101")]);
    let args = ab_args(&base, &broken, &dir.path().join("out"), &[]);
    let err = gate(&args).unwrap_err();
    assert!(matches!(err, GateError::Harness(_)));
    assert!(err.to_string().contains("101"), "{err}");
    assert_eq!(run(&args), ExitCode::from(1));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bin = build(dir.path(), "cmap", &[]);
    let out = dir.path().join("out");
    let b = bin.display().to_string();
    let o = out.display().to_string();
    for bad in [
        vec!["--base", &b, "--out-dir", &o],
        vec!["--base", &b, "--head", "/no/such/binary", "--out-dir", &o],
        vec!["--base", &b, "--head", &b, "--rounds", "3", "--out-dir", &o],
        vec![
            "--base",
            &b,
            "--head",
            &b,
            "--threshold",
            "0",
            "--out-dir",
            &o,
        ],
    ] {
        let args = parse(&bad).unwrap();
        let err = gate(&args).unwrap_err();
        assert!(matches!(err, GateError::Usage(_)), "{bad:?}: {err}");
        assert_eq!(run(&args), ExitCode::from(2));
    }
    // What clap itself refuses (it exits 2 when `cmap` parses its arguments).
    let err = parse(&["--calibrate", "--base", &b, "--head", &b]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(parse(&["--results", "x.json"]).is_err());
}
