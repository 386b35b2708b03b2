//! `trace.csv`: every patient event of the first replication, written as it happens, up to a cap.

use std::fs::File;
use std::io::{self, BufWriter};

use crate::model::simulation::{TraceEvent, Tracer};
use crate::model::{Network, NodeIndex};

/// The events of a trace before it stops (about 100 MB of CSV).
pub const DEFAULT_TRACE_MAX_EVENTS: u64 = 3_000_000;

/// Writes a replication's patient events to `trace.csv`, stopping after `max_events`.
pub struct TraceWriter {
    writer: csv::Writer<BufWriter<File>>,
    cohorts: Vec<String>,
    nodes: Vec<String>,
    written: u64,
    max_events: u64,
    truncated: bool,
    error: Option<io::Error>,
}

impl TraceWriter {
    /// A trace of `network`'s events written to `file`, at most `max_events` of them.
    pub fn new(file: BufWriter<File>, network: &Network, max_events: u64) -> io::Result<TraceWriter> {
        let mut writer = csv::Writer::from_writer(file);
        writer.write_record(["time", "patient", "cohort", "node", "event"])?;
        Ok(TraceWriter {
            writer,
            cohorts: network.cohorts.iter().map(|c| c.id.clone()).collect(),
            nodes: network.nodes.iter().map(|n| n.id.clone()).collect(),
            written: 0,
            max_events,
            truncated: false,
            error: None,
        })
    }

    /// The file, the events written, and whether the cap stopped it.
    pub fn finish(self) -> io::Result<(BufWriter<File>, u64, bool)> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let file = self.writer.into_inner().map_err(|e| e.into_error())?;
        Ok((file, self.written, self.truncated))
    }
}

impl Tracer for TraceWriter {
    fn record(&mut self, time: f64, patient: u64, cohort: u16, node: NodeIndex, event: TraceEvent) {
        if self.error.is_some() {
            return;
        }
        if self.written >= self.max_events {
            self.truncated = true;
            return;
        }
        self.written += 1;
        let written = self.writer.write_record([
            time.to_string().as_str(),
            patient.to_string().as_str(),
            self.cohorts[cohort as usize].as_str(),
            self.nodes[node as usize].as_str(),
            event.name(),
        ]);
        if let Err(error) = written {
            self.error = Some(error.into());
        }
    }
}
