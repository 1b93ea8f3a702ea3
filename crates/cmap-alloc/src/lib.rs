//! Counting global allocators.
//!
//! [`CountingAlloc`] delegates every call to the system allocator and counts bytes and calls on
//! the side. A binary, bench or test installs it with `#[global_allocator]`; the counters are read
//! with [`live_bytes`] and [`thread_allocations`], and code that runs without it installed sees
//! zeros ([`is_installed`] says which). It is the workspace's one `GlobalAlloc`: the `cmap` harness
//! reads bytes per entry and allocations per operation from it, and the memory benches and tests
//! of `cmap-cow` and `cmap-skiplist` compare live bytes before and after.
//!
//! ```
//! use cmap_alloc::CountingAlloc;
//!
//! #[global_allocator]
//! static GLOBAL: CountingAlloc = CountingAlloc;
//!
//! fn main() {
//!     assert!(cmap_alloc::is_installed());
//!     let before = cmap_alloc::live_bytes();
//!     let buffer = vec![0u8; 4096];
//!     assert_eq!(cmap_alloc::live_bytes() - before, 4096);
//!     drop(buffer);
//!     assert_eq!(cmap_alloc::live_bytes(), before);
//! }
//! ```
//!
//! # Why the counters are sharded
//!
//! A single global counter would be one cache line bounced between every thread that allocates,
//! which slows down precisely the maps that allocate per operation (papaya boxes every entry, the
//! skip lists allocate nodes) and would make the harness favour the others. Each thread instead
//! adds to its own cache-line-padded slot, picked once per thread; totals are sums over the slots,
//! read only outside the timed phase.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};

/// Counter slots; threads beyond this many share slots (the counts stay exact, only contention
/// returns).
const SLOTS: usize = 64;

#[repr(align(128))]
struct Slot {
    /// Bytes allocated minus bytes freed by the threads using this slot (negative when a thread
    /// frees what another allocated).
    live_bytes: AtomicI64,
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    allocations: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)] // Used only as an array initializer.
const EMPTY_SLOT: Slot = Slot {
    live_bytes: AtomicI64::new(0),
    allocations: AtomicU64::new(0),
};

static COUNTERS: [Slot; SLOTS] = [EMPTY_SLOT; SLOTS];
static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // A const-initialized `Cell` with no destructor lives in plain thread-local storage: reading
    // it never allocates, which matters because it is read from inside the allocator.
    static MY_SLOT: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn my_slot() -> &'static Slot {
    let index = MY_SLOT.with(|slot| {
        let mut index = slot.get();
        if index == usize::MAX {
            index = NEXT_SLOT.fetch_add(1, Ordering::Relaxed) % SLOTS;
            slot.set(index);
        }
        index
    });
    &COUNTERS[index]
}

/// The system allocator, with per-thread counts of live bytes and allocation calls.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAlloc;

/// What a counting allocator does beside forwarding each call to `System`.
trait Record {
    /// Called after a successful call: `added` bytes handed out, `removed` bytes given back, and
    /// whether the call counts as an allocation (`alloc`, `alloc_zeroed`, `realloc`). It must
    /// neither allocate nor unwind.
    fn record(added: usize, removed: usize, counts_as_allocation: bool);
}

/// Implements `GlobalAlloc` for a [`Record`] type by forwarding every call to `System`.
macro_rules! forward_to_system {
    ($alloc:ty) => {
        // SAFETY: every method forwards to `System` with the caller's arguments unchanged and
        // returns its result unchanged, so `System`'s guarantees carry over; `Record::record`
        // touches only atomics and const thread-locals, which neither allocate nor unwind.
        unsafe impl GlobalAlloc for $alloc {
            #[inline]
            unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
                // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System`
                // shares.
                let ptr = unsafe { System.alloc(layout) };
                if !ptr.is_null() {
                    <$alloc as Record>::record(layout.size(), 0, true);
                }
                ptr
            }

            #[inline]
            unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
                // SAFETY: as for `alloc`.
                let ptr = unsafe { System.alloc_zeroed(layout) };
                if !ptr.is_null() {
                    <$alloc as Record>::record(layout.size(), 0, true);
                }
                ptr
            }

            #[inline]
            unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
                // SAFETY: `ptr` was allocated by this allocator (so by `System`) with `layout`,
                // as the caller guarantees.
                unsafe { System.dealloc(ptr, layout) };
                <$alloc as Record>::record(0, layout.size(), false);
            }

            #[inline]
            unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
                // SAFETY: `ptr` and `layout` come from this allocator and `new_size` is valid, as
                // the caller guarantees; `System` has the same contract.
                let new = unsafe { System.realloc(ptr, layout, new_size) };
                if !new.is_null() {
                    <$alloc as Record>::record(new_size, layout.size(), true);
                }
                new
            }
        }
    };
}

impl Record for CountingAlloc {
    #[inline]
    fn record(added: usize, removed: usize, counts_as_allocation: bool) {
        let slot = my_slot();
        let delta = added as i64 - removed as i64;
        if delta != 0 {
            slot.live_bytes.fetch_add(delta, Ordering::Relaxed);
        }
        if counts_as_allocation {
            slot.allocations.fetch_add(1, Ordering::Relaxed);
        }
    }
}

forward_to_system!(CountingAlloc);

/// Bytes currently allocated through [`CountingAlloc`] by the whole process.
pub fn live_bytes() -> i64 {
    COUNTERS
        .iter()
        .map(|slot| slot.live_bytes.load(Ordering::Relaxed))
        .sum()
}

/// Allocation calls made so far by the threads sharing the calling thread's counter slot.
///
/// Read by a benchmark thread before and after its timed loop: the difference is what that thread
/// allocated, with no cross-thread race at the start or end of the timed phase.
pub fn thread_allocations() -> u64 {
    my_slot().allocations.load(Ordering::Relaxed)
}

/// Whether the running program counts allocations through [`CountingAlloc`].
pub fn is_installed() -> bool {
    let before = thread_allocations();
    let probe = std::hint::black_box(Box::new(0u64));
    drop(probe);
    thread_allocations() != before
}

thread_local! {
    // As `MY_SLOT`: const-initialized, no destructor, so reading it never allocates.
    static THREAD_NET_BYTES: Cell<i64> = const { Cell::new(0) };
}

/// The system allocator, counting exactly what each thread allocates minus what it frees, in a
/// plain thread-local cell.
///
/// Where [`CountingAlloc`] answers "how much does the process hold" for any number of threads,
/// this one answers "how much did *this* thread's work leave allocated" exactly, whatever other
/// threads do meanwhile: what a test needs that measures one map while other tests run beside it
/// in the same binary. A block freed on another thread than the one that allocated it is
/// counted against the freeing thread.
#[derive(Debug, Default, Clone, Copy)]
pub struct ThreadCountingAlloc;

impl Record for ThreadCountingAlloc {
    #[inline]
    fn record(added: usize, removed: usize, _counts_as_allocation: bool) {
        // During thread teardown the cell may be gone; those bytes belong to no measurement.
        let _ = THREAD_NET_BYTES.try_with(|net| net.set(net.get() + added as i64 - removed as i64));
    }
}

forward_to_system!(ThreadCountingAlloc);

/// Bytes allocated minus bytes freed by the calling thread so far, under [`ThreadCountingAlloc`].
pub fn thread_net_bytes() -> i64 {
    THREAD_NET_BYTES.with(Cell::get)
}
