//! Copy-on-write maps for read-mostly data: readers never wait, writers publish new versions.
//!
//! Configuration, routing tables, caches of reference data: maps read on every request and
//! written now and then. [`CowMap`] keeps its contents in an immutable version that readers load
//! with one atomic operation and search with no lock, no waiting and no allocation; a writer
//! builds the next version beside it and publishes it with one atomic store. Because a version
//! never changes, a [`snapshot`](cmap_core::Snapshots::snapshot) is just a counted reference to
//! it: O(1), owned, free to move to other threads and to outlive the map.
//!
//! The naive way to build the next version is to copy the whole map, which makes every write
//! O(n). [`CowMap`] instead stores a *hash array mapped trie* (HAMT): 32-way nodes indexed by five
//! bits of the key's hash at a time, each node an `Arc` shared by every version that did not
//! change it. A write copies only the nodes on the path to its entry, about log32(n) of them
//! (four or five for a million entries), and shares everything else with the previous version.
//! [`FullCopyMap`], the naive map, is kept next to it so measurements can show the difference.
//!
//! # Consistency
//!
//! - **Single-key operations are linearizable.** Writers are serialized by one mutex and each
//!   publishes its new version with one atomic store; a read sees the version current when it
//!   loaded it, which includes every write that had returned before the read began.
//! - **A read never sees part of a write.** It searches one immutable version from start to end;
//!   a write published meanwhile does not affect it.
//! - **A snapshot is a point in time, forever.** It holds exactly the writes published before
//!   [`snapshot`](cmap_core::Snapshots::snapshot) loaded the version, and nothing published later,
//!   however long it lives and however long one of its scans runs. Iterating it
//!   ([`CowSnapshot::iter`], [`Snapshot::scan`](cmap_core::Snapshot::scan)) visits every entry
//!   exactly once, in the trie's order (the order of the keys' hashes, low bits first), while
//!   writers carry on.
//! - **A batch is one version.** The writes of a [`Batch`](cmap_core::Batch) closure go to a
//!   private copy published with one store when the closure returns: readers and snapshots see
//!   all of them or none. If the closure panics, nothing is published.
//! - **A panicking closure changes nothing.** `update` and `upsert` run their closure on a copy of
//!   the value in the private version; if it panics, the copy is dropped and the map is as it was.
//! - [`len`](cmap_core::ConcurrentMap::len) is the length of the version it loads: exact, never a
//!   mix of two versions.
//!
//! # Performance
//!
//! - **Reads** (`get`, `get_with`, `contains_key`): one plain atomic load of the map's count of
//!   publications, compared with the count this thread's cached version was loaded at (each
//!   thread keeps, per map, the version it read last); only the first read after a write reloads
//!   through [`arc_swap::ArcSwap`], which takes a reference count. Never a lock or a wait, and no
//!   allocation but a thread's first read of a map (and, rarely, growing the list a reload hands
//!   an old version over in; its capacity is kept). A read whose closure reads the same map again
//!   takes `ArcSwap::load` (an atomic swap and a compare-and-swap on a per-thread slot) for the
//!   inner read. `len` always takes that load, and keeps nothing. Then one slot read per trie
//!   level. The first levels are walked without a branch on what each slot holds: every lookup
//!   in a version takes the
//!   same number of steps (the fewest after which at most one key in 32 is still below a branch,
//!   five for a million random keys), each choosing between going down and staying with a select,
//!   and only the rare deeper paths finish in a loop; bitmaps are counted with `popcnt` where the
//!   processor has it. So a processor predicts a run of lookups and overlaps more of their cache
//!   misses. The levels still depend on each other, though: at a million entries a lookup follows
//!   four to five pointers, the lower ones usually cache misses, and costs several times a flat
//!   `hashbrown` probe. Choose this map for what it gives readers (no waiting, snapshots), not for
//!   raw lookup speed.
//! - **Writes** (`insert`, `remove`, `update`, `upsert`): take the writer mutex, copy the path of
//!   O(log32 n) nodes (each up to 32 slots; cloning a slot clones its entry or increments a child's
//!   reference count), publish the new version. The nodes the old version no longer shares are
//!   freed by the writer at once, unless a snapshot or a reader's cache still holds that version
//!   (see below).
//!   `remove`, `update` and `upsert` first look the key up, so a miss copies and publishes
//!   nothing.
//! - **Batches** copy each node on their paths once, at its first write, and edit their own copy
//!   in place after that (`Arc::make_mut`), then publish once. How much that saves depends on how
//!   many of the batch's writes share nodes: writes scattered over a large map still copy one
//!   bottom node each, and save the copies of the levels above and the publications.
//! - **Snapshots**: one atomic load and two reference-count increments. A live snapshot keeps
//!   alive only the nodes that later writes replaced.
//! - **What a reader's cache keeps alive**: each thread that has read the map holds the version
//!   it read last, until it reads the map again, writes to it, or the map is dropped (a thread
//!   that exits leaves its cache with the map). That version keeps the nodes later writes
//!   replaced, in the worst case (every entry rewritten since) a whole second copy of the map per
//!   such thread. **Readers never free:** a version a reader lets go of, if nobody else holds it,
//!   is handed to the map and freed by the next write, after it publishes; so the map may also
//!   keep up to one such version per reading thread until that write. The cost of caching falls on
//!   writes' tail: a write that frees a version a reader held long frees the nodes of every write
//!   since. Measured with `cmap run --workloads exchange,read-heavy --distribution uniform
//!   --structures cow --keys 1048576 --ops 200000 --threads 1,2 --repeats 3`: a get's p99 on the
//!   exchange mix went from 28 µs (readers freeing, an earlier form of the cache) to 0.9 µs;
//!   the p99 over all operations on that mix is 4.4 µs at one thread (5.4 µs without a cache)
//!   and 57 µs at two (32 µs without).
//! - **Memory**: an entry is stored inline in its node's slot (24 bytes for `u64` keys and
//!   values); each node adds an `Arc` header. About 37 bytes per `u64` entry in all at a million
//!   entries, against 34 for a `hashbrown` table behind a lock. There is no capacity: the hint given to
//!   `with_capacity` is ignored, and removals give memory back at once.
//! - **Values are cloned.** Writes clone the entries of the nodes they copy, and `update` and
//!   `upsert` modify a clone of the value, so `K` and `V` must be `Clone`, and cheap clones
//!   matter: wrap large values in `Arc`. `remove` and the values returned by `insert` are clones
//!   when an older version still shares the node.
//!
//! Synchronization is an `ArcSwap`, a `parking_lot::Mutex` for writers, and one atomic of this
//! crate's own: the publication count that tells a reader's cache it is stale. Loom checks that
//! a reader which has seen a write complete reads it through a stale cache, and that storing
//! the count before the version would break that:
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p cmap-cow --release --lib
//! ```
//!
//! ## Figures
//!
//! At 2^20 `u64` keys, from `cargo bench -p cmap-benches --bench cow -- 'cow_get_vs_hashbrown|\
//! cow_read_2_threads|cow_point/1048576/insert|cow_take_snapshot|cow_batch_10k/1048576' \
//! --warm-up-time 1 --measurement-time 2` (each run alone on a 2-core machine shared with other
//! work: spreads are wide) and `-- memory_per_entry`:
//!
//! | figure | `CowMap` | reference | ratio |
//! | --- | --- | --- | --- |
//! | `get`, one thread (`cow_get_vs_hashbrown`) | 228 ns (227-279) | `hashbrown` 54 ns (43-62) | 0.22x its throughput (0.19-0.24) |
//! | the same through a snapshot | 166 ns (143-226) | | |
//! | reads, two threads (`cow_read_2_threads`, per pair) | 271 ns (258-279) | sharded 115 ns, locked 115 ns | 0.42x (0.29-0.45), 0.42x |
//! | `insert` of an absent key (`cow_point`) | 3.1 µs (2.8-3.6) | | |
//! | `snapshot()` | 44 ns (44-46) | | |
//! | 10K overwrites (`cow_batch_10k`) | one batch 16.4 ms | one by one 30.2 ms | 1.84x (1.49-1.85) |
//! | memory per entry | 36.5 B | locked map 34.0 B | 1.07x |
//!
//! Medians of 3 runs (spread in brackets); ratios are taken per run, then the median. Before
//! reads went through a per-thread cache (one `ArcSwap::load` per read), the same bench gave
//! 522 ns for `get` (0.10x `hashbrown`) and 586 ns per pair at two threads (0.23x sharded). The
//! memory figure is from before the cache, which does not change what a map holds.
//!
//! Gets compared in one process, old and new lookups interleaved (25 rounds of 400K gets each,
//! twice): through a snapshot 4.3-4.4x `hashbrown`'s time with the branch-free walk against
//! 5.5-5.7x with a branching one, through the map 5.4-5.9x against 6.1-6.9x. Separate criterion
//! runs of one and the same build differed by more than that on this machine.
//!
//! Where the time goes, from profiles (`perf record -e cpu-clock`) of those benches:
//!
//! - A `get` at this size waits on memory: the third level's nodes (about 16 MB) and the fourth's
//!   (about 25 MB, the branches below the 40% of third-level slots that hold more than one key)
//!   are mostly outside the cache, and each level's address comes from the level above, so one
//!   lookup's misses follow one another. A `hashbrown` lookup has one miss that matters, and a
//!   loop of them overlaps many lookups' misses (one serialized `hashbrown` lookup, each key
//!   depending on the previous value, took 480-570 ns on this machine, against 31-50 ns in a loop
//!   of independent ones). `ArcSwap::load`'s two atomic read-modify-writes, full barriers on x86,
//!   limited that overlap further, and cost as much as the walk: reads now skip them between
//!   writes (the per-thread cache above).
//! - An `insert` spends most of its time incrementing, while copying the path, the reference
//!   counts of the copied nodes' children (about 32 per level above the last), then decrementing
//!   them when the old version is dropped: each is an atomic read-modify-write on a line that is
//!   usually a cache miss, and the processor performs them one at a time.
//! - A batch of scattered writes at this size copies one bottom node per write either way, with
//!   the same cache misses per write; it saves the upper levels, the publications and the frees.
//!   At 2^16 entries, where its writes share nodes, a batch is about 11x faster than single
//!   writes.
//!
//! What readers and snapshots observe does not depend on any of this: a reader sees the version
//! that was current when it loaded it, whole; a snapshot is that version, forever (see
//! [Consistency](#consistency)).
//!
//! # Examples
//!
//! Readers keep reading while a writer publishes, and a snapshot keeps what it saw:
//!
//! ```
//! use cmap_core::{Batch, ConcurrentMap, Snapshot, Snapshots};
//! use cmap_cow::CowMap;
//!
//! let routes = CowMap::<String, u16>::new();
//! routes.insert("/api".to_owned(), 8080);
//! let before = routes.snapshot();
//!
//! // Move every route at once: readers see the old table or the new one, never a mix.
//! routes.batch(|batch| {
//!     batch.insert("/api".to_owned(), 9090);
//!     batch.insert("/static".to_owned(), 9091);
//! });
//!
//! assert_eq!(routes.get(&"/api".to_owned()), Some(9090));
//! assert_eq!(before.get(&"/api".to_owned()), Some(8080));
//! assert_eq!((before.len(), routes.len()), (1, 2));
//! ```
//!
//! A snapshot is owned: it outlives the map and iterates on another thread.
//!
//! ```
//! use cmap_core::{ConcurrentMap, Snapshots};
//! use cmap_cow::CowMap;
//!
//! let map: CowMap<u64, u64> = (0..1000).map(|k| (k, k * k)).collect();
//! let snapshot = map.snapshot();
//! drop(map);
//! let total = std::thread::spawn(move || snapshot.iter().map(|(_, v)| v).sum::<u64>())
//!     .join()
//!     .unwrap();
//! assert_eq!(total, (0..1000).map(|k| k * k).sum());
//! ```
//!
//! An iterator borrows its snapshot, so it cannot outlive it:
//!
//! ```compile_fail
//! use cmap_core::{ConcurrentMap, Snapshots};
//! use cmap_cow::CowMap;
//!
//! let map = CowMap::<u64, u64>::new();
//! let mut entries = map.snapshot().iter(); // the snapshot is a temporary, dropped here
//! entries.next();
//! ```
//!
//! Values must be shareable between threads to be in a concurrent map:
//!
//! ```compile_fail
//! use cmap_core::ConcurrentMap;
//! use cmap_cow::CowMap;
//!
//! let map = CowMap::<u64, std::rc::Rc<u64>>::new();
//! ```
#![warn(missing_docs)]

mod full_copy;
mod hamt;
mod iter;
mod map;
mod published;

pub use full_copy::{FullCopyMap, FullCopySnapshot};
pub use iter::Iter;
pub use map::{CowMap, CowSnapshot};
