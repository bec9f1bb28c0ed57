//! The streaming service's per-record hot path, for one Kafka partition: decode the JSON value,
//! check it against the event contract, and fold it into its event-time window.
//!
//! The semantics are those of `streaming/realtime/windows.py`, which wraps this class and owns
//! everything that is not per record (snapshots, emission, the late tallies' records). In Python
//! this path cost ~27 us a record on the benchmark machine, as much as kafka-python's own consume
//! loop. Here the window update costs ~3 us (half of it calls into Python: the HLL update and
//! reading the records), and decoding runs on another thread while kafka-python fetches.
//! `record.rs` reads one record; this file holds a partition's windows and the Python bindings.
//!
//! Python stays the authority on every record this code does not accept outright: a value that
//! fails to decode, breaks the contract, or has a timestamp outside the common shape is handed to
//! the `judge` callable (`streaming.events.contract.parse_record`), which answers a reason code or
//! the accepted event's fields. So a reason code is always Python's, and this code can only ever
//! accept what Python accepts (`contract.rs` says why; the tests compare both on generated and
//! malformed records).
//! Distinct users stay in Apache DataSketches HLL objects, updated through Python.

mod contract;
mod doc;
mod event_time;
mod record;

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::thread::JoinHandle;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use rustc_hash::FxHashMap;

use crate::record::{Checker, Event};

const HOUR_MS: i64 = 3_600_000;

/// One partition's share of one window (`windows.Aggregate` on the Python side).
struct Agg {
    events: u64,
    purchases: u64,
    errors: u64,
    revenue_usd: f64,
    users: Py<PyAny>,
    latency_zeros: u64,
    latency_buckets: HashMap<i64, u64>,
    event_ids: HashSet<String>,
}

/// A window handed to Python: start ms, region, event type and its counts.
type WindowRow<'py> = (i64, String, String, Bound<'py, PyDict>);

/// (window start ms, region, event type); names are interned into `WindowCore::names`.
type Key = (i64, u16, u16);

/// A poll's records of one partition, decoded and checked on a thread of its own while the
/// caller goes on (typically: kafka-python fetches the next poll, holding the GIL, on the other core).
#[pyclass(module = "meridian_native")]
pub struct Batch {
    offsets: Vec<i64>,
    values: Vec<Py<PyAny>>,
    decoding: Option<JoinHandle<Vec<Option<Event<'static>>>>>,
}

#[pyclass(module = "meridian_native")]
pub struct WindowCore {
    window_ms: i64,
    lateness_ms: i64,
    log_gamma: f64,
    fx_rates: HashMap<String, f64>,
    checker: Arc<Checker>,
    judge: Py<PyAny>,
    new_users: Py<PyAny>,
    names: Vec<String>,
    windows: FxHashMap<Key, Agg>,
    late_by_hour: HashMap<(i64, u16), u64>,
    late_changed: HashSet<(i64, u16)>,
    invalid: HashMap<String, u64>,
    /// The next offset to read; records before it are replays and are skipped.
    #[pyo3(get, set)]
    offset: i64,
    #[pyo3(get, set)]
    max_event_ms: Option<i64>,
    #[pyo3(get, set)]
    late: u64,
    #[pyo3(get, set)]
    duplicates: u64,
}

impl WindowCore {
    fn intern(&mut self, name: &str) -> u16 {
        match self.names.iter().position(|n| n == name) {
            Some(i) => i as u16,
            None => {
                self.names.push(name.to_owned());
                (self.names.len() - 1) as u16
            }
        }
    }

