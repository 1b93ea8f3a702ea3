//! A/B and A/A against the fake harness.

use cmap_gate::{GateReport, Mode, Verdict, gate};

use crate::support::{ab_args, build};

#[test]
fn a_a_with_ordinary_noise_passes_every_benchmark() {
    let dir = tempfile::tempdir().unwrap();
    let bin = build(dir.path(), "cmap", &[("CMAP_FAKE_NOISE", "0.05")]);
    let report = gate(&ab_args(&bin, &bin, &dir.path().join("out"), &[])).unwrap();
    assert_eq!(report.benchmarks.len(), 12);
    assert_eq!(report.verdict, Verdict::Pass, "{}", report.markdown());
    // A 95% interval misses the truth one time in twenty; with 12 benchmarks, two misses at most.
    let missed = report
        .benchmarks
        .iter()
        .filter(|b| !(b.ratio.lo <= 1.0 && 1.0 <= b.ratio.hi))
        .count();
    assert!(missed <= 2, "{}", report.markdown());
    assert!(report.benchmarks.iter().all(|b| b.attempts.len() == 1));
    assert_eq!(report.rounds.len(), 15);
}

#[test]
fn injected_get_slowdown_fails_only_the_read_heavy_benchmarks_of_that_structure() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(dir.path(), "base", &[]);
    let head = build(dir.path(), "head", &[("CMAP_SLOWDOWN_GET", "locked:20")]);
    let report = gate(&ab_args(&base, &head, &dir.path().join("out"), &[])).unwrap();
    assert_eq!(report.verdict, Verdict::Fail);
    let failed: Vec<&str> = report
        .with_verdict(Verdict::Fail)
        .map(|b| b.id.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "read-heavy-uniform/locked/t1",
            "read-heavy-uniform/locked/t2"
        ]
    );
    for b in report.with_verdict(Verdict::Fail) {
        // 90% reads, each 20% slower: throughput / (0.9 * 1.2 + 0.1) = 0.847.
        assert!((b.ratio.median - 0.847).abs() < 0.03, "{b:?}");
        // Confirmed by a second, separate measurement.
        assert_eq!(b.attempts.len(), 2);
        assert!(b.attempts.iter().all(|a| a.verdict == Verdict::Fail));
        let msg = report.failure_message(b);
        for needle in [
            &b.id,
            "head",
            "base",
            "CI",
            "10.0% threshold",
            "reproduce: cmap gate",
        ] {
            assert!(msg.contains(needle), "{needle} missing from {msg}");
        }
    }
    // The mixed workload slows by 10%: at the threshold, so a warning at most.
    for b in &report.benchmarks {
        if b.id.starts_with("mixed-uniform/locked") {
            assert!(b.verdict != Verdict::Fail, "{b:?}");
        }
    }
    // The re-measurement ran only the failing structure.
    let retry: Vec<_> = report.rounds.iter().filter(|r| r.attempt == 1).collect();
    assert_eq!(retry.len(), 15);
    assert!(
        retry[0]
            .base
            .throughput
            .keys()
            .all(|id| id.contains("/locked/"))
    );
}

#[test]
fn abba_cancels_a_machine_that_slows_down_over_the_job() {
    // Each process runs 2% slower than the one before: over 30 processes the machine loses 45%.
    let dir = tempfile::tempdir().unwrap();
    let bin = build(
        dir.path(),
        "cmap",
        &[("CMAP_FAKE_DRIFT", "0.02"), ("CMAP_FAKE_NOISE", "0.01")],
    );
    let report = gate(&ab_args(&bin, &bin, &dir.path().join("out"), &[])).unwrap();
    assert_ne!(report.verdict, Verdict::Fail, "{}", report.markdown());
    for b in &report.benchmarks {
        assert!((b.ratio.median - 1.0).abs() < 0.015, "{b:?}");
    }
}

#[test]
fn descheduled_processes_do_not_make_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let bin = build(dir.path(), "cmap", &[("CMAP_FAKE_OUTLIERS", "0.15")]);
    let report = gate(&ab_args(
        &bin,
        &bin,
        &dir.path().join("out"),
        &["--rounds", "20", "--order", "random", "--seed", "9"],
    ))
    .unwrap();
    assert!(report.with_verdict(Verdict::Fail).next().is_none());
}

