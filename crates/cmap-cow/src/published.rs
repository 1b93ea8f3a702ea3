//! The published version of a copy-on-write map, and the per-thread caches readers load it
//! through.
//!
//! `ArcSwap::load` is lock-free, but it is not cheap: it records a debt in a per-thread slot with
//! a sequentially consistent store and pays the debt back with a compare-and-swap when the guard
//! drops. On x86 each of those is a locked instruction, a full barrier that also stops the
//! processor from overlapping one lookup's cache misses with the next one's. For a lookup that
//! costs as much as the walk down the trie.
//!
//! So each thread keeps, per map, an [`arc_swap::Cache`]: a strong reference to the version it
//! last read. A read loads the published pointer with one plain atomic load, and if it is the
//! version the cache holds (the common case between writes) reads that version with no further
//! synchronization. Only the first read after a write takes a reference-counted copy of the new
//! version. Holding the cached reference is what keeps the cached version alive, so the pointer
//! comparison cannot be fooled by a freed and reused address.
//!
//! **The price is memory: each thread that has read a map keeps the version it last saw alive
//! until it reads again or the map is dropped.** With the trie that is one version per thread:
//! the nodes later writes replaced, which in the worst case (every entry rewritten since) is the
//! whole map. Dropping the map drops every thread's cache, wherever those threads are.

use std::cell::RefCell;
use std::sync::Arc;

use arc_swap::{ArcSwap, Cache, Guard};
use crossbeam_utils::CachePadded;
use thread_local::ThreadLocal;

/// One thread's cache of the version it last read.
type ReaderCache<T> = CachePadded<RefCell<Cache<Arc<ArcSwap<T>>, Arc<T>>>>;

/// The current version of a map, plus every thread's cached copy of the pointer to it.
pub(crate) struct Published<T: Send + Sync> {
    /// Shared with every thread's cache, which needs an owned handle to reload from.
    current: Arc<ArcSwap<T>>,
    /// A `RefCell` so a read that re-enters the same map from its closure can tell that the
    /// cache is in use and fall back to a plain load. Padded: every read writes the cell's
    /// borrow flag, and `ThreadLocal` lays consecutive threads' values side by side.
    caches: ThreadLocal<ReaderCache<T>>,
}

impl<T: Send + Sync> Published<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            current: Arc::new(ArcSwap::from_pointee(value)),
            caches: ThreadLocal::new(),
        }
    }

    /// Runs `f` on the current version through this thread's cache.
    ///
    /// `f` runs while the cache is borrowed: were it to reload the cache (by reading the same map
    /// again) the version `f` is reading could be dropped under it. A nested read therefore finds
    /// the cache borrowed and takes the plain `ArcSwap` path instead.
    #[inline]
    pub(crate) fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        let cache = self
            .caches
            .get_or(|| CachePadded::new(RefCell::new(Cache::new(Arc::clone(&self.current)))));
        match cache.try_borrow_mut() {
            Ok(mut cache) => f(cache.load()),
            Err(_) => f(&self.current.load()),
        }
    }

    /// A guard on the current version, without touching any cache: for one-off reads that
    /// should not make this thread keep a version alive.
    pub(crate) fn load(&self) -> Guard<Arc<T>> {
        self.current.load()
    }

    /// A strong reference to the current version.
    pub(crate) fn load_full(&self) -> Arc<T> {
        self.current.load_full()
    }

    /// Publishes `version` and returns the one it replaced. Threads whose cache holds the
    /// replaced version keep it until their next read.
    pub(crate) fn swap(&self, version: Arc<T>) -> Arc<T> {
        self.current.swap(version)
    }
}
