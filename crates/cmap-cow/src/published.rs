//! The published version of a copy-on-write map, and the per-thread caches readers load it
//! through.
//!
//! `ArcSwap::load` is lock-free, but it is not cheap: it records a debt in a per-thread slot with
//! a sequentially consistent store and pays the debt back with a compare-and-swap when the guard
//! drops. On x86 each of those is a locked instruction, a full barrier that also stops the
//! processor from overlapping one lookup's cache misses with the next one's. For a lookup that
//! costs as much as the walk down the trie.
//!
//! So each thread keeps, per map, a strong reference to the version it last read, stamped with
//! the number of publications the map had made when the thread loaded it. A writer bumps that
//! number after every store. A read loads the number (one plain atomic load) and, if it equals the
//! stamp, reads its cached version with no further synchronization; only the first read after a
//! write reloads through `ArcSwap`. The stamp is read before the version is loaded, so a cached
//! version is never older than the publication its stamp counts; it may be newer, which costs at
//! most one needless reload.
//!
//! **A reader never frees a version.** When a reload makes a cache let go of a version it alone
//! still held, the version is handed to the map, and the next writer frees it after publishing;
//! a writer also empties its own thread's cache. So readers do not pay for what writes replaced,
//! and the memory a map keeps beyond its current version is bounded: each thread that has read
//! it keeps the version it last read (until it reads again or writes, or the map is dropped,
//! even after the thread exits), and the map keeps at most one handed-over version per such
//! thread until the next write. With the trie a version costs only the nodes later writes
//! replaced; in the worst case (every entry rewritten since), a whole second copy of the map.

use std::cell::{RefCell, RefMut};
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;

// The publication count is this module's one synchronization of its own; loom checks it.
#[cfg(loom)]
use loom::sync::atomic::AtomicU64;
#[cfg(not(loom))]
use std::sync::atomic::AtomicU64;

#[cfg(not(loom))]
use arc_swap::ArcSwap;
use crossbeam_utils::CachePadded;
use parking_lot::{Mutex, MutexGuard};
use thread_local::ThreadLocal;

/// A thread's cached version and the publication count it was loaded at.
pub(crate) struct Cached<T> {
    stamp: u64,
    version: Arc<T>,
}

/// One thread's cache. A `RefCell` so that a read nested in another read's closure can tell the
/// cache is in use (reloading it could drop the version the outer read is using) and take the
/// plain `ArcSwap` path instead. Padded: every read writes the cell's borrow flag, and
/// `ThreadLocal` lays consecutive threads' values side by side.
type Cache<T> = CachePadded<RefCell<Option<Cached<T>>>>;

/// A version being read: this thread's cache, borrowed, or for a nested read a reference of its
/// own.
pub(crate) enum Reading<'a, T> {
    Cached(RefMut<'a, Option<Cached<T>>>),
    Loaded(Arc<T>),
}

impl<T> Deref for Reading<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        match self {
            // A borrowed cache was refreshed, so it holds a version.
            Reading::Cached(cached) => &cached.as_ref().expect("refreshed").version,
            Reading::Loaded(version) => version,
        }
    }
}

/// Where the current version is published: an `ArcSwap`, or under loom a loom mutex, so that its
/// loads and stores are points where loom may switch threads.
#[cfg(not(loom))]
type Register<T> = ArcSwap<T>;
#[cfg(loom)]
type Register<T> = loom_register::Register<T>;

/// The current version of a map, its publication count, and every thread's cache of it.
pub(crate) struct Published<T: Send + Sync> {
    current: Register<T>,
    /// How many versions have been stored; bumped after each store.
    publications: AtomicU64,
    caches: ThreadLocal<Cache<T>>,
    /// Versions readers' caches let go of while nobody else held them, for a writer to free.
    handed_over: Mutex<Vec<Arc<T>>>,
}

impl<T: Send + Sync> Published<T> {
    pub(crate) fn new(value: T) -> Self {
        Self {
            current: Register::from_pointee(value),
            publications: AtomicU64::new(0),
            caches: ThreadLocal::new(),
            handed_over: Mutex::new(Vec::new()),
        }
    }

