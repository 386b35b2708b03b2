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
use crate::metrics::{Band, CohortStatistics, Layout, ReplicationResult, ServiceStatistics, Summary};
use crate::model::{Model, NodeKind};

/// The working file of spilled values (in the run's subfolder), removed before the folder is
/// committed.
const SPILL: &str = ".values.bin";
/// Bytes of spilled values held in memory at once while summarising (16 MiB): each batch is a
/// pass over the spill, so a large run takes passes in proportion to its replications.
const SUMMARY_BATCH_BYTES: usize = 1 << 24;

/// A statistic across the replications of a run: its path and its summary (`None` where it was
/// undefined in every replication).
pub type Summaries = Vec<(String, Option<Summary>)>;

/// A statistic across the replications of a run for one period of its trajectory: the period,
/// the metric's path, and its summary.
pub type TrajectorySummaries = Vec<(Period, String, Option<Summary>)>;

/// A run's values being spilled as its replications complete, in replication order, and, unless
/// it is a shard's, its per-replication files written from the same values.
pub struct StreamedResults<'f> {
    folder: &'f ResultsFolder,
    /// Where in the folder the run's files go: `""`, or a subfolder such as `"base/"`.
    prefix: String,
    /// Whether to write the per-replication files as well as the spill.
    with_rows: bool,
    rows: Option<Rows<'f>>,
    spill: BufWriter<File>,
    shape: SpillShape,
    /// The replication being added, as the spill holds it.
    values: Values,
    /// Its encoding.
    record: Vec<u8>,
}

impl<'f> StreamedResults<'f> {
    /// Starts the spill in `folder`, in the subfolder `prefix` (`""`, or a name ending in `/`);
    /// `with_rows` writes the per-replication files too (`replications.csv`, `cohorts.csv`,
    /// `trajectories.csv`), where a shard keeps only its spill.
    pub fn new(folder: &'f ResultsFolder, prefix: &str, with_rows: bool) -> Result<Self, FolderError> {
        Ok(StreamedResults {
            folder,
            prefix: prefix.to_owned(),
            with_rows,
            rows: None,
            spill: folder.create(&format!("{prefix}{SPILL}"))?,
            shape: SpillShape::default(),
            values: Values::default(),
            record: Vec::new(),
        })
    }

    /// Spills one replication's results (the next in replication order) and writes its rows.
    pub fn add(&mut self, model: &Model, result: &ReplicationResult) -> Result<(), FolderError> {
        if self.shape.layout.is_none() {
            self.shape = SpillShape::of(model, result);
            if self.with_rows {
                self.rows = Some(Rows::start(self.folder, &self.prefix, model, &self.shape)?);
            }
        }
        self.values.take(result, &mut self.shape);
        self.record.clear();
        self.values.encode(&mut self.record);
        let (folder, prefix) = (self.folder, self.prefix.as_str());
        self.spill.write_all(&self.record).map_err(|source| FolderError::Io {
            path: folder.target().join(format!("{prefix}{SPILL}")),
            source,
        })?;
        self.shape.replications += 1;
        self.shape.bytes += self.record.len() as u64;
        if let Some(rows) = &mut self.rows {
            rows.write(result.replication, &self.values)?;
        }
        Ok(())
    }

    /// Finishes the files; the spilled values stay until [`Spill::discard`].
    pub fn finish(self) -> Result<Spill<'f>, FolderError> {
        let folder = self.folder;
        if let Some(rows) = self.rows {
            rows.finish()?;
        }
        let name = format!("{}{SPILL}", self.prefix);
        let spill_error = |source| FolderError::Io {
            path: folder.target().join(&name),
            source,
        };
        self.spill
            .into_inner()
            .map_err(|e| spill_error(e.into_error()))?
            .sync_all()
            .map_err(spill_error)?;
        Ok(Spill {
            folder,
            name,
            shape: self.shape,
        })
    }
}

