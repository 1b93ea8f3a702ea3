//! The regression gate's test hook (feature `slowdown-knob`, off by default).
//!
//! Built with the feature, `cmap` reads `CMAP_SLOWDOWN_GET=<structure>:<percent>` at startup and
//! makes that structure's `get` do extra work: for every 100 points of `percent` accumulated, one
//! `get` looks its key up a second time (20 means every fifth `get`), counted per thread so the
//! knob itself adds no shared state. The gate's tests use it to check that a known slowdown is
//! caught. Without the feature this module reads nothing and every percentage is 0.

use crate::workload::InputError;

/// The environment variable read at startup.
pub const ENV: &str = "CMAP_SLOWDOWN_GET";

#[cfg(feature = "slowdown-knob")]
static KNOB: std::sync::OnceLock<Option<(String, u32)>> = std::sync::OnceLock::new();

/// Parses `structure:percent`.
pub fn parse(value: &str) -> Result<(String, u32), InputError> {
    let bad = || {
        InputError::new(
            ENV,
            format!("`{value}`; expected <structure>:<percent>, e.g. locked:20"),
        )
    };
    let (name, percent) = value.split_once(':').ok_or_else(bad)?;
    let percent: u32 = percent.trim().parse().map_err(|_| bad())?;
    if name.is_empty() || percent > 10_000 {
        return Err(bad());
    }
    Ok((name.to_owned(), percent))
}

/// Reads the environment once. Without the feature, does nothing.
pub fn init() -> Result<(), InputError> {
    #[cfg(feature = "slowdown-knob")]
    {
        let knob = match std::env::var(ENV) {
            Ok(v) if !v.is_empty() => Some(parse(&v)?),
            _ => None,
        };
        if let Some((name, percent)) = &knob {
            eprintln!("{ENV}: {name}'s get does {percent}% extra lookups (test build)");
        }
        let _ = KNOB.set(knob);
    }
    Ok(())
}

/// The extra `get` work for `structure`, in percent.
pub fn get_percent(structure: &str) -> u32 {
    #[cfg(feature = "slowdown-knob")]
    {
        if let Some(Some((name, percent))) = KNOB.get()
            && name == structure
        {
            return *percent;
        }
    }
    let _ = structure;
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_structure_and_percent() {
        assert_eq!(parse("locked:20").unwrap(), ("locked".to_owned(), 20));
        assert!(parse("locked").is_err());
        assert!(parse("locked:x").is_err());
        assert!(parse(":5").is_err());
    }
}
