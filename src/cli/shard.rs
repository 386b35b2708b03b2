//! A run split across machines. `bcfsim run --shard K/N` runs the K-th of N balanced shares of
//! the replications and keeps, beside its usual files, what a merge needs: `shard.json` (what was
//! run, and which replications the folder holds) and its spilled values, `shard.bin`.
//! `bcfsim merge` checks that the shards belong together and hold every replication once, joins
//! their per-replication files and values in replication order, and writes the rest through the
//! same functions as `bcfsim run`, so the merged folder is the single run's.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use bcfsim::model::Model;
use bcfsim::report::{self, FolderError, ResultsFolder, RunFacts, Spill, SpillShape, PER_REPLICATION_FILES};
use bcfsim::scenario::Override;

use super::run::{folder_failure, print_results, report_json, run_model, scenario_name, write_results};
use super::{Failure, MergeArgs, Mode, RunConfig, ScenarioSource};

/// What a shard's folder records of its run, for the merge.
const RECORD: &str = "shard.json";
/// A shard's spilled values: every statistic of every replication it ran.
const VALUES: &str = "shard.bin";
/// The layout of `shard.json`; raised whenever it changes, so older shards are refused by name.
const FORMAT: u64 = 1;

/// Shard K of N (K from 0): the K-th of N balanced shares of a run's replications.
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
        return Err(format!("`{text}`: a run splits into at least 1 shard"));
    }
    if index >= count {
        return Err(format!("`{text}`: the {count} shards are numbered 0 to {}", count - 1));
    }
    Ok(Shard { index, count })
}

impl Shard {
    /// This shard's share of `total` replications: from K·total/N to (K+1)·total/N, so the shares
    /// differ by one at most and together hold every replication once.
    pub fn replications(&self, total: u32) -> Result<Range<u32>, Failure> {
        if self.count > total {
            return Err(Failure::Usage(format!(
                "--shard {}/{}: {total} replication{} cannot be shared among {} shards without empty ones; split into at \
                 most {total}",
                self.index,
                self.count,
                if total == 1 { "" } else { "s" },
                self.count
            )));
        }
        let at = |k: u32| (u64::from(k) * u64::from(total) / u64::from(self.count)) as u32;
        Ok(at(self.index)..at(self.index + 1))
    }
}

/// `shard.json`: what a shard ran, with everything that changes its results, and what it holds.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Record {
    /// [`FORMAT`].
    format: u64,
    /// The bcfsim that ran it; draws may change between versions.
    bcfsim_version: String,
    /// The command split: `run`.
    command: String,
    /// The scenario file as given; `null` for the embedded default.
    scenario: Option<PathBuf>,
    /// SHA-256 of the scenario's text as written.
    scenario_sha256: String,
    /// Every `--set`, in order.
    overrides: Vec<String>,
    /// The seed.
    seed: u64,
    /// Replications of the whole run.
    replications: u32,
    /// `--year`: the financial year observed (its first calendar year).
    year: Option<i32>,
    /// Whether uncertain inputs were drawn for each replication.
    input_uncertainty: bool,
    /// `--series` as given.
    series: Option<String>,
    /// K of `--shard K/N`.
    shard: u32,
    /// N of `--shard K/N`.
    shards: u32,
    /// The first replication the folder holds.
    first_replication: u32,
    /// How many replications from the first the folder holds (fewer than its share if it was
    /// interrupted).
    replications_held: u32,
    /// Events simulated.
    events: u64,
    /// The shape of `shard.bin`.
    values: SpillShape,
}

