//! A poll's records of one partition, decoded and checked off the GIL: the values are copied into
//! one buffer, so the decoding thread never touches a Python object. `WindowCore::decode` starts
//! it and `WindowCore::apply_batch` folds the events in (`methods.rs`).

use std::sync::Arc;
use std::thread::JoinHandle;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::record::{Checker, Event};

/// A poll's records of one partition, decoded and checked on a thread of its own while the
/// caller goes on (typically: kafka-python fetches the next poll, holding the GIL, on the other core).
#[pyclass(module = "meridian_native")]
pub struct Batch {
    pub offsets: Vec<i64>,
    pub values: Vec<Py<PyAny>>,
    decoding: Option<JoinHandle<Vec<Option<Event<'static>>>>>,
}

impl Batch {
    /// Read the records' offsets and values (kafka-python ``ConsumerRecord``s) and start decoding
    /// the values on a thread of their own.
    pub fn decode(py: Python<'_>, records: &Bound<'_, PyList>, checker: &Arc<Checker>) -> PyResult<Self> {
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
        let checker = Arc::clone(checker);
        let decoding = std::thread::Builder::new()
            .name("meridian-decode".into())
            .spawn(move || {
                spans.iter().map(|span| checker.fast(span.map(|(a, b)| &buffer[a..b])).map(Event::into_owned)).collect()
            })
            .map_err(|e| PyRuntimeError::new_err(format!("could not start a decoding thread: {e}")))?;
        Ok(Batch { offsets, values, decoding: Some(decoding) })
    }

    /// Wait for the decoding, without the GIL: what the fast path made of each record, in offset
    /// order (`None`: ask Python). A batch yields its events once.
    pub fn events(&mut self, py: Python<'_>) -> PyResult<Vec<Option<Event<'static>>>> {
        let Some(decoding) = self.decoding.take() else {
            return Err(PyValueError::new_err("this batch was applied already"));
        };
        py.detach(|| decoding.join()).map_err(|_| PyRuntimeError::new_err("the decoding thread panicked"))
    }
}