#[test]
fn noise_too_high_to_say_is_inconclusive() {
    let dir = tempfile::tempdir().unwrap();
    let bin = build(dir.path(), "cmap", &[("CMAP_FAKE_NOISE", "0.4")]);
    let report = gate(&ab_args(
        &bin,
        &bin,
        &dir.path().join("out"),
        &["--threshold", "5"],
    ))
    .unwrap();
    assert_eq!(report.verdict, Verdict::Inconclusive);
    assert_eq!(report.verdict.exit_code(), 4);
}

#[test]
fn an_unconfirmed_failure_is_reported_as_a_warning() {
    // Head is slow only for the first measurement (2 discovery runs, then 15 rounds of 12
    // benchmarks, 2 processes each): the first measurement fails, the re-measurement does not.
    let dir = tempfile::tempdir().unwrap();
    let base = build(dir.path(), "base", &[("CMAP_FAKE_NOISE", "0.01")]);
    let head = dir.path().join("head");
    let fake = env!("CARGO_BIN_EXE_cmap-gate-fake-harness");
    let counter = dir.path().join("counter");
    std::fs::write(
        &head,
        format!(
            "#!/bin/sh\nexport CMAP_FAKE_COUNTER='{}' CMAP_FAKE_NOISE=0.01\n\
             n=$(cat '{}' 2>/dev/null || echo 0)\n\
             if [ \"$n\" -lt 362 ]; then export CMAP_SLOWDOWN_GET=locked:40; fi\n\
             exec '{fake}' \"$@\"\n",
            counter.display(),
            counter.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&head, std::fs::Permissions::from_mode(0o755)).unwrap();
    let report = gate(&ab_args(&base, &head, &dir.path().join("out"), &[])).unwrap();
    let flaky: Vec<_> = report
        .benchmarks
        .iter()
        .filter(|b| b.attempts.len() == 2)
        .collect();
    assert!(!flaky.is_empty());
    for b in flaky {
        assert_eq!(b.attempts[0].verdict, Verdict::Fail);
        assert_eq!(b.verdict, Verdict::Warn, "{b:?}");
        assert!(b.note.as_deref().unwrap().contains("re-measurement"));
    }
    assert_eq!(report.verdict, Verdict::Warn);
}

#[test]
fn without_confirmation_a_failure_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(dir.path(), "base", &[]);
    let head = build(dir.path(), "head", &[("CMAP_SLOWDOWN_GET", "sharded:50")]);
    let report = gate(&ab_args(
        &base,
        &head,
        &dir.path().join("out"),
        &["--no-confirm", "--structures", "sharded", "--threads", "1"],
    ))
    .unwrap();
    assert_eq!(report.verdict, Verdict::Fail);
    assert!(report.rounds.iter().all(|r| r.attempt == 0));
    assert_eq!(report.benchmarks.len(), 3);
}

#[test]
fn calibration_suggests_a_larger_threshold_for_a_noisier_machine() {
    let suggest = |noise: &str| {
        let dir = tempfile::tempdir().unwrap();
        let bin = build(dir.path(), "cmap", &[("CMAP_FAKE_NOISE", noise)]);
        let b = bin.display().to_string();
        let out = dir.path().join("out").display().to_string();
        let args =
            crate::support::parse(&["--calibrate", "--base", &b, "--out-dir", &out]).unwrap();
        let report = gate(&args).unwrap();
        assert_eq!(report.mode, Mode::Calibrate);
        assert_eq!(report.base, report.head);
        report.calibration.unwrap().suggested_threshold
    };
    let quiet = suggest("0.01");
    let noisy = suggest("0.15");
    assert!(quiet < noisy, "{quiet} {noisy}");
    assert!((0.02..=0.05).contains(&quiet), "{quiet}");
}

#[test]
fn a_benchmark_only_one_build_has_is_listed_not_judged() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(dir.path(), "base", &[("CMAP_FAKE_DROP", "sharded")]);
    let head = build(dir.path(), "head", &[]);
    let report = gate(&ab_args(&base, &head, &dir.path().join("out"), &[])).unwrap();
    assert_eq!(report.benchmarks.len(), 6);
    assert_eq!(report.missing.len(), 6);
    assert!(report.missing.iter().all(|id| id.contains("/sharded/")));
    assert!(report.markdown().contains("measured by one build only"));
}

