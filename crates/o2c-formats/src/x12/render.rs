//! Renders the data model back to X12 text with given separators. Trailers
//! are written as stored (see `Interchange::recompute_trailers`), so
//! parse → render → parse gives back the same model.

use super::error::Position;
use super::lexer::valid_segment_id;
use super::model::{Element, Interchange, IsaHeader, Segment, X12File};
use super::separators::Separators;

/// A value that cannot be written with the chosen separators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}: {kind}")]
pub struct RenderError {
    /// Segment (numbered in the output) and element.
    pub position: Position,
    /// What is wrong.
    pub kind: RenderErrorKind,
}

/// Why rendering failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderErrorKind {
    /// The separators themselves are unusable.
    #[error("invalid separators: {0}")]
    InvalidSeparators(String),
    /// Data contains a delimiter character.
    #[error("data contains the {which} separator {ch:?}")]
    ContainsSeparator {
        /// Which separator.
        which: String,
        /// The character.
        ch: char,
    },
    /// Components without a component separator.
    #[error("composite element but no component separator")]
    NoComponentSeparator,
    /// Repetitions without a repetition separator.
    #[error("repeated element but no repetition separator")]
    NoRepetitionSeparator,
    /// A segment id that is not 2-3 upper-case letters/digits.
    #[error("invalid segment id")]
    InvalidSegmentId,
}

/// Renders every interchange with its own separators.
pub fn render(file: &X12File) -> Result<String, RenderError> {
    let mut w = Writer::default();
    for ic in &file.interchanges {
        w.interchange(ic, &ic.separators)?;
    }
    Ok(w.out)
}

/// Renders every interchange with `seps` (ISA11/ISA16 follow `seps`).
pub fn render_with(file: &X12File, seps: &Separators) -> Result<String, RenderError> {
    let mut w = Writer::default();
    for ic in &file.interchanges {
        w.interchange(ic, seps)?;
    }
    Ok(w.out)
}

/// Renders one interchange with `seps`.
pub fn render_interchange(ic: &Interchange, seps: &Separators) -> Result<String, RenderError> {
    let mut w = Writer::default();
    w.interchange(ic, seps)?;
    Ok(w.out)
}

#[derive(Default)]
struct Writer {
    out: String,
    count: usize,
}

fn check_separators(seps: &Separators) -> Result<(), String> {
    let ok = |c, seg| Separators::is_valid_delimiter(c, seg);
    if !ok(seps.element, false)
        || !ok(seps.segment, true)
        || seps.component.is_some_and(|c| !ok(c, false))
        || seps.repetition.is_some_and(|c| !ok(c, false))
    {
        return Err("a separator is a letter, digit, space or non-ASCII".into());
    }
    if let Some((a, b, c)) = seps.clash() {
        return Err(format!("the {a} and {b} separators are both {c:?}"));
    }
    if !seps.line_ending.chars().all(|c| c == '\r' || c == '\n') {
        return Err("line ending may only hold CR and LF".into());
    }
    Ok(())
}

impl Writer {
    fn err(&self, element: Option<usize>, id: &str, kind: RenderErrorKind) -> RenderError {
        RenderError {
            position: Position::new(self.count, id, element),
            kind,
        }
    }

    fn interchange(&mut self, ic: &Interchange, seps: &Separators) -> Result<(), RenderError> {
        if let Err(msg) = check_separators(seps) {
            return Err(self.err(None, "", RenderErrorKind::InvalidSeparators(msg)));
        }
        if let Some(isa) = &ic.isa {
            self.isa(isa, seps)?;
        }
        for g in &ic.groups {
            if let Some(gs) = &g.gs {
                let f = [
                    &gs.functional_id,
                    &gs.sender_code,
                    &gs.receiver_code,
                    &gs.date,
                    &gs.time,
                    &gs.control_number,
                    &gs.agency,
                    &gs.version,
                ];
                self.simple("GS", &f, seps)?;
            }
            for t in &g.transactions {
                let mut st = vec![&t.st.set_id, &t.st.control_number];
                if let Some(r) = &t.st.implementation_reference {
                    st.push(r);
                }
                self.simple("ST", &st, seps)?;
                for s in &t.segments {
                    self.segment(s, seps)?;
                }
                self.simple("SE", &[&t.se.segment_count, &t.se.control_number], seps)?;
            }
            if let Some(gs) = &g.gs {
                let (count, control) = match &g.ge {
                    Some(ge) => (ge.transaction_count.clone(), ge.control_number.clone()),
                    None => (g.transactions.len().to_string(), gs.control_number.clone()),
                };
                self.simple("GE", &[&count, &control], seps)?;
            }
        }
        if let Some(isa) = &ic.isa {
            let (count, control) = match &ic.iea {
                Some(iea) => (iea.group_count.clone(), iea.control_number.clone()),
                None => (ic.groups.len().to_string(), isa.control_number.clone()),
            };
            self.simple("IEA", &[&count, &control], seps)?;
        }
        Ok(())
    }

