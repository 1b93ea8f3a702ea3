//! The method every result carries: what built the harness and what it ran on.

use std::time::{SystemTime, UNIX_EPOCH};

use cmap_results::Method;

/// The hasher every hash map is built with.
pub const HASHER: &str = "foldhash::fast::RandomState (cmap_core::DefaultHashBuilder)";

/// The global allocator of the `cmap` binary.
pub const ALLOCATOR: &str = "system malloc, wrapped by a counting allocator (per-thread counters)";

/// The git revision the harness was built from (`-dirty` when the checkout had changes), if the
/// source was a git checkout.
pub fn git_revision() -> Option<String> {
    let rev = env!("CMAP_GIT_REVISION");
    (!rev.is_empty()).then(|| rev.to_owned())
}

/// The method for a run starting now.
pub fn method(
    command_line: Vec<String>,
    seed: u64,
    machine: Option<String>,
    latency_sample_every: u32,
) -> Method {
    Method {
        command_line,
        seed,
        git_revision: git_revision(),
        cmap_version: env!("CARGO_PKG_VERSION").to_owned(),
        rustc_version: env!("CMAP_RUSTC_VERSION").to_owned(),
        profile: env!("CMAP_PROFILE").to_owned(),
        cpu_model: cpu_model(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        machine: machine.unwrap_or_else(hostname),
        os: os(),
        hasher: HASHER.to_owned(),
        allocator: ALLOCATOR.to_owned(),
        date: rfc3339_utc(SystemTime::now()),
        latency_sample_every,
    }
}

/// The CPU model as `/proc/cpuinfo` names it, or `unknown`.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name") || l.starts_with("Model"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn hostname() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

fn os() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| format!(" {}", s.trim()))
        .unwrap_or_default();
    format!(
        "{}{release} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// `time` as RFC 3339 in UTC, to the second: `2026-11-21T07:05:00Z`.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's `civil_from_days`: the proleptic Gregorian date of a day count since
/// 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        // 2000-02-29 (a leap day in a century leap year) 12:34:56.
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(951_827_696)),
            "2000-02-29T12:34:56Z"
        );
        assert_eq!(
            rfc3339_utc(UNIX_EPOCH + Duration::from_secs(4_102_444_799)),
            "2099-12-31T23:59:59Z"
        );
    }
}
