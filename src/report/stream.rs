//! Results written as replications complete, in replication order, so memory does not grow with
//! replications: `replications.csv`, `cohorts.csv` and `trajectories.csv` row by row (each service's
//! occupancy distribution is summarised in `occupancy.csv` only), and every statistic's
//! value spilled to a working file that is read back a batch of statistics at a time for the
//! summaries (means, intervals and percentiles stay exact).

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use super::folder::{FolderError, ResultsFolder};
use crate::metrics::trajectory::Period;
use crate::metrics::{CohortStatistics, Layout, ReplicationResult, Summary};
use crate::model::{Model, NodeKind};

/// The working file of spilled values (in the run's subfolder), removed before the folder is
/// committed.
const SPILL: &str = ".values.bin";
/// Bytes of spilled values held in memory at once while summarising (16 MiB).
const SUMMARY_BATCH_BYTES: usize = 1 << 24;

/// The files of a run with a row per replication (or several), each row depending on its
/// replication alone, so that the files of replication ranges run apart concatenate (after one
/// header) into the whole run's. `cohorts.csv` and `trajectories.csv` are written only where the
/// scenario has several cohorts, or metrics.
pub const PER_REPLICATION_FILES: [&str; 3] = ["replications.csv", "cohorts.csv", "trajectories.csv"];

/// A statistic across the replications of a run: its path and its summary (`None` where it was
/// undefined in every replication).
pub type Summaries = Vec<(String, Option<Summary>)>;

/// The per-replication files of a run being written.
pub struct StreamedResults<'f> {
    folder: &'f ResultsFolder,
    /// Where in the folder the run's files go: `""`, or a subfolder such as `"base/"`.
    prefix: String,
    layout: Option<Layout>,
    replications: csv::Writer<BufWriter<File>>,
    /// `cohorts.csv`, where services are reached by several cohorts.
    cohorts: Option<csv::Writer<BufWriter<File>>>,
    trajectories: Option<csv::Writer<BufWriter<File>>>,
    spill: BufWriter<File>,
    count: u64,
    /// Per service, the most levels of its occupancy distribution any replication had.
    levels: Vec<usize>,
    /// The trajectory's figures, as the first replication gave them: each period and metric.
    trajectory: Vec<(Period, String)>,
    /// How many numbers each replication's series has.
    series: usize,
    /// How many numbers each replication's staff need by day has.
    staff_on_shift: usize,
}

/// A statistic across the replications of a run for one period of its trajectory: the period,
/// the metric's path, and its summary.
pub type TrajectorySummaries = Vec<(Period, String, Option<Summary>)>;

impl<'f> StreamedResults<'f> {
    /// Starts `replications.csv` and the spill in `folder`, in the subfolder `prefix` (`""`, or
    /// a name ending in `/`).
    pub fn new(folder: &'f ResultsFolder, prefix: &str) -> Result<Self, FolderError> {
        let name = format!("{prefix}replications.csv");
        let mut replications = csv::Writer::from_writer(folder.create(&name)?);
        replications
            .write_record(["replication", "statistic", "value"])
            .map_err(|e| csv_error(folder, &name, e))?;
        Ok(StreamedResults {
            folder,
            prefix: prefix.to_owned(),
            layout: None,
            replications,
            cohorts: None,
            trajectories: None,
            spill: folder.create(&format!("{prefix}{SPILL}"))?,
            count: 0,
            levels: Vec::new(),
            trajectory: Vec::new(),
            series: 0,
            staff_on_shift: 0,
        })
    }

    fn name(&self, file: &str) -> String {
        format!("{}{file}", self.prefix)
    }

