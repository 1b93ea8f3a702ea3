//! A sharded concurrent hash map: the table is split into independently locked shards, so
//! threads working on different shards never meet.
//!
//! [`ShardedMap`] holds a power-of-two number of shards. Each shard is a `parking_lot::RwLock`
//! over a `hashbrown::HashTable`, padded to its own cache lines (`crossbeam_utils::CachePadded`),
//! so two threads on neighbouring shards never write to the same line. An operation hashes its
//! key once; the hash picks the shard and then the bucket inside it.
//!
//! It is the structure `dashmap` popularised, with two differences:
//!
//! - **Closures instead of guards.** Like every map in cmap it implements
//!   [`cmap_core::ConcurrentMap`]: values are reached through closures, and no method returns a
//!   guard that holds a shard lock, so the classic deadlock of guard-returning maps (holding a
//!   reference while calling the map again) cannot be written.
//! - **Incremental resizing.** A full shard does not rehash all its entries in one write; it
//!   moves them a few at a time over its next writes (see `# Resizing`), which bounds the pause
//!   a writer, and every thread queued behind it on the shard, can meet.
//!
//! # Choosing the shard
//!
//! hashbrown takes its 7-bit tag from the top bits of the hash and its bucket index from the low
//! bits. The shard is taken from the bits just below the tag, which neither uses, so within a
//! shard tags and bucket indices stay as well spread as the hash is. The shard is never taken from
//! the key itself: keys that share their low bits or first byte (multiples of 2<sup>k</sup>,
//! prefixed strings) spread over the shards as evenly as the hash spreads them, which
//! [`ShardedMap::shard_stats`] shows. How evenly depends on the hasher and its seed: with the
//! default (foldhash's fast variant, randomly seeded), 65,536 multiples of 2<sup>48</sup> in 64
//! shards filled the fullest shard to 1.37 times the mean in one test run, where 300 other seeds
//! stayed below 1.02. A shard taken from the key's low bits would put them all in one shard.
//!
//! # Consistency
//!
//! - **Single-key operations are linearizable.** Each holds its key's shard lock for its whole
//!   duration (shared for [`get_with`](ConcurrentMap::get_with) and
//!   [`contains_key`](ConcurrentMap::contains_key), exclusive for writes), so `update` and `upsert`
//!   are atomic read-modify-writes and lose nothing.
//! - **Multi-key reads are per-shard consistent.** [`len`](ConcurrentMap::len),
//!   [`ShardedMap::scan`], [`ShardedMap::for_each`] and [`ShardedMap::shard_stats`] visit the
//!   shards in index order, holding one shard's read lock at a time, so each shard is seen
//!   exactly as it was at one instant, but different shards at different instants. What a
//!   concurrent writer can make a scan see:
//!   - a key present and unchanged for the whole scan is seen exactly once, with its value;
//!   - no key is ever seen twice (a key's shard never changes, resizes included);
//!   - a key inserted, removed or overwritten during the scan is seen with its old value, its new
//!     value, or not at all, depending on whether its shard was copied before or after the write;
//!   - two writes to keys in different shards may be seen out of order: a scan can see the later
//!     write and miss the earlier one. Likewise `len` may return a count the map never had at any
//!     instant (a key inserted in a shard not yet counted while another is removed from a shard
//!     already counted is counted, and so is the removed one). At quiescence all of them are
//!     exact.
//! - **Scans never run user code under a lock.** A scan clones one shard's entries out under its
//!   read lock and calls the closure after releasing it, so the closure may call the map, even
//!   write to it, without deadlocking; its own writes are seen by the scan only in shards not yet
//!   copied.
//! - **Panics.** `parking_lot` locks are not poisoned: a panic in a closure releases the shard
//!   lock as it unwinds. An `update` or `upsert` closure that panics keeps whatever it wrote to
//!   the value before panicking; an `upsert` whose `make` panics inserts nothing.
//!
//! # Resizing
//!
//! A shard doubles when full. With [`Resize::Blocking`] (hashbrown's own growth, and dashmap's)
//! the write that finds it full rehashes every entry of the shard under the shard's write lock: a
//! pause proportional to the shard's size, for that write and for every operation on the shard
//! that queues behind it. This is the tail-latency spike of sharded maps.
//!
//! With [`Resize::Incremental`] (the default) that write instead allocates the bigger table and
//! keeps the full one aside; every later write to the shard moves [`Resize::DEFAULT_STEP`] (64)
//! entries, scanning at most four times that many buckets, until the old table is empty.
//! [`Resize::Hybrid`] grows the blocking way while a shard is small (below `threshold` entries,
//! where the pause is short) and incrementally above. The trade-off:
//!
//! - **Bounded pauses.** No write moves more than `step` entries, so the worst write during
//!   growth costs the allocation of the new table or `step` moves, whatever the shard's size;
//!   no other thread waits behind a whole-shard rehash.
//! - **More work in total.** An entry moved by a migration step costs about twice what it costs
//!   in one blocking sweep. Counted by callgrind while 16 shards grow to 2<sup>19</sup> `u64`
//!   keys (about 917,000 entries moved in all; `examples/growth.rs` says how to count): 82
//!   instructions per moved entry against 40 in hashbrown's own rehash, 243 instructions per
//!   insert over the whole growth against 164. A step goes through the public
//!   `HashTable` API: it checks each old bucket, removes the entry (which works out whether the
//!   slot may become empty again) and inserts it into the new table (which checks for room);
//!   hashbrown's rehash walks only full buckets, moves entries without removing them and frees
//!   the old table whole. Fetching ahead does not close the gap: reading a batch of keys ahead,
//!   and prefetching the stretch of the old table the next step will read, both measured no
//!   faster and were dropped. Bigger steps amortise a step's fixed cost but pause longer.
//! - **Slower operations while a resize runs.** Until the old table is empty, writes do their
//!   share of moves, and lookups and inserts of keys absent from the new table probe both
//!   tables.
//! - **Two tables alive at once** during a resize (the blocking rehash has both too, but for one
//!   write only): up to 1.5x the shard's table memory until the old one is freed.
//! - **A resize only progresses on writes.** A shard that stops receiving writes mid-resize keeps
//!   both tables, and its misses probe twice, until the next writes or
//!   [`ShardedMap::shrink_to_fit`] finish it.
//! - **Tombstones.** When removals have left a full table with at most half its buckets' capacity
//!   in entries, the new table keeps the old size (hashbrown's rule for rehashing in place);
//!   otherwise it doubles.
//!
//! What the policies measured, on a shared 2-core machine (a standalone program driving the
//! builder, maps interleaved in every round; throughput from each thread's CPU time, which the
//! machine's other load disturbs less than wall time but still moved by 10% and more between
//! runs, so ranges over several runs are given; latencies from one run of 7 rounds, median):
//!
//! | policy (16 shards) | rapid-grow, 1 thread, CPU throughput / dashmap | p99.99 insert, growth to 1M, 1 / 2 threads | p99.999, 1 thread |
//! |---|---|---|---|
//! | incremental, step 64 (default) | 0.79-0.86 | 22 / 54 us | 64 us |
//! | incremental, step 256 | 0.86-0.91 | 23 / 61 us | 61 us |
//! | incremental, step 512 | 0.74 (one run) | 20 / 85 us | 59 us |
//! | hybrid, step 256, threshold 8192 | 0.85-0.93 | 32 / 68 us | 89 us |
//! | hybrid, step 512, threshold 8192 | 0.86-0.91 | 31 / 88 us | 95 us |
//! | blocking | 0.79-1.09 | 34 / 103 us | 0.67 ms |
//! | dashmap (blocking, 8 shards) | 1 | 23 / 50 us | 0.72 ms |
//!
//! Throughput on two threads was within 0.95-1.12 of dashmap's for every policy. Only the default
//! keeps the p99.99 within reach of dashmap's at both thread counts; bigger steps and blocking
//! thresholds buy back part of the single-thread throughput at a visible cost in p99.99, and
//! blocking growth of 16 shards puts twice dashmap's count of whole-shard rehashes in the tail.
//! So the default stays incremental with a step of 64: choose [`Resize::Blocking`] (or a
//! hybrid) for throughput when a map grows fast and no one waits on its tail latency.
//!
//! # Choosing the shard count
//!
//! [`default_shard_count`]: 8 shards per available core, rounded up to a power of two (16 on a
//! 2-core machine; dashmap uses 4 per core). More shards than threads means two threads rarely
//! want the same shard at once, and smaller shards mean smaller resizes (shorter blocking
//! pauses, and incremental moves that stay in cache). Measured on the 2-core machine, 1M keys,
//! CPU throughput relative to dashmap (median of 7 interleaved rounds) with 4, 8, 16 and 32
//! shards: read-heavy uniform 1 thread 1.53, 1.40, 1.23, 1.29 and 2 threads 1.07, 1.11, 1.10,
//! 1.07; read-heavy zipfian 1.05, 1.04, 1.02, 1.07 and 1.02, 0.96, 0.98, 1.03; exchange uniform
//! 0.87, 0.88, 0.92, 0.98 and 1.02, 1.10, 0.97, 1.08; exchange zipfian 0.95, 0.96, 0.99, 0.97 and
//! 1.08, 0.98, 0.97, 1.05. Per-round spreads were ±20% and more, so these do not separate the
//! counts. On the rapid-grow mix at 2 threads with blocking resizes, 16 shards ran at 1.04 and
//! 1.12 of dashmap's throughput (two runs) and 8 at 0.92 (one run): with 8 shards two threads
//! meet on a shard, or behind its rehash, twice as often. 16 is kept for that, and because it
//! halves every shard's resize relative to 8; 32 brought nothing measurable here.
//!
//! # Performance
//!
//! Per operation: one hash, one lock acquisition (one compare-and-swap) and release, one probe of
//! one hashbrown table (two while that shard is resizing), no allocation except when a shard
//! grows. Memory: hashbrown's, plus two cache lines per shard. With many threads, reads of the
//! same shard still write its lock word, so the cache line bounces between cores.
//!
//! The lookup does what dashmap's does. A cpu-clock profile of a 1M-key read-heavy run puts 69%
//! of [`get_with`](ConcurrentMap::get_with)'s samples on the key comparison that first touches
//! the bucket (its cache miss), 13% on the load of the control group (the other miss) and 12% on
//! the lock's compare-and-swap and release; dashmap's lookup shows the same hot spots in the
//! same order. The key is hashed once; the old table is looked at only after a miss, and only
//! while that shard resizes.
//!
//! Code size matters as much as misses here. The old table's probe, a full table's path and the
//! migration step are out of line (`#[cold]`), and the operations are `#[inline(always)]`, so
//! what inlines into a caller's loop is the lock, one probe and the write. While the old table's
//! probe was inlined into every lookup, the read path was too big to inline into the harness's
//! loop and each `get` paid a call. Under cachegrind, single thread, 1M keys, instructions per
//! operation of the harness's timed loop: read-heavy 96.5 before, 83.1 now, dashmap 76.5;
//! exchange 114.0 before, 106.2 now, dashmap 84.3. The rest of the write gap is spread over
//! hashbrown 0.17's entry API (dashmap uses 0.14's `RawTable`) and a remove path that does not
//! inline into the loop.
//!
//! Against dashmap, same hasher, 1M `u64` keys, on the shared 2-core machine (the harness, two
//! runs of 5 repeats each, quiet machine; ratio = sharded / dashmap per repeat, median [min,
//! max] over the 10 repeats):
//!
//! | mix | keys | 1 thread | 2 threads |
//! |---|---|---|---|
//! | read-heavy (98/1/1/0) | uniform | 0.99 [0.85, 1.42] | 1.06 [0.82, 1.24] |
//! | read-heavy (98/1/1/0) | zipfian | 0.92 [0.68, 1.15] | 1.12 [0.94, 1.70] |
//! | exchange (10/40/40/10) | uniform | 0.85 [0.73, 0.97] | 1.03 [0.76, 1.28] |
//! | exchange (10/40/40/10) | zipfian | 0.91 [0.74, 0.98] | 1.16 [1.01, 1.25] |
//! | rapid-grow (5/80/5/10, from empty) | uniform | 0.78 [0.63, 0.88] | 1.03 [0.78, 1.10] |
//! | rapid-grow (5/80/5/10, from empty) | zipfian | 0.87 [0.73, 0.99] | 0.98 [0.76, 1.14] |
//!
//! So on two threads the map is level with dashmap or ahead, and on one thread it is level on
//! reads and 9-22% behind on writes. The single-thread rapid-grow gap is the incremental
//! resize's extra work (see `# Resizing`: blocking resizes close most of it).
//!
//! Insert latency while growing from empty to 1M entries, each insert timed (the crate bench,
//! median of 5 rounds, two runs), p99.99: 1 thread 35 and 29 us against dashmap's 23 and 28 us,
//! 2 threads 41 and 44 us against 34 and 45 us. At that percentile (the 100th worst of a
//! million) which map is ahead changes from run to run (an earlier run gave 33 / 67 us against
//! 44 / 71 us). The maximum is where incremental resizing wins clearly: 0.20-0.21 ms at 1 thread
//! and 1.1-4.7 ms at 2, against dashmap's 2.3-2.4 ms and 2.5-5.8 ms; blocking resizes of 16
//! shards reach 34-35 us and 103-141 us at p99.99 (twice dashmap's count of whole-shard rehashes
//! lands in the tail). p99.9 is the price: 4.8-6.1 us against 0.65-1.2 us, the migration steps.
//!
//! Reproduce (the harness comparison, well under a minute; then the crate bench's latency table):
//!
//! ```sh
//! cargo run --release -p cmap-harness -- run --workloads read-heavy,exchange,rapid-grow \
//!     --distribution uniform,zipfian --structures sharded,dashmap,locked --keys 1048576 \
//!     --ops 1000000 --time-limit 5 --threads 1,2 --repeats 5 --out /tmp/sharded-run
//! cargo bench -p cmap-benches --bench sharded -- rapid_grow_latency
//! ```
//!
//! # Examples
//!
//! ```
//! use cmap_core::{ConcurrentMap, Upsert};
//! use cmap_sharded::ShardedMap;
//!
//! let hits = ShardedMap::<String, u64>::new();
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         s.spawn(|| {
//!             for page in ["/", "/about", "/"] {
//!                 let _ = hits.upsert(page.to_owned(), || 1, |n| *n += 1);
//!             }
//!         });
//!     }
//! });
//! assert_eq!(hits.get(&"/".to_owned()), Some(8));
//!
//! // A scan runs its closure with no lock held, so it may write to the map (and may then meet
//! // its own writes in shards it has not reached yet).
//! hits.for_each(|page, &n| {
//!     if !page.ends_with("#seen") {
//!         hits.insert(format!("{page}#seen"), n);
//!     }
//! });
//! assert_eq!(hits.get(&"/about#seen".to_owned()), Some(4));
//! ```
//!
//! Shard statistics show how keys spread:
//!
//! ```
//! use cmap_core::ConcurrentMap;
//! use cmap_sharded::ShardedMap;
//!
//! let map = ShardedMap::<u64, ()>::with_shards(16);
//! for k in 0..100_000u64 {
//!     map.insert(k * 4096, ());
//! }
//! let stats = map.shard_stats();
//! println!("per shard: {:?}, imbalance {:.3}", stats.entries, stats.imbalance());
//! // About 1 with a well-spread hash; 16 if every key had landed in one shard.
//! assert!(stats.imbalance() < 2.0);
//! ```
#![warn(missing_docs)]

mod map;
mod raw;
mod stats;

pub use map::{Builder, Resize, ShardedMap, default_shard_count};
pub use stats::ShardStats;

#[cfg(doc)]
use cmap_core::ConcurrentMap;
