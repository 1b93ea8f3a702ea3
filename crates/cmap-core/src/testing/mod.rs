//! The conformance suite: one macro call per map and configuration runs every check.
//!
//! ```ignore
//! // In a map crate's integration tests (the crate dev-depends on cmap-core with `testing`):
//! cmap_core::conformance_suite!(default_capacity, MyMap::<u64, u64>::with_capacity(0), [batch]);
//! cmap_core::conformance_suite!(presized, MyMap::<u64, u64>::with_capacity(1 << 12), [batch]);
//! ```
//!
//! The macro expands to a module of `#[test]` functions, one per check, so a failure names the
//! check and test runners can run them in parallel. The expression is evaluated afresh for each
//! map a check needs, and must produce a map with `u64` keys and values.
//!
//! Every map gets:
//! 1. [`check_model`]: random single-threaded sequences of every operation, compared step by step
//!    with `std::collections::HashMap` (proptest, shrinking to a minimal failing sequence).
//! 2. [`check_no_lost_upserts`] and [`check_no_lost_updates`]: threads increment a small shared
//!    key set; the final sum must be exact.
//! 3. [`check_disjoint_inserts_removes`]: exact final contents and `len` at quiescence.
//! 4. [`check_panic_safety`]: panics in user closures reach their caller, the map stays usable and
//!    consistent for everyone else, nothing deadlocks.
//!
//! Capabilities, listed in the brackets, add:
//! - `ordered` ([`Ordered`]): [`check_model_ordered`], the model test against a `BTreeMap` with
//!   range scans.
//! - `snapshots` ([`Snapshots`]): [`check_snapshot_model`] (every snapshot equals the model at the
//!   moment it was taken, forever), [`check_snapshot_prefix`] (while a writer inserts 0, 1, 2, ...
//!   every snapshot is a prefix with no holes and reads the same later) and
//!   [`check_snapshot_outlives_map`].
//! - `ordered_snapshots` ([`OrderedSnapshot`]): [`check_ordered_snapshot_model`].
//! - `batch` ([`Batch`]): [`check_bank`] (concurrent transfers in batches conserve the total) and
//!   [`check_batch_panic_is_atomic`].
//! - `snapshot_batch` (both): [`check_bank_snapshots`], the bank invariant seen through
//!   snapshots taken while transfers run.
//!
//! Each check is also a public function, so a test can run one alone, and the suite's own tests
//! assert that deliberately broken maps fail the checks meant to catch them.
//!
//! Every check runs under a deadline: a deadlock fails the test with a message instead of hanging.
//!
//! [`Ordered`]: crate::Ordered
//! [`Snapshots`]: crate::Snapshots
//! [`OrderedSnapshot`]: crate::OrderedSnapshot
//! [`Batch`]: crate::Batch

mod concurrent;
mod model;
mod reference;
mod snapshot;

use std::sync::Once;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

pub use concurrent::{
    check_disjoint_inserts_removes, check_no_lost_updates, check_no_lost_upserts,
    check_panic_safety,
};
pub use model::{
    check_batch_model, check_model, check_model_ordered, check_ordered_snapshot_model,
    check_snapshot_model,
};
pub use reference::ReferenceMap;
pub use snapshot::{
    check_bank, check_bank_snapshots, check_batch_panic_is_atomic, check_snapshot_outlives_map,
    check_snapshot_prefix,
};

