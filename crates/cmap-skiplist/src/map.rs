//! `SkipListMap`: the public map over the versioned core.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Bound, ControlFlow, RangeBounds};
use std::sync::Arc;

use cmap_core::{
    Batch, BatchWriter, ConcurrentMap, DefaultHashBuilder, Ordered, Snapshots, Upsert,
};
use crossbeam_epoch::{self as epoch, Guard};

use crate::registry::Registry;
use crate::snapshot::SkipListSnapshot;
use crate::sync::{AtomicU64, AtomicUsize, Mutex, Ordering};
use crate::version::{Dead, Seq, VersionEntry, Versions, below_end};

/// An ordered concurrent map with point-in-time snapshots: versioned entries on a lock-free skip
/// list. See the [crate docs](crate).
pub struct SkipListMap<K, V> {
    inner: Arc<Inner<K, V>>,
}

impl<K, V> SkipListMap<K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Removes every version that no reader can see any more, across the whole map.
    ///
    /// Writers already collect the garbage of the keys they write, so a map that is only written
    /// to needs no compaction. Versions kept for a snapshot become garbage when the snapshot is
    /// dropped, and only a later write to their key, or this call, collects them.
    ///
    /// The removals themselves are deferred, like those of writers, until no thread that was
    /// reading when they were decided is still reading: they complete as threads pass through
    /// crossbeam's epoch, normally within microseconds. `compact` walks the whole map (O(n)), in
    /// chunks, never blocking readers and blocking writers only for a chunk at a time.
    pub fn compact(&self) {
        let mut resume: Option<K> = None;
        let mut jobs = Vec::new();
        loop {
            let guard = &epoch::pin();
            let next = {
                let registry = self.inner.registry.lock();
                // Read under the registry lock, like a snapshot: see `registry.rs`.
                let at = self.inner.watermark.load(Ordering::Acquire);
                let from = resume.as_ref().map_or(Bound::Unbounded, Bound::Excluded);
                self.inner
                    .versions
                    .collect_chunk(from, at, COMPACT_CHUNK, &registry, guard, |key, dead| {
                        jobs.push((key.clone(), dead));
                    })
                    .cloned()
            };
            for (key, dead) in jobs.drain(..) {
                self.inner.defer_removal(key, dead, guard);
            }
            match next {
                Some(key) => resume = Some(key),
                None => break,
            }
        }
        epoch::pin().flush();
    }

    /// How many versions the skip list holds: one per live key, plus tombstones, versions kept
    /// for live snapshots, and garbage whose removal has been decided but not yet carried out.
    ///
    /// Equal to [`len`](ConcurrentMap::len) when no snapshot is live and collection has caught up.
    pub fn version_count(&self) -> usize {
        self.inner.versions.len()
    }

    /// The sequence number of the newest published write.
    ///
    /// Every write takes the next number (a batch takes one for all its writes); a snapshot reads
    /// the map as of the watermark when it was taken.
    pub fn watermark(&self) -> u64 {
        self.inner.watermark.load(Ordering::Acquire)
    }
}

/// How many keys [`SkipListMap::compact`] examines per registry lock.
const COMPACT_CHUNK: usize = 1024;

