//! Model-based tests: random single-threaded operation sequences compared step by step with the
//! standard library's maps.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::ops::{Bound, ControlFlow};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::reference::valid_range;
use super::{scaled, with_deadline};
use crate::{ConcurrentMap, Ordered, OrderedSnapshot, Snapshot, Snapshots, Upsert};

/// Keys mostly from a small range, so operations keep meeting the same keys, with a few from the
/// whole `u64` range.
const HOT_KEYS: u64 = 32;

#[derive(Debug, Clone)]
enum Op {
    Get(u64),
    GetWith(u64),
    Insert(u64, u64),
    Remove(u64),
    Update(u64, u64),
    Upsert(u64, u64, u64),
    ContainsKey(u64),
    Len,
    IsEmpty,
    Range(Bound<u64>, Bound<u64>, usize),
    TakeSnapshot,
    CheckSnapshot(usize),
}

fn key() -> impl Strategy<Value = u64> {
    prop_oneof![9 => 0..HOT_KEYS, 1 => any::<u64>()]
}

fn bound() -> impl Strategy<Value = Bound<u64>> {
    prop_oneof![
        (0..HOT_KEYS + 2).prop_map(Bound::Included),
        (0..HOT_KEYS + 2).prop_map(Bound::Excluded),
        Just(Bound::Unbounded),
    ]
}

fn point_op() -> BoxedStrategy<Op> {
    prop_oneof![
        3 => key().prop_map(Op::Get),
        1 => key().prop_map(Op::GetWith),
        4 => (key(), any::<u64>()).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => key().prop_map(Op::Remove),
        2 => (key(), any::<u64>()).prop_map(|(k, d)| Op::Update(k, d)),
        3 => (key(), any::<u64>(), any::<u64>()).prop_map(|(k, v, d)| Op::Upsert(k, v, d)),
        1 => key().prop_map(Op::ContainsKey),
        1 => Just(Op::Len),
        1 => Just(Op::IsEmpty),
    ]
    .boxed()
}

fn ordered_op() -> BoxedStrategy<Op> {
    prop_oneof![
        8 => point_op(),
        2 => (bound(), bound(), 0usize..40).prop_map(|(lo, hi, n)| Op::Range(lo, hi, n)),
    ]
    .boxed()
}

fn snapshot_op() -> BoxedStrategy<Op> {
    prop_oneof![
        16 => point_op(),
        1 => Just(Op::TakeSnapshot),
        2 => (0usize..8).prop_map(Op::CheckSnapshot),
    ]
    .boxed()
}

/// What the tests need from a standard-library oracle.
trait Model: Default + Debug {
    fn get(&self, key: &u64) -> Option<&u64>;
    fn get_mut(&mut self, key: &u64) -> Option<&mut u64>;
    fn insert(&mut self, key: u64, value: u64) -> Option<u64>;
    fn remove(&mut self, key: &u64) -> Option<u64>;
    fn len(&self) -> usize;
    fn entries(&self) -> BTreeMap<u64, u64>;
}

macro_rules! impl_model {
    ($ty:ty) => {
        impl Model for $ty {
            fn get(&self, key: &u64) -> Option<&u64> {
                <$ty>::get(self, key)
            }
            fn get_mut(&mut self, key: &u64) -> Option<&mut u64> {
                <$ty>::get_mut(self, key)
            }
            fn insert(&mut self, key: u64, value: u64) -> Option<u64> {
                <$ty>::insert(self, key, value)
            }
            fn remove(&mut self, key: &u64) -> Option<u64> {
                <$ty>::remove(self, key)
            }
            fn len(&self) -> usize {
                <$ty>::len(self)
            }
            fn entries(&self) -> BTreeMap<u64, u64> {
                self.iter().map(|(k, v)| (*k, *v)).collect()
            }
        }
    };
}
impl_model!(HashMap<u64, u64>);
impl_model!(BTreeMap<u64, u64>);

fn ensure_eq<T: PartialEq + Debug>(what: &str, map: T, model: T) -> Result<(), String> {
    if map == model {
        Ok(())
    } else {
        Err(format!("{what}: map gave {map:?}, model gave {model:?}"))
    }
}

