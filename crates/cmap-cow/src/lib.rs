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
//! O(n). [`CowMap`] instead stores a persistent hash trie, wide and shallow: inner nodes of 256
//! children indexed by one byte of the key's hash, over leaves of up to 24 entries stored inline
//! in small open-addressed tables. A million entries take two levels of inner nodes and a leaf. A
//! write copies only the nodes on the path to its entry (two inner nodes and a leaf at that size)
//! and shares everything else with the previous version. Nodes do not count references to their
//! children: each carries the number of the version that created it, and a node a write replaced
//! is freed once no live version (the current one, a reader's, a snapshot) lies between its
//! creation and its replacement. So copying a node is a plain copy, with no atomic operation per
//! child. [`FullCopyMap`], the naive map, is kept next to it so measurements can show the
//! difference.
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
//!   exactly once, in the trie's order (the order of the keys' hashes, top bits first; within a
//!   leaf, the order of its slots), while writers carry on.
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
//! - **Reads** (`get`, `get_with`, `contains_key`): one plain atomic load of the current
//!   version's address, compared with the address of the version this thread read last, which
//!   the thread keeps (per map, with a strong reference) and remembers in a thread-local memo
//!   with four slots (a map's slot is the id it gets when made, modulo 4, so maps made one after
//!   another take different slots). If they match, the read walks that version, with no other
//!   synchronization. Otherwise the read finds its cache through `thread_local::ThreadLocal`,
//!   and if the cache is stale (the first read after a write) reloads it through
//!   [`arc_swap::ArcSwap`], which takes a reference count: two maps that share a slot and are
//!   read in turn pay the `ThreadLocal` lookup on every read. Never a lock or a wait, and no
//!   allocation but a thread's first read of a map (and, rarely, growing the list a reload hands
//!   an old version over in; its capacity is kept). A read whose closure reads the map again
//!   while it is stale takes `ArcSwap`'s reference-counted load for the inner read, and so does
//!   a read made while a value is being dropped: a thread never changes its cache while one of
//!   its reads is in progress. `len` always takes `ArcSwap::load` (an atomic swap and a
//!   compare-and-swap on a per-thread slot), and keeps nothing. Then one child pointer read per
//!   level (two at a million random keys: the root's, always in cache, and one of 256 inner
//!   nodes) and one probe of a leaf: its tag byte and the slot it points to, read together, so a
//!   lookup at that size usually waits for one cache miss.
//! - **Writes** (`insert`, `remove`, `update`, `upsert`): take the writer mutex, copy the path
//!   (the inner nodes are 2 KB copies of pointers, the leaf clones its up to 24 entries), publish
//!   the new version. The nodes the old version no longer shares are freed by the writer at once,
//!   unless a snapshot or a reader's cache still holds that version (see below). `remove`,
//!   `update` and `upsert` first look the key up, so a miss copies and publishes nothing. A leaf
//!   that would hold a 25th entry splits in two within its parent; a leaf alone in one slot of
//!   its parent splits into a new inner node below it. Removal undoes splits on its path: a leaf
//!   that empties is freed, a leaf the removal leaves with at most 6 entries merges with its
//!   buddy (the leaf beside it that it split from, or would have) if both together hold at most
//!   12 (half a leaf, so a leaf does not split and merge back by turns), a leaf widens over a
//!   block left empty beside it, and an inner node left with a single leaf, or none, is folded
//!   into its parent. So a map that shrinks gives its nodes back. Only a removal that leaves
//!   its leaf that small reads the buddy (one more cache miss), and a merge clones the buddy's
//!   entries (at most 12) into the removal's own copy of the leaf.
//! - **Batches** copy each node on their paths once, at its first write, and edit their own copy
//!   in place after that, then publish once. How much that saves depends on how many of the
//!   batch's writes share nodes: writes scattered over a large map still copy one leaf each.
//!   [`BatchWriter::insert_all`](cmap_core::BatchWriter::insert_all) orders its entries by the
//!   top bits of their hashes (a counting sort, stable: of two entries for one key, the later
//!   wins), so writes that share nodes come together, and fetches the leaves of the next entries
//!   while it writes.
//! - **Snapshots**: one atomic load and two reference-count increments. A live snapshot keeps
//!   alive only the nodes that later writes replaced.
//! - **What a reader's cache keeps alive**: each thread that has read the map holds the version
//!   it read last, until it reads the map again, writes to it, or the map is dropped (a thread
//!   that exits leaves its cache with the map). That version keeps the nodes later writes
//!   replaced, in the worst case (every entry rewritten since) a whole second copy of the map per
//!   such thread. **Readers never free:** a version a reader lets go of, if nobody else holds it,
//!   is handed to the map and dropped by the next write, after it publishes; so the map may also
//!   keep up to one such version per reading thread until that write.
//! - **Memory**: an entry is stored inline in a leaf slot (16 bytes for `u64` keys and values);
//!   a leaf has 32 slots and holds at most 24 entries, 12 or so after it splits, and adds 48
//!   bytes of header and tags; an inner node takes 2 KB. At 2^20 random keys that comes to 37.6
//!   bytes per entry (`-- memory_per_entry`), about 15 entries per leaf.
//!   There is no capacity: the hint given to `with_capacity` is ignored. [`CowMap::node_bytes`]
//!   says what the current version takes.
//! - **Values are cloned.** Writes clone the entries of the leaves they copy, and `update` and
//!   `upsert` modify a clone of the value, so `K` and `V` must be `Clone`, and cheap clones
//!   matter: wrap large values in `Arc`.
//!
//! Synchronization is an `ArcSwap`, a `parking_lot::Mutex` for writers and one for the registry
//! of live versions, and one atomic of this crate's own: `latest`, the current version's address,
//! which a read compares with its cached version's. Loom checks that a reader which has seen a
//! write complete reads it through a stale cache, that a reader told by another that it has seen
//! a version reads that version through a cache of the older one, that storing `latest` after
//! the version would break that, and that a node shared by two versions outlives a reader of
//! the older one when the newer dies first (freeing it as soon as its newest version dies is
//! caught); miri checks the node code and the read path:
//!
//! ```sh
//! RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p cmap-cow --release --lib
//! cargo +nightly miri test -p cmap-cow --lib
//! ```
//!
//! ## Figures
//!
//! At 2^20 `u64` keys, from `cargo bench -p cmap-benches --bench cow -- cow_targets`, which
//! measures every comparison side by side in each of 11 rounds (this 2-core machine is shared,
//! and separate runs of one map differ by 2x: `hashbrown`'s get alone took 24 to 140 ns). Two
//! runs of this build, alternated with two of the build before the leaf mask and the counting
//! sort (below); each cell is the median of 11 rounds:
//!
//! | figure | target | this build, runs 1 / 2 | before, runs 1 / 2 |
//! | --- | --- | --- | --- |
//! | `get`, throughput against `hashbrown`'s | >= 0.5x | 0.47x / 0.50x | 0.48x / 0.47x |
//! | the same through a snapshot (no per-thread cache) | | 0.62x / 0.71x | 0.64x / 0.62x |
//! | reads at two threads, against the sharded map's | >= 1.3x | 1.12x / 1.05x | 1.09x / 1.48x |
//! | median single insert of an absent key | < 2 µs | 0.99 / 1.14 µs | 1.05 / 0.98 µs |
//! | 10K scattered overwrites, one batch of `insert`s, against one by one | >= 5x | 2.49x / 2.21x | 2.01x / 2.19x |
//! | the same with one `insert_all` | >= 5x | 5.54x / 5.36x | 3.71x / 3.73x |
//!
//! (Single inserts are timed one by one, clock reads included.) In run 1 of this build, 10K
//! overwrites took 8.9-11.4 ms one by one, 3.2-4.9 ms as one batch of `insert`s and 1.35-1.96
//! ms through `insert_all`. Not met: `get` is at the bound, not clearly over it, and reads at
//! two threads are not 1.3x the sharded map's; one batch of `insert`s is not 5x (each of its
//! scattered writes waits for its own leaf, in the order given). Of those, the two-thread ratio
//! moves most from run to run: earlier runs of older builds, spread over a day, gave per-run
//! medians of 0.93-1.43x, in two groups: the sharded map's reads took 80-100 ns in some runs and
//! 140-155 ns in others, this map's 90-120 ns in both. The sharded map's readers write their
//! shard's lock word, and what moving that cache line between the two threads costs probably
//! depends on where the host puts the two virtual cores (a guess: a two-thread ping-pong took
//! 50-60 ns at some times and 90-130 ns at others, but did not follow the ratio round by round).
//!
//! Earlier steps, each measured the same way against the build before it: the lookup's tag bits
//! per node kind (below) took `get` from 0.36-0.42x to 0.47-0.51x; the read path through
//! `latest` and a thread-local memo (above), which replaced one that found the thread's cache
//! through `ThreadLocal` on every read, took a get through the map from 1.39x the time of one
//! through a snapshot to 1.24-1.33x; spare nodes took one batch of `insert`s from about 1.9x to
//! 2.1x and `insert_all` from about 3.0x to 3.5-3.8x.
//!
//! `snapshot()` takes 43 ns (`-- cow_take_snapshot`), and a map holds 37.7 bytes per entry, its
//! spare nodes included, against the locked map's 34.0 (`-- memory_per_entry`). At 2^16 keys, where the writes of a
//! batch share leaves, 10K overwrites take 1.2 ms in one batch and 5.9 ms one by one (4.8x;
//! `-- cow_batch_10k/65536`).
//!
//! In the harness (`reports/reference`, from `cmap run --out reports/reference`, 2^19 keys, 3
//! repeats), against the 32-way trie with reference counts this map replaced: read-heavy
//! uniform 8.8 Mops/s at one thread (3.9 before), exchange uniform 1.2 (0.4), rapid-grow uniform
//! 1.5 (0.4). The p99 of all operations on the exchange mix is 1.6 µs at one thread and 42 µs at
//! two, where writers queue on the writer mutex and one that waits long is parked.
//!
//! Where the time goes:
//!
//! - A `get` at this size makes two dependent loads that miss the L2 cache: a child pointer in
//!   one of the 256 inner nodes below the root (512 KB in all, which the leaves' traffic keeps
//!   pushing out of L2), then the leaf, whose tag byte and slot the processor fetches together. A
//!   `hashbrown` lookup has one such step fewer (its control bytes, then its bucket). Comparing
//!   all 32 tags at once (SSE2) and then the keys of the slots that match measured slower: 0.29x
//!   of `hashbrown`, and 0.40-0.44x with the home slot prefetched first, against 0.46-0.57x in
//!   alternated runs. The slot's address then waits for the tags, where a probe, guessing that
//!   the key sits in its home slot, has the processor fetch tag and slot at once. What a read does besides the loads counts: with iterations this short,
//!   fewer instructions per get let the processor overlap more gets' cache misses (a reading of
//!   the figures, not measured). Counted by callgrind (`examples/reads.rs` says how; its
//!   hasher's seed fixes the trie's shape), a get through a snapshot costs 51 instructions and
//!   through the map 75, down from 54 and 83 when a lookup dispatched on the node's kind through
//!   a jump table at every level, checked the root's kind, and kept half of the memo's
//!   comparison in a flag; it now tests one bit per level (inner nodes and leaves each have a tag
//!   bit of their own) and finds the node's address by a subtraction folded into the load. That
//!   took `get` from 0.36-0.42x to 0.47-0.51x of `hashbrown` in the alternated runs above. The
//!   map's 24 instructions over a snapshot are the memo's comparison, the count of reads in
//!   progress, and reloads the loop cannot keep in registers. Experiments, not kept (a standalone program
//!   timing 2M random gets through the map and through a snapshot, builds alternated, 11 rounds
//!   each, before the lookup change): a bare, unprotected pointer to the current version gave
//!   0.88 of the snapshot's throughput; that plus the count of reads in progress 0.85; this read
//!   path 0.70-0.72; the one it replaced 0.57-0.60.
//! - A write at this size also waits for its leaf, then copies it (560 bytes) into new memory,
//!   and frees what the version it replaced held alone. A batch saves the copies of the two inner
//!   nodes on each path and the publications, not the leaf's copy or its miss, so scattered
//!   overwrites through `insert` gain about 2x; `insert_all`, which orders its entries by hash
//!   and fetches leaves ahead, gains over 5x. Three changes took it there, each found in a
//!   `perf` profile of 10K scattered overwrites and measured with a standalone program (11
//!   rounds, builds alternated three times):
//!   1. Spare nodes. A batch of 10K scattered writes frees 10K leaves when the version before it
//!      dies and the next makes 10K new ones, which glibc's allocator served slowly (about a
//!      third of `insert_all`'s time: splitting and merging free chunks). So the map keeps freed
//!      leaves and inner nodes as spares for its next nodes, at most one leaf per 64 entries and
//!      one inner node per 2,048 and 4 MiB of each ([`CowMap::spare_bytes`]), and `insert_all`
//!      also fetches, for writing, the spare its copy a few entries on will take.
//!   2. A counting sort. `insert_all` sorted its entries with a stable comparison sort (11.5% of
//!      its time); one counting pass on the top log2(n) bits of the hashes (at most 16) brings
//!      the entries of a leaf together as well: 2.97-3.19x became 3.32-3.48x.
//!   3. A mask of the full slots. A copy tested each of the leaf's 32 tags and cloned the entry
//!      behind each full one: a branch the processor guesses wrong about as often as right in a
//!      half-full leaf of random hashes. A leaf now gathers its tags' top bits (set exactly in
//!      full slots) into a 32-bit mask, eight tags per multiplication, and copies, scans, drains
//!      and drops visit only its set bits: 3.24-3.32x became 4.75-4.85x, and 4.67-4.92x once a
//!      leaf whose entries need no drop skipped computing the mask to drop nothing (that had
//!      read the tags of thousands of cold leaves per batch).
//!
//!   What is left is memory: the profile's hottest instructions wait on the leaves' misses and
//!   on the prefetches queued behind them.
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
mod iter;
mod map;
mod node;
mod published;
mod reclaim;
mod trie;

pub use full_copy::{FullCopyMap, FullCopySnapshot};
pub use iter::Iter;
pub use map::{CowMap, CowSnapshot};
