//! Workloads: the presets, custom workloads from TOML files, and validation.
//!
//! A workload is a [`WorkloadSpec`] (from `cmap-results`, so the exact load travels with every
//! result): an operation mix, a key space, a prefill fraction, a key distribution, key and value
//! types, and whether maps are presized. Presets fix the mix and prefill; the command line fills in
//! the rest.

use std::fmt;
use std::path::Path;

use cmap_results::{Distribution, KeyType, Mix, WorkloadSpec};
use serde::Deserialize;

/// A named operation mix with its prefill, as published by the benchmark it comes from.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The name used on the command line.
    pub name: &'static str,
    /// Where it comes from and what it models.
    pub description: &'static str,
    /// The operation mix.
    pub mix: Mix,
    /// The fraction of the key space present before timing.
    pub prefill: f64,
    /// Whether maps may be presized. `rapid-grow` measures growth, so it never presizes.
    pub capacity_hint: bool,
    /// The distribution the preset is defined with, when it has one (YCSB fixes its own).
    pub native_distribution: Option<Distribution>,
}

const fn mix(read: u32, insert: u32, remove: u32, update: u32, upsert: u32, scan: u32) -> Mix {
    Mix {
        read,
        insert,
        remove,
        update,
        upsert,
        scan,
        snapshot: 0,
    }
}

const YCSB_ZIPF: Distribution = Distribution::Zipfian {
    theta: 0.99,
    scrambled: true,
};

/// Every preset, in the order `cmap list` prints them.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "read-heavy",
        description: "98% get, 1% insert, 1% remove; 75% prefilled (conc-map-bench)",
        mix: mix(98, 1, 1, 0, 0, 0),
        prefill: 0.75,
        capacity_hint: true,
        native_distribution: None,
    },
    Preset {
        name: "exchange",
        description: "10% get, 40% insert, 40% remove, 10% update; 75% prefilled (conc-map-bench)",
        mix: mix(10, 40, 40, 10, 0, 0),
        prefill: 0.75,
        capacity_hint: true,
        native_distribution: None,
    },
    Preset {
        name: "rapid-grow",
        description: "5% get, 80% insert, 5% remove, 10% update; empty start, never presized",
        mix: mix(5, 80, 5, 10, 0, 0),
        prefill: 0.0,
        capacity_hint: false,
        native_distribution: None,
    },
    Preset {
        name: "ycsb-a",
        description: "YCSB A, update heavy: 50% get, 50% update; zipfian",
        mix: mix(50, 0, 0, 50, 0, 0),
        prefill: 1.0,
        capacity_hint: true,
        native_distribution: Some(YCSB_ZIPF),
    },
    Preset {
        name: "ycsb-b",
        description: "YCSB B, read mostly: 95% get, 5% update; zipfian",
        mix: mix(95, 0, 0, 5, 0, 0),
        prefill: 1.0,
        capacity_hint: true,
        native_distribution: Some(YCSB_ZIPF),
    },
    Preset {
        name: "ycsb-c",
        description: "YCSB C, read only: 100% get; zipfian",
        mix: mix(100, 0, 0, 0, 0, 0),
        prefill: 1.0,
        capacity_hint: true,
        native_distribution: Some(YCSB_ZIPF),
    },
    Preset {
        name: "ycsb-d",
        description: "YCSB D, read latest: 95% get, 5% insert of new keys; latest distribution",
        mix: mix(95, 5, 0, 0, 0, 0),
        prefill: 0.5,
        capacity_hint: true,
        native_distribution: Some(Distribution::Latest { theta: 0.99 }),
    },
    Preset {
        name: "ycsb-e",
        description: "YCSB E, short ranges: 95% range scan (1-100 keys), 5% insert; zipfian; ordered maps only",
        mix: mix(0, 5, 0, 0, 0, 95),
        prefill: 1.0,
        capacity_hint: true,
        native_distribution: Some(YCSB_ZIPF),
    },
    Preset {
        name: "ycsb-f",
        description: "YCSB F, read-modify-write: 50% get, 50% upsert; zipfian",
        mix: mix(50, 0, 0, 0, 50, 0),
        prefill: 1.0,
        capacity_hint: true,
        native_distribution: Some(YCSB_ZIPF),
    },
    Preset {
        name: "snapshot-churn",
        description: "5% snapshot-and-iterate, 5% get, 45% insert, 45% remove; 50% prefilled; \
                      snapshot-capable maps only",
        mix: Mix {
            read: 5,
            insert: 45,
            remove: 45,
            update: 0,
            upsert: 0,
            scan: 0,
            snapshot: 5,
        },
        prefill: 0.5,
        capacity_hint: true,
        native_distribution: None,
    },
    Preset {
        name: "read-60",
        description: "60% get, 20% insert, 20% update; 75% prefilled",
        mix: mix(60, 20, 0, 20, 0, 0),
        prefill: 0.75,
        capacity_hint: true,
        native_distribution: None,
    },
    Preset {
        name: "read-80",
        description: "80% get, 10% insert, 10% update; 75% prefilled",
        mix: mix(80, 10, 0, 10, 0, 0),
        prefill: 0.75,
        capacity_hint: true,
        native_distribution: None,
    },
    Preset {
        name: "read-95",
        description: "95% get, 3% insert, 2% update; 75% prefilled",
        mix: mix(95, 3, 0, 2, 0, 0),
        prefill: 0.75,
        capacity_hint: true,
        native_distribution: None,
    },
];

