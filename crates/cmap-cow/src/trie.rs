//! The persistent trie behind [`CowMap`](crate::CowMap): published versions and a writer's
//! private working tree.
//!
//! A [`Version`] is an immutable tree of nodes (see [`crate::node`]): a root inner node, wide
//! inner nodes below it, leaves of up to 24 entries. A write builds the next version in a
//! [`Working`] tree: it copies the nodes on the path to its entry, once, and edits its own copies
//! in place after that, so a batch copies each node at most once. Copying a node copies its
//! child pointers and no reference counts: the version numbers in the nodes decide when a
//! replaced node is freed (see [`crate::reclaim`]).
//!
//! **Invariant: every fallible step (hashing, comparing and cloning keys and values, user
//! closures) runs before the working tree changes, or on a private copy already linked into it.**
//! So a panic anywhere in a write leaves the working tree a valid map, with the entries it had
//! before that write; an unpublished working tree is freed (its private nodes) when dropped.

use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

use crate::node::{
    Collision, FANOUT, Inner, LEAF_MAX, LEVELS, Leaf, Node, NodePtr, Spares, index, span,
};
use crate::reclaim::{Registry, Retired};

/// How many entries ahead [`Working::insert_all`] fetches the leaf: enough to cover a memory
/// access with the writes in between.
const AHEAD: usize = 6;
/// Which spare leaf the fetch for the entry [`AHEAD`] places on fetches too: the copies of the
/// leaves in between take the spares above it (most writes at scale copy one leaf each).
const AHEAD_SPARE: usize = AHEAD - 1;

/// One published version of a map. Dropping the last reference to it lets the registry free
/// the nodes only it kept alive.
pub(crate) struct Version<K, V> {
    /// Always an inner node, of this version or an older one.
    root: NodePtr,
    len: usize,
    /// This version's number: one more than the version it replaced.
    number: u64,
    registry: Arc<Registry<K, V>>,
}

// SAFETY: a version owns its nodes' entries jointly with the versions sharing them, and may free
// some of them (through its registry) on whatever thread drops it, so it may move between
// threads if `K` and `V` may; it hands out only shared references to them, and nothing in it is
// written after it is published, so it may be shared if they may be.
unsafe impl<K: Send + Sync, V: Send + Sync> Send for Version<K, V> {}
// SAFETY: see `Send` above.
unsafe impl<K: Send + Sync, V: Send + Sync> Sync for Version<K, V> {}