/// Applies a point operation to both and compares what they return.
fn apply_point<M, O>(map: &M, model: &mut O, op: &Op) -> Result<(), String>
where
    M: ConcurrentMap<Key = u64, Value = u64>,
    O: Model,
{
    match *op {
        Op::Get(k) => ensure_eq("get", map.get(&k), model.get(&k).copied()),
        Op::GetWith(k) => ensure_eq(
            "get_with",
            map.get_with(&k, |v| v.wrapping_mul(3)),
            model.get(&k).map(|v| v.wrapping_mul(3)),
        ),
        Op::Insert(k, v) => ensure_eq("insert", map.insert(k, v), model.insert(k, v)),
        Op::Remove(k) => ensure_eq("remove", map.remove(&k), model.remove(&k)),
        Op::Update(k, d) => {
            let expected = model.get_mut(&k).map(|v| {
                let old = *v;
                *v = v.wrapping_add(d);
                old
            });
            let got = map.update(&k, |v| {
                let old = *v;
                *v = v.wrapping_add(d);
                old
            });
            ensure_eq("update", got, expected)
        }
        Op::Upsert(k, init, d) => {
            let expected = match model.get_mut(&k) {
                Some(v) => {
                    let old = *v;
                    *v = v.wrapping_add(d);
                    Upsert::Modified(old)
                }
                None => {
                    model.insert(k, init);
                    Upsert::Inserted
                }
            };
            let got = map.upsert(
                k,
                || init,
                |v| {
                    let old = *v;
                    *v = v.wrapping_add(d);
                    old
                },
            );
            ensure_eq("upsert", got, expected)
        }
        Op::ContainsKey(k) => ensure_eq(
            "contains_key",
            map.contains_key(&k),
            model.get(&k).is_some(),
        ),
        Op::Len => ensure_eq("len", map.len(), model.len()),
        Op::IsEmpty => ensure_eq("is_empty", map.is_empty(), model.len() == 0),
        Op::Range(..) | Op::TakeSnapshot | Op::CheckSnapshot(_) => {
            unreachable!("{op:?} is not a point operation")
        }
    }
}

/// Compares every entry of the model, and the hot keys the model lacks, with the map.
fn compare_contents<M, O>(map: &M, model: &O) -> Result<(), String>
where
    M: ConcurrentMap<Key = u64, Value = u64>,
    O: Model,
{
    ensure_eq("len at the end", map.len(), model.len())?;
    for (k, v) in model.entries() {
        ensure_eq(&format!("get({k}) at the end"), map.get(&k), Some(v))?;
    }
    for k in 0..HOT_KEYS {
        ensure_eq(
            &format!("contains_key({k}) at the end"),
            map.contains_key(&k),
            model.get(&k).is_some(),
        )?;
    }
    Ok(())
}

fn run_sequences<F>(name: &str, ops: BoxedStrategy<Op>, test: F)
where
    F: Fn(&[Op]) -> Result<(), String>,
{
    let config = Config {
        cases: scaled(256) as u32,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&vec(ops, 1..300), |ops| {
        test(&ops).map_err(TestCaseError::fail)
    });
    if let Err(error) = result {
        panic!("{name}: the map disagrees with the model: {error}");
    }
}

fn run_steps<M, O>(map: &M, model: &mut O, ops: &[Op]) -> Result<(), String>
where
    M: ConcurrentMap<Key = u64, Value = u64>,
    O: Model,
{
    for (step, op) in ops.iter().enumerate() {
        apply_point(map, model, op).map_err(|e| format!("step {step} ({op:?}): {e}"))?;
    }
    compare_contents(map, model)
}

/// Random sequences of every operation on one thread, compared step by step with a `HashMap`.
pub fn check_model<M, F>(factory: F)
where
    M: ConcurrentMap<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_model", move || {
        run_sequences("check_model", point_op(), |ops| {
            run_steps(&factory(), &mut HashMap::new(), ops)
        });
    });
}

fn collect_range(
    scan: impl FnOnce(&mut dyn FnMut(&u64, &u64) -> ControlFlow<()>),
    limit: usize,
) -> Vec<(u64, u64)> {
    let mut seen = Vec::new();
    scan(&mut |k, v| {
        if seen.len() == limit {
            return ControlFlow::Break(());
        }
        seen.push((*k, *v));
        ControlFlow::Continue(())
    });
    seen
}

