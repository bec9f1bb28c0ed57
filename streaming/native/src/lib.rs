//! The streaming service's per-record hot path, for one Kafka partition: decode the JSON value,
//! check it against the event contract, and fold it into its event-time window.
//!
//! The semantics are those of `streaming/realtime/windows.py`, which wraps `WindowCore` and owns
//! everything that is not per record (snapshots, emission, the late tallies' records). In Python
//! this path cost ~27 us a record on the benchmark machine, as much as kafka-python's own consume
//! loop. Here the window update costs ~3 us (half of it calls into Python: the HLL update and
//! reading the records), and decoding runs on another thread while kafka-python fetches.
//! `record.rs` reads one record; `window.rs` holds a partition's windows (`WindowCore`) and
//! `methods.rs` its Python methods; `batch.rs` decodes a poll's records on a thread of their own.
//!
//! Python stays the authority on every record this code does not accept outright: a value that
//! fails to decode, breaks the contract, or has a timestamp outside the common shape is handed to
//! the `judge` callable (`streaming.events.contract.parse_record`), which answers a reason code or
//! the accepted event's fields. So a reason code is always Python's, and this code can only ever
//! accept what Python accepts (`contract.rs` says why; the tests compare both on generated and
//! malformed records).
//! Distinct users stay in Apache DataSketches HLL objects, updated through Python.

mod batch;
mod contract;
mod doc;
mod event_time;
mod methods;
mod record;
mod window;

use pyo3::prelude::*;

use crate::batch::Batch;
use crate::window::WindowCore;

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