/// The preset called `name`.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The names of every preset, comma-separated, for error messages.
pub fn preset_names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value sizes the harness is compiled for (values are fixed-size arrays, so each size is its
/// own monomorphized loop).
pub const VALUE_SIZES: &[usize] = &[8, 16, 64, 256];

/// The suffix a distribution adds to a preset's name: `read-heavy-zipf`.
pub fn distribution_suffix(distribution: &Distribution) -> &'static str {
    match distribution {
        Distribution::Uniform => "uniform",
        Distribution::Zipfian { .. } => "zipf",
        Distribution::Hotspot { .. } => "hotspot",
        Distribution::Latest { .. } => "latest",
        Distribution::Sequential => "seq",
    }
}

/// An invalid input, naming the field at fault and what it accepts. `cmap` exits with code 2 on
/// these, before running or writing anything.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The flag or field, e.g. `--threads` or `mix`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl InputError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for InputError {}

/// Checks a resolved workload; `origin` prefixes field names (e.g. the TOML file it came from).
pub fn validate(spec: &WorkloadSpec, origin: &str) -> Result<(), InputError> {
    let field = |name: &str| {
        if origin.is_empty() {
            name.to_owned()
        } else {
            format!("{origin}: {name}")
        }
    };
    if spec.name.is_empty()
        || !spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(InputError::new(
            field("name"),
            format!(
                "`{}` is not a usable workload name; use letters, digits, `-`, `_` or `.`",
                spec.name
            ),
        ));
    }
    let total = spec.mix.total();
    if total != 100 {
        return Err(InputError::new(
            field("mix"),
            format!(
                "the percentages (read, insert, remove, update, upsert, scan, snapshot) sum to \
                 {total}; they must sum to 100"
            ),
        ));
    }
    if spec.key_space == 0 {
        return Err(InputError::new(
            field("key_space"),
            "0 keys; the key space must hold at least 1 key",
        ));
    }
    if spec.key_space > 1 << 40 {
        return Err(InputError::new(
            field("key_space"),
            format!("{} keys; at most 2^40 are allowed", spec.key_space),
        ));
    }
    if !(0.0..=1.0).contains(&spec.prefill) {
        return Err(InputError::new(
            field("prefill"),
            format!("{}; a fraction from 0.0 to 1.0 is allowed", spec.prefill),
        ));
    }
    match spec.distribution {
        Distribution::Zipfian { theta, .. } | Distribution::Latest { theta } => {
            if !(theta > 0.0 && theta < 1.0) {
                return Err(InputError::new(
                    field("theta"),
                    format!(
                        "{theta}; the zipfian constant must be above 0 and below 1 (YCSB: 0.99)"
                    ),
                ));
            }
        }
        Distribution::Hotspot { hot_keys, hot_ops } => {
            if !(hot_keys > 0.0 && hot_keys <= 1.0) {
                return Err(InputError::new(
                    field("hot_keys"),
                    format!("{hot_keys}; a fraction above 0 and at most 1 is allowed (YCSB: 0.2)"),
                ));
            }
            if !(0.0..=1.0).contains(&hot_ops) {
                return Err(InputError::new(
                    field("hot_ops"),
                    format!("{hot_ops}; a fraction from 0 to 1 is allowed (YCSB: 0.8)"),
                ));
            }
        }
        Distribution::Uniform | Distribution::Sequential => {}
    }
    if let KeyType::String { len } = spec.key_type {
        let digits = (spec.key_space - 1).max(1).ilog10() as usize + 1;
        if len < digits || len > 4096 {
            return Err(InputError::new(
                field("key_type.len"),
                format!(
                    "{len} bytes; {} keys need at least {digits} bytes (decimal ids), and at most \
                     4096 are allowed",
                    spec.key_space
                ),
            ));
        }
    }
    if !VALUE_SIZES.contains(&spec.value_size) {
        return Err(InputError::new(
            field("value_size"),
            format!(
                "{} bytes; allowed: {}",
                spec.value_size,
                VALUE_SIZES
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let (lo, hi) = spec.scan_length;
    if lo == 0 || lo > hi {
        return Err(InputError::new(
            field("scan_length"),
            format!("({lo}, {hi}); need 1 <= min <= max"),
        ));
    }
    Ok(())
}

/// Reads custom workloads from a TOML file: either one workload at the top level, or several as
/// `[[workload]]` tables. Each has exactly the fields of a result's `workload` (unknown fields are
/// refused, so a typo cannot silently fall back to a default).
pub fn load_toml(path: &Path) -> Result<Vec<WorkloadSpec>, InputError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new("--workload-file", format!("cannot read {origin}: {e}")))?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Many {
        workload: Vec<WorkloadSpec>,
    }
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        InputError::new(
            origin.clone(),
            format!("malformed TOML: {}", e.to_string().trim()),
        )
    })?;
    let specs = if table.contains_key("workload") {
        toml::from_str::<Many>(&text)
            .map_err(|e| {
                InputError::new(
                    origin.clone(),
                    format!("not a list of workloads: {}", e.to_string().trim()),
                )
            })?
            .workload
    } else {
        vec![toml::from_str::<WorkloadSpec>(&text).map_err(|e| {
            InputError::new(
                origin.clone(),
                format!(
                    "not a workload: {} (fields: name, description, mix, key_space, prefill, \
                     distribution, key_type, value_size, capacity_hint, scan_length)",
                    e.to_string().trim()
                ),
            )
        })?]
    };
    if specs.is_empty() {
        return Err(InputError::new(origin, "no workload in the file"));
    }
    for spec in &specs {
        validate(spec, &origin)?;
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> WorkloadSpec {
        WorkloadSpec {
            name: "w".into(),
            description: String::new(),
            mix: mix(90, 10, 0, 0, 0, 0),
            key_space: 1000,
            prefill: 0.5,
            distribution: Distribution::Uniform,
            key_type: KeyType::U64,
            value_size: 8,
            capacity_hint: true,
            scan_length: (1, 100),
        }
    }

    #[test]
    fn every_preset_mix_sums_to_100_and_validates() {
        for p in PRESETS {
            let mut s = spec();
            s.name = p.name.into();
            s.mix = p.mix;
            s.prefill = p.prefill;
            assert_eq!(p.mix.total(), 100, "{}", p.name);
            validate(&s, "").unwrap();
        }
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = spec();
        s.mix.read = 80;
        assert_eq!(validate(&s, "").unwrap_err().field, "mix");
        let mut s = spec();
        s.key_space = 0;
        assert_eq!(
            validate(&s, "f.toml").unwrap_err().field,
            "f.toml: key_space"
        );
        let mut s = spec();
        s.value_size = 12;
        let e = validate(&s, "").unwrap_err();
        assert_eq!(e.field, "value_size");
        assert!(e.message.contains("8, 16, 64, 256"));
        let mut s = spec();
        s.key_type = KeyType::String { len: 2 };
        assert_eq!(validate(&s, "").unwrap_err().field, "key_type.len");
        let mut s = spec();
        s.distribution = Distribution::Zipfian {
            theta: 1.2,
            scrambled: true,
        };
        assert_eq!(validate(&s, "").unwrap_err().field, "theta");
    }

    #[test]
    fn toml_one_or_many_and_unknown_fields_refused() {
        let dir = tempfile::tempdir().unwrap();
        let one = dir.path().join("one.toml");
        std::fs::write(
            &one,
            r#"
name = "mine"
key_space = 5000
prefill = 0.5
value_size = 8
capacity_hint = false
mix = { read = 70, upsert = 30 }
distribution = { kind = "zipfian", theta = 0.9, scrambled = false }
key_type = { kind = "string", len = 16 }
"#,
        )
        .unwrap();
        let specs = load_toml(&one).unwrap();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].mix.upsert, 30);
        assert_eq!(specs[0].key_type, KeyType::String { len: 16 });

        let many = dir.path().join("many.toml");
        std::fs::write(
            &many,
            r#"
[[workload]]
name = "a"
key_space = 100
prefill = 1.0
value_size = 8
capacity_hint = true
mix = { read = 100 }
distribution = { kind = "uniform" }
key_type = { kind = "u64" }

[[workload]]
name = "b"
key_space = 100
prefill = 0.0
value_size = 64
capacity_hint = false
mix = { insert = 100 }
distribution = { kind = "sequential" }
key_type = { kind = "u64" }
"#,
        )
        .unwrap();
        let specs = load_toml(&many).unwrap();
        assert_eq!(
            specs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );

        let typo = dir.path().join("typo.toml");
        std::fs::write(
            &typo,
            std::fs::read_to_string(&one)
                .unwrap()
                .replace("key_space", "keyspace"),
        )
        .unwrap();
        let e = load_toml(&typo).unwrap_err();
        assert!(e.message.contains("keyspace"), "{e}");

        let broken = dir.path().join("broken.toml");
        std::fs::write(&broken, "name = [").unwrap();
        assert!(
            load_toml(&broken)
                .unwrap_err()
                .message
                .contains("malformed TOML")
        );
    }
}
