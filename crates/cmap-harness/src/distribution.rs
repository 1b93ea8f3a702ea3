//! Key distributions: which key each operation touches.
//!
//! All distributions draw *key ids* in `[0, key_space)`; [`crate::keys`] turns an id into a `u64`
//! or `String` key. Every thread draws from the whole key space, so threads collide on the same
//! keys as the clients of a real service do.

use cmap_results::Distribution;

use crate::rng::{Fnv1a, Rng};

/// Zipfian ranks in `[0, n)`: rank 0 is the most frequent, with probability proportional to
/// `1 / (rank + 1)^theta`.
///
/// This is the method of Gray et al., "Quickly generating billion-record synthetic databases"
/// (SIGMOD 1994), which YCSB uses: one O(n) sum (`zeta`) up front, then O(1) per sample.
#[derive(Debug, Clone)]
pub struct Zipf {
    n: u64,
    theta: f64,
    alpha: f64,
    zeta_n: f64,
    eta: f64,
    /// `1 + 0.5^theta`: the cumulative weight of ranks 0 and 1, normalized by rank 0's weight.
    two_ranks: f64,
}

impl Zipf {
    /// A generator over `n >= 1` ranks with constant `theta` in `(0, 1)`.
    pub fn new(n: u64, theta: f64) -> Self {
        assert!(n >= 1, "a zipfian distribution needs at least one key");
        assert!(
            theta > 0.0 && theta < 1.0,
            "zipfian theta must be in (0, 1), got {theta}"
        );
        let zeta = |count: u64| -> f64 { (1..=count).map(|i| 1.0 / (i as f64).powf(theta)).sum() };
        let zeta_n = zeta(n);
        let zeta_2 = zeta(2.min(n));
        let alpha = 1.0 / (1.0 - theta);
        let eta = if n > 1 {
            (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta_2 / zeta_n)
        } else {
            0.0
        };
        Self {
            n,
            theta,
            alpha,
            zeta_n,
            eta,
            two_ranks: 1.0 + 0.5f64.powf(theta),
        }
    }

    /// The skew constant.
    pub fn theta(&self) -> f64 {
        self.theta
    }

    /// One rank.
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        let u = rng.next_f64();
        let uz = u * self.zeta_n;
        if uz < 1.0 {
            return 0;
        }
        if uz < self.two_ranks {
            return 1.min(self.n - 1);
        }
        let rank = (self.n as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        rank.min(self.n - 1)
    }
}

/// A per-thread key drawer for one workload.
#[derive(Debug, Clone)]
pub struct KeyDrawer {
    kind: DrawKind,
    key_space: u64,
}

#[derive(Debug, Clone)]
enum DrawKind {
    Uniform,
    Zipfian {
        zipf: Zipf,
        scrambled: bool,
    },
    Hotspot {
        hot_keys: u64,
        hot_ops: f64,
    },
    /// Recency: the newest keys are the hottest. `frontier` estimates how many keys all threads
    /// have inserted so far; this thread's inserts take every `threads`-th key from it.
    Latest {
        zipf: Zipf,
        frontier: u64,
        threads: u64,
        thread: u64,
    },
    Sequential {
        next: u64,
    },
}

impl KeyDrawer {
    /// A drawer for thread `thread` of `threads`, over `key_space` keys of which the first
    /// `prefilled` are present before timing. `zipf` is shared work: pass the same precomputed
    /// table to every thread (see [`KeyDrawer::zipf_for`]).
    pub fn new(
        distribution: &Distribution,
        key_space: u64,
        prefilled: u64,
        thread: usize,
        threads: usize,
        zipf: Option<&Zipf>,
    ) -> Self {
        let kind = match *distribution {
            Distribution::Uniform => DrawKind::Uniform,
            Distribution::Zipfian { scrambled, .. } => DrawKind::Zipfian {
                zipf: zipf.expect("zipfian needs its table").clone(),
                scrambled,
            },
            Distribution::Hotspot { hot_keys, hot_ops } => DrawKind::Hotspot {
                hot_keys: ((hot_keys * key_space as f64).round() as u64).clamp(1, key_space),
                hot_ops,
            },
            Distribution::Latest { .. } => DrawKind::Latest {
                zipf: zipf.expect("latest needs its table").clone(),
                frontier: prefilled,
                threads: threads as u64,
                thread: thread as u64,
            },
            Distribution::Sequential => DrawKind::Sequential {
                next: key_space / threads.max(1) as u64 * thread as u64,
            },
        };
        Self { kind, key_space }
    }

