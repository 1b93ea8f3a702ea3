//! Wrapper scripts around the fake harness, and argument parsing as `cmap gate` does it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use clap::Parser;
use cmap_gate::GateArgs;

/// `cmap gate`'s argument parser.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    gate: GateArgs,
}

/// Parses `cmap gate` arguments.
pub fn parse(args: &[&str]) -> Result<GateArgs, clap::Error> {
    Cli::try_parse_from(std::iter::once("gate").chain(args.iter().copied())).map(|c| c.gate)
}

/// A build: a script that runs the fake harness with `env` set. Every build of one test shares
/// `dir/counter`, so each process draws the next noise value of one fixed sequence.
pub fn build(dir: &Path, name: &str, env: &[(&str, &str)]) -> PathBuf {
    let mut script = String::from("#!/bin/sh\n");
    script.push_str(&format!(
        "export CMAP_FAKE_COUNTER='{}'\n",
        dir.join("counter").display()
    ));
    for (k, v) in env {
        script.push_str(&format!("export {k}='{v}'\n"));
    }
    script.push_str(&format!(
        "exec '{}' \"$@\"\n",
        env!("CARGO_BIN_EXE_cmap-gate-fake-harness")
    ));
    let path = dir.join(name);
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Gate arguments for `base` and `head` over the fake's default benchmarks, writing into `out`.
pub fn ab_args(base: &Path, head: &Path, out: &Path, extra: &[&str]) -> GateArgs {
    let (b, h, o) = (
        base.display().to_string(),
        head.display().to_string(),
        out.display().to_string(),
    );
    let mut args = vec!["--base", &b, "--head", &h, "--out-dir", &o];
    args.extend_from_slice(extra);
    parse(&args).unwrap()
}
