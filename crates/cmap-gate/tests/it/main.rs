//! The gate against a fake harness whose throughputs come from a known distribution: the
//! statistics, verdicts, re-measurement, reports, exports and exit codes, without timing noise.

mod ab;
mod baseline;
mod cli;
mod support;
