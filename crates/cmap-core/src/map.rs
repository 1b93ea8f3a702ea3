use std::hash::BuildHasher;

/// What [`ConcurrentMap::upsert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "an upsert reports whether it inserted or modified"]
pub enum Upsert<R> {
    /// The key was absent: the value from `make` was inserted and `modify` was not called.
    Inserted,
    /// The key was present: `modify` ran on the value and returned this.
    Modified(R),
}

impl<R> Upsert<R> {
    /// `true` when the upsert inserted a new entry.
    pub fn is_inserted(&self) -> bool {
        matches!(self, Upsert::Inserted)
    }

    /// What `modify` returned, if it ran.
    pub fn modified(self) -> Option<R> {
        match self {
            Upsert::Inserted => None,
            Upsert::Modified(r) => Some(r),
        }
    }
}

/// A map shared by many threads through `&self`.
///
/// # Consistency
///
/// Every single-key operation is atomic with respect to every other operation on the same key:
/// an `update` or `upsert` is one read-modify-write, so `+= 1` from many threads loses nothing.
/// Implementations document what multi-key reads ([`len`](ConcurrentMap::len), iteration) may
/// observe while writers run; at quiescence (no writer running) they are exact.
///
/// # Closures
///
/// Closures may run while the map holds an internal lock, so they must not call back into the same
/// map. A closure that panics unwinds to the caller of the method that ran it; the map stays usable
/// and consistent for every other thread. Whether a value partly modified by a panicking `update`
/// closure is kept depends on the map (copy-on-write maps discard it), and is documented there.
///
/// # Implementing
///
/// Only [`with_capacity_and_hasher`](ConcurrentMap::with_capacity_and_hasher),
/// [`get_with`](ConcurrentMap::get_with), [`insert`](ConcurrentMap::insert),
/// [`remove`](ConcurrentMap::remove), [`update`](ConcurrentMap::update),
/// [`upsert`](ConcurrentMap::upsert) and [`len`](ConcurrentMap::len) are required. Run the
/// conformance suite ([`testing`](crate::testing), feature `testing`) from the map's tests.
pub trait ConcurrentMap: Send + Sync {
    /// The key type.
    type Key;
    /// The value type.
    type Value;
    /// How keys are hashed. Ordered maps that never hash accept and ignore it.
    type Hasher: BuildHasher;

    /// An empty map with room for about `capacity` entries before it grows, hashing with `hasher`.
    ///
    /// A capacity of 0 means no presizing: the map starts small and grows.
    fn with_capacity_and_hasher(capacity: usize, hasher: Self::Hasher) -> Self
    where
        Self: Sized;

    /// An empty map with room for about `capacity` entries and the default hasher.
    fn with_capacity(capacity: usize) -> Self
    where
        Self: Sized,
        Self::Hasher: Default,
    {
        Self::with_capacity_and_hasher(capacity, Self::Hasher::default())
    }

    /// An empty map with the default hasher.
    fn new() -> Self
    where
        Self: Sized,
        Self::Hasher: Default,
    {
        Self::with_capacity(0)
    }

    /// A clone of the value for `key`.
    fn get(&self, key: &Self::Key) -> Option<Self::Value>
    where
        Self::Value: Clone,
    {
        self.get_with(key, Self::Value::clone)
    }

    /// Lends the value for `key` to `f` and returns what `f` returns, or `None` if `key` is absent.
    fn get_with<R>(&self, key: &Self::Key, f: impl FnOnce(&Self::Value) -> R) -> Option<R>;

    /// Inserts `value` for `key`, returning the value it replaced.
    fn insert(&self, key: Self::Key, value: Self::Value) -> Option<Self::Value>;

    /// Removes `key`, returning its value.
    fn remove(&self, key: &Self::Key) -> Option<Self::Value>;

    /// Runs `f` on the value for `key` if it is present, atomically, and returns what `f` returns.
    ///
    /// Does nothing and returns `None` if `key` is absent.
    fn update<R>(&self, key: &Self::Key, f: impl FnOnce(&mut Self::Value) -> R) -> Option<R>;

    /// Inserts `make()` if `key` is absent, or runs `modify` on its value if it is present, as one
    /// atomic step: no other write to `key` lands between the check and the write.
    fn upsert<R>(
        &self,
        key: Self::Key,
        make: impl FnOnce() -> Self::Value,
        modify: impl FnOnce(&mut Self::Value) -> R,
    ) -> Upsert<R>;

    /// Whether `key` is present.
    fn contains_key(&self, key: &Self::Key) -> bool {
        self.get_with(key, |_| ()).is_some()
    }

    /// The number of entries. Exact at quiescence; while writers run, see the map's docs.
    fn len(&self) -> usize;

    /// Whether the map has no entries.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
