//! Copy-on-write maps for read-mostly data: readers never wait, writers publish new versions.
#![warn(missing_docs)]

mod full_copy;
mod hamt;
mod iter;
mod map;

pub use full_copy::{FullCopyMap, FullCopySnapshot};
pub use iter::Iter;
pub use map::{CowMap, CowSnapshot};
