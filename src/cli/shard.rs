//! Work split across machines. `bcfsim run|compare|sweep ... --shard K/N` does the K-th of N
//! balanced shares of the work (replications, or the sweep's points × replications) and keeps
//! only what a merge needs: `shard.json` (the command and its arguments, the scenarios' hashes,
//! the seed, what the folder holds) and the values of every statistic of every replication it
//! ran, `shard.bin`. `bcfsim merge` checks that the shards belong together and hold all the work
//! once, rebuilds the command's models from the recorded arguments, joins the values in
//! replication order, and writes the results through the same functions as the command itself,
//! so the merged folder is the single machine's.

use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use clap::Parser;

use bcfsim::model::Model;
use bcfsim::report::{self, ResultsFolder, RunFacts, Spill, SpillShape};

use super::run::{folder_failure, print_results, report_json, run_model, write_results};
use super::{Cli, Command, Failure, MergeArgs, RunConfig};

/// What a shard's folder records of its work, for the merge.
const RECORD: &str = "shard.json";
/// A shard's values: every statistic of every replication it ran.
pub(super) const VALUES: &str = "shard.bin";
/// The layout of `shard.json` and `shard.bin`; raised whenever either changes, so older shards
/// are refused by name.
const FORMAT: u64 = 2;
/// Options that say where results go and how they are computed or shown, not what they are:
/// left out of the arguments a shard records (with whether each takes a value), so shards run
/// with different ones still merge.
const WHERE_AND_HOW: [(&str, bool); 6] = [
    ("--out", true),
    ("--threads", true),
    ("--shard", true),
    ("--json", false),
    ("--detail", false),
    ("--report", false),
];

/// Shard K of N (K from 0): the K-th of N balanced shares of a command's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// K, from 0.
    pub index: u32,
    /// N, at least 1.
    pub count: u32,
}

/// `--shard K/N`, with 0 ≤ K < N.
pub fn parse(text: &str) -> Result<Shard, String> {
    let numbers = text
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    let Some((index, count)) = numbers else {
        return Err(format!("`{text}` is not K/N, shard K (from 0) of N, e.g. 0/4"));
    };
    if count == 0 {
        return Err(format!("`{text}`: work splits into at least 1 shard"));
    }
    if index >= count {
        return Err(format!("`{text}`: the {count} shards are numbered 0 to {}", count - 1));
    }
    Ok(Shard { index, count })
}

impl Shard {
    /// This shard's share of `total` units of work (`what`, e.g. "replications"): from K·total/N
    /// to (K+1)·total/N, so the shares differ by one at most and together hold every unit once.
    pub fn share(&self, total: u64, what: &str) -> Result<Range<u64>, Failure> {
        if u64::from(self.count) > total {
            return Err(Failure::Usage(format!(
                "--shard {}/{}: {total} {what} cannot be shared among {} shards without empty ones; split into at \
                 most {total}",
                self.index, self.count, self.count
            )));
        }
        let at = |k: u32| u64::from(k) * total / u64::from(self.count);
        Ok(at(self.index)..at(self.index + 1))
    }

    /// `K/N`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

/// The arguments of the command this process runs, as typed, without [`WHERE_AND_HOW`]: what a
/// shard records and the merge runs again.
pub(super) fn arguments() -> Vec<String> {
    let mut arguments = Vec::new();
    let mut typed = std::env::args().skip(2);
    while let Some(argument) = typed.next() {
        let option = argument.split('=').next().unwrap_or_default();
        match WHERE_AND_HOW.iter().find(|(name, _)| *name == option) {
            Some((_, true)) if !argument.contains('=') => {
                typed.next();
            }
            Some(_) => {}
            None => arguments.push(argument),
        }
    }
    arguments
}

/// A spill a shard kept: where in its folder (`""`, or a variant's `"base/"`), and its shape.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct KeptSpill {
    /// The subfolder of the shard's folder holding this run's `shard.bin`.
    pub prefix: String,
    /// Its shape.
    pub shape: SpillShape,
}

/// A sweep point's replications a shard ran: which point, which replications, the point's
/// statistics (the order of its values in `shard.bin`, one `f64` each per replication, NaN where
/// undefined), and why the point has no results, if it has none.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct PointPart {
    /// The point's position in the grid.
    pub point: u32,
    /// Its first replication here.
    pub first_replication: u32,
    /// Its replications here.
    pub replications: u32,
    /// Its statistics' paths, in the order of its values.
    pub statistics: Vec<String>,
    /// The replications whose values follow in `shard.bin`: all of them, or for an unstable
    /// point those finished before its system was found not to keep up.
    pub kept: u32,
    /// Why the point has no results: its system could not keep up.
    pub unstable: Option<String>,
}

