//! How the entries spread over the shards.

/// Per-shard figures from [`ShardedMap::shard_stats`](crate::ShardedMap::shard_stats).
///
/// Each shard is read under its own lock in turn, so while writers run the figures of different
/// shards come from different instants.
///
/// ```
/// use cmap_core::ConcurrentMap;
/// use cmap_sharded::ShardedMap;
///
/// let map = ShardedMap::<u64, u64>::with_shards(8);
/// for k in 0..8_000 {
///     map.insert(k << 32, k); // keys with 32 trailing zero bits still spread
/// }
/// let stats = map.shard_stats();
/// assert_eq!(stats.len(), 8_000);
/// assert_eq!(stats.entries.len(), 8);
/// assert!(stats.imbalance() < 2.0, "{stats:?}"); // 8.0 if they all shared one shard
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardStats {
    /// Entries in each shard, by shard index.
    pub entries: Vec<usize>,
    /// How many entries each shard holds before it grows.
    pub capacities: Vec<usize>,
    /// How many shards have an incremental resize in progress.
    pub resizing: usize,
}

impl ShardStats {
    /// The total number of entries.
    pub fn len(&self) -> usize {
        self.entries.iter().sum()
    }

    /// Whether every shard is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Mean entries per shard.
    pub fn mean(&self) -> f64 {
        if self.entries.is_empty() {
            return 0.0;
        }
        self.len() as f64 / self.entries.len() as f64
    }

    /// Entries in the fullest shard.
    pub fn max(&self) -> usize {
        self.entries.iter().copied().max().unwrap_or(0)
    }

    /// Entries in the emptiest shard.
    pub fn min(&self) -> usize {
        self.entries.iter().copied().min().unwrap_or(0)
    }

    /// The fullest shard's entries over the mean: 1.0 when the keys are spread perfectly evenly,
    /// the shard count when they all sit in one shard. An empty map counts as balanced (1.0).
    pub fn imbalance(&self) -> f64 {
        let mean = self.mean();
        if mean == 0.0 {
            1.0
        } else {
            self.max() as f64 / mean
        }
    }
}