impl<K, V> ConcurrentMap for SkipListMap<K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    type Key = K;
    type Value = V;
    type Hasher = DefaultHashBuilder;

    /// A skip list has no capacity to reserve and never hashes: both arguments are ignored.
    fn with_capacity_and_hasher(_capacity: usize, _hasher: DefaultHashBuilder) -> Self {
        Self {
            inner: Arc::new(Inner::new()),
        }
    }

    #[inline]
    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        // Pin before reading the watermark: collection defers every removal past the readers
        // pinned when it decided, and readers that pin later read a watermark that no longer
        // needs what it removes.
        let guard = &epoch::pin();
        let at = self.inner.watermark.load(Ordering::Acquire);
        let entry = self.inner.versions.read(key, at, guard)?;
        entry.value().as_ref().map(f)
    }

    fn insert(&self, key: K, value: V) -> Option<V> {
        let _writer = self.inner.writer.lock();
        let guard = &epoch::pin();
        let newest = self.inner.newest(&key, guard);
        let old = newest.as_ref().and_then(|entry| entry.value().clone());
        self.inner.write(key, Some(value), newest, guard);
        old
    }

    fn remove(&self, key: &K) -> Option<V> {
        let _writer = self.inner.writer.lock();
        let guard = &epoch::pin();
        let newest = self.inner.newest(key, guard)?;
        let old = newest.value().clone()?;
        let alone = newest.next().is_none_or(|next| next.key().key != *key);
        if alone {
            // The key's only version, and no snapshot sees it: unlink it, with no tombstone.
            // A latest reader finds it or nothing, both right; a snapshot registering
            // meanwhile waits for the registry lock and then finds nothing.
            let registry = self.inner.registry.lock();
            if !registry.sees(newest.key().seq, Seq::MAX) {
                newest.remove();
                self.inner.live.fetch_sub(1, Ordering::Relaxed);
                return Some(old);
            }
        }
        self.inner.write(key.clone(), None, Some(newest), guard);
        Some(old)
    }

    fn update<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let _writer = self.inner.writer.lock();
        let guard = &epoch::pin();
        let newest = self.inner.newest(key, guard)?;
        let mut value = newest.value().clone()?;
        // `f` works on a copy: if it panics, nothing was written.
        let result = f(&mut value);
        self.inner
            .write(key.clone(), Some(value), Some(newest), guard);
        Some(result)
    }

    fn upsert<R>(
        &self,
        key: K,
        make: impl FnOnce() -> V,
        modify: impl FnOnce(&mut V) -> R,
    ) -> Upsert<R> {
        let _writer = self.inner.writer.lock();
        let guard = &epoch::pin();
        let newest = self.inner.newest(&key, guard);
        match newest.as_ref().and_then(|entry| entry.value().clone()) {
            Some(mut value) => {
                let result = modify(&mut value);
                self.inner.write(key, Some(value), newest, guard);
                Upsert::Modified(result)
            }
            None => {
                let value = make();
                self.inner.write(key, Some(value), newest, guard);
                Upsert::Inserted
            }
        }
    }

    #[inline]
    fn contains_key(&self, key: &K) -> bool {
        self.get_with(key, |_| ()).is_some()
    }

    /// The number of live keys in the latest state, kept by writers: O(1).
    fn len(&self) -> usize {
        self.inner.live.load(Ordering::Acquire)
    }
}

impl<K, V> Ordered for SkipListMap<K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn range_with(&self, range: impl RangeBounds<K>, f: impl FnMut(&K, &V) -> ControlFlow<()>) {
        // Each chunk reads at the watermark of its own moment, so a key unchanged for the whole
        // scan is seen with its value, and the cursor only moves forward.
        scan_chunks(
            &self.inner,
            &range,
            || self.inner.watermark.load(Ordering::Acquire),
            f,
        );
    }
}

impl<K, V> Snapshots for SkipListMap<K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    type Snapshot = SkipListSnapshot<K, V>;

    /// Registers the current watermark as a live snapshot: O(log s) in the number of live
    /// snapshots, no copying.
    fn snapshot(&self) -> SkipListSnapshot<K, V> {
        SkipListSnapshot::new(Arc::clone(&self.inner))
    }
}

impl<K, V> Batch for SkipListMap<K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn batch<R>(&self, f: impl FnOnce(&mut dyn BatchWriter<K, V>) -> R) -> R {
        let _writer = self.inner.writer.lock();
        let mut pending = Pending {
            inner: &self.inner,
            writes: BTreeMap::new(),
        };
        // If `f` panics, `pending` is dropped unapplied and the writer lock is released.
        let result = f(&mut pending);
        let writes = pending.writes;
        self.inner.apply(writes);
        result
    }
}

impl<K, V> Default for SkipListMap<K, V>
where
    K: Ord + Send + 'static,
    V: Send + 'static,
{
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner::new()),
        }
    }
}