impl PointPart {
    /// The bytes of its values in `shard.bin`.
    pub fn bytes(&self) -> u64 {
        8 * self.statistics.len() as u64 * u64::from(self.kept)
    }
}

/// `shard.json`: what a shard ran, with everything that changes its results, and what it holds.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Record {
    /// [`FORMAT`].
    format: u64,
    /// The bcfsim that ran it; draws may change between versions.
    bcfsim_version: String,
    /// The command split: `run`, `compare` or `sweep`.
    command: String,
    /// Its arguments as typed, but for [`WHERE_AND_HOW`].
    arguments: Vec<String>,
    /// SHA-256 of each scenario run (the base first), as written.
    scenario_sha256: Vec<String>,
    /// The seed.
    seed: u64,
    /// Replications of the whole work (of each point of a sweep).
    replications: u32,
    /// Points of a sweep; 1 otherwise.
    points: u32,
    /// K of `--shard K/N`.
    shard: u32,
    /// N of `--shard K/N`.
    shards: u32,
    /// The first unit of work the folder holds: a replication, or for a sweep
    /// point × replications + replication.
    first: u64,
    /// How many units from the first the folder holds (fewer than its share if it was
    /// interrupted).
    held: u64,
    /// Events simulated.
    events: u64,
    /// Each run's kept values (run and compare).
    spills: Vec<KeptSpill>,
    /// Each point's replications, in order, their values one after another in `shard.bin`
    /// (sweep).
    points_held: Vec<PointPart>,
}

/// What a shard did, for its record: `command` on `models` (the base first), `replications`
/// (of each of `points`), the units of work `held` of `shard`, after `events` events in `seconds`,
/// kept as `spills` or `points_held`.
pub(super) struct Held<'a> {
    pub command: &'static str,
    pub models: Vec<&'a Model>,
    pub replications: u32,
    pub points: u32,
    pub shard: Shard,
    pub held: Range<u64>,
    pub events: u64,
    pub seconds: f64,
    pub spills: Vec<KeptSpill>,
    pub points_held: Vec<PointPart>,
}

/// Records in `folder`'s `shard.json` what the shard `held` did (its values already in the
/// folder), commits the folder, and says what it holds and how to merge it.
pub(super) fn keep(folder: ResultsFolder, held: Held<'_>) -> Result<(), Failure> {
    let units = Units {
        replications: held.replications,
        points: held.points,
    };
    let mut holds = units.describe(&held.held);
    if held.spills.len() > 1 {
        holds.push_str(&format!(" of {} runs", held.spills.len()));
    }
    let (shard, events, seconds) = (held.shard, held.events, held.seconds);
    let record = Record {
        format: FORMAT,
        bcfsim_version: env!("CARGO_PKG_VERSION").to_owned(),
        command: held.command.to_owned(),
        arguments: arguments(),
        scenario_sha256: held
            .models
            .iter()
            .map(|model| model.provenance.scenario_sha256.clone())
            .collect(),
        seed: held.models[0].run.seed,
        replications: held.replications,
        points: held.points,
        shard: shard.index,
        shards: shard.count,
        first: held.held.start,
        held: held.held.end - held.held.start,
        events,
        spills: held.spills,
        points_held: held.points_held,
    };
    let text = report_json(&serde_json::to_value(&record).expect("a record encodes as JSON"))?;
    folder
        .write(RECORD, |w| w.write_all(text.as_bytes()))
        .map_err(folder_failure)?;
    let out = folder.target().to_owned();
    folder.commit().map_err(folder_failure)?;
    super::console::print(&super::console::wrap(
        &format!(
            "shard {}: {holds}, {} events in {seconds:.2} s, kept in {}; when every shard is done, `bcfsim merge` \
             their folders\n",
            shard.name(),
            report::labels::grouped(events as f64, 0),
            out.display()
        ),
        80,
        "  ",
    ))
}

/// A shard's results folder, as the merge was given it, and its record.
struct Part {
    folder: PathBuf,
    record: Record,
}

impl Part {
    /// The units of work the folder holds.
    fn held(&self) -> Range<u64> {
        self.record.first..self.record.first.saturating_add(self.record.held)
    }

