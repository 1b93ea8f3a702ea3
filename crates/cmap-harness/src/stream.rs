//! Operation streams: generated before timing, identical for every structure.
//!
//! For a workload, a seed and a thread count, [`generate`] produces one [`Op`] slice per thread.
//! Thread `t` draws from its own generator, seeded from the run's seed, the workload's name and
//! `t`, so the streams depend on nothing else: not on the structure, the machine or the order in
//! which points run. Their FNV-1a checksum is recorded in every point so anyone can verify that
//! two structures received identical loads.
//!
//! With dedicated writer threads (`--writers N`), threads `0..N` run only the write part of the
//! mix (insert, remove, update, upsert, renormalized to 100%) and the others only the read part
//! (get, scan, snapshot).

use cmap_results::{Mix, WorkloadSpec};

use crate::distribution::KeyDrawer;
use crate::rng::{Fnv1a, Rng, SplitMix64};

/// One operation, 16 bytes: the timed loop walks a slice of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `get` of a key id.
    Get(u64),
    /// `insert` of a key id.
    Insert(u64),
    /// `remove` of a key id.
    Remove(u64),
    /// `update` of a key id (no-op when absent).
    Update(u64),
    /// `upsert` of a key id.
    Upsert(u64),
    /// Range scan of up to `len` entries from the key id `from`.
    Scan {
        /// The first key id.
        from: u64,
        /// How many entries at most.
        len: u32,
    },
    /// Take a snapshot and iterate over it whole.
    Snapshot,
}

/// The kinds of operation, indexing per-kind histograms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// `get`.
    Get = 0,
    /// `insert`.
    Insert,
    /// `remove`.
    Remove,
    /// `update`.
    Update,
    /// `upsert`.
    Upsert,
    /// Range scan.
    Scan,
    /// Snapshot and iterate.
    Snapshot,
}

impl OpKind {
    /// Every kind, in index order.
    pub const ALL: [OpKind; 7] = [
        OpKind::Get,
        OpKind::Insert,
        OpKind::Remove,
        OpKind::Update,
        OpKind::Upsert,
        OpKind::Scan,
        OpKind::Snapshot,
    ];

    /// The name used in results (`get`, `insert`, ...).
    pub fn name(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Insert => "insert",
            OpKind::Remove => "remove",
            OpKind::Update => "update",
            OpKind::Upsert => "upsert",
            OpKind::Scan => "scan",
            OpKind::Snapshot => "snapshot",
        }
    }
}

impl Op {
    /// The kind of this operation.
    #[inline(always)]
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Get(_) => OpKind::Get,
            Op::Insert(_) => OpKind::Insert,
            Op::Remove(_) => OpKind::Remove,
            Op::Update(_) => OpKind::Update,
            Op::Upsert(_) => OpKind::Upsert,
            Op::Scan { .. } => OpKind::Scan,
            Op::Snapshot => OpKind::Snapshot,
        }
    }

    fn feed(&self, hash: &mut Fnv1a) {
        let (key, arg) = match *self {
            Op::Get(k) | Op::Insert(k) | Op::Remove(k) | Op::Update(k) | Op::Upsert(k) => (k, 0),
            Op::Scan { from, len } => (from, len),
            Op::Snapshot => (0, 0),
        };
        hash.write(&[self.kind() as u8]);
        hash.write(&key.to_le_bytes());
        hash.write(&arg.to_le_bytes());
    }
}

/// Every thread's stream for one workload and thread count.
#[derive(Debug, Clone)]
pub struct Streams {
    /// One stream per thread; writers first.
    pub threads: Vec<Vec<Op>>,
    /// Key ids inserted before timing, in insertion order.
    pub prefill: Vec<u64>,
    /// FNV-1a 64 of the prefill and every stream.
    pub checksum: u64,
}

impl Streams {
    /// The checksum as results record it: 16 hex digits.
    pub fn checksum_hex(&self) -> String {
        format!("{:016x}", self.checksum)
    }

