//! The nodes of the trie behind [`CowMap`](crate::CowMap), and the tagged pointers between them.
//!
//! Three kinds of node, each in its own `Box`:
//!
//! - [`Inner`]: 256 child pointers, indexed by eight bits of the key's hash. Level `l` (the root
//!   is level 0) takes bits `56 - 8l .. 64 - 8l`, the top byte first, so eight levels use all 64.
//! - [`Leaf`]: up to [`LEAF_MAX`] entries stored inline in a small open-addressed table of
//!   [`LEAF_SLOTS`] slots with one tag byte per slot. A leaf of *depth* `d` holds the keys whose
//!   index at its parent's level starts with the same `d` bits, and its parent points to it from
//!   all `2^(8 - d)` slots of that aligned block. So a leaf that splits in two changes only its
//!   parent's slots, and a parent gets a level below it only when a leaf of depth 8, alone in one
//!   slot, overflows.
//! - [`Collision`]: the entries below a level-7 slot when more than [`LEAF_MAX`] of them share
//!   all 64 bits of their hashes. Only a hash function that collides on purpose makes one.
//!
//! Children are not reference-counted: a parent does not own its children. Which version frees
//! a node is decided by the version numbers every node carries (see [`crate::reclaim`]), so
//! copying a node is a plain copy of its pointers.
//!
//! **Invariant: a node reachable from a published version is never written again.** Only a
//! writer's private nodes, those whose `created` is the version it is building, are edited in
//! place.

use std::mem::MaybeUninit;

/// Hash bits an inner node consumes.
pub(crate) const BITS: u32 = 8;
/// Children of an inner node.
pub(crate) const FANOUT: usize = 1 << BITS;
/// Levels of inner nodes a trie can have: eight levels of eight bits use the whole hash.
pub(crate) const LEVELS: usize = 8;
/// Slots in a leaf's table.
pub(crate) const LEAF_SLOTS: usize = 32;
/// Entries a leaf holds at most; one more splits it. A quarter of the slots stays empty, so a
/// probe for a missing key meets an empty slot after one or two steps, and always meets one.
pub(crate) const LEAF_MAX: usize = 24;

/// The index of `hash` at inner level `level`.
#[inline(always)]
pub(crate) fn index(hash: u64, level: usize) -> usize {
    ((hash >> (56 - BITS as usize * level)) & (FANOUT as u64 - 1)) as usize
}

/// The tag of a key in a leaf: never 0 (an empty slot), and its low five bits are the key's
/// home slot, where its probe starts. So a leaf can move its entries without hashing them again.
#[inline(always)]
pub(crate) fn tag(hash: u64) -> u8 {
    0x80 | (hash as u8 & 0x7F)
}

#[inline(always)]
fn home(tag: u8) -> usize {
    tag as usize % LEAF_SLOTS
}

/// The first slot and the number of slots of the aligned block that a leaf of depth `depth`
/// covers around slot `i` of its parent.
#[inline]
pub(crate) fn span(i: usize, depth: u8) -> (usize, usize) {
    let size = FANOUT >> depth;
    (i & !(size - 1), size)
}

/// Asks the processor to bring the line at `p` into its caches. Only a hint: it never faults.
#[inline(always)]
pub(crate) fn prefetch<T>(p: *const T) {
    prefetch_as::<false, T>(p);
}

/// [`prefetch`], for a line about to be written: fetched exclusive, so the stores do not wait.
#[inline(always)]
pub(crate) fn prefetch_write<T>(p: *const T) {
    prefetch_as::<true, T>(p);
}

