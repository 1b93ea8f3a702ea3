//! One colour per structure, the same in every chart of every report.
//!
//! Structures cmap knows get a fixed colour; any other name gets one from a second palette chosen
//! by a hash of the name, so a structure keeps its colour from one report to the next. Only when
//! two unknown names of one report hash to the same colour does the later one (in name order)
//! move to the next free colour.

use std::collections::{BTreeMap, BTreeSet};

/// Structures with a fixed colour. The baseline is a neutral dark grey so every other line reads
/// against it.
const KNOWN: &[(&str, &str)] = &[
    ("locked", "#4d4d4d"),
    ("sharded", "#1f77b4"),
    ("cow", "#2ca02c"),
    ("cow-full-copy", "#b8860b"),
    ("skiplist", "#9467bd"),
    ("dashmap", "#ff7f0e"),
    ("papaya", "#d62728"),
    ("scc", "#8c564b"),
    ("crossbeam-skipmap", "#e377c2"),
    ("std-rwlock", "#393b79"),
    ("rayon-fold-reduce", "#17becf"),
    ("null", "#a0a0a0"),
];

/// Colours for other names, distinct from the fixed ones.
const FALLBACK: &[&str] = &[
    "#ff9896", "#006d77", "#e76f51", "#6a4c93", "#8ab17d", "#b5179e", "#3a86ff", "#ffb703",
    "#264653", "#9d0208", "#588157", "#f15bb5",
];

/// The colour of every structure of one report.
#[derive(Debug, Clone)]
pub(crate) struct Palette {
    colours: BTreeMap<String, &'static str>,
}

impl Palette {
    /// Assigns colours to `names`.
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let names: BTreeSet<&str> = names.into_iter().collect();
        let mut colours = BTreeMap::new();
        let mut taken = BTreeSet::new();
        for name in &names {
            if let Some((_, c)) = KNOWN.iter().find(|(k, _)| k == name) {
                colours.insert((*name).to_owned(), *c);
                taken.insert(*c);
            }
        }
        let unknown: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !colours.contains_key(*n))
            .collect();
        for name in unknown {
            let start = (fnv1a(name) % FALLBACK.len() as u64) as usize;
            // With more unknown names than colours, reuse is unavoidable; the legend still
            // tells them apart by label.
            let colour = (0..FALLBACK.len())
                .map(|i| FALLBACK[(start + i) % FALLBACK.len()])
                .find(|c| !taken.contains(c))
                .unwrap_or(FALLBACK[start]);
            taken.insert(colour);
            colours.insert(name.to_owned(), colour);
        }
        Self { colours }
    }

    /// The colour of `structure` (`#rrggbb`).
    pub(crate) fn colour(&self, structure: &str) -> &'static str {
        self.colours.get(structure).copied().unwrap_or("#000000")
    }
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_keep_their_colour_whatever_else_is_present() {
        let a = Palette::new(["locked", "sharded"]);
        let b = Palette::new(["sharded", "zz-custom", "locked", "other"]);
        assert_eq!(a.colour("locked"), b.colour("locked"));
        assert_eq!(a.colour("sharded"), b.colour("sharded"));
    }

    #[test]
    fn every_structure_of_a_report_gets_its_own_colour() {
        let names: Vec<String> = (0..FALLBACK.len()).map(|i| format!("map-{i}")).collect();
        let p = Palette::new(names.iter().map(String::as_str).chain(["locked"]));
        let colours: BTreeSet<_> = names.iter().map(|n| p.colour(n)).collect();
        assert_eq!(colours.len(), names.len());
        assert!(!colours.contains(p.colour("locked")));
    }
}