/// One replication's values as a spill holds them: its fixed statistics (NaN where undefined),
/// each service's occupancy distribution, the trajectory's figures, the monthly figures (NaN where
/// undefined), the series and the staff needed on shift by day.
#[derive(Default)]
struct Values {
    fixed: Vec<f64>,
    occupancy: Vec<Vec<f64>>,
    trajectory: Vec<f64>,
    months: Vec<f64>,
    series: Vec<u32>,
    staff_on_shift: Vec<f64>,
}

impl Values {
    /// Takes `result`'s values, widening `shape`'s occupancy levels to hold them.
    fn take(&mut self, result: &ReplicationResult, shape: &mut SpillShape) {
        let undefined = |value: &Option<f64>| value.unwrap_or(f64::NAN);
        self.fixed.clear();
        self.fixed.extend(result.fixed_values().iter().map(undefined));
        self.occupancy.resize(result.services.len(), Vec::new());
        for ((shares, service), most) in self.occupancy.iter_mut().zip(&result.services).zip(&mut shape.levels) {
            shares.clear();
            shares.extend_from_slice(&service.occupancy_at_least);
            *most = (*most).max(shares.len());
        }
        self.trajectory.clear();
        self.trajectory.extend(
            result
                .periods
                .iter()
                .flat_map(|(_, figures)| figures)
                .map(|(_, v)| undefined(v)),
        );
        debug_assert_eq!(self.trajectory.len(), shape.trajectory.len());
        self.months.clear();
        self.months.extend(
            result
                .months
                .iter()
                .flat_map(|(_, figures)| figures)
                .map(|(_, v)| undefined(v)),
        );
        debug_assert_eq!(self.months.len(), shape.months.len());
        self.series.clear();
        self.series.extend_from_slice(&result.series);
        debug_assert_eq!(self.series.len(), shape.series);
        self.staff_on_shift.clear();
        self.staff_on_shift.extend_from_slice(&result.staff_on_shift);
        debug_assert_eq!(self.staff_on_shift.len(), shape.staff_on_shift);
    }

    /// Appends the spill's record of these values to `record`.
    fn encode(&self, record: &mut Vec<u8>) {
        for value in &self.fixed {
            record.extend_from_slice(&value.to_le_bytes());
        }
        for shares in &self.occupancy {
            record.extend_from_slice(&(shares.len() as u64).to_le_bytes());
            for share in shares {
                record.extend_from_slice(&share.to_le_bytes());
            }
        }
        for value in self.trajectory.iter().chain(&self.months) {
            record.extend_from_slice(&value.to_le_bytes());
        }
        for value in &self.series {
            record.extend_from_slice(&value.to_le_bytes());
        }
        for value in &self.staff_on_shift {
            record.extend_from_slice(&value.to_le_bytes());
        }
    }

    /// Takes the values of a spilled `record` of a spill of `shape`.
    fn decode(&mut self, record: &Record, shape: &SpillShape) {
        let fixed = shape.layout.as_ref().map_or(0, Layout::fixed_len);
        self.fixed.clear();
        self.fixed.extend((0..fixed).map(|k| record.fixed(k)));
        self.occupancy.resize(shape.levels.len(), Vec::new());
        for (s, shares) in self.occupancy.iter_mut().enumerate() {
            shares.clear();
            shares.extend((0..record.occupancy[s].1).map(|level| record.f64_at(record.occupancy[s].0 + 8 * level)));
        }
        let (trajectory, months) = (shape.trajectory.len(), shape.months.len());
        self.trajectory.clear();
        self.trajectory.extend((0..trajectory).map(|k| record.tail_f64(k)));
        self.months.clear();
        self.months.extend((0..months).map(|k| record.tail_f64(trajectory + k)));
        self.series.clear();
        self.series.extend((0..shape.series).map(|k| record.series(shape, k)));
        self.staff_on_shift.clear();
        self.staff_on_shift
            .extend((0..shape.staff_on_shift).map(|k| record.staff_on_shift(shape, k)));
    }
}

