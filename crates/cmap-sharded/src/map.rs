//! The public map: shard selection, the contract, iteration, statistics.

use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::ops::ControlFlow;
use std::sync::OnceLock;

use cmap_core::{ConcurrentMap, DefaultHashBuilder, Upsert};
use crossbeam_utils::CachePadded;
use parking_lot::RwLock;

use crate::raw::{Growth, MIN_STEP, Shard};
use crate::stats::ShardStats;

/// A concurrent hash map split into independently locked shards. See the [crate docs](crate).
pub struct ShardedMap<K, V, S = DefaultHashBuilder> {
    /// A power-of-two number of shards, each on its own cache lines so that two threads working
    /// on neighbouring shards never write to the same line.
    shards: Box<[PaddedShard<K, V>]>,
    /// The shard of a hash is `(hash >> shift) & (shards.len() - 1)`: the bits just below
    /// hashbrown's 7-bit tag.
    shift: u32,
    growth: Growth,
    hasher: S,
}

/// How a shard grows when it is full.
///
/// Whatever the policy, a full shard doubles (or, when removals have left it mostly tombstones,
/// is rebuilt at the same size); what differs is who pays for moving its entries. See the crate
/// docs, `# Resizing`, for what each policy measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resize {
    /// The write that finds the shard full moves every entry to the bigger table, holding the
    /// shard's write lock meanwhile: the cheapest in total, but that write, and every other
    /// operation waiting on the shard, pauses for a time proportional to the shard's size.
    /// This is how `hashbrown`, and so `dashmap`, grow.
    Blocking,
    /// The write that finds the shard full allocates the bigger table; each later write to the
    /// shard moves `step` entries to it (scanning at most `4 * step` buckets of the old table),
    /// until the old table is empty. Lookups and writes meanwhile search both tables.
    ///
    /// `step` is raised to 2 if smaller: below that, the bigger table could fill before the old
    /// one is empty.
    Incremental {
        /// Entries moved per write while a resize is in progress.
        step: usize,
    },
    /// [`Blocking`](Resize::Blocking) while a shard is small, [`Incremental`](Resize::Incremental)
    /// once it is big: a full shard holding fewer than `threshold` entries rehashes at once (a
    /// short pause, and the cheapest growth), a bigger one moves `step` entries per write.
    Hybrid {
        /// Entries moved per write while an incremental resize is in progress.
        step: usize,
        /// The size (entries in the full shard) from which a shard resizes incrementally.
        threshold: usize,
    },
}

impl Resize {
    /// The default [`Incremental`](Resize::Incremental) step. See the crate docs, `# Resizing`,
    /// for how it was chosen.
    pub const DEFAULT_STEP: usize = 64;
}

impl Default for Resize {
    fn default() -> Self {
        Resize::Incremental {
            step: Self::DEFAULT_STEP,
        }
    }
}

/// Configures a [`ShardedMap`]: shard count, capacity, resize policy and hasher.
///
/// ```
/// use cmap_sharded::{Resize, ShardedMap};
///
/// let map = ShardedMap::<u64, u64>::builder()
///     .shards(64)
///     .capacity(100_000)
///     .resize(Resize::Incremental { step: 32 })
///     .build();
/// assert_eq!(map.shard_count(), 64);
/// ```
pub struct Builder<K, V, S = DefaultHashBuilder> {
    shards: Option<usize>,
    capacity: usize,
    resize: Resize,
    hasher: S,
    /// The key and value types are fixed with the builder, so that `ShardedMap::builder()` can
    /// infer them from how the built map is used.
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> ShardedMap<K, V> {
    /// A builder with the defaults: [`default_shard_count`] shards, no presizing, incremental
    /// resizing, [`DefaultHashBuilder`].
    pub fn builder() -> Builder<K, V> {
        Builder::new()
    }

    /// An empty map with `shards` shards (rounded up to a power of two, at least 1, at most
    /// 2<sup>16</sup>) and the default hasher.
    pub fn with_shards(shards: usize) -> Self {
        Self::builder().shards(shards).build()
    }
}

impl<K, V> Builder<K, V> {
    /// A builder with the defaults; the same as [`ShardedMap::builder`].
    pub fn new() -> Self {
        Builder {
            shards: None,
            capacity: 0,
            resize: Resize::default(),
            hasher: DefaultHashBuilder::default(),
            types: PhantomData,
        }
    }
}

impl<K, V> Default for Builder<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, V, S: Clone> Clone for Builder<K, V, S> {
    fn clone(&self) -> Self {
        Builder {
            hasher: self.hasher.clone(),
            types: PhantomData,
            ..*self
        }
    }
}

impl<K, V, S> fmt::Debug for Builder<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("shards", &self.shards)
            .field("capacity", &self.capacity)
            .field("resize", &self.resize)
            .finish_non_exhaustive()
    }
}

