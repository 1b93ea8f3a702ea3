//! The promises made about types: what is `Send`, `Sync` and `'static`, and what outlives what.

use std::sync::Arc;

use cmap_core::{ConcurrentMap, Snapshot, Snapshots};
use cmap_cow::{CowMap, CowSnapshot, FullCopyMap, FullCopySnapshot, Iter};

fn send_sync_static<T: Send + Sync + 'static>() {}

#[test]
fn maps_and_snapshots_are_send_sync_and_static() {
    send_sync_static::<CowMap<String, Vec<u8>>>();
    send_sync_static::<CowSnapshot<String, Vec<u8>>>();
    send_sync_static::<FullCopyMap<String, Vec<u8>>>();
    send_sync_static::<FullCopySnapshot<String, Vec<u8>>>();
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Iter<'_, String, Vec<u8>>>();
}

#[test]
fn a_snapshot_outlives_its_map_and_moves_to_another_thread() {
    let map = CowMap::<String, Arc<str>>::new();
    map.insert("a".to_owned(), Arc::from("one"));
    let snapshot = map.snapshot();
    map.insert("b".to_owned(), Arc::from("two"));
    drop(map);
    let seen = std::thread::spawn(move || {
        let mut seen: Vec<String> = snapshot.iter().map(|(k, v)| format!("{k}={v}")).collect();
        seen.sort();
        (seen, snapshot.len())
    })
    .join()
    .unwrap();
    assert_eq!(seen, (vec!["a=one".to_owned()], 1));
}

#[test]
fn a_snapshot_clone_is_the_same_version() {
    let map = CowMap::<u64, u64>::new();
    map.insert(1, 1);
    let a = map.snapshot();
    let b = a.clone();
    map.insert(2, 2);
    assert_eq!((a.len(), b.len(), map.len()), (1, 1, 2));
    assert_eq!(format!("{b:?}"), "{1: 1}");
}

#[test]
fn string_keys_count_words() {
    let map = CowMap::<String, u64>::new();
    for word in "a b a c b a".split(' ') {
        let _ = map.upsert(word.to_owned(), || 1, |n| *n += 1);
    }
    assert_eq!(map.get(&"a".to_owned()), Some(3));
    assert_eq!(map.len(), 3);
}

#[test]
fn from_iterator_publishes_everything() {
    let map: CowMap<u64, u64> = (0..10_000).map(|k| (k, k + 1)).collect();
    assert_eq!(map.len(), 10_000);
    assert!((0..10_000).all(|k| map.get(&k) == Some(k + 1)));
    let snapshot = map.snapshot();
    assert_eq!(snapshot.iter().count(), 10_000);
    assert_eq!(
        snapshot.iter().map(|(_, v)| v).sum::<u64>(),
        (1..=10_000).sum()
    );
}
