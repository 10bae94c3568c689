//! Decodes the direct evaluator's outputs straight into a typed canonical
//! document (ADR 0023), without building the `serde_json::Value` that
//! [`super::to_json`] would make of them.
//!
//! The rule is: what this decoder makes of a value is what serde makes of
//! `to_json(value)`, or an error. Scalars are handed to serde_json's own
//! `Value` deserializer (so numbers, strings and enums decode exactly as
//! on the JSON path); only objects and arrays are walked here, with the
//! JSON path's behaviour (null members left out, members in order).
//!
//! Where the JSON path's schema check could refuse what serde accepts,
//! this decoder refuses first, and the caller takes the JSON path, which
//! explains the refusal:
//! - an array read as a struct (serde's derive accepts one; the schema
//!   wants an object);
//! - an object read as an enum, or a member named like serde_json's
//!   private number token (a decimal read from such a map);
//! - text read through `deserialize_any` that is not plain decimal text:
//!   the canonical model reads only its decimals that way, and its schema
//!   requires their text to match `DECIMAL_PATTERN`.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess};
use serde_json::Value;

use super::value::{Obj, Text, V};
use crate::mapping::convert::{number, text_of};

type Error = serde_json::Error;

/// serde_json's private keys (arbitrary-precision numbers, raw values).
const SERDE_JSON_PRIVATE: &[u8] = b"$serde_json::private::";

/// One output of the direct evaluator, to be read by serde.
pub struct Decoder<'v>(pub &'v V<'v>);

fn refused(why: &str) -> Error {
    de::Error::custom(format!("not decoded directly: {why}"))
}

impl Decoder<'_> {
    /// The scalar as the JSON path would carry it.
    fn scalar(&self) -> Result<Value, Error> {
        Ok(match self.0 {
            V::Null => Value::Null,
            V::Bool(b) => Value::Bool(*b),
            V::Num(n) => number(n).map_err(|message| refused(&message))?,
            V::Str(bytes) => Value::String(text_of(bytes)),
            V::Arr(_) | V::Obj(_) => return Err(refused("a container where a scalar is read")),
        })
    }
}

/// Methods read as a scalar by serde_json's `Value`; containers are refused.
macro_rules! scalar_methods {
    ($($method:ident),* $(,)?) => {$(
        fn $method<W: de::Visitor<'de>>(self, visitor: W) -> Result<W::Value, Error> {
            self.scalar()?.$method(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for Decoder<'_> {
    type Error = Error;

    fn deserialize_any<W: de::Visitor<'de>>(self, visitor: W) -> Result<W::Value, Error> {
        match self.0 {
            V::Arr(items) => visit_array(items, visitor),
            V::Obj(members) => visit_object(members, visitor),
            V::Str(bytes) => {
                let text = text_of(bytes);
                if !o2c_model::decimal::is_plain_decimal(&text) {
                    return Err(refused(
                        "text read as any value that is not a plain decimal",
                    ));
                }
                Value::String(text).deserialize_any(visitor)
            }
            _ => self.scalar()?.deserialize_any(visitor),
        }
    }

    fn deserialize_option<W: de::Visitor<'de>>(self, visitor: W) -> Result<W::Value, Error> {
        match self.0 {
            V::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_struct<W: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: W,
    ) -> Result<W::Value, Error> {
        match self.0 {
            V::Obj(members) => visit_object(members, visitor),
            _ => Err(refused("a struct that is not an object")),
        }
    }

    fn deserialize_map<W: de::Visitor<'de>>(self, visitor: W) -> Result<W::Value, Error> {
        match self.0 {
            V::Obj(members) => visit_object(members, visitor),
            _ => Err(refused("a map that is not an object")),
        }
    }

    fn deserialize_seq<W: de::Visitor<'de>>(self, visitor: W) -> Result<W::Value, Error> {
        match self.0 {
            V::Arr(items) => visit_array(items, visitor),
            _ => Err(refused("a sequence that is not an array")),
        }
    }

    fn deserialize_newtype_struct<W: de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: W,
    ) -> Result<W::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<W: de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: W,
    ) -> Result<W::Value, Error> {
        match self.0 {
            V::Str(_) => self.scalar()?.deserialize_enum(name, variants, visitor),
            _ => Err(refused("an enum that is not text")),
        }
    }

    /// A member a type ignores must still be one the JSON path can carry
    /// (no infinite number inside).
    fn deserialize_ignored_any<W: de::Visitor<'de>>(self, visitor: W) -> Result<W::Value, Error> {
        super::to_json(self.0).map_err(|message| refused(&message))?;
        visitor.visit_unit()
    }

    fn deserialize_tuple<W: de::Visitor<'de>>(
        self,
        _len: usize,
        _visitor: W,
    ) -> Result<W::Value, Error> {
        Err(refused("a tuple"))
    }

    fn deserialize_tuple_struct<W: de::Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        _visitor: W,
    ) -> Result<W::Value, Error> {
        Err(refused("a tuple struct"))
    }

    fn deserialize_unit_struct<W: de::Visitor<'de>>(
        self,
        name: &'static str,
        visitor: W,
    ) -> Result<W::Value, Error> {
        self.scalar()?.deserialize_unit_struct(name, visitor)
    }

    scalar_methods!(
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
    );
}

/// An array read whole, as serde_json's `Value` requires.
fn visit_array<'de, W: de::Visitor<'de>>(items: &[V<'_>], visitor: W) -> Result<W::Value, Error> {
    let mut seq = Items(items.iter());
    let value = visitor.visit_seq(&mut seq)?;
    match seq.0.len() {
        0 => Ok(value),
        _ => Err(refused("an array not read to its end")),
    }
}

/// An object read whole, as serde_json's `Value` requires.
fn visit_object<'de, W: de::Visitor<'de>>(obj: &Obj<'_>, visitor: W) -> Result<W::Value, Error> {
    let mut map = Members {
        members: obj.members().iter(),
        value: None,
    };
    let value = visitor.visit_map(&mut map)?;
    match map.members.any(|(_, v)| !matches!(v, V::Null)) {
        false => Ok(value),
        true => Err(refused("an object not read to its end")),
    }
}

/// An array's items, each read by a [`Decoder`].
struct Items<'v>(std::slice::Iter<'v, V<'v>>);

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|item| seed.deserialize(Decoder(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// An object's members that are not null (the JSON path drops those).
struct Members<'v> {
    members: std::slice::Iter<'v, (Text<'v>, V<'v>)>,
    value: Option<&'v V<'v>>,
}

impl<'de> MapAccess<'de> for Members<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.members.find(|(_, v)| !matches!(v, V::Null)) else {
            return Ok(None);
        };
        if key.starts_with(SERDE_JSON_PRIVATE) {
            return Err(refused("a member named like serde_json's private keys"));
        }
        let key = std::str::from_utf8(key).map_err(|_| refused("a key that is not UTF-8"))?;
        self.value = Some(value);
        seed.deserialize(de::value::StrDeserializer::<Error>::new(key))
            .map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        let value = self
            .value
            .take()
            .ok_or_else(|| refused("a value asked for before its key"))?;
        seed.deserialize(Decoder(value))
    }
}
