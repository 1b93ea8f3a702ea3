//! Iteration over a snapshot's version without recursion or allocation.

use std::iter::FusedIterator;
use std::slice;

use crate::node::{FANOUT, Inner, LEVELS, Leaf, Node, span};

/// An iterator over the entries of a [`CowSnapshot`](crate::CowSnapshot), in the trie's order:
/// by the keys' hashes, top bits first, and within a leaf in the order of its slots.
///
/// It borrows the snapshot, which keeps its version alive, so writers carry on while it runs and
/// it never sees their writes. It allocates nothing: its stack of positions is as deep as the
/// trie can be.
pub struct Iter<'a, K, V> {
    /// The inner nodes on the path from the root, `path[..depth]`, each with the next of its
    /// slots to visit.
    path: [(Option<&'a Inner>, usize); LEVELS],
    depth: usize,
    /// The leaf being walked, and a mask of its full slots not yet visited.
    leaf: Option<(&'a Leaf<K, V>, u32)>,
    /// The rest of the collision node being walked, if any.
    collision: slice::Iter<'a, (K, V)>,
    remaining: usize,
}

impl<'a, K, V> Iter<'a, K, V> {
    pub(crate) fn new(root: &'a Inner, len: usize) -> Self {
        let mut path = [(None, 0); LEVELS];
        path[0] = (Some(root), 0);
        Self {
            path,
            depth: 1,
            leaf: None,
            collision: Default::default(),
            remaining: len,
        }
    }
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((leaf, full)) = &mut self.leaf {
                if *full != 0 {
                    let i = full.trailing_zeros() as usize;
                    *full &= *full - 1;
                    let (k, v) = leaf.entry(i).expect("the slot is full");
                    self.remaining -= 1;
                    return Some((k, v));
                }
                self.leaf = None;
            }
            if let Some((k, v)) = self.collision.next() {
                self.remaining -= 1;
                return Some((k, v));
            }
            if self.depth == 0 {
                return None;
            }
            let (node, next) = &mut self.path[self.depth - 1];
            let node = node.expect("every level on the path has a node");
            if *next == FANOUT {
                self.depth -= 1;
                continue;
            }
            let i = *next;
            // SAFETY: a child of a node of the snapshot's version, alive while the snapshot is
            // borrowed for `'a`, and never written again.
            match unsafe { node.children[i].get::<K, V>() } {
                Node::Empty => *next += 1,
                Node::Leaf(leaf) => {
                    // Every slot of the leaf's block points to it: skip them all.
                    let (start, size) = span(i, leaf.depth);
                    *next = start + size;
                    self.leaf = Some((leaf, leaf.full_slots()));
                }
                Node::Collision(c) => {
                    *next += 1;
                    self.collision = c.entries.iter();
                }
                Node::Inner(inner) => {
                    *next += 1;
                    self.path[self.depth] = (Some(inner), 0);
                    self.depth += 1;
                }
            }
        }
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
            path: self.path,
            depth: self.depth,
            leaf: self.leaf,
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
