//! One shard: a `hashbrown::HashTable` that grows either all at once or incrementally.
//!
//! Everything here runs under the shard's lock (shared for `&self` methods, exclusive for
//! `&mut self` ones); this module knows nothing of locks or of other shards. Every method takes
//! the key's hash, computed once by the caller, and a `hasher` for the entries it may have to
//! re-place (growth and migration).
//!
//! # Incremental resize
//!
//! When an insert finds the table full, hashbrown would allocate a bigger table and move every
//! entry at once: with the shard locked, that is a pause proportional to the shard's size. With
//! [`Growth::Incremental`] the shard instead allocates the bigger table, makes it the current one,
//! and keeps the full table aside as a [`Migration`]. Every later write to the shard first moves
//! up to `step` entries from the old table to the new one, scanning at most `4 * step` buckets
//! of the old table, so the work one write does is bounded whatever the shard's size.
//!
//! **Invariant: a key is in at most one of the two tables.** New keys always go to the current
//! table and only after the old one has been searched; an entry leaves the old table in the same
//! step that puts it in the current one. Lookups search the current table, then the old one.
//!
//! **Invariant: while a migration runs, the current table does not grow.** A new table is sized
//! for the old table's entries plus the inserts that can arrive before the migration ends; see
//! [`Shard::start_migration`] for the arithmetic. (Should it ever fill, hashbrown grows it in the
//! ordinary, blocking way: correct, merely slow.)

use std::mem;

use hashbrown::HashTable;
use hashbrown::hash_table::{Entry, VacantEntry};

/// How a full shard grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Growth {
    /// hashbrown's own growth: one write rehashes the whole shard.
    Blocking,
    /// Migrate `step` entries per write (at least [`MIN_STEP`]), once the full table holds at
    /// least `from` entries; a smaller table grows the blocking way.
    Incremental { step: usize, from: usize },
}

impl Growth {
    /// Whether a full table holding `len` entries grows incrementally.
    #[inline]
    fn incremental_at(self, len: usize) -> bool {
        matches!(self, Growth::Incremental { from, .. } if len >= from)
    }
}

/// The smallest migration step that still guarantees the invariant that a new table never fills
/// while its migration runs (see [`Shard::start_migration`]).
pub(crate) const MIN_STEP: usize = 2;

/// How many old-table buckets one migration step may scan per entry it may move.
const SCAN_PER_ENTRY: usize = 4;

/// A shard's entries.
#[derive(Debug)]
pub(crate) struct Shard<K, V> {
    /// Where new entries go.
    table: HashTable<(K, V)>,
    /// The table being emptied into `table`, when an incremental resize is in progress. Boxed so
    /// that the shard's hot fields (lock word, current table, this pointer) share a cache line.
    migration: Option<Box<Migration<K, V>>>,
}

/// Where a write finds its key.
enum Slot<'a, K, V> {
    /// The key is present (in either table) with this value.
    Present(&'a mut V),
    /// The key is absent; inserting through this entry puts it in the current table.
    Vacant(VacantEntry<'a, (K, V)>),
}

/// An incremental resize in progress.
#[derive(Debug)]
pub(crate) struct Migration<K, V> {
    old: HashTable<(K, V)>,
    /// The first old-table bucket not yet visited. Buckets below it are empty.
    next_bucket: usize,
}

impl<K: Eq, V> Migration<K, V> {
    /// The old table's probe, out of line: only lookups that miss the current table during a
    /// resize make it, and keeping a second inlined probe out of every lookup leaves the read
    /// path small enough to inline into callers' loops.
    #[cold]
    #[inline(never)]
    fn get(&self, hash: u64, key: &K) -> Option<&V> {
        self.old.find(hash, |e| e.0 == *key).map(|(_, v)| v)
    }

    /// [`get`](Self::get) for writing.
    #[cold]
    #[inline(never)]
    fn get_mut(&mut self, hash: u64, key: &K) -> Option<&mut V> {
        self.old.find_mut(hash, |e| e.0 == *key).map(|(_, v)| v)
    }
}

impl<K, V> Shard<K, V> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            table: HashTable::with_capacity(capacity),
            migration: None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len() + self.migration.as_ref().map_or(0, |m| m.old.len())
    }

    /// How many entries the shard holds before its next resize starts.
    pub(crate) fn capacity(&self) -> usize {
        self.table.capacity()
    }

    pub(crate) fn is_migrating(&self) -> bool {
        self.migration.is_some()
    }

    /// Calls `f` on every entry.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&K, &V)) {
        for (k, v) in &self.table {
            f(k, v);
        }
        if let Some(m) = &self.migration {
            for (k, v) in &m.old {
                f(k, v);
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.table.clear();
        self.migration = None;
    }
}

impl<K: Eq, V> Shard<K, V> {
    #[inline]
    pub(crate) fn get(&self, hash: u64, key: &K) -> Option<&V> {
        match self.table.find(hash, |e| e.0 == *key) {
            Some((_, v)) => Some(v),
            None => match &self.migration {
                None => None,
                Some(m) => m.get(hash, key),
            },
        }
    }

