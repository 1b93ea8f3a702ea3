//! `cmap gate`: compares two builds and says whether the second one regressed.
#![warn(missing_docs)]

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cmap gate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GateArgs {
    /// The baseline harness binary.
    #[arg(long)]
    pub base: Option<PathBuf>,
    /// The candidate harness binary.
    #[arg(long)]
    pub head: Option<PathBuf>,
}

/// Runs `cmap gate`.
pub fn run(args: &GateArgs) -> ExitCode {
    eprintln!(
        "cmap gate: not available in this build ({:?} vs {:?})",
        args.base, args.head
    );
    ExitCode::from(1)
}
