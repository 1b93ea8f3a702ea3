//! The counters under the allocator installed: exact live bytes across threads, reallocations and
//! frees on another thread, and per-thread allocation calls.

use cmap_alloc::{CountingAlloc, is_installed, live_bytes, thread_allocations};
use libtest_mimic::{Arguments, Trial};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// The checks read process-wide totals, so nothing else may allocate while they run: libtest's
/// main thread does (its bookkeeping of a running test), so they run under libtest-mimic on the
/// main thread, one after another. `--list`, filters and `--exact` still work, for `cargo test`
/// and `cargo nextest` alike.
fn main() -> std::process::ExitCode {
    let mut args = Arguments::from_args();
    args.test_threads = Some(1);
    let checks: [(&str, fn()); 4] = [
        (
            "installed_allocator_is_detected",
            installed_allocator_is_detected,
        ),
        (
            "live_bytes_follow_allocations_reallocations_and_frees",
            live_bytes_follow_allocations_reallocations_and_frees,
        ),
        (
            "a_block_freed_on_another_thread_leaves_the_total_exact",
            a_block_freed_on_another_thread_leaves_the_total_exact,
        ),
        (
            "allocation_calls_are_counted_per_thread",
            allocation_calls_are_counted_per_thread,
        ),
    ];
    let trials = checks
        .into_iter()
        .map(|(name, check)| {
            Trial::test(name, move || {
                check();
                Ok(())
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit_code()
}

fn installed_allocator_is_detected() {
    assert!(is_installed());
}

fn live_bytes_follow_allocations_reallocations_and_frees() {
    let before = live_bytes();
    let mut v: Vec<u8> = Vec::with_capacity(1000);
    assert_eq!(live_bytes() - before, 1000);
    v.reserve_exact(3000);
    assert_eq!(live_bytes() - before, v.capacity() as i64);
    let zeroed = vec![0u64; 512];
    assert_eq!(live_bytes() - before, v.capacity() as i64 + 4096);
    drop(zeroed);
    drop(v);
    assert_eq!(live_bytes(), before);
}

fn a_block_freed_on_another_thread_leaves_the_total_exact() {
    let before = live_bytes();
    let blocks: Vec<Box<[u8; 256]>> = (0..64).map(|_| Box::new([0u8; 256])).collect();
    let outer_vec = blocks.capacity() * std::mem::size_of::<Box<[u8; 256]>>();
    assert_eq!(live_bytes() - before, (64 * 256 + outer_vec) as i64);
    // `join` waits for the thread to exit, thread-local destructors included. A scope end does
    // not: it returns once the closure's result is dropped, while the thread may still be freeing
    // its own handle, so a read right after it can see those bytes still live.
    std::thread::spawn(move || drop(blocks)).join().unwrap();
    assert_eq!(live_bytes(), before);
}

fn allocation_calls_are_counted_per_thread() {
    let before = thread_allocations();
    let boxes: Vec<Box<u64>> = (0..10).map(Box::new).collect();
    // Ten boxes and the vector holding them.
    assert!(thread_allocations() - before >= 11);
    drop(boxes);
    // A thread's 1000 allocations land in its own slot; the parent pays only for the spawn.
    let here = thread_allocations();
    let counted_there = std::thread::spawn(|| {
        let start = thread_allocations();
        let boxes: Vec<Box<u64>> = (0..1000).map(Box::new).collect();
        let n = thread_allocations() - start;
        drop(boxes);
        n
    })
    .join()
    .unwrap();
    assert!(counted_there >= 1000, "{counted_there}");
    let counted_here = thread_allocations() - here;
    assert!(
        counted_here < 100,
        "the spawning thread counted {counted_here}"
    );
}
