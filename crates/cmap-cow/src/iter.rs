//! Iteration over a snapshot's trie without recursion or allocation.

use std::iter::FusedIterator;
use std::slice;

use crate::hamt::{MAX_DEPTH, Slot};

/// An iterator over the entries of a [`CowSnapshot`](crate::CowSnapshot), in the trie's order.
///
/// It borrows the snapshot, which keeps its version alive, so writers carry on while it runs and
/// it never sees their writes. It allocates nothing: its stack of positions is as deep as the
/// trie can be.
pub struct Iter<'a, K, V> {
    /// The unvisited rest of each node on the path from the root, `levels[..depth]`.
    levels: [slice::Iter<'a, Slot<K, V>>; MAX_DEPTH],
    depth: usize,
    /// The unvisited rest of the collision list being walked, if any.
    collision: slice::Iter<'a, (K, V)>,
    remaining: usize,
}

impl<'a, K, V> Iter<'a, K, V> {
    pub(crate) fn new(root: &'a [Slot<K, V>], len: usize) -> Self {
        let mut levels: [slice::Iter<'a, Slot<K, V>>; MAX_DEPTH] = Default::default();
        levels[0] = root.iter();
        Self {
            levels,
            depth: 1,
            collision: Default::default(),
            remaining: len,
        }
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some((k, v)) = self.collision.next() {
            self.remaining -= 1;
            return Some((k, v));
        }
        while self.depth > 0 {
            match self.levels[self.depth - 1].next() {
                None => self.depth -= 1,
                Some(Slot::Leaf(k, v)) => {
                    self.remaining -= 1;
                    return Some((k, v));
                }
                Some(Slot::Branch { slots, .. }) => {
                    self.levels[self.depth] = slots.iter();
                    self.depth += 1;
                }
                Some(Slot::Collision(entries)) => {
                    self.collision = entries.iter();
                    let (k, v) = self
                        .collision
                        .next()
                        .expect("collision lists are never empty");
                    self.remaining -= 1;
                    return Some((k, v));
                }
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<K, V> ExactSizeIterator for Iter<'_, K, V> {}

impl<K, V> FusedIterator for Iter<'_, K, V> {}

impl<K, V> Clone for Iter<'_, K, V> {
    fn clone(&self) -> Self {
        Self {
            levels: self.levels.clone(),
            depth: self.depth,
            collision: self.collision.clone(),
            remaining: self.remaining,
        }
    }
}

impl<K, V> std::fmt::Debug for Iter<'_, K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}
