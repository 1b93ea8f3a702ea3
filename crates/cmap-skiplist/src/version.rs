//! The versioned core: every write is a new entry `(key, seq)` in one skip list, holding a value
//! or a tombstone, and a read at sequence number `at` sees, for each key, the newest version whose
//! seq is at most `at`.
//!
//! Entries sort by key ascending, then by seq *descending*, so a key's versions are adjacent,
//! newest first, and one `lower_bound((key, at))` lands on the version a read at `at` must see.
//!
//! This module knows nothing of watermarks or of who reads at which seq; `map.rs` decides that.
//! It works on `crossbeam_skiplist::base::SkipList`, the engine inside `SkipMap`, whose guard-based
//! entries cost no reference counting per step and avoid the 0.1.3 reference-counted range
//! iterator, which leaks every node it walks once that node is removed.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::ops::Bound;

use crossbeam_epoch::{self as epoch, Guard};
use crossbeam_skiplist::base::{Entry, SkipList};

use crate::registry::RegistryView;

/// A sequence number. 0 is the empty map's watermark; the first write takes 1.
pub(crate) type Seq = u64;

/// The key of one version in the list.
#[derive(Debug)]
pub(crate) struct VersionKey<K> {
    pub(crate) key: K,
    pub(crate) seq: Seq,
}

/// What the list's entries compare by. Looking a key up with a borrowed `&K`, without cloning it,
/// needs a type the stored `VersionKey<K>` can lend (`Borrow`) and a borrowed probe can also be:
/// a trait object of this trait is both.
pub(crate) trait Lookup<K> {
    fn key(&self) -> &K;
    fn seq(&self) -> Seq;
}

impl<K> Lookup<K> for VersionKey<K> {
    fn key(&self) -> &K {
        &self.key
    }
    fn seq(&self) -> Seq {
        self.seq
    }
}

/// A borrowed `(key, seq)` to search for.
struct Probe<'a, K> {
    key: &'a K,
    seq: Seq,
}

impl<K> Lookup<K> for Probe<'_, K> {
    fn key(&self) -> &K {
        self.key
    }
    fn seq(&self) -> Seq {
        self.seq
    }
}

/// Key ascending, then seq descending (newest version first).
fn compare<K: Ord>(a: &(impl Lookup<K> + ?Sized), b: &(impl Lookup<K> + ?Sized)) -> Ordering {
    a.key().cmp(b.key()).then_with(|| b.seq().cmp(&a.seq()))
}

impl<K: Ord> Ord for dyn Lookup<K> + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(self, other)
    }
}
impl<K: Ord> PartialOrd for dyn Lookup<K> + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: Ord> PartialEq for dyn Lookup<K> + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<K: Ord> Eq for dyn Lookup<K> + '_ {}

// The stored key must order exactly as its `Lookup` view does, or searches would go astray.
impl<K: Ord> Ord for VersionKey<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(self, other)
    }
}
impl<K: Ord> PartialOrd for VersionKey<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K: Ord> PartialEq for VersionKey<K> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<K: Ord> Eq for VersionKey<K> {}

impl<'a, K: Ord + 'a> Borrow<dyn Lookup<K> + 'a> for VersionKey<K> {
    fn borrow(&self) -> &(dyn Lookup<K> + 'a) {
        self
    }
}

