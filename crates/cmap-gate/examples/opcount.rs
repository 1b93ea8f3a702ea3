//! Instruction counts of single-thread operation paths, under valgrind's callgrind.
//!
//! ```sh
//! cargo build --release -p cmap-gate --example opcount
//! target/release/examples/opcount check --limits crates/cmap-gate/instructions.limits [--update]
//! ```
//!
//! `check` runs `opcount exec` under `valgrind --tool=callgrind` twice per structure and
//! operation: once with the operation loop and once without it (same map, same prefill, same key
//! vector), and divides the difference by the loop's length. That gives instructions per
//! operation, the same on every machine for the same build, so it can be compared with a limit
//! file across CI runs where wall-clock numbers cannot. It says nothing about contention: valgrind
//! runs one thread at a time, so lock waits, cache-line transfers and retries never happen.
//!
//! Exit codes: 0 within the limits (or `--update`), 3 when a path exceeds its limit by more than
//! the tolerance, 1 when valgrind or the driver fails, 2 on a usage error.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use cmap_core::ConcurrentMap;
use cmap_cow::CowMap;
use cmap_locked::LockedMap;
use cmap_sharded::ShardedMap;
use cmap_skiplist::SkipListMap;
use foldhash::fast::FixedState;

/// Structures with a single-thread path worth counting.
const STRUCTURES: &[&str] = &["locked", "sharded", "cow", "skiplist"];
/// Operations counted per structure.
const OPS: &[&str] = &["get", "insert", "remove", "upsert"];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("exec") => exec(&args[1..]),
        Some("check") => check(&args[1..]),
        _ => Err(Failure::Usage(
            "usage: opcount check --limits FILE [--update] [--tolerance PERCENT] [--keys N] \
             [--ops N]\n       opcount exec STRUCTURE OP KEYS OPS"
                .into(),
        )),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure::Usage(msg)) => {
            eprintln!("opcount: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Run(msg)) => {
            eprintln!("opcount: {msg}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    Run(String),
}

/// The hasher every counted map uses: fixed, so the same keys land in the same buckets in every
/// run (a randomly seeded hasher would move collisions, and counts, from run to run).
fn hasher() -> FixedState {
    FixedState::with_seed(0x5EED)
}

/// `opcount exec STRUCTURE OP KEYS OPS`: prefill KEYS keys, then run OPS operations of kind OP.
fn exec(args: &[String]) -> Result<u8, Failure> {
    let [structure, op, keys, ops] = args else {
        return Err(Failure::Usage("exec STRUCTURE OP KEYS OPS".into()));
    };
    let num = |s: &str| {
        s.parse::<u64>()
            .map_err(|e| Failure::Usage(format!("{s}: {e}")))
    };
    let (keys, ops) = (num(keys)?, num(ops)?);
    match structure.as_str() {
        "locked" => drive(
            LockedMap::<u64, u64, _>::with_capacity_and_hasher(0, hasher()),
            op,
            keys,
            ops,
        ),
        "sharded" => drive(
            ShardedMap::<u64, u64, _>::with_capacity_and_hasher(0, hasher()),
            op,
            keys,
            ops,
        ),
        // A skip list never hashes; it takes (and ignores) the default hasher.
        "skiplist" => drive(SkipListMap::<u64, u64>::new(), op, keys, ops),
        "cow" => drive(
            CowMap::<u64, u64, _>::with_capacity_and_hasher(0, hasher()),
            op,
            keys,
            ops,
        ),
        other => Err(Failure::Usage(format!(
            "unknown structure {other} (known: {})",
            STRUCTURES.join(", ")
        ))),
    }
}

fn drive<M, S>(map: M, op: &str, keys: u64, ops: u64) -> Result<u8, Failure>
where
    M: ConcurrentMap<Key = u64, Value = u64, Hasher = S>,
    S: BuildHasher,
{
    // A fixed permutation of the key space: consecutive operations touch scattered keys, as a
    // real load would, and the vector is built in both runs so only the loop differs.
    let order: Vec<u64> = (0..keys.max(1))
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % keys.max(1))
        .collect();
    for k in 0..keys {
        map.insert(k, k);
    }
    let sequence: Vec<u64> = (0..ops)
        .map(|i| order[(i % keys.max(1)) as usize])
        .collect();
    let checksum = match op {
        "get" => timed_get(&map, &sequence),
        "insert" => timed_insert(&map, &sequence, keys),
        "remove" => timed_remove(&map, &sequence),
        "upsert" => timed_upsert(&map, &sequence),
        other => {
            return Err(Failure::Usage(format!(
                "unknown operation {other} (known: {})",
                OPS.join(", ")
            )));
        }
    };
    // Printing the checksum keeps the optimizer from deleting the loop.
    println!("{checksum}");
    Ok(0)
}

#[inline(never)]
fn timed_get<M: ConcurrentMap<Key = u64, Value = u64>>(map: &M, keys: &[u64]) -> u64 {
    keys.iter()
        .map(|k| map.get_with(k, |v| *v).unwrap_or(0))
        .fold(0, u64::wrapping_add)
}

#[inline(never)]
fn timed_insert<M: ConcurrentMap<Key = u64, Value = u64>>(
    map: &M,
    keys: &[u64],
    offset: u64,
) -> u64 {
    // Fresh keys above the prefilled range: every insert adds an entry.
    keys.iter()
        .map(|&k| map.insert(k + offset, k).unwrap_or(0))
        .fold(0, u64::wrapping_add)
}

#[inline(never)]
fn timed_remove<M: ConcurrentMap<Key = u64, Value = u64>>(map: &M, keys: &[u64]) -> u64 {
    keys.iter()
        .map(|k| map.remove(k).unwrap_or(0))
        .fold(0, u64::wrapping_add)
}

#[inline(never)]
fn timed_upsert<M: ConcurrentMap<Key = u64, Value = u64>>(map: &M, keys: &[u64]) -> u64 {
    keys.iter()
        .map(|&k| {
            map.upsert(
                k,
                || 1,
                |v| {
                    *v += 1;
                    *v
                },
            )
            .modified()
            .unwrap_or(0)
        })
        .fold(0, u64::wrapping_add)
}

/// `opcount check`: count every path, compare with (or rewrite) the limit file.
fn check(args: &[String]) -> Result<u8, Failure> {
    let mut limits_path = None;
    let mut update = false;
    let mut tolerance = 5.0f64;
    let mut keys = 10_000u64;
    let mut ops = 10_000u64;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| Failure::Usage(format!("{flag} needs a value")))
        };
        let bad = |e: std::num::ParseIntError| Failure::Usage(format!("{flag}: {e}"));
        match flag.as_str() {
            "--limits" => limits_path = Some(PathBuf::from(value()?)),
            "--update" => update = true,
            "--tolerance" => {
                tolerance = value()?
                    .parse()
                    .map_err(|e| Failure::Usage(format!("--tolerance: {e}")))?
            }
            "--keys" => keys = value()?.parse().map_err(bad)?,
            "--ops" => ops = value()?.parse().map_err(bad)?,
            other => return Err(Failure::Usage(format!("unknown flag {other}"))),
        }
    }
    let limits_path = limits_path.ok_or_else(|| Failure::Usage("--limits FILE".into()))?;
    if ops == 0 || ops > keys {
        return Err(Failure::Usage(
            "--ops must be between 1 and --keys (remove needs a present key per operation)".into(),
        ));
    }
    let me = std::env::current_exe().map_err(|e| Failure::Run(e.to_string()))?;
    let scratch = tempfile::tempdir().map_err(|e| Failure::Run(e.to_string()))?;
    let limits = read_limits(&limits_path)?;

    let mut measured = BTreeMap::new();
    for s in STRUCTURES {
        for op in OPS {
            let with = callgrind(&me, scratch.path(), s, op, keys, ops)?;
            let without = callgrind(&me, scratch.path(), s, op, keys, 0)?;
            let per_op = with.saturating_sub(without) as f64 / ops as f64;
            measured.insert(format!("{s} {op}"), per_op);
        }
    }

    println!(
        "{:<20} {:>12} {:>12} {:>8}",
        "path", "instr/op", "limit", "change"
    );
    let mut over = Vec::new();
    for (path, &count) in &measured {
        match limits.get(path) {
            Some(&limit) => {
                let change = (count / limit - 1.0) * 100.0;
                let mark = if change > tolerance {
                    over.push(path.clone());
                    "  OVER"
                } else if change < -tolerance {
                    "  (faster: --update to lock it in)"
                } else {
                    ""
                };
                println!("{path:<20} {count:>12.1} {limit:>12.1} {change:>+7.1}%{mark}");
            }
            None => println!("{path:<20} {count:>12.1} {:>12} {:>8}", "none", "new"),
        }
    }
    if update {
        let mut text = String::from(
            "# Instructions per single-thread operation under callgrind (scripts/instructions.sh).\n\
             # Counts depend on the compiler version and the build profile, not on the machine.\n\
             # Regenerate with: scripts/instructions.sh --update\n",
        );
        text.push_str(&format!("# keys {keys}, ops {ops}\n"));
        for (path, count) in &measured {
            text.push_str(&format!("{path} {count:.1}\n"));
        }
        cmap_results::write_atomic(&limits_path, text.as_bytes())
            .map_err(|e| Failure::Run(format!("writing {}: {e}", limits_path.display())))?;
        println!("updated {}", limits_path.display());
        return Ok(0);
    }
    if over.is_empty() {
        Ok(0)
    } else {
        eprintln!(
            "opcount: {} exceed their limit by more than {tolerance}%: {} (if intended, run \
             scripts/instructions.sh --update and commit the limit file)",
            over.len(),
            over.join(", ")
        );
        Ok(3)
    }
}

