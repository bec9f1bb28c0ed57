//! A fast "certainly valid?" check of an event against the contract's JSON Schema file.
//!
//! It answers `Valid`, `Invalid` or `Unsure`, and only `Valid` lets a record skip Python: both of
//! the others go to Python's validator (jsonschema-rs, then fastjsonschema for the reason code).
//! So this check never needs to be complete, only never wrong when it says `Valid`. Where exact
//! JSON Schema semantics would take care (numbers of different representations in `enum`, a float
//! with no fraction as `integer`, patterns on non-ASCII text, integers beyond 2^53), it says
//! `Unsure`. Three-valued logic keeps that property through `not`, `anyOf` and `if`.
//!
//! Why not the `jsonschema` crate itself (the engine jsonschema-rs wraps): it and its regex stack
//! take ~2.5 minutes to compile on 2 cores, on every clean `make test`, for a schema that uses ten
//! keywords. A keyword outside those ten makes `Schema::compile` fail, so a new rule in the schema
//! file cannot be silently ignored here.

use std::collections::HashSet;

use regex::Regex;
use serde_json::{Map, Value};

use crate::doc::{Doc, Scalar, Slots};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
    Valid,
    Invalid,
    Unsure,
}

use Verdict::{Invalid, Unsure, Valid};

impl Verdict {
    fn from_bool(ok: bool) -> Self {
        if ok {
            Valid
        } else {
            Invalid
        }
    }

    fn not(self) -> Self {
        match self {
            Valid => Invalid,
            Invalid => Valid,
            Unsure => Unsure,
        }
    }
}

/// All of `verdicts`: one `Invalid` decides; otherwise any `Unsure` leaves it open.
fn all(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let mut out = Valid;
    for v in verdicts {
        match v {
            Invalid => return Invalid,
            Unsure => out = Unsure,
            Valid => {}
        }
    }
    out
}

/// Any of `verdicts`: one `Valid` decides; all `Invalid` is `Invalid`; otherwise open.
fn any(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let mut out = Invalid;
    for v in verdicts {
        match v {
            Valid => return Valid,
            Unsure => out = Unsure,
            Invalid => {}
        }
    }
    out
}

enum Check {
    Type(Vec<JsonType>),
    Required(Vec<u16>),
    Properties(Vec<(u16, Schema)>),
    NoAdditional(HashSet<String>),
    Enum(Vec<Value>),
    Pattern(Regex),
    MinLength(usize),
    Minimum(f64),
    Not(Box<Schema>),
    AnyOf(Vec<Schema>),
    IfThenElse(Box<Schema>, Option<Box<Schema>>, Option<Box<Schema>>),
}

pub struct Schema(Vec<Check>);

const ANNOTATIONS: [&str; 7] = ["$schema", "$id", "$comment", "title", "description", "default", "examples"];
#[derive(Clone, Copy, PartialEq, Eq)]
enum JsonType {
    Object,
    Array,
    String,
    Number,
    Integer,
    Boolean,
    Null,
}

impl JsonType {
    fn named(name: &str) -> Result<Self, String> {
        Ok(match name {
            "object" => JsonType::Object,
            "array" => JsonType::Array,
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "null" => JsonType::Null,
            other => return Err(format!("unknown type {other:?}")),
        })
    }
}

impl Schema {
    /// Compile `schema`; field names get their slots from `slots`.
    pub fn compile(schema: &Value, slots: &mut Slots) -> Result<Self, String> {
        let object = match schema {
            Value::Bool(true) => return Ok(Schema(Vec::new())),
            Value::Object(o) => o,
            other => return Err(format!("unsupported schema {other}")),
        };
        let mut checks = Vec::new();
        for (keyword, arg) in object {
            let check = match keyword.as_str() {
                k if ANNOTATIONS.contains(&k) => continue,
                "then" | "else" if object.contains_key("if") => continue,
                "then" | "else" => continue, // without "if" they have no effect
                "type" => Check::Type(type_names(arg)?),
                "required" => Check::Required(strings(arg)?.iter().map(|n| slots.of(n)).collect::<Result<_, _>>()?),
                "properties" => Check::Properties(properties(arg, slots)?),
                "additionalProperties" => match arg {
                    Value::Bool(true) => continue,
                    Value::Bool(false) => Check::NoAdditional(property_names(object)),
                    _ => return Err("additionalProperties must be true or false here".into()),
                },
                "enum" => Check::Enum(arg.as_array().ok_or("enum must be an array")?.clone()),
                "const" => Check::Enum(vec![arg.clone()]),
                "pattern" => {
                    let text = arg.as_str().ok_or("pattern must be a string")?;
                    // (?-u): ASCII classes; non-ASCII text never reaches the regex (it is Unsure).
                    let ascii = format!("(?-u){text}");
                    Check::Pattern(Regex::new(&ascii).map_err(|e| format!("pattern {text}: {e}"))?)
                }
                "minLength" => Check::MinLength(arg.as_u64().ok_or("minLength must be an integer")? as usize),
                "minimum" => Check::Minimum(arg.as_f64().ok_or("minimum must be a number")?),
                "not" => Check::Not(Box::new(Schema::compile(arg, slots)?)),
                "anyOf" => Check::AnyOf(
                    arg.as_array()
                        .ok_or("anyOf must be an array")?
                        .iter()
                        .map(|s| Schema::compile(s, slots))
                        .collect::<Result<_, _>>()?,
                ),
                "if" => {
                    let condition = Box::new(Schema::compile(arg, slots)?);
                    let mut branch =
                        |name: &str| object.get(name).map(|s| Schema::compile(s, slots).map(Box::new)).transpose();
                    let then = branch("then")?;
                    Check::IfThenElse(condition, then, branch("else")?)
                }
                other => return Err(format!("keyword {other:?} is not supported by the native contract check")),
            };
            checks.push(check);
        }
        Ok(Schema(checks))
    }

