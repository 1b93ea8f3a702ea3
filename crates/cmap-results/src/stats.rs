use serde::{Deserialize, Serialize};

/// Summary statistics of a few repeated measurements.
///
/// Medians, not means, are the figures to quote: a single descheduled repeat on a shared machine
/// moves a mean far more than a median.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// How many values.
    pub n: usize,
    /// The median (the mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// The arithmetic mean.
    pub mean: f64,
    /// The sample standard deviation (0 for one value).
    pub stddev: f64,
    /// `(max - min) / median`: how far apart the repeats are, relative to the figure quoted.
    pub relative_spread: f64,
}

impl Stats {
    /// Statistics of `values`, or `None` if there are none or any is not finite.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let variance = if n > 1 {
            sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let (min, max) = (sorted[0], sorted[n - 1]);
        let relative_spread = if median != 0.0 {
            (max - min) / median.abs()
        } else {
            0.0
        };
        Some(Self {
            n,
            median,
            min,
            max,
            mean,
            stddev: variance.sqrt(),
            relative_spread,
        })
    }
}
