//! The process's allocation counters and peak resident set size.
//!
//! The counting allocator itself is [`cmap_alloc::CountingAlloc`], which the `cmap` binary
//! installs as the global allocator; the library only reads the counters, so code that links the
//! library without installing it sees zeros ([`is_installed`] says which).

pub use cmap_alloc::{CountingAlloc, is_installed, live_bytes, thread_allocations};

/// Peak resident set size of the process (`VmHWM`), in bytes, where the OS reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak resident set size to the current size, where the OS allows it (Linux: writing
/// `5` to `/proc/self/clear_refs`), so the next [`peak_rss_bytes`] describes one repeat rather
/// than the whole process. Returns whether the reset happened.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
