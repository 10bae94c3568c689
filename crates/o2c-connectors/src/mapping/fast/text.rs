//! The evaluator's text: borrowed wherever it can be — from the payload
//! being mapped, from the program's literals, from the caller's globals —
//! and shared otherwise (text the run computed: joins, interpolations,
//! unescaped strings). A borrowed text is copied and dropped with no
//! reference count at all; a computed one counts without atomics, as a run
//! never leaves its thread (ADR 0018, amended in session 9: `bytes::Bytes`
//! cost an atomic count on every clone and drop of a payload string).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::rc::Rc;

#[derive(Clone)]
pub enum Text<'a> {
    Borrowed(&'a [u8]),
    /// Computed text, kept in the buffer it was built in (no copy into a
    /// new allocation).
    Shared(Rc<Vec<u8>>),
}

impl<'a> Text<'a> {
    /// The bytes in `range` of this text: borrowed text stays borrowed,
    /// shared text is copied (only `split` takes parts of computed text).
    pub fn slice(&self, range: impl std::slice::SliceIndex<[u8], Output = [u8]>) -> Text<'a> {
        match self {
            Text::Borrowed(bytes) => Text::Borrowed(&bytes[range]),
            Text::Shared(bytes) => Text::copied(&bytes[range]),
        }
    }

    /// A shared copy of `bytes` (text from jaq's values).
    pub fn copied(bytes: &[u8]) -> Text<'a> {
        Text::from(bytes.to_vec())
    }

    /// The same bytes as jaq's string type.
    pub fn to_bytes(&self) -> bytes::Bytes {
        bytes::Bytes::copy_from_slice(self)
    }
}

impl Default for Text<'_> {
    fn default() -> Self {
        Text::Borrowed(&[])
    }
}

impl Deref for Text<'_> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Text::Borrowed(bytes) => bytes,
            Text::Shared(bytes) => bytes,
        }
    }
}

impl AsRef<[u8]> for Text<'_> {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl<'a> From<&'a [u8]> for Text<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Text::Borrowed(bytes)
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(text: &'a str) -> Self {
        Text::Borrowed(text.as_bytes())
    }
}

impl From<Vec<u8>> for Text<'_> {
    fn from(bytes: Vec<u8>) -> Self {
        Text::Shared(Rc::new(bytes))
    }
}

impl From<String> for Text<'_> {
    fn from(text: String) -> Self {
        Text::from(text.into_bytes())
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Text<'_> {}

impl PartialOrd for Text<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        (**self).cmp(&**other)
    }
}

impl Hash for Text<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(self), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_and_shared_text_compare_by_their_bytes() {
        let shared = Text::from(b"abc".to_vec());
        let borrowed = Text::from(&b"abc"[..]);
        assert_eq!(shared, borrowed);
        assert!(Text::from("abd") > shared);
        assert_eq!(shared.slice(1..), Text::from("bc"));
        assert_eq!(borrowed.slice(..2), Text::from("ab"));
        assert!(matches!(borrowed.slice(1..), Text::Borrowed(b"bc")));
        assert_eq!(&shared.to_bytes()[..], b"abc");
        assert_eq!(format!("{borrowed:?}"), "\"abc\"");
    }
}