    fn isa(&mut self, isa: &IsaHeader, seps: &Separators) -> Result<(), RenderError> {
        self.count += 1;
        let breaks = |c: char| c == '\r' || c == '\n';
        if seps.component.is_none() && (breaks(seps.segment) || seps.line_ending.is_empty()) {
            let msg =
                "an ISA without component separator needs a `~`-like terminator and a line ending";
            return Err(self.err(
                Some(16),
                "ISA",
                RenderErrorKind::InvalidSeparators(msg.into()),
            ));
        }
        let mut fields: Vec<String> = isa.fields().iter().map(|s| s.to_string()).collect();
        let stored = &isa.repetition_separator;
        let stored_is_separator = stored.len() == 1
            && stored
                .chars()
                .all(|c| Separators::is_valid_delimiter(c, false));
        fields[10] = match seps.repetition {
            Some(r) => r.to_string(),
            None if stored_is_separator => "U".into(),
            None => stored.clone(),
        };
        fields[15] = seps.component.map(String::from).unwrap_or_default();
        self.out.push_str("ISA");
        for (k, f) in fields.iter().enumerate() {
            let declared = (k == 10 && seps.repetition.is_some()) || k == 15;
            if !declared {
                self.check_text(f, seps, "ISA", k + 1)?;
            }
            self.out.push(seps.element);
            self.out.push_str(f);
        }
        self.end(seps);
        Ok(())
    }

    fn end(&mut self, seps: &Separators) {
        self.out.push(seps.segment);
        self.out.push_str(&seps.line_ending);
    }

    fn check_text(
        &self,
        s: &str,
        seps: &Separators,
        id: &str,
        k: usize,
    ) -> Result<(), RenderError> {
        if let Some(ch) = s.chars().find(|c| seps.is_delimiter(*c)) {
            let which = seps
                .named()
                .into_iter()
                .find(|(_, d)| *d == ch)
                .map_or("a", |(n, _)| n)
                .to_string();
            return Err(self.err(
                Some(k),
                id,
                RenderErrorKind::ContainsSeparator { which, ch },
            ));
        }
        Ok(())
    }

    fn simple(&mut self, id: &str, f: &[&String], seps: &Separators) -> Result<(), RenderError> {
        let seg = Segment::new(id, f);
        self.segment(&seg, seps)
    }

    fn segment(&mut self, seg: &Segment, seps: &Separators) -> Result<(), RenderError> {
        self.count += 1;
        if !valid_segment_id(&seg.id) {
            return Err(self.err(None, &seg.id, RenderErrorKind::InvalidSegmentId));
        }
        self.out.push_str(&seg.id);
        for (k, e) in seg.elements.iter().enumerate() {
            self.out.push(seps.element);
            self.element(e, seps, &seg.id, k + 1)?;
        }
        self.end(seps);
        Ok(())
    }

    fn element(
        &mut self,
        e: &Element,
        seps: &Separators,
        id: &str,
        k: usize,
    ) -> Result<(), RenderError> {
        let reps: Vec<Vec<&str>> = e.repetitions();
        if reps.len() > 1 && seps.repetition.is_none() {
            return Err(self.err(Some(k), id, RenderErrorKind::NoRepetitionSeparator));
        }
        for (r, comps) in reps.iter().enumerate() {
            if r > 0 {
                self.out.extend(seps.repetition);
            }
            if comps.len() > 1 && seps.component.is_none() {
                return Err(self.err(Some(k), id, RenderErrorKind::NoComponentSeparator));
            }
            for (c, text) in comps.iter().enumerate() {
                if c > 0 {
                    self.out.extend(seps.component);
                }
                self.check_text(text, seps, id, k)?;
                self.out.push_str(text);
            }
        }
        Ok(())
    }
}
