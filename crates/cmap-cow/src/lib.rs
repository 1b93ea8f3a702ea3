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
//! - **Reads** (`get`, `get_with`, `contains_key`, `len`): one load of the current version
//!   through [`arc_swap::ArcSwap`] (an atomic swap and a compare-and-swap on a per-thread slot,
//!   never a lock or a wait), then one slot read per trie level. No allocation. Each level is one
//!   cache line, and the levels depend on each other: a map that fits in cache answers about as
//!   fast as a hash table, but at a million entries a lookup follows four to five pointers, the
//!   lower ones usually cache misses, and costs several times a flat `hashbrown` probe. Choose
//!   this map for what it gives readers (no waiting, snapshots), not for raw lookup speed.
//! - **Writes** (`insert`, `remove`, `update`, `upsert`): take the writer mutex, copy the path of
//!   O(log32 n) nodes (each up to 32 slots; cloning a slot clones its entry or increments a child's
//!   reference count), publish the new version. The nodes the old version no longer shares are
//!   freed when the last reader or snapshot holding it lets go, usually at once by the writer.
//!   `remove`, `update` and `upsert` first look the key up, so a miss copies and publishes
//!   nothing.
//! - **Batches** copy each node on their paths once, at its first write, and edit their own copy
//!   in place after that (`Arc::make_mut`), then publish once. How much that saves depends on how
//!   many of the batch's writes share nodes: writes scattered over a large map still copy one
//!   bottom node each, and save the copies of the levels above and the publications.
//! - **Snapshots**: one atomic load and two reference-count increments. A live snapshot keeps
//!   alive only the nodes that later writes replaced.
//! - **Memory**: an entry is stored inline in its node's slot (24 bytes for `u64` keys and
//!   values); each node adds an `Arc` header. About 37 bytes per `u64` entry in all at a million
//!   entries, against 34 for a `hashbrown` table behind a lock. There is no capacity: the hint given to
//!   `with_capacity` is ignored, and removals give memory back at once.
//! - **Values are cloned.** Writes clone the entries of the nodes they copy, and `update` and
//!   `upsert` modify a clone of the value, so `K` and `V` must be `Clone`, and cheap clones
//!   matter: wrap large values in `Arc`. `remove` and the values returned by `insert` are clones
//!   when an older version still shares the node.
//!
//! All synchronization is an `ArcSwap` and a `parking_lot::Mutex`: there are no atomics of this
//! crate's own to model, which is why it has no loom tests.
//!
//! The figures are measured by `cargo bench -p cmap-benches --bench cow`.
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

pub use full_copy::{FullCopyMap, FullCopySnapshot};
pub use iter::Iter;
pub use map::{CowMap, CowSnapshot};