    /// Apply one record given what the fast path made of it (`None`: ask Python).
    fn record(
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

    fn sorted_keys(&self, keys: impl Iterator<Item = Key>) -> Vec<Key> {
        let mut keys: Vec<Key> = keys.collect();
        let names = &self.names;
        keys.sort_by(|a, b| {
            (a.0, &names[a.1 as usize], &names[a.2 as usize]).cmp(&(b.0, &names[b.1 as usize], &names[b.2 as usize]))
        });
        keys
    }

    fn export<'py>(&self, py: Python<'py>, key: Key, agg: &Agg, with_ids: bool) -> PyResult<WindowRow<'py>> {
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

#[pymethods]
impl WindowCore {
    #[new]
    #[allow(clippy::too_many_arguments)]
    fn new(
        window_ms: i64,
        lateness_ms: i64,
        log_gamma: f64,
        fx_rates: HashMap<String, f64>,
        schemas: HashMap<i64, String>,
        judge: Py<PyAny>,
        new_users: Py<PyAny>,
        offset: i64,
    ) -> PyResult<Self> {
        if window_ms <= 0 || lateness_ms < 0 {
            return Err(PyValueError::new_err("window_ms must be > 0 and lateness_ms >= 0"));
        }
        let checker = Checker::new(schemas).map_err(PyValueError::new_err)?;
        Ok(Self {
            window_ms,
            lateness_ms,
            log_gamma,
            fx_rates,
            checker: Arc::new(checker),
            judge,
            new_users,
            names: Vec::new(),
            windows: FxHashMap::default(),
            late_by_hour: HashMap::new(),
            late_changed: HashSet::new(),
            invalid: HashMap::new(),
            offset,
            max_event_ms: None,
            late: 0,
            duplicates: 0,
        })
    }

    /// Apply one record; `offset` must be the partition's next one (replays before it are skipped).
    fn process(&mut self, py: Python<'_>, offset: i64, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = value.cast::<PyBytes>().ok().map(|b| b.as_bytes());
        let fast = self.checker.fast(bytes);
        self.record(py, offset, value, fast)
    }

    /// Start decoding and checking a poll's records of this partition (kafka-python
    /// ``ConsumerRecord``s) on a thread of its own; `apply_batch` folds them in, in offset order.
    /// The values are copied into one buffer first, so the thread never touches a Python object.
    fn decode(&self, py: Python<'_>, records: &Bound<'_, PyList>) -> PyResult<Batch> {
        let mut offsets = Vec::with_capacity(records.len());
        let mut values = Vec::with_capacity(records.len());
        let mut buffer = Vec::new();
        let mut spans = Vec::with_capacity(records.len());
        for record in records.iter() {
            offsets.push(record.getattr(intern!(py, "offset"))?.extract::<i64>()?);
            let value = record.getattr(intern!(py, "value"))?;
            spans.push(value.cast::<PyBytes>().ok().map(|b| {
                let start = buffer.len();
                buffer.extend_from_slice(b.as_bytes());
                (start, buffer.len())
            }));
            values.push(value.unbind());
        }
        let checker = Arc::clone(&self.checker);
        let decoding = std::thread::Builder::new()
            .name("meridian-decode".into())
            .spawn(move || {
                spans.iter().map(|span| checker.fast(span.map(|(a, b)| &buffer[a..b])).map(Event::into_owned)).collect()
            })
            .map_err(|e| PyRuntimeError::new_err(format!("could not start a decoding thread: {e}")))?;
        Ok(Batch { offsets, values, decoding: Some(decoding) })
    }

    /// Fold a decoded batch in, in offset order (waits for its decoding, without the GIL).
    fn apply_batch(&mut self, py: Python<'_>, batch: &mut Batch) -> PyResult<usize> {
        let Some(decoding) = batch.decoding.take() else {
            return Err(PyValueError::new_err("this batch was applied already"));
        };
        let events =
            py.detach(|| decoding.join()).map_err(|_| PyRuntimeError::new_err("the decoding thread panicked"))?;
        for ((offset, value), event) in batch.offsets.iter().zip(&batch.values).zip(events) {
            self.record(py, *offset, value.bind(py), event)?;
        }
        Ok(batch.offsets.len())
    }

    /// `decode` then `apply_batch`: a poll's records of this partition, in order.
    fn process_records(&mut self, py: Python<'_>, records: &Bound<'_, PyList>) -> PyResult<usize> {
        let mut batch = self.decode(py, records)?;
        self.apply_batch(py, &mut batch)
    }

