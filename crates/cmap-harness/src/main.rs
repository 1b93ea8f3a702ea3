//! `cmap`: run, list, report, gate.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cmap_harness::alloc::CountingAlloc;
use cmap_harness::cli::{self, RunArgs};
use cmap_harness::{output, registry, slowdown, suite, workload};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Concurrent maps side by side, under identical loads.
#[derive(Debug, Parser)]
#[command(name = "cmap", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run workloads against structures and write results (no arguments: the default suite).
    Run(Box<RunArgs>),
    /// List the structures (with their capabilities) and the workload presets.
    List,
    /// Turn result files into a report folder.
    Report(cmap_report::ReportArgs),
    /// Compare two builds and say whether the second one regressed.
    Gate(Box<cmap_gate::GateArgs>),
}

/// Exit code for bad input, as clap uses for usage errors.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run(&args),
        Command::List => {
            list();
            ExitCode::SUCCESS
        }
        Command::Report(args) => cmap_report::run(&args),
        Command::Gate(args) => cmap_gate::run(&args),
    }
}

fn run(args: &RunArgs) -> ExitCode {
    if let Err(e) = slowdown::init() {
        eprintln!("error: {e}");
        return ExitCode::from(USAGE);
    }
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE);
        }
    };
    let estimate = suite::estimate(&plan);
    let headline = format!(
        "cmap run: {} workloads x {} structures x threads {:?} x {} repeats; estimated {}",
        plan.workloads.len(),
        plan.structures.len(),
        plan.threads,
        plan.repeats,
        human_duration(estimate)
    );
    if args.dry_run {
        print!("{}", plan.describe());
        println!("{headline}");
        return ExitCode::SUCCESS;
    }
    eprintln!("{headline}");
    if !cmap_harness::alloc::is_installed() {
        eprintln!("warning: the counting allocator is not installed; memory figures will be 0");
    }
    let started = std::time::Instant::now();
    let (results, notes) = suite::run(&plan, std::env::args().collect());
    print!("{}", output::table(&results));
    if let Err(e) = output::write_all(&results, &notes, &plan.out, plan.json.as_deref()) {
        eprintln!("error: cannot write results to {}: {e}", plan.out.display());
        return ExitCode::FAILURE;
    }
    eprintln!(
        "wrote {} (results.json, results.csv, run-summary.md) in {}",
        plan.out.display(),
        human_duration(started.elapsed())
    );
    ExitCode::SUCCESS
}

fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

fn list() {
    println!("structures:");
    let mut structures = registry::all();
    structures.push(registry::null());
    for s in &structures {
        let mut caps = vec!["contract"];
        if s.caps.ordered {
            caps.push("ordered");
        }
        if s.caps.snapshots {
            caps.push("snapshots");
        }
        if !s.caps.atomic_rmw {
            caps.push("non-atomic update");
        }
        let family = match s.family {
            cmap_results::Family::Cmap => "cmap",
            cmap_results::Family::Peer => "peer",
            cmap_results::Family::Null => "null",
        };
        println!(
            "  {:<18} {:<5} [{}]  {}",
            s.name,
            family,
            caps.join(", "),
            s.description
        );
    }
    println!("\npresets (read/insert/remove/update/upsert/scan/snapshot %, prefill):");
    for p in workload::PRESETS {
        let m = p.mix;
        println!(
            "  {:<14} {:>3}/{:>2}/{:>2}/{:>2}/{:>2}/{:>2}/{:>1}  {:>4.0}%  {}",
            p.name,
            m.read,
            m.insert,
            m.remove,
            m.update,
            m.upsert,
            m.scan,
            m.snapshot,
            p.prefill * 100.0,
            p.description
        );
    }
    println!(
        "\nsuites (--suite):\n  default  {} with uniform and zipfian keys, threads 1,2, and \
         the frequency count (about 4 minutes on 2 cores)\n  full     data for every chart of \
         `cmap report`: read-heavy, read-95, read-80, read-60, exchange (uniform); read-heavy at \
         zipfian {}; snapshot-churn; rapid-grow; ycsb-a; threads 1,2,4; the frequency count \
         (about 11 minutes on 2 cores; `cmap run --suite full --dry-run` shows the plan)",
        cli::DEFAULT_SUITE.join(", "),
        cli::FULL_SUITE_THETAS.map(|t| t.to_string()).join(", ")
    );
    println!(
        "\ndistributions: uniform, zipfian (--theta, --unscrambled), hotspot (--hot-keys, \
         --hot-ops), latest, sequential\nkey types: u64, string (--key-len)\nvalue sizes: {}",
        workload::VALUE_SIZES
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
}