/// Total instructions (`Ir`) of one `opcount exec` under callgrind.
fn callgrind(
    me: &Path,
    scratch: &Path,
    structure: &str,
    op: &str,
    keys: u64,
    ops: u64,
) -> Result<u64, Failure> {
    let out = scratch.join(format!("callgrind.{structure}.{op}.{ops}"));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(me)
        .args(["exec", structure, op, &keys.to_string(), &ops.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| Failure::Run(format!("cannot run valgrind: {e}")))?;
    if !status.success() {
        return Err(Failure::Run(format!(
            "valgrind on {structure} {op} exited with {status}"
        )));
    }
    let text = std::fs::read_to_string(&out)
        .map_err(|e| Failure::Run(format!("{}: {e}", out.display())))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| Failure::Run(format!("no totals in {}", out.display())))
}

/// `structure op count` lines; `#` starts a comment. A missing file is an empty set of limits.
fn read_limits(path: &Path) -> Result<BTreeMap<String, f64>, Failure> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(BTreeMap::new());
    };
    let mut limits = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [s, op, count] = parts[..] else {
            return Err(Failure::Usage(format!(
                "{}:{}: expected `structure op count`",
                path.display(),
                n + 1
            )));
        };
        let count: f64 = count
            .parse()
            .map_err(|e| Failure::Usage(format!("{}:{}: {count}: {e}", path.display(), n + 1)))?;
        limits.insert(format!("{s} {op}"), count);
    }
    Ok(limits)
}
