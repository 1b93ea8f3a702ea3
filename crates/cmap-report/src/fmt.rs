//! Number formatting shared by tables, charts and the CSV.
//!
//! Tables and charts round to a few significant digits because the repeats rarely agree beyond
//! that; the CSV keeps every digit (see `csv.rs`).

/// `v` rounded to `digits` significant digits, without an exponent.
pub(crate) fn sig(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() {
            "0".to_owned()
        } else {
            v.to_string()
        };
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let s = format!("{v:.decimals$}");
    // Rounding can carry into a new digit (9.996 -> "10.00"); drop the digit that became noise.
    let rounded: f64 = s.parse().unwrap_or(v);
    if decimals > 0 && rounded.abs().log10().floor() as i32 > magnitude {
        return format!("{v:.prec$}", prec = decimals - 1);
    }
    s
}

/// A tick label: like the figure formatters, but without the trailing zeros a table keeps to
/// show its precision (`40 M`, not `40.0 M`).
pub(crate) fn tick(label: String) -> String {
    let Some(dot) = label.find('.') else {
        return label;
    };
    let end = label[dot..]
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or(label.len(), |i| dot + i);
    let number = label[..end].trim_end_matches('0').trim_end_matches('.');
    format!("{number}{}", &label[end..])
}

/// A count or rate with an SI suffix: `12.35 M`, `850 k`, `12`.
pub(crate) fn si(v: f64, digits: i32) -> String {
    const UNITS: [(f64, &str); 4] = [(1e12, " T"), (1e9, " G"), (1e6, " M"), (1e3, " k")];
    for (scale, suffix) in UNITS {
        if v.abs() >= scale {
            return format!("{}{suffix}", sig(v / scale, digits));
        }
    }
    sig(v, digits)
}

/// A duration given in nanoseconds: `850 ns`, `1.23 µs`, `4.5 ms`, `2.1 s`.
pub(crate) fn duration_ns(ns: f64) -> String {
    const UNITS: [(f64, &str); 3] = [(1e9, " s"), (1e6, " ms"), (1e3, " µs")];
    for (scale, suffix) in UNITS {
        if ns.abs() >= scale {
            return format!("{}{suffix}", sig(ns / scale, 3));
        }
    }
    format!("{} ns", sig(ns, 3))
}

/// A byte count: `48.2 B`, `1.5 MiB`.
pub(crate) fn bytes(b: f64) -> String {
    const UNITS: [(f64, &str); 3] = [
        (1024.0 * 1024.0 * 1024.0, " GiB"),
        (1024.0 * 1024.0, " MiB"),
        (1024.0, " KiB"),
    ];
    for (scale, suffix) in UNITS {
        if b.abs() >= scale {
            return format!("{}{suffix}", sig(b / scale, 3));
        }
    }
    format!("{} B", sig(b, 3))
}

/// A signed percentage relative to a reference: `+2.8%`, `-1.2%`.
pub(crate) fn relative(v: f64, reference: f64) -> String {
    if reference == 0.0 {
        return "n/a".to_owned();
    }
    let pct = (v / reference - 1.0) * 100.0;
    let s = sig(pct, 2);
    if pct >= 0.0 {
        format!("+{s}%")
    } else {
        format!("{s}%")
    }
}

/// `1 thread`, `4 threads`.
pub(crate) fn threads(n: usize) -> String {
    if n == 1 {
        "1 thread".to_owned()
    } else {
        format!("{n} threads")
    }
}

/// A thousands-separated integer: `1,000,000`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A file-name-safe form of `name`: lowercase ASCII letters, digits and dashes.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "x".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(sig(12.3456, 4), "12.35");
        assert_eq!(sig(0.012345, 2), "0.012");
        assert_eq!(sig(123456.0, 3), "123456");
        assert_eq!(sig(9.996, 3), "10.0");
        assert_eq!(sig(-1.5, 2), "-1.5");
        assert_eq!(sig(0.0, 3), "0");
    }

    #[test]
    fn units() {
        assert_eq!(si(12_345_678.0, 4), "12.35 M");
        assert_eq!(si(850.0, 3), "850");
        assert_eq!(tick(si(40e6, 3)), "40 M");
        assert_eq!(tick(duration_ns(2500.0)), "2.5 µs");
        assert_eq!(tick("100".into()), "100");
        assert_eq!(duration_ns(850.0), "850 ns");
        assert_eq!(duration_ns(1234.0), "1.23 µs");
        assert_eq!(duration_ns(4_500_000.0), "4.50 ms");
        assert_eq!(bytes(48.25), "48.2 B");
        assert_eq!(bytes(1.5 * 1024.0 * 1024.0), "1.50 MiB");
        assert_eq!(relative(102.8, 100.0), "+2.8%");
        assert_eq!(relative(98.8, 100.0), "-1.2%");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(slug("Read-Heavy zipf/0.99"), "read-heavy-zipf-0-99");
    }
}
