//! A record's top level as the contract needs it: field names and scalar values, borrowed from
//! the raw bytes where possible. Nested arrays and objects are checked for syntax and kept only
//! as a kind. Decoding into `serde_json::Value` (a tree of owned strings and maps) cost more than
//! everything else on the hot path together.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use std::fmt;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Null,
    Array,
    Object,
}

impl<'a> Scalar<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn into_str(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Scalar::Int(i) => Some(i as f64),
            Scalar::UInt(u) => Some(u as f64),
            Scalar::Float(f) => Some(f),
            _ => None,
        }
    }
}

/// Most distinct field names the schemas may name (slots are a fixed array, no allocation).
pub const MAX_SLOTS: usize = 64;
const EMPTY: u16 = u16::MAX;

/// The field names the schemas and the window code ask for, each with a slot number, so that a
/// check finds its field by index instead of comparing names.
#[derive(Default)]
pub struct Slots(FxHashMap<String, u16>);

impl Slots {
    pub fn of(&mut self, name: &str) -> Result<u16, String> {
        if let Some(&slot) = self.0.get(name) {
            return Ok(slot);
        }
        let slot = self.0.len();
        if slot >= MAX_SLOTS {
            return Err(format!("the schemas name more than {MAX_SLOTS} fields"));
        }
        self.0.insert(name.to_owned(), slot as u16);
        Ok(slot as u16)
    }
}

/// The fields of a JSON object, in order, and where each slotted name is among them.
/// A name given twice fails decoding (Python then decides).
pub struct Doc<'a> {
    fields: Vec<(Cow<'a, str>, Scalar<'a>)>,
    slots: [u16; MAX_SLOTS],
}

impl<'a> Doc<'a> {
    /// Decode `raw` (one JSON object, nothing after it).
    pub fn parse(raw: &'a [u8], slots: &Slots) -> Result<Self, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(raw);
        let doc = DocSeed(slots).deserialize(&mut de)?;
        de.end()?;
        Ok(doc)
    }

    pub fn get(&self, slot: u16) -> Option<&Scalar<'a>> {
        match self.slots[slot as usize] {
            EMPTY => None,
            i => Some(&self.fields[i as usize].1),
        }
    }

    /// Move a slotted field's value out (the document is not checked again after this).
    pub fn take(&mut self, slot: u16) -> Option<Scalar<'a>> {
        match self.slots[slot as usize] {
            EMPTY => None,
            i => Some(std::mem::replace(&mut self.fields[i as usize].1, Scalar::Null)),
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(n, _)| n.as_ref())
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(match i64::try_from(v) {
            Ok(i) => Scalar::Int(i),
            Err(_) => Scalar::UInt(v),
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// A field name, borrowed unless it had escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match deserializer.deserialize_str(ScalarVisitor)? {
            Scalar::Str(s) => Ok(Name(s)),
            _ => Err(serde::de::Error::custom("a field name must be a string")),
        }
    }
}

struct DocSeed<'s>(&'s Slots);

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = Doc<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut doc = Doc { fields: Vec::with_capacity(16), slots: [EMPTY; MAX_SLOTS] };
        while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
            if doc.fields.iter().any(|(n, _)| *n == name) {
                return Err(serde::de::Error::custom("duplicate field"));
            }
            if let Some(&slot) = self.0 .0.get(name.as_ref()) {
                doc.slots[slot as usize] = doc.fields.len() as u16;
            }
            let value = map.next_value::<Scalar<'de>>()?;
            doc.fields.push((name, value));
        }
        Ok(doc)
    }
}
