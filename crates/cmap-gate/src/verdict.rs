//! From an interval to a verdict, and from verdicts to an exit code.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::stats::Estimate;

/// Fewer rounds than this and a bootstrap interval means nothing: with 4 values there are only a
/// handful of distinct resample medians.
pub const MIN_ROUNDS: usize = 5;

/// What the gate concludes about one benchmark (or, combined, about a whole run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// No regression beyond the threshold is likely.
    Pass,
    /// The median ratio is beyond the threshold but the interval is not wholly beyond it: worth a
    /// look, not worth blocking a merge.
    Warn,
    /// The interval is too wide to tell "no change" from "a regression beyond the threshold".
    Inconclusive,
    /// The whole interval is beyond the threshold: a regression.
    Fail,
}

impl Verdict {
    /// The process exit code for this overall verdict: 0 pass or warn, 3 regression, 4
    /// inconclusive.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass | Verdict::Warn => 0,
            Verdict::Fail => 3,
            Verdict::Inconclusive => 4,
        }
    }

    /// The overall verdict of several: any fail fails, then any inconclusive, then any warn.
    /// An empty set passes.
    pub fn combine(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
        verdicts.into_iter().max().unwrap_or(Verdict::Pass)
    }

    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Fail => "FAIL",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Judges a throughput ratio `head / base` against `threshold`, the tolerated fractional slowdown
/// (0.10 tolerates 10%): a regression is a ratio below `1 - threshold`.
///
/// - fail: the whole interval is below `1 - threshold`;
/// - inconclusive: fewer than [`MIN_ROUNDS`] values, or the interval reaches both below
///   `1 - threshold` and above `1.0`, so the data fit "no change" and "a regression beyond the
///   threshold" alike;
/// - warn: the median is below `1 - threshold`;
/// - pass: otherwise.
///
/// Only the fail verdict blocks a merge, and it needs the whole interval, so noise alone (which
/// widens the interval) can make the gate inconclusive but hardly ever makes it fail.
pub fn judge(estimate: &Estimate, threshold: f64) -> Verdict {
    judge_with_min(estimate, threshold, MIN_ROUNDS)
}

/// [`judge`] with another minimum number of values (baseline mode has only a run's repeats).
pub fn judge_with_min(estimate: &Estimate, threshold: f64, min_values: usize) -> Verdict {
    let bound = 1.0 - threshold;
    if estimate.n < min_values {
        Verdict::Inconclusive
    } else if estimate.hi < bound {
        Verdict::Fail
    } else if estimate.lo < bound && estimate.hi > 1.0 {
        Verdict::Inconclusive
    } else if estimate.median < bound {
        Verdict::Warn
    } else {
        Verdict::Pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(lo: f64, median: f64, hi: f64) -> Estimate {
        Estimate {
            median,
            lo,
            hi,
            n: 15,
        }
    }

    #[test]
    fn verdicts_at_a_ten_percent_threshold() {
        assert_eq!(judge(&e(0.80, 0.83, 0.86), 0.10), Verdict::Fail);
        assert_eq!(judge(&e(0.85, 0.88, 0.91), 0.10), Verdict::Warn);
        assert_eq!(judge(&e(0.85, 0.95, 1.05), 0.10), Verdict::Inconclusive);
        assert_eq!(judge(&e(0.97, 1.00, 1.03), 0.10), Verdict::Pass);
        assert_eq!(judge(&e(0.91, 0.95, 0.99), 0.10), Verdict::Pass);
        // A large improvement is not a regression, however wide.
        assert_eq!(judge(&e(1.2, 1.5, 1.9), 0.10), Verdict::Pass);
    }

    #[test]
    fn too_few_rounds_is_inconclusive() {
        let mut few = e(0.5, 0.5, 0.5);
        few.n = MIN_ROUNDS - 1;
        assert_eq!(judge(&few, 0.10), Verdict::Inconclusive);
    }

    #[test]
    fn combine_and_exit_codes() {
        use Verdict::*;
        assert_eq!(Verdict::combine([Pass, Warn]), Warn);
        assert_eq!(Verdict::combine([Pass, Inconclusive, Warn]), Inconclusive);
        assert_eq!(Verdict::combine([Fail, Inconclusive]), Fail);
        assert_eq!(Verdict::combine([]), Pass);
        assert_eq!(
            [Pass, Warn, Fail, Inconclusive].map(Verdict::exit_code),
            [0, 0, 3, 4]
        );
    }
}
