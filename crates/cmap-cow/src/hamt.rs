//! The persistent hash array mapped trie behind [`CowMap`](crate::CowMap).
//!
//! A node is a 32-bit bitmap plus an `Arc<[Slot]>` holding one slot per set bit, in bit order.
//! Level `d` indexes the node with bits `5d..5d+5` of the key's 64-bit hash (the last level uses
//! the 4 bits left). A slot is an entry stored inline, a child node, or a collision list of
//! entries whose hashes are equal in all 64 bits.
//!
//! The bitmap of a node lives in its parent's slot, next to the pointer, so a lookup touches one
//! cache line per level: the slot it indexes.
//!
//! # Writes
//!
//! Every mutation works on a [`Trie`] the caller owns and goes down through `Arc::make_mut`: a node
//! still shared with a published version (or a snapshot) is copied, a node this trie already owns
//! alone is edited in place. A single write therefore copies exactly the path to its entry, and a
//! batch of writes copies each node at most once and then edits its own copy.
//!
//! # Canonical form
//!
//! Every branch but the root holds at least two distinct hashes below it, and every entry sits at
//! the shallowest level where its hash prefix is its own. Removal restores this by lifting a lone
//! entry (or collision list) into its parent. The shape of a trie therefore depends only on the
//! set of keys it holds, never on the order of the writes that built it, which keeps lookups short
//! after heavy churn and lets the tests compare allocated bytes exactly.

use std::hash::{BuildHasher, Hash};
use std::sync::Arc;

/// Hash bits consumed per level.
const BITS: u32 = 5;
/// The deepest level a branch can be at: 13 levels of 5 bits cover 64 bits.
pub(crate) const MAX_DEPTH: usize = 13;

/// One version of the map: a root node, the number of entries below it, and how deep it goes.
#[derive(Debug)]
pub(crate) struct Trie<K, V> {
    /// Always a `Slot::Branch`: a lookup starts from it as from any slot it reaches.
    root: Slot<K, V>,
    len: usize,
    /// `branches[d]` counts the branches at level `d` (the root, at level 0, is not counted).
    branches: [u32; MAX_DEPTH],
    /// How many steps down every lookup takes before it checks whether it has arrived: enough
    /// for all but a small fraction of the entries. See [`Trie::descend`]. Kept equal to
    /// [`fixed_steps`] of `branches` and `len` after every write.
    steps: u32,
}

/// What a branch holds for one hash fragment.
#[derive(Debug)]
pub(crate) enum Slot<K, V> {
    /// One entry, stored inline so a lookup that reaches it needs no further pointer.
    Leaf(K, V),
    /// A child node one level down. Its fields are those of a `Branch`, written out so the
    /// enum's tag fits in the padding after the bitmap and a slot stays three words for `u64`
    /// entries.
    Branch {
        bitmap: u32,
        slots: Arc<[Slot<K, V>]>,
    },
    /// Two or more entries whose 64-bit hashes are all equal.
    Collision(Arc<[(K, V)]>),
}