    /// Writes one replication's results (the next in replication order).
    pub fn add(&mut self, model: &Model, result: &ReplicationResult) -> Result<(), FolderError> {
        if self.layout.is_none() {
            self.layout = Some(Layout::of(&model.network, result));
            self.levels = vec![0; result.services.len()];
            self.series = result.series.len();
            self.staff_on_shift = result.staff_on_shift.len();
            self.trajectory = result
                .periods
                .iter()
                .flat_map(|(period, figures)| figures.iter().map(move |(name, _)| (period.clone(), name.clone())))
                .collect();
            if result.months.first().is_some_and(|(_, values)| !values.is_empty()) {
                let name = self.name("trajectories.csv");
                let mut writer = csv::Writer::from_writer(self.folder.create(&name)?);
                writer
                    .write_record(["replication", "month", "metric", "value"])
                    .map_err(|e| csv_error(self.folder, &name, e))?;
                self.trajectories = Some(writer);
            }
            if model.network.cohorts.len() > 1 {
                let name = self.name("cohorts.csv");
                let mut writer = csv::Writer::from_writer(self.folder.create(&name)?);
                let header = ["replication", "service", "cohort"]
                    .into_iter()
                    .chain(CohortStatistics::NAMES);
                writer
                    .write_record(header)
                    .map_err(|e| csv_error(self.folder, &name, e))?;
                self.cohorts = Some(writer);
            }
        }
        let layout = self.layout.as_ref().expect("set above");
        let replication = result.replication.to_string();
        let (folder, prefix) = (self.folder, self.prefix.as_str());
        let error = |file: &'static str| move |e: csv::Error| csv_error(folder, &format!("{prefix}{file}"), e);
        for (path, value) in result.statistics(layout) {
            if path.contains(".occupancy_at_least.") {
                continue;
            }
            if self.cohorts.is_some() && path.contains(".by_cohort.") {
                continue;
            }
            let value = value.map(|v| v.to_string()).unwrap_or_default();
            self.replications
                .write_record([replication.as_str(), path.as_str(), value.as_str()])
                .map_err(error("replications.csv"))?;
        }
        if let Some(writer) = &mut self.cohorts {
            let services = model
                .network
                .nodes
                .iter()
                .filter(|n| matches!(n.kind, NodeKind::Service(_)));
            for (node, statistics) in services.zip(&result.services) {
                for (&cohort, cohort_statistics) in node.reached_by.iter().zip(&statistics.by_cohort) {
                    let mut row = vec![
                        replication.clone(),
                        node.id.clone(),
                        model.network.cohorts[cohort as usize].id.clone(),
                    ];
                    row.extend(
                        cohort_statistics
                            .scalars()
                            .map(|v| v.map(to_millionths).unwrap_or_default()),
                    );
                    writer.write_record(&row).map_err(error("cohorts.csv"))?;
                }
            }
        }
        if let Some(writer) = &mut self.trajectories {
            for (month, values) in &result.months {
                for (name, value) in values {
                    let value = value.map(to_millionths).unwrap_or_default();
                    writer
                        .write_record([replication.as_str(), month.as_str(), name.as_str(), value.as_str()])
                        .map_err(error("trajectories.csv"))?;
                }
            }
        }
        let spill_error = |source| FolderError::Io {
            path: folder.target().join(format!("{prefix}{SPILL}")),
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
        let figures = result.periods.iter().flat_map(|(_, figures)| figures);
        debug_assert_eq!(figures.clone().count(), self.trajectory.len());
        for (_, value) in figures {
            record.extend_from_slice(&value.unwrap_or(f64::NAN).to_le_bytes());
        }
        debug_assert_eq!(result.series.len(), self.series);
        for value in &result.series {
            record.extend_from_slice(&value.to_le_bytes());
        }
        debug_assert_eq!(result.staff_on_shift.len(), self.staff_on_shift);
        for value in &result.staff_on_shift {
            record.extend_from_slice(&value.to_le_bytes());
        }
        self.spill.write_all(&record).map_err(spill_error)?;
        self.count += 1;
        Ok(())
    }

    /// Finishes the files; the spilled values stay until [`Spill::discard`].
    pub fn finish(self) -> Result<Spill<'f>, FolderError> {
        let folder = self.folder;
        let name = |file: &str| format!("{}{file}", self.prefix);
        let replications = self
            .replications
            .into_inner()
            .map_err(|e| csv_error(folder, &name("replications.csv"), e.into_error()))?;
        folder.finish(&name("replications.csv"), replications)?;
        if let Some(writer) = self.cohorts {
            let file = writer
                .into_inner()
                .map_err(|e| csv_error(folder, &name("cohorts.csv"), e.into_error()))?;
            folder.finish(&name("cohorts.csv"), file)?;
        }
        if let Some(writer) = self.trajectories {
            let file = writer
                .into_inner()
                .map_err(|e| csv_error(folder, &name("trajectories.csv"), e.into_error()))?;
            folder.finish(&name("trajectories.csv"), file)?;
        }
        let spill = name(SPILL);
        let spill_error = |source| FolderError::Io {
            path: folder.target().join(&spill),
            source,
        };
        self.spill
            .into_inner()
            .map_err(|e| spill_error(e.into_error()))?
            .sync_all()
            .map_err(spill_error)?;
        Ok(Spill {
            folder,
            name: spill,
            layout: self.layout,
            levels: self.levels,
            trajectory: self.trajectory,
            series: self.series,
            staff_on_shift: self.staff_on_shift,
            count: self.count,
        })
    }
}

