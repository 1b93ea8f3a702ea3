//! The published version of a copy-on-write map, and the per-thread caches readers load it
//! through.
//!
//! `ArcSwap::load` is lock-free, but it is not cheap: it records a debt in a per-thread slot with
//! a sequentially consistent store and pays the debt back with a compare-and-swap when the guard
//! drops. On x86 each of those is a locked instruction, a full barrier that also stops the
//! processor from overlapping one lookup's cache misses with the next one's. For a lookup that
//! costs as much as the walk down the trie.
//!
//! So each thread keeps, per map, a strong reference to the version it last read (its cache),
//! and remembers that version's address in a small thread-local memo. Beside the `ArcSwap`, the
//! map publishes the current version's address in a plain atomic pointer, `latest`. A read loads
//! `latest` and compares it with the memo: if they match, the version at that address is the one
//! this thread's cache holds, alive for as long as the cache holds it, and the read walks it with
//! no further synchronization. Otherwise the read finds its cache through `ThreadLocal`, and if
//! the cache is stale (a thread's first read, the first read after a write) reloads it through
//! `ArcSwap`, which takes a reference count.
//!
//! **A version's address names it while anyone holds it.** The cache holds the version it
//! remembers, so no other version can be allocated at that address meanwhile: a `latest` equal
//! to the memo is that very version. Map ids are never reused, so a memo of a dropped map's
//! version (whose address a new version may take) never matches another map.
//!
//! **`latest` is stored before the `ArcSwap`.** A reader that loaded a version through `ArcSwap`
//! and told another thread so has made that thread's next load of `latest` return that version
//! or a newer one; stored the other way round, the other thread could still find the old address
//! in `latest`, match its memo, and read the version the first reader had seen replaced. Loom
//! checks both orders.
//!
//! **A reader never frees a version.** When a reload makes a cache let go of a version it alone
//! still held, the version is handed to the map, and the next writer frees it after publishing;
//! a writer also empties its own thread's cache. So readers do not pay for what writes replaced,
//! and the memory a map keeps beyond its current version is bounded: each thread that has read
//! it keeps the version it last read (until it reads again or writes, or the map is dropped,
//! even after the thread exits), and the map keeps at most one handed-over version per such
//! thread until the next write. With the trie a version costs only the nodes later writes
//! replaced; in the worst case (every entry rewritten since), a whole second copy of the map.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::Ordering;

// The latest version's address is this module's one synchronization of its own; loom checks it.
#[cfg(loom)]
use loom::sync::atomic::AtomicPtr;
#[cfg(not(loom))]
use std::sync::atomic::AtomicPtr;

#[cfg(not(loom))]
use arc_swap::ArcSwap;
use crossbeam_utils::CachePadded;
use parking_lot::{Mutex, MutexGuard};
use thread_local::ThreadLocal;

/// One thread's cache. Padded: `ThreadLocal` lays consecutive threads' values side by side.
/// Only its own thread borrows it, and only at reading depth 0 (see [`ThreadReads`]), so the
/// `RefCell` never refuses a borrow; should it ever, the read takes the nested path instead of
/// changing a cache that is in use.
type Cache<T> = CachePadded<RefCell<Option<Arc<T>>>>;

/// How many memo slots a thread has (see [`ThreadReads`]).
const WAYS: usize = 4;

/// What a thread remembers of the version its cache holds for one map: its address, so that a
/// read that finds it current needs neither the `ThreadLocal` lookup nor the cache itself.
#[derive(Clone, Copy)]
struct Memo {
    /// The map's [`Published::id`]; 0 for none.
    map: u64,
    version: *const (),
}

impl Memo {
    const NONE: Memo = Memo {
        map: 0,
        version: std::ptr::null(),
    };
}

