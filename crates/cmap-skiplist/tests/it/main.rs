//! Integration tests of `SkipListMap`: the conformance suite, a raw `SkipMap` shown to fail the
//! snapshot checks, garbage collection, and reads racing writers.

mod collection;
mod conformance;
mod live_view;
mod races;
mod scans;