/// What reading a spill back needs besides its bytes: the statistics' layout, the most occupancy
/// levels of each service, the trajectory's figures, the lengths of the series and of the staff
/// on shift, and how many replications and bytes it holds. Kept beside a spill that outlives its
/// run (a shard's), so that spills of replication ranges can be joined.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpillShape {
    /// The statistics' layout (`None` for a spill of no replications).
    pub layout: Option<Layout>,
    /// Per service, the most levels of its occupancy distribution any replication had.
    pub levels: Vec<usize>,
    /// The trajectory's figures: each period and metric.
    pub trajectory: Vec<(Period, String)>,
    /// How many numbers each replication's series has.
    pub series: usize,
    /// How many numbers each replication's staff on shift by day has.
    pub staff_on_shift: usize,
    /// Replications spilled.
    pub replications: u64,
    /// The spill's length in bytes.
    pub bytes: u64,
}

impl SpillShape {
    /// The shape of `shapes`' spills joined in order; `None` where they are not alike (their
    /// layouts, trajectories, series or staff differ: runs of different models).
    pub fn joined(shapes: &[SpillShape]) -> Option<SpillShape> {
        let (first, rest) = shapes.split_first()?;
        let mut joined = first.clone();
        for shape in rest {
            let alike = shape.layout == joined.layout
                && shape.levels.len() == joined.levels.len()
                && shape.trajectory == joined.trajectory
                && shape.series == joined.series
                && shape.staff_on_shift == joined.staff_on_shift;
            if !alike {
                return None;
            }
            for (most, levels) in joined.levels.iter_mut().zip(&shape.levels) {
                *most = (*most).max(*levels);
            }
            joined.replications += shape.replications;
            joined.bytes += shape.bytes;
        }
        Some(joined)
    }
}

/// A figure for people's files to a millionth, enough for any count, share, rate or day, where the
/// shortest exact form would take twice the room. `replications.csv` keeps exact values, so that
/// runs split into replication ranges merge into the whole run's.
fn to_millionths(value: f64) -> String {
    ((value * 1e6).round() / 1e6).to_string()
}

/// The values of every statistic of every replication of a run, spilled to a working file, read
/// back a batch of statistics at a time so memory stays bounded.
pub struct Spill<'f> {
    folder: &'f ResultsFolder,
    name: String,
    layout: Option<Layout>,
    levels: Vec<usize>,
    trajectory: Vec<(Period, String)>,
    series: usize,
    staff_on_shift: usize,
    count: u64,
}

/// Where a statistic's values are in a spilled record.
#[derive(Clone, Copy, Debug)]
pub struct Place(PlaceKind);

#[derive(Clone, Copy, Debug)]
enum PlaceKind {
    /// The k-th of the fixed values.
    Fixed(usize),
    /// Level k (from 0) of service s's occupancy distribution (0 beyond the levels it reached).
    Occupancy(usize, usize),
    /// The k-th figure of the trajectory.
    Trajectory(usize),
    /// The k-th number of the series.
    Series(usize),
    /// The k-th number of the staff needed on shift by day.
    StaffOnShift(usize),
}

impl<'f> Spill<'f> {
    /// Replications spilled.
    pub fn replications(&self) -> u64 {
        self.count
    }

