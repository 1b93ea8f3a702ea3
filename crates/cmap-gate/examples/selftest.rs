//! The gate's self-test against the real harness: does it stay quiet when nothing changed, and
//! does it catch a known slowdown? Run through `scripts/gate-selftest.sh`, which builds the two
//! binaries.
//!
//! ```text
//! selftest aa --base BIN [--runs N] [--out DIR] [--lock FILE] [-- GATE ARGS]
//! selftest full --base BIN --knob BIN --slow STRUCTURE [--aa-runs N] [--runs N] [--out DIR]
//!     [--lock FILE] [-- GATE ARGS]
//! ```
//!
//! Each gate runs as `BIN gate ...` (the base build's `cmap`), under `flock FILE` with `--lock`.
//!
//! - `aa`: `--runs` gates (default 1) of the base build against itself. Fails if any benchmark
//!   fails.
//! - `full`: `--aa-runs` A/A gates (default 5), then `--runs` gates (default 10) of the base build
//!   against the knob build (built with `slowdown-knob`; `CMAP_SLOWDOWN_GET` must be set in the
//!   environment, which the base build ignores). Passes when no A/A benchmark fails, when at
//!   least 90% of the knob gates fail every read-heavy benchmark of `--slow` and nothing else,
//!   and when every gate took at most 15 minutes.
//!
//! Every gate's report is kept under `--out` (default `target/gate-selftest`), one folder per run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::process::{Command, Stdio};

use cmap_gate::{GateReport, Verdict};

/// The wall-time budget of one gate.
const BUDGET_SECONDS: f64 = 15.0 * 60.0;

