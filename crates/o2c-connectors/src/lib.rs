//! o2c-connectors: channel adapters and their mapping rules. Each channel
//! gets a folder; payloads become canonical orders through versioned jq
//! programs (`mapping`), never hand-written field copying.

pub mod amazon;
pub mod edi;
pub mod mapping;
pub mod salesforce;
pub mod shopify;
pub mod value_maps;
pub mod version_cursor;

pub use mapping::{Input, Mapping, MappingError, MappingProgram, MappingSet, RunError, Typed};
pub use value_maps::ValueMaps;
