//! When a node that writes replaced may be freed: version intervals instead of reference counts.
//!
//! Writers are serialized and number the versions they publish 1, 2, 3, ... A write copies the
//! path to what it changes; each copy is *created* by the new version, and the node it replaces
//! is *retired* by it. A node created by version `c` and retired by version `r` is reachable from
//! exactly the versions `c..r`: every version from its creation shares it until the write that
//! replaces it, and no later one can reach it again. So it may be freed once no live version lies
//! in `c..r`. A node still in the newest version counts as retired by a version that never comes,
//! once the map is dropped.
//!
//! The registry keeps the live versions in order and, with each, the retired nodes it *blocks*:
//! those whose interval holds it and no later live version. A write retires the nodes it replaced
//! to the version it replaced (always live then, and the newest in their intervals). When a
//! version dies, each node it blocked moves to the next older live version if that one lies in
//! its interval too, and is freed otherwise. A node is looked at once per version that blocked it,
//! never rescanned while it waits.
//!
//! **Invariant: a node is freed only when no live version lies in its interval.** A version stays
//! live until its `Version` is dropped, which every reader, snapshot and cache holding it does
//! through an `Arc` only after its last access, so no reader can be inside a freed node.

use std::marker::PhantomData;

#[cfg(loom)]
use loom::sync::Mutex;
#[cfg(not(loom))]
use parking_lot::Mutex;

use crate::node::{NodePtr, Spares};

/// A node some write replaced (or the map's drop let go of), with the version that created it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Retired {
    pub(crate) node: NodePtr,
    pub(crate) created: u64,
}

/// The live versions of one map and the retired nodes each blocks.
pub(crate) struct Registry<K, V> {
    /// In increasing version order. Only a few versions live at once (the current one, readers'
    /// caches, snapshots), so a sorted vector beats a tree.
    live: Mutex<Vec<(u64, Vec<Retired>)>>,
    /// The allocations of freed nodes, for the next write's new nodes (see [`Spares`]).
    spares: Mutex<Spares<K, V>>,
    /// The registry frees nodes holding `K`s and `V`s, possibly on another thread than the one
    /// that made them: it is `Send`/`Sync` only if they are.
    _owns: PhantomData<(K, V)>,
}

impl<K, V> Registry<K, V> {
    /// A registry in which `version` is live.
    pub(crate) fn new(version: u64) -> Self {
        Self {
            live: Mutex::new(vec![(version, Vec::new())]),
            spares: Mutex::new(Spares::new()),
            _owns: PhantomData,
        }
    }

    /// Makes `version`, newer than every version before it, live, and retires `retired` to
    /// `replaced`, the version it replaces, which must be live.
    pub(crate) fn publish(&self, version: u64, replaced: u64, retired: &[Retired]) {
        let mut live = lock(&self.live);
        debug_assert!(live.last().is_none_or(|&(v, _)| v < version));
        if !retired.is_empty() {
            let at = position(&live, replaced);
            debug_assert!(retired.iter().all(|r| r.created <= replaced));
            live[at].1.extend_from_slice(retired);
        }
        live.push((version, Vec::new()));
    }

    /// Retires `nodes` to `version`, which must be live and the newest version reaching them.
    pub(crate) fn retire(&self, version: u64, nodes: impl IntoIterator<Item = Retired>) {
        let mut live = lock(&self.live);
        let at = position(&live, version);
        live[at].1.extend(nodes);
    }

    /// `version`, of `entries` entries, is dead: frees the nodes only it kept alive.
    pub(crate) fn release(&self, version: u64, entries: usize) {
        let dead = {
            let mut live = lock(&self.live);
            let at = position(&live, version);
            let (_, blocked) = live.remove(at);
            // Give back what a burst of snapshots made the list grow to.
            if live.capacity() > 8 && live.len() * 4 < live.capacity() {
                let keep = live.len() * 2;
                live.shrink_to(keep);
            }
            match at.checked_sub(1) {
                Some(older) => {
                    let (older_version, list) = &mut live[older];
                    let older_version = *older_version;
                    let mut dead = Vec::new();
                    for node in blocked {
                        if node.created <= older_version {
                            list.push(node);
                        } else {
                            dead.push(node);
                        }
                    }
                    dead
                }
                None => blocked,
            }
        };
        // Freed outside the lock: dropping entries runs user code, and may take long. A version
        // that dies after a large batch frees thousands of cold nodes: fetch a few ahead.
        const AHEAD: usize = 8;
        for node in dead.iter().take(AHEAD) {
            node.node.prefetch();
        }
        let mut spares = Spares::new();
        for (n, node) in dead.iter().enumerate() {
            if let Some(ahead) = dead.get(n + AHEAD) {
                ahead.node.prefetch();
            }
            // SAFETY: no live version lies in the node's interval (it was blocked by `version`
            // alone, the newest live version in it, and the next older live version is older
            // than its creation), so nobody can reach it: it is freed once, here.
            unsafe { node.node.recycle::<K, V>(&mut spares) };
        }
        // Not before: dropping the entries ran user code, which may write to the map.
        self.keep_spares(&mut spares, entries);
    }