struct Options {
    mode: String,
    base: PathBuf,
    knob: Option<PathBuf>,
    slow: Option<String>,
    aa_runs: usize,
    runs: Option<usize>,
    out: PathBuf,
    lock: Option<PathBuf>,
    gate_args: Vec<String>,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().ok_or("mode: aa or full")?;
    let mut o = Options {
        mode,
        base: PathBuf::new(),
        knob: None,
        slow: None,
        aa_runs: 5,
        runs: None,
        out: PathBuf::from("target/gate-selftest"),
        lock: None,
        gate_args: Vec::new(),
    };
    while let Some(flag) = args.next() {
        if flag == "--" {
            o.gate_args = args.by_ref().collect();
            break;
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let count = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--base" => o.base = value.into(),
            "--knob" => o.knob = Some(value.into()),
            "--slow" => o.slow = Some(value),
            "--aa-runs" => o.aa_runs = count(&value)?,
            "--runs" => o.runs = Some(count(&value)?),
            "--out" => o.out = value.into(),
            "--lock" => o.lock = Some(value.into()),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if o.base.as_os_str().is_empty() {
        return Err("--base BIN is required".into());
    }
    Ok(o)
}

/// Runs one gate of `base` against `head` as `BASE gate ...` (under `flock LOCK` when a lock file
/// is given, so other timing runs on the machine wait for this gate, and only for it), then reads
/// its report from `out/NAME`.
fn gate(o: &Options, head: &Path, name: &str) -> Result<GateReport, String> {
    let out = o.out.join(name);
    let mut argv: Vec<String> = Vec::new();
    if let Some(lock) = &o.lock {
        argv.extend(["flock".into(), lock.display().to_string()]);
    }
    argv.extend([
        o.base.display().to_string(),
        "gate".into(),
        "--base".into(),
        o.base.display().to_string(),
        "--head".into(),
        head.display().to_string(),
        "--out-dir".into(),
        out.display().to_string(),
    ]);
    argv.extend(o.gate_args.iter().cloned());
    eprintln!("selftest: {name}");
    let status = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("{name}: cannot run {}: {e}", argv[0]))?;
    // 0 pass or warn, 3 regression, 4 inconclusive: the gate reached a verdict.
    if !matches!(status.code(), Some(0 | 3 | 4)) {
        return Err(format!("{name}: `{}` exited with {status}", argv.join(" ")));
    }
    let report = GateReport::read(&out.join("gate-report.json")).map_err(|e| e.to_string())?;
    let count = |v| report.with_verdict(v).count();
    println!(
        "{name:<10} {:<12} fail {:>2}  inconclusive {:>2}  warn {:>2}  pass {:>2}  {:>5.0} s",
        report.verdict.label(),
        count(Verdict::Fail),
        count(Verdict::Inconclusive),
        count(Verdict::Warn),
        count(Verdict::Pass),
        report.wall_seconds
    );
    Ok(report)
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("selftest: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(3),
        Err(e) => {
            eprintln!("selftest: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(o: &Options) -> Result<bool, String> {
    let mut ok = true;
    let mut slowest: f64 = 0.0;
    let aa_runs = if o.mode == "aa" {
        o.runs.unwrap_or(1)
    } else {
        o.aa_runs
    };

    let mut aa_fails = 0;
    let mut aa_benchmarks = 0;
    for i in 0..aa_runs {
        let report = gate(o, &o.base, &format!("aa-{}", i + 1))?;
        aa_fails += report.with_verdict(Verdict::Fail).count();
        aa_benchmarks += report.benchmarks.len();
        slowest = slowest.max(report.wall_seconds);
    }
    println!(
        "A/A: {aa_runs} gate(s), {aa_benchmarks} benchmark verdicts, {aa_fails} fail \
         (required: 0)"
    );
    ok &= aa_fails == 0;

    if o.mode == "full" {
        let (Some(knob), Some(slow)) = (&o.knob, &o.slow) else {
            return Err("full needs --knob BIN and --slow STRUCTURE".into());
        };
        if std::env::var("CMAP_SLOWDOWN_GET").is_err() {
            return Err("set CMAP_SLOWDOWN_GET=<structure>:<percent> for the knob build".into());
        }
        let runs = o.runs.unwrap_or(10);
        let mut hits = 0;
        let mut others_failed = 0;
        for i in 0..runs {
            let report = gate(o, knob, &format!("slow-{}", i + 1))?;
            slowest = slowest.max(report.wall_seconds);
            let is_target =
                |id: &str| id.starts_with("read-heavy") && id.contains(&format!("/{slow}/"));
            let targets: Vec<_> = report
                .benchmarks
                .iter()
                .filter(|b| is_target(&b.id))
                .collect();
            if targets.is_empty() {
                return Err(format!(
                    "no read-heavy benchmark of {slow} in the selection; add them to the gate \
                     arguments"
                ));
            }
            let all_caught = targets.iter().all(|b| b.verdict == Verdict::Fail);
            let wrong: Vec<&str> = report
                .with_verdict(Verdict::Fail)
                .filter(|b| !is_target(&b.id))
                .map(|b| b.id.as_str())
                .collect();
            if all_caught {
                hits += 1;
            }
            if !wrong.is_empty() {
                others_failed += 1;
                println!("  unexpected fail: {}", wrong.join(", "));
            }
            for b in &targets {
                println!(
                    "  {}: {} {:.3} ({:.3}-{:.3})",
                    b.id,
                    b.verdict.label(),
                    b.ratio.median,
                    b.ratio.lo,
                    b.ratio.hi
                );
            }
        }
        println!(
            "sensitivity ({}): {hits}/{runs} gates fail every read-heavy {slow} benchmark \
             (required: 90%); {others_failed} gate(s) failed another benchmark (required: 0)",
            std::env::var("CMAP_SLOWDOWN_GET").unwrap_or_default()
        );
        ok &= hits * 10 >= runs * 9 && others_failed == 0;
    }
    println!("slowest gate: {slowest:.0} s (required: at most {BUDGET_SECONDS:.0} s)");
    ok &= slowest <= BUDGET_SECONDS;
    println!("selftest: {}", if ok { "PASS" } else { "FAIL" });
    Ok(ok)
}