impl<K, V> Trie<K, V> {
    pub(crate) fn new() -> Self {
        Self {
            root: Slot::Branch {
                bitmap: 0,
                slots: Arc::new([]),
            },
            len: 0,
            branches: [0; MAX_DEPTH],
            steps: 1,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The root's slots, where iteration starts.
    pub(crate) fn root_slots(&self) -> &[Slot<K, V>] {
        self.root().1
    }

    /// The root node's bitmap and slots.
    fn root(&self) -> (u32, &Arc<[Slot<K, V>]>) {
        match &self.root {
            Slot::Branch { bitmap, slots } => (*bitmap, slots),
            _ => unreachable!("the root is a branch"),
        }
    }

    /// The value for `key`, whose hash is `hash`.
    #[inline]
    pub(crate) fn get(&self, hash: u64, key: &K) -> Option<&V>
    where
        K: Eq,
    {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("popcnt") {
            // SAFETY: the processor has the instruction `get_popcnt` is compiled to use.
            return unsafe { self.get_popcnt(hash, key) };
        }
        self.descend(hash, key)
    }

    /// [`Trie::descend`] compiled to count a bitmap's bits with one instruction rather than a
    /// dozen, which shortens each step's chain of dependent instructions.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt")]
    fn get_popcnt(&self, hash: u64, key: &K) -> Option<&V>
    where
        K: Eq,
    {
        self.descend(hash, key)
    }

    /// The lookup proper.
    ///
    /// Its first `steps` steps down are taken whatever the key, and each chooses between going
    /// down and staying with a select, not a branch: which kind of slot a level holds (an entry
    /// or a child, close to even odds on the levels where most entries sit) does not steer the
    /// control flow. Only the few lookups still on a branch after them (one in 32 at most) go on
    /// with a loop. A processor therefore predicts a run of lookups correctly and overlaps their
    /// cache misses, instead of discarding its speculation at the level where each one ends.
    #[inline(always)]
    fn descend(&self, hash: u64, key: &K) -> Option<&V>
    where
        K: Eq,
    {
        let root = &self.root;
        // The slot the walk has reached, the root until its first step down.
        let mut reached = root;
        // Whether the walk is still going down: false once a step found no slot to go to.
        let mut live = true;
        let mut shift = 0;
        let mut step = |reached: &mut &Slot<K, V>, live: &mut bool| {
            let is_branch = matches!(reached, Slot::Branch { .. });
            // Read a branch's fields from the reached slot if it is one, else from the root (and
            // ignore them): a select of the address, not a branch on the slot's kind.
            let source = std::hint::select_unpredictable(is_branch, *reached, root);
            let (bitmap, first) = match source {
                Slot::Branch { bitmap, slots } => (*bitmap, slots.as_ptr()),
                // SAFETY: `source` is `reached` when that is a branch, else the root, a branch.
                _ => unsafe { std::hint::unreachable_unchecked() },
            };
            let bitmap = std::hint::select_unpredictable(*live & is_branch, bitmap, 0);
            let bit = bit(hash, shift);
            *live = bitmap & bit != 0;
            let candidate = first.wrapping_add(index(bitmap, bit));
            // SAFETY: `candidate` is chosen only when `live`, that is when the branch `source`
            // has a slot for `bit`, at `index(bitmap, bit)` of its `slots`, which `self` keeps
            // alive as long as the returned reference.
            *reached = unsafe {
                &*std::hint::select_unpredictable(*live, candidate, std::ptr::from_ref(*reached))
            };
            shift += BITS;
        };
        for _ in 0..self.steps {
            step(&mut reached, &mut live);
        }
        while live && matches!(reached, Slot::Branch { .. }) {
            step(&mut reached, &mut live);
        }
        match reached {
            Slot::Leaf(k, v) => (k == key).then_some(v),
            Slot::Collision(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Slot::Branch { .. } => None,
        }
    }

    /// Calls `f` on every entry, depth first in slot order, until it returns `false`. Returns
    /// whether it ran to the end.
    pub(crate) fn visit(&self, mut f: impl FnMut(&K, &V) -> bool) -> bool {
        fn walk<K, V>(slots: &[Slot<K, V>], f: &mut impl FnMut(&K, &V) -> bool) -> bool {
            slots.iter().all(|slot| match slot {
                Slot::Leaf(k, v) => f(k, v),
                Slot::Branch { slots, .. } => walk(slots, f),
                Slot::Collision(entries) => entries.iter().all(|(k, v)| f(k, v)),
            })
        }
        walk(self.root_slots(), &mut f)
    }
}

impl<K, V> Trie<K, V>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    /// Inserts `key` with `value`, returning the value it replaced.
    ///
    /// Nodes shared with other versions are copied on the way down; nodes this trie owns alone
    /// are edited in place. Every call to user code that may panic (hashing, comparing, cloning)
    /// happens before the slot it concerns is overwritten, so a panic leaves a valid trie.
    pub(crate) fn insert(&mut self, hasher: &impl BuildHasher, key: K, value: V) -> Option<V> {
        let hash = hasher.hash_one(&key);
        let (bitmap, slots) = root_mut(&mut self.root);
        let old = insert_into(
            bitmap,
            slots,
            0,
            hash,
            (key, value),
            hasher,
            &mut self.branches,
        );
        if old.is_none() {
            self.len += 1;
        }
        self.steps = fixed_steps(&self.branches, self.len);
        old
    }

    /// Removes `key`, returning its value. Copies nothing when `key` is absent.
    ///
    /// The value is cloned out of the node that held it: older versions may still share that node.
    pub(crate) fn remove(&mut self, hash: u64, key: &K) -> Option<V> {
        // Look first, so a miss neither copies a path nor publishes a version.
        self.get(hash, key)?;
        let (bitmap, slots) = root_mut(&mut self.root);
        let value = remove_from(bitmap, slots, 0, hash, key, &mut self.branches);
        self.len -= 1;
        self.steps = fixed_steps(&self.branches, self.len);
        Some(value)
    }

    /// A mutable reference to the value for `key`, copying the path to it. `None` (and no copy)
    /// when `key` is absent.
    pub(crate) fn get_mut(&mut self, hash: u64, key: &K) -> Option<&mut V> {
        self.get(hash, key)?;
        let (bitmap, slots) = root_mut(&mut self.root);
        Some(get_mut_in(*bitmap, slots, 0, hash, key))
    }
}

// A version is shared by cloning its `Arc`s: the root node is shared, not copied.
impl<K, V> Clone for Trie<K, V> {
    fn clone(&self) -> Self {
        Self {
            root: Slot::Branch {
                bitmap: self.root().0,
                slots: Arc::clone(self.root().1),
            },
            len: self.len,
            branches: self.branches,
            steps: self.steps,
        }
    }
}

/// The bitmap and slots of a trie's root, to write to.
fn root_mut<K, V>(root: &mut Slot<K, V>) -> (&mut u32, &mut Arc<[Slot<K, V>]>) {
    match root {
        Slot::Branch { bitmap, slots } => (bitmap, slots),
        _ => unreachable!("the root is a branch"),
    }
}

impl<K: Clone, V: Clone> Clone for Slot<K, V> {
    fn clone(&self) -> Self {
        match self {
            Slot::Leaf(k, v) => Slot::Leaf(k.clone(), v.clone()),
            Slot::Branch { bitmap, slots } => Slot::Branch {
                bitmap: *bitmap,
                slots: Arc::clone(slots),
            },
            Slot::Collision(entries) => Slot::Collision(Arc::clone(entries)),
        }
    }
}

/// How many steps a lookup takes unconditionally, given the branches per level and the number
/// of entries: the fewest after which at most one lookup in 32 still stands on a branch.
///
/// After `s` steps a lookup stands on a branch only if its key is below a branch of level `s`,
/// and each of those holds at least two entries; twice their count bounds the keys concerned.
/// A million random keys give 5 (a thousand, 3). Fewer steps would make the check that follows
/// them unpredictable; more would make every lookup walk in place for longer.
fn fixed_steps(branches: &[u32; MAX_DEPTH], len: usize) -> u32 {
    let rare = |&(_, &n): &(usize, &u32)| 2 * n as usize * 32 <= len;
    let level = branches.iter().enumerate().skip(1).find(rare);
    level.map_or(MAX_DEPTH, |(level, _)| level) as u32
}

/// The bit of `hash`'s fragment at `shift` in a node's bitmap.
#[inline]
fn bit(hash: u64, shift: u32) -> u32 {
    debug_assert!(shift < 64, "a branch below the last level");
    1 << ((hash >> shift) & 31)
}

/// Where the slot for `bit` sits: the number of present fragments below it.
#[inline]
fn index(bitmap: u32, bit: u32) -> usize {
    (bitmap & (bit - 1)).count_ones() as usize
}

/// A copy of `slots` with `slot` inserted at `at`, in one allocation.
fn inserted<K: Clone, V: Clone>(
    slots: &[Slot<K, V>],
    at: usize,
    slot: Slot<K, V>,
) -> Arc<[Slot<K, V>]> {
    // A chain of slice iterators knows its exact length, so `collect` allocates the `Arc` once.
    slots[..at]
        .iter()
        .cloned()
        .chain(std::iter::once(slot))
        .chain(slots[at..].iter().cloned())
        .collect()
}

/// A copy of `slots` without the slot at `at`, in one allocation.
fn removed<K: Clone, V: Clone>(slots: &[Slot<K, V>], at: usize) -> Arc<[Slot<K, V>]> {
    slots[..at]
        .iter()
        .chain(&slots[at + 1..])
        .cloned()
        .collect()
}

/// Inserts `key` and `value` below the node, counting the branches it creates in `branches`.
fn insert_into<K, V>(
    bitmap: &mut u32,
    slots: &mut Arc<[Slot<K, V>]>,
    shift: u32,
    hash: u64,
    (key, value): (K, V),
    hasher: &impl BuildHasher,
    branches: &mut [u32; MAX_DEPTH],
) -> Option<V>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    let bit = bit(hash, shift);
    let at = index(*bitmap, bit);
    if *bitmap & bit == 0 {
        *slots = inserted(slots, at, Slot::Leaf(key, value));
        *bitmap |= bit;
        return None;
    }
    // Decide what to do from a shared look first: splitting a leaf or extending a collision
    // builds a new slot, and copying the node before that would be wasted. All user code that
    // may panic (hashing, comparing) runs here, before anything is modified.
    let plan = match &slots[at] {
        Slot::Branch { .. } => Plan::Descend,
        Slot::Leaf(k, _) if *k == key => Plan::Descend,
        Slot::Leaf(k, _) => Plan::Split(hasher.hash_one(k)),
        Slot::Collision(entries) => {
            let other = hasher.hash_one(&entries[0].0);
            if other != hash {
                Plan::Split(other)
            } else {
                match entries.iter().position(|(k, _)| *k == key) {
                    Some(found) => Plan::Replace(found),
                    None => Plan::Extend,
                }
            }
        }
    };
    let new_slot = match (plan, &slots[at]) {
        (Plan::Descend, _) => {
            return match &mut Arc::make_mut(slots)[at] {
                Slot::Branch { bitmap, slots } => insert_into(
                    bitmap,
                    slots,
                    shift + BITS,
                    hash,
                    (key, value),
                    hasher,
                    branches,
                ),
                Slot::Leaf(_, v) => Some(std::mem::replace(v, value)),
                Slot::Collision(_) => unreachable!("collisions are planned for"),
            };
        }
        (Plan::Split(other), existing) => {
            let existing = existing.clone();
            join(
                shift + BITS,
                (existing, other),
                (Slot::Leaf(key, value), hash),
                branches,
            )
        }
        (Plan::Extend, Slot::Collision(entries)) => Slot::Collision(
            entries
                .iter()
                .cloned()
                .chain(std::iter::once((key, value)))
                .collect(),
        ),
        (Plan::Replace(found), Slot::Collision(entries)) => {
            let mut entries = Arc::clone(entries);
            let old = std::mem::replace(&mut Arc::make_mut(&mut entries)[found].1, value);
            Arc::make_mut(slots)[at] = Slot::Collision(entries);
            return Some(old);
        }
        (Plan::Extend | Plan::Replace(_), _) => unreachable!("planned for a collision list"),
    };
    Arc::make_mut(slots)[at] = new_slot;
    None
}

/// What [`insert_into`] does with an occupied slot.
enum Plan {
    /// Go down into the child node, or overwrite the value of the equal key stored here.
    Descend,
    /// Push the entry or collision list here, whose hash is given, down next to the new entry.
    Split(u64),
    /// Overwrite the value at this position of the collision list.
    Replace(usize),
    /// Append the new entry to the collision list.
    Extend,
}

/// The slot holding both `a` (hash `ha`) and `b` (hash `hb`), placed at the level of `shift`;
/// the branches it creates are counted in `branches`.
fn join<K, V>(
    shift: u32,
    (a, ha): (Slot<K, V>, u64),
    (b, hb): (Slot<K, V>, u64),
    branches: &mut [u32; MAX_DEPTH],
) -> Slot<K, V> {
    if ha == hb {
        // Only two single entries can meet with equal hashes: a collision list absorbs a new key
        // before it gets here.
        return match (a, b) {
            (Slot::Leaf(ka, va), Slot::Leaf(kb, vb)) => {
                Slot::Collision(Arc::new([(ka, va), (kb, vb)]))
            }
            _ => unreachable!("only leaves are joined on equal hashes"),
        };
    }
    branches[(shift / BITS) as usize] += 1;
    let (bit_a, bit_b) = (bit(ha, shift), bit(hb, shift));
    if bit_a == bit_b {
        let child = join(shift + BITS, (a, ha), (b, hb), branches);
        return Slot::Branch {
            bitmap: bit_a,
            slots: Arc::new([child]),
        };
    }
    let slots: Arc<[Slot<K, V>]> = if bit_a < bit_b {
        Arc::new([a, b])
    } else {
        Arc::new([b, a])
    };
    Slot::Branch {
        bitmap: bit_a | bit_b,
        slots,
    }
}

/// Removes `key`, which must be present below the node, and returns its value; the branches it
/// lifts away are uncounted from `branches`.
fn remove_from<K, V>(
    bitmap: &mut u32,
    slots: &mut Arc<[Slot<K, V>]>,
    shift: u32,
    hash: u64,
    key: &K,
    branches: &mut [u32; MAX_DEPTH],
) -> V
where
    K: Eq + Clone,
    V: Clone,
{
    let bit = bit(hash, shift);
    let at = index(*bitmap, bit);
    if let Slot::Leaf(_, v) = &slots[at] {
        let value = v.clone();
        *slots = removed(slots, at);
        *bitmap &= !bit;
        return value;
    }
    let slots = Arc::make_mut(slots);
    match &mut slots[at] {
        Slot::Branch {
            bitmap: child_bitmap,
            slots: child_slots,
        } => {
            let value = remove_from(child_bitmap, child_slots, shift + BITS, hash, key, branches);
            // A child left with one entry (or one collision list) no longer separates anything:
            // lift it here so the trie stays canonical.
            if child_slots.len() == 1 && !matches!(child_slots[0], Slot::Branch { .. }) {
                slots[at] = child_slots[0].clone();
                branches[((shift + BITS) / BITS) as usize] -= 1;
            }
            value
        }
        Slot::Collision(entries) => {
            let found = entries
                .iter()
                .position(|(k, _)| k == key)
                .expect("remove_from is only called for a present key");
            let value = entries[found].1.clone();
            if entries.len() == 2 {
                let (k, v) = entries[1 - found].clone();
                slots[at] = Slot::Leaf(k, v);
            } else {
                *entries = entries[..found]
                    .iter()
                    .chain(&entries[found + 1..])
                    .cloned()
                    .collect();
            }
            value
        }
        Slot::Leaf(..) => unreachable!("leaves are handled above"),
    }
}

/// The value of `key`, which must be present below the node, in a path this trie owns alone.
fn get_mut_in<'a, K, V>(
    bitmap: u32,
    slots: &'a mut Arc<[Slot<K, V>]>,
    shift: u32,
    hash: u64,
    key: &K,
) -> &'a mut V
where
    K: Eq + Clone,
    V: Clone,
{
    let at = index(bitmap, bit(hash, shift));
    match &mut Arc::make_mut(slots)[at] {
        Slot::Leaf(_, v) => v,
        Slot::Branch { bitmap, slots } => get_mut_in(*bitmap, slots, shift + BITS, hash, key),
        Slot::Collision(entries) => {
            let entries = Arc::make_mut(entries);
            let found = entries
                .iter()
                .position(|(k, _)| k == key)
                .expect("get_mut_in is only called for a present key");
            &mut entries[found].1
        }
    }
}