#[test]
fn different_operation_streams_are_pointed_out() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(dir.path(), "base", &[]);
    let head = build(dir.path(), "head", &[("CMAP_FAKE_STREAMS", "v2")]);
    let narrow = ["--workloads", "mixed-uniform", "--threads", "1"];
    let report = gate(&ab_args(&base, &head, &dir.path().join("out"), &narrow)).unwrap();
    assert_eq!(report.notes.len(), 2, "{:?}", report.notes);
    assert!(report.notes[0].contains("different operation streams"));
    assert!(report.markdown().contains("stream checksums differ"));
    let same = gate(&ab_args(&base, &base, &dir.path().join("out"), &narrow)).unwrap();
    assert!(same.notes.is_empty());
}

#[test]
fn report_files_keep_every_round_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let base = build(dir.path(), "base", &[]);
    let head = build(dir.path(), "head", &[("CMAP_SLOWDOWN_GET", "locked:20")]);
    let out = dir.path().join("out");
    let report = gate(&ab_args(&base, &head, &out, &["--rounds", "7"])).unwrap();
    let back = GateReport::read(&out.join("gate-report.json")).unwrap();
    // serde_json may round the last bit of a float; everything else must survive exactly.
    assert_eq!(back.benchmarks.len(), report.benchmarks.len());
    assert_eq!(back.rounds.len(), report.rounds.len());
    for (a, b) in back.benchmarks.iter().zip(&report.benchmarks) {
        assert_eq!(
            (&a.id, a.verdict, a.attempts.len()),
            (&b.id, b.verdict, b.attempts.len())
        );
        assert!((a.ratio.median - b.ratio.median).abs() < 1e-12);
    }
    assert_eq!(back.rounds.iter().filter(|r| r.attempt == 0).count(), 7);
    for b in &back.benchmarks {
        let first = &b.attempts[0];
        assert_eq!(first.ratios.len(), 7);
        let recomputed = cmap_gate::median(&first.ratios).unwrap();
        assert_eq!(first.estimate.median, recomputed);
    }

    let bencher: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("gate-bencher.json")).unwrap()).unwrap();
    let one = &bencher["read-heavy-uniform/locked/t1"];
    assert!(one["throughput"]["value"].as_f64().unwrap() > 0.0);
    let r = &one["head-base-ratio"];
    assert!(r["lower_value"].as_f64() <= r["value"].as_f64());
    assert!(r["value"].as_f64() <= r["upper_value"].as_f64());

    for (file, unit) in [
        ("gate-github-bigger-is-better.json", "ops/s"),
        ("gate-github-smaller-is-better.json", "ns/op"),
    ] {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join(file)).unwrap()).unwrap();
        let entries = v.as_array().unwrap();
        assert_eq!(entries.len(), 12);
        for e in entries {
            assert_eq!(e["unit"], unit);
            assert!(e["name"].is_string() && e["value"].as_f64().unwrap() > 0.0);
            assert!(e["range"].as_str().unwrap().starts_with("± "));
        }
    }

    let md = std::fs::read_to_string(out.join("gate-summary.md")).unwrap();
    assert!(md.starts_with("## cmap gate: FAIL"), "{md}");
    assert!(md.contains("| `read-heavy-uniform/locked/t1` |"));
    assert!(md.contains("### Regressions"));
    assert!(md.contains("```sh\n  cmap gate --base"));
}

#[test]
fn the_summary_is_appended_to_an_existing_job_summary() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("step-summary.md");
    std::fs::write(&path, "# earlier step\n").unwrap();
    cmap_gate::append_to(&path, "## cmap gate: pass\n").unwrap();
    cmap_gate::append_to(&path, "## cmap gate: warn\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# earlier step\n## cmap gate: pass\n## cmap gate: warn\n"
    );
}

#[test]
fn a_report_of_another_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gate-report.json");
    std::fs::write(&path, r#"{"schema_version": 999}"#).unwrap();
    let err = GateReport::read(&path).unwrap_err().to_string();
    assert!(err.contains("999"), "{err}");
}

