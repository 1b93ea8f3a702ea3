//! Reads through each thread's cached version: nested reads of the same map, what a cache keeps
//! alive, and that it goes with the map.

use std::sync::atomic::{AtomicIsize, Ordering};

use cmap_core::ConcurrentMap;
use cmap_cow::CowMap;

/// A read whose closure reads the same map again, and writes to it, sees each write it made.
#[test]
fn a_read_may_read_and_write_the_same_map_from_its_closure() {
    let map = CowMap::<u64, u64>::new();
    map.insert(1, 10);
    map.insert(2, 20);
    let seen = map.get_with(&1, |one| {
        // The outer read holds this thread's cache: the inner ones take the plain path.
        let two = map.get(&2);
        map.insert(2, 21);
        let nested = map
            .get_with(&2, |two| map.get(&1).map(|one| one + two))
            .flatten();
        (*one, two, nested, map.get(&2))
    });
    assert_eq!(seen, Some((10, Some(20), Some(31), Some(21))));
    // The cache is usable again afterwards and sees the write made inside the closure.
    assert_eq!(map.get(&2), Some(21));
    map.insert(2, 22);
    assert_eq!(map.get(&2), Some(22));
}

/// Values alive, counted through `Clone` and `Drop`.
static ALIVE: AtomicIsize = AtomicIsize::new(0);

#[derive(Debug, PartialEq, Eq)]
struct Counted(u64);

impl Counted {
    fn new(n: u64) -> Self {
        ALIVE.fetch_add(1, Ordering::Relaxed);
        Counted(n)
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted::new(self.0)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        ALIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A thread that read the map keeps the version it read until it reads again, even after it
/// exits; that version is all it keeps, and dropping the map frees it.
#[test]
fn a_reader_keeps_only_the_version_it_last_read_and_the_map_frees_it() {
    const KEYS: u64 = 1_000;
    let map = CowMap::<u64, Counted>::new();
    for k in 0..KEYS {
        map.insert(k, Counted::new(k));
    }
    assert_eq!(ALIVE.load(Ordering::Relaxed), KEYS as isize);
    // The reader caches the version with the first values, then exits.
    std::thread::scope(|scope| {
        scope.spawn(|| assert_eq!(map.get_with(&0, |v| v.0), Some(0)));
    });
    // Rewrite every value twice. The versions between are freed by the writer; the cached one is
    // not, and still holds every first value.
    for round in 1..=2 {
        for k in 0..KEYS {
            map.insert(k, Counted::new(round * KEYS + k));
        }
    }
    assert_eq!(ALIVE.load(Ordering::Relaxed), 2 * KEYS as isize);
    // A reader that reads again moves its cache to the current version and frees the old one.
    // A new thread may reuse the exited one's cache slot or get a new one: either way, only the
    // current values are left once the old slot is also dropped with the map.
    std::thread::scope(|scope| {
        scope.spawn(|| assert_eq!(map.get_with(&0, |v| v.0), Some(2 * KEYS)));
    });
    assert!(ALIVE.load(Ordering::Relaxed) <= 2 * KEYS as isize);
    assert_eq!(map.get_with(&1, |v| v.0), Some(2 * KEYS + 1));
    drop(map);
    assert_eq!(
        ALIVE.load(Ordering::Relaxed),
        0,
        "the map freed every cache"
    );
}
