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
