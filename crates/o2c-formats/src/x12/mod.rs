//! X12 EDI codec of our own: ISA/GS/ST envelopes with the separators each
//! ISA declares, control numbers and counts checked, strict by default with
//! a lenient mode for real-world quirks; typed 850 purchase orders in, 997
//! functional and 855 PO acknowledgments out.

pub mod ack855;
pub mod ack997;
pub mod doc850;
pub mod envelope;
mod error;
mod fuzzing;
mod isa;
mod lexer;
mod model;
mod options;
mod parser;
mod render;
mod separators;

pub use error::{ErrorKind, Position, X12Error};
pub use fuzzing::fuzz_check;
pub use model::{
    Element, GeTrailer, Group, GsHeader, IeaTrailer, Interchange, IsaHeader, SeTrailer, Segment,
    StHeader, Transaction, X12File,
};
pub use options::{ParseOptions, Tolerances};
pub use parser::{Parsed, parse, parse_with};
pub use render::{RenderError, RenderErrorKind, render, render_interchange, render_with};
pub use separators::Separators;
