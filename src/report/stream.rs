//! Results written as replications complete, in replication order, so memory does not grow with
//! replications: `replications.csv` and `trajectories.csv` row by row, and every statistic's
//! value spilled to a working file that is read back a batch of statistics at a time for the
//! summaries (means, intervals and percentiles stay exact).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};

use super::folder::{FolderError, ResultsFolder};
use crate::metrics::{Layout, ReplicationResult, Summary};
use crate::model::Model;

/// The working file of spilled values, removed before the folder is committed.
const SPILL: &str = ".values.bin";
/// Bytes of spilled values held in memory at once while summarising (16 MiB).
const SUMMARY_BATCH_BYTES: usize = 1 << 24;

/// A statistic across the replications of a run: its path and its summary (`None` where it was
/// undefined in every replication).
pub type Summaries = Vec<(String, Option<Summary>)>;

/// The per-replication files of a run being written.
pub struct StreamedResults<'f> {
    folder: &'f ResultsFolder,
    layout: Option<Layout>,
    replications: csv::Writer<BufWriter<File>>,
    trajectories: Option<csv::Writer<BufWriter<File>>>,
    spill: BufWriter<File>,
    count: u64,
    /// Per service, the most levels of its occupancy distribution any replication had.
    levels: Vec<usize>,
}

impl<'f> StreamedResults<'f> {
    /// Starts `replications.csv` and the spill in `folder`.
    pub fn new(folder: &'f ResultsFolder) -> Result<Self, FolderError> {
        let mut replications = csv::Writer::from_writer(folder.create("replications.csv")?);
        replications
            .write_record(["replication", "statistic", "value"])
            .map_err(|e| csv_error(folder, "replications.csv", e))?;
        Ok(StreamedResults {
            folder,
            layout: None,
            replications,
            trajectories: None,
            spill: folder.create(SPILL)?,
            count: 0,
            levels: Vec::new(),
        })
    }

    /// Writes one replication's results (the next in replication order).
    pub fn add(&mut self, model: &Model, result: &ReplicationResult) -> Result<(), FolderError> {
        if self.layout.is_none() {
            self.layout = Some(Layout::of(&model.network, result));
            self.levels = vec![0; result.services.len()];
            if result.months.first().is_some_and(|(_, values)| !values.is_empty()) {
                let mut writer = csv::Writer::from_writer(self.folder.create("trajectories.csv")?);
                writer
                    .write_record(["replication", "month", "metric", "value"])
                    .map_err(|e| csv_error(self.folder, "trajectories.csv", e))?;
                self.trajectories = Some(writer);
            }
        }
        let layout = self.layout.as_ref().expect("set above");
        let replication = result.replication.to_string();
        for (path, value) in result.statistics(layout) {
            let value = value.map(|v| v.to_string()).unwrap_or_default();
            self.replications
                .write_record([replication.as_str(), path.as_str(), value.as_str()])
                .map_err(|e| csv_error(self.folder, "replications.csv", e))?;
        }
        if let Some(writer) = &mut self.trajectories {
            for (month, values) in &result.months {
                for (name, value) in values {
                    let value = value.map(|v| v.to_string()).unwrap_or_default();
                    writer
                        .write_record([replication.as_str(), month.as_str(), name.as_str(), value.as_str()])
                        .map_err(|e| csv_error(self.folder, "trajectories.csv", e))?;
                }
            }
        }
        let spill_error = |source| FolderError::Io {
            path: self.folder.target().join(SPILL),
            source,
        };
        let mut record = Vec::with_capacity(8 * layout.fixed_len());
        for value in result.fixed_values() {
            record.extend_from_slice(&value.unwrap_or(f64::NAN).to_le_bytes());
        }
        for (s, service) in result.services.iter().enumerate() {
            let shares = &service.occupancy_at_least;
            self.levels[s] = self.levels[s].max(shares.len());
            record.extend_from_slice(&(shares.len() as u64).to_le_bytes());
            for share in shares {
                record.extend_from_slice(&share.to_le_bytes());
            }
        }
        self.spill.write_all(&record).map_err(spill_error)?;
        self.count += 1;
        Ok(())
    }