/// Where a scan starts: the first key it may visit.
fn start_bound<'k, K: Ord>(from: Bound<&'k K>, at: Seq) -> Bound<Probe<'k, K>> {
    match from {
        // The newest version of `key` at or below `at` sorts first among those a read at `at`
        // may see.
        Bound::Included(key) => Bound::Included(Probe { key, seq: at }),
        // Seq 0 is never written, so every version of `key` sorts before `(key, 0)`.
        Bound::Excluded(key) => Bound::Excluded(Probe { key, seq: 0 }),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn as_lookup<'p, K: Ord>(bound: &'p Bound<Probe<'_, K>>) -> Bound<&'p (dyn Lookup<K> + 'p)> {
    match bound {
        Bound::Included(probe) => Bound::Included(probe),
        Bound::Excluded(probe) => Bound::Excluded(probe),
        Bound::Unbounded => Bound::Unbounded,
    }
}

pub(crate) fn below_end<K: Ord>(key: &K, end: Bound<&K>) -> bool {
    match end {
        Bound::Included(end) => key <= end,
        Bound::Excluded(end) => key < end,
        Bound::Unbounded => true,
    }
}

/// The versions of every key, in one skip list. `None` is a tombstone.
pub(crate) struct Versions<K, V> {
    list: SkipList<VersionKey<K>, Option<V>>,
}

/// A list entry, valid while its guard is pinned.
pub(crate) type VersionEntry<'a, 'g, K, V> = Entry<'a, 'g, VersionKey<K>, Option<V>>;

impl<K, V> Versions<K, V>
where
    K: Ord + Send + 'static,
    V: Send + 'static,
{
    pub(crate) fn new() -> Self {
        // The default collector, so that `epoch::pin()` guards fit the list.
        Self {
            list: SkipList::new(epoch::default_collector().clone()),
        }
    }

    /// How many versions the list holds, garbage not yet removed included.
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// The version of `key` a read at `at` sees: the newest with seq at most `at`.
    pub(crate) fn read<'a: 'g, 'g>(
        &'a self,
        key: &K,
        at: Seq,
        guard: &'g Guard,
    ) -> Option<VersionEntry<'a, 'g, K, V>> {
        let probe = Bound::Included(Probe { key, seq: at });
        let entry = self.list.lower_bound(as_lookup(&probe), guard)?;
        (entry.key().key == *key).then_some(entry)
    }

    /// Adds a version. `(key, seq)` must be new: seqs are unique per key.
    pub(crate) fn insert(&self, key: K, seq: Seq, value: Option<V>, guard: &Guard) {
        self.list
            .insert(VersionKey { key, seq }, value, guard)
            .release(guard);
    }

    /// Walks several stretches of the list at once and collects, for each, the entries visible at
    /// `at`, in key order, skipping tombstones. Lane `i` starts at `bounds[i].0` and stops before
    /// `bounds[i].1`, or once it holds `limit` entries; a lane that stops there is
    /// [full](Lane::full), and the lanes after it stop walking, since a scan emits lanes in order
    /// and resumes after the full one.
    ///
    /// The walk is one node per lane per round: the lanes' cache misses are independent, so the
    /// processor overlaps them, where a single walk waits for each node before it can find the
    /// next. Nothing is cloned: the lanes borrow from the list, under `guard`.
    pub(crate) fn walk_lanes<'a: 'g, 'g, 'b>(
        &'a self,
        bounds: &[(Bound<&K>, Bound<&'b K>)],
        at: Seq,
        limit: usize,
        guard: &'g Guard,
    ) -> Vec<Lane<'a, 'g, 'b, K, V>> {
        let mut lanes: Vec<_> = bounds
            .iter()
            .map(|&(from, end)| {
                let start = start_bound(from, at);
                Lane {
                    cursor: self.list.lower_bound(as_lookup(&start), guard),
                    end,
                    decided: None,
                    out: Vec::with_capacity(limit.min(1024)),
                    full: false,
                    last: 0,
                    steps: 0,
                    in_order: 0,
                }
            })
            .collect();
        // Lanes at or after `walking` are finished or no longer needed.
        let mut walking = lanes.len();
        while walking > 0 {
            let mut any = false;
            let mut i = 0;
            while i < walking {
                let lane = &mut lanes[i];
                if lane.cursor.is_some() {
                    any = true;
                    lane.step(at, limit);
                    if lane.full {
                        walking = i + 1;
                    }
                }
                i += 1;
            }
            if !any {
                break;
            }
        }
        lanes
    }

    /// Decides, for up to `limit` keys from `from`, which versions written at or before `at` no
    /// reader can see any more, and hands each key's dead versions to `on_dead`. Versions newer
    /// than `at` are left alone (they may not be published yet). Returns the last key examined
    /// if the limit was reached, `None` once the list is exhausted.
    pub(crate) fn collect_chunk<'a: 'g, 'g>(
        &'a self,
        from: Bound<&K>,
        at: Seq,
        limit: usize,
        registry: &RegistryView<'_>,
        guard: &'g Guard,
        mut on_dead: impl FnMut(&'g K, Dead),
    ) -> Option<&'g K> {
        let start = start_bound(from, at);
        let mut cursor = self.list.lower_bound(as_lookup(&start), guard);
        let mut examined = 0;
        while let Some(entry) = cursor {
            if entry.key().seq > at {
                cursor = entry.next();
                continue;
            }
            let key = &entry.key().key;
            let tombstone = entry.value().is_none();
            let dead = self.dead_versions(key, entry.key().seq, tombstone, entry.next(), registry);
            if !dead.is_empty() {
                on_dead(key, dead);
            }
            examined += 1;
            if examined == limit {
                return Some(key);
            }
            cursor = skip_older(entry);
        }
        None
    }

    /// Decides which versions of `key` no reader can see any more.
    ///
    /// The key's newest version, the one a reader of the latest state sees, was written at
    /// `newest` (`tombstone` if it is a removal); `older` is the entry right after it, where the
    /// key's older versions start if it has any. Returns the dead versions' seqs in ascending
    /// order, the order in which they must be removed: a tombstone goes only after every older
    /// version of its key, or a read could skip the tombstone and find an older value.
    pub(crate) fn dead_versions(
        &self,
        key: &K,
        newest: Seq,
        tombstone: bool,
        older: Option<VersionEntry<'_, '_, K, V>>,
        registry: &RegistryView<'_>,
    ) -> Dead {
        let mut dead = Dead::default();
        // Tombstones that have nothing visible older than them so far: garbage if that stays so.
        let mut lone_tombstones = Dead::default();
        if tombstone {
            lone_tombstones.push(newest);
        }
        let mut replaced_at = newest;
        let mut cursor = older;
        while let Some(entry) = cursor {
            if entry.key().key != *key {
                break;
            }
            let seq = entry.key().seq;
            if registry.sees(seq, replaced_at) {
                match entry.value() {
                    // Some snapshot reads this value: it stays, and so do the tombstones above
                    // it, which hide it from the readers after them.
                    Some(_) => lone_tombstones.clear(),
                    // A tombstone hides nothing a missing version would not: it may still go
                    // if nothing visible lies below it.
                    None => lone_tombstones.push(seq),
                }
            } else {
                dead.push(seq);
            }
            replaced_at = seq;
            cursor = entry.next();
        }
        dead.extend(lone_tombstones);
        dead.sort();
        dead
    }

    /// Removes the versions of `key` at `seqs`, in the given order.
    pub(crate) fn remove(&self, key: &K, seqs: &Dead) {
        let guard = &epoch::pin();
        for &seq in seqs.as_slice() {
            // One search finds the node and the neighbours to unlink it from.
            let probe = Probe { key, seq };
            if let Some(entry) = self.list.remove(&probe as &dyn Lookup<K>, guard) {
                entry.release(guard);
            }
        }
    }
}