    /// Every statistic, in output order, with where its values are.
    pub fn statistics(&self) -> Vec<(String, Place)> {
        let Some(layout) = &self.layout else {
            return Vec::new();
        };
        let mut statistics = Vec::new();
        let mut fixed = 0;
        for (s, (_, names)) in layout.services.iter().enumerate() {
            for name in names {
                statistics.push((name.clone(), Place(PlaceKind::Fixed(fixed))));
                fixed += 1;
            }
            for level in 0..self.levels[s] {
                statistics.push((
                    layout.occupancy_name(s, level + 1),
                    Place(PlaceKind::Occupancy(s, level)),
                ));
            }
        }
        for name in &layout.tail {
            statistics.push((name.clone(), Place(PlaceKind::Fixed(fixed))));
            fixed += 1;
        }
        statistics
    }

    /// Every figure of the trajectory (period and metric), in output order, with where its values
    /// are.
    pub fn trajectory(&self) -> Vec<(&Period, &str, Place)> {
        self.trajectory
            .iter()
            .enumerate()
            .map(|(k, (period, name))| (period, name.as_str(), Place(PlaceKind::Trajectory(k))))
            .collect()
    }

    /// Where the figure of `metric` for the period labelled `period` is, if the trajectory has it.
    pub fn trajectory_place(&self, period: &str, metric: &str) -> Option<Place> {
        self.trajectory
            .iter()
            .position(|(p, name)| p.label == period && name == metric)
            .map(|k| Place(PlaceKind::Trajectory(k)))
    }

    /// Where the statistic at `path` is, if the run has it.
    pub fn place(&self, path: &str) -> Option<Place> {
        self.statistics()
            .into_iter()
            .find(|(name, _)| name == path)
            .map(|(_, place)| place)
    }

    /// How many statistics to read back at once: their values fill about
    /// [`SUMMARY_BATCH_BYTES`].
    pub fn batch(&self) -> usize {
        (SUMMARY_BATCH_BYTES / (16 * self.count.max(1) as usize)).max(64)
    }

