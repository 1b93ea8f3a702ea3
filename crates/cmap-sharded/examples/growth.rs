//! Grows a map from empty to 2^19 `u64` keys with one resize policy, for counting what growth
//! costs under an instruction counter:
//!
//! ```sh
//! cargo build --release -p cmap-sharded --example growth
//! valgrind --tool=callgrind target/release/examples/growth incremental
//! valgrind --tool=callgrind target/release/examples/growth blocking
//! ```
//!
//! `callgrind_annotate --inclusive=yes` then shows the instructions spent in `Shard::migrate`
//! (incremental) or in hashbrown's `reserve_rehash` (blocking). Both move the same entries: every
//! entry a shard holds when it fills, about 917,000 in all for 16 shards.

use std::process::ExitCode;

use cmap_core::ConcurrentMap;
use cmap_sharded::{Resize, ShardedMap};
use foldhash::fast::FixedState;

fn main() -> ExitCode {
    let resize = match std::env::args().nth(1).as_deref() {
        Some("incremental") => Resize::default(),
        Some("blocking") => Resize::Blocking,
        _ => {
            eprintln!("usage: growth incremental|blocking");
            return ExitCode::from(2);
        }
    };
    let map = ShardedMap::<u64, u64>::builder()
        .shards(16)
        .resize(resize)
        // The workspace's hasher with a fixed seed, so every run moves the same entries.
        .hasher(FixedState::with_seed(7))
        .build();
    for i in 0..1u64 << 19 {
        map.insert(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i);
    }
    println!("{} entries, {} shards", map.len(), map.shard_count());
    ExitCode::SUCCESS
}
