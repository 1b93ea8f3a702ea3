//! The conformance suite against the locked map, presized and growing from empty.

use cmap_core::ConcurrentMap;
use cmap_locked::LockedMap;

cmap_core::conformance_suite!(growing, LockedMap::<u64, u64>::with_capacity(0), [batch]);
cmap_core::conformance_suite!(
    presized,
    LockedMap::<u64, u64>::with_capacity(1 << 16),
    [batch]
);

#[test]
fn shrink_to_fit_keeps_contents() {
    let map = LockedMap::<u64, u64>::with_capacity(1 << 14);
    for k in 0..100 {
        map.insert(k, k);
    }
    let before = map.capacity();
    map.shrink_to_fit();
    assert!(
        map.capacity() < before,
        "shrink_to_fit released nothing: {before} -> {}",
        map.capacity()
    );
    assert!(map.capacity() >= 100);
    assert!((0..100).all(|k| map.get(&k) == Some(k)));
}

#[test]
fn string_keys() {
    let map = LockedMap::<String, u64>::new();
    for word in "a b a c b a".split(' ') {
        let _ = map.upsert(word.to_owned(), || 1, |n| *n += 1);
    }
    assert_eq!(map.get(&"a".to_owned()), Some(3));
    assert_eq!(map.len(), 3);
}