    /// Remove and return, oldest first, every window whose end the watermark has reached.
    fn close_ready<'py>(&mut self, py: Python<'py>) -> PyResult<Vec<WindowRow<'py>>> {
        let Some(max) = self.max_event_ms else {
            return Ok(Vec::new());
        };
        let watermark = max - self.lateness_ms;
        let ready = self.sorted_keys(self.windows.keys().copied().filter(|k| k.0 + self.window_ms <= watermark));
        let mut out = Vec::with_capacity(ready.len());
        for key in ready {
            if let Some(agg) = self.windows.remove(&key) {
                out.push(self.export(py, key, &agg, false)?);
            }
        }
        Ok(out)
    }

    /// The open windows, ordered by key; `with_ids` adds each window's event ids (for snapshots).
    fn open_windows<'py>(&self, py: Python<'py>, with_ids: bool) -> PyResult<Vec<WindowRow<'py>>> {
        self.sorted_keys(self.windows.keys().copied())
            .into_iter()
            .map(|key| self.export(py, key, &self.windows[&key], with_ids))
            .collect()
    }

    fn open_window_count(&self) -> usize {
        self.windows.len()
    }

    /// Put a window back (restoring a snapshot).
    #[allow(clippy::too_many_arguments)]
    fn put_window(
        &mut self,
        start_ms: i64,
        region: &str,
        event_type: &str,
        events: u64,
        purchases: u64,
        errors: u64,
        revenue_usd: f64,
        users: Py<PyAny>,
        latency_zeros: u64,
        latency_buckets: HashMap<i64, u64>,
        event_ids: Vec<String>,
    ) {
        let key = (start_ms, self.intern(region), self.intern(event_type));
        let agg = Agg {
            events,
            purchases,
            errors,
            revenue_usd,
            users,
            latency_zeros,
            latency_buckets,
            event_ids: event_ids.into_iter().collect(),
        };
        self.windows.insert(key, agg);
    }

    /// Invalid records by reason code.
    fn invalid(&self) -> HashMap<String, u64> {
        self.invalid.clone()
    }

    fn set_invalid(&mut self, counts: HashMap<String, u64>) {
        self.invalid = counts;
    }

    /// Late events by (hour start ms, region), ordered.
    fn late_by_hour(&self) -> Vec<(i64, String, u64)> {
        let mut out: Vec<(i64, String, u64)> =
            self.late_by_hour.iter().map(|(&(h, r), &n)| (h, self.names[r as usize].clone(), n)).collect();
        out.sort();
        out
    }

    /// The (hour, region) tallies changed since the last `take_late_changed`, ordered.
    fn late_changed(&self) -> Vec<(i64, String)> {
        let mut out: Vec<(i64, String)> =
            self.late_changed.iter().map(|&(h, r)| (h, self.names[r as usize].clone())).collect();
        out.sort();
        out
    }

    /// Like `late_changed` with each tally's count, and forget them.
    fn take_late_changed(&mut self) -> Vec<(i64, String, u64)> {
        let mut out: Vec<(i64, String, u64)> = self
            .late_changed
            .drain()
            .map(|(h, r)| (h, self.names[r as usize].clone(), self.late_by_hour[&(h, r)]))
            .collect();
        out.sort();
        out
    }

    fn restore_late(&mut self, by_hour: Vec<(i64, String, u64)>, changed: Vec<(i64, String)>) {
        self.late_by_hour.clear();
        self.late_changed.clear();
        for (hour, region, n) in by_hour {
            let key = (hour, self.intern(&region));
            self.late_by_hour.insert(key, n);
        }
        for (hour, region) in changed {
            let key = (hour, self.intern(&region));
            self.late_changed.insert(key);
        }
    }
}

/// The latency sketch bucket of a value > 0, exactly as `LatencySketch.add` computes it.
#[pyfunction]
fn latency_bucket(value: f64, log_gamma: f64) -> i64 {
    (value.ln() / log_gamma).ceil() as i64
}

/// Event time in epoch ms for the handled shape, else None (exposed for the equivalence tests).
#[pyfunction]
fn event_time_ms(text: &str) -> Option<i64> {
    event_time::epoch_ms(text)
}

#[pymodule]
fn meridian_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<WindowCore>()?;
    m.add_class::<Batch>()?;
    m.add_function(wrap_pyfunction!(latency_bucket, m)?)?;
    m.add_function(wrap_pyfunction!(event_time_ms, m)?)?;
    Ok(())
}