/// The entry after every version of `entry`'s key.
pub(crate) fn skip_older<'a, 'g, K: Ord, V>(
    entry: VersionEntry<'a, 'g, K, V>,
) -> Option<VersionEntry<'a, 'g, K, V>> {
    let mut cursor = entry.next();
    while let Some(next) = &cursor {
        if next.key().key != entry.key().key {
            break;
        }
        cursor = next.next();
    }
    cursor
}

/// One stretch of the list walked by [`Versions::walk_lanes`], and what it collected.
pub(crate) struct Lane<'a, 'g, 'b, K, V> {
    /// The next node to look at; `None` once the lane is finished.
    cursor: Option<VersionEntry<'a, 'g, K, V>>,
    end: Bound<&'b K>,
    /// The key whose visible version was found last: its older versions follow and are skipped.
    decided: Option<&'g K>,
    /// The visible entries found, in key order.
    pub(crate) out: Vec<(&'g K, &'g V)>,
    /// The lane stopped at its limit, before its end: the scan resumes after its last entry.
    pub(crate) full: bool,
    /// The address of the node looked at last.
    last: usize,
    /// How many nodes the lane looked at.
    pub(crate) steps: usize,
    /// How many of them lay a short step forward in memory from the one before.
    pub(crate) in_order: usize,
}

/// The largest step forward in memory from one node to the next that counts as walking memory
/// in order.
const SEQUENTIAL_STRIDE: usize = 512;

impl<'a, 'g, K: Ord, V> Lane<'a, 'g, '_, K, V> {
    /// Looks at one node and moves on.
    #[inline]
    fn step(&mut self, at: Seq, limit: usize) {
        let Some(entry) = self.cursor.take() else {
            return;
        };
        let version = entry.key();
        let here = (version as *const VersionKey<K>).addr();
        if here.wrapping_sub(self.last) <= SEQUENTIAL_STRIDE {
            self.in_order += 1;
        }
        self.steps += 1;
        self.last = here;
        if !below_end(&version.key, self.end) {
            return;
        }
        let older = self.decided.is_some_and(|key| *key == version.key);
        // A version written after `at` is invisible here, and an older version of its key follows;
        // the first version at or below `at` is the one a read at `at` sees.
        if !older && version.seq <= at {
            self.decided = Some(&version.key);
            if let Some(value) = entry.value() {
                self.out.push((&version.key, value));
                if self.out.len() == limit {
                    self.full = true;
                    return;
                }
            }
        }
        self.cursor = entry.next();
    }
}

/// The seqs of dead versions of one key. Almost always one (an overwritten value) or two (a
/// removed key: the value and its tombstone), so those live inline and cost no allocation.
#[derive(Debug, Default, Clone)]
pub(crate) struct Dead {
    inline: [Seq; 2],
    len: usize,
    spilled: Vec<Seq>,
}

impl Dead {
    fn push(&mut self, seq: Seq) {
        if self.len < self.inline.len() && self.spilled.is_empty() {
            self.inline[self.len] = seq;
            self.len += 1;
        } else {
            if self.spilled.is_empty() {
                self.spilled.extend_from_slice(&self.inline[..self.len]);
            }
            self.spilled.push(seq);
        }
    }

    fn clear(&mut self) {
        self.len = 0;
        self.spilled.clear();
    }

    fn extend(&mut self, other: Dead) {
        for &seq in other.as_slice() {
            self.push(seq);
        }
    }

    fn sort(&mut self) {
        if self.spilled.is_empty() {
            self.inline[..self.len].sort_unstable();
        } else {
            self.spilled.sort_unstable();
        }
    }

    pub(crate) fn as_slice(&self) -> &[Seq] {
        if self.spilled.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }
}
