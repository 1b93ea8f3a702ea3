//! Reads a map of 2^20 `u64` keys 200,000 times, through the map or through a snapshot, for
//! counting what a read costs besides the walk down the trie under an instruction counter:
//!
//! ```sh
//! cargo build --release -p cmap-cow --example reads
//! valgrind --tool=callgrind target/release/examples/reads map
//! valgrind --tool=callgrind target/release/examples/reads snapshot
//! ```
//!
//! `callgrind_annotate --inclusive=yes` then shows the instructions spent in `reads::read_all`;
//! divided by 200,000, the instructions per get.

use std::hint::black_box;
use std::process::ExitCode;

use cmap_core::{Batch, ConcurrentMap, Snapshot, Snapshots};
use cmap_cow::CowMap;
use foldhash::fast::FixedState;

const KEYS: u64 = 1 << 20;
const READS: u64 = 200_000;

/// Looks every key of `keys` up through `get_with`, summing the values found.
#[inline(never)]
fn read_all<F: Fn(&u64) -> Option<u64>>(get: F, keys: &[u64]) -> u64 {
    keys.iter()
        .map(|k| get(k).unwrap_or(0))
        .fold(0, u64::wrapping_add)
}

fn main() -> ExitCode {
    let through = std::env::args().nth(1);
    // A fixed seed (or the second argument): with a random one, the trie's shape, and so the
    // probes in its leaves, would differ from run to run.
    let seed = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let map = CowMap::<u64, u64, _>::with_capacity_and_hasher(0, FixedState::with_seed(seed));
    map.batch(|b| b.insert_all(&mut (0..KEYS).map(|k| (k, k))));
    // Scattered keys, as the benchmarks read them.
    let keys: Vec<u64> = (0..READS)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % KEYS)
        .collect();
    let sum = match through.as_deref() {
        Some("map") => read_all(|k| map.get_with(k, |v| *v), &keys),
        Some("snapshot") => {
            let snapshot = map.snapshot();
            read_all(|k| snapshot.get_with(k, |v| *v), &keys)
        }
        _ => {
            eprintln!("usage: reads map|snapshot [seed]");
            return ExitCode::from(2);
        }
    };
    println!("{} reads, sum {}", READS, black_box(sum));
    ExitCode::SUCCESS
}
