//! Integration tests of cmap-cow: the conformance suite for both maps, collision-heavy property
//! tests, memory reclamation, reads through the per-thread caches, and the promises made about
//! types.

mod collisions;
mod conformance;
mod memory;
mod reads;
mod types;

/// Hashers that make the trie's rare paths common.
pub mod hashers {
    use std::hash::{BuildHasher, Hasher};

    /// Hashes `k` to a mix of `k / group`, so every `group` consecutive keys share one full
    /// 64-bit hash and live in one collision list.
    #[derive(Debug, Clone, Copy)]
    pub struct Clumped {
        pub group: u64,
    }

    /// Hashes `k` to its bits in reverse: small keys differ only in high bits, so paths run many
    /// levels deep through single-child branches, down to the last level, before they part.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct HighBits;

    #[derive(Debug)]
    pub struct Fixed<F: Fn(u64) -> u64> {
        value: u64,
        map: F,
    }

    impl<F: Fn(u64) -> u64> Hasher for Fixed<F> {
        fn finish(&self) -> u64 {
            self.value
        }
        fn write(&mut self, _: &[u8]) {
            unreachable!("these hashers only take u64 keys")
        }
        fn write_u64(&mut self, n: u64) {
            self.value = (self.map)(n);
        }
    }

    fn mix(x: u64) -> u64 {
        let x = (x ^ (x >> 31)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^ (x >> 29)
    }

    impl BuildHasher for Clumped {
        type Hasher = Fixed<Box<dyn Fn(u64) -> u64>>;
        fn build_hasher(&self) -> Self::Hasher {
            let group = self.group;
            Fixed {
                value: 0,
                map: Box::new(move |k| mix(k / group)),
            }
        }
    }

    impl BuildHasher for HighBits {
        type Hasher = Fixed<fn(u64) -> u64>;
        fn build_hasher(&self) -> Self::Hasher {
            Fixed {
                value: 0,
                map: u64::reverse_bits,
            }
        }
    }
}

/// The global allocator counts, per thread, the bytes allocated minus the bytes freed, so a test
/// can measure what it holds while other tests run on other threads.
pub mod counting {
    #[global_allocator]
    static ALLOCATOR: cmap_alloc::ThreadCountingAlloc = cmap_alloc::ThreadCountingAlloc;

    /// Bytes allocated minus bytes freed by the calling thread so far.
    pub fn net_bytes() -> isize {
        cmap_alloc::thread_net_bytes() as isize
    }
}

/// Values that count themselves, so a test can see every version that still holds them, frees on
/// other threads included. Each test counts in its own counter: tests run side by side.
pub mod counted {
    use std::sync::atomic::{AtomicIsize, Ordering};

    #[derive(Debug)]
    pub struct Counted {
        pub n: u64,
        alive: &'static AtomicIsize,
    }

    impl Counted {
        pub fn new(n: u64, alive: &'static AtomicIsize) -> Self {
            alive.fetch_add(1, Ordering::Relaxed);
            Counted { n, alive }
        }
    }

    impl Clone for Counted {
        fn clone(&self) -> Self {
            Counted::new(self.n, self.alive)
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.alive.fetch_sub(1, Ordering::Relaxed);
        }
    }
}