    /// The spare allocations, for a write to make its nodes in.
    pub(crate) fn take_spares(&self) -> Spares<K, V> {
        std::mem::replace(&mut *lock(&self.spares), Spares::new())
    }

    /// Keeps `spares`, within their bounds for a map of `entries` entries, for the next write.
    pub(crate) fn keep_spares(&self, spares: &mut Spares<K, V>, entries: usize) {
        lock(&self.spares).take_from(spares, entries);
    }

    /// The bytes the spare allocations take.
    pub(crate) fn spare_bytes(&self) -> usize {
        lock(&self.spares).bytes()
    }

    /// How many versions are live, for tests.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn live_versions(&self) -> usize {
        lock(&self.live).len()
    }
}

impl<K, V> Drop for Registry<K, V> {
    fn drop(&mut self) {
        // The last version to die released itself first, freeing all it blocked.
        debug_assert!(
            lock(&self.live).is_empty(),
            "a version outlived its registry"
        );
    }
}

fn position(live: &[(u64, Vec<Retired>)], version: u64) -> usize {
    live.binary_search_by_key(&version, |&(v, _)| v)
        .unwrap_or_else(|_| panic!("version {version} is not live"))
}

#[cfg(not(loom))]
fn lock<T>(mutex: &Mutex<T>) -> parking_lot::MutexGuard<'_, T> {
    mutex.lock()
}

#[cfg(loom)]
fn lock<T>(mutex: &Mutex<T>) -> loom::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap()
}

#[cfg(all(test, loom))]
mod loom_tests {
    //! Reclamation against every interleaving loom explores:
    //! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p cmap-cow --release --lib`.
    //! Values are loom cells: a reader's read and the free that drops the value are accesses
    //! loom orders, so freeing a node a reader may still be in is reported.

    use loom::cell::UnsafeCell;
    use loom::sync::Arc;
    use loom::thread;

    use crate::trie::{Version, Working};

    /// A value whose reads and whose drop loom tracks.
    struct Probe(UnsafeCell<u64>);

    impl Probe {
        fn new(n: u64) -> Self {
            Self(UnsafeCell::new(n))
        }

        fn read(&self) -> u64 {
            // SAFETY: values in published versions are never written; loom checks the drop.
            self.0.with(|n| unsafe { *n })
        }
    }

    impl Clone for Probe {
        fn clone(&self) -> Self {
            Self::new(self.read())
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            // A write access: loom reports it if it is not ordered after every read.
            self.0.with_mut(|_| ());
        }
    }

    /// Hashes key `k` to `k << 59`: key `k` goes to root slot `8k`.
    #[derive(Default, Clone, Copy)]
    struct Apart;

    struct ApartHasher(u64);

    impl std::hash::Hasher for ApartHasher {
        fn finish(&self) -> u64 {
            self.0 << 59
        }
        fn write(&mut self, _: &[u8]) {
            unreachable!("only u64 keys")
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }

    impl std::hash::BuildHasher for Apart {
        type Hasher = ApartHasher;
        fn build_hasher(&self) -> ApartHasher {
            ApartHasher(0)
        }
    }

    fn write(base: &Version<u64, Probe>, key: u64, value: u64) -> Version<u64, Probe> {
        let mut working = Working::after(base);
        working.insert(&Apart, key, Probe::new(value));
        working.finish(base)
    }

    fn read(version: &Version<u64, Probe>, key: u64) -> u64 {
        use std::hash::BuildHasher;
        version.get(Apart.hash_one(key), &key).unwrap().read()
    }

    /// Version 1 holds 25 keys, more than a leaf: keys 0 to 15 in one leaf, 16 to 24 in
    /// another. Version 2 rewrites key 20 and version 3 key 1, so key 1's first leaf is shared
    /// by versions 1 and 2. A reader holds version 1 and reads key 1 while the writer drops
    /// versions 2 and 3 (and a third thread a snapshot of version 2): the leaf must outlive the
    /// reader, though both versions after it died first.
    #[test]
    fn a_node_is_freed_after_its_last_reader() {
        loom::model(|| {
            let v0 = Version::<u64, Probe>::empty();
            let mut working = Working::after(&v0);
            for k in 0..25 {
                working.insert(&Apart, k, Probe::new(k));
            }
            let v1 = Arc::new(working.finish(&v0));
            drop(v0);
            let reader = {
                let v1 = Arc::clone(&v1);
                thread::spawn(move || assert_eq!(read(&v1, 1), 1))
            };
            let v2 = Arc::new(write(&v1, 20, 21));
            drop(v1);
            let snapshot = {
                let v2 = Arc::clone(&v2);
                thread::spawn(move || assert_eq!(read(&v2, 1), 1))
            };
            let v3 = write(&v2, 1, 3);
            drop(v2);
            assert_eq!(read(&v3, 1), 3);
            // As the map's drop does with its newest version.
            v3.retire_all();
            drop(v3);
            reader.join().unwrap();
            snapshot.join().unwrap();
        });
    }
}
