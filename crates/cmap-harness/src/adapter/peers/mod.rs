//! Maps from other crates, one file each, measured beside ours (feature `peers`).
//!
//! Each adapter does what that map's users would write, with nothing added: no lookup before an
//! insert, no refresh after a write, and the map's own in-place update where it has one. Every
//! hash map is built with `cmap_core::DefaultHashBuilder`, so no comparison measures two hash
//! functions.

pub mod crossbeam;
pub mod dashmap;
pub mod papaya;
pub mod scc;
pub mod std_rwlock;
