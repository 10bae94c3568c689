//! Versioned mapping rules: one jq program per channel and version
//! (`mappings/<channel>/v<N>.jq`), run with jaq, turning a channel payload
//! into canonical order JSON. The shipped rules are compiled into the
//! binary; an operator may override any of them with a file of their own.
//!
//! Payloads reach jaq with their numbers' digits intact (`convert`), so
//! prices never pass through a float on the way; null members are dropped
//! from a mapping's output.

mod convert;
mod decimal_funs;
pub mod fast;
mod program;

use std::collections::BTreeMap;
use std::path::Path;

pub use program::{Input, MappingProgram, RunError, Typed};

/// Fuzzing property: any bytes given as a payload to every shipped mapping
/// the direct evaluator runs (ADR 0018) never panic, and wherever that
/// evaluator answers, its answer is jaq's (outputs or error).
pub fn fuzz_check(data: &[u8]) {
    static SHIPPED_SET: std::sync::OnceLock<MappingSet> = std::sync::OnceLock::new();
    let set =
        SHIPPED_SET.get_or_init(|| MappingSet::shipped().expect("the shipped mappings compile"));
    let direct: Vec<&MappingProgram> = set
        .iter()
        .map(|m| &m.program)
        .filter(|p| p.is_direct())
        .collect();
    assert!(!direct.is_empty(), "no shipped mapping is direct");
    for program in direct {
        let (account, received_at) = ("fuzz", "2026-11-27T00:00:00Z");
        if let Some(direct) = program.run_direct(data, account, received_at) {
            assert_eq!(direct, program.run_reference(data, account, received_at));
        }
    }
}

/// The channels that have mapping rules.
pub const CHANNELS: &[&str] = &["shopify", "amazon", "edi-850", "csv", "salesforce"];

/// The rules shipped with o2c: (channel, version, source).
const SHIPPED: &[(&str, u32, &str)] = &[
    (
        "shopify",
        1,
        include_str!("../../../../mappings/shopify/v1.jq"),
    ),
    (
        "shopify",
        2,
        include_str!("../../../../mappings/shopify/v2.jq"),
    ),
    (
        "shopify",
        3,
        include_str!("../../../../mappings/shopify/v3.jq"),
    ),
    (
        "amazon",
        1,
        include_str!("../../../../mappings/amazon/v1.jq"),
    ),
    (
        "amazon",
        2,
        include_str!("../../../../mappings/amazon/v2.jq"),
    ),
    (
        "edi-850",
        1,
        include_str!("../../../../mappings/edi-850/v1.jq"),
    ),
    ("csv", 1, include_str!("../../../../mappings/csv/v1.jq")),
    (
        "salesforce",
        1,
        include_str!("../../../../mappings/salesforce/v1.jq"),
    ),
    (
        "salesforce",
        2,
        include_str!("../../../../mappings/salesforce/v2.jq"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("no mapping for channel {channel:?} version {version}")]
    Unknown { channel: String, version: u32 },
    #[error("the mapping {name} does not compile: {message}")]
    Compile { name: String, message: String },
    #[error("cannot read the mapping file {path}: {message}")]
    Read { path: String, message: String },
    #[error("mapping file names must look like <channel>/v<N>.jq, not {0}")]
    BadName(String),
}

/// Where a mapping came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Shipped,
    Override(String),
}

/// A loaded rule with its identity.
pub struct Mapping {
    pub channel: String,
    pub version: u32,
    pub origin: Origin,
    pub program: MappingProgram,
}

impl Mapping {
    /// `shopify/v1`, what a stored order records.
    pub fn name(&self) -> String {
        format!("{}/v{}", self.channel, self.version)
    }
}

/// Every mapping rule, by channel and version.
pub struct MappingSet {
    mappings: BTreeMap<(String, u32), Mapping>,
}

impl MappingSet {
    /// The shipped rules.
    pub fn shipped() -> Result<Self, MappingError> {
        let mut mappings = BTreeMap::new();
        for &(channel, version, source) in SHIPPED {
            let name = format!("{channel}/v{version}");
            let program = MappingProgram::compile(&name, source)?;
            mappings.insert(
                (channel.to_owned(), version),
                Mapping {
                    channel: channel.to_owned(),
                    version,
                    origin: Origin::Shipped,
                    program,
                },
            );
        }
        Ok(Self { mappings })
    }