impl<K, V, S> Builder<K, V, S> {
    /// The number of shards, rounded up to a power of two, at least 1, at most 2<sup>16</sup>.
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = Some(shards);
        self
    }

    /// Room for about `capacity` entries before any shard grows, spread over the shards.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// How full shards grow.
    pub fn resize(mut self, resize: Resize) -> Self {
        self.resize = resize;
        self
    }

    /// The hasher.
    pub fn hasher<T>(self, hasher: T) -> Builder<K, V, T> {
        Builder {
            shards: self.shards,
            capacity: self.capacity,
            resize: self.resize,
            hasher,
            types: PhantomData,
        }
    }

    /// Builds the map.
    pub fn build(self) -> ShardedMap<K, V, S> {
        let count = self
            .shards
            .unwrap_or_else(default_shard_count)
            .clamp(1, MAX_SHARDS)
            .next_power_of_two();
        let per_shard = capacity_per_shard(self.capacity, count);
        let growth = match self.resize {
            Resize::Blocking => Growth::Blocking,
            Resize::Incremental { step } => Growth::Incremental {
                step: step.max(MIN_STEP),
                from: 0,
            },
            Resize::Hybrid { step, threshold } => Growth::Incremental {
                step: step.max(MIN_STEP),
                from: threshold,
            },
        };
        ShardedMap {
            shards: (0..count)
                .map(|_| CachePadded::new(RwLock::new(Shard::with_capacity(per_shard))))
                .collect(),
            shift: TAG_SHIFT - count.trailing_zeros(),
            growth,
            hasher: self.hasher,
        }
    }
}

/// The number of shards a map gets unless told otherwise: 8 x the available parallelism,
/// rounded up to a power of two (16 on a 2-core machine).
///
/// See the crate docs, `# Choosing the shard count`, for the measurements behind the factor.
pub fn default_shard_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        (cores * SHARDS_PER_CORE)
            .clamp(1, MAX_SHARDS)
            .next_power_of_two()
    })
}

impl<K, V, S> ShardedMap<K, V, S> {
    /// The number of shards (a power of two).
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// How many entries the map holds before some shard must grow: the sum of the shards'
    /// capacities, each read under its own lock in turn.
    pub fn capacity(&self) -> usize {
        self.shards.iter().map(|s| s.read().capacity()).sum()
    }

    /// The map's hasher.
    pub fn hasher(&self) -> &S {
        &self.hasher
    }

    /// Entries, capacity and resize state of every shard, each read under its own lock in turn.
    pub fn shard_stats(&self) -> ShardStats {
        let mut stats = ShardStats {
            entries: Vec::with_capacity(self.shards.len()),
            capacities: Vec::with_capacity(self.shards.len()),
            resizing: 0,
        };
        for shard in self.shards.iter() {
            let shard = shard.read();
            stats.entries.push(shard.len());
            stats.capacities.push(shard.capacity());
            stats.resizing += usize::from(shard.is_migrating());
        }
        stats
    }

    /// Removes every entry. Shards are cleared one at a time, keeping their allocated capacity;
    /// a key inserted into an already cleared shard while this runs stays.
    pub fn clear(&self) {
        for shard in self.shards.iter() {
            shard.write().clear();
        }
    }

    /// Calls `f` on a clone of every entry, one shard at a time, until `f` breaks.
    ///
    /// Each shard's entries are cloned out under its read lock, which is released before `f`
    /// sees any of them: `f` runs with no lock held and may call the map, and no more than one
    /// shard lock is ever held. Each shard is seen as it was at one instant, but different shards
    /// at different instants; see the crate docs, `# Consistency`, for what a concurrent writer
    /// can make a scan see. Buffers one shard's entries at a time.
    pub fn scan(&self, mut f: impl FnMut(&K, &V) -> ControlFlow<()>)
    where
        K: Clone,
        V: Clone,
    {
        let mut buffer = Vec::new();
        for shard in self.shards.iter() {
            {
                let shard = shard.read();
                buffer.reserve(shard.len());
                shard.for_each(|k, v| buffer.push((k.clone(), v.clone())));
            }
            for (k, v) in buffer.drain(..) {
                if f(&k, &v).is_break() {
                    return;
                }
            }
        }
    }

    /// Calls `f` on a clone of every entry, one shard at a time. See [`scan`](Self::scan).
    pub fn for_each(&self, mut f: impl FnMut(&K, &V))
    where
        K: Clone,
        V: Clone,
    {
        self.scan(|k, v| {
            f(k, v);
            ControlFlow::Continue(())
        });
    }
}