/// Generates one `#[test]` per conformance check for a map. See the [module docs](self).
///
/// `conformance_suite!(name, map_expression, [capabilities])`, where the capabilities are any of
/// `ordered`, `snapshots`, `ordered_snapshots`, `batch` and `snapshot_batch`.
#[macro_export]
macro_rules! conformance_suite {
    ($name:ident, $factory:expr) => {
        $crate::conformance_suite!($name, $factory, []);
    };
    ($name:ident, $factory:expr, [$($capability:ident),* $(,)?]) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn model() {
                $crate::testing::check_model(|| $factory);
            }

            #[test]
            fn no_lost_upserts() {
                $crate::testing::check_no_lost_upserts(|| $factory);
            }

            #[test]
            fn no_lost_updates() {
                $crate::testing::check_no_lost_updates(|| $factory);
            }

            #[test]
            fn disjoint_inserts_removes() {
                $crate::testing::check_disjoint_inserts_removes(|| $factory);
            }

            #[test]
            fn panic_safety() {
                $crate::testing::check_panic_safety(|| $factory);
            }

            $( $crate::__conformance_capability!($capability, $factory); )*
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_capability {
    (ordered, $factory:expr) => {
        #[test]
        fn model_ordered() {
            $crate::testing::check_model_ordered(|| $factory);
        }
    };
    (snapshots, $factory:expr) => {
        #[test]
        fn snapshot_model() {
            $crate::testing::check_snapshot_model(|| $factory);
        }
        #[test]
        fn snapshot_prefix() {
            $crate::testing::check_snapshot_prefix(|| $factory);
        }
        #[test]
        fn snapshot_outlives_map() {
            $crate::testing::check_snapshot_outlives_map(|| $factory);
        }
    };
    (ordered_snapshots, $factory:expr) => {
        #[test]
        fn ordered_snapshot_model() {
            $crate::testing::check_ordered_snapshot_model(|| $factory);
        }
    };
    (batch, $factory:expr) => {
        #[test]
        fn batch_model() {
            $crate::testing::check_batch_model(|| $factory);
        }
        #[test]
        fn bank() {
            $crate::testing::check_bank(|| $factory);
        }
        #[test]
        fn batch_panic_is_atomic() {
            $crate::testing::check_batch_panic_is_atomic(|| $factory);
        }
    };
    (snapshot_batch, $factory:expr) => {
        #[test]
        fn bank_snapshots() {
            $crate::testing::check_bank_snapshots(|| $factory);
        }
    };
}

/// How long a check may run before it is declared deadlocked.
const DEADLINE: Duration = Duration::from_secs(120);

/// Scales a stress size down under miri, where every step is thousands of times slower.
pub(crate) const fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        if n / 200 > 4 { n / 200 } else { 4 }
    } else {
        n
    }
}

/// Runs `check` on its own thread and fails if it does not finish within [`DEADLINE`].
///
/// A panic inside `check` is re-raised with its message prefixed by the check's name, so the
/// failing assertion stays visible and says which check it belongs to.
pub(crate) fn with_deadline<F>(name: &str, check: F)
where
    F: FnOnce() + Send + 'static,
{
    let (done, finished) = mpsc::channel();
    let label = name.to_owned();
    let handle = thread::Builder::new()
        .name(format!("check {name}"))
        .spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(check));
            let _ = done.send(());
            if let Err(payload) = result {
                // Name the check in the message, whichever thread of it failed.
                let message = payload
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| payload.downcast_ref::<&str>().copied());
                match message {
                    Some(message) if !message.starts_with(label.as_str()) => {
                        panic!("{label}: {message}")
                    }
                    _ => std::panic::resume_unwind(payload),
                }
            }
        })
        .expect("spawning a check thread");
    match finished.recv_timeout(DEADLINE) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(payload) = handle.join() {
                std::panic::resume_unwind(payload);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: did not finish within {DEADLINE:?}: the map deadlocked or livelocked")
        }
    }
}

/// The payload of the panics the suite injects into user closures.
///
/// The suite's panic hook stays quiet for it, so test output shows only real failures.
#[derive(Debug)]
pub struct InjectedPanic;

/// Panics with [`InjectedPanic`].
pub fn injected_panic() -> ! {
    quiet_injected_panics();
    std::panic::panic_any(InjectedPanic)
}

fn quiet_injected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<InjectedPanic>().is_none() {
                previous(info);
            }
        }));
    });
}

/// A small deterministic generator: checks must not depend on a global RNG or on thread timing
/// for the keys they choose.
#[derive(Debug, Clone)]
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
