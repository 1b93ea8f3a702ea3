//! The cmap harness: identical mixed loads against every structure, and figures a sceptical
//! engineer can check.
//!
//! This library is what the `cmap` binary runs (`cmap run`, `cmap list`). It is a library so that
//! its parts (stream generation, the key distributions, the timed loop) can be tested on their
//! own.
//!
//! # Suites
//!
//! `cmap run` with no workload named runs a suite (`--suite`):
//!
//! - `default`: read-heavy, exchange and rapid-grow with uniform and zipfian keys, and ycsb-a, on
//!   every structure and peer at 1 and 2 threads, plus the frequency count; 524288 keys, 500000
//!   operations per thread, 3 repeats, about 4 minutes on 2 cores.
//! - `full`: the data for every chart `cmap report` draws, in one run: threads 1, 2 and 4;
//!   read-heavy, read-95, read-80, read-60 and exchange on uniform keys (identical but for the
//!   mix: throughput vs read ratio); read-heavy on zipfian keys with θ 0.5, 0.7, 0.9 and 0.99
//!   (`read-heavy-zipf-0.5`...; with read-heavy-uniform as θ = 0: throughput vs zipfian
//!   constant); snapshot-churn (5% snapshot-and-iterate, 5% get, 45% insert, 45% remove) on 16384
//!   keys, run by the snapshot-capable structures (snapshot iteration under writes); rapid-grow;
//!   ycsb-a; the frequency count. Same key space, operations and repeats as `default`; about 11
//!   minutes on 2 cores.
//!
//! Every other flag overrides what the suite sets (`--suite full --threads 1,2`);
//! `--workloads`, `--workload-file` or `--frequency-count` replace its workloads. The run prints
//! a time estimate before starting (counting structures that run into the per-repeat time limit
//! at the limit); `--dry-run` prints the resolved plan and the estimate and exits. A run writes
//! `results.json`, `results.csv` and `run-summary.md` into `--out` (`cmap report` writes its own
//! `summary.md`, so both can share a folder).
//!
//! # Method
//!
//! **Streams.** For each workload and thread count, every thread's operations are generated
//! before anything is timed ([`stream`]), from the run's seed, the workload's name and the thread's
//! index, with xoshiro256++ ([`rng`]). Keys come from the workload's distribution
//! ([`distribution`]: uniform; zipfian after Gray et al., scrambled with FNV as YCSB does; hotspot;
//! latest; sequential), over one key space shared by all threads, so threads collide on hot keys
//! as real clients do. The same streams are replayed against every structure, and their FNV-1a
//! checksum is recorded in each point: equal checksums prove equal loads.
//!
//! **The timed loop** ([`runner`]) walks a slice of 16-byte [`stream::Op`]s and calls the map
//! through an [`adapter::Adapter`], monomorphized per structure, key type and value size, so there
//! is no dynamic dispatch per operation. It makes no RNG call, touches no shared counter and
//! allocates nothing itself: `u64` keys are the ids, `String` keys are borrowed from a table built
//! before timing or (when the map must own them) taken from a per-thread pool of clones also built
//! before timing; values are fixed-size `Copy` payloads. Threads start together from a barrier and
//! each records its own start and end instants; a repeat's duration runs from the first start to
//! the last end.
//!
//! **What is not timed:** building and prefilling the map, generating streams and key pools,
//! creating histograms, spawning and joining threads, reading memory counters, dropping the map.
//!
//! **Latency** is sampled: one operation in `--latency-sample` (default 32) of each kind, starting
//! with each kind's first occurrence in the thread's stream (so a rare kind, such as a 5%
//! snapshot-and-iterate, is timed in every repeat), is timed with two `Instant::now()` calls and
//! recorded into the thread's own HdrHistogram for its kind; the others run with no timing code.
//! Which operations are timed is fixed before timing ([`runner::sample_schedule`]). Histograms are merged after the run, and each point reports p50, p90,
//! p99, p99.9, p99.99 and max per operation kind, plus `all` (every sampled operation).
//!
//! **Overhead.** The same loop run against a map that does nothing ([`adapter::null`]) measures
//! what the harness itself costs per operation, and the cost of one timed sample; both are in
//! `Results::harness_overhead`, measured on the first workload's single-thread stream with `u64`
//! keys and the run's sampling rate (so it includes the amortized cost of sampling). Every
//! throughput includes that loop cost. The cost depends on the mix: a mix of several operation
//! kinds in random order costs the loop a mispredicted branch on most operations, as it would any
//! program dispatching such a mix; `--structures null,...` adds the null map as a point of every
//! workload, which shows the ceiling the harness can drive for each.
//!
//! **Code generation.** Each structure's operations are inlined into its own copy of the timed
//! loop, so the machine code around each map's code differs, and that alone moves ratios
//! between structures, consistently from build to build. Measured by building the harness a second
//! way, with the per-operation dispatch (`runner::exec`) kept out of the loop as one call
//! (`#[inline(never)]`; not how it is built), and running both builds in turn, twice each: `cmap
//! run --workloads read-heavy,exchange,rapid-grow --distribution uniform --structures
//! locked,sharded,dashmap,papaya,scc,cow --keys 1048576 --ops 1000000 --time-limit 5 --threads 1
//! --repeats 5`. Ratios to dashmap, inlined then called: sharded on exchange 0.88 and 0.93 against
//! 0.94 and 0.99, on read-heavy 0.99 and 0.98 against 1.10 and 1.04; locked on read-heavy 1.04 and
//! 1.04 against 1.34 and 1.40; papaya on read-heavy 0.57 and 0.48 against 0.71 and 0.67; sharded on
//! rapid-grow moved less (0.78 and 0.80 against 0.73 and 0.75). So at one thread, a difference of
//! 10% between two structures, sometimes more, can come from code generation rather than from the
//! structures; a difference that holds across workloads, thread counts and builds is one to trust.
//!
//! **Memory** ([`alloc`]): the `cmap` binary's global allocator counts live bytes and allocation
//! calls in per-thread, cache-padded slots. A map's bytes are the live bytes after it was built and
//! prefilled (or at the end of the timed phase) minus the live bytes just before it was built;
//! streams, key tables and histograms exist before that point or are measured and subtracted, and
//! unused pooled keys are freed before the final reading, so they never count as the map's.
//! Allocations per operation are counted by each thread for itself during the timed loop. Peak RSS
//! is `VmHWM` from `/proc/self/status`, reset before each repeat where Linux allows.
//!
//! **Repeats.** Each point runs `--repeats` times, structures taking turns within each round; every
//! repeat is kept, the summary holds medians and spread, and a point whose relative spread exceeds
//! `--noise-threshold` is flagged and warned about. Ratios are to the `locked` baseline at the same
//! workload and thread count.
//!
//! **Capabilities.** A workload with range scans runs only on ordered structures, one with
//! snapshots only on snapshot-capable ones; the others are listed in `Results::skipped` with the
//! reason, never faked.
#![warn(missing_docs)]

pub mod adapter;
pub mod alloc;
pub mod cli;
pub mod distribution;
pub mod freq;
pub mod keys;
pub mod meta;
pub mod output;
pub mod registry;
pub mod rng;
pub mod runner;
pub mod slowdown;
pub mod stream;
pub mod suite;
pub mod workload;