    /// The current version, through this thread's cache: held until the returned guard drops.
    ///
    /// A guard rather than a closure, so that the lookup a caller makes through it inlines into
    /// the caller with no call in between.
    #[inline(always)]
    pub(crate) fn reading(&self) -> Reading<'_, T> {
        let cache = match self.caches.get() {
            Some(cache) => cache,
            None => self.first_read(),
        };
        match cache.try_borrow_mut() {
            Ok(mut cached) => {
                self.refresh(&mut cached);
                Reading::Cached(cached)
            }
            // A read nested in another's closure: the cache is in use.
            Err(_) => Reading::Loaded(self.current.load_full()),
        }
    }

    /// This thread's cache, made on its first read. Out of line: the cache is aligned to 128
    /// bytes, and building one inline would make every read align its stack frame.
    #[cold]
    #[inline(never)]
    fn first_read(&self) -> &Cache<T> {
        self.caches.get_or(Default::default)
    }

    /// Reloads `cached` if it is stale (or empty).
    #[inline(always)]
    fn refresh(&self, cached: &mut Option<Cached<T>>) {
        let stamp = self.publications.load(Ordering::Acquire);
        if !matches!(cached, Some(c) if c.stamp == stamp) {
            self.reload(cached, stamp);
        }
    }

    /// Loads the current version into a cache that is missing or stale.
    #[cold]
    #[inline(never)]
    fn reload(&self, cached: &mut Option<Cached<T>>, stamp: u64) {
        let fresh = Cached {
            stamp,
            version: self.current.load_full(),
        };
        if let Some(old) = cached.replace(fresh) {
            self.let_go(old.version);
        }
    }

    /// Drops a version a cache held, handing it to the map instead if that would free it.
    fn let_go(&self, version: Arc<T>) {
        // Racy, harmlessly: two readers letting go of the same version at once may both see a
        // count of 2, and the later one then frees it itself.
        if Arc::strong_count(&version) == 1 {
            // Never wait for the list: if a writer is emptying it, free the version here.
            if let Some(mut handed_over) = self.handed_over.try_lock() {
                handed_over.push(version);
                return;
            }
        }
        drop(version);
    }

    /// A guard on the current version, without touching any cache: for one-off reads that
    /// should not make this thread keep a version alive.
    pub(crate) fn load(&self) -> impl Deref<Target = Arc<T>> {
        self.current.load()
    }

    /// A strong reference to the current version.
    pub(crate) fn load_full(&self) -> Arc<T> {
        self.current.load_full()
    }

    /// Publishes `version`, the whole of a write's ending: stores it and bumps the count, lets
    /// the `writer` lock go, then, no longer holding it, drops the replaced version (freeing it
    /// unless a snapshot or a reader's cache still holds it) and cleans up after itself.
    pub(crate) fn publish(&self, version: Arc<T>, writer: MutexGuard<'_, ()>) {
        let replaced = self.store(version);
        // Freeing is a write's slowest step; the next writer need not wait for it.
        drop(writer);
        drop(replaced);
        self.after_publish();
    }

    /// Stores `version`, then counts it, and returns the version it replaced.
    fn store(&self, version: Arc<T>) -> Arc<T> {
        let replaced = self.current.swap(version);
        self.publications.fetch_add(1, Ordering::Release);
        replaced
    }

    /// Frees the versions readers handed over, and empties the writing thread's own cache,
    /// which a write has just made stale.
    ///
    /// Emptying it here frees the version the thread read last (unless another thread still
    /// holds it) together with what this write replaced, so a thread that mixes reads and writes
    /// frees what each write replaced at that write, as without caches, instead of keeping it
    /// all for the first write after its next read.
    fn after_publish(&self) {
        if let Some(cache) = self.caches.get()
            && let Ok(mut cached) = cache.try_borrow_mut()
        {
            drop(cached.take());
        }
        // Free outside the lock, so that readers handing over meanwhile do not find it taken;
        // then give the emptied list back, so its capacity spares their pushes an allocation.
        let mut handed_over = {
            let mut list = self.handed_over.lock();
            if list.is_empty() {
                return;
            }
            std::mem::take(&mut *list)
        };
        handed_over.clear();
        let mut list = self.handed_over.lock();
        if list.capacity() == 0 {
            *list = handed_over;
        }
    }
}

#[cfg(loom)]
mod loom_register {
    //! The `ArcSwap` operations `Published` uses, as a loom mutex around an `Arc`.

    use std::sync::Arc;

    pub(crate) struct Register<T>(loom::sync::Mutex<Arc<T>>);

    /// What `load` returns: like `arc_swap::Guard`, it dereferences to the `Arc`.
    pub(crate) struct Loaded<T>(Arc<T>);

    impl<T> std::ops::Deref for Loaded<T> {
        type Target = Arc<T>;
        fn deref(&self) -> &Arc<T> {
            &self.0
        }
    }

    impl<T> Register<T> {
        pub(crate) fn from_pointee(value: T) -> Self {
            Self(loom::sync::Mutex::new(Arc::new(value)))
        }

        pub(crate) fn load(&self) -> Loaded<T> {
            Loaded(self.load_full())
        }

        pub(crate) fn load_full(&self) -> Arc<T> {
            Arc::clone(&self.0.lock().unwrap())
        }

        pub(crate) fn swap(&self, value: Arc<T>) -> Arc<T> {
            std::mem::replace(&mut *self.0.lock().unwrap(), value)
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! The publication count against every interleaving of one writer and one reader:
    //! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p cmap-cow --release --lib`.
    //! `ArcSwap` stands in as a loom mutex (a linearizable register, as `ArcSwap` is), so loom
    //! explores its loads and stores against the count.

    use std::sync::Arc;

    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::thread;

    use super::{Cached, Published};

    /// A reader that has seen a write complete (through a flag the writer sets afterwards) reads
    /// that write through its cache, even when the cache held the version before it.
    fn a_completed_write_is_seen_through_a_stale_cache(publish: fn(&Published<u64>, u64)) {
        loom::model(move || {
            let map = Arc::new(Published::new(0u64));
            let written = Arc::new(AtomicBool::new(false));
            let reader = {
                let (map, written) = (Arc::clone(&map), Arc::clone(&written));
                thread::spawn(move || {
                    let mut cached: Option<Cached<u64>> = None;
                    let read = |cached: &mut Option<Cached<u64>>| {
                        map.refresh(cached);
                        *cached.as_ref().unwrap().version
                    };
                    let first = read(&mut cached);
                    assert!(first <= 1);
                    if written.load(Ordering::Acquire) {
                        assert_eq!(read(&mut cached), 1);
                    }
                })
            };
            publish(&map, 1);
            written.store(true, Ordering::Release);
            reader.join().unwrap();
        });
    }

    #[test]
    fn counting_after_the_store_is_linearizable() {
        a_completed_write_is_seen_through_a_stale_cache(|map, v| {
            drop(map.store(Arc::new(v)));
        });
    }

    /// Counting before storing would let a reader stamp the old version with the new count and
    /// keep reading it after the write returned; loom finds that interleaving.
    #[test]
    #[should_panic(expected = "assertion `left == right` failed")]
    fn counting_before_the_store_is_caught() {
        a_completed_write_is_seen_through_a_stale_cache(|map, v| {
            map.publications.fetch_add(1, Ordering::Release);
            drop(map.current.swap(Arc::new(v)));
        });
    }
}