    /// The shipped rules, then every `<channel>/v<N>.jq` under `dir`
    /// replacing or adding to them.
    pub fn with_overrides(dir: &Path) -> Result<Self, MappingError> {
        let mut set = Self::shipped()?;
        let read = |path: &Path| MappingError::Read {
            path: path.display().to_string(),
            message: String::new(),
        };
        let channels = std::fs::read_dir(dir).map_err(|e| MappingError::Read {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
        for channel_dir in channels.flatten() {
            let channel_path = channel_dir.path();
            if !channel_path.is_dir() {
                continue;
            }
            let channel = channel_dir.file_name().to_string_lossy().into_owned();
            let files = std::fs::read_dir(&channel_path).map_err(|_| read(&channel_path))?;
            for file in files.flatten() {
                let path = file.path();
                let file_name = file.file_name().to_string_lossy().into_owned();
                let Some(version) = parse_version(&file_name) else {
                    if file_name.ends_with(".jq") {
                        return Err(MappingError::BadName(format!("{channel}/{file_name}")));
                    }
                    continue;
                };
                let source = std::fs::read_to_string(&path).map_err(|e| MappingError::Read {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                let name = format!("{channel}/v{version}");
                let program = MappingProgram::compile(&name, &source)?;
                set.mappings.insert(
                    (channel.clone(), version),
                    Mapping {
                        channel: channel.clone(),
                        version,
                        origin: Origin::Override(path.display().to_string()),
                        program,
                    },
                );
            }
        }
        Ok(set)
    }

    /// The shipped rules, overridden from `dir` when one is configured.
    pub fn load(dir: Option<&Path>) -> Result<Self, MappingError> {
        match dir {
            Some(dir) => Self::with_overrides(dir),
            None => Self::shipped(),
        }
    }

    /// A given version, or the channel's latest when `version` is None.
    pub fn get(&self, channel: &str, version: Option<u32>) -> Result<&Mapping, MappingError> {
        let found = match version {
            Some(version) => self.mappings.get(&(channel.to_owned(), version)),
            None => self
                .mappings
                .range((channel.to_owned(), 0)..=(channel.to_owned(), u32::MAX))
                .next_back()
                .map(|(_, m)| m),
        };
        found.ok_or_else(|| MappingError::Unknown {
            channel: channel.to_owned(),
            version: version.unwrap_or(0),
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Mapping> {
        self.mappings.values()
    }
}

/// `v12.jq` → 12.
fn parse_version(file_name: &str) -> Option<u32> {
    file_name
        .strip_prefix('v')?
        .strip_suffix(".jq")?
        .parse()
        .ok()
        .filter(|v| *v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_compile_and_latest_is_found() {
        let set = MappingSet::shipped().expect("shipped mappings compile");
        let latest = set.get("shopify", None).expect("shopify");
        assert_eq!(latest.name(), "shopify/v3");
        assert_eq!(
            set.get("shopify", Some(1)).expect("v1 stays").name(),
            "shopify/v1"
        );
        assert!(set.get("shopify", Some(99)).is_err());
        assert!(set.get("nowhere", None).is_err());
    }

    #[test]
    fn overrides_replace_and_add_versions() {
        let dir = std::env::temp_dir().join(format!("o2c-mappings-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("shopify")).expect("dir");
        std::fs::write(dir.join("shopify/v3.jq"), "{version: 3}").expect("write");
        let set = MappingSet::with_overrides(&dir).expect("load");
        let latest = set.get("shopify", None).expect("latest");
        assert_eq!(latest.version, 3);
        assert!(matches!(latest.origin, Origin::Override(_)));
        std::fs::write(dir.join("shopify/latest.jq"), "{}").expect("write");
        assert!(matches!(
            MappingSet::with_overrides(&dir),
            Err(MappingError::BadName(_))
        ));
        std::fs::write(dir.join("shopify/latest.jq"), "").ok();
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn version_names() {
        assert_eq!(parse_version("v1.jq"), Some(1));
        assert_eq!(parse_version("v0.jq"), None);
        assert_eq!(parse_version("v1.json"), None);
    }
}