    #[inline]
    fn get_mut(&mut self, hash: u64, key: &K) -> Option<&mut V> {
        match self.table.find_mut(hash, |e| e.0 == *key) {
            Some((_, v)) => Some(v),
            None => match &mut self.migration {
                None => None,
                Some(m) => m.get_mut(hash, key),
            },
        }
    }

    /// Inserts or replaces, returning the replaced value.
    #[inline]
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        hasher: impl Fn(&K) -> u64,
        growth: Growth,
    ) -> Option<V> {
        match self.slot(hash, &key, &hasher, growth) {
            Slot::Present(v) => Some(mem::replace(v, value)),
            Slot::Vacant(e) => {
                e.insert((key, value));
                None
            }
        }
    }

    /// Runs `modify` on the value for `key` if present (returning `Some`), or inserts `make()`.
    ///
    /// If `make` panics nothing is inserted; any migration work done before it stays done, which
    /// is harmless.
    #[inline]
    pub(crate) fn upsert<R>(
        &mut self,
        hash: u64,
        key: K,
        make: impl FnOnce() -> V,
        modify: impl FnOnce(&mut V) -> R,
        hasher: impl Fn(&K) -> u64,
        growth: Growth,
    ) -> Option<R> {
        match self.slot(hash, &key, &hasher, growth) {
            Slot::Present(v) => Some(modify(v)),
            Slot::Vacant(e) => {
                e.insert((key, make()));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    #[inline]
    pub(crate) fn remove(
        &mut self,
        hash: u64,
        key: &K,
        hasher: impl Fn(&K) -> u64,
        growth: Growth,
    ) -> Option<V> {
        if self.migration.is_some() {
            return self.remove_migrating(hash, key, hasher, growth);
        }
        match self.table.find_entry(hash, |e| e.0 == *key) {
            Ok(e) => Some(e.remove().0.1),
            Err(_) => None,
        }
    }

    /// Runs `f` on the value for `key`, if present.
    #[inline]
    pub(crate) fn update<R>(
        &mut self,
        hash: u64,
        key: &K,
        f: impl FnOnce(&mut V) -> R,
        hasher: impl Fn(&K) -> u64,
        growth: Growth,
    ) -> Option<R> {
        if self.migration.is_some() {
            self.migrate_step(&hasher, growth);
        }
        self.get_mut(hash, key).map(f)
    }

    /// Moves every entry still in the old table, ending any migration, then shrinks the table to
    /// fit its entries.
    pub(crate) fn shrink_to_fit(&mut self, hasher: impl Fn(&K) -> u64) {
        self.finish_migration(&hasher);
        self.table.shrink_to_fit(|e| hasher(&e.0));
    }

    /// Where `key` is, or where it goes: the one probe of the current table that an insert or an
    /// upsert needs, plus, while a migration runs, a probe of the old table and this write's
    /// share of the migration.
    #[inline]
    fn slot(
        &mut self,
        hash: u64,
        key: &K,
        hasher: &impl Fn(&K) -> u64,
        growth: Growth,
    ) -> Slot<'_, K, V> {
        if self.migration.is_none() && (self.has_room() || !growth.incremental_at(self.table.len()))
        {
            return match self.table.entry(hash, |e| e.0 == *key, |e| hasher(&e.0)) {
                Entry::Occupied(e) => Slot::Present(&mut e.into_mut().1),
                Entry::Vacant(e) => Slot::Vacant(e),
            };
        }
        self.slot_resizing(hash, key, hasher, growth)
    }

    /// [`slot`](Self::slot) when the table is full or a migration runs: out of line, so that
    /// every write does not carry this path's probes inlined.
    #[cold]
    #[inline(never)]
    fn slot_resizing(
        &mut self,
        hash: u64,
        key: &K,
        hasher: &impl Fn(&K) -> u64,
        growth: Growth,
    ) -> Slot<'_, K, V> {
        if self.migration.is_none() {
            // Full: `entry` would grow the table even to replace a value, so look first.
            if self.table.find(hash, |e| e.0 == *key).is_some() {
                return self.present(hash, key);
            }
            self.start_migration();
        } else {
            self.migrate_step(hasher, growth);
        }
        // A migration is in progress now: the key is in the current table, the old one, or
        // neither, in which case it goes in the current one.
        let eq = |e: &(K, V)| e.0 == *key;
        let Shard { table, migration } = self;
        match table.entry(hash, eq, |e| hasher(&e.0)) {
            Entry::Occupied(e) => Slot::Present(&mut e.into_mut().1),
            Entry::Vacant(e) => match migration.as_mut().and_then(|m| m.old.find_mut(hash, eq)) {
                Some((_, v)) => Slot::Present(v),
                None => Slot::Vacant(e),
            },
        }
    }

    #[cold]
    fn present(&mut self, hash: u64, key: &K) -> Slot<'_, K, V> {
        Slot::Present(self.get_mut(hash, key).expect("the key was just found"))
    }

    /// Whether one more entry fits in the current table without hashbrown growing it.
    #[inline]
    fn has_room(&self) -> bool {
        self.table.len() < self.table.capacity()
    }

    #[cold]
    #[inline(never)]
    fn remove_migrating(
        &mut self,
        hash: u64,
        key: &K,
        hasher: impl Fn(&K) -> u64,
        growth: Growth,
    ) -> Option<V> {
        self.migrate_step(&hasher, growth);
        let eq = |e: &(K, V)| e.0 == *key;
        if let Ok(e) = self.table.find_entry(hash, eq) {
            return Some(e.remove().0.1);
        }
        let m = self.migration.as_mut()?;
        let removed = m.old.find_entry(hash, eq).ok().map(|e| e.remove().0.1);
        if m.old.is_empty() {
            self.migration = None;
        }
        removed
    }

    /// Replaces the full current table by an empty one with room for twice as many entries (or as
    /// many, when at most half its buckets' capacity holds entries and the rest is tombstones left
    /// by removals: hashbrown's own rule for rehashing in place), and keeps the full one aside for
    /// later writes to empty.
    ///
    /// The capacity compared is that of the buckets (`c`), not [`HashTable::capacity`], which
    /// counts entries plus the room left and so, once tombstones fill the table, equals the entry
    /// count: sizing the new table from it gives a table barely bigger than the entries it must
    /// take, which fills before the migration ends and then grows in hashbrown's blocking way.
    ///
    /// Why the new table never fills before the migration ends: let the old table hold `n`
    /// entries in `b <= 8c/7 + 1` buckets of capacity `c` (`n <= c`). Each write to the shard
    /// either moves `step` entries or scans `4 * step` buckets, so the migration ends after at
    /// most `n / step + b / (4 * step) + 1` writes, each adding at most one entry. With
    /// `step >= 2` that is at most `n / 2 + c / 7 + 1`, so the current table ends up holding at
    /// most `1.5n + c / 7 + 1` entries: below its capacity of about `2c` when it doubles
    /// (`n <= c`), and below `c` when `n < c / 2` and it keeps the same size.
    #[cold]
    fn start_migration(&mut self) {
        debug_assert!(self.migration.is_none());
        let (n, c) = (self.table.len(), bucket_capacity(self.table.num_buckets()));
        let new_capacity = if n < c / 2 { c } else { c + 1 };
        let old = mem::replace(&mut self.table, HashTable::with_capacity(new_capacity));
        if old.is_empty() {
            return;
        }
        // No entries move in this write: it already pays for the allocation. Later writes start.
        self.migration = Some(Box::new(Migration {
            old,
            next_bucket: 0,
        }));
    }

    /// Does one write's share of a migration in progress.
    #[inline]
    fn migrate_step(&mut self, hasher: &impl Fn(&K) -> u64, growth: Growth) {
        if self.migration.is_some() {
            // A map built with incremental growth keeps it; the blocking case only arises in
            // tests that switch policies, and finishing there is what blocking growth means.
            match growth {
                Growth::Incremental { step, .. } => self.migrate(hasher, step),
                Growth::Blocking => self.finish_migration(hasher),
            }
        }
    }

    /// Moves up to `step` entries, scanning at most `SCAN_PER_ENTRY * step` buckets, and ends
    /// the migration once the old table is empty.
    #[cold]
    #[inline(never)]
    fn migrate(&mut self, hasher: &impl Fn(&K) -> u64, step: usize) {
        let Some(m) = self.migration.as_mut() else {
            return;
        };
        debug_assert!(
            step >= MIN_STEP,
            "the builder raises every step to MIN_STEP"
        );
        // The buckets this step may scan, and the cursor in a local: one bound per bucket.
        let end = m.old.num_buckets().min(
            m.next_bucket
                .saturating_add(SCAN_PER_ENTRY.saturating_mul(step)),
        );
        let mut next = m.next_bucket;
        let mut left = step;
        while next < end {
            let bucket = next;
            next += 1;
            if let Ok(entry) = m.old.get_bucket_entry(bucket) {
                // Hash before removing: if the key's `Hash` panics, the entry stays where it is.
                let hash = hasher(&entry.get().0);
                let (kv, _) = entry.remove();
                self.table.insert_unique(hash, kv, |e| hasher(&e.0));
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        m.next_bucket = next;
        if m.old.is_empty() {
            self.migration = None;
        }
    }

    /// Moves every entry left in the old table.
    fn finish_migration(&mut self, hasher: &impl Fn(&K) -> u64) {
        while self.migration.is_some() {
            self.migrate(hasher, usize::MAX / SCAN_PER_ENTRY);
        }
    }
}

/// How many entries `buckets` buckets hold before hashbrown grows them: 7/8 of them, all but one
/// below 8 buckets (hashbrown's `bucket_mask_to_capacity`).
fn bucket_capacity(buckets: usize) -> usize {
    if buckets < 8 {
        buckets.saturating_sub(1)
    } else {
        buckets / 8 * 7
    }
}

#[cfg(test)]
mod tests;
