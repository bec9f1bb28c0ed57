//! One record's value, read without Python: decode, check against the contract, take the fields
//! a window needs. `None` from `Checker::fast` means "let Python decide" (see `lib.rs`).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::contract::{Schema, Verdict};
use crate::doc::{Doc, Scalar, Slots};
use crate::event_time;

/// What a window needs of an accepted event (strings borrowed from the record where possible).
pub struct Event<'a> {
    pub at: i64,
    pub region: Cow<'a, str>,
    pub event_type: Cow<'a, str>,
    pub event_id: Cow<'a, str>,
    pub user_id: Cow<'a, str>,
    pub latency: Option<f64>,
    pub amount: Option<f64>,
    pub currency: Option<Cow<'a, str>>,
}

impl Event<'_> {
    pub fn into_owned(self) -> Event<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        Event {
            at: self.at,
            region: own(self.region),
            event_type: own(self.event_type),
            event_id: own(self.event_id),
            user_id: own(self.user_id),
            latency: self.latency,
            amount: self.amount,
            currency: self.currency.map(own),
        }
    }
}

/// A value orjson and serde_json might read differently: an integer too big for 64 bits (orjson
/// refuses it, serde_json would make it a float). Such a record goes to Python.
fn has_long_digit_run(raw: &[u8]) -> bool {
    let mut run = 0;
    for &c in raw {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        if run >= 20 {
            return true;
        }
    }
    false
}

/// Everything needed to judge a record without Python: shared with the decoding threads.
pub struct Checker {
    fields: Fields,
    validators: HashMap<i64, Schema>,
    slots: Slots,
}

impl Checker {
    /// Compile the contract's schema files (JSON text by version).
    pub fn new(schemas: HashMap<i64, String>) -> Result<Self, String> {
        let mut slots = Slots::default();
        let fields = Fields::new(&mut slots)?;
        let mut validators = HashMap::new();
        for (version, text) in schemas {
            let schema: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("schema version {version} is not JSON: {e}"))?;
            let validator =
                Schema::compile(&schema, &mut slots).map_err(|e| format!("schema version {version}: {e}"))?;
            validators.insert(version, validator);
        }
        Ok(Self { fields, validators, slots })
    }

    /// Decode and check one record value; `None` means Python decides.
    pub fn fast<'b>(&self, raw: Option<&'b [u8]>) -> Option<Event<'b>> {
        let raw = raw?;
        if has_long_digit_run(raw) {
            return None;
        }
        self.fields.accept(&self.validators, Doc::parse(raw, &self.slots).ok()?)
    }
}

/// The slots of the fields the window code reads.
struct Fields {
    schema_version: u16,
    occurred_at: u16,
    region: u16,
    event_type: u16,
    event_id: u16,
    user_id: u16,
    latency_ms: u16,
    amount: u16,
    currency: u16,
}

impl Fields {
    fn new(slots: &mut Slots) -> Result<Self, String> {
        Ok(Self {
            schema_version: slots.of("schema_version")?,
            occurred_at: slots.of("occurred_at")?,
            region: slots.of("region")?,
            event_type: slots.of("event_type")?,
            event_id: slots.of("event_id")?,
            user_id: slots.of("user_id")?,
            latency_ms: slots.of("latency_ms")?,
            amount: slots.of("amount")?,
            currency: slots.of("currency")?,
        })
    }

    /// The event's fields if the contract accepts it and its event time is in the handled shape.
    fn accept<'b>(&self, validators: &HashMap<i64, Schema>, mut doc: Doc<'b>) -> Option<Event<'b>> {
        let version = match doc.get(self.schema_version)? {
            Scalar::Int(v) => *v,
            _ => return None,
        };
        if validators.get(&version)?.check(&doc) != Verdict::Valid {
            return None;
        }
        let at = event_time::epoch_ms(doc.get(self.occurred_at)?.as_str()?)?;
        let latency = match doc.get(self.latency_ms) {
            None => None,
            Some(v) => Some(v.as_f64()?),
        };
        let event_type = doc.take(self.event_type)?.into_str()?;
        let purchase = event_type == "purchase";
        Some(Event {
            at,
            region: doc.take(self.region)?.into_str()?,
            event_id: doc.take(self.event_id)?.into_str()?,
            user_id: doc.take(self.user_id)?.into_str()?,
            latency,
            amount: if purchase { Some(doc.get(self.amount)?.as_f64()?) } else { None },
            currency: if purchase { Some(doc.take(self.currency)?.into_str()?) } else { None },
            event_type,
        })
    }
}