/// Counts of what a trie is made of, for the tests' structural checks.
#[cfg(test)]
#[derive(Debug, Default, PartialEq, Eq)]
struct Shape {
    branches: usize,
    leaves: usize,
    collisions: usize,
    depth: usize,
}

#[cfg(test)]
impl<K: Eq + Hash, V> Trie<K, V> {
    /// Walks the whole trie, asserting the invariants every operation must keep, and returns
    /// its shape.
    fn check(&self, hasher: &impl BuildHasher) -> Shape {
        #[allow(clippy::too_many_arguments)]
        fn walk<K: Eq + Hash, V>(
            bitmap: u32,
            slots: &[Slot<K, V>],
            is_root: bool,
            shift: u32,
            prefix: u64,
            hasher: &impl BuildHasher,
            (shape, branches): (&mut Shape, &mut [u32; MAX_DEPTH]),
        ) -> usize {
            assert_eq!(bitmap.count_ones() as usize, slots.len());
            if !is_root {
                let lone_entry = slots.len() == 1 && !matches!(slots[0], Slot::Branch { .. });
                assert!(!slots.is_empty() && !lone_entry, "a non-canonical branch");
            }
            shape.branches += 1;
            if !is_root {
                branches[(shift / BITS) as usize] += 1;
            }
            shape.depth = shape.depth.max(shift as usize / BITS as usize + 1);
            let mask = (1u64 << shift) - 1;
            let mut count = 0;
            let fragments = (0..32u64).filter(|f| bitmap & (1 << f) != 0);
            for (slot, fragment) in slots.iter().zip(fragments) {
                let prefix = prefix | (fragment << shift);
                let in_place = |k: &K| {
                    let h = hasher.hash_one(k);
                    assert_eq!(
                        h & (mask | 31 << shift),
                        prefix,
                        "an entry on the wrong path"
                    );
                    h
                };
                match slot {
                    Slot::Leaf(k, _) => {
                        in_place(k);
                        shape.leaves += 1;
                        count += 1;
                    }
                    Slot::Branch { bitmap, slots } => {
                        count += walk(
                            *bitmap,
                            slots,
                            false,
                            shift + BITS,
                            prefix,
                            hasher,
                            (&mut *shape, &mut *branches),
                        );
                    }
                    Slot::Collision(entries) => {
                        assert!(entries.len() >= 2, "a collision list of one");
                        let h = in_place(&entries[0].0);
                        for (i, (k, _)) in entries.iter().enumerate() {
                            assert_eq!(in_place(k), h, "a collision list with two hashes");
                            assert!(entries[..i].iter().all(|(other, _)| other != k));
                        }
                        shape.collisions += 1;
                        count += entries.len();
                    }
                }
            }
            count
        }
        let mut shape = Shape::default();
        let mut branches = [0; MAX_DEPTH];
        let count = walk(
            self.root().0,
            self.root().1,
            true,
            0,
            0,
            hasher,
            (&mut shape, &mut branches),
        );
        assert_eq!(branches, self.branches, "the branch counts are wrong");
        assert_eq!(count, self.len, "len disagrees with the entries");
        assert_eq!(self.steps, fixed_steps(&branches, self.len));
        shape
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasherDefault;

    use super::*;

    /// A hasher whose output is the key itself, so tests can place keys on chosen paths.
    #[derive(Default)]
    struct Identity(u64);

    impl std::hash::Hasher for Identity {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, _: &[u8]) {
            unreachable!("only u64 keys")
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }

    type ByValue = BuildHasherDefault<Identity>;

    fn trie(keys: impl IntoIterator<Item = u64>) -> Trie<u64, u64> {
        let mut trie = Trie::new();
        for k in keys {
            trie.insert(&ByValue::default(), k, k.wrapping_mul(10));
        }
        trie
    }

    #[test]
    fn slot_is_three_words_for_u64_entries() {
        // The memory figures in the crate docs assume an inline u64 entry costs one 24-byte slot.
        assert_eq!(std::mem::size_of::<Slot<u64, u64>>(), 24);
    }

    #[test]
    fn keys_sharing_a_prefix_go_down_one_level_per_shared_fragment() {
        // 0 and 1 << 20 agree on the first four fragments and differ in the fifth.
        let t = trie([0, 1 << 20]);
        let shape = t.check(&ByValue::default());
        assert_eq!(
            shape,
            Shape {
                branches: 5,
                leaves: 2,
                collisions: 0,
                depth: 5
            }
        );
        assert_eq!(t.get(0, &0), Some(&0));
        assert_eq!(t.get(1 << 20, &(1 << 20)), Some(&(10 << 20)));
        assert_eq!(t.get(1 << 25, &(1 << 25)), None);
    }

    #[test]
    fn the_last_level_uses_the_top_four_bits() {
        let (a, b) = (7, 7 | 1 << 63);
        let t = trie([a, b]);
        assert_eq!(t.check(&ByValue::default()).depth, MAX_DEPTH);
        assert_eq!(t.get(a, &a), Some(&70));
        assert_eq!(t.get(b, &b), Some(&b.wrapping_mul(10)));
    }

    #[test]
    fn removal_lifts_a_lone_entry_back_to_the_root() {
        let mut t = trie([0, 1 << 20, 5]);
        assert_eq!(t.remove(1 << 20, &(1 << 20)), Some(10 << 20));
        let shape = t.check(&ByValue::default());
        assert_eq!((shape.branches, shape.leaves), (1, 2), "{shape:?}");
    }

    #[test]
    fn the_shape_depends_only_on_the_keys() {
        let keys: Vec<u64> = (0..2000u64).map(|k| k.wrapping_mul(0x9E37_79B9)).collect();
        let direct = trie(keys.iter().copied().step_by(2));
        let mut churned = trie(keys.iter().copied().rev());
        for &k in keys.iter().skip(1).step_by(2) {
            assert_eq!(churned.remove(k, &k), Some(k * 10));
        }
        assert_eq!(
            churned.check(&ByValue::default()),
            direct.check(&ByValue::default())
        );
    }

    #[test]
    fn a_write_copies_one_path_and_shares_the_rest() {
        let before = trie(0..4096);
        let mut after = before.clone();
        after.insert(&ByValue::default(), 4096, 0);
        let shared = before
            .root()
            .1
            .iter()
            .zip(after.root().1.iter())
            .filter(|(a, b)| match (a, b) {
                (Slot::Branch { slots: a, .. }, Slot::Branch { slots: b, .. }) => Arc::ptr_eq(a, b),
                _ => false,
            })
            .count();
        assert_eq!(shared, 31, "all but the written child stay shared");
        assert!(!Arc::ptr_eq(before.root().1, after.root().1));
    }

    #[test]
    fn a_trie_it_owns_alone_is_edited_in_place() {
        let mut t = trie(0..4096);
        let root = Arc::as_ptr(t.root().1);
        t.insert(&ByValue::default(), 1, 0);
        *t.get_mut(2, &2).unwrap() = 5;
        assert_eq!(Arc::as_ptr(t.root().1), root, "the root was copied");
        assert_eq!((t.get(1, &1), t.get(2, &2)), (Some(&0), Some(&5)));
    }
}