#[test]
fn each_process_runs_one_benchmark_and_base_and_head_of_it_run_back_to_back() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log");
    let log_s = log.display().to_string();
    let base = build(dir.path(), "base", &[("CMAP_FAKE_LOG", &log_s)]);
    let head = build(
        dir.path(),
        "head",
        &[("CMAP_FAKE_LOG", &log_s), ("CMAP_FAKE_NOISE", "0.031")],
    );
    let report = gate(&ab_args(
        &base,
        &head,
        &dir.path().join("out"),
        &["--rounds", "5", "--threads", "1"],
    ))
    .unwrap();
    assert_eq!(report.benchmarks.len(), 6);
    let lines: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    // Two discovery runs of the whole selection, then 5 rounds x 6 benchmarks x 2 builds.
    assert_eq!(lines.len(), 2 + 5 * 6 * 2);
    let selection_of = |line: &str| -> String {
        let words: Vec<&str> = line.split(' ').collect();
        let at = |flag: &str| {
            let i = words.iter().position(|w| *w == flag).unwrap();
            words[i + 1].to_string()
        };
        format!(
            "{}-{}/{}/t{}",
            at("--workloads"),
            at("--distribution"),
            at("--structures"),
            at("--threads")
        )
    };
    assert!(
        lines.iter().all(|l| l.contains("--no-overhead")),
        "both builds accept --no-overhead, so every process skips the overhead measurement"
    );
    let mut seen = std::collections::BTreeSet::new();
    for pair in lines[2..].chunks(2) {
        let (a, b) = (selection_of(&pair[0]), selection_of(&pair[1]));
        assert_eq!(a, b, "a pair ran different benchmarks");
        assert!(!a.contains(','), "{a}: more than one benchmark per process");
        seen.insert(a);
    }
    let ids: std::collections::BTreeSet<String> =
        report.benchmarks.iter().map(|b| b.id.clone()).collect();
    assert_eq!(seen, ids);
}

#[test]
fn the_best_repeat_sees_through_interference_and_every_repeat_is_kept() {
    // A third of all repeats lose 10-60% of their speed to another job.
    let dir = tempfile::tempdir().unwrap();
    let noisy = [
        ("CMAP_FAKE_INTERFERENCE", "0.33"),
        ("CMAP_FAKE_NOISE", "0.02"),
    ];
    let base = build(dir.path(), "base", &noisy);
    let head = build(
        dir.path(),
        "head",
        &[noisy[0], noisy[1], ("CMAP_SLOWDOWN_GET", "locked:20")],
    );
    let report = gate(&ab_args(
        &base,
        &head,
        &dir.path().join("out"),
        &["--workloads", "read-heavy-uniform,mixed-uniform"],
    ))
    .unwrap();
    assert_eq!(report.config.estimator, cmap_gate::Estimator::Best);
    let failed: Vec<&str> = report
        .with_verdict(Verdict::Fail)
        .map(|b| b.id.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "read-heavy-uniform/locked/t1",
            "read-heavy-uniform/locked/t2"
        ],
        "{}",
        report.markdown()
    );
    for r in &report.rounds {
        for (id, v) in &r.base.throughput {
            let repeats = &r.base.repeats[id];
            assert_eq!(repeats.len(), 3);
            assert_eq!(*v, repeats.iter().copied().fold(0.0, f64::max));
        }
    }
    // The median of the same kind of repeats would be pulled down with the slowed ones.
    let median = gate(&ab_args(
        &base,
        &base,
        &dir.path().join("out2"),
        &["--estimator", "median", "--workloads", "read-heavy-uniform"],
    ))
    .unwrap();
    assert_eq!(median.config.estimator, cmap_gate::Estimator::Median);
    for r in &median.rounds {
        for (id, v) in &r.base.throughput {
            let repeats = &r.base.repeats[id];
            assert_eq!(Some(*v), cmap_gate::median(repeats));
        }
    }
}

#[test]
fn a_build_without_no_overhead_runs_without_it() {
    // A base revision from before `run --no-overhead` existed: the gate asks each binary and
    // passes the flag only to the one that lists it.
    let dir = tempfile::tempdir().unwrap();
    let (old_log, new_log) = (dir.path().join("old.log"), dir.path().join("new.log"));
    let (old_s, new_s) = (old_log.display().to_string(), new_log.display().to_string());
    let base = build(
        dir.path(),
        "base",
        &[("CMAP_FAKE_OLD", "1"), ("CMAP_FAKE_LOG", &old_s)],
    );
    let head = build(dir.path(), "head", &[("CMAP_FAKE_LOG", &new_s)]);
    let report = gate(&ab_args(
        &base,
        &head,
        &dir.path().join("out"),
        &["--rounds", "5", "--threads", "1"],
    ))
    .unwrap();
    assert!(!report.base.skip_overhead && report.head.skip_overhead);
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    assert!(!read(&old_log).contains("--no-overhead"));
    assert!(read(&new_log).lines().all(|l| l.contains("--no-overhead")));
}
