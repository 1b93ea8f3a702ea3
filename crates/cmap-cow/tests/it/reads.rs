//! Reads through each thread's cached version: nested reads of the same map, what a cache keeps
//! alive, and that it goes with the map.

use std::sync::atomic::{AtomicIsize, Ordering};

use cmap_core::ConcurrentMap;
use cmap_cow::CowMap;

use crate::counted::Counted;

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

/// Live values of the test below.
static ALIVE: AtomicIsize = AtomicIsize::new(0);

/// A reader keeps the version it read last until it reads again; it never frees a version, but
/// hands the one it let go of to the map, and the next write frees it. A cache left by a thread
/// that exited is freed with the map.
#[test]
fn readers_keep_one_version_and_leave_freeing_to_writers() {
    use std::sync::mpsc::channel;

    const KEYS: u64 = 1_000;
    let alive = || ALIVE.load(Ordering::Relaxed);
    let map = CowMap::<u64, Counted>::new();
    for k in 0..KEYS {
        map.insert(k, Counted::new(k, &ALIVE));
    }
    assert_eq!(alive(), KEYS as isize);
    let (go, reader_goes) = channel::<()>();
    let (done, reader_done) = channel::<u64>();
    let mut on_the_path = 0;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for () in reader_goes {
                done.send(map.get_with(&0, |v| v.n).unwrap()).unwrap();
            }
        });
        // The reader caches the version holding the first values.
        go.send(()).unwrap();
        assert_eq!(reader_done.recv().unwrap(), 0);
        // Rewrite every value: the writer frees every version it replaces but the cached one,
        // which still holds all the first values.
        for k in 0..KEYS {
            map.insert(k, Counted::new(KEYS + k, &ALIVE));
        }
        assert_eq!(alive(), 2 * KEYS as isize);
        // Reading again moves the reader to the current version. The old one is not freed by
        // the reader: it is handed to the map.
        go.send(()).unwrap();
        assert_eq!(reader_done.recv().unwrap(), KEYS);
        assert_eq!(alive(), 2 * KEYS as isize, "the reader freed a version");
        // The next write frees it. The version this write replaces is the reader's now, so the
        // nodes it copied stay alive with it: the values on one path, a few dozen at most.
        map.insert(0, Counted::new(2 * KEYS, &ALIVE));
        on_the_path = alive() - KEYS as isize;
        assert!(
            (1..=64).contains(&on_the_path),
            "the writer left {on_the_path} values beside the current ones: it did not free the \
             handed-over version"
        );
        drop(go);
    });
    // The reader has exited; its cache is the map's to free.
    assert_eq!(alive() - KEYS as isize, on_the_path);
    drop(map);
    assert_eq!(alive(), 0, "the map freed every cache");
}

/// A thread remembers the version of a few maps at once; reading more maps than that in turn,
/// each read still sees its own map, current.
#[test]
fn reads_of_many_maps_in_turn_see_each_its_own() {
    let maps: Vec<CowMap<u64, u64>> = (0..11).map(|_| CowMap::new()).collect();
    for round in 0..5u64 {
        for (i, map) in maps.iter().enumerate() {
            let i = i as u64;
            assert_eq!(
                map.get(&0),
                round.checked_sub(1).map(|r| i * 100 + r),
                "map {i}, round {round}"
            );
            map.insert(0, i * 100 + round);
            assert_eq!(map.get(&0), Some(i * 100 + round), "map {i}, round {round}");
        }
    }
}

/// Live values of the test below.
static DROPPED_READS: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// The map a [`ReadsOnDrop`] reads and writes when dropped.
    static ON_DROP: std::cell::RefCell<Option<std::sync::Arc<CowMap<u64, u64>>>> =
        const { std::cell::RefCell::new(None) };
    /// The map of [`ReadsOnDrop`] values, which each reads again when dropped.
    static OWN_MAP: std::cell::RefCell<Option<std::sync::Arc<CowMap<u64, ReadsOnDrop>>>> =
        const { std::cell::RefCell::new(None) };
}

/// A value whose `Drop` reads the map it was in and reads and writes another: dropping a
/// version (when a reader lets go of one, or a writer empties its cache) runs user code that
/// may come back to the map.
#[derive(Clone)]
struct ReadsOnDrop;

impl Drop for ReadsOnDrop {
    fn drop(&mut self) {
        OWN_MAP.with(|m| {
            if let Some(map) = m.borrow().as_ref() {
                // `get_with`, not `get`: a clone would be dropped in turn.
                for k in 0..4 {
                    map.get_with(&k, |_| ());
                }
            }
        });
        ON_DROP.with(|m| {
            if let Some(map) = m.borrow().as_ref() {
                let before = map.get(&7).unwrap_or(0);
                map.insert(7, before + 1);
                assert_eq!(map.get(&7), Some(before + 1));
                DROPPED_READS.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}

#[test]
fn dropping_a_version_may_read_and_write_the_map() {
    let counter = std::sync::Arc::new(CowMap::<u64, u64>::new());
    ON_DROP.with(|m| *m.borrow_mut() = Some(std::sync::Arc::clone(&counter)));
    let map = std::sync::Arc::new(CowMap::<u64, ReadsOnDrop>::new());
    OWN_MAP.with(|m| *m.borrow_mut() = Some(std::sync::Arc::clone(&map)));
    for round in 0..50u64 {
        // Read the counter between writes so its cache holds the version each write replaces.
        let seen = counter.get(&7).unwrap_or(0);
        map.insert(round % 4, ReadsOnDrop);
        let _ = map.get_with(&(round % 4), |_| counter.get(&7));
        assert!(counter.get(&7).unwrap_or(0) >= seen);
    }
    OWN_MAP.with(|m| *m.borrow_mut() = None);
    drop(map);
    ON_DROP.with(|m| *m.borrow_mut() = None);
    // Every replaced value was dropped, and each drop counted itself once in the counter map.
    assert_eq!(
        counter.get(&7).unwrap_or(0),
        DROPPED_READS.load(Ordering::Relaxed) as u64
    );
    assert!(DROPPED_READS.load(Ordering::Relaxed) >= 46);
}