impl<K, V> Version<K, V> {
    /// The first version of a new map: an empty root.
    pub(crate) fn empty() -> Self {
        Self {
            root: NodePtr::inner(Inner::empty(0)),
            len: 0,
            number: 0,
            registry: Arc::new(Registry::new(0)),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The root node.
    #[inline(always)]
    pub(crate) fn root(&self) -> &Inner {
        // SAFETY: this version is alive while `self` is borrowed, so are its nodes.
        let root = unsafe { self.root.as_inner() };
        debug_assert!(root.is_some(), "the root is an inner node");
        // SAFETY: the root is always an inner node: `empty` and `Working::finish` make it one
        // and nothing else sets it. Unchecked, since every read goes through here.
        unsafe { root.unwrap_unchecked() }
    }

    /// The value for `key`, whose hash is `hash`.
    #[inline(always)]
    pub(crate) fn get(&self, hash: u64, key: &K) -> Option<&V>
    where
        K: Eq,
    {
        // SAFETY: the nodes below this version's root are in this version, alive while `self` is
        // borrowed, and never written again.
        unsafe { lookup(self.root(), hash, key) }
    }

    /// The bytes the map's spare allocations take (see [`Spares`]).
    pub(crate) fn spare_bytes(&self) -> usize {
        self.registry.spare_bytes()
    }

    /// The bytes this version's nodes take, shared ones included.
    pub(crate) fn heap_bytes(&self) -> usize {
        fn walk<K, V>(node: NodePtr) -> usize {
            // SAFETY: reachable from the version being measured, which the caller borrows.
            match unsafe { node.get::<K, V>() } {
                Node::Empty => 0,
                Node::Leaf(_) => size_of::<Leaf<K, V>>(),
                Node::Collision(c) => {
                    size_of::<Collision<K, V>>() + c.entries.capacity() * size_of::<(K, V)>()
                }
                Node::Inner(inner) => {
                    size_of::<Inner>() + inner.distinct_children().map(walk::<K, V>).sum::<usize>()
                }
            }
        }
        walk::<K, V>(self.root)
    }

    /// Hands every node of this version to the registry, to be freed with the last version that
    /// reaches it: the map is being dropped, so no later version will replace them.
    pub(crate) fn retire_all(&self) {
        fn walk<K, V>(node: NodePtr, out: &mut Vec<Retired>) {
            // SAFETY: reachable from the version being retired, which the caller borrows.
            let created = unsafe { node.created::<K, V>() };
            out.push(Retired { node, created });
            // SAFETY: as above.
            if let Node::Inner(inner) = unsafe { node.get::<K, V>() } {
                for child in inner.distinct_children() {
                    walk::<K, V>(child, out);
                }
            }
        }
        let mut nodes = Vec::new();
        walk::<K, V>(self.root, &mut nodes);
        self.registry.retire(self.number, nodes);
    }
}

impl<K, V> Drop for Version<K, V> {
    fn drop(&mut self) {
        self.registry.release(self.number, self.len);
    }
}

/// A writer's private next version: it shares the nodes of the version it started from until
/// it writes them.
pub(crate) struct Working<K, V> {
    root: NodePtr,
    len: usize,
    /// The number the version will have; the nodes created with it are this tree's own.
    number: u64,
    /// The published nodes this tree replaced, to be retired when it is published.
    retired: Vec<Retired>,
    /// Memory for new nodes, taken from the registry for the time of the write.
    spares: Spares<K, V>,
    registry: Arc<Registry<K, V>>,
}

impl<K, V> Working<K, V> {
    /// The next version after `base`.
    pub(crate) fn after(base: &Version<K, V>) -> Self {
        Self {
            root: base.root,
            len: base.len,
            number: base.number + 1,
            retired: Vec::new(),
            spares: base.registry.take_spares(),
            registry: Arc::clone(&base.registry),
        }
    }

    /// Publishes this tree as a version, retiring the nodes it replaced to `base`, the live
    /// version it was built from.
    pub(crate) fn finish(mut self, base: &Version<K, V>) -> Version<K, V> {
        debug_assert_eq!(base.number + 1, self.number);
        self.registry
            .publish(self.number, base.number, &self.retired);
        self.registry.keep_spares(&mut self.spares, self.len);
        let version = Version {
            root: self.root,
            len: self.len,
            number: self.number,
            registry: Arc::clone(&self.registry),
        };
        // Its nodes now belong to the version.
        self.root = NodePtr::EMPTY;
        version
    }

    /// Whether `node` is this tree's own (created by it), so it may be written in place.
    fn owns(&self, node: NodePtr) -> bool {
        // SAFETY: `node` is in this tree, alive: private nodes are freed only by this tree,
        // shared ones only once no version reaches them, and the base version is live.
        unsafe { node.created::<K, V>() == self.number }
    }

    /// Lets go of `node`, just unlinked from this tree: frees it at once if it is this tree's
    /// own (nobody else ever saw it), or retires it with the tree.
    fn unlinked(&mut self, node: NodePtr) {
        if self.owns(node) {
            // SAFETY: a private node, just unlinked: nothing reaches it any more.
            unsafe { node.recycle::<K, V>(&mut self.spares) }
        } else {
            // SAFETY: alive, see `owns`.
            let created = unsafe { node.created::<K, V>() };
            self.retired.push(Retired { node, created });
        }
    }

    /// The root, made this tree's own.
    fn own_root(&mut self) -> NodePtr {
        if !self.owns(self.root) {
            let old = self.root;
            // SAFETY: the root is an inner node of the base version, alive (see `owns`).
            let Node::Inner(inner) = (unsafe { old.get::<K, V>() }) else {
                unreachable!("the root is an inner node")
            };
            self.root = NodePtr::inner(inner.copy_in(self.spares.inner(), self.number));
            self.unlinked(old);
        }
        self.root
    }

    /// The value for `key`, whose hash is `hash`.
    pub(crate) fn get(&self, hash: u64, key: &K) -> Option<&V>
    where
        K: Eq,
    {
        // SAFETY: the root of a working tree is an inner node; its nodes are alive (see `owns`)
        // and not written while `self` is borrowed shared.
        unsafe {
            let Node::Inner(root) = self.root.get::<K, V>() else {
                unreachable!("the root is an inner node")
            };
            lookup(root, hash, key)
        }
    }

    /// Walks down to the node holding `hash`'s slot at the bottom, making every inner node on the
    /// way this tree's own. Returns that node's parent (own), the slot in it, and its level.
    fn own_path(&mut self, hash: u64) -> (&mut Inner, usize, usize) {
        let mut parent = self.own_root();
        let mut level = 0;
        loop {
            let i = index(hash, level);
            // SAFETY: `parent` is an inner node this tree owns, and no other borrow of it lives.
            let child = unsafe { parent.inner_mut() }.children[i];
            // SAFETY: alive (see `owns`).
            if !matches!(unsafe { child.get::<K, V>() }, Node::Inner(_)) {
                // SAFETY: as above; the returned borrow is tied to `&mut self`.
                return (unsafe { parent.inner_mut() }, i, level);
            }
            let own = if self.owns(child) {
                child
            } else {
                // SAFETY: alive (see `owns`), an inner node (checked above).
                let Node::Inner(inner) = (unsafe { child.get::<K, V>() }) else {
                    unreachable!()
                };
                let copy = NodePtr::inner(inner.copy_in(self.spares.inner(), self.number));
                // SAFETY: `parent` is owned, and not otherwise borrowed.
                unsafe { parent.inner_mut() }.children[i] = copy;
                self.unlinked(child);
                copy
            };
            parent = own;
            level += 1;
        }
    }

    /// The bottom node at `parent.children[i]`, a leaf or a collision node, made this tree's own
    /// (copied, and linked in all the slots it spans, if it is shared).
    fn own_bottom(&mut self, parent: *mut Inner, i: usize) -> NodePtr
    where
        K: Clone,
        V: Clone,
    {
        // SAFETY: `parent` is an inner node this tree owns; the caller holds no other borrow.
        let parent = unsafe { &mut *parent };
        let node = parent.children[i];
        if self.owns(node) {
            return node;
        }
        // SAFETY: alive (see `owns`).
        let copy = match unsafe { node.get::<K, V>() } {
            Node::Leaf(leaf) => {
                let copy = NodePtr::leaf(leaf.copy_in(self.spares.leaf(), self.number));
                let (start, size) = span(i, leaf.depth);
                parent.children[start..start + size].fill(copy);
                copy
            }
            Node::Collision(c) => {
                let copy = NodePtr::collision(Box::new(Collision {
                    created: self.number,
                    entries: c.entries.clone(),
                }));
                parent.children[i] = copy;
                copy
            }
            Node::Inner(_) | Node::Empty => unreachable!("not a bottom node"),
        };
        self.unlinked(node);
        copy
    }

    /// The bottom node holding `key`, made this tree's own with the path to it, with its parent
    /// and its slot there; `None`, having copied nothing, if the key is absent.
    fn own_bottom_holding(&mut self, hash: u64, key: &K) -> Option<(*mut Inner, usize, NodePtr)>
    where
        K: Eq + Clone,
        V: Clone,
    {
        self.get(hash, key)?;
        let (parent, i, _) = self.own_path(hash);
        let parent: *mut Inner = parent;
        Some((parent, i, self.own_bottom(parent, i)))
    }

    /// The value for `key`, in a node of this tree's own, copying the path to it if needed.
    /// Copies nothing if the key is absent.
    pub(crate) fn get_mut(&mut self, hash: u64, key: &K) -> Option<&mut V>
    where
        K: Eq + Clone,
        V: Clone,
    {
        let (_, _, node) = self.own_bottom_holding(hash, key)?;
        // SAFETY: `node` is this tree's own and the only borrow of it; the returned borrow is
        // tied to `&mut self`, so the tree cannot change while it lives.
        match unsafe { node.get::<K, V>() } {
            Node::Leaf(_) => {
                // SAFETY: this tree's own leaf, borrowed only here (the `get` borrow is over).
                let leaf = unsafe { node.leaf_mut::<K, V>() };
                let slot = leaf.find(hash, key).expect("found above");
                Some(leaf.value_mut(slot))
            }
            Node::Collision(_) => {
                // SAFETY: this tree's own collision node, borrowed only here.
                let c = unsafe { node.collision_mut::<K, V>() };
                c.entries.iter_mut().find(|e| e.0 == *key).map(|e| &mut e.1)
            }
            _ => unreachable!("found above"),
        }
    }

    /// Inserts `key`, returning the value it replaces.
    pub(crate) fn insert(&mut self, hasher: &impl BuildHasher, key: K, value: V) -> Option<V>
    where
        K: Eq + Hash + Clone,
        V: Clone,
    {
        self.insert_hashed(hasher, hasher.hash_one(&key), key, value)
    }

    /// Inserts every entry, in the order of their hashes (of two entries for one key, the later
    /// wins): consecutive writes then share inner nodes, and while one entry is written the leaf
    /// of one a few places ahead is fetched.
    pub(crate) fn insert_all(
        &mut self,
        hasher: &impl BuildHasher,
        entries: impl Iterator<Item = (K, V)>,
    ) where
        K: Eq + Hash + Clone,
        V: Clone,
    {
        let hashed: Vec<(u64, (K, V))> = entries.map(|e| (hasher.hash_one(&e.0), e)).collect();
        let mut rest = by_top_bits(hashed).into_iter();
        while let Some(Some((hash, (key, value)))) = rest.next() {
            // The entries not yet taken are still in view: fetch for the one `AHEAD` places on.
            if let Some(Some(ahead)) = rest.as_slice().get(AHEAD - 1) {
                self.prefetch(ahead.0);
            }
            self.insert_hashed(hasher, hash, key, value);
        }
    }

    /// Asks the processor to fetch the leaf holding `hash`, without waiting for it, and the
    /// memory its copy will take.
    fn prefetch(&self, hash: u64) {
        let mut node = self.root;
        for level in 0..LEVELS {
            // SAFETY: nodes of this tree are alive (see `owns`); nothing is written meanwhile.
            let Node::Inner(inner) = (unsafe { node.get::<K, V>() }) else {
                break;
            };
            node = inner.children[index(hash, level)];
        }
        // SAFETY: as above.
        if let Node::Leaf(leaf) = unsafe { node.get::<K, V>() } {
            leaf.prefetch(hash);
            // The copy of that leaf will most likely go to the spare leaf as many places down
            // the list: fetch it too, so that the copy's stores do not wait for it.
            self.spares.prefetch_leaf(AHEAD_SPARE);
        }
    }

    /// [`insert`](Self::insert) with the key's hash already computed.
    fn insert_hashed(&mut self, hasher: &impl BuildHasher, hash: u64, key: K, value: V) -> Option<V>
    where
        K: Eq + Hash + Clone,
        V: Clone,
    {
        if let Some(old) = self.get_mut(hash, &key) {
            return Some(std::mem::replace(old, value));
        }
        let (parent, i, level) = self.own_path(hash);
        let parent: *mut Inner = parent;
        // SAFETY: `parent` is owned and not otherwise borrowed.
        let node = unsafe { (*parent).children[i] };
        // SAFETY: alive (see `owns`).
        match unsafe { node.get::<K, V>() } {
            Node::Empty => {
                // SAFETY: as above.
                let depth = widest_empty_block(unsafe { &*parent }, i);
                let mut leaf = Leaf::empty_in(self.spares.leaf(), self.number, depth);
                leaf.push(hash, key, value);
                let (start, size) = span(i, depth);
                // SAFETY: as above.
                unsafe { (&mut (*parent).children)[start..start + size].fill(NodePtr::leaf(leaf)) };
            }
            Node::Leaf(leaf) if leaf.len() < LEAF_MAX => {
                let node = self.own_bottom(parent, i);
                // SAFETY: this tree's own leaf, not otherwise borrowed.
                unsafe { node.leaf_mut::<K, V>() }.push(hash, key, value);
            }
            Node::Leaf(leaf) => {
                // Full: hash every entry first (hashing may panic), then take them out of the
                // leaf (moved if it is this tree's own, cloned if shared), then rebuild.
                let hashes: Vec<u64> = leaf.entries().map(|e| hasher.hash_one(&e.0)).collect();
                let depth = leaf.depth;
                let mut entries = if self.owns(node) {
                    // SAFETY: this tree's own leaf, not otherwise borrowed.
                    unsafe { node.leaf_mut::<K, V>() }.drain()
                } else {
                    leaf.entries().cloned().collect()
                };
                entries.push((key, value));
                let mut hashed: Vec<(u64, K, V)> = hashes
                    .into_iter()
                    .chain([hash])
                    .zip(entries)
                    .map(|(h, (k, v))| (h, k, v))
                    .collect();
                // From here on nothing can panic but allocation.
                let (start, size) = span(i, depth);
                // SAFETY: as above.
                unsafe { (&mut (*parent).children)[start..start + size].fill(NodePtr::EMPTY) };
                self.unlinked(node);
                // SAFETY: as above.
                self.place(unsafe { &mut *parent }, start, level, depth, &mut hashed);
            }
            Node::Collision(_) => {
                let node = self.own_bottom(parent, i);
                // SAFETY: this tree's own collision node, not otherwise borrowed.
                unsafe { node.collision_mut::<K, V>() }
                    .entries
                    .push((key, value));
            }
            Node::Inner(_) => unreachable!("own_path stops above the bottom"),
        }
        self.len += 1;
        None
    }

    /// Builds nodes for `entries`, which all belong in the aligned block of `parent`'s slots that
    /// starts at `start` and spans `FANOUT >> depth` slots (all empty), at level `level`.
    fn place(
        &mut self,
        parent: &mut Inner,
        start: usize,
        level: usize,
        depth: u8,
        entries: &mut Vec<(u64, K, V)>,
    ) {
        let size = FANOUT >> depth;
        if entries.is_empty() {
            return;
        }
        if entries.len() <= LEAF_MAX {
            let mut leaf = Leaf::empty_in(self.spares.leaf(), self.number, depth);
            for (h, k, v) in entries.drain(..) {
                leaf.push(h, k, v);
            }
            parent.children[start..start + size].fill(NodePtr::leaf(leaf));
            return;
        }
        if size > 1 {
            let half = size / 2;
            let mut upper: Vec<_> = Vec::new();
            let mut lower = Vec::new();
            for e in entries.drain(..) {
                if index(e.0, level) & half != 0 {
                    upper.push(e);
                } else {
                    lower.push(e);
                }
            }
            self.place(parent, start, level, depth + 1, &mut lower);
            self.place(parent, start + half, level, depth + 1, &mut upper);
            return;
        }
        if level + 1 == LEVELS {
            // All 64 bits of these hashes are equal.
            let collision = Collision {
                created: self.number,
                entries: entries.drain(..).map(|(_, k, v)| (k, v)).collect(),
            };
            parent.children[start] = NodePtr::collision(Box::new(collision));
            return;
        }
        let inner = NodePtr::inner(Inner::empty_in(self.spares.inner(), self.number));
        parent.children[start] = inner;
        // SAFETY: just made, linked in this tree, not otherwise borrowed.
        self.place(unsafe { inner.inner_mut() }, 0, level + 1, 0, entries);
    }

    /// Removes `key` and returns its value. Copies nothing if the key is absent.
    pub(crate) fn remove(&mut self, hash: u64, key: &K) -> Option<V>
    where
        K: Eq + Clone,
        V: Clone,
    {
        self.own_bottom_holding(hash, key)?;
        // Merges first, counting the entry as gone: they may clone a shared buddy's entries (and
        // panic), but they move no entry into or out of the map. The key's leaf is then found
        // again even if nothing merged: the merges borrowed the path's nodes mutably anew, so
        // pointers taken before them may not be used after (and a merge may move the leaf).
        self.shrink(hash, Phase::BeforeRemoval);
        let (parent, i, node) = self
            .own_bottom_holding(hash, key)
            .expect("merges keep every entry");
        // SAFETY: this tree's own node, not otherwise borrowed.
        let (value, now_empty, depth) = match unsafe { node.get::<K, V>() } {
            Node::Leaf(_) => {
                // SAFETY: this tree's own leaf, borrowed only here (the `get` borrow is over).
                let leaf = unsafe { node.leaf_mut::<K, V>() };
                let slot = leaf.find(hash, key).expect("found above");
                let (_, value) = leaf.take(slot);
                (value, leaf.len() == 0, leaf.depth)
            }
            Node::Collision(_) => {
                // SAFETY: this tree's own collision node, borrowed only here.
                let c = unsafe { node.collision_mut::<K, V>() };
                let at = c
                    .entries
                    .iter()
                    .position(|e| e.0 == *key)
                    .expect("found above");
                let (_, value) = c.entries.swap_remove(at);
                (value, c.entries.is_empty(), 8)
            }
            _ => unreachable!("found above"),
        };
        if now_empty {
            let (start, size) = span(i, depth);
            // SAFETY: `parent` is owned and not otherwise borrowed.
            unsafe { (&mut (*parent).children)[start..start + size].fill(NodePtr::EMPTY) };
            self.unlinked(node);
        }
        self.len -= 1;
        // Now what the removal emptied, with no clone: nothing after the entry left may fail.
        self.shrink(hash, Phase::AfterRemoval);
        Some(value)
    }

    /// Around a removal under `hash`, undoes the splits its key's neighbours no longer need,
    /// from the bottom of the path up: a leaf merges with its buddy (the leaf of the same depth
    /// in the other half of the block they would share) while both together fill at most half a
    /// leaf, or widens over a buddy block left empty; an inner node left holding only one leaf
    /// that spans it, or nothing, goes, and the leaf takes its slot in the parent. So a map that
    /// shrinks gives its nodes back instead of keeping the shape of its largest size.
    ///
    /// Run in two phases to keep the module's invariant (a write that panics leaves the entries
    /// it found): [`Phase::BeforeRemoval`] counts the key's entry as gone and may clone a shared
    /// buddy's entries, which may panic, but merging moves no entry into or out of the map;
    /// [`Phase::AfterRemoval`] only takes steps on nodes this tree owns, which clone nothing.
    fn shrink(&mut self, hash: u64, phase: Phase)
    where
        K: Clone,
        V: Clone,
    {
        // The inner nodes on the path, root first: all this tree's own after `own_path`.
        let mut path = [NodePtr::EMPTY; LEVELS];
        let mut levels = 0;
        let mut node = self.root;
        // SAFETY: nodes of this tree are alive (see `owns`).
        while let Node::Inner(inner) = unsafe { node.get::<K, V>() } {
            debug_assert!(self.owns(node));
            path[levels] = node;
            node = inner.children[index(hash, levels)];
            levels += 1;
        }
        for level in (0..levels).rev() {
            // SAFETY: an inner node this tree owns; no other borrow of it lives while the
            // pointer is used.
            let parent: *mut Inner = unsafe { path[level].inner_mut() };
            let i = index(hash, level);
            // Where the removal emptied a block, the leaf beside it may widen over it.
            let mut at = i;
            // SAFETY: as above.
            if unsafe { (*parent).children[i].is_empty() } {
                // SAFETY: as above.
                let depth = widest_empty_block(unsafe { &*parent }, i);
                if depth > 0 {
                    let (start, size) = span(i, depth);
                    at = start ^ size;
                }
            }
            while self.merge_at(parent, at, phase) {}
            if level == 0 {
                break;
            }
            // Fold `parent` into its own parent if nothing below it needs a level of its own.
            // SAFETY: as above.
            let child = unsafe { (*parent).children[i] };
            // SAFETY: alive (see `owns`).
            let folded = match unsafe { child.get::<K, V>() } {
                // SAFETY: as above.
                Node::Empty if unsafe { (*parent).children.iter().all(|c| c.is_empty()) } => {
                    NodePtr::EMPTY
                }
                // A leaf of depth 0 spans every slot of its parent.
                Node::Leaf(leaf)
                    if leaf.depth == 0 && (phase == Phase::BeforeRemoval || self.owns(child)) =>
                {
                    let own = self.own_bottom(parent, i);
                    // SAFETY: this tree's own leaf, not otherwise borrowed. Alone in one slot
                    // of the grandparent, it shares all eight bits of that index.
                    unsafe { own.leaf_mut::<K, V>() }.depth = 8;
                    own
                }
                _ => break,
            };
            // SAFETY: the grandparent is owned too, and not otherwise borrowed.
            unsafe { path[level - 1].inner_mut() }.children[index(hash, level - 1)] = folded;
            self.unlinked(path[level]);
        }
    }

    /// Merges the leaf at `parent.children[i]` with its buddy, if it is down to a quarter of a
    /// leaf and both fit in half a leaf, or widens it over its buddy's block if that is empty;
    /// returns whether it did.
    fn merge_at(&mut self, parent: *mut Inner, i: usize, phase: Phase) -> bool
    where
        K: Clone,
        V: Clone,
    {
        // SAFETY: `parent` is owned and not otherwise borrowed; its children are alive.
        let children = unsafe { &(*parent).children };
        // SAFETY: alive (see `owns`), and not written while `leaf` is used.
        let Node::Leaf(leaf) = (unsafe { children[i].get::<K, V>() }) else {
            return false;
        };
        let depth = leaf.depth;
        if depth == 0 {
            return false;
        }
        // Before the removal, the leaf at the key's slot holds the entry about to go.
        let len = match phase {
            Phase::BeforeRemoval => leaf.len() - 1,
            Phase::AfterRemoval if self.owns(children[i]) => leaf.len(),
            // Widening a shared leaf would copy it, cloning its entries.
            Phase::AfterRemoval => return false,
        };
        let (start, size) = span(i, depth);
        let buddy_start = start ^ size;
        let buddy = children[buddy_start];
        // Reading the buddy costs a cache miss: only for a leaf down to a quarter of its size,
        // which a merge may follow. After the removal, only empty buddy blocks: a merge clones.
        if !buddy.is_empty() && (len > LEAF_MAX / 4 || phase == Phase::AfterRemoval) {
            return false;
        }
        // SAFETY: alive, as above.
        let moved: Vec<(u8, (K, V))> = match unsafe { buddy.get::<K, V>() } {
            Node::Empty => {
                if !children[buddy_start..buddy_start + size]
                    .iter()
                    .all(|c| c.is_empty())
                {
                    return false;
                }
                Vec::new()
            }
            // A leaf of the same depth spans the whole buddy block.
            Node::Leaf(other) if other.depth == depth && len + other.len() <= LEAF_MAX / 2 => other
                .tagged_entries()
                .map(|(t, e)| (t, e.clone()))
                .collect(),
            _ => return false,
        };
        let own = self.own_bottom(parent, i);
        // SAFETY: this tree's own leaf, not otherwise borrowed.
        let merged = unsafe { own.leaf_mut::<K, V>() };
        for (tag, entry) in moved {
            merged.put(tag, entry);
        }
        merged.depth = depth - 1;
        let (start, size) = span(i, depth - 1);
        // SAFETY: `parent` is owned and not otherwise borrowed.
        unsafe { (&mut (*parent).children)[start..start + size].fill(own) };
        if !buddy.is_empty() {
            self.unlinked(buddy);
        }
        true
    }
}

/// When [`Working::shrink`] runs, around the removal it follows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// The key's entry is still in its leaf, counted as gone; merges may clone.
    BeforeRemoval,
    /// The entry is gone; only nodes this tree owns change, and nothing is cloned.
    AfterRemoval,
}

/// The value for `key`, whose hash is `hash`, below `root`.
///
/// # Safety
///
/// Every node below `root` must be alive and unwritten for `'a`, as in a version the caller
/// borrows for `'a` or a working tree it borrows shared.
#[inline(always)]
unsafe fn lookup<'a, K: Eq + 'a, V: 'a>(root: &'a Inner, hash: u64, key: &K) -> Option<&'a V> {
    // Tests for the common kinds one by one, in the order a walk meets them, rather than
    // dispatching on the kind: one bit test and a branch per level.
    let mut node = root;
    for level in 0..LEVELS {
        let child = node.children[index(hash, level)];
        // SAFETY: a child of a node below `root`: alive and unwritten (the caller's promise).
        let inner = unsafe { child.as_inner() };
        if let Some(inner) = inner {
            node = inner;
        // SAFETY: as above, and made with these types, as everything below `root`.
        } else if let Some(leaf) = unsafe { child.as_leaf::<K, V>() } {
            return leaf.get(hash, key);
        } else if child.is_empty() {
            // A miss may end here: tested inline, not in the cold call below.
            return None;
        } else {
            // SAFETY: as above.
            return unsafe { collision(child, key) };
        }
    }
    unreachable!("eight levels use the whole hash")
}