fn model_range(
    model: &BTreeMap<u64, u64>,
    lo: Bound<u64>,
    hi: Bound<u64>,
    limit: usize,
) -> Vec<(u64, u64)> {
    if !valid_range(&(lo, hi)) {
        return Vec::new();
    }
    model
        .range((lo, hi))
        .take(limit)
        .map(|(k, v)| (*k, *v))
        .collect()
}

/// The model test for ordered maps: point operations and range scans against a `BTreeMap`.
pub fn check_model_ordered<M, F>(factory: F)
where
    M: Ordered<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_model_ordered", move || {
        run_sequences("check_model_ordered", ordered_op(), |ops| {
            let map = factory();
            let mut model = BTreeMap::new();
            for (step, op) in ops.iter().enumerate() {
                let outcome = match *op {
                    Op::Range(lo, hi, limit) => ensure_eq(
                        "range",
                        collect_range(|f| map.range_with((lo, hi), f), limit),
                        model_range(&model, lo, hi, limit),
                    ),
                    _ => apply_point(&map, &mut model, op),
                };
                outcome.map_err(|e| format!("step {step} ({op:?}): {e}"))?;
            }
            ensure_eq(
                "full scan at the end",
                collect_range(|f| map.range_with(.., f), usize::MAX),
                model_range(&model, Bound::Unbounded, Bound::Unbounded, usize::MAX),
            )?;
            compare_contents(&map, &model)
        });
    });
}

/// Compares a snapshot with the model as it was when the snapshot was taken.
fn compare_snapshot<S>(snapshot: &S, model: &BTreeMap<u64, u64>) -> Result<(), String>
where
    S: Snapshot<Key = u64, Value = u64>,
{
    ensure_eq("snapshot len", snapshot.len(), model.len())?;
    ensure_eq("snapshot is_empty", snapshot.is_empty(), model.is_empty())?;
    let mut scanned = Vec::new();
    snapshot.for_each(|k, v| scanned.push((*k, *v)));
    scanned.sort_unstable();
    ensure_eq(
        "snapshot entries",
        scanned,
        model.iter().map(|(k, v)| (*k, *v)).collect(),
    )?;
    for k in 0..HOT_KEYS {
        ensure_eq(
            &format!("snapshot get({k})"),
            snapshot.get(&k),
            model.get(&k).copied(),
        )?;
    }
    Ok(())
}

fn snapshot_steps<M, G>(map: &M, ops: &[Op], mut extra: G) -> Result<(), String>
where
    M: Snapshots<Key = u64, Value = u64>,
    G: FnMut(&M::Snapshot, &BTreeMap<u64, u64>) -> Result<(), String>,
{
    let mut model = BTreeMap::new();
    let mut taken: Vec<(M::Snapshot, BTreeMap<u64, u64>)> = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        let outcome = match *op {
            Op::TakeSnapshot => {
                taken.push((map.snapshot(), model.clone()));
                Ok(())
            }
            Op::CheckSnapshot(i) if !taken.is_empty() => {
                let (snapshot, then) = &taken[i % taken.len()];
                compare_snapshot(snapshot, then).and_then(|()| extra(snapshot, then))
            }
            Op::CheckSnapshot(_) => Ok(()),
            _ => apply_point(map, &mut model, op),
        };
        outcome.map_err(|e| format!("step {step} ({op:?}): {e}"))?;
    }
    for (i, (snapshot, then)) in taken.iter().enumerate() {
        compare_snapshot(snapshot, then)
            .and_then(|()| extra(snapshot, then))
            .map_err(|e| format!("snapshot #{i}, checked at the end: {e}"))?;
    }
    compare_snapshot(&map.snapshot(), &model).map_err(|e| format!("final snapshot: {e}"))?;
    compare_contents(map, &model)
}

/// Random sequences with snapshots taken at random points: every snapshot must equal the model
/// as it was at that moment, whenever it is read, including after all later writes.
pub fn check_snapshot_model<M, F>(factory: F)
where
    M: Snapshots<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_snapshot_model", move || {
        run_sequences("check_snapshot_model", snapshot_op(), |ops| {
            snapshot_steps(&factory(), ops, |_, _| Ok(()))
        });
    });
}

