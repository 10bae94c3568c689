//! Parse options: strict by default; each real-world quirk can be tolerated
//! one by one, and lenient mode tolerates them all (recording warnings).

/// Which deviations from the standard are tolerated (recorded as warnings)
/// instead of failing the parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tolerances {
    /// UTF-8 byte order mark before `ISA`.
    pub byte_order_mark: bool,
    /// Spaces/tabs (and extra blank lines) before segments.
    pub indentation: bool,
    /// ISA elements not padded to their fixed widths.
    pub unpadded_isa: bool,
    /// Empty ISA16 (no component separator declared).
    pub missing_component_separator: bool,
    /// Line breaks inside segments: a wrapped segment missing its terminator,
    /// or free text spanning lines.
    pub line_breaks: bool,
    /// SE01 / GE01 / IEA01 counts that do not match.
    pub counts: bool,
    /// Trailer control numbers that do not match their header.
    pub control_numbers: bool,
    /// Transaction sets without ISA/GS envelope.
    pub missing_envelope: bool,
    /// Last segment without terminator.
    pub unterminated_last_segment: bool,
    /// Bytes that are not UTF-8 (replaced by U+FFFD).
    pub invalid_utf8: bool,
    /// ISA field values of the wrong form (dates, control number digits).
    pub isa_values: bool,
}

impl Tolerances {
    /// Every quirk tolerated.
    pub fn all() -> Self {
        Self {
            byte_order_mark: true,
            indentation: true,
            unpadded_isa: true,
            missing_component_separator: true,
            line_breaks: true,
            counts: true,
            control_numbers: true,
            missing_envelope: true,
            unterminated_last_segment: true,
            invalid_utf8: true,
            isa_values: true,
        }
    }
}

/// Options of [`crate::x12::parse_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Tolerated quirks; none by default (strict).
    pub tolerate: Tolerances,
}

impl ParseOptions {
    /// Strict: the first deviation is an error.
    pub fn strict() -> Self {
        Self::default()
    }

    /// Lenient: every known quirk is a warning, not an error.
    pub fn lenient() -> Self {
        Self {
            tolerate: Tolerances::all(),
        }
    }
}