    /// The folder as given, for messages.
    fn name(&self) -> String {
        format!("`{}`", self.folder.display())
    }
}

/// The shards of one piece of work, checked to belong together and to hold it all once, in
/// order.
pub(super) struct Parts {
    parts: Vec<Part>,
}

/// `bcfsim merge`: the results of a run, comparison or sweep from those of its shards.
pub(super) fn merge(args: MergeArgs) -> Result<(), Failure> {
    let mut parts = args
        .parts
        .iter()
        .map(|folder| read(folder))
        .collect::<Result<Vec<_>, _>>()?;
    agree(&parts)?;
    cover(&parts)?;
    parts.sort_by_key(|part| part.record.first);
    let first = &parts[0].record;
    let mut typed = vec!["bcfsim".to_owned(), first.command.clone()];
    typed.extend(first.arguments.iter().cloned());
    typed.extend(["--out".to_owned(), args.out.display().to_string()]);
    if args.report {
        typed.push("--report".to_owned());
    }
    let command = Cli::try_parse_from(&typed)
        .map_err(|error| {
            Failure::Usage(format!(
                "the shards' command, `{}`, does not parse: {}",
                typed[1..].join(" "),
                error.render()
            ))
        })?
        .command;
    let split = typed[1].clone();
    let parts = Parts { parts };
    match command {
        Command::Run(run) => merge_run(RunConfig::from(run), &parts),
        Command::Compare(compare) => super::compare::merge(compare, &parts),
        Command::Sweep(sweep) => super::sweep::merge(sweep, &parts),
        _ => Err(Failure::Usage(format!(
            "the shards are of `bcfsim {split}`, which does not split"
        ))),
    }
}

/// The merge of a run's shards.
fn merge_run(config: RunConfig, parts: &Parts) -> Result<(), Failure> {
    let model = run_model(&config)?;
    parts.check_scenarios(&[(&model, super::run::scenario_name(&config.scenario))])?;
    let out = config.out.clone().expect("the merge gives --out");
    let folder = ResultsFolder::prepare(&out).map_err(folder_failure)?;
    let spill = parts.join(&folder, 0)?;
    spill.write_rows(&model, 0).map_err(folder_failure)?;
    let total = parts.replications();
    let facts = RunFacts {
        requested: total,
        completed: total,
        first_replication: 0,
        interrupted: false,
    };
    let written = write_results(&config, &model, &folder, &spill, facts, None)?;
    parts.write_run_json(&folder, "")?;
    spill.discard().map_err(folder_failure)?;
    folder.commit().map_err(folder_failure)?;
    let footer = format!(
        "merged {} shards; results in {}{}",
        parts.parts.len(),
        out.display(),
        if config.report {
            format!(", the report in {}", out.join(report::render::HTML).display())
        } else {
            String::new()
        }
    );
    print_results(&config, &model, &written, total, "", &footer)
}

impl Parts {
    /// Replications of the work (of each point of a sweep).
    pub fn replications(&self) -> u32 {
        self.parts[0].record.replications
    }

    /// Checks that `models` (the base first, each with the name of its scenario file) are the
    /// scenarios the shards ran: their files unchanged since.
    pub fn check_scenarios(&self, models: &[(&Model, String)]) -> Result<(), Failure> {
        let then = &self.parts[0].record.scenario_sha256;
        let changed: Vec<&str> = models
            .iter()
            .enumerate()
            .filter(|(k, (model, _))| then.get(*k) != Some(&model.provenance.scenario_sha256))
            .map(|(_, (_, file))| file.as_str())
            .collect();
        if changed.is_empty() && then.len() == models.len() {
            return Ok(());
        }
        let changed = if changed.is_empty() {
            "the scenarios".to_owned()
        } else {
            changed.join(" and ")
        };
        Err(Failure::Usage(format!(
            "{changed} is not the scenario the shards ran: the SHA-256 of its text differs; merge with the files as \
             they were, or rerun the shards"
        )))
    }