/// The rest of [`lookup`]: a collision node, which only a hash function that collides on
/// purpose makes.
///
/// # Safety
///
/// As for [`lookup`], for `node`.
#[cold]
unsafe fn collision<'a, K: Eq + 'a, V: 'a>(node: NodePtr, key: &K) -> Option<&'a V> {
    // SAFETY: forwarded to the caller.
    match unsafe { node.get::<K, V>() } {
        Node::Collision(c) => c.entries.iter().find(|e| e.0 == *key).map(|e| &e.1),
        Node::Empty | Node::Inner(_) | Node::Leaf(_) => unreachable!("tested by the caller"),
    }
}

/// `entries` in the order of the top bits of their hashes, the order in which a walk of the trie
/// meets their leaves, and, among equal top bits, in their order in `entries` (so that of two
/// entries for one key the later is still applied last). Every element is `Some`.
///
/// A counting sort on as many top bits as `entries` has elements (up to 16): one pass to count,
/// one to place, rather than a comparison sort's `log n` passes. Entries it leaves unordered
/// share their top bits, and so their leaf or a few neighbouring ones.
fn by_top_bits<T>(entries: Vec<(u64, T)>) -> Vec<Option<(u64, T)>> {
    let n = entries.len();
    let bits = (usize::BITS - n.saturating_sub(1).leading_zeros()).clamp(1, 16);
    let bucket = |hash: u64| (hash >> (64 - bits)) as usize;
    // `next[b]`: where the next entry of bucket `b` goes.
    let mut next = vec![0usize; 1 << bits];
    for (hash, _) in &entries {
        next[bucket(*hash)] += 1;
    }
    let mut start = 0;
    for slot in &mut next {
        let count = *slot;
        *slot = start;
        start += count;
    }
    let mut sorted: Vec<Option<(u64, T)>> = std::iter::repeat_with(|| None).take(n).collect();
    for entry in entries {
        let at = &mut next[bucket(entry.0)];
        sorted[*at] = Some(entry);
        *at += 1;
    }
    sorted
}

