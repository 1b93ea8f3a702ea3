//! Property tests of the trie's rare shapes through the public API: keys that share whole hashes
//! (collision lists) or long hash prefixes (deep paths), driven by random operations and batches,
//! compared with a `std` model after every step, snapshots and iterators included.

use std::collections::HashMap;
use std::hash::BuildHasher;

use cmap_core::{Batch, ConcurrentMap, Snapshot, Snapshots};
use cmap_cow::CowMap;
use proptest::prelude::*;

use crate::hashers::{Clumped, HighBits};

#[derive(Debug, Clone)]
enum Op {
    Insert(u64, u64),
    Remove(u64),
    Update(u64),
    /// A batch of inserts (`Some`) and removes (`None`).
    Batch(Vec<(u64, Option<u64>)>),
    Snapshot,
}

fn op(keys: u64) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..keys, any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0..keys).prop_map(Op::Remove),
        1 => (0..keys).prop_map(Op::Update),
        1 => proptest::collection::vec((0..keys, proptest::option::of(any::<u64>())), 0..12)
            .prop_map(Op::Batch),
        1 => Just(Op::Snapshot),
    ]
}

/// Applies `ops` to a map and a model, comparing after every step; every snapshot taken is
/// compared again at the end with the model as it was when it was taken.
fn run<S>(hasher: S, ops: &[Op]) -> Result<(), TestCaseError>
where
    S: BuildHasher + Send + Sync + 'static,
{
    let map = CowMap::<u64, u64, S>::with_capacity_and_hasher(0, hasher);
    let mut model = HashMap::new();
    let mut taken = Vec::new();
    for op in ops {
        match op {
            Op::Insert(k, v) => prop_assert_eq!(map.insert(*k, *v), model.insert(*k, *v)),
            Op::Remove(k) => prop_assert_eq!(map.remove(k), model.remove(k)),
            Op::Update(k) => {
                let expected = model.get_mut(k).map(|v| {
                    *v = v.wrapping_add(1);
                    *v
                });
                prop_assert_eq!(
                    map.update(k, |v| {
                        *v = v.wrapping_add(1);
                        *v
                    }),
                    expected
                );
            }
            Op::Batch(writes) => map.batch(|batch| {
                for (k, write) in writes {
                    let old = match write {
                        Some(v) => batch.insert(*k, *v),
                        None => batch.remove(k),
                    };
                    assert_eq!(old, model.get(k).copied(), "a batch write's old value");
                    match write {
                        Some(v) => model.insert(*k, *v),
                        None => model.remove(k),
                    };
                    assert_eq!(batch.get(k), *write, "a batch reads its own write");
                }
            }),
            Op::Snapshot => taken.push((map.snapshot(), model.clone())),
        }
        prop_assert_eq!(map.len(), model.len());
    }
    taken.push((map.snapshot(), model.clone()));
    for (snapshot, then) in &taken {
        let mut seen: Vec<(u64, u64)> = snapshot.iter().map(|(k, v)| (*k, *v)).collect();
        prop_assert_eq!(snapshot.iter().len(), then.len());
        let mut scanned = Vec::new();
        snapshot.for_each(|k, v| scanned.push((*k, *v)));
        prop_assert_eq!(&scanned, &seen, "iter and scan agree on order");
        seen.sort_unstable();
        let mut expected: Vec<(u64, u64)> = then.iter().map(|(k, v)| (*k, *v)).collect();
        expected.sort_unstable();
        prop_assert_eq!(seen, expected);
        for k in 0..64 {
            prop_assert_eq!(snapshot.get(&k), then.get(&k).copied());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn whole_hash_collisions(ops in proptest::collection::vec(op(48), 1..200)) {
        run(Clumped { group: 6 }, &ops)?;
    }

    #[test]
    fn everything_collides(ops in proptest::collection::vec(op(24), 1..120)) {
        run(Clumped { group: u64::MAX }, &ops)?;
    }

    #[test]
    fn deep_paths(ops in proptest::collection::vec(op(64), 1..200)) {
        run(HighBits, &ops)?;
    }
}

#[test]
fn many_keys_in_one_collision_list() {
    let map = CowMap::<u64, u64, _>::with_capacity_and_hasher(0, Clumped { group: u64::MAX });
    for k in 0..500 {
        assert_eq!(map.insert(k, k), None);
    }
    let before = map.snapshot();
    for k in (0..500).step_by(2) {
        assert_eq!(map.remove(&k), Some(k));
    }
    assert_eq!((before.len(), map.len()), (500, 250));
    assert!((0..500).all(|k| map.get(&k) == (k % 2 == 1).then_some(k)));
    assert!((0..500).all(|k| before.get(&k) == Some(k)));
}