/// Per thread, for every map: how many reads this thread has in progress, and [`WAYS`] memo
/// slots ("ways"), each remembering the cached version of one map: a map's way is its id modulo
/// `WAYS`, so two maps whose ids share it, read in turn, take each other's.
///
/// **Invariant: a way naming map `id` holds the address of the version this thread's cache of
/// map `id` holds.** Only this thread changes its cache, and it updates or clears the way
/// whenever it does; map ids are never reused, so a way naming a dropped map is never matched
/// again.
///
/// **Invariant: a thread changes its caches only at depth 0**, when none of its reads is in
/// progress: a read in progress may be using the version the cache holds (a read nested in
/// another's closure, or a write there, would otherwise free it under the outer read).
///
/// The ways' two halves are kept in two arrays of words rather than one of pairs, so that a
/// read indexes both with a plain scaled index.
struct ThreadReads {
    depth: Cell<usize>,
    maps: [Cell<u64>; WAYS],
    versions: [Cell<*const ()>; WAYS],
}

impl ThreadReads {
    const fn new() -> ThreadReads {
        ThreadReads {
            depth: Cell::new(0),
            maps: [const { Cell::new(Memo::NONE.map) }; WAYS],
            versions: [const { Cell::new(Memo::NONE.version) }; WAYS],
        }
    }

    #[inline(always)]
    fn memo(&self, way: usize) -> Memo {
        Memo {
            map: self.maps[way].get(),
            version: self.versions[way].get(),
        }
    }

    fn set_memo(&self, way: usize, memo: Memo) {
        self.maps[way].set(memo.map);
        self.versions[way].set(memo.version);
    }
}

// Constant-initialized and without `Drop`, so an access is a plain thread-local address: no
// lazy initialization, no destructor registration.
#[cfg(not(loom))]
std::thread_local! {
    static READS: ThreadReads = const { ThreadReads::new() };
}
#[cfg(loom)]
loom::thread_local! {
    static READS: ThreadReads = ThreadReads::new();
}

/// Ids for [`Published`] maps; 0 means none. Not part of any synchronization, so a plain std
/// atomic even under loom.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// One read in progress on this thread: counted in [`ThreadReads::depth`] while it lives.
struct InProgress;

impl InProgress {
    /// Counts a read in, returning whether another was already in progress on this thread.
    #[inline(always)]
    fn enter() -> (InProgress, bool) {
        let outer = READS.with(|r| {
            let depth = r.depth.get();
            r.depth.set(depth + 1);
            depth > 0
        });
        (InProgress, outer)
    }
}

impl Drop for InProgress {
    #[inline(always)]
    fn drop(&mut self) {
        READS.with(|r| r.depth.set(r.depth.get() - 1));
    }
}

/// A version being read, held for as long as the read is in progress.
pub(crate) struct Reading<'a, T> {
    /// The version read: the one this thread's cache holds, which cannot change while this
    /// read is in progress (depth > 0) nor be dropped while the map is borrowed (`'a`), or the
    /// one in `nested`.
    version: NonNull<T>,
    /// For a read nested in another, which must leave the cache alone: its own reference.
    _nested: Option<Arc<T>>,
    _in_progress: InProgress,
    _map: PhantomData<&'a T>,
}

impl<T> Deref for Reading<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: `version` is alive while this read is in progress (see the field).
        unsafe { self.version.as_ref() }
    }
}

/// Where the current version is published: an `ArcSwap`, or under loom a loom mutex, so that its
/// loads and stores are points where loom may switch threads.
#[cfg(not(loom))]
type Register<T> = ArcSwap<T>;
#[cfg(loom)]
type Register<T> = loom_register::Register<T>;

/// The current version of a map, its address, and every thread's cache of it.
pub(crate) struct Published<T: Send + Sync> {
    current: Register<T>,
    /// The address of the version in `current`, stored just before it.
    latest: AtomicPtr<T>,
    /// This map's name in every thread's memo: unique for the life of the process.
    id: u64,
    caches: ThreadLocal<Cache<T>>,
    /// Versions readers' caches let go of while nobody else held them, for a writer to free.
    handed_over: Mutex<Vec<Arc<T>>>,
}