/// The snapshot model test for ordered snapshots: scans come in key order, and range scans of a
/// snapshot match the model's as it was when the snapshot was taken.
pub fn check_ordered_snapshot_model<M, F>(factory: F)
where
    M: Snapshots<Key = u64, Value = u64> + 'static,
    M::Snapshot: OrderedSnapshot,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_ordered_snapshot_model", move || {
        let rng = std::cell::RefCell::new(super::XorShift::new(7));
        run_sequences("check_ordered_snapshot_model", snapshot_op(), |ops| {
            snapshot_steps(&factory(), ops, |snapshot, then| {
                let mut in_order = Vec::new();
                snapshot.for_each(|k, v| in_order.push((*k, *v)));
                let all = model_range(then, Bound::Unbounded, Bound::Unbounded, usize::MAX);
                ensure_eq("snapshot scan order", in_order, all)?;
                let mut rng = rng.borrow_mut();
                let lo = rng.below(HOT_KEYS + 2);
                let hi = lo + rng.below(HOT_KEYS);
                let limit = rng.below(40) as usize;
                for (lo, hi) in [
                    (Bound::Included(lo), Bound::Excluded(hi)),
                    (Bound::Excluded(lo), Bound::Included(hi)),
                    (Bound::Unbounded, Bound::Included(hi)),
                    (Bound::Included(lo), Bound::Unbounded),
                ] {
                    ensure_eq(
                        &format!("snapshot range {lo:?}..{hi:?} limit {limit}"),
                        collect_range(|f| snapshot.range_with((lo, hi), f), limit),
                        model_range(then, lo, hi, limit),
                    )?;
                }
                Ok(())
            })
        });
    });
}

/// One write or read inside a batch.
#[derive(Debug, Clone)]
enum BatchOp {
    Get(u64),
    Insert(u64, u64),
    Remove(u64),
    /// Through [`BatchWriter::insert_all`](crate::BatchWriter::insert_all), keys repeating.
    InsertAll(Vec<(u64, u64)>),
}

fn batch_op() -> BoxedStrategy<BatchOp> {
    prop_oneof![
        2 => key().prop_map(BatchOp::Get),
        4 => (key(), any::<u64>()).prop_map(|(k, v)| BatchOp::Insert(k, v)),
        2 => key().prop_map(BatchOp::Remove),
        1 => vec((key(), any::<u64>()), 0..80).prop_map(BatchOp::InsertAll),
    ]
    .boxed()
}

/// The model test for batches: sequences of batches of reads, inserts, removes and
/// `insert_all`s, each value the writer returns and the map after each batch compared with a
/// `HashMap`. Large `insert_all`s split and grow the map's internal nodes in the middle of a batch.
pub fn check_batch_model<M, F>(factory: F)
where
    M: crate::Batch<Key = u64, Value = u64> + 'static,
    F: Fn() -> M + Send + Sync + 'static,
{
    with_deadline("check_batch_model", move || {
        let config = Config {
            cases: scaled(128) as u32,
            failure_persistence: None,
            ..Config::default()
        };
        let batches = vec(vec(batch_op(), 0..12), 1..20);
        let result = TestRunner::new(config).run(&batches, |batches| {
            let map = factory();
            let mut model = HashMap::new();
            for (b, ops) in batches.iter().enumerate() {
                let outcome: Result<(), String> = map.batch(|batch| {
                    for (step, op) in ops.iter().enumerate() {
                        let (got, expected) = match op {
                            BatchOp::Get(k) => (batch.get(k), model.get(k).copied()),
                            BatchOp::Insert(k, v) => (batch.insert(*k, *v), model.insert(*k, *v)),
                            BatchOp::Remove(k) => (batch.remove(k), model.remove(k)),
                            BatchOp::InsertAll(entries) => {
                                batch.insert_all(&mut entries.iter().copied());
                                model.extend(entries.iter().copied());
                                (None, None)
                            }
                        };
                        if got != expected {
                            return Err(format!(
                                "batch {b}, step {step} ({op:?}): got {got:?}, the model has \
                                 {expected:?}"
                            ));
                        }
                    }
                    Ok(())
                });
                outcome.map_err(TestCaseError::fail)?;
                let mut everything: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
                everything.sort_unstable();
                for (k, v) in &everything {
                    prop_assert_eq!(map.get(k), Some(*v), "after batch {}, key {}", b, k);
                }
                prop_assert_eq!(map.len(), model.len(), "len after batch {}", b);
            }
            Ok(())
        });
        if let Err(error) = result {
            panic!("check_batch_model: the map disagrees with the model: {error}");
        }
    });
}
