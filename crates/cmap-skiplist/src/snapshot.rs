//! `SkipListSnapshot`: a registered sequence number, read through the shared version list.

use std::fmt;
use std::ops::{ControlFlow, RangeBounds};
use std::sync::{Arc, OnceLock};

use cmap_core::{OrderedSnapshot, Snapshot};
use crossbeam_epoch as epoch;

use crate::map::{Inner, scan_chunks};
use crate::sync::Ordering;
use crate::version::Seq;

/// A point-in-time view of a [`SkipListMap`](crate::SkipListMap): the map as of the watermark
/// when [`snapshot`](cmap_core::Snapshots::snapshot) was called.
///
/// Taking one copies nothing; it registers its sequence number so that garbage collection keeps
/// every version it reads. Dropping it unregisters it. It shares the map's storage, so it keeps
/// that storage alive after the map is dropped, and a long-lived snapshot keeps the versions it
/// sees alive while writers replace them. See the [crate docs](crate).
pub struct SkipListSnapshot<K, V> {
    inner: Arc<Inner<K, V>>,
    seq: Seq,
    /// Counted by the first full scan that needs it, then fixed: the view never changes.
    len: OnceLock<usize>,
}

impl<K, V> SkipListSnapshot<K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    pub(crate) fn new(inner: Arc<Inner<K, V>>) -> Self {
        let seq = inner.registry.register(&inner.watermark);
        Self {
            inner,
            seq,
            len: OnceLock::new(),
        }
    }

    /// The sequence number this snapshot reads at: it sees every write numbered up to it.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    fn count(&self) -> usize {
        let mut count = 0;
        scan_chunks(
            &self.inner,
            &(..),
            || self.seq,
            |_, _| {
                count += 1;
                ControlFlow::Continue(())
            },
        );
        count
    }
}

impl<K, V> Snapshot for SkipListSnapshot<K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    type Key = K;
    type Value = V;

    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        let guard = &epoch::pin();
        let entry = self.inner.versions.read(key, self.seq, guard)?;
        entry.value().as_ref().map(f)
    }

    /// Exact for this view. The first call scans the view (O(n)) unless a full scan already
    /// counted it; later calls are O(1).
    fn len(&self) -> usize {
        *self.len.get_or_init(|| self.count())
    }

    fn scan(&self, mut f: impl FnMut(&K, &V) -> ControlFlow<()>) {
        let mut count = 0;
        let finished = scan_chunks(
            &self.inner,
            &(..),
            || self.seq,
            |k, v| {
                count += 1;
                f(k, v)
            },
        );
        if finished {
            // A full scan has just counted the view: `len` is free from now on.
            let _ = self.len.set(count);
        }
    }
}

impl<K, V> OrderedSnapshot for SkipListSnapshot<K, V>
where
    K: Ord + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn range_with(&self, range: impl RangeBounds<K>, f: impl FnMut(&K, &V) -> ControlFlow<()>) {
        scan_chunks(&self.inner, &range, || self.seq, f);
    }
}

impl<K, V> Drop for SkipListSnapshot<K, V> {
    fn drop(&mut self) {
        self.inner.registry.unregister(self.seq);
    }
}

impl<K, V> fmt::Debug for SkipListSnapshot<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SkipListSnapshot")
            .field("seq", &self.seq)
            .field("latest_seq", &self.inner.watermark.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
