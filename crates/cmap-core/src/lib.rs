//! The contract every cmap map implements.
//!
//! cmap puts the main families of concurrent maps side by side: a locked hash map, a sharded one,
//! a copy-on-write persistent map and a versioned skip list. They differ in how they synchronize,
//! but they all implement the same contract, [`ConcurrentMap`], so one harness can drive them with
//! identical loads and one conformance suite ([`testing`], behind the `testing` feature) can prove
//! that each honours it.
//!
//! # The contract
//!
//! A map is shared by many threads through `&self`. Reads either clone the value out
//! ([`ConcurrentMap::get`]) or lend it to a closure ([`ConcurrentMap::get_with`]); writes take
//! closures too ([`ConcurrentMap::update`], [`ConcurrentMap::upsert`]). **No method returns a
//! guard, a reference or an iterator that holds a lock**, so a caller cannot deadlock a map by
//! holding something from it while calling it again, the classic mistake with guard-returning maps.
//!
//! The one rule left to the caller: a closure passed to a map must not call back into the *same*
//! map. Lock-based maps run the closure under the lock that makes the operation atomic, so a
//! re-entrant call could wait on itself. Closures that only compute on the value they are lent are
//! always fine.
//!
//! # Capabilities
//!
//! Not every structure can do everything cheaply, so the extras are separate traits that a
//! harness can ask for with a bound:
//!
//! - [`Snapshots`]: an owned point-in-time view that never changes after it is taken.
//! - [`Ordered`]: range scans in key order.
//! - [`Batch`]: many writes made visible together, atomically.
//!
//! Each trait documents what a concurrent reader may observe.
//!
//! # Hashing
//!
//! Every hash map in cmap defaults to [`DefaultHashBuilder`], so comparisons between structures
//! measure the structures and not their hash functions.
//!
//! # Examples
//!
//! Code written against the contract works with any map:
//!
//! ```
//! use cmap_core::{ConcurrentMap, Upsert};
//!
//! fn count_words<M>(map: &M, text: &str)
//! where
//!     M: ConcurrentMap<Key = String, Value = u64>,
//! {
//!     for word in text.split_whitespace() {
//!         map.upsert(word.to_owned(), || 1, |n| *n += 1);
//!     }
//! }
//! ```
#![warn(missing_docs)]

mod capability;
mod hash;
mod map;
#[cfg(feature = "testing")]
pub mod testing;

pub use capability::{Batch, BatchWriter, Ordered, OrderedSnapshot, Snapshot, Snapshots};
pub use hash::DefaultHashBuilder;
pub use map::{ConcurrentMap, Upsert};
