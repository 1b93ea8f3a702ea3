//! Scans of maps large enough that a scan splits its walk at the fence keys a previous full scan
//! left (every 512th key), checked against a `BTreeMap`: after the map changes under the fences,
//! over ranges that start and end on fences and between them, and when the closure breaks.

use std::collections::BTreeMap;
use std::ops::{Bound, ControlFlow, RangeBounds};

use cmap_core::{ConcurrentMap, Ordered, OrderedSnapshot, Snapshot, Snapshots};
use cmap_skiplist::{SkipListMap, SkipListSnapshot};

fn latest(map: &SkipListMap<u64, u64>, range: impl RangeBounds<u64>) -> Vec<(u64, u64)> {
    let mut seen = Vec::new();
    map.range_with(range, |k, v| {
        seen.push((*k, *v));
        ControlFlow::Continue(())
    });
    seen
}

fn snapshot_range(
    snapshot: &SkipListSnapshot<u64, u64>,
    range: impl RangeBounds<u64>,
) -> Vec<(u64, u64)> {
    let mut seen = Vec::new();
    snapshot.range_with(range, |k, v| {
        seen.push((*k, *v));
        ControlFlow::Continue(())
    });
    seen
}

fn expected(model: &BTreeMap<u64, u64>, range: impl RangeBounds<u64>) -> Vec<(u64, u64)> {
    model.range(range).map(|(k, v)| (*k, *v)).collect()
}

/// Ranges whose bounds fall on fence keys (every 512th key of a full scan of keys `0..n` step
/// `step`), next to them, and between them.
fn ranges(step: u64) -> Vec<(Bound<u64>, Bound<u64>)> {
    let mut bounds = vec![Bound::Unbounded];
    for at in [1, 511, 512, 4096, 20_000] {
        bounds.push(Bound::Included(at * step));
        bounds.push(Bound::Excluded(at * step));
        bounds.push(Bound::Included(at * step + 1));
    }
    let mut ranges = Vec::new();
    for (i, &start) in bounds.iter().enumerate() {
        for &end in bounds.iter().skip(i) {
            let ordered = match (start, end) {
                (
                    Bound::Included(a) | Bound::Excluded(a),
                    Bound::Included(b) | Bound::Excluded(b),
                ) => a < b,
                _ => true,
            };
            if ordered {
                ranges.push((start, end));
            }
        }
    }
    ranges
}

#[test]
fn scans_split_at_fences_match_the_model() {
    const N: u64 = 30_000;
    let map = SkipListMap::<u64, u64>::new();
    let mut model = BTreeMap::new();
    for k in (0..N).map(|k| k * 2) {
        map.insert(k, k);
        model.insert(k, k);
    }
    // A full scan records the fences; the next ones use them.
    assert_eq!(latest(&map, ..), expected(&model, ..));
    let before = map.snapshot();
    let before_model = model.clone();
    // Change the map under the fences: remove a stretch holding several fences, overwrite every
    // third key, and insert new keys between the old ones and beyond them.
    for k in (5_000..15_000).map(|k| k * 2) {
        map.remove(&k);
        model.remove(&k);
    }
    for k in (0..2 * N).step_by(3) {
        map.insert(k, k + 1);
        model.insert(k, k + 1);
    }
    for k in (2 * N..3 * N).step_by(2) {
        map.insert(k, 7);
        model.insert(k, 7);
    }
    let after = map.snapshot();
    for (start, end) in ranges(2) {
        let range = (start, end);
        assert_eq!(
            latest(&map, range),
            expected(&model, range),
            "latest {range:?}"
        );
        assert_eq!(
            snapshot_range(&before, range),
            expected(&before_model, range),
            "snapshot before {range:?}"
        );
        assert_eq!(
            snapshot_range(&after, range),
            expected(&model, range),
            "snapshot after {range:?}"
        );
    }
    assert_eq!(before.len(), before_model.len());
    assert_eq!(after.len(), model.len());
    // A full scan of the latest state records fences for the new contents.
    assert_eq!(latest(&map, ..), expected(&model, ..));
    assert_eq!(snapshot_range(&before, ..), expected(&before_model, ..));
}

#[test]
fn a_scan_stops_where_its_closure_breaks() {
    let map = SkipListMap::<u64, u64>::new();
    for k in 0..20_000 {
        map.insert(k, k);
    }
    let snapshot = map.snapshot();
    assert_eq!(snapshot.len(), 20_000);
    for stop in [0, 1, 63, 64, 65, 511, 512, 4_000, 8_192, 19_999] {
        let mut seen = Vec::new();
        snapshot.scan(|k, _| {
            seen.push(*k);
            if *k == stop {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(seen, (0..=stop).collect::<Vec<_>>(), "break at {stop}");
    }
}

#[test]
fn fences_of_a_cleared_map_do_no_harm() {
    let map = SkipListMap::<u64, u64>::new();
    for k in 0..10_000 {
        map.insert(k, k);
    }
    assert_eq!(latest(&map, ..).len(), 10_000);
    for k in 0..10_000 {
        map.remove(&k);
    }
    assert!(latest(&map, ..).is_empty());
    for k in 1_000_000..1_005_000 {
        map.insert(k, k);
    }
    let seen = latest(&map, 500..);
    assert_eq!(seen.len(), 5_000);
    assert!(seen.iter().map(|(k, _)| *k).eq(1_000_000..1_005_000));
}
