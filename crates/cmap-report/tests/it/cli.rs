//! The command line as the `cmap` binary exposes it.

use std::path::PathBuf;

use clap::Parser;
use cmap_report::ReportArgs;

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    args: ReportArgs,
}

#[test]
fn defaults_to_reports_latest_against_locked() {
    let cli = Cli::try_parse_from(["cmap-report", "a.json", "b.json"]).unwrap();
    assert_eq!(
        cli.args.results,
        [PathBuf::from("a.json"), PathBuf::from("b.json")]
    );
    assert_eq!(cli.args.out, PathBuf::from("reports/latest"));
    assert_eq!(cli.args.baseline, cmap_report::DEFAULT_BASELINE);
}

#[test]
fn needs_at_least_one_result_file() {
    let err = Cli::try_parse_from(["cmap-report", "--out", "x"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::MissingRequiredArgument);
}

#[test]
fn takes_an_output_folder_and_a_baseline() {
    let cli = Cli::try_parse_from([
        "cmap-report",
        "r.json",
        "--out",
        "reports/x",
        "--baseline",
        "sharded",
    ])
    .unwrap();
    assert_eq!(cli.args.out, PathBuf::from("reports/x"));
    assert_eq!(cli.args.baseline, "sharded");
}
