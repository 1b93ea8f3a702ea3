//! The set of live snapshots, and the one rule that lets garbage collection trust it.
//!
//! A snapshot is the watermark at the moment it was taken. Garbage collection asks "can any live
//! snapshot see the version written at `a` and replaced at `b`?", which is "is any snapshot
//! registered in `a..b`?". The race to close: a snapshot that reads the watermark, then is slow to
//! register, while a writer publishes a newer version, finds no snapshot in `a..b` and discards
//! the version the late snapshot needs.
//!
//! **A snapshot reads the watermark while holding the registry lock, and collection decides while
//! holding it too.** So a snapshot registered after a decision read the watermark after it, and
//! the watermark then was at least the `b` of every version the decision judged: the snapshot
//! sees those versions' replacements, never the versions themselves.

use std::collections::BTreeMap;

use crate::sync::{AtomicU64, Mutex, MutexGuard, Ordering};
use crate::version::Seq;

/// Live snapshots, by sequence number, with how many handles share each one.
#[derive(Debug)]
pub(crate) struct Registry {
    live: Mutex<BTreeMap<Seq, usize>>,
}

impl Registry {
    pub(crate) fn new() -> Self {
        Self {
            live: Mutex::new(BTreeMap::new()),
        }
    }

    /// Registers a snapshot at the current watermark and returns its sequence number.
    pub(crate) fn register(&self, watermark: &AtomicU64) -> Seq {
        let mut live = self.live.lock();
        // Read under the lock: see the module docs.
        let seq = watermark.load(Ordering::Acquire);
        *live.entry(seq).or_insert(0) += 1;
        seq
    }

    /// Forgets one handle on the snapshot at `seq`.
    pub(crate) fn unregister(&self, seq: Seq) {
        let mut live = self.live.lock();
        if let Some(handles) = live.get_mut(&seq) {
            *handles -= 1;
            if *handles == 0 {
                live.remove(&seq);
            }
        }
    }

    /// Locks the registry for a garbage collection decision: no snapshot registers until the
    /// returned view is dropped.
    pub(crate) fn lock(&self) -> RegistryView<'_> {
        RegistryView {
            live: self.live.lock(),
        }
    }

    /// The registration a broken registry would do, reading the watermark before taking the lock;
    /// only for the loom test that shows the race is real.
    #[cfg(all(test, loom))]
    fn register_racy(&self, watermark: &AtomicU64) -> Seq {
        let seq = watermark.load(Ordering::Acquire);
        *self.live.lock().entry(seq).or_insert(0) += 1;
        seq
    }
}

/// The registry, locked for a collection decision.
pub(crate) struct RegistryView<'a> {
    live: MutexGuard<'a, BTreeMap<Seq, usize>>,
}

impl RegistryView<'_> {
    /// Whether a live snapshot was taken at a sequence number in `from..to`: such a snapshot sees
    /// a version written at `from` and replaced at `to`.
    pub(crate) fn sees(&self, from: Seq, to: Seq) -> bool {
        from < to && self.live.range(from..to).next().is_some()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Run with
    //! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p cmap-skiplist --release --lib`.

    use loom::sync::Arc;
    use loom::thread;

    use super::Registry;
    use crate::sync::{AtomicU64, Ordering};

    /// A key has a version at seq 1 (published) when a writer publishes its replacement at seq 2
    /// and decides whether version 1 is garbage, while another thread takes a snapshot. Whatever
    /// the interleaving, a snapshot at seq 1 must have stopped the decision.
    fn collection_spares_the_snapshot(racy: bool) {
        loom::model(move || {
            let registry = Arc::new(Registry::new());
            let watermark = Arc::new(AtomicU64::new(1));
            let reader = {
                let (registry, watermark) = (Arc::clone(&registry), Arc::clone(&watermark));
                thread::spawn(move || {
                    if racy {
                        registry.register_racy(&watermark)
                    } else {
                        registry.register(&watermark)
                    }
                })
            };
            watermark.store(2, Ordering::Release);
            let discarded = !registry.lock().sees(1, 2);
            let snapshot = reader.join().unwrap();
            assert!(
                !(discarded && snapshot == 1),
                "version 1 was discarded while a snapshot at seq 1 was live"
            );
        });
    }

    #[test]
    fn registration_under_the_lock_protects_the_snapshot() {
        collection_spares_the_snapshot(false);
    }

    #[test]
    #[should_panic(expected = "discarded while a snapshot")]
    fn registration_outside_the_lock_loses_the_race() {
        collection_spares_the_snapshot(true);
    }

    /// Dropping the last handle of a snapshot lets collection go ahead; dropping one of two does
    /// not.
    #[test]
    fn unregister_counts_handles() {
        loom::model(|| {
            let registry = Arc::new(Registry::new());
            let watermark = AtomicU64::new(5);
            let (a, b) = (registry.register(&watermark), registry.register(&watermark));
            assert_eq!((a, b), (5, 5));
            registry.unregister(5);
            assert!(
                registry.lock().sees(0, 10),
                "one of two handles is still live"
            );
            registry.register(&watermark);
            let other = {
                let registry = Arc::clone(&registry);
                thread::spawn(move || registry.unregister(5))
            };
            registry.unregister(5);
            other.join().unwrap();
            assert!(!registry.lock().sees(0, 10));
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Registry;
    use crate::sync::AtomicU64;

    #[test]
    fn sees_is_half_open() {
        let registry = Registry::new();
        let watermark = AtomicU64::new(7);
        registry.register(&watermark);
        let view = registry.lock();
        assert!(view.sees(7, 8));
        assert!(view.sees(3, 8));
        assert!(
            !view.sees(3, 7),
            "a snapshot at 7 sees the replacement written at 7"
        );
        assert!(!view.sees(8, 20));
        assert!(!view.sees(7, 7));
    }
}