#[inline(always)]
fn prefetch_as<const WRITE: bool, T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch has no effect on memory and does not fault, whatever the address.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_ET0, _MM_HINT_T0, _mm_prefetch};
        if WRITE {
            _mm_prefetch::<_MM_HINT_ET0>(p.cast());
        } else {
            _mm_prefetch::<_MM_HINT_T0>(p.cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// A pointer to a node of any kind, or to nothing (null), with the kind in its two low bits
/// (every node is aligned to at least 8 bytes): bit 0 for an inner node, bit 1 for a leaf,
/// neither for a collision node.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(transparent)]
pub(crate) struct NodePtr(*mut ());

// SAFETY: a `NodePtr` is an address and gives no access by itself; every type that reaches the
// node's entries through it (`Version`, `Registry`, `Iter`) carries `K` and `V` in its own type
// and is `Send`/`Sync` only as they allow.
unsafe impl Send for NodePtr {}
// SAFETY: see `Send` above.
unsafe impl Sync for NodePtr {}

// One bit each for the two kinds a lookup meets, so that testing for either is one instruction;
// a collision node has neither, and an empty pointer is null.
const KIND: usize = 0b11;
const INNER: usize = 0b01;
const LEAF: usize = 0b10;
const COLLISION: usize = 0b00;

/// What a [`NodePtr`] points to, borrowed.
pub(crate) enum Node<'a, K, V> {
    Empty,
    Inner(&'a Inner),
    Leaf(&'a Leaf<K, V>),
    Collision(&'a Collision<K, V>),
}

impl NodePtr {
    pub(crate) const EMPTY: NodePtr = NodePtr(std::ptr::null_mut());

    pub(crate) fn is_empty(self) -> bool {
        self.0.is_null()
    }

    fn kind(self) -> usize {
        self.0.addr() & KIND
    }

    /// The node's address, without the kind.
    fn addr<T>(self) -> *mut T {
        self.0.map_addr(|a| a & !KIND).cast()
    }

    fn tagged<T>(node: *mut T, kind: usize) -> NodePtr {
        NodePtr(node.cast::<()>().map_addr(|a| a | kind))
    }

    pub(crate) fn inner(node: Box<Inner>) -> NodePtr {
        Self::tagged(Box::into_raw(node), INNER)
    }

    pub(crate) fn leaf<K, V>(node: Box<Leaf<K, V>>) -> NodePtr {
        Self::tagged(Box::into_raw(node), LEAF)
    }

    pub(crate) fn collision<K, V>(node: Box<Collision<K, V>>) -> NodePtr {
        Self::tagged(Box::into_raw(node), COLLISION)
    }

    /// The node this points to.
    ///
    /// # Safety
    ///
    /// The node must be alive for `'a` and not written during it, and `K`, `V` must be the types
    /// it was made with: it is reachable from a version the caller holds, or it is a node of the
    /// writer's private tree that the caller does not write while the borrow lasts.
    #[inline(always)]
    pub(crate) unsafe fn get<'a, K, V>(self) -> Node<'a, K, V> {
        // SAFETY: (all three arms) the pointer came from `Box::into_raw` of a node of this kind,
        // as its tag says, and the caller guarantees it is alive and unwritten for `'a`.
        unsafe {
            match self.kind() {
                _ if self.is_empty() => Node::Empty,
                INNER => Node::Inner(&*self.addr::<Inner>()),
                LEAF => Node::Leaf(&*self.addr::<Leaf<K, V>>()),
                _ => Node::Collision(&*self.addr::<Collision<K, V>>()),
            }
        }
    }

    /// The inner node this points to, if it points to one: the one test a lookup makes at
    /// every level above the bottom, so it is a compare and a branch, not a dispatch on the kind.
    ///
    /// # Safety
    ///
    /// As for [`get`](Self::get).
    #[inline(always)]
    pub(crate) unsafe fn as_inner<'a>(self) -> Option<&'a Inner> {
        // SAFETY: tagged as an inner node, so it came from `Box::into_raw` of one, alive and
        // unwritten for `'a` (the caller's promise).
        // The kind is exactly `INNER` once its bit is set, so the address is found by a
        // subtraction, which folds into the load's displacement, rather than a mask.
        (self.0.addr() & INNER != 0)
            .then(|| unsafe { &*self.0.wrapping_byte_sub(INNER).cast::<Inner>() })
    }

    /// The leaf this points to, if it points to one.
    ///
    /// # Safety
    ///
    /// As for [`get`](Self::get).
    #[inline(always)]
    pub(crate) unsafe fn as_leaf<'a, K, V>(self) -> Option<&'a Leaf<K, V>> {
        // SAFETY: tagged as a leaf, so it came from `Box::into_raw` of one of these types (the
        // caller's promise), alive and unwritten for `'a`.
        // As in `as_inner`, the kind is exactly `LEAF` once its bit is set.
        (self.0.addr() & LEAF != 0)
            .then(|| unsafe { &*self.0.wrapping_byte_sub(LEAF).cast::<Leaf<K, V>>() })
    }

    /// The inner node this points to, for writing.
    ///
    /// # Safety
    ///
    /// It must be an inner node of the writer's private tree, alive, and not otherwise borrowed.
    pub(crate) unsafe fn inner_mut<'a>(self) -> &'a mut Inner {
        debug_assert_eq!(self.kind(), INNER);
        // SAFETY: the caller guarantees a live private inner node nobody else borrows.
        unsafe { &mut *self.addr::<Inner>() }
    }

    /// The leaf this points to, for writing.
    ///
    /// # Safety
    ///
    /// As for [`inner_mut`](Self::inner_mut), for a leaf of these types.
    pub(crate) unsafe fn leaf_mut<'a, K, V>(self) -> &'a mut Leaf<K, V> {
        debug_assert_eq!(self.kind(), LEAF);
        // SAFETY: the caller guarantees a live private leaf nobody else borrows.
        unsafe { &mut *self.addr::<Leaf<K, V>>() }
    }

    /// The collision node this points to, for writing.
    ///
    /// # Safety
    ///
    /// As for [`inner_mut`](Self::inner_mut), for a collision node of these types.
    pub(crate) unsafe fn collision_mut<'a, K, V>(self) -> &'a mut Collision<K, V> {
        debug_assert!(!self.is_empty() && self.kind() == COLLISION);
        // SAFETY: the caller guarantees a live private collision node nobody else borrows.
        unsafe { &mut *self.addr::<Collision<K, V>>() }
    }

    /// The version that created the node (0 for an empty pointer).
    ///
    /// # Safety
    ///
    /// As for [`get`](Self::get).
    pub(crate) unsafe fn created<K, V>(self) -> u64 {
        // SAFETY: forwarded to the caller.
        match unsafe { self.get::<K, V>() } {
            Node::Empty => 0,
            Node::Inner(n) => n.created,
            Node::Leaf(n) => n.created,
            Node::Collision(n) => n.created,
        }
    }

    /// Asks the processor to fetch the node's first line (where the allocator keeps its own
    /// header, just before), so that freeing a run of cold nodes overlaps their misses.
    pub(crate) fn prefetch(self) {
        prefetch(self.addr::<u8>().wrapping_sub(16));
        prefetch(self.addr::<u8>());
    }

    /// Frees the node, and the entries it holds, but not its children.
    ///
    /// # Safety
    ///
    /// Nobody may use the node again: no live version reaches it, and no private tree links it.
    pub(crate) unsafe fn free<K, V>(self) {
        // SAFETY: the pointer came from `Box::into_raw` of a node of this kind, and the caller
        // guarantees this is its last use, so the box is rebuilt and dropped exactly once.
        unsafe {
            match self.kind() {
                _ if self.is_empty() => {}
                INNER => drop(Box::from_raw(self.addr::<Inner>())),
                LEAF => drop(Box::from_raw(self.addr::<Leaf<K, V>>())),
                _ => drop(Box::from_raw(self.addr::<Collision<K, V>>())),
            }
        }
    }
}

impl NodePtr {
    /// Drops the node's entries and keeps its allocation in `spares` for a later node of its
    /// kind (a collision node is freed), but not its children. `spares` is bounded later, when
    /// it is merged into the map's (see [`Spares::take_from`]).
    ///
    /// # Safety
    ///
    /// As for [`free`](Self::free).
    pub(crate) unsafe fn recycle<K, V>(self, spares: &mut Spares<K, V>) {
        if self.is_empty() {
            return;
        }
        match self.kind() {
            INNER => {
                // SAFETY: from `Box::into_raw` of an inner node, used for the last time (the
                // caller's promise); its children are plain pointers, nothing to drop.
                let spare = unsafe { Box::from_raw(self.addr::<MaybeUninit<Inner>>()) };
                spares.keep_inner(spare);
            }
            LEAF => {
                // SAFETY: from `Box::into_raw` of a leaf of these types, used for the last time;
                // `MaybeUninit` has its layout. Owned as uninitialized memory first, so that
                // if an entry's drop panics the allocation is still freed.
                let mut spare = unsafe { Box::from_raw(self.addr::<MaybeUninit<Leaf<K, V>>>()) };
                // SAFETY: the leaf is initialized and dropped once, here, through the box.
                unsafe { std::ptr::drop_in_place(spare.as_mut_ptr()) };
                spares.keep_leaf(spare);
            }
            // SAFETY: forwarded to the caller.
            _ => unsafe { self.free::<K, V>() },
        }
    }
}

/// Allocations of freed leaves and inner nodes, kept for the next nodes of their kind: a batch
/// that rewrites thousands of scattered leaves frees as many when its base version dies, and
/// the next batch allocates as many again, which the system allocator serves slowly (it splits
/// and merges free chunks of that size).
///
/// **Invariant: spares are bounded by the map's size**: at most one leaf per 64 entries and one
/// inner node per 2,048 (plus one of each), and at most [`Spares::BYTES`] per kind (and lists
/// of them of at most twice as many words), counted for the number of entries of the version
/// whose write or death gave them back. A map of many entries has a leaf per 24 entries or
/// fewer (about 16 on average) and an inner node per 4,096 entries or fewer, so its spares
/// stay under about a third of its own nodes. Within one write, or one version's death, the list may grow past the bound; it is
/// cut back when merged into the map's.
#[allow(
    clippy::vec_box,
    reason = "each box is a node's own allocation, handed out whole to make a node in"
)]
pub(crate) struct Spares<K, V> {
    leaves: Vec<Box<MaybeUninit<Leaf<K, V>>>>,
    inners: Vec<Box<MaybeUninit<Inner>>>,
}

impl<K, V> Spares<K, V> {
    /// The most memory spares of one kind keep.
    pub(crate) const BYTES: usize = 4 << 20;

    pub(crate) const fn new() -> Self {
        Self {
            leaves: Vec::new(),
            inners: Vec::new(),
        }
    }

    /// How many spare leaves and inner nodes a map of `entries` entries keeps at most.
    pub(crate) fn bounds(entries: usize) -> (usize, usize) {
        (
            (entries / 64 + 1).min((Self::BYTES / size_of::<Leaf<K, V>>()).max(1)),
            (entries / 2048 + 1).min(Self::BYTES / size_of::<Inner>()),
        )
    }

    /// The bytes the spares take, with the lists of them.
    pub(crate) fn bytes(&self) -> usize {
        self.leaves.len() * size_of::<Leaf<K, V>>()
            + self.inners.len() * size_of::<Inner>()
            + (self.leaves.capacity() + self.inners.capacity()) * size_of::<usize>()
    }

    /// Memory for a leaf: a spare one, or a new allocation.
    pub(crate) fn leaf(&mut self) -> Box<MaybeUninit<Leaf<K, V>>> {
        self.leaves.pop().unwrap_or_else(Box::new_uninit)
    }

    /// Memory for an inner node: a spare one, or a new allocation.
    pub(crate) fn inner(&mut self) -> Box<MaybeUninit<Inner>> {
        self.inners.pop().unwrap_or_else(Box::new_uninit)
    }

    /// Asks the processor to fetch, for writing, the spare leaf `ahead` places below the top
    /// of the list (the one the `ahead`-th next leaf made will take), if there is one.
    pub(crate) fn prefetch_leaf(&self, ahead: usize) {
        if let Some(spare) = self
            .leaves
            .len()
            .checked_sub(ahead + 1)
            .map(|i| &self.leaves[i])
        {
            let start: *const u8 = spare.as_ptr().cast();
            for line in (0..size_of::<Leaf<K, V>>()).step_by(64) {
                prefetch_write(start.wrapping_add(line));
            }
        }
    }

    fn keep_leaf(&mut self, spare: Box<MaybeUninit<Leaf<K, V>>>) {
        self.leaves.push(spare);
    }

    fn keep_inner(&mut self, spare: Box<MaybeUninit<Inner>>) {
        self.inners.push(spare);
    }

    /// Moves `other`'s spares here, freeing those beyond the bounds for a map of `entries`
    /// entries (see [`bounds`](Self::bounds)).
    pub(crate) fn take_from(&mut self, other: &mut Self, entries: usize) {
        /// Moves `from` into `into`, keeping at most `bound`; costs the shorter list's length,
        /// not the longer's (a write returns the whole list it took).
        fn merge<T>(into: &mut Vec<T>, from: &mut Vec<T>, bound: usize) {
            if from.len() > into.len() {
                std::mem::swap(into, from);
            }
            into.truncate(bound);
            let room = bound - into.len();
            into.extend(from.drain(..).take(room));
            from.clear();
        }
        let (leaves, inners) = Self::bounds(entries);
        merge(&mut self.leaves, &mut other.leaves, leaves);
        merge(&mut self.inners, &mut other.inners, inners);
        // The lists too: a map that shrank gives back what they grew to.
        if self.leaves.capacity() > 2 * leaves {
            self.leaves.shrink_to(leaves);
        }
        if self.inners.capacity() > 2 * inners {
            self.inners.shrink_to(inners);
        }
    }
}

/// 256 children, indexed by one byte of the hash.
#[repr(C)]
pub(crate) struct Inner {
    pub(crate) created: u64,
    pub(crate) children: [NodePtr; FANOUT],
}

impl Inner {
    /// An inner node with no children, created by version `created`, in `memory`.
    pub(crate) fn empty_in(mut memory: Box<MaybeUninit<Self>>, created: u64) -> Box<Self> {
        let raw = memory.as_mut_ptr();
        // SAFETY: `raw` points to memory for one `Inner`; both fields are written here, through
        // raw pointers, before `assume_init`.
        unsafe {
            (&raw mut (*raw).created).write(created);
            (&raw mut (*raw).children).write([NodePtr::EMPTY; FANOUT]);
            memory.assume_init()
        }
    }

    pub(crate) fn empty(created: u64) -> Box<Self> {
        Self::empty_in(Box::new_uninit(), created)
    }

    /// A copy of this node, created by version `created`, in `memory`: its children are shared,
    /// not copied.
    pub(crate) fn copy_in(&self, mut copy: Box<MaybeUninit<Self>>, created: u64) -> Box<Self> {
        let raw = copy.as_mut_ptr();
        // SAFETY: `raw` points to memory for one `Inner`; both fields are written here, through
        // raw pointers, before `assume_init` (a plain copy: `NodePtr` is `Copy`).
        unsafe {
            (&raw mut (*raw).created).write(created);
            (&raw mut (*raw).children).copy_from_nonoverlapping(&self.children, 1);
            copy.assume_init()
        }
    }

    /// The distinct children, each once however many slots point to it.
    pub(crate) fn distinct_children(&self) -> impl Iterator<Item = NodePtr> + '_ {
        let mut previous = NodePtr::EMPTY;
        self.children.iter().copied().filter(move |&child| {
            let new = !child.is_empty() && child != previous;
            previous = child;
            new
        })
    }
}

/// Up to [`LEAF_MAX`] entries in an open-addressed table with linear probing.
///
/// **Invariant: `tags[i] != 0` exactly when `slots[i]` holds an initialized entry**, and every
/// entry is reachable from its home slot (`tags[i] % 32`) without crossing an empty slot.
#[repr(C)]
pub(crate) struct Leaf<K, V> {
    pub(crate) created: u64,
    len: u8,
    /// How many bits of its parent's index all keys here share; see the module docs.
    pub(crate) depth: u8,
    tags: [u8; LEAF_SLOTS],
    slots: [MaybeUninit<(K, V)>; LEAF_SLOTS],
}

impl<K, V> Leaf<K, V> {
    /// An empty leaf of depth `depth`, created by version `created`, in `memory`.
    pub(crate) fn empty_in(
        mut memory: Box<MaybeUninit<Self>>,
        created: u64,
        depth: u8,
    ) -> Box<Self> {
        let raw = memory.as_mut_ptr();
        // SAFETY: `raw` points to memory for one `Leaf`; every field but the slots is written
        // here, through raw pointers, and the slots are `MaybeUninit`, valid uninitialized, so
        // the leaf is initialized (and empty: every tag is 0) at `assume_init`.
        unsafe {
            (&raw mut (*raw).created).write(created);
            (&raw mut (*raw).len).write(0);
            (&raw mut (*raw).depth).write(depth);
            (&raw mut (*raw).tags).write([0; LEAF_SLOTS]);
            memory.assume_init()
        }
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The slot holding `key`.
    #[inline(always)]
    pub(crate) fn find(&self, hash: u64, key: &K) -> Option<usize>
    where
        K: Eq,
    {
        let tag = tag(hash);
        let mut i = home(tag);
        // Ends: at most `LEAF_MAX` of the slots are full.
        loop {
            let t = self.tags[i];
            if t == tag {
                // SAFETY: a non-zero tag marks an initialized slot (the invariant above).
                let entry = unsafe { self.slots[i].assume_init_ref() };
                if entry.0 == *key {
                    return Some(i);
                }
            } else if t == 0 {
                return None;
            }
            i = (i + 1) % LEAF_SLOTS;
        }
    }

    /// The value for `key`.
    #[inline(always)]
    pub(crate) fn get(&self, hash: u64, key: &K) -> Option<&V>
    where
        K: Eq,
    {
        // SAFETY: `find` returns only slots holding an entry.
        self.find(hash, key)
            .map(|i| unsafe { &self.slots[i].assume_init_ref().1 })
    }

    /// Asks the processor to fetch the whole leaf: a write looks `hash` up in it and copies it.
    #[inline]
    pub(crate) fn prefetch(&self, hash: u64) {
        // The key's home slot first: the lookup needs it before the copy needs the rest.
        prefetch(self.tags.as_ptr());
        prefetch(self.slots[home(tag(hash))].as_ptr());
        let start: *const u8 = (self as *const Self).cast();
        for line in (0..size_of::<Self>()).step_by(64) {
            prefetch(start.wrapping_add(line));
        }
    }

    /// The entry in slot `i`, if it holds one.
    #[inline(always)]
    pub(crate) fn entry(&self, i: usize) -> Option<&(K, V)> {
        // SAFETY: a non-zero tag marks an initialized slot.
        (self.tags[i] != 0).then(|| unsafe { self.slots[i].assume_init_ref() })
    }

    /// The value in slot `i`, which must hold an entry.
    pub(crate) fn value_mut(&mut self, i: usize) -> &mut V {
        assert!(self.tags[i] != 0, "slot {i} is empty");
        // SAFETY: checked just above that the slot is initialized.
        unsafe { &mut self.slots[i].assume_init_mut().1 }
    }

    /// Adds an entry whose key is not here; there must be room (fewer than `LEAF_MAX` entries).
    pub(crate) fn push(&mut self, hash: u64, key: K, value: V) {
        self.put(tag(hash), (key, value));
    }

    /// The entries with their tags, each once: what [`put`](Self::put) takes to move them.
    pub(crate) fn tagged_entries(&self) -> impl Iterator<Item = (u8, &(K, V))> {
        self.full_indices().map(|i| {
            // SAFETY: a non-zero tag marks an initialized slot.
            (self.tags[i], unsafe { self.slots[i].assume_init_ref() })
        })
    }

    /// Adds an entry whose key is not here, under its tag; there must be a free slot.
    pub(crate) fn put(&mut self, tag: u8, entry: (K, V)) {
        assert!(self.len() < LEAF_SLOTS, "a leaf is full");
        // The first empty slot from the home slot on, wrapping: bit `j` of `empty` stands for
        // slot `home + j`.
        let home = home(tag);
        let empty = !self.full_slots().rotate_right(home as u32);
        let i = (home + empty.trailing_zeros() as usize) % LEAF_SLOTS;
        self.slots[i].write(entry);
        self.tags[i] = tag;
        self.len += 1;
    }

    /// Takes the entry out of slot `i`, which must hold one, and moves the entries after it back
    /// where their probes still reach them (backward-shift deletion: no tombstones).
    pub(crate) fn take(&mut self, i: usize) -> (K, V) {
        assert!(self.tags[i] != 0, "slot {i} is empty");
        // SAFETY: the slot is initialized (checked above); its tag is cleared right after, so it
        // is read out exactly once.
        let entry = unsafe { self.slots[i].assume_init_read() };
        self.tags[i] = 0;
        self.len -= 1;
        let mut hole = i;
        let mut j = (i + 1) % LEAF_SLOTS;
        while self.tags[j] != 0 {
            let home = home(self.tags[j]);
            // The entry at `j` may fill the hole if its probe passes the hole on its way to `j`:
            // the hole lies cyclically within `home..=j`.
            if (j + LEAF_SLOTS - home) % LEAF_SLOTS >= (j + LEAF_SLOTS - hole) % LEAF_SLOTS {
                // SAFETY: slot `j` is initialized (its tag is non-zero) and slot `hole` is not;
                // the entry moves from one to the other and the tags follow it.
                unsafe {
                    let moved = self.slots[j].assume_init_read();
                    self.slots[hole].write(moved);
                }
                self.tags[hole] = self.tags[j];
                self.tags[j] = 0;
                hole = j;
            }
            j = (j + 1) % LEAF_SLOTS;
        }
        entry
    }

    /// A copy with the same layout, created by version `created`, in `memory`. If a clone panics, what was
    /// copied so far is dropped and `self` is untouched.
    pub(crate) fn copy_in(&self, memory: Box<MaybeUninit<Self>>, created: u64) -> Box<Self>
    where
        K: Clone,
        V: Clone,
    {
        let mut copy = Leaf::empty_in(memory, created, self.depth);
        // Over the full slots only: a test of every slot's tag would be a branch the processor
        // guesses wrong about as often as right.
        for i in self.full_indices() {
            // SAFETY: a non-zero tag marks an initialized slot.
            let entry = unsafe { self.slots[i].assume_init_ref() };
            copy.slots[i].write(entry.clone());
            copy.tags[i] = self.tags[i];
            copy.len += 1;
        }
        copy
    }

    /// A mask of the full slots: bit `i` for slot `i`.
    #[inline]
    pub(crate) fn full_slots(&self) -> u32 {
        const _: () = assert!(LEAF_SLOTS == 32, "one bit per slot in a u32");
        // A full slot's tag has its top bit set and an empty one's is 0 (see `tag`): gather the
        // tags' top bits, eight at a time (the multiplication moves bit 7 of byte `j` to bit
        // `56 + j`, with no carries between them).
        let mut mask = 0;
        for (n, tags) in self.tags.chunks_exact(8).enumerate() {
            let word = u64::from_le_bytes(tags.try_into().expect("eight tags"));
            let top = (word & 0x8080_8080_8080_8080).wrapping_mul(0x0002_0408_1020_4081) >> 56;
            mask |= (top as u32) << (8 * n);
        }
        mask
    }

    /// The indices of the full slots, in order.
    #[inline]
    pub(crate) fn full_indices(&self) -> impl Iterator<Item = usize> + use<K, V> {
        let mut full = self.full_slots();
        std::iter::from_fn(move || {
            let i = (full != 0).then(|| full.trailing_zeros() as usize)?;
            full &= full - 1;
            Some(i)
        })
    }

    /// The entries, each once.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &(K, V)> {
        self.tagged_entries().map(|(_, entry)| entry)
    }

    /// Moves every entry out, leaving the leaf empty.
    pub(crate) fn drain(&mut self) -> Vec<(K, V)> {
        let mut entries = Vec::with_capacity(self.len());
        for i in self.full_indices() {
            self.tags[i] = 0;
            self.len -= 1;
            // SAFETY: the slot was initialized (its tag was non-zero) and its tag is now
            // cleared, so it is read out exactly once.
            entries.push(unsafe { self.slots[i].assume_init_read() });
        }
        entries
    }
}

impl<K, V> Drop for Leaf<K, V> {
    fn drop(&mut self) {
        // Without this test the mask would still be computed, reading the tags of a leaf that
        // is usually cold by then, only to drop nothing.
        if !std::mem::needs_drop::<(K, V)>() {
            return;
        }
        for i in self.full_indices() {
            // SAFETY: a non-zero tag marks an initialized slot, dropped once here.
            unsafe { self.slots[i].assume_init_drop() };
        }
    }
}

/// Entries whose hashes are equal in all 64 bits, more than a leaf holds.
pub(crate) struct Collision<K, V> {
    pub(crate) created: u64,
    pub(crate) entries: Vec<(K, V)>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The crate's property tests' settings: under Miri, fewer cases and no failure file
    /// (Miri isolates the file system).
    pub(crate) fn proptest_config() -> proptest::prelude::ProptestConfig {
        proptest::prelude::ProptestConfig {
            cases: if cfg!(miri) { 8 } else { 256 },
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        }
    }

    /// Hashes whose tags all share one home slot, so every probe runs into the others.
    fn crowded(i: u64) -> u64 {
        (i << 5) | 7
    }

    #[test]
    fn a_leaf_finds_what_it_holds_and_removes_without_losing_the_rest() {
        let mut leaf = Leaf::<u64, String>::empty_in(Box::new_uninit(), 1, 8);
        for i in 0..LEAF_MAX as u64 {
            leaf.push(crowded(i), i, i.to_string());
        }
        for i in 0..LEAF_MAX as u64 {
            assert_eq!(
                leaf.find(crowded(i), &i)
                    .map(|s| leaf.entry(s).unwrap().1.clone()),
                Some(i.to_string())
            );
        }
        assert_eq!(leaf.find(crowded(99), &99), None);
        for i in (0..LEAF_MAX as u64).step_by(3) {
            let slot = leaf.find(crowded(i), &i).unwrap();
            assert_eq!(leaf.take(slot), (i, i.to_string()));
        }
        for i in 0..LEAF_MAX as u64 {
            assert_eq!(leaf.find(crowded(i), &i).is_some(), i % 3 != 0, "key {i}");
        }
        let copy = leaf.copy_in(Box::new_uninit(), 2);
        assert_eq!(copy.len(), leaf.len());
        assert_eq!(copy.entries().count(), leaf.len());
        let mut drained = leaf.drain();
        drained.sort();
        assert_eq!(drained.len(), LEAF_MAX - LEAF_MAX.div_ceil(3));
        assert_eq!(leaf.len(), 0);
    }

    proptest::proptest! {
        #![proptest_config(proptest_config())]
        /// `full_slots` has a bit for exactly the slots holding an entry, and a copy holds the
        /// same entries in the same slots, whichever slots those are.
        #[test]
        fn full_slots_and_copies_match_the_tags(
            hashes in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..=LEAF_MAX),
            removed in proptest::collection::vec(proptest::prelude::any::<bool>(), LEAF_MAX),
        ) {
            let mut leaf = Leaf::<u64, String>::empty_in(Box::new_uninit(), 1, 8);
            for (key, &hash) in (0u64..).zip(&hashes) {
                leaf.push(hash, key, key.to_string());
            }
            for (key, &hash) in (0u64..).zip(&hashes) {
                if removed[key as usize] {
                    let slot = leaf.find(hash, &key).expect("pushed");
                    leaf.take(slot);
                }
            }
            let naive = (0..LEAF_SLOTS)
                .filter(|&i| leaf.entry(i).is_some())
                .fold(0u32, |mask, i| mask | 1 << i);
            proptest::prop_assert_eq!(leaf.full_slots(), naive);
            let copy = leaf.copy_in(Box::new_uninit(), 2);
            proptest::prop_assert_eq!(copy.len(), leaf.len());
            proptest::prop_assert_eq!(copy.tags, leaf.tags);
            for i in 0..LEAF_SLOTS {
                proptest::prop_assert_eq!(copy.entry(i), leaf.entry(i));
            }
        }
    }

    #[test]
    fn a_leaf_spans_an_aligned_block() {
        assert_eq!(span(77, 8), (77, 1));
        assert_eq!(span(77, 0), (0, 256));
        assert_eq!(span(77, 2), (64, 64));
        assert_eq!(index(0xAB00_0000_0000_00CD, 0), 0xAB);
        assert_eq!(index(0xAB00_0000_0000_00CD, 7), 0xCD);
    }
}