    /// The values by replication of the statistics at `places` (`None` where undefined), in one
    /// pass over the spill.
    pub fn read(&self, places: &[Place]) -> io::Result<Vec<Vec<Option<f64>>>> {
        let layout = self.layout.as_ref().expect("a spill with places has a layout");
        let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::with_capacity(self.count as usize); places.len()];
        let mut reader = BufReader::new(File::open(self.folder.staged(&self.name))?);
        let mut fixed_values = vec![0.0; layout.fixed_len()];
        let mut occupancy: Vec<Vec<f64>> = vec![Vec::new(); layout.services.len()];
        let mut trajectory = vec![0.0; self.trajectory.len()];
        let mut series = vec![0u32; self.series];
        let mut staff_on_shift = vec![0.0; self.staff_on_shift];
        for _ in 0..self.count {
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
            for value in &mut trajectory {
                *value = read_f64(&mut reader)?;
            }
            for value in &mut series {
                let mut bytes = [0; 4];
                reader.read_exact(&mut bytes)?;
                *value = u32::from_le_bytes(bytes);
            }
            for value in &mut staff_on_shift {
                *value = read_f64(&mut reader)?;
            }
            for (place, column) in places.iter().zip(&mut columns) {
                column.push(match place.0 {
                    PlaceKind::Fixed(k) => Some(fixed_values[k]).filter(|v| !v.is_nan()),
                    PlaceKind::Occupancy(s, level) => Some(occupancy[s].get(level).copied().unwrap_or(0.0)),
                    PlaceKind::Trajectory(k) => Some(trajectory[k]).filter(|v| !v.is_nan()),
                    PlaceKind::Series(k) => Some(f64::from(series[k])),
                    PlaceKind::StaffOnShift(k) => Some(staff_on_shift[k]),
                });
            }
        }
        Ok(columns)
    }

    /// Every statistic's summary, in output order.
    pub fn summaries(&self) -> Result<Summaries, FolderError> {
        let statistics = self.statistics();
        let mut summaries = Summaries::with_capacity(statistics.len());
        for chunk in statistics.chunks(self.batch()) {
            let places: Vec<Place> = chunk.iter().map(|(_, place)| *place).collect();
            let columns = self.read(&places).map_err(|source| self.error(source))?;
            for ((name, _), column) in chunk.iter().zip(columns) {
                summaries.push((name.clone(), Summary::of(column)));
            }
        }
        Ok(summaries)
    }

    /// Every figure of the trajectory summarised across replications, in output order.
    pub fn trajectory_summaries(&self) -> Result<TrajectorySummaries, FolderError> {
        let figures = self.trajectory();
        let mut summaries = TrajectorySummaries::with_capacity(figures.len());
        for chunk in figures.chunks(self.batch()) {
            let places: Vec<Place> = chunk.iter().map(|(_, _, place)| *place).collect();
            let columns = self.read(&places).map_err(|source| self.error(source))?;
            for ((period, name, _), column) in chunk.iter().zip(columns) {
                summaries.push(((*period).clone(), (*name).to_owned(), Summary::of(column)));
            }
        }
        Ok(summaries)
    }

    /// Every number of the series summarised across replications, in the order of
    /// [`crate::model::Record::series`].
    pub fn series_summaries(&self) -> Result<Vec<Summary>, FolderError> {
        self.summarise_all(self.series, PlaceKind::Series)
    }

    /// Staff needed on shift by day summarised across replications, in the order of
    /// [`crate::metrics::ReplicationResult::staff_on_shift`].
    pub fn staff_on_shift_summaries(&self) -> Result<Vec<Summary>, FolderError> {
        self.summarise_all(self.staff_on_shift, PlaceKind::StaffOnShift)
    }

    /// The numbers `0..len` of a part defined in every replication, summarised.
    fn summarise_all(&self, len: usize, place: fn(usize) -> PlaceKind) -> Result<Vec<Summary>, FolderError> {
        let places: Vec<Place> = (0..len).map(|k| Place(place(k))).collect();
        let mut summaries = Vec::with_capacity(len);
        for chunk in places.chunks(self.batch()) {
            let columns = self.read(chunk).map_err(|source| self.error(source))?;
            summaries.extend(
                columns
                    .into_iter()
                    .map(|column| Summary::of(column).expect("defined in every replication")),
            );
        }
        Ok(summaries)
    }

    /// The error of the spill file failing.
    pub fn error(&self, source: io::Error) -> FolderError {
        FolderError::Io {
            path: self.folder.target().join(&self.name),
            source,
        }
    }

    /// Removes the working file.
    pub fn discard(self) -> Result<(), FolderError> {
        self.folder.remove(&self.name)
    }

    /// Keeps the working file as file `name` of the results, and returns its shape, with which
    /// [`Spill::join`] reads it back.
    pub fn keep(self, name: &str) -> Result<SpillShape, FolderError> {
        self.folder.rename(&self.name, name)?;
        let bytes = std::fs::metadata(self.folder.staged(name))
            .map_err(|source| FolderError::Io {
                path: self.folder.target().join(name),
                source,
            })?
            .len();
        Ok(SpillShape {
            layout: self.layout,
            levels: self.levels,
            trajectory: self.trajectory,
            series: self.series,
            staff_on_shift: self.staff_on_shift,
            replications: self.count,
            bytes,
        })
    }

    /// The spill of a run made of kept spills (`parts`, in replication order), copied one after
    /// another into the working file of `folder` under `prefix`, a buffer at a time; `shape` is
    /// their shapes [`SpillShape::joined`].
    pub fn join(
        folder: &'f ResultsFolder,
        prefix: &str,
        shape: SpillShape,
        parts: &[&Path],
    ) -> Result<Spill<'f>, FolderError> {
        let name = format!("{prefix}{SPILL}");
        let mut joined = folder.create(&name)?;
        for part in parts {
            let error = |source| FolderError::Io {
                path: part.to_path_buf(),
                source,
            };
            let mut file = File::open(part).map_err(error)?;
            io::copy(&mut file, &mut joined).map_err(error)?;
        }
        folder.finish(&name, joined)?;
        Ok(Spill {
            folder,
            name,
            layout: shape.layout,
            levels: shape.levels,
            trajectory: shape.trajectory,
            series: shape.series,
            staff_on_shift: shape.staff_on_shift,
            count: shape.replications,
        })
    }
}

fn csv_error(folder: &ResultsFolder, name: &str, error: impl Into<io::Error>) -> FolderError {
    FolderError::Io {
        path: folder.target().join(name),
        source: error.into(),
    }
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