impl<K, V, S> ShardedMap<K, V, S>
where
    K: Eq + Hash,
    S: BuildHasher,
{
    /// Finishes any resize in progress and shrinks every shard to fit its entries, one shard at a
    /// time, releasing memory after many removals. Rehashes each shard under its write lock.
    pub fn shrink_to_fit(&self) {
        for shard in self.shards.iter() {
            shard.write().shrink_to_fit(|k| self.hasher.hash_one(k));
        }
    }

    /// The shard a key lives in, and its hash.
    #[inline(always)]
    fn locate(&self, key: &K) -> (&RwLock<Shard<K, V>>, u64) {
        let hash = self.hasher.hash_one(key);
        let index = (hash >> self.shift) as usize & (self.shards.len() - 1);
        (&self.shards[index], hash)
    }
}

impl<K, V, S> ConcurrentMap for ShardedMap<K, V, S>
where
    K: Eq + Hash + Send + Sync,
    V: Send + Sync,
    S: BuildHasher + Send + Sync,
{
    type Key = K;
    type Value = V;
    type Hasher = S;

    /// `default_shard_count()` shards with room for about `capacity` entries in all, resizing
    /// incrementally.
    fn with_capacity_and_hasher(capacity: usize, hasher: S) -> Self {
        Builder::new().capacity(capacity).hasher(hasher).build()
    }

    #[inline(always)]
    fn get_with<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        let (shard, hash) = self.locate(key);
        shard.read().get(hash, key).map(f)
    }

    #[inline(always)]
    fn insert(&self, key: K, value: V) -> Option<V> {
        let (shard, hash) = self.locate(&key);
        let hasher = |k: &K| self.hasher.hash_one(k);
        shard.write().insert(hash, key, value, hasher, self.growth)
    }

    #[inline(always)]
    fn remove(&self, key: &K) -> Option<V> {
        let (shard, hash) = self.locate(key);
        let hasher = |k: &K| self.hasher.hash_one(k);
        shard.write().remove(hash, key, hasher, self.growth)
    }

    #[inline(always)]
    fn update<R>(&self, key: &K, f: impl FnOnce(&mut V) -> R) -> Option<R> {
        let (shard, hash) = self.locate(key);
        let hasher = |k: &K| self.hasher.hash_one(k);
        shard.write().update(hash, key, f, hasher, self.growth)
    }

    #[inline(always)]
    fn upsert<R>(
        &self,
        key: K,
        make: impl FnOnce() -> V,
        modify: impl FnOnce(&mut V) -> R,
    ) -> Upsert<R> {
        let (shard, hash) = self.locate(&key);
        let hasher = |k: &K| self.hasher.hash_one(k);
        match shard
            .write()
            .upsert(hash, key, make, modify, hasher, self.growth)
        {
            Some(r) => Upsert::Modified(r),
            None => Upsert::Inserted,
        }
    }

    #[inline]
    fn contains_key(&self, key: &K) -> bool {
        let (shard, hash) = self.locate(key);
        shard.read().get(hash, key).is_some()
    }

    /// The sum of the shards' lengths, each read under its own lock in turn. See the crate docs,
    /// `# Consistency`.
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len()).sum()
    }
}

impl<K, V, S: Default> Default for ShardedMap<K, V, S> {
    fn default() -> Self {
        Builder::new().hasher(S::default()).build()
    }
}

impl<K, V, S> fmt::Debug for ShardedMap<K, V, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len: usize = self.shards.iter().map(|s| s.read().len()).sum();
        f.debug_struct("ShardedMap")
            .field("shards", &self.shards.len())
            .field("len", &len)
            .field("growth", &self.growth)
            .finish_non_exhaustive()
    }
}

/// A shard with its lock, alone on its cache lines.
type PaddedShard<K, V> = CachePadded<RwLock<Shard<K, V>>>;

/// hashbrown takes its 7-bit tag from the top bits of the 64-bit hash (on 32-bit targets from the
/// top of the low 32 bits) and bucket indices from the low bits; the shard bits sit just below the
/// tag, so neither the tag nor, for tables below 2<sup>41</sup> buckets, the bucket index is
/// constant within a shard.
const TAG_SHIFT: u32 = 64 - 7;

/// Enough for any machine this crate will meet, and it keeps the shard bits clear of the bucket
/// bits.
const MAX_SHARDS: usize = 1 << 16;

/// See [`default_shard_count`].
const SHARDS_PER_CORE: usize = 8;

/// Each shard's share of a capacity hint. Hashes do not spread keys exactly evenly, so every
/// shard gets three standard deviations of headroom over the mean (the count in one shard is
/// binomial, standard deviation about `sqrt(mean)`): a map presized for `n` entries then almost
/// never resizes while filling to `n`.
fn capacity_per_shard(capacity: usize, shards: usize) -> usize {
    if capacity == 0 || shards == 1 {
        return capacity;
    }
    let mean = capacity.div_ceil(shards);
    mean + 3 * mean.isqrt()
}