    /// The zipfian table a distribution needs, computed once per workload, if any.
    pub fn zipf_for(distribution: &Distribution, key_space: u64) -> Option<Zipf> {
        match *distribution {
            Distribution::Zipfian { theta, .. } | Distribution::Latest { theta } => {
                Some(Zipf::new(key_space, theta))
            }
            _ => None,
        }
    }

    /// The key id for a read, update, remove, upsert or scan start.
    pub fn draw(&mut self, rng: &mut Rng) -> u64 {
        let n = self.key_space;
        match &mut self.kind {
            DrawKind::Uniform => rng.below(n),
            DrawKind::Zipfian { zipf, scrambled } => {
                let rank = zipf.sample(rng);
                if *scrambled {
                    // YCSB's ScrambledZipfianGenerator: hash the rank so the hot keys are spread
                    // over the key space instead of sitting together at its start.
                    Fnv1a::hash_u64(rank) % n
                } else {
                    rank
                }
            }
            DrawKind::Hotspot { hot_keys, hot_ops } => {
                if rng.next_f64() < *hot_ops || *hot_keys == n {
                    rng.below(*hot_keys)
                } else {
                    *hot_keys + rng.below(n - *hot_keys)
                }
            }
            DrawKind::Latest { zipf, frontier, .. } => {
                let rank = zipf.sample(rng) % n;
                (*frontier % n + n - 1 - rank) % n
            }
            DrawKind::Sequential { next } => {
                let id = *next % n;
                *next = next.wrapping_add(1);
                id
            }
        }
    }

