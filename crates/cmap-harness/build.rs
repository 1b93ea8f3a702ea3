//! Records what built the harness, so every result can say so: the git revision (if the source is a
//! git checkout), the rustc version and the profile. Nothing here may fail the build: outside a
//! git checkout, or without git, the revision is simply unknown.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");

    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc_version = command_output(Command::new(rustc).arg("--version"))
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CMAP_RUSTC_VERSION={rustc_version}");

    let profile = std::env::var("PROFILE").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=CMAP_PROFILE={profile}");

    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let git =
        |args: &[&str]| command_output(Command::new("git").current_dir(&manifest_dir).args(args));
    let revision = git(&["rev-parse", "HEAD"]).map(|rev| {
        // `git status` lists untracked and modified files; any output means the build is not
        // exactly the named commit.
        match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(status) if !status.is_empty() => format!("{rev}-dirty"),
            _ => rev,
        }
    });
    println!(
        "cargo:rustc-env=CMAP_GIT_REVISION={}",
        revision.unwrap_or_default()
    );

    // Rebuild the revision when the checkout moves or the index changes (a commit or a staged edit).
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        for file in ["HEAD", "index"] {
            let path = git_dir.join(file);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
        if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let path = git_dir.join(head_ref);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}

/// The trimmed stdout of a command that succeeded, or `None`.
fn command_output(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8(output.stdout).ok()?.trim().to_owned())
}
