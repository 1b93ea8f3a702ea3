//! `ThreadCountingAlloc`: each thread's own net bytes, exact while other threads allocate.

use cmap_alloc::{ThreadCountingAlloc, thread_net_bytes};

#[global_allocator]
static GLOBAL: ThreadCountingAlloc = ThreadCountingAlloc;

#[test]
fn a_thread_sees_exactly_its_own_bytes_while_others_allocate() {
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        // Another thread churns allocations the whole time.
        s.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                drop(std::hint::black_box(vec![0u8; 4096]));
            }
        });
        let before = thread_net_bytes();
        let mut v: Vec<u64> = Vec::with_capacity(100);
        assert_eq!(thread_net_bytes() - before, 800);
        v.reserve_exact(400);
        assert_eq!(thread_net_bytes() - before, 8 * v.capacity() as i64);
        let zeroed = vec![0u32; 1000];
        assert_eq!(thread_net_bytes() - before, 8 * v.capacity() as i64 + 4000);
        drop(zeroed);
        drop(v);
        assert_eq!(thread_net_bytes(), before);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}

#[test]
fn a_block_freed_elsewhere_counts_against_the_freeing_thread() {
    let before = thread_net_bytes();
    let block = Box::new([0u8; 1024]);
    assert_eq!(thread_net_bytes() - before, 1024);
    let freed_there = std::thread::spawn(move || {
        let start = thread_net_bytes();
        drop(block);
        thread_net_bytes() - start
    })
    .join()
    .unwrap();
    assert_eq!(freed_there, -1024);
}
