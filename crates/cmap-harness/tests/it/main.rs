//! Integration tests: they run the built `cmap` binary, as a user would.

mod bad_input;
mod list;
mod quick;
mod suite;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `cmap` with `args` in `dir`.
fn cmap(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cmap"))
        .args(args)
        .current_dir(dir)
        .env_remove("CMAP_SLOWDOWN_GET")
        .output()
        .expect("the cmap binary runs")
}
