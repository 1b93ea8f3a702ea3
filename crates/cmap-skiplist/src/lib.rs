//! An ordered concurrent map whose snapshots are true points in time: versioned entries on
//! crossbeam's lock-free skip list, the way LevelDB, RocksDB, Pebble and Badger keep their
//! memtables.
//!
//! Ordered data (time-series windows, ranges of ids, leaderboards) needs range scans, and a scan
//! that runs while writers proceed must not show a state that never existed. A plain
//! `crossbeam_skiplist::SkipMap` iterator is live: it sees inserts ahead of its cursor, so a scan
//! can show key 7 without key 3 although 3 was written first. [`SkipListMap`] never overwrites
//! in place. Every write adds a *version*:
//!
//! - the skip list's entries are `(key, seq)`, ordered by key and then newest seq first, each
//!   holding a value or a tombstone (a removal);
//! - every write takes the next sequence number, and a batch takes one for all its writes;
//! - a published *watermark* says which seqs are fully applied. A read at seq `s` sees, for each
//!   key, its newest version numbered at most `s`; a [`snapshot`](cmap_core::Snapshots::snapshot)
//!   is just the watermark at the moment it is taken, registered as live.
//!
//! # Consistency
//!
//! - **Single-key operations** are linearizable. Writes are serialized by one writer lock and
//!   become visible when the watermark reaches their seq; [`get`](cmap_core::ConcurrentMap::get),
//!   [`get_with`](cmap_core::ConcurrentMap::get_with) and
//!   [`contains_key`](cmap_core::ConcurrentMap::contains_key) read at the watermark, without
//!   locks. `update` and `upsert` run their closure on a copy of the value under the writer lock,
//!   so if the closure panics nothing is written.
//! - **[`len`](cmap_core::ConcurrentMap::len)** counts the live keys of the latest state, kept by
//!   writers (O(1)). While a write is in flight it may count that write a moment before readers
//!   see it; at quiescence it is exact.
//! - **Latest-state scans** ([`Ordered::range_with`](cmap_core::Ordered::range_with)) visit keys in
//!   ascending order, each at most once. They read in chunks, each chunk at the watermark of its
//!   moment: a key unchanged for the whole scan is seen with its value, a key written during the
//!   scan may be seen before or after the write. Not a snapshot; take one for that.
//! - **Snapshots** ([`SkipListSnapshot`]) see exactly the writes published when they were taken,
//!   forever: `get`, `range_with`, `scan` and `len` of a snapshot never change, however long a scan
//!   runs and whatever writers do meanwhile. A batch is wholly in a snapshot or wholly absent.
//!   `len` of a snapshot is exact; the first call counts the view once (O(n)) unless a full scan
//!   already did, then it is cached. A snapshot borrows nothing: it may move to other threads and
//!   outlive the map.
//! - **Batches** ([`Batch`](cmap_core::Batch)) hold the writer lock while their closure runs, read
//!   the latest state plus their own writes, and apply everything at one seq when the closure
//!   returns; a panic in the closure applies nothing.
//!
//! Closures passed to `get_with` and to scans run in place, on entries borrowed from the list,
//! while the reading thread is pinned in crossbeam's epoch. A pin holds no lock and pins nest, so
//! such a closure may call the map or its snapshots, write included, without deadlock; a pin only
//! delays memory reclamation, never other threads. Scans unpin every 8192 entries at most and
//! resume with a search, so a slow scan closure holds up reclamation for at most 8192 of its
//! calls.
//!
//! # Garbage collection
//!
//! A version is garbage when no reader can see it: it has been replaced, and no live snapshot
//! was taken between its write and its replacement. A tombstone is garbage when nothing it hides
//! is left. After each write, the writer decides which versions of the key it wrote are garbage,
//! and [`compact`](SkipListMap::compact) does the same for every key (needed only for the versions
//! a dropped snapshot leaves behind). Decisions are made under the snapshot registry's lock, the
//! one a new snapshot takes to read the watermark, so a snapshot never loses a version it needs.
//! The removals themselves are deferred through crossbeam's epoch until every thread that was
//! reading at the time has moved on, because a reader that read the watermark just before a
//! write published may still be looking for the version that write replaced.
//!
//! With no live snapshot the map therefore holds about one version per live key, and memory after
//! heavy churn stays within a few percent of a fresh map with the same contents.
//!
//! # Why one writer lock
//!
//! Writers hold one mutex from taking a seq to publishing it, which makes the watermark trivially
//! contiguous (no seq can be published before an earlier one is applied) and makes `update`,
//! `upsert` and batches atomic read-modify-writes for free. The alternative, a watermark that
//! ratchets over seqs applied out of order, lets writers insert in parallel but then needs
//! per-key ordering for read-modify-writes. Reads, which are the bulk of an ordered map's load,
//! never take the lock.
//!
//! # Performance
//!
//! - `get`: one pin of the epoch (a thread-local counter), one atomic load of the watermark and
//!   one skip-list search, no allocation; about the cost of `SkipMap::get`.
//! - `insert`/`update`/`upsert`/`remove`: the writer lock, a search for the current version, one
//!   skip-list insert (one allocation), and, when the key had a version, a registry lock and a
//!   deferred removal of the replaced version (a second search, later, on whichever thread
//!   collects). Removing a key's only version with no snapshot live unlinks it directly.
//! - Snapshots: O(log s) to take and drop (s live snapshots), no copying. Scans walk the list
//!   level 0, skipping versions newer than their seq, and call their closure in place, with no
//!   copy or clone per entry; they re-pin the epoch every 8192 entries at most.
//! - Scans walk up to 8 stretches of the list at once, one node of each in turn, split at the
//!   *fence keys* the last full scan recorded (every 512th key it visited): a node's address is
//!   known only once the node before it is read, so a single walk waits for every cache miss in
//!   turn, while 8 walks keep 8 misses in flight. Each stretch costs one search and its entries
//!   are buffered (two pointers each) until the stretches before it are handed to the closure.
//!   The first full scan of a map has no fences and walks one node at a time; stale fences (the
//!   map changed a lot since) only unbalance the stretches. Where a chunk finds its nodes in
//!   memory in key order (31 steps in 32 a short step forward: a map filled in key order and
//!   barely overwritten since), the next chunk is one walk, which the processor's prefetchers
//!   follow, where they lose track of 8 interleaved walks.
//!
//! Scans are memory-latency bound: a skip list's nodes lie in memory in allocation order, so a
//! scan of keys inserted in key order (ids, timestamps) walks memory almost sequentially, while
//! keys inserted in random order cost a cache miss per node, for `SkipMap` too. A writer that
//! overwrites random keys moves each key it writes to a new node at a random address, so after
//! about two overwrites per key a map filled in key order is as scattered as one filled at
//! random. A single walk then waits for one miss per node (5-7.5 M entries/s here, for either
//! map); walking 8 stretches at once keeps 8 misses in flight. A scan also walks the versions that
//! writers add during it and that earlier snapshots kept (collected when their key is next
//! written, or by `compact`): 1.00-1.11 versions per key in the runs below, 1.20-1.35 before
//! scans walked in stretches, when each scan took longer.
//!
//! Measured on a shared 2-core machine (AMD EPYC), 1M `u64` keys unless stated. Full scans, a
//! snapshot against a raw `SkipMap`'s live iteration (not a snapshot), interleaved round by round
//! in one run, a fresh snapshot and writer thread per round, the writer overwriting random keys
//! on the other core, in M entries/s: the median of three runs' medians of 7 rounds, with the
//! range of those three medians (`-- scan_rates`; the scanning thread was on a CPU for 0.72-1.0
//! of the wall time; a writer paced at 1M writes/s reaches about 0.6M):
//!
//! | map filled in | writer | `SkipListMap` snapshot | raw `SkipMap` live | one walk, before |
//! |---|---|---|---|---|
//! | key order | none | 205 (148-205) | 30 | 336 |
//! | key order | 100K writes/s | 172 (125-181) | 29 | 327 |
//! | key order | 1M writes/s | 86 (80-89) | 19 | 201 |
//! | key order | flat out | 35 (31-44) | 15 | 27 |
//! | random order | none | 24 (19-24) | 5.5 | 6.1 |
//! | random order | 100K writes/s | 21 (17-23) | 5.6 | 5.5 |
//! | random order | 1M writes/s | 18 (15-19) | 5.7 | 4.5 |
//! | random order | flat out | 19 (16-22) | 6.0 | 4.9 |
//! | key order, then 2M random overwrites | none | 23 (16-25) | 6.7 | 7.6 |
//! | key order, then 2M random overwrites | 100K writes/s | 20 (17-23) | 5.8 | 7.2 |
//! | key order, then 2M random overwrites | 1M writes/s | 22 (13-22) | 5.9 | 6.4 |
//! | key order, then 2M random overwrites | flat out | 20 (14-21) | 6.1 | 5.2 |
//!
//! The last column is one run of the code before scans walked in stretches, in the same
//! conditions. In these three runs no single round of a flat-out row fell below 12.6 M
//! entries/s; earlier runs on a busier machine, with another process holding a core for half
//! the scan, had rounds down to 6-8. Where nodes lie in key order, the chunked walk (entries
//! buffered, the first chunks in stretches) still costs speed against the plain walk (205 against
//! 336 M entries/s with no writer); walking that layout in 8 stretches throughout gave about 100.
//!
//! | | `SkipListMap` | raw `SkipMap` |
//! |---|---|---|
//! | `get`, interleaved ratio | 0.87x (rounds 0.82-0.94) | 1 |
//! | `insert` of absent keys, interleaved ratio | 0.81x (rounds 0.68-0.92) | 1 |
//! | full scan, random fill, writer flat out, interleaved ratio | 3.04x (rounds 0.94-3.74; the lowest is the map's first scan, before it has fences): 19.1 M entries/s | 1: 6.25 M entries/s |
//! | `get` / `insert` / `remove` / `upsert` (earlier runs; unchanged since) | 1.55 / 1.72 / 1.73 / 3.29 us | 1.53 / 1.56 / 1.67 / 1.98 us |
//! | the same at 1K keys, in cache | 59 / 243 / 216 / 515 ns | 28 / 135 / 142 / 351 ns |
//! | take and drop a snapshot | 43 ns | - |
//! | criterion: full snapshot scan, key fill order | 172 M entries/s (one walk: 258) | - |
//! | the same while a writer overwrites flat out | 18.1 M entries/s (one walk: 3.5) | 10.7 M entries/s (live; 8.3 in the run of one walk) |
//! | criterion: full snapshot scan, random fill order | 18.1 M entries/s (one walk: 4.7) | - |
//! | the same while a writer overwrites flat out | 14.2 M entries/s (one walk: 1.9) | 5.9 M entries/s (live; 2.1 in the run of one walk) |
//! | bytes after 10M churn ops / fresh map, same contents | 1.000x (56 bytes per entry) | 40 bytes per entry |
//!
//! The criterion rows come from one run of each version (`-- filled_in --warm-up-time 1
//! --measurement-time 3`; the run of one walk was the busier, see the raw map's figures). Under
//! criterion the writer keeps running from one measurement to the next on the same map, so how
//! scattered the map is, and so the figure, depends on how long the writer has run: the
//! `scan_rates` table controls for that with fresh and churned maps. The memory row is from a
//! run after scans walked in stretches (fences are one key per 512 entries, recorded by full
//! scans).
//! An overwrite (`upsert` above) pays for a deferred search that removes the version it replaced,
//! where `SkipMap` swaps the node in place. In cache (1K keys), the trait-object comparisons and
//! the watermark of a versioned lookup show. The figures come from:
//!
//! ```sh
//! cargo bench -p cmap-benches --bench skiplist                   # criterion, then the ratios
//! cargo bench -p cmap-benches --bench skiplist -- scan_rates     # the scan table
//! cargo bench -p cmap-benches --bench skiplist_memory
//! ```
//!
//! # Testing
//!
//! `cargo test -p cmap-skiplist` runs the conformance suite with every capability, shows that a
//! raw `SkipMap` iterated live fails the snapshot checks, races latest reads against garbage
//! collection, and measures memory after churn with a counting allocator (`tests/memory.rs`, a
//! binary of its own). Longer stress versions run with `-- --ignored`. The snapshot registry's
//! protocol is checked by loom, in a target directory of its own since the cfg rebuilds
//! everything:
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p cmap-skiplist --release --lib
//! ```
//!
//! # Examples
//!
//! A scan of a snapshot never sees later writes:
//!
//! ```
//! use std::ops::ControlFlow;
//! use cmap_core::{ConcurrentMap, Ordered, OrderedSnapshot, Snapshot, Snapshots};
//! use cmap_skiplist::SkipListMap;
//!
//! let scores = SkipListMap::<u64, &str>::new();
//! scores.insert(30, "carol");
//! scores.insert(10, "alice");
//! let before = scores.snapshot();
//! scores.insert(20, "bob");
//! scores.remove(&30);
//!
//! let mut latest = Vec::new();
//! scores.range_with(.., |k, v| {
//!     latest.push((*k, *v));
//!     ControlFlow::Continue(())
//! });
//! assert_eq!(latest, [(10, "alice"), (20, "bob")]);
//!
//! let mut then = Vec::new();
//! before.range_with(5..=30, |k, v| {
//!     then.push((*k, *v));
//!     ControlFlow::Continue(())
//! });
//! assert_eq!(then, [(10, "alice"), (30, "carol")]);
//! assert_eq!(before.len(), 2);
//! ```
//!
//! A batch is all or nothing, to readers and to snapshots alike:
//!
//! ```
//! use cmap_core::{Batch, ConcurrentMap, Snapshot, Snapshots};
//! use cmap_skiplist::SkipListMap;
//!
//! let accounts = SkipListMap::<&str, u64>::new();
//! accounts.insert("a", 100);
//! accounts.insert("b", 0);
//! let before = accounts.snapshot();
//! accounts.batch(|tx| {
//!     let a = tx.get(&"a").unwrap();
//!     tx.insert("a", a - 40);
//!     tx.insert("b", 40);
//! });
//! assert_eq!((accounts.get(&"a"), accounts.get(&"b")), (Some(60), Some(40)));
//! assert_eq!((before.get(&"a"), before.get(&"b")), (Some(100), Some(0)));
//! ```
//!
//! Versions a dropped snapshot kept are collected by the next write to their key, or by
//! `compact`:
//!
//! ```
//! use cmap_core::{ConcurrentMap, Snapshots};
//! use cmap_skiplist::SkipListMap;
//!
//! let map = SkipListMap::<u64, u64>::new();
//! map.insert(1, 1);
//! let snapshot = map.snapshot();
//! map.insert(1, 2);
//! assert_eq!(map.version_count(), 2, "the snapshot still reads version 1");
//! drop(snapshot);
//! map.compact();
//! # for _ in 0..1000 { if map.version_count() == 1 { break } crossbeam_epoch::pin().flush(); }
//! assert_eq!(map.version_count(), 1);
//! ```
#![warn(missing_docs)]

mod map;
mod registry;
mod snapshot;
mod sync;
mod version;

pub use map::SkipListMap;
pub use snapshot::SkipListSnapshot;