impl<T: Send + Sync> Published<T> {
    pub(crate) fn new(value: T) -> Self {
        let version = Arc::new(value);
        Self {
            latest: AtomicPtr::new(Arc::as_ptr(&version).cast_mut()),
            current: Register::new(version),
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            caches: ThreadLocal::new(),
            handed_over: Mutex::new(Vec::new()),
        }
    }

    /// The current version, through this thread's cache: held until the returned guard drops.
    ///
    /// A guard rather than a closure, so that the lookup a caller makes through it inlines into
    /// the caller with no call in between. The common case, a read of a map this thread read
    /// since the map's last publication, is the memo's: `latest` loaded and compared with the
    /// memo.
    #[inline(always)]
    pub(crate) fn reading(&self) -> Reading<'_, T> {
        let (in_progress, outer) = InProgress::enter();
        let latest = self.latest.load(Ordering::Acquire);
        let memo = READS.with(|r| r.memo(self.way()));
        // Both words tested in one expression: it compiles to two compare-and-branch pairs,
        // where `&&` kept one comparison's result in a flag.
        let differ = (memo.map ^ self.id) | (memo.version.addr() ^ latest.addr()) as u64;
        let (version, nested) = if differ == 0 {
            // SAFETY: `latest` always holds a version's address, never null.
            (unsafe { NonNull::new_unchecked(latest) }, None)
        } else {
            self.reading_slow(outer, latest)
        };
        Reading {
            version,
            _nested: nested,
            _in_progress: in_progress,
            _map: PhantomData,
        }
    }

    #[inline(always)]
    fn way(&self) -> usize {
        (self.id % WAYS as u64) as usize
    }

    /// A read the memo cannot serve: a thread's first read of the map, the first after a write,
    /// one of a map whose way another map took since, or a read nested in another.
    #[cold]
    #[inline(never)]
    fn reading_slow(&self, outer: bool, latest: *mut T) -> (NonNull<T>, Option<Arc<T>>) {
        let nested = || {
            let version = self.current.load_full();
            (NonNull::from(&*version), Some(version))
        };
        if outer {
            // Another read of this thread is in progress and may be using a cached version:
            // leave the caches alone.
            return nested();
        }
        let cache = self.caches.get_or(Default::default);
        let Ok(mut cached) = cache.try_borrow_mut() else {
            return nested();
        };
        let let_go = self.refresh_at(&mut cached, latest);
        let fresh = cached.as_ref().expect("refreshed");
        let version = NonNull::from(&**fresh);
        let memo = Memo {
            map: self.id,
            version: Arc::as_ptr(fresh).cast(),
        };
        READS.with(|r| r.set_memo(self.way(), memo));
        drop(cached);
        // After the borrow ends: letting go may drop a version, and with it user code.
        if let Some(old) = let_go {
            self.let_go(old);
        }
        (version, None)
    }

    /// Reloads `cached` if it is stale (or empty).
    #[cfg(all(test, loom))]
    fn refresh(&self, cached: &mut Option<Arc<T>>) {
        let latest = self.latest.load(Ordering::Acquire);
        if let Some(old) = self.refresh_at(cached, latest) {
            self.let_go(old);
        }
    }

    /// Reloads `cached` unless it holds the version at `latest` (loaded before this call),
    /// returning the version it held before, for the caller to let go of.
    fn refresh_at(&self, cached: &mut Option<Arc<T>>, latest: *mut T) -> Option<Arc<T>> {
        if matches!(cached, Some(c) if Arc::as_ptr(c) == latest.cast_const()) {
            return None;
        }
        // At least as new as `latest`: `latest` is stored before the `ArcSwap`.
        cached.replace(self.current.load_full())
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

    /// Publishes `version`, the whole of a write's ending: stores its address and it, lets
    /// the `writer` lock go, then, no longer holding it, drops the replaced version (freeing it
    /// unless a snapshot or a reader's cache still holds it) and cleans up after itself.
    pub(crate) fn publish(&self, version: Arc<T>, writer: MutexGuard<'_, ()>) {
        let replaced = self.store(version);
        // Freeing is a write's slowest step; the next writer need not wait for it.
        drop(writer);
        drop(replaced);
        self.after_publish();
    }

    /// Stores `version`'s address in `latest`, then `version`, and returns the version it
    /// replaced.
    fn store(&self, version: Arc<T>) -> Arc<T> {
        self.latest
            .store(Arc::as_ptr(&version).cast_mut(), Ordering::Release);
        self.current.swap(version)
    }

    /// Frees the versions readers handed over, and empties the writing thread's own cache,
    /// which a write has just made stale.
    ///
    /// Emptying it here frees the version the thread read last (unless another thread still
    /// holds it) together with what this write replaced, so a thread that mixes reads and writes
    /// frees what each write replaced at that write, as without caches, instead of keeping it
    /// all for the first write after its next read.
    fn after_publish(&self) {
        // Not while a read of this thread is in progress (a write from a read's closure): that
        // read may be using the cached version. The stale memo sends the next read to reload.
        let reading = READS.with(|r| r.depth.get() > 0);
        if !reading
            && let Some(cache) = self.caches.get()
            && let Ok(mut cached) = cache.try_borrow_mut()
        {
            let emptied = cached.take();
            drop(cached);
            READS.with(|r| {
                if r.memo(self.way()).map == self.id {
                    r.set_memo(self.way(), Memo::NONE);
                }
            });
            // After the borrow ends and the memo is cleared: this may run user code that reads.
            drop(emptied);
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
        pub(crate) fn new(value: Arc<T>) -> Self {
            Self(loom::sync::Mutex::new(value))
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
    //! `latest` against every interleaving of a writer and one or two readers:
    //! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p cmap-cow --release --lib`.
    //! `ArcSwap` stands in as a loom mutex (a linearizable register, as `ArcSwap` is), so loom
    //! explores its loads and stores against `latest`. A reader's cache is a local here:
    //! [`Published::refresh`] is the read's comparison of `latest` with the cached address, and
    //! its reload.

    use std::sync::Arc;

    use loom::sync::atomic::{AtomicBool, Ordering};
    use loom::thread;

    use super::Published;

    /// Reads `map` through `cached`, as a read does.
    fn read(map: &Published<u64>, cached: &mut Option<Arc<u64>>) -> u64 {
        map.refresh(cached);
        **cached.as_ref().expect("refreshed")
    }

    /// A reader that has seen a write complete (through a flag the writer sets afterwards) reads
    /// that write through its cache, even when the cache held the version before it.
    fn a_completed_write_is_seen_through_a_stale_cache(publish: fn(&Published<u64>, u64)) {
        loom::model(move || {
            let map = Arc::new(Published::new(0u64));
            let written = Arc::new(AtomicBool::new(false));
            let reader = {
                let (map, written) = (Arc::clone(&map), Arc::clone(&written));
                thread::spawn(move || {
                    let mut cached = None;
                    let first = read(&map, &mut cached);
                    assert!(first <= 1);
                    if written.load(Ordering::Acquire) {
                        assert_eq!(read(&map, &mut cached), 1);
                    }
                })
            };
            publish(&map, 1);
            written.store(true, Ordering::Release);
            reader.join().unwrap();
        });
    }

    /// A reader that has seen a version through `ArcSwap` (a reload) and told another reader so
    /// has made that reader's next read return it, even through a cache of the version before.
    fn a_version_one_reader_saw_is_seen_by_the_next(publish: fn(&Published<u64>, u64)) {
        loom::model(move || {
            let map = Arc::new(Published::new(0u64));
            let seen = Arc::new(AtomicBool::new(false));
            let mut cached = None;
            assert_eq!(read(&map, &mut cached), 0);
            let first = {
                let (map, seen) = (Arc::clone(&map), Arc::clone(&seen));
                thread::spawn(move || {
                    if *map.load_full() == 1 {
                        seen.store(true, Ordering::Release);
                    }
                })
            };
            let next = {
                let (map, seen) = (Arc::clone(&map), Arc::clone(&seen));
                thread::spawn(move || {
                    if seen.load(Ordering::Acquire) {
                        assert_eq!(read(&map, &mut cached), 1);
                    }
                })
            };
            publish(&map, 1);
            first.join().unwrap();
            next.join().unwrap();
        });
    }

    #[test]
    fn storing_latest_first_is_linearizable() {
        a_completed_write_is_seen_through_a_stale_cache(|map, v| drop(map.store(Arc::new(v))));
        a_version_one_reader_saw_is_seen_by_the_next(|map, v| drop(map.store(Arc::new(v))));
    }

    /// Storing `latest` after the version would let a reader whose cache still holds the old
    /// version find the old address in `latest` after another reader has seen the new version;
    /// loom finds that interleaving.
    #[test]
    #[should_panic(expected = "assertion `left == right` failed")]
    fn storing_latest_last_is_caught() {
        a_version_one_reader_saw_is_seen_by_the_next(|map, v| {
            let version = Arc::new(v);
            let address = Arc::as_ptr(&version).cast_mut();
            drop(map.current.swap(version));
            map.latest.store(address, Ordering::Release);
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The read path's own rules, on versions that own heap memory, so that miri reports a read
    //! of a freed version: `cargo +nightly miri test -p cmap-cow --lib published`.

    use std::sync::Arc;

    use parking_lot::Mutex;

    use super::Published;

    /// Publishes `value` as a write does.
    fn write(map: &Published<Vec<u64>>, writer: &Mutex<()>, value: Vec<u64>) {
        map.publish(Arc::new(value), writer.lock());
    }

    /// A read in progress keeps its version through nested reads and writes on its thread:
    /// neither a nested read of a stale map nor a write's emptying of its thread's cache frees
    /// the version the outer read is using.
    #[test]
    fn nested_reads_and_writes_leave_the_outer_version_alone() {
        let (map, writer) = (Published::new(vec![0]), Mutex::new(()));
        write(&map, &writer, vec![1]);
        let outer = map.reading();
        assert_eq!(*outer, [1]);
        write(&map, &writer, vec![2]);
        {
            let inner = map.reading();
            assert_eq!(*inner, [2]);
            write(&map, &writer, vec![3]);
            assert_eq!(*map.reading(), [3]);
            // Still readable: the write above did not empty the cache under `inner`.
            assert_eq!(*inner, [2]);
        }
        assert_eq!(*outer, [1]);
        drop(outer);
        // At depth 0 again the cache moves on to the current version.
        assert_eq!(*map.reading(), [3]);
        write(&map, &writer, vec![4]);
        assert_eq!(*map.reading(), [4]);
    }

    /// More maps than a thread's memo has ways, read in turn: each read sees its own map.
    #[test]
    fn maps_sharing_a_way_read_their_own_versions() {
        let writer = Mutex::new(());
        let maps: Vec<Published<Vec<u64>>> = (0..9).map(|i| Published::new(vec![i * 10])).collect();
        for round in 1..4 {
            for (i, map) in (0u64..).zip(&maps) {
                assert_eq!(*map.reading(), [i * 10 + round - 1]);
                write(map, &writer, vec![i * 10 + round]);
                assert_eq!(*map.reading(), [i * 10 + round]);
            }
        }
    }

    /// A map dropped and another made in its place (its version possibly at the same address
    /// as the dropped map's, which this thread's memo still names): the new map's first read
    /// takes its version into the cache, so a write during that read does not free it.
    #[test]
    fn a_memo_of_a_dropped_map_never_matches() {
        let writer = Mutex::new(());
        for i in 0..50 {
            let map = Published::new(vec![i]);
            let read = map.reading();
            write(&map, &writer, vec![i + 1]);
            assert_eq!(*read, [i]);
        }
    }
}
