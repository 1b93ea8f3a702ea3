//! `cmap report`: turns one or more result files into a report folder.
#![warn(missing_docs)]

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cmap report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Result files written by `cmap run` (several, e.g. from different machines, merge).
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// The report folder to write.
    #[arg(long, default_value = "reports/latest")]
    pub out: PathBuf,
}

/// Runs `cmap report`.
pub fn run(args: &ReportArgs) -> ExitCode {
    eprintln!(
        "cmap report: not available in this build ({} inputs, out {})",
        args.results.len(),
        args.out.display()
    );
    ExitCode::from(1)
}
