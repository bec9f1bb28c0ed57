//! `WindowCore`'s Python methods (the one `#[pymethods]` block PyO3 allows a class): build it,
//! feed it records, hand its windows and tallies to `streaming/realtime/windows.py`, restore them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use rustc_hash::FxHashMap;

use crate::batch::Batch;
use crate::record::Checker;
use crate::window::{Agg, WindowCore, WindowRow};

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
        Batch::decode(py, records, &self.checker)
    }

    /// Fold a decoded batch in, in offset order (waits for its decoding, without the GIL).
    fn apply_batch(&mut self, py: Python<'_>, batch: &mut Batch) -> PyResult<usize> {
        let events = batch.events(py)?;
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