    /// The key id for an insert. Under `latest`, inserts append new keys at the frontier (wrapping
    /// around the key space), as YCSB D does; elsewhere they draw like every other operation.
    pub fn draw_insert(&mut self, rng: &mut Rng) -> u64 {
        let n = self.key_space;
        match &mut self.kind {
            DrawKind::Latest {
                frontier,
                threads,
                thread,
                ..
            } => {
                // Thread t takes keys frontier + t, frontier + t + threads, ...: disjoint across
                // threads, and the frontier every thread sees advances by `threads` per insert.
                let id = (*frontier + *thread) % n;
                *frontier += *threads;
                id
            }
            _ => self.draw(rng),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(drawer: &mut KeyDrawer, n: u64, draws: usize) -> Vec<u64> {
        let mut rng = Rng::new(1);
        let mut counts = vec![0u64; n as usize];
        for _ in 0..draws {
            counts[drawer.draw(&mut rng) as usize] += 1;
        }
        counts
    }

    #[test]
    fn zipfian_is_skewed_like_zipf() {
        let n = 1000;
        let dist = Distribution::Zipfian {
            theta: 0.99,
            scrambled: false,
        };
        let zipf = KeyDrawer::zipf_for(&dist, n);
        let mut drawer = KeyDrawer::new(&dist, n, n, 0, 1, zipf.as_ref());
        let draws = 200_000;
        let counts = histogram(&mut drawer, n, draws);
        // With theta 0.99 over 1000 keys, rank 0 has probability 1/zeta(1000) ~ 0.134, rank 1 about
        // half of that, and the top 1% of keys take roughly 40% of the draws.
        let p0 = counts[0] as f64 / draws as f64;
        assert!((0.12..0.15).contains(&p0), "rank 0 got {p0}");
        let ratio = counts[0] as f64 / counts[1] as f64;
        assert!((1.8..2.2).contains(&ratio), "rank 0 / rank 1 = {ratio}");
        let top10: u64 = counts[..10].iter().sum();
        assert!(top10 as f64 / draws as f64 > 0.35);
        // Counts fall with rank.
        assert!(counts[0] > counts[10] && counts[10] > counts[500]);
    }

    #[test]
    fn scrambled_zipfian_keeps_the_skew_but_moves_the_hot_keys() {
        let n = 1000;
        let dist = Distribution::Zipfian {
            theta: 0.99,
            scrambled: true,
        };
        let zipf = KeyDrawer::zipf_for(&dist, n);
        let mut drawer = KeyDrawer::new(&dist, n, n, 0, 1, zipf.as_ref());
        let draws = 200_000;
        let counts = histogram(&mut drawer, n, draws);
        let hottest = (0..n as usize).max_by_key(|&i| counts[i]).unwrap();
        assert_eq!(hottest as u64, Fnv1a::hash_u64(0) % n);
        assert_ne!(hottest, 0);
        let max = counts[hottest] as f64 / draws as f64;
        assert!(max > 0.12, "hottest key got {max}");
    }

    #[test]
    fn uniform_is_flat() {
        let n = 100;
        let mut drawer = KeyDrawer::new(&Distribution::Uniform, n, n, 0, 1, None);
        let counts = histogram(&mut drawer, n, 100_000);
        // Expect 1000 per key, standard deviation about 31.
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn hotspot_sends_the_configured_share_to_the_hot_keys() {
        let n = 1000;
        let dist = Distribution::Hotspot {
            hot_keys: 0.2,
            hot_ops: 0.8,
        };
        let mut drawer = KeyDrawer::new(&dist, n, n, 0, 1, None);
        let draws = 100_000;
        let counts = histogram(&mut drawer, n, draws);
        let hot: u64 = counts[..200].iter().sum();
        let share = hot as f64 / draws as f64;
        assert!((0.79..0.81).contains(&share), "hot share {share}");
        // Within the hot set, flat.
        assert!(counts[..200].iter().all(|&c| (300..500).contains(&c)));
    }

    #[test]
    fn latest_favours_the_newest_keys_and_inserts_append() {
        let n = 10_000;
        let dist = Distribution::Latest { theta: 0.99 };
        let zipf = KeyDrawer::zipf_for(&dist, n);
        let mut drawer = KeyDrawer::new(&dist, n, 5000, 1, 2, zipf.as_ref());
        let mut rng = Rng::new(3);
        assert_eq!(drawer.draw_insert(&mut rng), 5001);
        assert_eq!(drawer.draw_insert(&mut rng), 5003);
        // The frontier is now 5004: the newest key, 5003, is the most likely read, with about
        // 1 / zeta(10000) ~ 10% of the draws.
        let mut newest = 0;
        let mut newest_100 = 0;
        let mut oldest_100 = 0;
        for _ in 0..10_000 {
            let id = drawer.draw(&mut rng);
            if id == 5003 {
                newest += 1;
            }
            if (4904..=5003).contains(&id) {
                newest_100 += 1;
            }
            // Ranks 4904 to 5003: as old as the key space allows before wrapping.
            if id < 100 {
                oldest_100 += 1;
            }
        }
        assert!(newest > 700, "newest key drawn {newest} times");
        // The newest 100 keys get about H(100) / H(10000) ~ 53% of the draws.
        assert!(
            (4500..6000).contains(&newest_100),
            "newest 100: {newest_100}"
        );
        assert!(oldest_100 * 20 < newest_100, "oldest 100: {oldest_100}");
    }

    #[test]
    fn sequential_walks_and_wraps_from_a_per_thread_start() {
        let mut drawer = KeyDrawer::new(&Distribution::Sequential, 10, 10, 1, 2, None);
        let mut rng = Rng::new(0);
        let ids: Vec<u64> = (0..7).map(|_| drawer.draw(&mut rng)).collect();
        assert_eq!(ids, [5, 6, 7, 8, 9, 0, 1]);
    }
}