/// Keeps a shard's spilled values as `shard.bin` in `folder` and records the run in
/// `shard.json`: `model` of `config`, a run of `total` replications of which the folder holds
/// `held`, after `events` events.
pub(super) fn keep(
    folder: &ResultsFolder,
    config: &RunConfig,
    model: &Model,
    total: u32,
    held: Range<u32>,
    events: u64,
    spill: Spill<'_>,
) -> Result<(), Failure> {
    let shard = config.shard.expect("a shard's run");
    let values = spill.keep(VALUES).map_err(folder_failure)?;
    let record = Record {
        format: FORMAT,
        bcfsim_version: env!("CARGO_PKG_VERSION").to_owned(),
        command: "run".to_owned(),
        scenario: match &config.scenario {
            ScenarioSource::File(path) => Some(path.clone()),
            ScenarioSource::Default => None,
        },
        scenario_sha256: model.provenance.scenario_sha256.clone(),
        overrides: model.provenance.overrides.clone(),
        seed: model.run.seed,
        replications: total,
        year: config.year,
        input_uncertainty: config.input_uncertainty,
        series: config.series.clone(),
        shard: shard.index,
        shards: shard.count,
        first_replication: held.start,
        replications_held: held.len() as u32,
        events,
        values,
    };
    let text = report_json(&serde_json::to_value(&record).expect("a record encodes as JSON"))?;
    folder
        .write(RECORD, |w| w.write_all(text.as_bytes()))
        .map_err(folder_failure)
}

/// A shard's results folder, as the merge was given it, and its record.
struct Part {
    folder: PathBuf,
    record: Record,
}

impl Part {
    /// The replications the folder holds.
    fn held(&self) -> Range<u32> {
        let first = self.record.first_replication;
        first..first.saturating_add(self.record.replications_held)
    }

    /// The folder as given, for messages.
    fn name(&self) -> String {
        format!("`{}`", self.folder.display())
    }

    /// The folder, what it holds, and which shard it was.
    fn holds(&self) -> String {
        format!(
            "{} holds {} (shard {}/{})",
            self.name(),
            replications(&self.held()),
            self.record.shard,
            self.record.shards
        )
    }
}

/// `bcfsim merge`: the results of a run from those of its shards.
pub(super) fn merge(args: MergeArgs) -> Result<(), Failure> {
    let mut parts = args
        .parts
        .iter()
        .map(|folder| read(folder))
        .collect::<Result<Vec<_>, _>>()?;
    agree(&parts)?;
    let total = parts[0].record.replications;
    cover(&parts, total)?;
    parts.sort_by_key(|part| part.record.first_replication);
    let first = &parts[0].record;
    let overrides = first
        .overrides
        .iter()
        .map(|text| text.parse::<Override>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| Failure::Usage(format!("{}/{RECORD}: {error}", parts[0].folder.display())))?;
    let config = RunConfig {
        scenario: first
            .scenario
            .clone()
            .map_or(ScenarioSource::Default, ScenarioSource::File),
        overrides,
        replications: Some(total),
        first_replication: 0,
        seed: Some(first.seed),
        threads: None,
        out: Some(args.out.clone()),
        json: false,
        trace: None,
        input_uncertainty: first.input_uncertainty,
        year: first.year,
        mode: Mode::Run,
        series: first.series.clone(),
        precision: None,
        detail: false,
        report: args.report,
        shard: None,
    };
    let model = run_model(&config)?;
    if model.provenance.scenario_sha256 != first.scenario_sha256 || model.provenance.overrides != first.overrides {
        return Err(Failure::Usage(format!(
            "{} is not the scenario the shards ran: its SHA-256 is {} with --set {:?}, the shards' {} with --set {:?}; \
             merge with the scenario file as it was, or rerun the shards",
            scenario_name(&config.scenario),
            model.provenance.scenario_sha256,
            model.provenance.overrides,
            first.scenario_sha256,
            first.overrides
        )));
    }
    let shapes: Vec<SpillShape> = parts.iter().map(|part| part.record.values.clone()).collect();
    let shape = SpillShape::joined(&shapes).ok_or_else(|| {
        Failure::Usage(format!(
            "the shards' values are laid out differently (their statistics, trajectories or series differ), so they \
             are not runs of one model: {}",
            parts.iter().map(Part::name).collect::<Vec<_>>().join(", ")
        ))
    })?;
    for part in &parts {
        let path = part.folder.join(VALUES);
        let bytes = std::fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|source| Failure::Usage(format!("cannot read {}: {source}", path.display())))?;
        if bytes != part.record.values.bytes
            || part.record.values.replications != u64::from(part.record.replications_held)
        {
            return Err(Failure::Usage(format!(
                "{} is not the file {RECORD} describes ({bytes} bytes, not {}); rerun that shard",
                path.display(),
                part.record.values.bytes
            )));
        }
    }
    let folder = ResultsFolder::prepare(&args.out).map_err(folder_failure)?;
    for name in PER_REPLICATION_FILES {
        join_rows(&folder, name, &parts)?;
    }
    let values: Vec<PathBuf> = parts.iter().map(|part| part.folder.join(VALUES)).collect();
    let values: Vec<&Path> = values.iter().map(PathBuf::as_path).collect();
    let spill = Spill::join(&folder, "", shape, &values).map_err(folder_failure)?;
    let facts = RunFacts {
        requested: total,
        completed: total,
        first_replication: 0,
        interrupted: false,
    };
    let written = write_results(&config, &model, &folder, &spill, facts, None)?;
    let events: u64 = parts.iter().map(|part| part.record.events).sum();
    let run_info = serde_json::json!({
        "bcfsim_version": env!("CARGO_PKG_VERSION"),
        "merged": true,
        "interrupted": false,
        "replications_completed": total,
        "events": events,
        "parts": parts.iter().map(|part| serde_json::json!({
            "folder": part.folder.display().to_string(),
            "shard": format!("{}/{}", part.record.shard, part.record.shards),
            "first_replication": part.record.first_replication,
            "replications": part.record.replications_held,
        })).collect::<Vec<_>>(),
    });
    let text = report_json(&run_info)?;
    folder
        .write("run.json", |w| w.write_all(text.as_bytes()))
        .map_err(folder_failure)?;
    spill.discard().map_err(folder_failure)?;
    folder.commit().map_err(folder_failure)?;
    let footer = format!(
        "merged {} shards; results in {}{}",
        parts.len(),
        args.out.display(),
        if args.report {
            format!(", the report in {}", args.out.join(report::render::HTML).display())
        } else {
            String::new()
        }
    );
    print_results(&config, &model, &written, total, "", &footer)
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

