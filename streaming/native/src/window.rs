//! A partition's event-time windows: the state `WindowCore` keeps, the per-record fold into it
//! (`record`, `apply`) and a window's export to Python. Its Python methods are in `methods.rs`.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rustc_hash::FxHashMap;

use crate::record::{Checker, Event};

const HOUR_MS: i64 = 3_600_000;

/// One partition's share of one window (`windows.Aggregate` on the Python side).
pub struct Agg {
    pub events: u64,
    pub purchases: u64,
    pub errors: u64,
    pub revenue_usd: f64,
    pub users: Py<PyAny>,
    pub latency_zeros: u64,
    pub latency_buckets: HashMap<i64, u64>,
    pub event_ids: HashSet<String>,
}

/// A window handed to Python: start ms, region, event type and its counts.
pub type WindowRow<'py> = (i64, String, String, Bound<'py, PyDict>);

/// (window start ms, region, event type); names are interned into `WindowCore::names`.
pub type Key = (i64, u16, u16);

#[pyclass(module = "meridian_native")]
pub struct WindowCore {
    pub window_ms: i64,
    pub lateness_ms: i64,
    pub log_gamma: f64,
    pub fx_rates: HashMap<String, f64>,
    pub checker: Arc<Checker>,
    pub judge: Py<PyAny>,
    pub new_users: Py<PyAny>,
    pub names: Vec<String>,
    pub windows: FxHashMap<Key, Agg>,
    pub late_by_hour: HashMap<(i64, u16), u64>,
    pub late_changed: HashSet<(i64, u16)>,
    pub invalid: HashMap<String, u64>,
    /// The next offset to read; records before it are replays and are skipped.
    #[pyo3(get, set)]
    pub offset: i64,
    #[pyo3(get, set)]
    pub max_event_ms: Option<i64>,
    #[pyo3(get, set)]
    pub late: u64,
    #[pyo3(get, set)]
    pub duplicates: u64,
}

impl WindowCore {
    pub fn intern(&mut self, name: &str) -> u16 {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i as u16,
            None => {
                self.names.push(name.to_owned());
                (self.names.len() - 1) as u16
            }
        }
    }

    /// Apply one record given what the fast path made of it (`None`: ask Python).
    pub fn record(
        &mut self,
        py: Python<'_>,
        offset: i64,
        value: &Bound<'_, PyAny>,
        fast: Option<Event<'_>>,
    ) -> PyResult<()> {
        if offset < self.offset {
            return Ok(());
        }
        self.offset = offset + 1;
        if let Some(event) = fast {
            return self.apply(py, &event);
        }
        let verdict = self.judge.bind(py).call1((value,))?;
        if let Ok(reason) = verdict.extract::<String>() {
            *self.invalid.entry(reason).or_insert(0) += 1;
            return Ok(());
        }
        #[allow(clippy::type_complexity)]
        let (at, region, event_type, event_id, user_id, latency, amount, currency): (
            i64,
            String,
            String,
            String,
            String,
            Option<f64>,
            Option<f64>,
            Option<String>,
        ) = verdict.extract()?;
        let event = Event {
            at,
            region: region.into(),
            event_type: event_type.into(),
            event_id: event_id.into(),
            user_id: user_id.into(),
            latency,
            amount,
            currency: currency.map(Cow::Owned),
        };
        self.apply(py, &event)
    }

    fn apply(&mut self, py: Python<'_>, e: &Event<'_>) -> PyResult<()> {
        let at = e.at;
        let start = at - at.rem_euclid(self.window_ms);
        if let Some(max) = self.max_event_ms {
            if start + self.window_ms <= max - self.lateness_ms {
                self.late += 1;
                let hour = (at - at.rem_euclid(HOUR_MS), self.intern(&e.region));
                *self.late_by_hour.entry(hour).or_insert(0) += 1;
                self.late_changed.insert(hour);
                return Ok(());
            }
        }
        if self.max_event_ms.is_none_or(|max| at > max) {
            self.max_event_ms = Some(at);
        }
        let key = (start, self.intern(&e.region), self.intern(&e.event_type));
        let window = match self.windows.entry(key) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(Agg {
                events: 0,
                purchases: 0,
                errors: 0,
                revenue_usd: 0.0,
                users: self.new_users.call0(py)?,
                latency_zeros: 0,
                latency_buckets: HashMap::new(),
                event_ids: HashSet::new(),
            }),
        };
        if window.event_ids.contains(e.event_id.as_ref()) {
            self.duplicates += 1;
            return Ok(());
        }
        window.event_ids.insert(e.event_id.to_string());
        window.events += 1;
        window.users.bind(py).call_method1(intern!(py, "update"), (e.user_id.as_ref(),))?;
        if let Some(latency) = e.latency {
            if latency <= 0.0 {
                window.latency_zeros += 1;
            } else {
                let bucket = (latency.ln() / self.log_gamma).ceil() as i64;
                *window.latency_buckets.entry(bucket).or_insert(0) += 1;
            }
        }
        if e.event_type == "purchase" {
            window.purchases += 1;
            // as in gold: no fx rate, no amount in USD (silver's quality suite flags it)
            if let (Some(amount), Some(rate)) = (e.amount, e.currency.as_deref().and_then(|c| self.fx_rates.get(c))) {
                window.revenue_usd += amount * rate;
            }
        } else if e.event_type == "error" {
            window.errors += 1;
        }
        Ok(())
    }

    pub fn sorted_keys(&self, keys: impl Iterator<Item = Key>) -> Vec<Key> {
        let mut keys: Vec<Key> = keys.collect();
        let names = &self.names;
        keys.sort_by(|a, b| {
            (a.0, &names[a.1 as usize], &names[a.2 as usize]).cmp(&(b.0, &names[b.1 as usize], &names[b.2 as usize]))
        });
        keys
    }

    pub fn export<'py>(&self, py: Python<'py>, key: Key, agg: &Agg, with_ids: bool) -> PyResult<WindowRow<'py>> {
        let d = PyDict::new(py);
        d.set_item("events", agg.events)?;
        d.set_item("purchases", agg.purchases)?;
        d.set_item("errors", agg.errors)?;
        d.set_item("revenue_usd", agg.revenue_usd)?;
        d.set_item("users", agg.users.clone_ref(py))?;
        d.set_item("latency_zeros", agg.latency_zeros)?;
        d.set_item("latency_buckets", agg.latency_buckets.clone())?;
        if with_ids {
            d.set_item("event_ids", agg.event_ids.iter().collect::<Vec<_>>())?;
        }
        Ok((key.0, self.names[key.1 as usize].clone(), self.names[key.2 as usize].clone(), d))
    }
}