/// The depth of the widest aligned block around empty slot `i` of `node` whose slots are all
/// empty: a leaf made there covers it all, so later keys in the block join it.
fn widest_empty_block(node: &Inner, i: usize) -> u8 {
    let mut depth = 8u8;
    while depth > 0 {
        let (start, size) = span(i, depth - 1);
        if node.children[start..start + size]
            .iter()
            .all(|c| c.is_empty())
        {
            depth -= 1;
        } else {
            break;
        }
    }
    depth
}

impl<K, V> Drop for Working<K, V> {
    /// An unpublished tree frees its own nodes; the shared ones belong to published versions.
    fn drop(&mut self) {
        fn walk<K, V>(node: NodePtr, number: u64) {
            // SAFETY: reachable from the unpublished tree being dropped, alive.
            if unsafe { node.created::<K, V>() } != number {
                return;
            }
            // SAFETY: as above.
            if let Node::Inner(inner) = unsafe { node.get::<K, V>() } {
                for child in inner.distinct_children() {
                    walk::<K, V>(child, number);
                }
            }
            // SAFETY: a private node of an unpublished tree: nothing else reaches it, and the
            // walk visits it once (each node is linked from one block of one parent).
            unsafe { node.free::<K, V>() };
        }
        if !self.root.is_empty() {
            walk::<K, V>(self.root, self.number);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::hash::{BuildHasher, Hasher};
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;

    proptest::proptest! {
        #![proptest_config(crate::node::tests::proptest_config())]
        /// `by_top_bits` keeps every entry once, orders them by the top bits it sorts on, and
        /// keeps the input order among equal top bits: so of two entries for one key (one
        /// hash), the later still comes later.
        #[test]
        fn by_top_bits_is_a_stable_sort_on_top_bits(
            hashes in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..600),
            repeats in proptest::collection::vec(0usize..600, 0..50),
        ) {
            // Some hashes repeated, as a batch writing one key twice makes them.
            let mut hashes = hashes;
            for r in repeats {
                if let Some(&h) = hashes.get(r) {
                    hashes.push(h);
                }
            }
            let n = hashes.len();
            let bits = (usize::BITS - n.saturating_sub(1).leading_zeros()).clamp(1, 16);
            let entries: Vec<(u64, usize)> = hashes.iter().copied().zip(0..).collect();
            let sorted: Vec<(u64, usize)> =
                by_top_bits(entries.clone()).into_iter().map(|e| e.expect("filled")).collect();
            let mut expected = entries;
            expected.sort_by_key(|e| e.0 >> (64 - bits));
            proptest::prop_assert_eq!(sorted, expected);
        }
    }

    /// Hashes a `u64` key to `map(key)`, so a test chooses where each key goes.
    #[derive(Clone, Copy)]
    struct Placed(fn(u64) -> u64);

    struct PlacedHasher(fn(u64) -> u64, u64);

    impl Hasher for PlacedHasher {
        fn finish(&self) -> u64 {
            (self.0)(self.1)
        }
        fn write(&mut self, _: &[u8]) {
            unreachable!("only u64 keys")
        }
        fn write_u64(&mut self, n: u64) {
            self.1 = n;
        }
    }

    impl BuildHasher for Placed {
        type Hasher = PlacedHasher;
        fn build_hasher(&self) -> PlacedHasher {
            PlacedHasher(self.0, 0)
        }
    }

    fn spread(k: u64) -> u64 {
        k.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
    }

    /// Drops the newest version as a map's drop does: its nodes go with it.
    fn dispose<K, V>(newest: Version<K, V>) {
        newest.retire_all();
        drop(newest);
    }

    /// Publishes `working`, built on `base`.
    fn publish(working: Working<u64, u64>, base: &Version<u64, u64>) -> Version<u64, u64> {
        working.finish(base)
    }

    fn contents(version: &Version<u64, u64>) -> Vec<(u64, u64)> {
        let mut all: Vec<_> = crate::iter::Iter::new(version.root(), version.len())
            .map(|(k, v)| (*k, *v))
            .collect();
        all.sort_unstable();
        all
    }

    /// Many versions, each written on top of the last, every older one kept: each still reads
    /// exactly what it held, through splits, new levels and removals made after it.
    #[test]
    fn every_version_keeps_what_it_held() {
        let n: u64 = if cfg!(miri) { 300 } else { 5_000 };
        let hasher = Placed(spread);
        let mut versions = vec![Version::empty()];
        let mut model = std::collections::BTreeMap::new();
        let mut models = vec![model.clone()];
        for round in 0..6u64 {
            let base = versions.last().unwrap();
            let mut working = Working::after(base);
            for k in 0..n {
                match (k + round) % 3 {
                    0 | 1 => {
                        let old = working.insert(&hasher, k, k * 10 + round);
                        assert_eq!(old, model.insert(k, k * 10 + round));
                    }
                    _ => assert_eq!(working.remove(hasher.hash_one(k), &k), model.remove(&k)),
                }
            }
            let next = publish(working, base);
            versions.push(next);
            models.push(model.clone());
        }
        for (version, model) in versions.iter().zip(&models) {
            let expected: Vec<_> = model.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(contents(version), expected);
            for k in 0..n {
                assert_eq!(version.get(hasher.hash_one(k), &k), model.get(&k));
            }
        }
        assert_eq!(versions[0].registry.live_versions(), versions.len());
        // Dropped oldest first, they free every node (miri reports any leak).
        let newest = versions.pop().unwrap();
        drop(versions);
        dispose(newest);
    }

    /// Keys whose hashes share 60 bits go down all eight levels; keys sharing all 64 bits end in
    /// a collision node.
    #[test]
    fn deep_paths_and_collisions() {
        let hasher = Placed(|k| 0xABCD_EF01_2345_6700 | (k / 40));
        let base = Version::empty();
        let mut working = Working::after(&base);
        let n = 200;
        for k in 0..n {
            assert_eq!(working.insert(&hasher, k, k), None);
        }
        for k in 0..n {
            assert_eq!(working.get(hasher.hash_one(k), &k), Some(&k));
        }
        let version = publish(working, &base);
        drop(base);
        assert_eq!(
            contents(&version),
            (0..n).map(|k| (k, k)).collect::<Vec<_>>()
        );
        let mut working = Working::after(&version);
        for k in (0..n).step_by(2) {
            assert_eq!(working.remove(hasher.hash_one(k), &k), Some(k));
        }
        let next = publish(working, &version);
        drop(version);
        assert_eq!(
            contents(&next),
            (1..n).step_by(2).map(|k| (k, k)).collect::<Vec<_>>()
        );
        dispose(next);
    }

    thread_local! {
        /// The key whose `Hash` panics on this thread, if any.
        static UNHASHABLE: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
        /// Whether cloning a `Brittle` panics on this thread.
        static BRITTLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// A value whose `Clone` panics when the test says so.
    #[derive(PartialEq, Eq, Debug)]
    struct Brittle(u64);

    impl Clone for Brittle {
        fn clone(&self) -> Self {
            assert!(!BRITTLE.get(), "no clone of {}", self.0);
            Brittle(self.0)
        }
    }

    /// A merge clones the entries of a buddy that an older version shares; a clone that panics
    /// there leaves the working tree holding every entry it had, the one being removed included,
    /// and the writer may go on.
    #[test]
    fn a_panic_while_merging_a_shared_buddy_loses_nothing() {
        // Odd keys in the root's upper half, even ones in its lower half: past 24 entries the
        // leaf spanning the root splits into two buddies of depth 1.
        let hasher = Placed(|k| ((k % 2) << 63) | (k << 8) | 0x11);
        let base = Version::<u64, Brittle>::empty();
        let mut working = Working::after(&base);
        for k in 0..25 {
            working.insert(&hasher, k, Brittle(k));
        }
        // Odd keys down to 6: too many together with the 13 even ones to merge.
        for k in (1..25).step_by(2).take(6) {
            assert_eq!(working.remove(hasher.hash_one(k), &k), Some(Brittle(k)));
        }
        let shared = working.finish(&base);
        drop(base);
        let mut working = Working::after(&shared);
        // Even keys down to 6: the last removal merges, cloning the shared odd leaf.
        let evens: Vec<u64> = (0..25).step_by(2).collect();
        for &k in &evens[..6] {
            assert_eq!(working.remove(hasher.hash_one(k), &k), Some(Brittle(k)));
        }
        BRITTLE.set(true);
        let k = evens[6];
        let failed = catch_unwind(AssertUnwindSafe(|| working.remove(hasher.hash_one(k), &k)));
        BRITTLE.set(false);
        assert!(failed.is_err(), "the merge did not clone the shared leaf");
        // The failed removal left every entry it found, the one it was removing included.
        let left: Vec<u64> = (0..25)
            .filter(|k| {
                if k % 2 == 0 {
                    !evens[..6].contains(k)
                } else {
                    *k >= 13
                }
            })
            .collect();
        for &k in &left {
            assert_eq!(
                working.get(hasher.hash_one(k), &k),
                Some(&Brittle(k)),
                "key {k}"
            );
        }
        assert_eq!(working.len, left.len());
        // The writer goes on: the same removal again merges.
        assert_eq!(working.remove(hasher.hash_one(k), &k), Some(Brittle(k)));
        let version = working.finish(&shared);
        drop(shared);
        let left: Vec<u64> = left.into_iter().filter(|&l| l != k).collect();
        for &k in &left {
            assert_eq!(
                version.get(hasher.hash_one(k), &k),
                Some(&Brittle(k)),
                "key {k}"
            );
        }
        assert_eq!(version.len(), left.len());
        // Root and one merged leaf.
        assert_eq!(
            version.heap_bytes(),
            size_of::<Inner>() + size_of::<Leaf<u64, Brittle>>()
        );
        dispose(version);
    }

    /// A trie that grows and then shrinks gives its nodes back: merges and folds undo the
    /// splits, and every step keeps what a model keeps.
    #[test]
    fn a_shrinking_trie_gives_its_nodes_back() {
        let n: u64 = if cfg!(miri) { 400 } else { 20_000 };
        // Every key in the root's first four slots, so levels grow below them.
        let hasher = Placed(|k| spread(k) >> 6);
        let root_only = size_of::<Inner>();
        let mut version = Version::empty();
        let mut model = std::collections::BTreeMap::new();
        let mut working = Working::after(&version);
        for k in 0..n {
            working.insert(&hasher, k, k);
            model.insert(k, k);
        }
        version = publish(working, &version);
        let grown = version.heap_bytes();
        assert!(grown > 4 * root_only, "no levels grew: {grown} bytes");
        // Remove in a scattered order, publishing every so often, down to a few keys.
        let order: Vec<u64> = {
            let mut keys: Vec<u64> = (0..n).collect();
            keys.sort_by_key(|&k| spread(k ^ 0x5555));
            keys
        };
        let keep = 10;
        for chunk in order[..order.len() - keep].chunks(n as usize / 20) {
            let mut working = Working::after(&version);
            for &k in chunk {
                assert_eq!(working.remove(hasher.hash_one(k), &k), Some(k));
                model.remove(&k);
            }
            let next = publish(working, &version);
            version = next;
            assert_eq!(
                contents(&version),
                model.clone().into_iter().collect::<Vec<_>>()
            );
            for &k in chunk.iter().take(50) {
                assert_eq!(version.get(hasher.hash_one(k), &k), None);
            }
        }
        let left = version.heap_bytes();
        assert!(
            left <= root_only + keep * size_of::<Leaf<u64, u64>>(),
            "{keep} keys kept {left} bytes of the {grown} the trie grew to"
        );
        for (&k, &v) in &model {
            assert_eq!(version.get(hasher.hash_one(k), &k), Some(&v));
        }
        let mut working = Working::after(&version);
        for &k in &order[order.len() - keep..] {
            assert_eq!(working.remove(hasher.hash_one(k), &k), Some(k));
        }
        let empty = publish(working, &version);
        drop(version);
        assert_eq!(empty.heap_bytes(), root_only);
        dispose(empty);
    }

    /// A key whose `Hash` panics when the test says so.
    #[derive(Clone, PartialEq, Eq, Debug)]
    struct Touchy(u64);

    impl std::hash::Hash for Touchy {
        fn hash<H: Hasher>(&self, state: &mut H) {
            assert!(UNHASHABLE.get() != Some(self.0), "no hash for {}", self.0);
            state.write_u64(self.0);
        }
    }

    /// A panic while a full leaf splits (it hashes every entry again) leaves the working tree as
    /// it was before that write, and a writer that catches it may go on and publish.
    #[test]
    fn a_panic_in_the_middle_of_a_split_loses_nothing() {
        // All keys in one root slot, so the one after `LEAF_MAX` splits the leaf.
        let hasher = Placed(|k| (k << 8) | 0x42);
        let base = Version::<Touchy, u64>::empty();
        let mut working = Working::after(&base);
        let full = LEAF_MAX as u64;
        for k in 0..full {
            assert_eq!(working.insert(&hasher, Touchy(k), k), None);
        }
        UNHASHABLE.set(Some(5));
        let failed = catch_unwind(AssertUnwindSafe(|| {
            working.insert(&hasher, Touchy(full), full);
        }));
        UNHASHABLE.set(None);
        assert!(failed.is_err(), "the split did not hash key 5");
        for k in 0..full {
            assert_eq!(
                working.get(hasher.hash_one(Touchy(k)), &Touchy(k)),
                Some(&k)
            );
        }
        assert_eq!(
            working.get(hasher.hash_one(Touchy(full)), &Touchy(full)),
            None
        );
        for k in full..60 {
            assert_eq!(working.insert(&hasher, Touchy(k), k), None);
        }
        let version = working.finish(&base);
        drop(base);
        for k in 0..60 {
            assert_eq!(
                version.get(hasher.hash_one(Touchy(k)), &Touchy(k)),
                Some(&k),
                "key {k}"
            );
        }
        assert_eq!(version.len(), 60);
        dispose(version);
    }

    /// `insert_all` applies entries in hash order, fetching ahead; of two for one key the later
    /// wins, as with `insert` one by one.
    #[test]
    fn insert_all_is_insert_one_by_one() {
        let n: u64 = if cfg!(miri) { 200 } else { 3_000 };
        let hasher = Placed(spread);
        let base = Version::empty();
        let mut all = Working::after(&base);
        let entries: Vec<(u64, u64)> = (0..n).map(|i| (spread(i) % (n / 2), i)).collect();
        all.insert_all(&hasher, entries.iter().copied());
        let all = all.finish(&base);
        drop(base);
        let model: std::collections::BTreeMap<u64, u64> = entries.into_iter().collect();
        assert_eq!(contents(&all), model.into_iter().collect::<Vec<_>>());
        dispose(all);
    }

    /// A working tree dropped unpublished frees its own nodes and leaves its base intact.
    #[test]
    fn an_abandoned_write_leaves_its_base_whole() {
        let hasher = Placed(spread);
        let base = Version::empty();
        let mut working = Working::after(&base);
        for k in 0..500 {
            working.insert(&hasher, k, k);
        }
        let version = working.finish(&base);
        drop(base);
        let mut abandoned = Working::after(&version);
        for k in 0..700 {
            abandoned.insert(&hasher, k, k + 1);
        }
        for k in 0..100 {
            abandoned.remove(hasher.hash_one(k), &k);
        }
        drop(abandoned);
        assert_eq!(
            contents(&version),
            (0..500).map(|k| (k, k)).collect::<Vec<_>>()
        );
        dispose(version);
    }
}