/// Checks that `parts` are shards of one run, of this bcfsim: the same version, command, scenario,
/// `--set`s, seed, replications, year, uncertainty and series. Every difference is named with the
/// folders holding each value.
fn agree(parts: &[Part]) -> Result<(), Failure> {
    type Field = (&'static str, fn(&Record) -> String);
    let fields: [Field; 10] = [
        ("bcfsim version", |r| r.bcfsim_version.clone()),
        ("command", |r| r.command.clone()),
        ("scenario", |r| {
            r.scenario
                .as_ref()
                .map_or("the default scenario".to_owned(), |p| p.display().to_string())
        }),
        ("scenario SHA-256", |r| r.scenario_sha256.clone()),
        ("--set", |r| format!("{:?}", r.overrides)),
        ("seed", |r| r.seed.to_string()),
        ("replications", |r| r.replications.to_string()),
        ("--year", |r| r.year.map_or("none".to_owned(), |y| y.to_string())),
        ("input uncertainty", |r| {
            if r.input_uncertainty {
                "drawn"
            } else {
                "central (--no-input-uncertainty)"
            }
            .to_owned()
        }),
        ("--series", |r| {
            r.series.clone().unwrap_or_else(|| "the default".to_owned())
        }),
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
    if record.command != "run" {
        return Err(Failure::Usage(format!(
            "the shards are of `bcfsim {}`; only shards of `bcfsim run` merge",
            record.command
        )));
    }
    Ok(())
}

/// Checks that `parts` hold every replication of `0..total` exactly once, naming the
/// replications missing, those held more than once and by which folders, and what each holds.
fn cover(parts: &[Part], total: u32) -> Result<(), Failure> {
    let held: Vec<Range<u32>> = parts.iter().map(Part::held).collect();
    let (missing, repeated) = coverage(&held, total);
    if missing.is_empty() && repeated.is_empty() {
        return Ok(());
    }
    let mut problems: Vec<String> = missing
        .iter()
        .map(|range| {
            let them = if range.len() == 1 { "it" } else { "them" };
            format!("missing: {} (no part holds {them})", replications(range))
        })
        .collect();
    problems.extend(repeated.iter().map(|(range, holders)| {
        let folders: Vec<String> = holders.iter().map(|&k| parts[k].name()).collect();
        let are = if range.len() == 1 { "is" } else { "are" };
        format!("repeated: {} {are} in {}", replications(range), folders.join(" and "))
    }));
    let mut holdings: Vec<&Part> = parts.iter().collect();
    holdings.sort_by_key(|part| part.record.first_replication);
    Err(Failure::Usage(format!(
        "the parts do not hold each of the {total} replications once:\n  {}\nwhere {}",
        problems.join("\n  "),
        holdings
            .iter()
            .map(|part| part.holds())
            .collect::<Vec<_>>()
            .join(",\n  ")
    )))
}

/// Replications held more than once: each range, and the positions of the parts holding it.
type Repeated = Vec<(Range<u32>, Vec<usize>)>;

/// The replications of `0..total` in none of `held`, and those in more than one (with which),
/// as ranges, in order.
fn coverage(held: &[Range<u32>], total: u32) -> (Vec<Range<u32>>, Repeated) {
    let mut bounds: Vec<u32> = held
        .iter()
        .flat_map(|r| [r.start.min(total), r.end.min(total)])
        .collect();
    bounds.extend([0, total]);
    bounds.sort_unstable();
    bounds.dedup();
    let mut missing: Vec<Range<u32>> = Vec::new();
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

/// `replication 4`, or `replications 4 to 7` for `4..8`.
fn replications(range: &Range<u32>) -> String {
    if range.len() == 1 {
        format!("replication {}", range.start)
    } else {
        format!("replications {} to {}", range.start, range.end - 1)
    }
}

/// Writes file `name` of the merged run: the parts' files one after another, a buffer at a time,
/// under the header they share; nothing where none has it.
fn join_rows(folder: &ResultsFolder, name: &str, parts: &[Part]) -> Result<(), Failure> {
    let paths: Vec<PathBuf> = parts.iter().map(|part| part.folder.join(name)).collect();
    if !paths.iter().any(|path| path.is_file()) {
        return Ok(());
    }
    let failed = |path: &Path| {
        let path = path.to_owned();
        move |source: io::Error| folder_failure(FolderError::Io { path, source })
    };
    let mut joined = folder.create(name).map_err(folder_failure)?;
    let mut header: Option<String> = None;
    for path in &paths {
        let file = File::open(path).map_err(|error| {
            Failure::Usage(format!(
                "cannot read {}, which the other parts have: {error}; rerun that shard",
                path.display()
            ))
        })?;
        let mut reader = BufReader::new(file);
        let mut line = String::new();
        reader.read_line(&mut line).map_err(failed(path))?;
        match &header {
            None => {
                joined
                    .write_all(line.as_bytes())
                    .map_err(failed(&folder.target().join(name)))?;
                header = Some(line);
            }
            Some(first) if *first != line => {
                return Err(Failure::Usage(format!(
                    "{} does not begin like {}: the shards' files differ; rerun them",
                    path.display(),
                    paths[0].display()
                )));
            }
            Some(_) => {}
        }
        io::copy(&mut reader, &mut joined).map_err(failed(path))?;
    }
    folder.finish(name, joined).map_err(folder_failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_share_replications_evenly_and_wholly() {
        for total in [1, 2, 7, 10, 100] {
            for count in 1..=total.min(8) {
                let shares: Vec<Range<u32>> = (0..count)
                    .map(|index| Shard { index, count }.replications(total).unwrap())
                    .collect();
                let (missing, repeated) = coverage(&shares, total);
                assert!(missing.is_empty() && repeated.is_empty(), "{total} in {count}");
                let sizes: Vec<usize> = shares.iter().map(|r| r.len()).collect();
                assert!(
                    sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
                    "{sizes:?}"
                );
            }
        }
        assert!(Shard { index: 0, count: 3 }.replications(2).is_err());
    }

    #[test]
    fn coverage_names_gaps_and_overlaps() {
        let (missing, repeated) = coverage(&[0..3, 6..10, 8..10], 12);
        assert_eq!(missing, vec![3..6, 10..12]);
        assert_eq!(repeated, vec![(8..10, vec![1, 2])]);
    }

    #[test]
    fn shard_arguments_are_checked() {
        assert_eq!(parse("1/4"), Ok(Shard { index: 1, count: 4 }));
        assert!(parse("4/4").unwrap_err().contains("numbered 0 to 3"));
        assert!(parse("0/0").is_err());
        assert!(parse("a/4").is_err());
    }
}