/// One replication's record in a spill, as bytes, with where its parts begin, so that reading a
/// few statistics back costs a copy of the record, not a decoding of every value in it.
#[derive(Default)]
struct Record {
    bytes: Vec<u8>,
    /// Per service, where its occupancy distribution begins and how many levels it has.
    occupancy: Vec<(usize, usize)>,
    /// Where the trajectory's figures begin; the monthly figures, the series and the staff on
    /// shift follow.
    tail: usize,
}

impl Record {
    /// Reads the next record of a spill of `shape`.
    fn read(&mut self, reader: &mut impl Read, shape: &SpillShape) -> io::Result<()> {
        let fixed = 8 * shape.layout.as_ref().map_or(0, Layout::fixed_len);
        self.bytes.resize(fixed, 0);
        reader.read_exact(&mut self.bytes)?;
        self.occupancy.clear();
        for _ in &shape.levels {
            let levels = read_u64(reader)? as usize;
            let start = self.bytes.len();
            self.bytes.resize(start + 8 * levels, 0);
            reader.read_exact(&mut self.bytes[start..])?;
            self.occupancy.push((start, levels));
        }
        self.tail = self.bytes.len();
        let tail = 8 * (shape.trajectory.len() + shape.months.len()) + 4 * shape.series + 8 * shape.staff_on_shift;
        self.bytes.resize(self.tail + tail, 0);
        reader.read_exact(&mut self.bytes[self.tail..])
    }

    fn f64_at(&self, at: usize) -> f64 {
        f64::from_le_bytes(self.bytes[at..at + 8].try_into().expect("8 bytes"))
    }

    /// The k-th fixed value.
    fn fixed(&self, k: usize) -> f64 {
        self.f64_at(8 * k)
    }

    /// Level `level` (from 0) of service `s`'s occupancy distribution, 0 beyond those it reached.
    fn occupancy(&self, s: usize, level: usize) -> f64 {
        let (start, levels) = self.occupancy[s];
        if level < levels {
            self.f64_at(start + 8 * level)
        } else {
            0.0
        }
    }

    /// The k-th of the trajectory's figures and then the monthly figures.
    fn tail_f64(&self, k: usize) -> f64 {
        self.f64_at(self.tail + 8 * k)
    }

    /// The k-th number of the series.
    fn series(&self, shape: &SpillShape, k: usize) -> u32 {
        let at = self.tail + 8 * (shape.trajectory.len() + shape.months.len()) + 4 * k;
        u32::from_le_bytes(self.bytes[at..at + 4].try_into().expect("4 bytes"))
    }

    /// The k-th number of the staff needed on shift by day.
    fn staff_on_shift(&self, shape: &SpillShape, k: usize) -> f64 {
        let at = self.tail + 8 * (shape.trajectory.len() + shape.months.len()) + 4 * shape.series + 8 * k;
        self.f64_at(at)
    }
}

/// The per-replication files of a run being written, a replication's rows at a time, from its
/// spilled values: `replications.csv` exact (but for the occupancy distributions, and the
/// per-cohort statistics where `cohorts.csv` has them), `cohorts.csv` (where the scenario has
/// several cohorts) and `trajectories.csv` (where it has metrics) to a millionth. Each row depends
/// on its replication alone, so a run writes them as its replications complete and a merge from
/// the joined spills of its shards, alike.
struct Rows<'f> {
    folder: &'f ResultsFolder,
    prefix: String,
    layout: Layout,
    /// Per service, its id and the ids of the cohorts reaching it, in the layout's order.
    cohorts_of: Vec<(String, Vec<String>)>,
    /// The monthly figures: each month and metric.
    months: Vec<(String, String)>,
    replications: csv::Writer<BufWriter<File>>,
    cohorts: Option<csv::Writer<BufWriter<File>>>,
    trajectories: Option<csv::Writer<BufWriter<File>>>,
}

