//! Medians, a seeded generator and the percentile bootstrap of a median.

use serde::{Deserialize, Serialize};

/// SplitMix64: a tiny generator that is deterministic given its seed.
///
/// The bootstrap needs reproducible resampling (the same rounds must always give the same
/// interval, or a report could not be checked), not cryptographic quality.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index in `0..n` (`n > 0`), by multiply-shift, which has no modulo bias worth
    /// speaking of for the small `n` used here.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A standard normal draw (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.next_f64(); // (0, 1], so the logarithm is finite
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// The median of `values` (the mean of the two middle values for an even count), or `None` if
/// there are none or any is not finite.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(median_of_sorted(&sorted))
}

fn median_of_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// A median with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The median of the sample.
    pub median: f64,
    /// The lower bound of the interval.
    pub lo: f64,
    /// The upper bound of the interval.
    pub hi: f64,
    /// How many values the estimate rests on.
    pub n: usize,
}

/// The median of `values` with its percentile-bootstrap confidence interval.
///
/// Resamples `values` with replacement `resamples` times, takes the median of each resample, and
/// returns the `(1 - confidence) / 2` and `(1 + confidence) / 2` quantiles of those medians. The
/// median (not the mean) is what is estimated because one descheduled round on a shared machine
/// moves a mean arbitrarily far and a median hardly at all. Deterministic given `seed`.
///
/// `None` if `values` is empty or holds a value that is not finite.
pub fn bootstrap_median(
    values: &[f64],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Option<Estimate> {
    let point = median(values)?;
    let n = values.len();
    let mut rng = SplitMix64::new(seed);
    let mut resample = vec![0.0; n];
    let mut medians = Vec::with_capacity(resamples.max(1));
    for _ in 0..resamples.max(1) {
        for slot in resample.iter_mut() {
            *slot = values[rng.below(n)];
        }
        resample.sort_by(f64::total_cmp);
        medians.push(median_of_sorted(&resample));
    }
    medians.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
    Some(Estimate {
        median: point,
        lo: quantile(&medians, tail),
        hi: quantile(&medians, 1.0 - tail),
        n,
    })
}

/// A bootstrap interval for the ratio of two medians from independent samples (`head / base`):
/// each resample draws both samples again, independently. Used where rounds are not paired
/// (baseline mode).
pub fn bootstrap_ratio_of_medians(
    head: &[f64],
    base: &[f64],
    resamples: usize,
    confidence: f64,
    seed: u64,
) -> Option<Estimate> {
    let point = median(head)? / median(base)?;
    if !point.is_finite() {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let mut draw = |sample: &[f64]| {
        let mut resample: Vec<f64> = (0..sample.len())
            .map(|_| sample[rng.below(sample.len())])
            .collect();
        resample.sort_by(f64::total_cmp);
        median_of_sorted(&resample)
    };
    let mut ratios: Vec<f64> = (0..resamples.max(1))
        .map(|_| draw(head) / draw(base))
        .collect();
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
    Some(Estimate {
        median: point,
        lo: quantile(&ratios, tail),
        hi: quantile(&ratios, 1.0 - tail),
        n: head.len().min(base.len()),
    })
}

/// The `q` quantile of sorted, non-empty `sorted`, interpolating linearly between ranks.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let below = pos.floor() as usize;
    let above = pos.ceil() as usize;
    let frac = pos - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn generator_is_deterministic_and_roughly_uniform() {
        let a: Vec<u64> = {
            let mut r = SplitMix64::new(7);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut r = SplitMix64::new(7);
            (0..4).map(|_| r.next_u64()).collect()
        };
        assert_eq!(a, b);
        let mut r = SplitMix64::new(1);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[r.below(10)] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
        let mean = (0..100_000).map(|_| r.normal()).sum::<f64>() / 100_000.0;
        assert!(mean.abs() < 0.02, "{mean}");
    }

    #[test]
    fn interval_brackets_the_median_and_narrows_with_more_data() {
        let mut rng = SplitMix64::new(3);
        let small: Vec<f64> = (0..8).map(|_| 1.0 + 0.05 * rng.normal()).collect();
        let large: Vec<f64> = (0..200).map(|_| 1.0 + 0.05 * rng.normal()).collect();
        let s = bootstrap_median(&small, 2000, 0.95, 1).unwrap();
        let l = bootstrap_median(&large, 2000, 0.95, 1).unwrap();
        assert!(s.lo <= s.median && s.median <= s.hi);
        assert!(l.lo <= l.median && l.median <= l.hi);
        assert!(l.hi - l.lo < s.hi - s.lo, "{s:?} {l:?}");
        assert!(l.lo < 1.0 && l.hi > 1.0, "{l:?}");
        assert_eq!(bootstrap_median(&small, 2000, 0.95, 1), Some(s));
    }

    #[test]
    fn interval_covers_the_true_median_about_95_percent_of_the_time() {
        // A coverage check: with 15 draws per sample, the nominal 95% interval of the median
        // should contain the true median (1.0) in roughly 90-99% of samples (the percentile
        // bootstrap of a median is a little conservative or liberal depending on n).
        let mut rng = SplitMix64::new(11);
        let trials = 400;
        let mut covered = 0;
        for t in 0..trials {
            let sample: Vec<f64> = (0..15).map(|_| 1.0 + 0.1 * rng.normal()).collect();
            let e = bootstrap_median(&sample, 1000, 0.95, t).unwrap();
            if e.lo <= 1.0 && 1.0 <= e.hi {
                covered += 1;
            }
        }
        let rate = covered as f64 / trials as f64;
        assert!((0.88..=0.995).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn ratio_of_medians_of_independent_samples() {
        let base = [100.0, 101.0, 99.0, 100.5, 99.5];
        let head = [80.0, 81.0, 79.0, 80.5, 79.5];
        let e = bootstrap_ratio_of_medians(&head, &base, 2000, 0.95, 5).unwrap();
        assert!((e.median - 0.8).abs() < 1e-9);
        assert!(e.lo > 0.77 && e.hi < 0.83, "{e:?}");
    }
}