    /// The `k`-th run's values of every shard joined, in replication order, into the working
    /// spill of `folder` (under the run's prefix): checked to be alike and whole first.
    pub fn join<'f>(&self, folder: &'f ResultsFolder, k: usize) -> Result<Spill<'f>, Failure> {
        let kept: Vec<&KeptSpill> = self
            .parts
            .iter()
            .map(|part| {
                part.record.spills.get(k).ok_or_else(|| {
                    Failure::Usage(format!(
                        "{}/{RECORD} lists fewer runs than the other shards'; rerun that shard",
                        part.folder.display()
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        let prefix = &kept[0].prefix;
        let shapes: Vec<SpillShape> = kept.iter().map(|kept| kept.shape.clone()).collect();
        let shape = SpillShape::joined(&shapes)
            .filter(|_| kept.iter().all(|k| k.prefix == *prefix))
            .ok_or_else(|| {
                Failure::Usage(format!(
                    "the shards' values are laid out differently (their statistics, trajectories or series differ), \
                     so they are not runs of one model: {}",
                    self.parts.iter().map(Part::name).collect::<Vec<_>>().join(", ")
                ))
            })?;
        let mut paths = Vec::with_capacity(self.parts.len());
        for (part, kept) in self.parts.iter().zip(&kept) {
            let path = part.folder.join(format!("{prefix}{VALUES}"));
            let expected = (kept.shape.bytes, kept.shape.replications);
            whole(&path, expected.0)?;
            if expected.1 != part.record.held {
                return Err(Failure::Usage(format!(
                    "{} holds {} replications where {RECORD} says {}; rerun that shard",
                    path.display(),
                    expected.1,
                    part.record.held
                )));
            }
            paths.push(path);
        }
        let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        Spill::join(folder, prefix, shape, &paths).map_err(folder_failure)
    }

    /// Every sweep point's replications the shards hold, in order (by point, then replication),
    /// each with the file holding its values and where they begin; the files checked whole.
    pub fn points(&self) -> Result<Vec<(&PointPart, PathBuf, u64)>, Failure> {
        let mut points = Vec::new();
        for part in &self.parts {
            let path = part.folder.join(VALUES);
            let mut offset = 0;
            for point in &part.record.points_held {
                points.push((point, path.clone(), offset));
                offset += point.bytes();
            }
            whole(&path, offset)?;
        }
        Ok(points)
    }

    /// Writes the merged `run.json` under `prefix`: the shards' events and which replications
    /// each held, without timings, which a merge does not have.
    pub fn write_run_json(&self, folder: &ResultsFolder, prefix: &str) -> Result<(), Failure> {
        let events: u64 = self.parts.iter().map(|part| part.record.events).sum();
        let run_info = serde_json::json!({
            "bcfsim_version": env!("CARGO_PKG_VERSION"),
            "merged": true,
            "interrupted": false,
            "replications_completed": self.replications(),
            "events": events,
            "parts": self.parts.iter().map(|part| serde_json::json!({
                "folder": part.folder.display().to_string(),
                "shard": format!("{}/{}", part.record.shard, part.record.shards),
                "first": part.record.first,
                "held": part.record.held,
            })).collect::<Vec<_>>(),
        });
        let text = report_json(&run_info)?;
        folder
            .write(&format!("{prefix}run.json"), |w| w.write_all(text.as_bytes()))
            .map_err(folder_failure)
    }
}

/// Checks that the file at `path` is `bytes` long, as its shard's record says.
fn whole(path: &Path, bytes: u64) -> Result<(), Failure> {
    let length = std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|source| Failure::Usage(format!("cannot read {}: {source}; rerun that shard", path.display())))?;
    if length != bytes {
        return Err(Failure::Usage(format!(
            "{} is not the file {RECORD} describes ({length} bytes, not {bytes}); rerun that shard",
            path.display()
        )));
    }
    Ok(())
}

/// The record of the shard whose results are in `folder`.
fn read(folder: &Path) -> Result<Part, Failure> {
    let path = folder.join(RECORD);
    let text = std::fs::read_to_string(&path).map_err(|error| {
        Failure::Usage(if error.kind() == io::ErrorKind::NotFound {
            format!(
                "{} is not a shard's results folder: it has no {RECORD} (write one with `bcfsim run --shard K/N --out \
                 {}`)",
                folder.display(),
                folder.display()
            )
        } else {
            format!("cannot read {}: {error}", path.display())
        })
    })?;
    let unreadable = |error: serde_json::Error| Failure::Usage(format!("{} cannot be read: {error}", path.display()));
    let value: serde_json::Value = serde_json::from_str(&text).map_err(unreadable)?;
    let format = value.get("format").and_then(serde_json::Value::as_u64);
    if format != Some(FORMAT) {
        return Err(Failure::Usage(format!(
            "{} is in another layout ({}) than this bcfsim reads ({FORMAT}); rerun the shard with this bcfsim",
            path.display(),
            format.map_or("none".to_owned(), |f| f.to_string())
        )));
    }
    let record = serde_json::from_value(value).map_err(unreadable)?;
    Ok(Part {
        folder: folder.to_owned(),
        record,
    })
}

/// Checks that `parts` are shards of one piece of work, of this bcfsim: the same version,
/// command, arguments, scenarios, seed, replications and points. Every difference is named with
/// the folders holding each value.
fn agree(parts: &[Part]) -> Result<(), Failure> {
    type Field = (&'static str, fn(&Record) -> String);
    let fields: [Field; 7] = [
        ("bcfsim version", |r| r.bcfsim_version.clone()),
        ("command", |r| r.command.clone()),
        ("arguments", |r| format!("`{}`", r.arguments.join(" "))),
        ("scenario SHA-256", |r| r.scenario_sha256.join(", ")),
        ("seed", |r| r.seed.to_string()),
        ("replications", |r| r.replications.to_string()),
        ("sweep points", |r| r.points.to_string()),
    ];
    let mut differences = Vec::new();
    for (field, value) in fields {
        let mut values: Vec<(String, Vec<String>)> = Vec::new();
        for part in parts {
            let value = value(&part.record);
            match values.iter_mut().find(|(v, _)| *v == value) {
                Some((_, folders)) => folders.push(part.name()),
                None => values.push((value, vec![part.name()])),
            }
        }
        if values.len() > 1 {
            let held: Vec<String> = values
                .iter()
                .map(|(value, folders)| format!("{value} in {}", folders.join(", ")))
                .collect();
            differences.push(format!("{field}: {}", held.join("; ")));
        }
    }
    if !differences.is_empty() {
        return Err(Failure::Usage(format!(
            "the parts are not shards of one run; they differ in\n  {}",
            differences.join("\n  ")
        )));
    }
    let record = &parts[0].record;
    if record.bcfsim_version != env!("CARGO_PKG_VERSION") {
        return Err(Failure::Usage(format!(
            "the shards were run by bcfsim {}, this is {}: merge them with that version, or rerun them",
            record.bcfsim_version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(())
}

/// Checks that `parts` hold every unit of the work exactly once, naming those missing, those
/// held more than once and by which folders, and what each holds.
fn cover(parts: &[Part]) -> Result<(), Failure> {
    let record = &parts[0].record;
    let units = Units {
        replications: record.replications,
        points: record.points,
    };
    let held: Vec<Range<u64>> = parts.iter().map(Part::held).collect();
    let (missing, repeated) = coverage(&held, units.total());
    if missing.is_empty() && repeated.is_empty() {
        return Ok(());
    }
    let mut problems: Vec<String> = missing
        .iter()
        .map(|range| {
            let them = if range.end - range.start == 1 { "it" } else { "them" };
            format!("missing: {} (no part holds {them})", units.describe(range))
        })
        .collect();
    problems.extend(repeated.iter().map(|(range, holders)| {
        let folders: Vec<String> = holders.iter().map(|&k| parts[k].name()).collect();
        let are = if range.end - range.start == 1 { "is" } else { "are" };
        format!("repeated: {} {are} in {}", units.describe(range), folders.join(" and "))
    }));
    let mut holdings: Vec<&Part> = parts.iter().collect();
    holdings.sort_by_key(|part| part.record.first);
    Err(Failure::Usage(format!(
        "the parts do not hold each of the {} once:\n  {}\nwhere {}",
        units.all(),
        problems.join("\n  "),
        holdings
            .iter()
            .map(|part| format!(
                "{} holds {} (shard {}/{})",
                part.name(),
                units.describe(&part.held()),
                part.record.shard,
                part.record.shards
            ))
            .collect::<Vec<_>>()
            .join(",\n  ")
    )))
}

/// The units of a piece of work: its replications, or a sweep's points × replications, point
/// by point.
#[derive(Clone, Copy)]
pub(super) struct Units {
    /// Replications (of each point).
    pub replications: u32,
    /// Points of a sweep; 1 otherwise.
    pub points: u32,
}

impl Units {
    /// How many.
    pub fn total(&self) -> u64 {
        u64::from(self.replications) * u64::from(self.points)
    }

    /// Unit `unit` as its point and replication.
    pub fn split(&self, unit: u64) -> (u32, u32) {
        let r = u64::from(self.replications);
        ((unit / r) as u32, (unit % r) as u32)
    }

    /// All of them, for people: "7 replications", "4 points' 7 replications".
    fn all(&self) -> String {
        if self.points == 1 {
            format!("{} replications", self.replications)
        } else {
            format!("{} points' {} replications", self.points, self.replications)
        }
    }

    /// `units`, for people: "replication 4", "replications 4 to 7", or for a sweep "point 1's
    /// replications 3 to 6" and "point 1's replication 6 to point 2's replication 2".
    pub fn describe(&self, units: &Range<u64>) -> String {
        let last = units.end.max(units.start + 1) - 1;
        let ((p0, r0), (p1, r1)) = (self.split(units.start), self.split(last));
        let replications = |r0: u32, r1: u32| {
            if r0 == r1 {
                format!("replication {r0}")
            } else {
                format!("replications {r0} to {r1}")
            }
        };
        if self.points == 1 {
            replications(r0, r1)
        } else if p0 == p1 {
            format!("point {p0}'s {}", replications(r0, r1))
        } else {
            format!("point {p0}'s replication {r0} to point {p1}'s replication {r1}")
        }
    }
}

/// Units held more than once: each range, and the positions of the parts holding it.
type Repeated = Vec<(Range<u64>, Vec<usize>)>;

/// The units of `0..total` in none of `held`, and those in more than one (with which), as
/// ranges, in order.
fn coverage(held: &[Range<u64>], total: u64) -> (Vec<Range<u64>>, Repeated) {
    let mut bounds: Vec<u64> = held
        .iter()
        .flat_map(|r| [r.start.min(total), r.end.min(total)])
        .collect();
    bounds.extend([0, total]);
    bounds.sort_unstable();
    bounds.dedup();
    let mut missing: Vec<Range<u64>> = Vec::new();
    let mut repeated: Repeated = Vec::new();
    for pair in bounds.windows(2) {
        let segment = pair[0]..pair[1];
        let holders: Vec<usize> = (0..held.len())
            .filter(|&k| held[k].start <= segment.start && segment.end <= held[k].end)
            .collect();
        match holders.len() {
            0 => match missing.last_mut() {
                Some(last) if last.end == segment.start => last.end = segment.end,
                _ => missing.push(segment),
            },
            1 => {}
            _ => match repeated.last_mut() {
                Some((last, by)) if last.end == segment.start && *by == holders => last.end = segment.end,
                _ => repeated.push((segment, holders)),
            },
        }
    }
    (missing, repeated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_share_work_evenly_and_wholly() {
        for total in [1u64, 2, 7, 10, 100] {
            for count in 1..=total.min(8) as u32 {
                let shares: Vec<Range<u64>> = (0..count)
                    .map(|index| Shard { index, count }.share(total, "replications").unwrap())
                    .collect();
                let (missing, repeated) = coverage(&shares, total);
                assert!(missing.is_empty() && repeated.is_empty(), "{total} in {count}");
                let sizes: Vec<u64> = shares.iter().map(|r| r.end - r.start).collect();
                assert!(
                    sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
                    "{sizes:?}"
                );
            }
        }
        assert!(Shard { index: 0, count: 3 }.share(2, "replications").is_err());
    }

    #[test]
    fn coverage_names_gaps_and_overlaps() {
        let (missing, repeated) = coverage(&[0..3, 6..10, 8..10], 12);
        assert_eq!(missing, vec![3..6, 10..12]);
        assert_eq!(repeated, vec![(8..10, vec![1, 2])]);
    }

    #[test]
    fn units_are_described_by_point_and_replication() {
        let run = Units {
            replications: 10,
            points: 1,
        };
        assert_eq!(run.describe(&(4..5)), "replication 4");
        assert_eq!(run.describe(&(4..8)), "replications 4 to 7");
        let sweep = Units {
            replications: 10,
            points: 3,
        };
        assert_eq!(sweep.describe(&(13..17)), "point 1's replications 3 to 6");
        assert_eq!(
            sweep.describe(&(16..23)),
            "point 1's replication 6 to point 2's replication 2"
        );
    }

    #[test]
    fn shard_arguments_are_checked() {
        assert_eq!(parse("1/4"), Ok(Shard { index: 1, count: 4 }));
        assert!(parse("4/4").unwrap_err().contains("numbered 0 to 3"));
        assert!(parse("0/0").is_err());
        assert!(parse("a/4").is_err());
    }
}