impl<'f> Rows<'f> {
    /// Starts the files of `model`'s run with spills of `shape`, in `folder` under `prefix`.
    fn start(folder: &'f ResultsFolder, prefix: &str, model: &Model, shape: &SpillShape) -> Result<Self, FolderError> {
        let start = |file: &str, header: &[&str]| -> Result<csv::Writer<BufWriter<File>>, FolderError> {
            let name = format!("{prefix}{file}");
            let mut writer = csv::Writer::from_writer(folder.create(&name)?);
            writer.write_record(header).map_err(|e| csv_error(folder, &name, e))?;
            Ok(writer)
        };
        let replications = start("replications.csv", &["replication", "statistic", "value"])?;
        let network = &model.network;
        let cohorts = if network.cohorts.len() > 1 {
            let mut header = vec!["replication", "service", "cohort"];
            header.extend(CohortStatistics::NAMES);
            Some(start("cohorts.csv", &header)?)
        } else {
            None
        };
        let trajectories = if shape.months.is_empty() {
            None
        } else {
            Some(start("trajectories.csv", &["replication", "month", "metric", "value"])?)
        };
        let cohorts_of = network
            .nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Service(_)))
            .map(|node| {
                let ids = node
                    .reached_by
                    .iter()
                    .map(|&cohort| network.cohorts[cohort as usize].id.clone())
                    .collect();
                (node.id.clone(), ids)
            })
            .collect();
        Ok(Rows {
            folder,
            prefix: prefix.to_owned(),
            layout: shape.layout.clone().expect("rows start with a replication"),
            cohorts_of,
            months: shape.months.clone(),
            replications,
            cohorts,
            trajectories,
        })
    }

    /// Writes replication `replication`'s rows.
    fn write(&mut self, replication: u32, values: &Values) -> Result<(), FolderError> {
        let replication = replication.to_string();
        let (folder, prefix) = (self.folder, self.prefix.as_str());
        let error = |file: &'static str| move |e: csv::Error| csv_error(folder, &format!("{prefix}{file}"), e);
        let exact = |value: f64| {
            if value.is_nan() {
                String::new()
            } else {
                value.to_string()
            }
        };
        let mut fixed = values.fixed.iter().copied();
        for ((_, names), (service, cohort_ids)) in self.layout.services.iter().zip(&self.cohorts_of) {
            let own: Vec<f64> = fixed.by_ref().take(names.len()).collect();
            for (path, &value) in names.iter().zip(&own) {
                if self.cohorts.is_some() && path.contains(".by_cohort.") {
                    continue;
                }
                self.replications
                    .write_record([replication.as_str(), path.as_str(), &exact(value)])
                    .map_err(error("replications.csv"))?;
            }
            if let Some(writer) = &mut self.cohorts {
                let by_cohort = own[ServiceStatistics::NAMES.len()..].chunks(CohortStatistics::NAMES.len());
                for (cohort, scalars) in cohort_ids.iter().zip(by_cohort) {
                    let mut row = vec![replication.clone(), service.clone(), cohort.clone()];
                    row.extend(scalars.iter().map(|&v| millionths(v)));
                    writer.write_record(&row).map_err(error("cohorts.csv"))?;
                }
            }
        }
        for (path, value) in self.layout.tail.iter().zip(fixed) {
            self.replications
                .write_record([replication.as_str(), path.as_str(), &exact(value)])
                .map_err(error("replications.csv"))?;
        }
        if let Some(writer) = &mut self.trajectories {
            for ((month, metric), &value) in self.months.iter().zip(&values.months) {
                writer
                    .write_record([
                        replication.as_str(),
                        month.as_str(),
                        metric.as_str(),
                        &millionths(value),
                    ])
                    .map_err(error("trajectories.csv"))?;
            }
        }
        Ok(())
    }

    /// Finishes the files.
    fn finish(self) -> Result<(), FolderError> {
        let (folder, prefix) = (self.folder, self.prefix);
        let finish = |file: &str, writer: csv::Writer<BufWriter<File>>| {
            let name = format!("{prefix}{file}");
            let file = writer
                .into_inner()
                .map_err(|e| csv_error(folder, &name, e.into_error()))?;
            folder.finish(&name, file)
        };
        finish("replications.csv", self.replications)?;
        if let Some(writer) = self.cohorts {
            finish("cohorts.csv", writer)?;
        }
        if let Some(writer) = self.trajectories {
            finish("trajectories.csv", writer)?;
        }
        Ok(())
    }
}