    /// The verdict on a record's top level.
    pub fn check(&self, doc: &Doc<'_>) -> Verdict {
        self.check_node(Node::Top(doc))
    }

    fn check_node(&self, node: Node<'_, '_>) -> Verdict {
        all(self.0.iter().map(|c| c.check(node)))
    }
}

/// What a check looks at: the record's top level, or one of its fields.
#[derive(Clone, Copy)]
pub enum Node<'x, 'a> {
    Top(&'x Doc<'a>),
    Field(&'x Scalar<'a>),
}

impl Check {
    fn check(&self, node: Node<'_, '_>) -> Verdict {
        use Node::{Field, Top};
        match (self, node) {
            (Check::Type(types), _) => any(types.iter().map(|&t| is_type(t, node))),
            (Check::Required(names), Top(doc)) => Verdict::from_bool(names.iter().all(|&n| doc.get(n).is_some())),
            (Check::Properties(props), Top(doc)) => {
                all(props.iter().filter_map(|(name, s)| doc.get(*name).map(|v| s.check_node(Field(v)))))
            }
            (Check::NoAdditional(known), Top(doc)) => Verdict::from_bool(doc.names().all(|k| known.contains(k))),
            // object keywords on a nested object: its fields were not kept
            (Check::Required(_) | Check::Properties(_) | Check::NoAdditional(_), Field(Scalar::Object)) => Unsure,
            (Check::Required(_) | Check::Properties(_) | Check::NoAdditional(_), Field(_)) => Valid,
            (Check::Enum(options), Field(Scalar::Str(s))) => {
                Verdict::from_bool(options.iter().any(|o| o.as_str() == Some(s.as_ref())))
            }
            (Check::Enum(options), Field(Scalar::Bool(b))) => {
                Verdict::from_bool(options.iter().any(|o| o.as_bool() == Some(*b)))
            }
            (Check::Enum(options), Field(Scalar::Null)) => Verdict::from_bool(options.iter().any(Value::is_null)),
            // numbers (1 and 1.0 are equal in JSON Schema), arrays, objects: left to Python
            (Check::Enum(_), _) => Unsure,
            (Check::Pattern(_), Field(Scalar::Str(s))) if !s.is_ascii() => Unsure, // dialects differ on Unicode
            (Check::Pattern(regex), Field(Scalar::Str(s))) => Verdict::from_bool(regex.is_match(s)),
            (Check::MinLength(n), Field(Scalar::Str(s))) => Verdict::from_bool(s.chars().count() >= *n),
            (Check::Minimum(min), Field(Scalar::Int(i))) if i.unsigned_abs() <= 1 << 53 => {
                Verdict::from_bool(*i as f64 >= *min)
            }
            (Check::Minimum(min), Field(Scalar::Float(f))) => Verdict::from_bool(*f >= *min),
            (Check::Minimum(_), Field(Scalar::Int(_) | Scalar::UInt(_))) => Unsure,
            (Check::Pattern(_) | Check::MinLength(_) | Check::Minimum(_), _) => Valid, // not a string / number
            (Check::Not(schema), _) => schema.check_node(node).not(),
            (Check::AnyOf(schemas), _) => any(schemas.iter().map(|s| s.check_node(node))),
            (Check::IfThenElse(condition, then, otherwise), _) => match condition.check_node(node) {
                Valid => then.as_ref().map_or(Valid, |s| s.check_node(node)),
                Invalid => otherwise.as_ref().map_or(Valid, |s| s.check_node(node)),
                Unsure => Unsure,
            },
        }
    }
}

fn is_type(wanted: JsonType, node: Node<'_, '_>) -> Verdict {
    use JsonType as T;
    let Node::Field(value) = node else {
        return Verdict::from_bool(wanted == T::Object);
    };
    match (wanted, value) {
        (T::Object, Scalar::Object)
        | (T::Array, Scalar::Array)
        | (T::String, Scalar::Str(_))
        | (T::Number, Scalar::Int(_) | Scalar::UInt(_) | Scalar::Float(_))
        | (T::Integer, Scalar::Int(_) | Scalar::UInt(_))
        | (T::Boolean, Scalar::Bool(_))
        | (T::Null, Scalar::Null) => Valid,
        // draft-07 counts 1.0 as an integer; leave that to Python
        (T::Integer, Scalar::Float(f)) if f.fract() == 0.0 => Unsure,
        _ => Invalid,
    }
}

fn type_names(arg: &Value) -> Result<Vec<JsonType>, String> {
    match arg {
        Value::String(s) => Ok(vec![JsonType::named(s)?]),
        _ => strings(arg)?.iter().map(|s| JsonType::named(s)).collect(),
    }
}

fn strings(arg: &Value) -> Result<Vec<String>, String> {
    arg.as_array()
        .ok_or("expected an array of strings")?
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| "expected an array of strings".to_string()))
        .collect()
}

fn properties(arg: &Value, slots: &mut Slots) -> Result<Vec<(u16, Schema)>, String> {
    arg.as_object()
        .ok_or("properties must be an object")?
        .iter()
        .map(|(name, s)| Ok((slots.of(name)?, Schema::compile(s, slots)?)))
        .collect()
}

fn property_names(object: &Map<String, Value>) -> HashSet<String> {
    object.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()
}
