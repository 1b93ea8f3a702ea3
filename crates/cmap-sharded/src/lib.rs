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
//! prefixed strings) spread over the shards as well as any others, which
//! [`ShardedMap::shard_stats`] shows.
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
//! The trade-off:
//!
//! - **Bounded pauses.** No write moves more than `step` entries, so the worst write during
//!   growth costs the allocation of the new table or `step` moves, whatever the shard's size;
//!   no other thread waits behind a whole-shard rehash.
//! - **More work in total.** Entries moved a step at a time lose the cache locality of one
//!   sweep: growing from empty to 1M `u64` entries on one thread took about 25% more CPU time
//!   than with blocking resizes at a step of 64 (60% more at 16, about the same as 64 at 256).
//! - **Slower operations while a resize runs.** Until the old table is empty, writes do their
//!   share of moves (about 4-5 us for 64 moves at 1M entries), and lookups and inserts of keys
//!   absent from the new table probe both tables.
//! - **Two tables alive at once** during a resize (the blocking rehash has both too, but for one
//!   write only): up to 1.5x the shard's table memory until the old one is freed.
//! - **A resize only progresses on writes.** A shard that stops receiving writes mid-resize keeps
//!   both tables, and its misses probe twice, until the next writes or
//!   [`ShardedMap::shrink_to_fit`] finish it.
//!
//! Choose [`Resize::Blocking`] for the best throughput when a map grows fast and no one waits on
//! its tail latency; keep the default when a multi-millisecond pause of one shard (every thread
//! touching it waits) is worse than a few microseconds added to one write in every few dozen.
//!
//! # Choosing the shard count
//!
//! [`default_shard_count`]: 8 shards per available core, rounded up to a power of two (16 on a
//! 2-core machine; dashmap uses 4 per core). More shards than threads means two threads rarely
//! want the same shard at once, and smaller shards mean smaller resizes (shorter blocking
//! pauses, and incremental moves that stay in cache). Measured on a 2-core machine, 2 threads,
//! 1M keys, throughput relative to dashmap (3 rounds): read-heavy 1.06, 1.01, 1.03, 0.92 and 0.92
//! with 4, 8, 16, 32 and 64 shards; exchange 0.95, 0.93, 0.94, 0.85 and 0.94; rapid-grow 0.78,
//! 0.74, 0.76, 0.79 and 0.94. Repeated runs on the shared machine moved these by 10% and more,
//! so they do not separate 8, 16 and 64; 16 was kept because it halves every shard's resize
//! relative to 8 at no measurable cost to the point operations, while the drop seen at 32 and 64
//! on read-heavy loads did not clearly go away on repeats.
//!
//! # Performance
//!
//! Per operation: one hash, one lock acquisition (one compare-and-swap) and release, one probe of
//! one hashbrown table (two while that shard is resizing), no allocation except when a shard
//! grows. Memory: hashbrown's, plus two cache lines per shard. With many threads, reads of the
//! same shard still write its lock word, so the cache line bounces between cores.
//!
//! Against dashmap, same hasher, on a shared 2-core machine (median of 5 interleaved rounds; the
//! per-round ratios spread by about ±10%, more on zipfian keys):
//!
//! | | 1 thread | 2 threads |
//! |---|---|---|
//! | read-heavy (98/1/1/0), uniform / zipfian | 1.02 / 0.89 | 0.99 / 1.22 |
//! | exchange (10/40/40/10), uniform / zipfian | 0.93 / 1.00 | 0.96 / 0.96 |
//! | rapid-grow (5/80/5/10, from empty), uniform / zipfian | 0.76 / 0.87 | 0.84 / 0.84 |
//!
//! Insert latency while growing from empty to 1M entries, each insert timed: p99.99 21 us (1
//! thread) and 26 us (2 threads), against dashmap's 19 us and 32 us and 28 us and 54 us for this
//! map with blocking resizes (16 shards resize more often than dashmap's 8, so more of their
//! rehashes reach the p99.99); p99.9 4.7 us against 0.55 us, the cost of the migration steps. The
//! worst inserts (1-8 ms) were scheduler preemptions on the shared machine for every map alike.
//! Single-thread point operations at 1K and 1M keys are within ±10% of dashmap's either way.
//!
//! Reproduce the comparison (criterion micro-benchmarks, then the latency and mix tables):
//!
//! ```sh
//! cargo bench -p cmap-benches --bench sharded
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
//! assert!(stats.imbalance() < 1.05);
//! ```
#![warn(missing_docs)]

mod map;
mod raw;
mod stats;

pub use map::{Builder, Resize, ShardedMap, default_shard_count};
pub use stats::ShardStats;

#[cfg(doc)]
use cmap_core::ConcurrentMap;
