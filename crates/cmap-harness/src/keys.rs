//! Key and value types, and how a key id becomes a key.
//!
//! Streams hold key *ids*; the timed loop turns an id into a key without allocating:
//!
//! - `u64` keys are the id itself.
//! - `String` keys are built once per workload into a table indexed by id (decimal, zero-padded to
//!   the chosen length, so key order is id order for ordered maps). Lookups borrow from the table.
//!   Operations that must hand the map an owned key (insert, upsert, and `update` for maps whose
//!   API takes an owned key) take it from a per-thread pool of clones built before timing, so the
//!   allocation of the key is not timed, exactly as a service that receives keys from the network
//!   has them already allocated.

use std::fmt::Debug;
use std::hash::Hash;

use cmap_results::KeyType;

/// A key type the harness can drive.
pub trait BenchKey: Clone + Eq + Ord + Hash + Debug + Send + Sync + 'static {
    /// Whatever is needed to turn an id into a key, built once per workload.
    type Table: Send + Sync;
    /// Whether owned keys must come from pre-built pools (they allocate).
    const POOLED: bool;

    /// The table for a key space.
    fn table(key_space: u64, key_type: KeyType) -> Self::Table;
    /// Lends the key for `id` to `f`.
    fn with<R>(table: &Self::Table, id: u64, f: impl FnOnce(&Self) -> R) -> R;
    /// An owned key for `id` (allocates for `String`).
    fn owned(table: &Self::Table, id: u64) -> Self;
}

impl BenchKey for u64 {
    type Table = ();
    const POOLED: bool = false;

    fn table(_: u64, _: KeyType) {}

    #[inline(always)]
    fn with<R>(_: &(), id: u64, f: impl FnOnce(&u64) -> R) -> R {
        f(&id)
    }

    #[inline(always)]
    fn owned(_: &(), id: u64) -> u64 {
        id
    }
}

impl BenchKey for String {
    type Table = Vec<String>;
    const POOLED: bool = true;

    fn table(key_space: u64, key_type: KeyType) -> Vec<String> {
        let len = match key_type {
            KeyType::String { len } => len,
            KeyType::U64 => 20,
        };
        (0..key_space).map(|id| string_key(id, len)).collect()
    }

    #[inline(always)]
    fn with<R>(table: &Vec<String>, id: u64, f: impl FnOnce(&String) -> R) -> R {
        f(&table[id as usize])
    }

    fn owned(table: &Vec<String>, id: u64) -> String {
        table[id as usize].clone()
    }
}

/// The `String` key for `id`: its decimal digits, zero-padded on the left to `len` bytes.
pub fn string_key(id: u64, len: usize) -> String {
    format!("{id:0>len$}")
}

/// A value type the harness can drive: a fixed-size, `Copy` payload, so inserting a value copies
/// it into the map (as a user's `insert` would) and nothing is allocated for it.
pub trait BenchValue: Copy + Eq + Debug + Send + Sync + 'static {
    /// A value whose first word is `x`.
    fn new(x: u64) -> Self;
    /// The read-modify-write of `update` and `upsert`: adds one to the first word.
    fn bump(&mut self);
    /// Reads the first word, so a `get` cannot be optimized away.
    fn probe(&self) -> u64;
}

/// A value of `8 * W` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(transparent)]
pub struct Payload<const W: usize>(pub [u64; W]);

impl<const W: usize> BenchValue for Payload<W> {
    #[inline(always)]
    fn new(x: u64) -> Self {
        let mut words = [0u64; W];
        words[0] = x;
        Self(words)
    }

    #[inline(always)]
    fn bump(&mut self) {
        self.0[0] = self.0[0].wrapping_add(1);
    }

    #[inline(always)]
    fn probe(&self) -> u64 {
        self.0[0]
    }
}

/// Owned keys for one thread's stream, taken in order by the operations that need them.
#[derive(Debug)]
pub struct KeyPool<K> {
    keys: std::vec::IntoIter<K>,
}

impl<K: BenchKey> KeyPool<K> {
    /// A pool with an owned key for every id in `ids`, or an empty one when keys are not pooled.
    pub fn new(table: &K::Table, ids: impl Iterator<Item = u64>) -> Self {
        let keys: Vec<K> = if K::POOLED {
            ids.map(|id| K::owned(table, id)).collect()
        } else {
            Vec::new()
        };
        Self {
            keys: keys.into_iter(),
        }
    }

    /// The owned key for `id`: from the pool when keys are pooled. A pool runs dry only when a
    /// duration-bound run cycles through its stream again; later keys are then cloned in the loop.
    #[inline(always)]
    pub fn take(&mut self, table: &K::Table, id: u64) -> K {
        if K::POOLED {
            match self.keys.next() {
                Some(key) => key,
                None => K::owned(table, id),
            }
        } else {
            K::owned(table, id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_keys_sort_like_their_ids() {
        let table = String::table(1000, KeyType::String { len: 8 });
        assert_eq!(table[42], "00000042");
        assert!(table.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn pool_hands_out_keys_in_order_then_clones() {
        let table = String::table(10, KeyType::String { len: 3 });
        let mut pool = KeyPool::<String>::new(&table, [3, 1].into_iter());
        assert_eq!(pool.take(&table, 3), "003");
        assert_eq!(pool.take(&table, 1), "001");
        assert_eq!(pool.take(&table, 7), "007");
    }

    #[test]
    fn payload_bumps_the_first_word() {
        let mut v = Payload::<8>::new(5);
        v.bump();
        assert_eq!(v.probe(), 6);
        assert_eq!(std::mem::size_of::<Payload<8>>(), 64);
    }
}