    /// Finishes the files and returns every statistic's summary, in output order.
    pub fn finish(self) -> Result<Summaries, FolderError> {
        let folder = self.folder;
        let replications = self
            .replications
            .into_inner()
            .map_err(|e| csv_error(folder, "replications.csv", e.into_error()))?;
        folder.finish("replications.csv", replications)?;
        if let Some(writer) = self.trajectories {
            let file = writer
                .into_inner()
                .map_err(|e| csv_error(folder, "trajectories.csv", e.into_error()))?;
            folder.finish("trajectories.csv", file)?;
        }
        let spill_error = |source| FolderError::Io {
            path: folder.target().join(SPILL),
            source,
        };
        self.spill
            .into_inner()
            .map_err(|e| spill_error(e.into_error()))?
            .sync_all()
            .map_err(spill_error)?;
        let summaries = match &self.layout {
            Some(layout) => summarise(folder, layout, &self.levels, self.count).map_err(spill_error)?,
            None => Vec::new(),
        };
        folder.remove(SPILL)?;
        Ok(summaries)
    }
}

fn csv_error(folder: &ResultsFolder, name: &str, error: impl Into<io::Error>) -> FolderError {
    FolderError::Io {
        path: folder.target().join(name),
        source: error.into(),
    }
}

/// Where a statistic's values are in a spilled record.
#[derive(Clone, Copy)]
enum Place {
    /// The k-th of the fixed values.
    Fixed(usize),
    /// Level k (from 0) of service s's occupancy distribution (0 beyond the levels it reached).
    Occupancy(usize, usize),
}

/// Reads the spill back a batch of statistics at a time and summarises each.
fn summarise(folder: &ResultsFolder, layout: &Layout, levels: &[usize], count: u64) -> io::Result<Summaries> {
    let mut statistics: Vec<(String, Place)> = Vec::new();
    let mut fixed = 0;
    for (s, (_, names)) in layout.services.iter().enumerate() {
        for name in names {
            statistics.push((name.clone(), Place::Fixed(fixed)));
            fixed += 1;
        }
        for level in 0..levels[s] {
            statistics.push((layout.occupancy_name(s, level + 1), Place::Occupancy(s, level)));
        }
    }
    for name in &layout.tail {
        statistics.push((name.clone(), Place::Fixed(fixed)));
        fixed += 1;
    }
    let batch = (SUMMARY_BATCH_BYTES / (8 * count.max(1) as usize)).max(64);
    let mut summaries = Summaries::with_capacity(statistics.len());
    for chunk in statistics.chunks(batch) {
        let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(count as usize); chunk.len()];
        let mut reader = BufReader::new(File::open(folder.staged(SPILL))?);
        let mut fixed_values = vec![0.0; layout.fixed_len()];
        let mut occupancy: Vec<Vec<f64>> = vec![Vec::new(); layout.services.len()];
        for _ in 0..count {
            for value in &mut fixed_values {
                *value = read_f64(&mut reader)?;
            }
            for shares in &mut occupancy {
                let len = read_u64(&mut reader)? as usize;
                shares.clear();
                for _ in 0..len {
                    shares.push(read_f64(&mut reader)?);
                }
            }
            for ((_, place), column) in chunk.iter().zip(&mut columns) {
                column.push(match *place {
                    Place::Fixed(k) => Some(fixed_values[k]).filter(|v| !v.is_nan()),
                    Place::Occupancy(s, level) => Some(occupancy[s].get(level).copied().unwrap_or(0.0)),
                });
            }
        }
        for ((name, _), column) in chunk.iter().zip(columns) {
            summaries.push((name.clone(), Summary::of(column)));
        }
    }
    Ok(summaries)
}

fn read_f64(reader: &mut impl Read) -> io::Result<f64> {
    let mut bytes = [0; 8];
    reader.read_exact(&mut bytes)?;
    Ok(f64::from_le_bytes(bytes))
}

fn read_u64(reader: &mut impl Read) -> io::Result<u64> {
    let mut bytes = [0; 8];
    reader.read_exact(&mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}