    /// Heap bytes the streams occupy (they are excluded from every map's memory figures).
    pub fn heap_bytes(&self) -> usize {
        self.threads
            .iter()
            .map(|s| s.capacity() * std::mem::size_of::<Op>())
            .sum::<usize>()
            + self.prefill.capacity() * 8
    }
}

/// The part of `mix` a thread runs: all of it, only its writes, or only its reads.
fn role_mix(mix: &Mix, role: Role) -> Mix {
    match role {
        Role::Mixed => *mix,
        Role::Writer => Mix {
            insert: mix.insert,
            remove: mix.remove,
            update: mix.update,
            upsert: mix.upsert,
            ..Mix::default()
        },
        Role::Reader => Mix {
            read: mix.read,
            scan: mix.scan,
            snapshot: mix.snapshot,
            ..Mix::default()
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Mixed,
    Writer,
    Reader,
}

/// The key ids inserted before timing: `prefill * key_space` of them, `0..count`, in an order
/// scrambled by a multiplier coprime with the count, so no structure gets a sorted-insert best (or
/// worst) case.
pub fn prefill_ids(spec: &WorkloadSpec) -> Vec<u64> {
    let count = (spec.prefill * spec.key_space as f64).round() as u64;
    let count = count.min(spec.key_space);
    if count == 0 {
        return Vec::new();
    }
    let mut step = ((count as f64 * 0.618_033_988_75) as u64).max(1) | 1;
    while gcd(step, count) != 1 {
        step += 2;
    }
    (0..count)
        .map(|i| ((u128::from(i) * u128::from(step)) % u128::from(count)) as u64)
        .collect()
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Generates every thread's stream. `writers` threads (the first ones) run only writes.
pub fn generate(
    spec: &WorkloadSpec,
    seed: u64,
    threads: usize,
    writers: usize,
    ops_per_thread: u64,
) -> Streams {
    let prefill = prefill_ids(spec);
    let zipf = KeyDrawer::zipf_for(&spec.distribution, spec.key_space);
    let name_hash = {
        let mut h = Fnv1a::new();
        h.write(spec.name.as_bytes());
        h.finish()
    };
    let gen_one = |t: usize| -> Vec<Op> {
        let role = if writers == 0 {
            Role::Mixed
        } else if t < writers {
            Role::Writer
        } else {
            Role::Reader
        };
        let mix = role_mix(&spec.mix, role);
        let mut seeder = SplitMix64::new(seed ^ name_hash);
        for _ in 0..t {
            seeder.next_u64();
        }
        let mut rng = Rng::new(seeder.next_u64());
        let mut drawer = KeyDrawer::new(
            &spec.distribution,
            spec.key_space,
            prefill.len() as u64,
            t,
            threads,
            zipf.as_ref(),
        );
        let bounds = [
            mix.read,
            mix.insert,
            mix.remove,
            mix.update,
            mix.upsert,
            mix.scan,
            mix.snapshot,
        ];
        let total: u32 = bounds.iter().sum();
        let (scan_lo, scan_hi) = spec.scan_length;
        (0..ops_per_thread)
            .map(|_| {
                let mut pick = rng.below(u64::from(total.max(1))) as u32;
                let mut kind = 0;
                while kind < 6 && pick >= bounds[kind] {
                    pick -= bounds[kind];
                    kind += 1;
                }
                match OpKind::ALL[kind] {
                    OpKind::Get => Op::Get(drawer.draw(&mut rng)),
                    OpKind::Insert => Op::Insert(drawer.draw_insert(&mut rng)),
                    OpKind::Remove => Op::Remove(drawer.draw(&mut rng)),
                    OpKind::Update => Op::Update(drawer.draw(&mut rng)),
                    OpKind::Upsert => Op::Upsert(drawer.draw(&mut rng)),
                    OpKind::Scan => Op::Scan {
                        from: drawer.draw(&mut rng),
                        len: scan_lo + rng.below(u64::from(scan_hi - scan_lo) + 1) as u32,
                    },
                    OpKind::Snapshot => Op::Snapshot,
                }
            })
            .collect()
    };
    let streams: Vec<Vec<Op>> = {
        use rayon::prelude::*;
        (0..threads).into_par_iter().map(gen_one).collect()
    };
    let mut hash = Fnv1a::new();
    hash.write(&(prefill.len() as u64).to_le_bytes());
    for id in &prefill {
        hash.write(&id.to_le_bytes());
    }
    for stream in &streams {
        hash.write(&(stream.len() as u64).to_le_bytes());
        for op in stream {
            op.feed(&mut hash);
        }
    }
    Streams {
        threads: streams,
        prefill,
        checksum: hash.finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmap_results::{Distribution, KeyType};

    fn spec(mix: Mix) -> WorkloadSpec {
        WorkloadSpec {
            name: "t".into(),
            description: String::new(),
            mix,
            key_space: 10_000,
            prefill: 0.75,
            distribution: Distribution::Zipfian {
                theta: 0.99,
                scrambled: true,
            },
            key_type: KeyType::U64,
            value_size: 8,
            capacity_hint: true,
            scan_length: (1, 100),
        }
    }

    fn exchange() -> Mix {
        Mix {
            read: 10,
            insert: 40,
            remove: 40,
            update: 10,
            ..Mix::default()
        }
    }

    #[test]
    fn op_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Op>(), 16);
    }

    #[test]
    fn same_inputs_same_streams_and_checksum() {
        let a = generate(&spec(exchange()), 7, 2, 0, 5000);
        let b = generate(&spec(exchange()), 7, 2, 0, 5000);
        assert_eq!(a.threads, b.threads);
        assert_eq!(a.checksum, b.checksum);
        let c = generate(&spec(exchange()), 8, 2, 0, 5000);
        assert_ne!(a.checksum, c.checksum);
        assert_ne!(
            a.threads[0], a.threads[1],
            "threads must not replay one stream"
        );
        // Thread 0's stream does not depend on how many threads run beside it (for distributions
        // without per-thread state), so a sweep measures the same thread-0 load at every count.
        let d = generate(&spec(exchange()), 7, 1, 0, 5000);
        assert_eq!(d.threads[0], a.threads[0]);
    }

    #[test]
    fn mix_proportions_hold() {
        let s = generate(&spec(exchange()), 1, 1, 0, 100_000);
        let mut counts = [0usize; 7];
        for op in &s.threads[0] {
            counts[op.kind() as usize] += 1;
        }
        let share = |k: OpKind| counts[k as usize] as f64 / 100_000.0;
        assert!((share(OpKind::Get) - 0.10).abs() < 0.01);
        assert!((share(OpKind::Insert) - 0.40).abs() < 0.01);
        assert!((share(OpKind::Remove) - 0.40).abs() < 0.01);
        assert!((share(OpKind::Update) - 0.10).abs() < 0.01);
        assert_eq!(counts[OpKind::Scan as usize], 0);
    }

    #[test]
    fn writers_only_write_and_readers_only_read() {
        let s = generate(&spec(exchange()), 1, 3, 1, 10_000);
        assert!(s.threads[0].iter().all(|op| !matches!(op, Op::Get(_))));
        for reader in &s.threads[1..] {
            assert!(reader.iter().all(|op| matches!(op, Op::Get(_))));
        }
    }

    #[test]
    fn scans_respect_their_length_bounds() {
        let mut w = spec(Mix {
            scan: 100,
            ..Mix::default()
        });
        w.scan_length = (5, 9);
        let s = generate(&w, 1, 1, 0, 2000);
        let lens: Vec<u32> = s.threads[0]
            .iter()
            .map(|op| match op {
                Op::Scan { len, .. } => *len,
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(lens.iter().all(|l| (5..=9).contains(l)));
        assert!(lens.contains(&5) && lens.contains(&9));
    }

    #[test]
    fn prefill_is_a_permutation_of_the_first_ids() {
        let mut w = spec(exchange());
        w.key_space = 1000;
        let mut ids = prefill_ids(&w);
        assert_eq!(ids.len(), 750);
        assert_ne!(ids[..10], (0..10).collect::<Vec<_>>()[..], "not scrambled");
        ids.sort_unstable();
        assert_eq!(ids, (0..750).collect::<Vec<_>>());
    }
}
