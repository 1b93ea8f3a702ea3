//! Bad input: exit code 2, a message naming the field and what it accepts, and no result file
//! written or damaged.

use std::fs;
use std::path::Path;

use crate::cmap;

const SENTINEL: &str = "{\"previous\": \"results\"}";

/// Runs `cmap run` with `args` against an output folder holding a previous results file, and
/// checks the failure: exit 2, every `expected` string in stderr, the old file intact and nothing
/// new written.
fn refused(args: &[&str], expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("results.json"), SENTINEL).unwrap();
    let mut full = vec!["run", "--quick", "--out", "out", "--json", "extra.json"];
    full.extend_from_slice(args);
    let output = cmap(dir.path(), &full);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    for needle in expected {
        assert!(
            stderr.contains(needle),
            "{args:?}: `{needle}` not in: {stderr}"
        );
    }
    assert_eq!(
        fs::read_to_string(out.join("results.json")).unwrap(),
        SENTINEL
    );
    let mut left: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["results.json"], "{args:?} wrote files");
    assert!(!Path::new(&dir.path().join("extra.json")).exists());
}

#[test]
fn unknown_preset_lists_the_presets() {
    refused(
        &["--workloads", "read-heavy,nope"],
        &[
            "--workloads",
            "nope",
            "read-heavy, exchange, rapid-grow, ycsb-a",
        ],
    );
}

#[test]
fn unknown_structure_lists_the_structures() {
    refused(
        &["--structures", "locked,btree"],
        &["--structures", "btree", "locked, sharded"],
    );
}

#[test]
fn zero_keys() {
    refused(&["--keys", "0"], &["--keys", "at least 1 key"]);
}

#[test]
fn more_writers_than_threads() {
    refused(
        &["--threads", "1,2", "--writers", "2"],
        &["--writers", "--threads 1"],
    );
}

#[test]
fn unknown_distribution_and_key_type_and_value_size() {
    refused(
        &["--distribution", "pareto"],
        &["--distribution", "pareto", "zipfian"],
    );
    refused(&["--key-type", "bytes"], &["--key-type", "u64, string"]);
    refused(&["--value-size", "12"], &["value_size", "8, 16, 64, 256"]);
    refused(&["--theta", "1.5"], &["theta"]);
}

#[test]
fn unparsable_numbers_are_usage_errors() {
    refused(&["--threads", "two"], &["--threads"]);
}

#[test]
fn malformed_and_impossible_workload_files() {
    let dir = tempfile::tempdir().unwrap();
    let malformed = dir.path().join("malformed.toml");
    fs::write(&malformed, "name = \"x\"\nmix = { read = ").unwrap();
    refused(
        &["--workload-file", malformed.to_str().unwrap()],
        &["malformed.toml", "malformed TOML"],
    );

    let base = "name = \"mine\"\nkey_space = 1000\nprefill = 0.5\nvalue_size = 8\n\
                capacity_hint = true\ndistribution = { kind = \"uniform\" }\n\
                key_type = { kind = \"u64\" }\n";
    let short_mix = dir.path().join("short.toml");
    fs::write(
        &short_mix,
        format!("{base}mix = {{ read = 80, insert = 10 }}\n"),
    )
    .unwrap();
    refused(
        &["--workload-file", short_mix.to_str().unwrap()],
        &["mix", "sum to 90", "must sum to 100"],
    );

    let typo = dir.path().join("typo.toml");
    fs::write(
        &typo,
        format!("{base}mix = {{ read = 100 }}\nrepeats = 3\n"),
    )
    .unwrap();
    refused(&["--workload-file", typo.to_str().unwrap()], &["repeats"]);

    let no_keys = dir.path().join("nokeys.toml");
    fs::write(
        &no_keys,
        format!(
            "{}mix = {{ read = 100 }}\n",
            base.replace("key_space = 1000", "key_space = 0")
        ),
    )
    .unwrap();
    refused(
        &["--workload-file", no_keys.to_str().unwrap()],
        &["key_space"],
    );
}