/// What reading a spill back needs besides its bytes: the statistics' layout, the most occupancy
/// levels of each service, the trajectory's figures, the monthly figures, the lengths of the
/// series and of the staff on shift, and how many replications and bytes it holds. Kept beside a
/// spill that outlives its run (a shard's), so that spills of replication ranges can be joined.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpillShape {
    /// The statistics' layout (`None` for a spill of no replications).
    pub layout: Option<Layout>,
    /// Per service, the most levels of its occupancy distribution any replication had.
    pub levels: Vec<usize>,
    /// The trajectory's figures: each period and metric.
    pub trajectory: Vec<(Period, String)>,
    /// The monthly figures: each month (`YYYY-MM`) and metric.
    pub months: Vec<(String, String)>,
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
    /// The shape of a spill of `model`'s results, of which `result` is the first, before any is
    /// spilled.
    fn of(model: &Model, result: &ReplicationResult) -> SpillShape {
        SpillShape {
            layout: Some(Layout::of(&model.network, result)),
            levels: vec![0; result.services.len()],
            trajectory: result
                .periods
                .iter()
                .flat_map(|(period, figures)| figures.iter().map(move |(name, _)| (period.clone(), name.clone())))
                .collect(),
            months: result
                .months
                .iter()
                .flat_map(|(month, figures)| figures.iter().map(move |(name, _)| (month.clone(), name.clone())))
                .collect(),
            series: result.series.len(),
            staff_on_shift: result.staff_on_shift.len(),
            replications: 0,
            bytes: 0,
        }
    }

    /// The shape of `shapes`' spills joined in order; `None` where they are not alike (their
    /// layouts, trajectories, months, series or staff differ: runs of different models).
    pub fn joined(shapes: &[SpillShape]) -> Option<SpillShape> {
        let (first, rest) = shapes.split_first()?;
        let mut joined = first.clone();
        for shape in rest {
            let alike = shape.layout == joined.layout
                && shape.levels.len() == joined.levels.len()
                && shape.trajectory == joined.trajectory
                && shape.months == joined.months
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
/// shortest exact form would take twice the room; empty where undefined (NaN). `replications.csv`
/// keeps exact values.
fn millionths(value: f64) -> String {
    if value.is_nan() {
        String::new()
    } else {
        ((value * 1e6).round() / 1e6).to_string()
    }
}

/// The values of every statistic of every replication of a run, spilled to a working file, read
/// back a batch of statistics at a time so memory stays bounded.
pub struct Spill<'f> {
    folder: &'f ResultsFolder,
    name: String,
    shape: SpillShape,
}

/// Where a statistic's values are in a spilled record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place(PlaceKind);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
        self.shape.replications
    }

    /// Every statistic, in output order, with where its values are.
    pub fn statistics(&self) -> Vec<(String, Place)> {
        let Some(layout) = &self.shape.layout else {
            return Vec::new();
        };
        let mut statistics = Vec::new();
        let mut fixed = 0;
        for (s, (_, names)) in layout.services.iter().enumerate() {
            for name in names {
                statistics.push((name.clone(), Place(PlaceKind::Fixed(fixed))));
                fixed += 1;
            }
            for level in 0..self.shape.levels[s] {
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
        self.shape
            .trajectory
            .iter()
            .enumerate()
            .map(|(k, (period, name))| (period, name.as_str(), Place(PlaceKind::Trajectory(k))))
            .collect()
    }

    /// Where the figure of `metric` for the period labelled `period` is, if the trajectory has it.
    pub fn trajectory_place(&self, period: &str, metric: &str) -> Option<Place> {
        self.shape
            .trajectory
            .iter()
            .position(|(p, name)| p.label == period && name == metric)
            .map(|k| Place(PlaceKind::Trajectory(k)))
    }

    /// Where the statistic at `path` is, if the run has it: where [`Spill::statistics`] lists it
    /// first, found without writing out the name of every occupancy level (thousands for a busy
    /// service, and a run looks up every target, observed figure and metric).
    pub fn place(&self, path: &str) -> Option<Place> {
        let layout = self.shape.layout.as_ref()?;
        let mut fixed = 0;
        for (s, (_, names)) in layout.services.iter().enumerate() {
            if let Some(k) = names.iter().position(|name| name == path) {
                return Some(Place(PlaceKind::Fixed(fixed + k)));
            }
            fixed += names.len();
            let level = layout.occupancy_level(s, path);
            if let Some(level) = level.filter(|level| (1..=self.shape.levels[s]).contains(level)) {
                return Some(Place(PlaceKind::Occupancy(s, level - 1)));
            }
        }
        let k = layout.tail.iter().position(|name| name == path)?;
        Some(Place(PlaceKind::Fixed(fixed + k)))
    }

    /// How many statistics to read back at once: their values fill at most
    /// `SUMMARY_BATCH_BYTES` (16 bytes a value, as [`Spill::read`] returns them; half that as
    /// summaries read them).
    pub fn batch(&self) -> usize {
        (SUMMARY_BATCH_BYTES / (16 * self.shape.replications.max(1) as usize)).max(64)
    }

    /// Calls `each` with every replication's values, in order, in one pass over the spill.
    fn each(&self, mut each: impl FnMut(&Record) -> Result<(), FolderError>) -> Result<(), FolderError> {
        let file = File::open(self.folder.staged(&self.name)).map_err(|source| self.error(source))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut record = Record::default();
        for _ in 0..self.shape.replications {
            record
                .read(&mut reader, &self.shape)
                .map_err(|source| self.error(source))?;
            each(&record)?;
        }
        Ok(())
    }

    /// The values by replication of the statistics at `places` (`None` where undefined), in one
    /// pass over the spill.
    pub fn read(&self, places: &[Place]) -> Result<Vec<Vec<Option<f64>>>, FolderError> {
        let defined = |value: &f64| Some(*value).filter(|v| !v.is_nan());
        let (values, count) = self.read_values(places)?;
        Ok((0..places.len())
            .map(|p| values[p * count..(p + 1) * count].iter().map(defined).collect())
            .collect())
    }

    /// The values at `places` of every replication, NaN where a value is undefined: place by
    /// place, each place's values in replication order; and the number of replications.
    fn read_values(&self, places: &[Place]) -> Result<(Vec<f64>, usize), FolderError> {
        let count = self.shape.replications as usize;
        let mut values = vec![f64::NAN; places.len() * count];
        let shape = &self.shape;
        let mut replication = 0;
        self.each(|record| {
            for (p, place) in places.iter().enumerate() {
                values[p * count + replication] = match place.0 {
                    PlaceKind::Fixed(k) => record.fixed(k),
                    PlaceKind::Occupancy(s, level) => record.occupancy(s, level),
                    PlaceKind::Trajectory(k) => record.tail_f64(k),
                    PlaceKind::Series(k) => f64::from(record.series(shape, k)),
                    PlaceKind::StaffOnShift(k) => record.staff_on_shift(shape, k),
                };
            }
            replication += 1;
            Ok(())
        })?;
        Ok((values, count))
    }

    /// Writes the per-replication files of `model`'s run from the spill (joined from shards,
    /// whose first replication is `first`), as the run would have written them.
    pub fn write_rows(&self, model: &Model, first: u32) -> Result<(), FolderError> {
        if self.shape.layout.is_none() {
            return Ok(());
        }
        let prefix = self.name.strip_suffix(SPILL).unwrap_or_default();
        let mut rows = Rows::start(self.folder, prefix, model, &self.shape)?;
        let mut replication = first;
        let mut values = Values::default();
        self.each(|record| {
            values.decode(record, &self.shape);
            rows.write(replication, &values)?;
            replication += 1;
            Ok(())
        })?;
        rows.finish()
    }

    /// Every statistic's summary, in output order.
    pub fn summaries(&self) -> Result<Summaries, FolderError> {
        let statistics = self.statistics();
        let mut summaries = Summaries::with_capacity(statistics.len());
        for chunk in statistics.chunks(self.batch()) {
            let places: Vec<Place> = chunk.iter().map(|(_, place)| *place).collect();
            let (mut values, count) = self.read_values(&places)?;
            for ((name, _), column) in chunk.iter().zip(columns(&mut values, count)) {
                summaries.push((name.clone(), summarise_defined(column)));
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
            let (mut values, count) = self.read_values(&places)?;
            for ((period, name, _), column) in chunk.iter().zip(columns(&mut values, count)) {
                summaries.push(((*period).clone(), (*name).to_owned(), summarise_defined(column)));
            }
        }
        Ok(summaries)
    }

    /// Every number of the series summarised across replications, in the order of
    /// [`crate::model::record::Record::series`].
    pub fn series_summaries(&self) -> Result<Vec<Band>, FolderError> {
        self.summarise_all(self.shape.series, PlaceKind::Series)
    }

    /// Staff needed on shift by day summarised across replications, in the order of
    /// [`crate::metrics::ReplicationResult::staff_on_shift`].
    pub fn staff_on_shift_summaries(&self) -> Result<Vec<Band>, FolderError> {
        self.summarise_all(self.shape.staff_on_shift, PlaceKind::StaffOnShift)
    }

    /// The numbers `0..len` of a part defined in every replication, summarised.
    fn summarise_all(&self, len: usize, place: fn(usize) -> PlaceKind) -> Result<Vec<Band>, FolderError> {
        let places: Vec<Place> = (0..len).map(|k| Place(place(k))).collect();
        let mut summaries = Vec::with_capacity(len);
        for chunk in places.chunks(self.batch()) {
            let (mut values, count) = self.read_values(chunk)?;
            summaries.extend(
                columns(&mut values, count)
                    .take(chunk.len())
                    .map(|column| Band::from(Summary::of_values(column).expect("defined in every replication"))),
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
        Ok(self.shape)
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
        Ok(Spill { folder, name, shape })
    }
}

fn csv_error(folder: &ResultsFolder, name: &str, error: impl Into<io::Error>) -> FolderError {
    FolderError::Io {
        path: folder.target().join(name),
        source: error.into(),
    }
}

/// The columns of `values` as [`Spill::read_values`] reads them, `count` values each (and empty
/// ones for ever when there are no replications).
fn columns(values: &mut [f64], count: usize) -> impl Iterator<Item = &mut [f64]> {
    values
        .chunks_mut(count.max(1))
        .chain(std::iter::repeat_with(|| -> &mut [f64] { &mut [] }))
}

/// The summary of a column read from the spill (NaN where undefined), as [`Summary::of`] gives
/// it for the defined values.
fn summarise_defined(column: &mut [f64]) -> Option<Summary> {
    let mut defined = 0;
    for k in 0..column.len() {
        if !column[k].is_nan() {
            column[defined] = column[k];
            defined += 1;
        }
    }
    Summary::of_values(&mut column[..defined])
}

fn read_u64(reader: &mut impl Read) -> io::Result<u64> {
    let mut bytes = [0; 8];
    reader.read_exact(&mut bytes)?;
    Ok(u64::from_le_bytes(bytes))
}