impl<K, V> fmt::Debug for SkipListMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkipListMap")
            .field("len", &self.inner.live.load(Ordering::Relaxed))
            .field("watermark", &self.inner.watermark.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// What the map and its snapshots share.
pub(crate) struct Inner<K, V> {
    pub(crate) versions: Versions<K, V>,
    /// The newest published seq. Writes are applied under `writer` and published by storing
    /// their seq here, so every write at or below the watermark is fully in the list.
    pub(crate) watermark: AtomicU64,
    /// Live keys in the latest state.
    live: AtomicUsize,
    /// Serializes writers: see "Why one writer lock" in the crate docs.
    writer: Mutex<()>,
    pub(crate) registry: Registry,
    /// Every [`FENCE_EVERY`]-th key of the last full scan: where later scans split their walk.
    fences: Mutex<Arc<Vec<K>>>,
}

impl<K, V> Inner<K, V>
where
    K: Ord + Send + 'static,
    V: Send + 'static,
{
    fn new() -> Self {
        Self {
            versions: Versions::new(),
            watermark: AtomicU64::new(0),
            live: AtomicUsize::new(0),
            writer: Mutex::new(()),
            registry: Registry::new(),
            fences: Mutex::new(Arc::new(Vec::new())),
        }
    }
}

impl<K, V> Inner<K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// The key's newest version. Called under the writer lock, where every version in the list
    /// is published, so the newest is the latest state.
    fn newest<'a: 'g, 'g>(
        &'a self,
        key: &K,
        guard: &'g Guard,
    ) -> Option<VersionEntry<'a, 'g, K, V>> {
        self.versions.read(key, Seq::MAX, guard)
    }

    /// Writes one version at the next seq, publishes it, and collects the key's garbage. The
    /// caller holds the writer lock and passes the key's newest version, if it has one.
    fn write(
        self: &Arc<Self>,
        key: K,
        slot: Option<V>,
        previous: Option<VersionEntry<'_, '_, K, V>>,
        guard: &Guard,
    ) {
        let seq = self.watermark.load(Ordering::Relaxed) + 1;
        let tombstone = slot.is_none();
        let was_live = previous
            .as_ref()
            .is_some_and(|entry| entry.value().is_some());
        self.adjust_live(was_live, !tombstone);
        let collect = previous.map(|older| (key.clone(), older));
        self.versions.insert(key, seq, slot, guard);
        self.watermark.store(seq, Ordering::Release);
        if let Some((key, older)) = collect {
            self.collect(key, seq, tombstone, older, guard);
        }
    }

    /// Applies a batch's writes at one seq. The caller holds the writer lock.
    fn apply(self: &Arc<Self>, writes: BTreeMap<K, Option<V>>) {
        if writes.is_empty() {
            return;
        }
        let guard = &epoch::pin();
        let seq = self.watermark.load(Ordering::Relaxed) + 1;
        let mut collect = Vec::new();
        for (key, slot) in writes {
            let newest = self.newest(&key, guard);
            let was_live = newest.as_ref().is_some_and(|entry| entry.value().is_some());
            if !was_live && slot.is_none() {
                // Removing what is already absent writes nothing.
                continue;
            }
            let tombstone = slot.is_none();
            self.adjust_live(was_live, !tombstone);
            if let Some(older) = newest {
                collect.push((key.clone(), tombstone, older));
            }
            self.versions.insert(key, seq, slot, guard);
        }
        // One store makes the whole batch visible at once.
        self.watermark.store(seq, Ordering::Release);
        for (key, tombstone, older) in collect {
            self.collect(key, seq, tombstone, older, guard);
        }
    }

    fn adjust_live(&self, was_live: bool, is_live: bool) {
        match (was_live, is_live) {
            (false, true) => {
                self.live.fetch_add(1, Ordering::Relaxed);
            }
            (true, false) => {
                self.live.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    /// Decides which versions of `key` are garbage, now that its newest version is the one
    /// written at `seq` and `older` is the version that was newest before, and defers their
    /// removal.
    fn collect(
        self: &Arc<Self>,
        key: K,
        seq: Seq,
        tombstone: bool,
        older: VersionEntry<'_, '_, K, V>,
        guard: &Guard,
    ) {
        let dead = {
            let registry = self.registry.lock();
            self.versions
                .dead_versions(&key, seq, tombstone, Some(older), &registry)
        };
        if !dead.is_empty() {
            self.defer_removal(key, dead, guard);
        }
    }

    /// Removes `dead` versions of `key` once every thread pinned now has unpinned: a latest
    /// reader that read the watermark before the versions' replacements were published may
    /// still be looking for them.
    fn defer_removal(self: &Arc<Self>, key: K, dead: Dead, guard: &Guard) {
        // Weak: pending removals must not keep a dropped map's memory alive.
        let inner = Arc::downgrade(self);
        guard.defer(move || {
            if let Some(inner) = inner.upgrade() {
                inner.versions.remove(&key, &dead);
            }
        });
    }
}

/// The most entries a scan visits per pin of the epoch.
const SCAN_CHUNK: usize = 8192;

/// How many stretches of the list a scan walks at once, between fence keys.
const LANES: usize = 8;

/// A full scan records every `FENCE_EVERY`-th key it visits as a fence for later scans.
const FENCE_EVERY: usize = 512;

/// A chunk whose nodes lay in memory in key order, at least 31 steps of 32 and over at least
/// this many steps, has the next chunk walked in one lane.
const IN_ORDER_SAMPLE: usize = 32;

/// How many entries the first chunk of a scan visits: a scan that stops early (the first few
/// keys of a range) walks no more than it needs before its closure can break.
const FIRST_CHUNK: usize = 64;

/// Calls `f` on the entries in `range`, in key order, reading each chunk of at most
/// [`SCAN_CHUNK`] entries at the seq `at()` returns when the chunk starts. `f` runs in place, on
/// entries borrowed from the list, while the thread is pinned in the epoch: it may call the map
/// (pins nest, and a scan holds no lock), and it delays memory reclamation by at most one chunk,
/// since the scan unpins between chunks and resumes with a search.
///
/// A chunk is split at the map's fence keys (every [`FENCE_EVERY`]-th key of the last full scan)
/// into up to [`LANES`] stretches that are walked at once, one node of each in turn, so that their
/// cache misses overlap; the entries are then handed to `f` stretch by stretch, in order. A full
/// scan that completes records fresh fences. Fences only place the splits: stale ones cost speed,
/// never correctness. Returns `true` if the range was exhausted, `false` if `f` broke.
pub(crate) fn scan_chunks<K, V>(
    inner: &Inner<K, V>,
    range: &impl RangeBounds<K>,
    mut at: impl FnMut() -> Seq,
    mut f: impl FnMut(&K, &V) -> ControlFlow<()>,
) -> bool
where
    K: Ord + Clone + Send + 'static,
    V: Send + 'static,
{
    let fences = Arc::clone(&inner.fences.lock());
    let end = range.end_bound();
    let full_range = matches!(
        (range.start_bound(), end),
        (Bound::Unbounded, Bound::Unbounded)
    );
    let mut recorded = full_range.then(Vec::new);
    let mut visited = 0usize;
    let mut from: Bound<K> = range.start_bound().cloned();
    let mut chunk = 0u32;
    // Whether the last chunk found its nodes in memory in key order.
    let mut in_order = false;
    loop {
        // The fences after `from` and before `end` split the chunk into lanes; the chunks of a
        // scan's start use fewer lanes, so that an early break wastes little. Where nodes lie in
        // memory in key order, one walk is faster: the processor prefetches ahead of it, and
        // loses track of several interleaved.
        let one_walk = chunk > 0 && in_order;
        let lanes = if one_walk { 1 } else { LANES.min(1 << chunk) };
        let first_chunk = chunk == 0;
        chunk = chunk.saturating_add(1);
        let first = match &from {
            Bound::Unbounded => 0,
            Bound::Included(key) | Bound::Excluded(key) => fences.partition_point(|f| f <= key),
        };
        let splits: Vec<&K> = if one_walk {
            Vec::new()
        } else {
            fences[first..]
                .iter()
                .take_while(|f| below_end(*f, end))
                .take(lanes)
                .collect()
        };
        let mut bounds = Vec::with_capacity(lanes + 1);
        let mut start = from.as_ref();
        for &split in &splits {
            bounds.push((start, Bound::Excluded(split)));
            start = Bound::Included(split);
        }
        // With fewer splits than lanes, the last lane runs to the end of the range.
        let to_the_end = splits.len() < lanes;
        if to_the_end {
            bounds.push((start, end));
        }
        let limit = if first_chunk {
            FIRST_CHUNK
        } else {
            SCAN_CHUNK / bounds.len()
        };
        let next = {
            let guard = &epoch::pin();
            // Pin before reading the seq: see `get_with`.
            let seq = at();
            let walked = inner.versions.walk_lanes(&bounds, seq, limit, guard);
            let steps: usize = walked.iter().map(|lane| lane.steps).sum();
            let sequential: usize = walked.iter().map(|lane| lane.in_order).sum();
            in_order = steps >= IN_ORDER_SAMPLE && sequential * 32 >= steps * 31;
            let mut resume = None;
            for lane in &walked {
                for &(key, value) in &lane.out {
                    if f(key, value).is_break() {
                        return false;
                    }
                    visited += 1;
                    if let Some(recorded) = &mut recorded
                        && visited.is_multiple_of(FENCE_EVERY)
                    {
                        recorded.push(key.clone());
                    }
                }
                if lane.full {
                    let (last, _) = lane.out.last().expect("a full lane holds entries");
                    resume = Some(Bound::Excluded((*last).clone()));
                    break;
                }
            }
            match resume {
                Some(resume) => resume,
                None if to_the_end => break,
                None => Bound::Included(splits[splits.len() - 1].clone()),
            }
        };
        from = next;
    }
    if let Some(recorded) = recorded {
        *inner.fences.lock() = Arc::new(recorded);
    }
    true
}

/// A batch's writes, kept aside until its closure returns so that a panic discards them.
struct Pending<'a, K, V> {
    inner: &'a Arc<Inner<K, V>>,
    /// `None` records a removal.
    writes: BTreeMap<K, Option<V>>,
}

impl<K, V> BatchWriter<K, V> for Pending<'_, K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn get(&self, key: &K) -> Option<V> {
        match self.writes.get(key) {
            Some(write) => write.clone(),
            None => {
                let guard = &epoch::pin();
                self.inner
                    .newest(key, guard)
                    .and_then(|entry| entry.value().clone())
            }
        }
    }

    fn insert(&mut self, key: K, value: V) -> Option<V> {
        let old = self.get(&key);
        self.writes.insert(key, Some(value));
        old
    }

    fn remove(&mut self, key: &K) -> Option<V> {
        let old = self.get(key);
        if old.is_some() {
            self.writes.insert(key.clone(), None);
        }
        old
    }
}
