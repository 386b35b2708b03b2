//! Checks a parsed scenario and converts it into a [`Model`]. Every problem found is reported
//! with the path of the field at fault; a model is built only when there are none.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use super::file::{
    Capacity, CostEntry, CostsSection, DatedRates, Discipline, DistributionSpec, InitialPatientsSection,
    InitialStateName, ObservedSection, OneOrMany, PayerName, ScenarioFile, ScheduleWindow, ServiceSection,
    SourceSection, TargetSection, WeekWindow, WorkloadSection,
};
use super::locate::{path, Segment};
use crate::calendar::Date;
use crate::metrics::trajectory;
use crate::model::{
    dtoc_reason, is_known_tag, statistic_path, ArrivalProcess, Bound, Cohort, CohortFlags, CostItem, CostKind,
    Distribution, InitialPatients, InitialState, Model, Network, Node, NodeIndex, NodeKind, Observation, Payer, Places,
    PlanTarget, Population, Provenance, RateProfile, Reneging, Roles, RouteChoice, RouteTable, RunSettings, Service,
    Source, StaffGroup, Target, Workload, DTOC_REASONS, HOURS_PER_WEEK, KNOWN_TAGS, UNITS_PER_STAFF_MINUTE,
};

/// A problem with one field.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Where the field is.
    pub path: Vec<Segment>,
    /// What is wrong with it.
    pub message: String,
}

/// The largest number of replications accepted: far beyond any useful run, so that a slip of the
/// keyboard does not start one that takes months.
pub const MAX_REPLICATIONS: u32 = 10_000_000;
/// The longest horizon, in days: beyond it a day is no longer resolved to the millisecond.
pub const MAX_HORIZON_DAYS: f64 = 1e9;
/// The longest horizon, in days (100 years), of a network whose metrics are recorded month by
/// month and day by day (one with tagged nodes or staff), so that those records stay small.
pub const MAX_METRIC_HORIZON_DAYS: f64 = 36_525.0;
/// The highest arrival rate per day (about twelve a second), and the largest rate multiplier and
/// annual growth: far above any care system, and low enough that simulated time always advances.
pub const MAX_RATE_PER_DAY: f64 = 1e6;
const MAX_MULTIPLIER: f64 = 1000.0;
/// The most visits a patient may need a day, and minutes per visit or of travel (a whole day):
/// far above any care, low enough that staff arithmetic cannot overflow.
const MAX_VISITS_PER_DAY: f64 = 1440.0;
const MINUTES_PER_DAY: f64 = 1440.0;
/// The most shifts a week (three a day), uplift (ten times the staff) and FTE of a group: far
/// above any service, low enough that staff arithmetic stays finite.
const MAX_SHIFTS_PER_WEEK: f64 = 21.0;
const MAX_UPLIFT_PCT: f64 = 1000.0;
const MAX_FTE: f64 = 1e7;
/// The largest unit cost: far above any, low enough that a year's costs stay finite.
const MAX_COST: f64 = 1e12;
const MAX_ANNUAL_GROWTH_PCT: f64 = 1000.0;
/// The shortest mean time between arrivals of a renewal source, in days (the same bound).
pub const MIN_MEAN_INTERARRIVAL_DAYS: f64 = 1.0 / MAX_RATE_PER_DAY;
/// The largest `max_patients_in_system`.
pub const MAX_PATIENTS_IN_SYSTEM: u64 = 10_000_000;
/// How far probabilities may stray from summing to one.
pub const PROBABILITY_TOLERANCE: f64 = 1e-9;
/// Routes taken with a smaller probability do not count as a way out of a cycle: patients would
/// go round it a million times on average.
pub const PROBABILITY_FLOOR: f64 = 1e-6;

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, path: Vec<Segment>, message: impl Into<String>) {
        self.0.push(Problem {
            path,
            message: message.into(),
        });
    }

    fn check(&mut self, ok: bool, path: Vec<Segment>, message: impl Into<String>) {
        if !ok {
            self.add(path, message);
        }
    }

    /// Checks a number is finite and at least (or, `strict`, above) `min`.
    fn number(&mut self, value: f64, min: f64, strict: bool, path: Vec<Segment>) -> bool {
        let ok = value.is_finite() && if strict { value > min } else { value >= min };
        if !ok {
            let bound = if strict { "above" } else { "at least" };
            self.add(
                path,
                format!("must be a finite number {bound} {min}, not {}", shown(value)),
            );
        }
        ok
    }
}

impl Problems {
    /// Checks a number is finite, at least (or, `strict`, above) `min`, and at most `max`.
    fn number_at_most(&mut self, value: f64, min: f64, strict: bool, max: f64, path: Vec<Segment>) -> bool {
        if !self.number(value, min, strict, path.clone()) {
            return false;
        }
        self.check(
            value <= max,
            path,
            format!("must be at most {max}, not {}", shown(value)),
        );
        value <= max
    }
}

/// A number as a user would write it: scientific notation when plain digits would run long.
fn shown(value: f64) -> String {
    if value != 0.0 && value.is_finite() && !(1e-6..1e15).contains(&value.abs()) {
        format!("{value:e}")
    } else {
        value.to_string()
    }
}

fn with(base: &[Segment], more: Vec<Segment>) -> Vec<Segment> {
    base.iter().cloned().chain(more).collect()
}

/// Whether `id` is usable as an id: non-empty ASCII letters, digits, `_` and `-` (ids appear in
/// output keys, folder names and `--set` paths).
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

const ID_RULE: &str = "must be made of ASCII letters, digits, `_` and `-` only";

/// Ids of everything a scenario names, for resolving references.
struct Lookup<'a> {
    cohorts: HashMap<&'a str, usize>,
    nodes: HashMap<&'a str, NodeIndex>,
    pools: HashMap<&'a str, usize>,
    staff: HashMap<&'a str, usize>,
}

impl Lookup<'_> {
    fn find<T: Copy>(
        map: &HashMap<&str, T>,
        what: &str,
        problems: &mut Problems,
        id: &str,
        at: Vec<Segment>,
    ) -> Option<T> {
        let found = map.get(id).copied();
        if found.is_none() {
            problems.add(at, format!("there is no {what} with the id `{id}`"));
        }
        found
    }

    fn node(&self, problems: &mut Problems, id: &str, at: Vec<Segment>) -> Option<NodeIndex> {
        Self::find(&self.nodes, "service or exit", problems, id, at)
    }

    fn cohort(&self, problems: &mut Problems, id: &str, at: Vec<Segment>) -> Option<usize> {
        Self::find(&self.cohorts, "cohort", problems, id, at)
    }

    fn pool(&self, problems: &mut Problems, id: &str, at: Vec<Segment>) -> Option<usize> {
        Self::find(&self.pools, "pool", problems, id, at)
    }

    fn staff(&self, problems: &mut Problems, id: &str, at: Vec<Segment>) -> Option<usize> {
        Self::find(&self.staff, "staff group", problems, id, at)
    }
}

/// Registers the ids of `items` (read by `id`) under `section`, reporting malformed and duplicate ones.
fn register<'a, T>(
    problems: &mut Problems,
    section: &str,
    items: impl Iterator<Item = (usize, &'a str)>,
    index: &mut HashMap<&'a str, T>,
    make: impl Fn(usize) -> T,
    what: &str,
) {
    for (i, id) in items {
        if !valid_id(id) {
            problems.add(path![section, i, "id"], ID_RULE);
        } else if index.insert(id, make(index.len())).is_some() {
            problems.add(
                path![section, i, "id"],
                format!("the id `{id}` is used by another {what}"),
            );
        }
    }
}

/// Checks `file` and builds the model it describes.
pub fn build(file: &ScenarioFile) -> Result<Model, Vec<Problem>> {
    let mut problems = Problems::default();
    let run = run_settings(file, &mut problems);

    let cohorts = cohorts(file, &mut problems);
    // Keyed by the file's ids rather than the cohorts', so that the lookup outlives the network
    // built from them (the census is resolved after it).
    let cohort_ids: Vec<&str> = if file.cohort.is_empty() {
        vec![DEFAULT_COHORT]
    } else {
        file.cohort.iter().map(|c| c.id.as_str()).collect()
    };
    let mut lookup = Lookup {
        cohorts: cohort_ids.into_iter().enumerate().map(|(i, id)| (id, i)).collect(),
        nodes: HashMap::new(),
        pools: HashMap::new(),
        staff: HashMap::new(),
    };
    let node_ids: Vec<(&str, Vec<Segment>)> = file
        .service
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), path!["service", i, "id"]))
        .chain(
            file.exit
                .iter()
                .enumerate()
                .map(|(i, e)| (e.id.as_str(), path!["exit", i, "id"])),
        )
        .collect();
    for (id, id_path) in node_ids {
        if !valid_id(id) {
            problems.add(id_path, ID_RULE);
        } else if lookup.nodes.insert(id, lookup.nodes.len() as NodeIndex).is_some() {
            problems.add(id_path, format!("the id `{id}` is used by another service or exit"));
        }
    }
    let mut source_ids = HashMap::new();
    let source_items = file.source.iter().enumerate().map(|(i, s)| (i, s.id.as_str()));
    register(&mut problems, "source", source_items, &mut source_ids, |_| (), "source");
    let pool_items = file.pool.iter().enumerate().map(|(i, p)| (i, p.id.as_str()));
    register(&mut problems, "pool", pool_items, &mut lookup.pools, |i| i, "pool");
    let staff_items = file.staff.iter().enumerate().map(|(i, s)| (i, s.id.as_str()));
    register(
        &mut problems,
        "staff",
        staff_items,
        &mut lookup.staff,
        |i| i,
        "staff group",
    );
    problems.check(
        !file.source.is_empty(),
        vec![],
        "the scenario has no [[source]]: nobody would arrive",
    );
    problems.check(
        !file.exit.is_empty(),
        vec![],
        "the scenario has no [[exit]]: nobody could leave",
    );
    let staff = staff_groups(file, &mut problems);
    let population = file.population.as_ref().map(|section| {
        for (field, value) in [
            ("total", section.total),
            ("aged_18_plus", section.aged_18_plus),
            ("aged_65_plus", section.aged_65_plus),
        ] {
            problems.number(value, 0.0, true, path!["population", field]);
        }
        Population {
            total: section.total,
            aged_18_plus: section.aged_18_plus,
            aged_65_plus: section.aged_65_plus,
        }
    });

    let demand_scale = file.simulation.demand_scale;
    let scale_ok = problems.number_at_most(
        demand_scale,
        0.0,
        true,
        MAX_MULTIPLIER,
        path!["simulation", "demand_scale"],
    );
    let mut sources = Vec::new();
    for (i, section) in file.source.iter().enumerate() {
        let at = path!["source", i];
        let to = lookup.node(&mut problems, &section.to, with(&at, path!["to"]));
        problems.check(
            section.fallback_rate_per_day.is_none() || section.rate_by_date.is_some(),
            with(&at, path!["fallback_rate_per_day"]),
            "applies only with `rate_by_date`",
        );
        let arrivals = match (section.rate_per_day, &section.interarrival) {
            (None, None) if section.rate_by_date.is_some() => dated_arrivals(
                &mut problems,
                section,
                run.as_ref(),
                demand_scale.is_finite().then_some(demand_scale),
                &at,
            ),
            _ if section.rate_by_date.is_some() => {
                problems.add(
                    at.clone(),
                    "give one of `rate_per_day`, `interarrival` and `rate_by_date`, not several",
                );
                None
            }
            (Some(rate), None) => {
                problems.number_at_most(rate, 0.0, false, MAX_RATE_PER_DAY, with(&at, path!["rate_per_day"]));
                if scale_ok && rate.is_finite() {
                    problems.check(
                        rate * demand_scale <= MAX_RATE_PER_DAY,
                        with(&at, path!["rate_per_day"]),
                        format!(
                            "scaled by simulation.demand_scale ({}) this is {} a day, above the most, {MAX_RATE_PER_DAY}",
                            shown(demand_scale),
                            shown(rate * demand_scale)
                        ),
                    );
                }
                let profile = section.profile.as_ref().map(|p| {
                    let at = with(&at, path!["profile"]);
                    RateProfile {
                        hour: multipliers(&mut problems, p.hour.as_deref(), &with(&at, path!["hour"])),
                        weekday: multipliers(&mut problems, p.weekday.as_deref(), &with(&at, path!["weekday"])),
                        month: multipliers(&mut problems, p.month.as_deref(), &with(&at, path!["month"])),
                        annual_growth: {
                            let pct = p.annual_growth_pct;
                            problems.number_at_most(
                                pct,
                                -100.0,
                                true,
                                MAX_ANNUAL_GROWTH_PCT,
                                with(&at, path!["annual_growth_pct"]),
                            );
                            pct / 100.0
                        },
                    }
                });
                Some(ArrivalProcess::Poisson {
                    rate_per_day: rate * demand_scale,
                    profile,
                })
            }
            (None, Some(spec)) => {
                problems.check(
                    section.profile.is_none(),
                    with(&at, path!["profile"]),
                    "a profile applies to `rate_per_day`, not to `interarrival`",
                );
                let at = with(&at, path!["interarrival"]);
                let interarrival = distribution(&mut problems, spec, &at);
                if let Some(mean) = interarrival.as_ref().map(Distribution::mean) {
                    let scaled = mean / demand_scale;
                    problems.check(
                        !scale_ok || scaled >= MIN_MEAN_INTERARRIVAL_DAYS,
                        at,
                        format!("the mean time between arrivals (divided by simulation.demand_scale) must be at least {MIN_MEAN_INTERARRIVAL_DAYS:e} days, not {}", shown(scaled)),
                    );
                }
                interarrival.map(|interarrival| ArrivalProcess::Renewal {
                    interarrival,
                    speed: demand_scale,
                })
            }
            (Some(_), Some(_)) => {
                problems.add(at.clone(), "give either `rate_per_day` or `interarrival`, not both");
                None
            }
            (None, None) => {
                problems.add(
                    at.clone(),
                    "needs `rate_per_day` (Poisson arrivals), `rate_by_date` (Poisson arrivals at rates by date) \
                     or `interarrival`",
                );
                None
            }
        };
        let mut mix = vec![0.0; cohorts.len()];
        if section.cohorts.is_empty() {
            if cohorts.len() == 1 {
                mix[0] = 1.0;
            } else {
                problems.add(
                    with(&at, path!["cohorts"]),
                    "there are several cohorts, so say which arrive here",
                );
            }
        }
        for (j, share) in section.cohorts.iter().enumerate() {
            let share_at = with(&at, path!["cohorts", j]);
            problems.number(share.p, 0.0, false, with(&share_at, path!["p"]));
            if let Some(c) = lookup.cohort(&mut problems, &share.cohort, with(&share_at, path!["cohort"])) {
                mix[c] += share.p;
            }
        }
        if !section.cohorts.is_empty() {
            probabilities_sum_to_one(
                &mut problems,
                section.cohorts.iter().map(|s| s.p),
                with(&at, path!["cohorts"]),
            );
        }
        let mut running = 0.0;
        let cohort_mix = mix
            .iter()
            .map(|p| {
                running += p;
                running
            })
            .collect();
        if let (Some(to), Some(arrivals)) = (to, arrivals) {
            sources.push(Source {
                id: section.id.clone(),
                arrivals,
                to,
                cohort_mix,
            });
        }
    }

    let mut places: Vec<Places> = file
        .pool
        .iter()
        .map(|pool| Places {
            id: pool.id.clone(),
            capacity: None,
            schedule: None,
            members: Vec::new(),
        })
        .collect();
    let mut nodes = Vec::new();
    for (i, section) in file.service.iter().enumerate() {
        let at = path!["service", i];
        let places_index = match &section.pool {
            Some(pool) => {
                problems.check(
                    section.capacity.is_none() && section.schedule.is_empty(),
                    at.clone(),
                    "a service drawing on a pool takes its places from the pool: give `capacity` and `schedule` there",
                );
                lookup.pool(&mut problems, pool, with(&at, path!["pool"])).unwrap_or(0)
            }
            None => {
                places.push(Places {
                    id: section.id.clone(),
                    capacity: None,
                    schedule: None,
                    members: Vec::new(),
                });
                places.len() - 1
            }
        };
        if let Some(own) = places.get_mut(places_index) {
            own.members.push(i as NodeIndex);
        }
        if let Some(service) = service(section, &at, places_index as u32, cohorts.len(), &lookup, &mut problems) {
            nodes.push(node(&section.id, &section.tags, NodeKind::Service(service)));
        }
    }
    for exit in &file.exit {
        nodes.push(node(&exit.id, &exit.tags, NodeKind::Exit));
    }
    check_tags(file, &mut problems);
    let bypass: Vec<Option<NodeIndex>> = file
        .service
        .iter()
        .enumerate()
        .map(|(i, section)| {
            let at = path!["service", i];
            let to = section
                .bypass
                .as_ref()
                .and_then(|to| lookup.node(&mut problems, to, with(&at, path!["bypass"])));
            if section.bypass.as_ref() == Some(&section.id) {
                problems.add(with(&at, path!["bypass"]), "a service cannot bypass itself");
            }
            if section.enabled {
                return None;
            }
            problems.check(
                section.bypass.is_some(),
                with(&at, path!["enabled"]),
                "a switched-off service needs `bypass`, the node its patients go to instead",
            );
            to
        })
        .collect();
    if problems.0.is_empty() {
        for (index, set) in places.iter_mut().enumerate() {
            let (capacity, schedule, at) = match file.pool.get(index) {
                Some(pool) => (Some(&pool.capacity), &pool.schedule, path!["pool", index]),
                None => {
                    let service = set.members[0] as usize;
                    let section = &file.service[service];
                    (section.capacity.as_ref(), &section.schedule, path!["service", service])
                }
            };
            let Some(capacity) = capacity else {
                problems.add(at, "needs `capacity` (places, \"unlimited\", or { staff = \"id\" })");
                continue;
            };
            let capacity_at = with(&at, path!["capacity"]);
            set.capacity = places_of(
                capacity,
                set,
                &mut nodes,
                &cohorts,
                &staff,
                &lookup,
                &capacity_at,
                &mut problems,
            );
            if matches!(capacity, Capacity::Staff(_)) && !schedule.is_empty() {
                problems.add(
                    with(&at, path!["schedule"]),
                    "a capacity from staff cannot also follow a schedule",
                );
            }
            set.schedule = weekly_schedule(schedule, set.capacity, &with(&at, path!["schedule"]), &mut problems);
        }
    }

    if !problems.0.is_empty() {
        return Err(problems.0);
    }
    let costs = file
        .costs
        .as_ref()
        .map(|section| costs(section, &lookup, &staff, file.service.len(), &mut problems))
        .unwrap_or_default();
    if !problems.0.is_empty() {
        return Err(problems.0);
    }
    let mut network = Network {
        cohorts,
        sources,
        nodes,
        places,
        staff,
        population,
        costs,
        initial: Vec::new(),
    };
    check_flow(&mut network, file, &bypass, &mut problems);
    problems.check(
        !network.records_months() || file.simulation.horizon_days <= MAX_METRIC_HORIZON_DAYS,
        path!["simulation", "horizon_days"],
        format!(
            "a network with tagged nodes or staff records its metrics month by month, so its horizon may be \
             at most {MAX_METRIC_HORIZON_DAYS} days (100 years), not {}",
            file.simulation.horizon_days
        ),
    );
    if !problems.0.is_empty() {
        return Err(problems.0);
    }
    // Targets name the metrics of the network with every service on: a variant that switches a
    // scheme off loses that scheme's metrics, and its runs say so rather than refusing it.
    let metrics = crate::metrics::bcf::metric_names(&network);
    for (node, to) in bypass.iter().enumerate() {
        if let Some(to) = to {
            switch_off(&mut network, node as NodeIndex, *to);
        }
    }
    let initial = initial_patients(file, &network, &lookup, &mut problems);
    if !problems.0.is_empty() {
        return Err(problems.0);
    }
    network.initial = initial;
    let mut run = run.expect("no problems, so run settings were built");
    run.series = network.limited_services();
    let targets = plan_targets(&file.target, &metrics, &mut problems);
    let observed = observations(&file.observed, &network, &metrics, &mut problems);
    if !problems.0.is_empty() {
        return Err(problems.0);
    }
    Ok(Model {
        name: file.simulation.name.clone(),
        run,
        network,
        provenance: Provenance::default(),
        targets,
        observed,
        uncertain: None,
    })
}

/// The most days a census patient can have spent at a service: a century.
const MAX_CENSUS_DAYS: f64 = 36_500.0;

/// The arrivals of a source whose rate is given by date: one rate per day of the run (from the
/// table, else the fallback), times `demand_scale` (`None` where that is invalid, reported
/// already), with the hour profile scaled to average 1.
fn dated_arrivals(
    problems: &mut Problems,
    section: &SourceSection,
    run: Option<&RunSettings>,
    demand_scale: Option<f64>,
    at: &[Segment],
) -> Option<ArrivalProcess> {
    let at_table = with(at, path!["rate_by_date"]);
    let Some(DatedRates::Listed(rows)) = &section.rate_by_date else {
        problems.add(at_table, "the table's file was not read");
        return None;
    };
    let mut by_day = BTreeMap::new();
    for (k, row) in rows.iter().enumerate() {
        let at_row = with(&at_table, path![k]);
        let Some(date) = Date::parse(&row.date) else {
            problems.add(
                with(&at_row, path!["date"]),
                format!("`{}` is not a date written YYYY-MM-DD", row.date),
            );
            continue;
        };
        problems.number_at_most(
            row.rate_per_day,
            0.0,
            false,
            MAX_RATE_PER_DAY,
            with(&at_row, path!["rate_per_day"]),
        );
        if by_day.insert(date.days_since_epoch(), row.rate_per_day).is_some() {
            problems.add(at_row, format!("{date} is listed twice"));
        }
    }
    if let Some(fallback) = section.fallback_rate_per_day {
        problems.number_at_most(
            fallback,
            0.0,
            false,
            MAX_RATE_PER_DAY,
            with(at, path!["fallback_rate_per_day"]),
        );
    }
    let mut hour = [1.0; 24];
    if let Some(profile) = &section.profile {
        let at_profile = with(at, path!["profile"]);
        problems.check(
            profile.weekday.is_none() && profile.month.is_none() && profile.annual_growth_pct == 0.0,
            at_profile.clone(),
            "with `rate_by_date` the table gives each day's rate, so only an `hour` profile applies",
        );
        hour = multipliers(problems, profile.hour.as_deref(), &with(&at_profile, path!["hour"]));
        let mean = hour.iter().sum::<f64>() / 24.0;
        if mean > 0.0 {
            hour.iter_mut().for_each(|multiplier| *multiplier /= mean);
        } else {
            problems.add(
                with(&at_profile, path!["hour"]),
                "the hour multipliers are all 0, so no day's arrivals could come",
            );
        }
    }
    let (run, scale) = (run?, demand_scale?);
    let first = run.start_date.days_since_epoch();
    let days = run.horizon_days.ceil() as i64;
    let missing: Vec<i64> = (0..days).filter(|day| !by_day.contains_key(&(first + day))).collect();
    if section.fallback_rate_per_day.is_none() && !missing.is_empty() {
        let date = |day: i64| Date::from_days_since_epoch(first + day);
        problems.add(
            at_table,
            format!(
                "has no rate for {} ({} of the run's {days} days, {} to {}, are missing); list them or give \
                 `fallback_rate_per_day`",
                date(missing[0]),
                missing.len(),
                date(0),
                date(days - 1)
            ),
        );
        return None;
    }
    let fallback = section.fallback_rate_per_day.unwrap_or(0.0);
    let daily = (0..days)
        .map(|day| by_day.get(&(first + day)).copied().unwrap_or(fallback) * scale)
        .collect();
    Some(ArrivalProcess::Dated { daily, hour })
}

/// The census of `[initial]`, listed and read from its file, in the order the simulation places
/// it: in service, then held after service, then queued with the longest waiting first. A mistake
/// in a row of the file is reported at `initial.census`, naming the row and column.
fn initial_patients(
    file: &ScenarioFile,
    network: &Network,
    lookup: &Lookup,
    problems: &mut Problems,
) -> Vec<InitialPatients> {
    let Some(section) = &file.initial else {
        return Vec::new();
    };
    let mut census = Vec::new();
    for (i, group) in section.patients.iter().enumerate() {
        let at = path!["initial", "patients", i];
        census.extend(initial_group(group, network, lookup, problems, &at));
    }
    for (row, group) in &section.census_rows {
        let mut found = Problems::default();
        census.extend(initial_group(group, network, lookup, &mut found, &[]));
        for problem in found.0 {
            let column = match problem.path.last() {
                Some(Segment::Key(column)) => format!("{column}: "),
                _ => String::new(),
            };
            problems.add(
                path!["initial", "census"],
                format!("{row}: {column}{}", problem.message),
            );
        }
    }
    let total: u64 = census.iter().map(|group| u64::from(group.count)).sum();
    problems.check(
        total <= file.simulation.max_patients_in_system,
        path!["initial"],
        format!(
            "the census has {total} patients, more than simulation.max_patients_in_system ({})",
            file.simulation.max_patients_in_system
        ),
    );
    let order = |group: &InitialPatients| match group.state {
        InitialState::InService => 0,
        InitialState::Blocked(_) => 1,
        InitialState::Queued => 2,
    };
    census.sort_by(|a, b| {
        order(a).cmp(&order(b)).then(if a.state == InitialState::Queued {
            b.days.total_cmp(&a.days)
        } else {
            std::cmp::Ordering::Equal
        })
    });
    census
}

/// One group of census patients, checked against the network (`at` is where it is written).
fn initial_group(
    group: &InitialPatientsSection,
    network: &Network,
    lookup: &Lookup,
    problems: &mut Problems,
    at: &[Segment],
) -> Option<InitialPatients> {
    let node = lookup.node(problems, &group.service, with(at, path!["service"]))?;
    let entry = &network.nodes[node as usize];
    let Some(service) = entry.service() else {
        problems.add(
            with(at, path!["service"]),
            format!("`{}` is an exit; census patients are at services", group.service),
        );
        return None;
    };
    let cohort = match &group.cohort {
        Some(id) => lookup.cohort(problems, id, with(at, path!["cohort"]))? as u16,
        None if network.cohorts.len() == 1 => 0,
        None => {
            let ids: Vec<&str> = network.cohorts.iter().map(|c| c.id.as_str()).collect();
            problems.add(
                with(at, path!["cohort"]),
                format!("is needed: the scenario has several cohorts ({})", ids.join(", ")),
            );
            return None;
        }
    };
    if !entry.reached_by.contains(&cohort) {
        problems.add(
            with(at, path!["cohort"]),
            format!(
                "no patient of cohort `{}` can reach `{}`, so it has no stay or route there",
                network.cohorts[cohort as usize].id, group.service
            ),
        );
        return None;
    }
    let days_ok = problems.number_at_most(group.days, 0.0, false, MAX_CENSUS_DAYS, with(at, path!["days"]));
    problems.check(group.count >= 1, with(at, path!["count"]), "must be at least 1");
    problems.check(
        group.waiting_for.is_none() || group.state == InitialStateName::Blocked,
        with(at, path!["waiting_for"]),
        "applies only to patients held after service (`state = \"blocked\"`)",
    );
    let state = match group.state {
        InitialStateName::InService => InitialState::InService,
        InitialStateName::Queued => {
            if service.queue_limit == Some(0) {
                problems.add(
                    with(at, path!["state"]),
                    format!("`{}` has no queue (its queue_limit is 0)", group.service),
                );
            }
            InitialState::Queued
        }
        InitialStateName::Blocked => match &group.waiting_for {
            None => InitialState::Blocked(None),
            Some(id) => {
                let next = lookup.node(problems, id, with(at, path!["waiting_for"]))?;
                let choices = &service.routes[cohort as usize].choices;
                match choices.iter().position(|choice| choice.to == next) {
                    Some(route) => InitialState::Blocked(Some(route as u32)),
                    None => {
                        let leads: Vec<&str> = choices
                            .iter()
                            .map(|choice| network.nodes[choice.to as usize].id.as_str())
                            .collect();
                        problems.add(
                            with(at, path!["waiting_for"]),
                            format!(
                                "`{}`'s routes for cohort `{}` do not lead to `{id}` (they lead to {})",
                                group.service,
                                network.cohorts[cohort as usize].id,
                                leads.join(", ")
                            ),
                        );
                        return None;
                    }
                }
            }
        },
    };
    (days_ok && group.count >= 1).then_some(InitialPatients {
        node,
        cohort,
        state,
        days: group.days,
        count: group.count,
    })
}

/// The plan's targets, each naming one of the BCF `metrics` and, if any, a well-formed period.
/// Whether the results period covers it is left to the run, which warns: a scenario's targets for
/// one year must not stop a run of the next.
fn plan_targets(sections: &[TargetSection], metrics: &[String], problems: &mut Problems) -> Vec<PlanTarget> {
    let mut targets = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        let path = statistic_path(&section.metric);
        if !metrics.contains(&path) {
            let near = crate::names::closest(&path, metrics.iter().map(String::as_str))
                .map(|near| format!(" (did you mean `{}`?)", near.trim_start_matches("metrics.")))
                .unwrap_or_default();
            problems.add(
                path!["target", i, "metric"],
                format!("`{}` is not a metric of this network{near}", section.metric),
            );
        }
        let bound = match (section.at_most, section.at_least) {
            (Some(value), None) => Some((Bound::AtMost, value, "at_most")),
            (None, Some(value)) => Some((Bound::AtLeast, value, "at_least")),
            _ => {
                problems.add(
                    path!["target", i],
                    "give the bound as one of `at_most` or `at_least`".to_owned(),
                );
                None
            }
        };
        if let Some((_, value, field)) = bound {
            problems.check(
                value.is_finite(),
                path!["target", i, field],
                format!("must be a finite number, not {}", shown(value)),
            );
        }
        if let Some(period) = &section.period {
            check_period(period, path!["target", i, "period"], problems);
        }
        if let Some((bound, value, _)) = bound {
            targets.push(PlanTarget {
                target: Target { path, bound, value },
                period: section.period.clone(),
                label: section.label.clone(),
            });
        }
    }
    targets
}

/// Checks that `period` names a month, financial-year quarter, financial year or year to date.
fn check_period(period: &str, path: Vec<Segment>, problems: &mut Problems) {
    problems.check(
        trajectory::period_kind(period).is_some(),
        path,
        format!(
            "`{period}` is not a month (`2019-12`), financial-year quarter (`2019/20 Q3`), financial year \
             (`2019/20`) or year to date (`2019/20 to 2019-12`)"
        ),
    );
}

/// The figures the model is validated against. A statistic is checked as far as the network
/// tells without running it (a metric's name, a service's, an exit's or a staff group's id); the
/// rest of its path is checked by the run, which warns about a statistic it did not produce.
fn observations(
    sections: &[ObservedSection],
    network: &Network,
    metrics: &[String],
    problems: &mut Problems,
) -> Vec<Observation> {
    let mut observed = Vec::new();
    for (i, section) in sections.iter().enumerate() {
        let path = statistic_path(&section.metric);
        let mut parts = path.splitn(3, '.');
        let (section_name, element) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let known: Vec<&str> = match section_name {
            "metrics" => metrics.iter().map(String::as_str).collect(),
            "services" | "exits" => network
                .nodes
                .iter()
                .filter(|node| matches!(node.kind, NodeKind::Exit) == (section_name == "exits"))
                .map(|node| node.id.as_str())
                .collect(),
            "staffing" => network.staff.iter().map(|group| group.id.as_str()).collect(),
            _ => Vec::new(),
        };
        let name = if section_name == "metrics" {
            path.as_str()
        } else {
            element
        };
        if section_name != "costs" && !known.contains(&name) {
            {
                let near = crate::names::closest(name, known.iter().copied())
                    .map(|near| format!(" (did you mean `{}`?)", near.trim_start_matches("metrics.")))
                    .unwrap_or_default();
                let what = match section_name {
                    "metrics" => "a metric",
                    "services" => "a service",
                    "exits" => "an exit",
                    _ => "a staff group",
                };
                problems.add(
                    path!["observed", i, "metric"],
                    format!("`{}` is not {what} of this network{near}", section.metric),
                );
            }
        }
        problems.check(
            section.value.is_finite(),
            path!["observed", i, "value"],
            format!("must be a finite number, not {}", shown(section.value)),
        );
        problems.check(
            !section.source.trim().is_empty(),
            path!["observed", i, "source"],
            "say where the figure comes from",
        );
        if let Some(tolerance) = section.tolerance {
            problems.number(tolerance, 0.0, false, path!["observed", i, "tolerance"]);
        }
        let ci95 = section.ci95.map(|[low, high]| (low, high));
        if let Some((low, high)) = ci95 {
            problems.check(
                low.is_finite() && high.is_finite() && low <= high,
                path!["observed", i, "ci95"],
                format!(
                    "must be [low, high] with low at most high, not [{}, {}]",
                    shown(low),
                    shown(high)
                ),
            );
        }
        if let Some(period) = &section.period {
            check_period(period, path!["observed", i, "period"], problems);
            problems.check(
                section_name == "metrics",
                path!["observed", i, "period"],
                "only metrics have figures by period; leave the period out to compare the whole results period",
            );
        }
        observed.push(Observation {
            path,
            value: section.value,
            source: section.source.clone(),
            label: section.label.clone(),
            period: section.period.clone(),
            tolerance: section.tolerance,
            ci95,
        });
    }
    observed
}

/// Makes service `node` a zero-time pass-through to `to` with places of its own and no roles. It
/// keeps its id, so a patient passed through it has the key (and the draws after it) of a patient
/// the scheme sent on to `to`, and "scheme off" stays a paired comparison.
fn switch_off(network: &mut Network, node: NodeIndex, to: NodeIndex) {
    let cohorts = network.cohorts.len();
    for places in &mut network.places {
        places.members.retain(|&member| member != node);
    }
    network.places.push(Places {
        id: network.nodes[node as usize].id.clone(),
        capacity: None,
        schedule: None,
        members: vec![node],
    });
    let places = (network.places.len() - 1) as u32;
    let target = &mut network.nodes[node as usize];
    target.roles = Roles::default();
    target.dtoc_reason = None;
    target.enabled = false;
    target.kind = NodeKind::Service(Service {
        places,
        staffed_by: None,
        duration: Some(Distribution::Fixed(0.0)),
        cohort_duration: vec![None; cohorts],
        priority: None,
        queue_limit: None,
        reneging: None,
        on_full: None,
        routes: vec![
            RouteTable {
                choices: vec![RouteChoice {
                    cumulative: 1.0,
                    to,
                    duration: None,
                    handover: None,
                }],
            };
            cohorts
        ],
        route_on_arrival: false,
        leave_hours: None,
        admission_hours: None,
        workloads: vec![Vec::new(); cohorts],
    });
}

/// A table of `[costs]` keyed by node: its name, its entries, the kind of cost they are, and
/// whether the nodes are services (else exits).
type PerNodeCosts<'f> = (
    &'static str,
    &'f BTreeMap<String, CostEntry>,
    fn(NodeIndex) -> CostKind,
    bool,
);

/// The unit costs of `[costs]`, each resolved to the element it applies to.
fn costs(
    section: &CostsSection,
    lookup: &Lookup,
    staff: &[StaffGroup],
    services: usize,
    problems: &mut Problems,
) -> Vec<CostItem> {
    let mut items = Vec::new();
    let mut add = |problems: &mut Problems, kind: Option<CostKind>, entry: &CostEntry, at: Vec<Segment>| {
        problems.number_at_most(entry.value, 0.0, false, MAX_COST, with(&at, path!["value"]));
        if let Some(kind) = kind {
            items.push(CostItem {
                kind,
                value: entry.value,
                payer: match entry.payer {
                    PayerName::Nhs => Payer::Nhs,
                    PayerName::Council => Payer::Council,
                },
            });
        }
    };
    let node = |problems: &mut Problems, id: &str, at: &[Segment], service: bool| {
        let found = lookup.node(problems, id, at.to_vec())?;
        let is_service = (found as usize) < services;
        if is_service != service {
            let what = if service { "a service" } else { "an exit" };
            problems.add(at.to_vec(), format!("`{id}` is not {what}"));
            return None;
        }
        Some(found)
    };
    let per_node: [PerNodeCosts; 4] = [
        ("service_day", &section.service_day, CostKind::ServiceDay, true),
        (
            "service_episode",
            &section.service_episode,
            CostKind::ServiceEpisode,
            true,
        ),
        ("exit", &section.exit, CostKind::Exit, false),
        ("fixed_year", &section.fixed_year, CostKind::FixedYear, true),
    ];
    for (field, entries, kind, service) in per_node {
        for (id, entry) in entries {
            let at = path!["costs", field, id.as_str()];
            let kind = node(problems, id, &at, service).map(kind);
            add(problems, kind, entry, at);
        }
    }
    for (id, entry) in &section.staff_fte_year {
        let at = path!["costs", "staff_fte_year", id.as_str()];
        let group = lookup.staff(problems, id, at.clone());
        if let Some(g) = group {
            problems.check(
                staff[g].fte.is_some(),
                at.clone(),
                format!("staff group `{id}` has no `fte`, so nothing is employed to cost"),
            );
        }
        add(problems, group.map(|g| CostKind::StaffFteYear(g as u32)), entry, at);
    }
    if let Some(entry) = &section.delayed_bed_day {
        add(
            problems,
            Some(CostKind::DelayedBedDay),
            entry,
            path!["costs", "delayed_bed_day"],
        );
    }
    items
}

/// A node with the roles and delay reason its tags give.
fn node(id: &str, tags: &[String], kind: NodeKind) -> Node {
    Node {
        id: id.to_owned(),
        roles: Roles::from_tags(tags.iter().map(String::as_str)),
        dtoc_reason: tags.iter().find_map(|tag| dtoc_reason(tag)),
        reached_by: Vec::new(),
        enabled: true,
        kind,
    }
}

/// Rejects tags that are neither understood by the metrics nor declared in `[simulation] tags`, so
/// that a typo cannot make a metric silently disappear.
fn check_tags(file: &ScenarioFile, problems: &mut Problems) {
    let declared = &file.simulation.tags;
    let reason_tags: Vec<String> = DTOC_REASONS
        .iter()
        .map(|(code, _)| format!("dtoc_reason_{code}"))
        .collect();
    for (k, tag) in declared.iter().enumerate() {
        if is_known_tag(tag) {
            problems.add(
                path!["simulation", "tags", k],
                format!("`{tag}` is a tag the metrics understand already; declare only tags of your own"),
            );
        }
    }
    let tagged = file
        .service
        .iter()
        .enumerate()
        .map(|(i, s)| ("service", i, &s.tags))
        .chain(file.exit.iter().enumerate().map(|(i, e)| ("exit", i, &e.tags)));
    for (section, i, tags) in tagged {
        for (k, tag) in tags.iter().enumerate() {
            if is_known_tag(tag) || declared.contains(tag) {
                continue;
            }
            let known = KNOWN_TAGS
                .iter()
                .filter(|t| !t.contains('<'))
                .copied()
                .chain(reason_tags.iter().map(String::as_str))
                .chain(declared.iter().map(String::as_str));
            let suggestion = crate::names::closest(tag, known)
                .map(|near| format!(" (did you mean `{near}`?)"))
                .unwrap_or_default();
            problems.add(
                path![section, i, "tags", k],
                format!(
                    "`{tag}` is not a tag the metrics understand{suggestion}; if it is a tag of your own, declare \
                     it in `[simulation] tags`"
                ),
            );
        }
    }
}

fn run_settings(file: &ScenarioFile, problems: &mut Problems) -> Option<RunSettings> {
    let simulation = &file.simulation;
    problems.check(valid_id(&simulation.name), path!["simulation", "name"], ID_RULE);
    let horizon_ok = problems.number(simulation.horizon_days, 0.0, true, path!["simulation", "horizon_days"])
        && simulation.horizon_days <= MAX_HORIZON_DAYS;
    problems.check(
        !simulation.horizon_days.is_finite() || simulation.horizon_days <= MAX_HORIZON_DAYS,
        path!["simulation", "horizon_days"],
        format!(
            "must be at most {MAX_HORIZON_DAYS:e} days, not {}",
            shown(simulation.horizon_days)
        ),
    );
    if problems.number(simulation.warmup_days, 0.0, false, path!["simulation", "warmup_days"]) && horizon_ok {
        problems.check(
            simulation.warmup_days < simulation.horizon_days,
            path!["simulation", "warmup_days"],
            format!(
                "the warm-up ({} days) must end before the horizon ({} days)",
                simulation.warmup_days, simulation.horizon_days
            ),
        );
    }
    problems.check(
        (1..=MAX_PATIENTS_IN_SYSTEM).contains(&simulation.max_patients_in_system),
        path!["simulation", "max_patients_in_system"],
        format!("must be from 1 to {MAX_PATIENTS_IN_SYSTEM}"),
    );
    problems.check(
        (1..=MAX_REPLICATIONS).contains(&simulation.replications),
        path!["simulation", "replications"],
        format!("must be from 1 to {MAX_REPLICATIONS}"),
    );
    let start_date = Date::parse(&simulation.start_date);
    problems.check(
        start_date.is_some(),
        path!["simulation", "start_date"],
        format!(
            "`{}` is not a date written YYYY-MM-DD, in years 1 to 9999",
            simulation.start_date
        ),
    );
    Some(RunSettings {
        horizon_days: simulation.horizon_days,
        warmup_days: simulation.warmup_days,
        replications: simulation.replications,
        seed: simulation.seed,
        start_date: start_date?,
        max_in_system: simulation.max_patients_in_system as usize,
        series: Vec::new(),
    })
}

/// The most cohorts: a patient's cohort is kept in 16 bits.
pub const MAX_COHORTS: usize = u16::MAX as usize;

/// The age bands metrics understand; people in the last two are 65+.
pub const AGE_BANDS: [&str; 4] = ["0-17", "18-64", "65-79", "80+"];

/// The one cohort of a scenario without `[[cohort]]`s.
const DEFAULT_COHORT: &str = "all";

fn cohorts(file: &ScenarioFile, problems: &mut Problems) -> Vec<Cohort> {
    if file.cohort.is_empty() {
        return vec![Cohort {
            id: DEFAULT_COHORT.to_owned(),
            attributes: Vec::new(),
            flags: CohortFlags {
                adult: true,
                ..CohortFlags::default()
            },
        }];
    }
    if file.cohort.len() > MAX_COHORTS {
        problems.add(
            path!["cohort"],
            format!("there may be at most {MAX_COHORTS} cohorts, not {}", file.cohort.len()),
        );
    }
    let mut seen = HashSet::new();
    file.cohort
        .iter()
        .enumerate()
        .map(|(i, section)| {
            if !valid_id(&section.id) {
                problems.add(path!["cohort", i, "id"], ID_RULE);
            } else if !seen.insert(section.id.as_str()) {
                problems.add(
                    path!["cohort", i, "id"],
                    format!("the id `{}` is used by another cohort", section.id),
                );
            }
            let attributes: Vec<(String, String)> = section
                .attributes
                .iter()
                .filter_map(|(name, value)| {
                    let text = match value {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_) => value.to_string(),
                        _ => {
                            problems.add(
                                path!["cohort", i, "attributes", name.as_str()],
                                "must be a string, number or true/false",
                            );
                            return None;
                        }
                    };
                    Some((name.clone(), text))
                })
                .collect();
            let attribute = |name: &str| attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            let age_band = attribute("age_band");
            problems.check(
                age_band.is_none_or(|band| AGE_BANDS.contains(&band)),
                path!["cohort", i, "attributes", "age_band"],
                format!("must be one of {}", AGE_BANDS.join(", ")),
            );
            let acsc = attribute("acsc");
            problems.check(
                acsc.is_none_or(|v| v == "true" || v == "false"),
                path!["cohort", i, "attributes", "acsc"],
                "must be true or false",
            );
            let flags = CohortFlags {
                adult: age_band != Some("0-17"),
                aged_65_plus: matches!(age_band, Some("65-79" | "80+")),
                acsc: acsc == Some("true"),
            };
            Cohort {
                id: section.id.clone(),
                attributes,
                flags,
            }
        })
        .collect()
}

fn multipliers<const N: usize>(problems: &mut Problems, values: Option<&[f64]>, at: &[Segment]) -> [f64; N] {
    let mut out = [1.0; N];
    let Some(values) = values else {
        return out;
    };
    if values.len() != N {
        problems.add(at.to_vec(), format!("needs {N} multipliers, not {}", values.len()));
        return out;
    }
    for (i, value) in values.iter().enumerate() {
        problems.number_at_most(*value, 0.0, false, MAX_MULTIPLIER, with(at, path![i]));
        out[i] = *value;
    }
    out
}

fn probabilities_sum_to_one(problems: &mut Problems, ps: impl Iterator<Item = f64>, at: Vec<Segment>) {
    let sum: f64 = ps.sum();
    if (sum - 1.0).abs() > PROBABILITY_TOLERANCE {
        problems.add(at, format!("probabilities sum to {sum}, not 1"));
    }
}

fn service(
    section: &ServiceSection,
    at: &[Segment],
    places: u32,
    cohort_count: usize,
    lookup: &Lookup,
    problems: &mut Problems,
) -> Option<Service> {
    let cohort = |problems: &mut Problems, id: &str, at: Vec<Segment>| lookup.cohort(problems, id, at);
    let node = |problems: &mut Problems, id: &str, at: Vec<Segment>| lookup.node(problems, id, at);
    let unlimited = matches!(section.capacity, Some(Capacity::Unlimited));
    let duration = section
        .duration
        .as_ref()
        .map(|spec| distribution(problems, spec, &with(at, path!["duration"])));
    let mut cohort_duration = vec![None; cohort_count];
    for (id, spec) in &section.duration_by_cohort {
        let spec_at = with(at, path!["duration_by_cohort", id.as_str()]);
        let parsed = distribution(problems, spec, &spec_at);
        if let Some(c) = cohort(problems, id, spec_at) {
            cohort_duration[c] = parsed;
        }
    }
    let priority = match section.discipline {
        Discipline::Fifo => {
            problems.check(
                section.priority.is_empty(),
                with(at, path!["priority"]),
                "a priority order needs `discipline = \"priority\"`",
            );
            None
        }
        Discipline::Priority => {
            problems.check(
                !section.priority.is_empty(),
                with(at, path!["priority"]),
                "`discipline = \"priority\"` needs `priority`, the cohorts in the order they are served",
            );
            let mut ranks = vec![section.priority.len() as u32; cohort_count];
            for (rank, id) in section.priority.iter().enumerate() {
                if let Some(c) = cohort(problems, id, with(at, path!["priority", rank])) {
                    ranks[c] = ranks[c].min(rank as u32);
                }
            }
            Some(ranks)
        }
    };
    let reneging = match (section.max_wait, &section.on_timeout) {
        (Some(max_wait), Some(to)) => {
            let ok = problems.number(max_wait, 0.0, true, with(at, path!["max_wait"]));
            let to = node(problems, to, with(at, path!["on_timeout"]));
            to.filter(|_| ok).map(|to| Reneging { max_wait, to })
        }
        (Some(_), None) => {
            problems.add(
                with(at, path!["max_wait"]),
                "needs `on_timeout`, the node patients go to when they stop waiting",
            );
            None
        }
        (None, Some(_)) => {
            problems.add(
                with(at, path!["on_timeout"]),
                "needs `max_wait`, how long patients wait before going there",
            );
            None
        }
        (None, None) => None,
    };
    let on_full = section
        .on_full
        .as_ref()
        .and_then(|to| node(problems, to, with(at, path!["on_full"])));
    if unlimited && (section.queue_limit.is_some() || section.on_full.is_some()) {
        problems.add(
            at.to_vec(),
            "an unlimited service always has room, so `queue_limit` and `on_full` do not apply",
        );
    }

    problems.check(
        !section.routes.is_empty(),
        with(at, path!["routes"]),
        "needs at least one route out",
    );
    let mut parsed_routes = Vec::new();
    for (j, route) in section.routes.iter().enumerate() {
        let route_at = with(at, path!["routes", j]);
        problems.number(route.p, 0.0, false, with(&route_at, path!["p"]));
        let to = node(problems, &route.to, with(&route_at, path!["to"]));
        let optional = |problems: &mut Problems, spec: &Option<DistributionSpec>, field: &str| {
            spec.as_ref()
                .and_then(|spec| distribution(problems, spec, &with(&route_at, path![field])))
        };
        let duration = optional(problems, &route.duration, "duration");
        let handover = optional(problems, &route.handover, "handover");
        let open_to: Option<Vec<usize>> = route.cohort.as_ref().map(|ids| {
            ids.as_slice()
                .iter()
                .enumerate()
                .filter_map(|(k, id)| cohort(problems, id, with(&route_at, path!["cohort", k])))
                .collect()
        });
        parsed_routes.push((to, route.p, duration, handover, open_to));
    }
    let routes = (0..cohort_count)
        .map(|c| {
            let mut running = 0.0;
            let choices = parsed_routes
                .iter()
                .filter(|(.., open_to)| open_to.as_ref().is_none_or(|cohorts| cohorts.contains(&c)))
                .filter_map(|(to, p, duration, handover, _)| {
                    running += p;
                    Some(RouteChoice {
                        cumulative: running,
                        to: (*to)?,
                        duration: duration.clone(),
                        handover: handover.clone(),
                    })
                })
                .collect();
            RouteTable { choices }
        })
        .collect();
    let route_on_arrival = parsed_routes.iter().any(|(_, _, duration, ..)| duration.is_some());
    let leave_hours = open_hours(&section.leave_hours, &with(at, path!["leave_hours"]), problems);
    let admission_hours = open_hours(&section.admission_hours, &with(at, path!["admission_hours"]), problems);
    let default_workloads = section
        .workload
        .as_ref()
        .map(|w| workloads(w.as_slice(), &with(at, path!["workload"]), lookup, problems))
        .unwrap_or_default();
    let mut cohort_workloads = vec![default_workloads; cohort_count];
    for (id, list) in &section.workload_by_cohort {
        let list_at = with(at, path!["workload_by_cohort", id.as_str()]);
        let parsed = workloads(list.as_slice(), &list_at, lookup, problems);
        if let Some(c) = cohort(problems, id, list_at) {
            cohort_workloads[c] = parsed;
        }
    }
    let duration = match duration {
        Some(None) => return None,
        duration => duration.flatten(),
    };
    Some(Service {
        places,
        staffed_by: None,
        duration,
        cohort_duration,
        priority,
        queue_limit: section.queue_limit,
        reneging,
        on_full,
        routes,
        route_on_arrival,
        leave_hours,
        admission_hours,
        workloads: cohort_workloads,
    })
}

/// The hours of the week `windows` open (`None` when there are no windows: always open).
fn open_hours(windows: &[WeekWindow], at: &[Segment], problems: &mut Problems) -> Option<Box<[bool; HOURS_PER_WEEK]>> {
    if windows.is_empty() {
        return None;
    }
    let mut open = Box::new([false; HOURS_PER_WEEK]);
    for (k, window) in windows.iter().enumerate() {
        for hour in week_hours(window, &with(at, path![k]), problems) {
            open[hour] = true;
        }
    }
    problems.check(
        open.iter().any(|&o| o),
        at.to_vec(),
        "no hour of the week is open, so nobody could ever pass",
    );
    Some(open)
}

/// Checks and converts a list of workloads.
fn workloads(sections: &[WorkloadSection], at: &[Segment], lookup: &Lookup, problems: &mut Problems) -> Vec<Workload> {
    let many = sections.len() > 1;
    sections
        .iter()
        .enumerate()
        .filter_map(|(k, w)| {
            let at = if many { with(at, path![k]) } else { at.to_vec() };
            let staff_index = lookup.staff(problems, &w.staff, with(&at, path!["staff"]));
            let visits = w.visits_per_day.as_slice();
            problems.check(
                !visits.is_empty(),
                with(&at, path!["visits_per_day"]),
                "needs at least one number of visits a day",
            );
            let visits_valid = visits.iter().enumerate().all(|(day, &value)| {
                let day_at = if visits.len() > 1 {
                    with(&at, path!["visits_per_day", day])
                } else {
                    with(&at, path!["visits_per_day"])
                };
                problems.number_at_most(value, 0.0, false, MAX_VISITS_PER_DAY, day_at)
            });
            let minutes_valid = [
                ("minutes_per_visit", w.minutes_per_visit),
                ("travel_minutes", w.travel_minutes),
            ]
            .iter()
            .all(|(field, value)| {
                problems.number_at_most(*value, 0.0, false, MINUTES_PER_DAY, with(&at, path![*field]))
            });
            let workload = Workload {
                staff: staff_index? as u32,
                visits_per_day: visits.to_vec(),
                minutes_per_visit: w.minutes_per_visit,
                travel_minutes: w.travel_minutes,
            };
            (visits_valid && minutes_valid && !visits.is_empty()).then_some(workload)
        })
        .collect()
}

fn staff_groups(file: &ScenarioFile, problems: &mut Problems) -> Vec<StaffGroup> {
    file.staff
        .iter()
        .enumerate()
        .map(|(i, section)| {
            let at = path!["staff", i];
            problems.number_at_most(
                section.productive_minutes_per_shift,
                0.0,
                true,
                MINUTES_PER_DAY,
                with(&at, path!["productive_minutes_per_shift"]),
            );
            problems.number_at_most(
                section.shifts_per_fte_per_week,
                0.0,
                true,
                MAX_SHIFTS_PER_WEEK,
                with(&at, path!["shifts_per_fte_per_week"]),
            );
            problems.number_at_most(
                section.days_covered_per_week,
                0.0,
                true,
                7.0,
                with(&at, path!["days_covered_per_week"]),
            );
            problems.number_at_most(
                section.uplift_pct,
                0.0,
                false,
                MAX_UPLIFT_PCT,
                with(&at, path!["uplift_pct"]),
            );
            problems.number_at_most(
                section.coverage_percentile,
                0.0,
                false,
                100.0,
                with(&at, path!["coverage_percentile"]),
            );
            if let Some(fte) = section.fte {
                problems.number_at_most(fte, 0.0, false, MAX_FTE, with(&at, path!["fte"]));
            }
            StaffGroup {
                id: section.id.clone(),
                productive_minutes_per_shift: section.productive_minutes_per_shift,
                days_covered_per_week: section.days_covered_per_week,
                shifts_per_fte_per_week: section.shifts_per_fte_per_week,
                uplift: section.uplift_pct / 100.0,
                coverage_percentile: section.coverage_percentile,
                fte: section.fte,
            }
        })
        .collect()
}

/// The units a capacity gives (see [`Places`]). A capacity from staff is the staff minutes a day
/// the group's FTE deliver on shift; each member service's patients then use the minutes their
/// workload needs, so more FTE lets more people in, and lighter steps take less.
#[allow(clippy::too_many_arguments)]
fn places_of(
    capacity: &Capacity,
    set: &Places,
    nodes: &mut [Node],
    cohorts: &[Cohort],
    staff: &[StaffGroup],
    lookup: &Lookup,
    at: &[Segment],
    problems: &mut Problems,
) -> Option<u64> {
    let id = match capacity {
        Capacity::Places(places) => return Some(u64::from(*places)),
        Capacity::Unlimited => return None,
        Capacity::Staff(id) => id,
    };
    let group_index = lookup.staff(problems, id, with(at, path!["staff"]))?;
    let group = &staff[group_index];
    let Some(fte) = group.fte else {
        problems.add(
            at.to_vec(),
            format!("staff group `{id}` needs `fte` for a capacity to derive from it"),
        );
        return Some(0);
    };
    for &member in &set.members {
        let Some(Node {
            id: member_id,
            kind: NodeKind::Service(service),
            ..
        }) = nodes.get_mut(member as usize)
        else {
            continue;
        };
        let without_work = cohorts.iter().enumerate().find(|(c, _)| {
            let minutes: f64 = service.workloads[*c]
                .iter()
                .filter(|w| w.staff as usize == group_index)
                .map(|w| w.minutes_on(0))
                .sum();
            minutes <= 0.0
        });
        if let Some((_, cohort)) = without_work {
            let whose = if cohorts.len() > 1 {
                format!(" for every cohort (`{}` has none)", cohort.id)
            } else {
                String::new()
            };
            problems.add(
                at.to_vec(),
                format!(
                    "`{member_id}` draws on capacity from staff group `{id}`, so it needs a `workload` for that group with visits and minutes above 0 on the first day{whose}"
                ),
            );
        }
        service.staffed_by = Some(group_index as u32);
    }
    let minutes = group.on_shift_from(fte) * group.productive_minutes_per_shift;
    Some((minutes * UNITS_PER_STAFF_MINUTE).floor() as u64)
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The days a window names: `all`, a day (`mon`), a range (`mon-fri`), or a list of those.
fn week_days(days: &OneOrMany, at: &[Segment], problems: &mut Problems) -> Vec<usize> {
    let day = |name: &str| DAY_NAMES.iter().position(|d| *d == name);
    let mut out = Vec::new();
    problems.check(
        !days.as_slice().is_empty(),
        with(at, path!["days"]),
        "names no day: give mon … sun, a range such as mon-fri, or all",
    );
    for item in days.as_slice() {
        let item = item.trim().to_ascii_lowercase();
        let found = match item.split_once('-') {
            _ if item == "all" => Some((0, 6)),
            Some((first, last)) => day(first).zip(day(last)),
            None => day(&item).map(|d| (d, d)),
        };
        match found {
            Some((first, last)) if first <= last => out.extend(first..=last),
            Some((first, last)) => out.extend((first..7).chain(0..=last)),
            None => problems.add(
                with(at, path!["days"]),
                format!("`{item}` is not a day: use mon … sun, a range such as mon-fri, or all"),
            ),
        }
    }
    out
}

/// The hours of the week (Monday 0:00 = 0) a window covers.
fn week_hours(window: &WeekWindow, at: &[Segment], problems: &mut Problems) -> Vec<usize> {
    hours_of(&window.days, window.from, window.to, at, problems)
}

fn hours_of(days: &OneOrMany, from: u32, to: u32, at: &[Segment], problems: &mut Problems) -> Vec<usize> {
    if from >= 24 || to > 24 || from >= to {
        problems.add(
            at.to_vec(),
            format!("hours must satisfy 0 ≤ from < to ≤ 24, not from = {from}, to = {to}"),
        );
        return Vec::new();
    }
    week_days(days, at, problems)
        .into_iter()
        .flat_map(|day| (from..to).map(move |hour| day * 24 + hour as usize))
        .collect()
}

/// Capacity by hour of the week: `base` outside the windows, each window's capacity inside.
fn weekly_schedule(
    windows: &[ScheduleWindow],
    base: Option<u64>,
    at: &[Segment],
    problems: &mut Problems,
) -> Option<Box<[u64; HOURS_PER_WEEK]>> {
    if windows.is_empty() {
        return None;
    }
    let Some(base) = base else {
        problems.add(
            at.to_vec(),
            "a schedule needs a whole-number `capacity` for the hours outside its windows",
        );
        return None;
    };
    let mut schedule = Box::new([base; HOURS_PER_WEEK]);
    for (k, window) in windows.iter().enumerate() {
        for hour in hours_of(&window.days, window.from, window.to, &with(at, path![k]), problems) {
            schedule[hour] = u64::from(window.capacity);
        }
    }
    Some(schedule)
}

fn distribution(problems: &mut Problems, spec: &DistributionSpec, at: &[Segment]) -> Option<Distribution> {
    let before = problems.0.len();
    let unusable = |problems: &mut Problems| {
        problems.add(
            at.to_vec(),
            "these parameters are too extreme to sample in double precision; give them in days, nearer each other",
        );
        Distribution::Fixed(0.0)
    };
    let positive =
        |problems: &mut Problems, value: f64, field: &str| problems.number(value, 0.0, true, with(at, path![field]));
    let built = match spec {
        DistributionSpec::Fixed { value } => {
            problems.number(*value, 0.0, false, with(at, path!["value"]));
            Distribution::Fixed(*value)
        }
        DistributionSpec::Exponential { mean } => {
            positive(problems, *mean, "mean");
            Distribution::Exponential { mean: *mean }
        }
        DistributionSpec::Uniform { min, max } => {
            if problems.number(*min, 0.0, false, with(at, path!["min"]))
                && problems.number(*max, 0.0, false, with(at, path!["max"]))
            {
                problems.check(
                    min <= max,
                    with(at, path!["max"]),
                    format!("must be at least min ({min}), not {max}"),
                );
            }
            Distribution::Uniform { min: *min, max: *max }
        }
        DistributionSpec::Triangular { min, mode, max } => {
            let finite = [("min", min), ("mode", mode), ("max", max)]
                .iter()
                .all(|(field, value)| problems.number(**value, 0.0, false, with(at, path![*field])));
            if finite {
                problems.check(
                    min <= mode && mode <= max && min < max,
                    at.to_vec(),
                    format!("needs min ≤ mode ≤ max with min < max, not {min}, {mode}, {max}"),
                );
            }
            Distribution::Triangular {
                min: *min,
                mode: *mode,
                max: *max,
            }
        }
        DistributionSpec::Lognormal { mean, sd, median, p95 } => match (mean, sd, median, p95) {
            (Some(mean), Some(sd), None, None) => {
                positive(problems, *mean, "mean");
                problems.number(*sd, 0.0, false, with(at, path!["sd"]));
                Distribution::lognormal_from_mean_sd(*mean, *sd)
            }
            (None, None, Some(median), Some(p95)) => {
                if positive(problems, *median, "median") && problems.number(*p95, 0.0, true, with(at, path!["p95"])) {
                    problems.check(
                        p95 > median,
                        with(at, path!["p95"]),
                        format!("must be above the median ({median}), not {p95}"),
                    );
                }
                Distribution::lognormal_from_median_p95(*median, *p95)
            }
            _ => {
                problems.add(
                    at.to_vec(),
                    "a lognormal needs either `mean` and `sd`, or `median` and `p95`",
                );
                return None;
            }
        },
        DistributionSpec::Gamma { mean, sd } => {
            if !(positive(problems, *mean, "mean") & positive(problems, *sd, "sd")) {
                return None;
            }
            Distribution::gamma_from_mean_sd(*mean, *sd).unwrap_or_else(|| unusable(problems))
        }
        DistributionSpec::Weibull { shape, scale } => {
            positive(problems, *shape, "shape");
            positive(problems, *scale, "scale");
            Distribution::weibull(*shape, *scale)
        }
        DistributionSpec::Erlang { k, mean } => {
            problems.check(*k >= 1, with(at, path!["k"]), "must be at least 1");
            if !(positive(problems, *mean, "mean") && *k >= 1) {
                return None;
            }
            Distribution::erlang(*k, *mean).unwrap_or_else(|| unusable(problems))
        }
        DistributionSpec::Empirical { values, weights } => {
            problems.check(
                !values.is_empty(),
                with(at, path!["values"]),
                "needs at least one value",
            );
            for (i, value) in values.iter().enumerate() {
                problems.number(*value, 0.0, false, with(at, path!["values", i]));
            }
            let weights = weights.clone().unwrap_or_else(|| vec![1.0; values.len()]);
            if weights.len() != values.len() {
                problems.add(
                    with(at, path!["weights"]),
                    format!("has {} weights for {} values", weights.len(), values.len()),
                );
                return None;
            }
            let all_valid = weights
                .iter()
                .enumerate()
                .all(|(i, w)| problems.number(*w, 0.0, false, with(at, path!["weights", i])));
            if all_valid && !values.is_empty() && weights.iter().sum::<f64>() <= 0.0 {
                problems.add(with(at, path!["weights"]), "the weights sum to 0");
            }
            if problems.0.len() > before {
                return None;
            }
            Distribution::empirical(values.clone(), &weights)
        }
    };
    if problems.0.len() == before && !built.is_usable() {
        unusable(problems);
    }
    (problems.0.len() == before).then_some(built)
}

/// Checks the flow of each cohort through the built network: probabilities of the routes a cohort
/// can take sum to one, every service someone can reach has a way to an exit and a duration for
/// them, leave hours meet the next service's admission hours, no service is unreachable, and
/// chains of `on_full` end. A disabled service is checked as if it ran, with its bypass as one
/// more way out, so switching it off never makes a valid file invalid. Records, per node, the
/// cohorts that can reach it.
fn check_flow(network: &mut Network, file: &ScenarioFile, bypass: &[Option<NodeIndex>], problems: &mut Problems) {
    let services = file.service.len();
    let service_at = |node: NodeIndex| path!["service", node as usize];
    let nodes = &network.nodes;
    let service_of = |node: NodeIndex| nodes[node as usize].service();

    let chains: [(&str, Vec<Option<NodeIndex>>, &str); 3] = [
        (
            "on_full",
            (0..services).map(|i| service_of(i as NodeIndex).and_then(|s| s.on_full)).collect(),
            "the chain of `on_full` comes back to a service already in it, so a patient finding them all full would never settle",
        ),
        (
            "on_timeout",
            (0..services)
                .map(|i| service_of(i as NodeIndex).and_then(|s| s.reneging.as_ref().map(|r| r.to)))
                .collect(),
            "the chain of `on_timeout` comes back to a service already in it, so a patient who waits too long at each would go round it for ever",
        ),
        (
            "bypass",
            bypass.to_vec(),
            "the chain of `bypass` of switched-off services comes back to a service already in it, so patients would pass round it for ever",
        ),
    ];
    for (field, next, message) in &chains {
        for node in nodes_on_a_loop(next) {
            problems.add(with(&service_at(node), path![*field]), *message);
        }
    }

    let mut reached_by: Vec<Vec<u16>> = vec![Vec::new(); nodes.len()];
    let mut missing_duration = vec![false; services];
    let mut hours_checked = HashSet::new();
    for (c, cohort) in network.cohorts.iter().enumerate() {
        let edges = |node: NodeIndex| -> Vec<NodeIndex> {
            service_of(node).map_or_else(Vec::new, |service| {
                let routes = service.routes[c].choices.iter().map(|choice| choice.to);
                routes
                    .chain(service.on_full)
                    .chain(service.reneging.as_ref().map(|r| r.to))
                    .chain(bypass.get(node as usize).copied().flatten())
                    .collect()
            })
        };
        let mut reached = vec![false; nodes.len()];
        let mut queue: VecDeque<NodeIndex> = network
            .sources
            .iter()
            .filter(|source| {
                let previous = if c == 0 { 0.0 } else { source.cohort_mix[c - 1] };
                source.cohort_mix[c] > previous
            })
            .map(|source| source.to)
            .collect();
        while let Some(node) = queue.pop_front() {
            if std::mem::replace(&mut reached[node as usize], true) {
                continue;
            }
            queue.extend(edges(node));
        }
        for (node, reached) in reached.iter().enumerate() {
            if *reached {
                reached_by[node].push(c as u16);
            }
        }
        // Ways out are routes taken with a probability above the floor: a patient never sent
        // on (`on_full`, `on_timeout`) or almost never (`p` = 1e-10) would go round for ever.
        let ways_out = |node: NodeIndex| -> Vec<NodeIndex> {
            service_of(node).map_or_else(Vec::new, |service| {
                let cumulative = service.routes[c].choices.iter().map(|choice| choice.cumulative);
                let shares = cumulative.scan(0.0, |previous, c| {
                    let share = c - *previous;
                    *previous = c;
                    Some(share)
                });
                service.routes[c]
                    .choices
                    .iter()
                    .zip(shares)
                    .filter(|(_, share)| *share >= PROBABILITY_FLOOR)
                    .map(|(choice, _)| choice.to)
                    .chain(bypass.get(node as usize).copied().flatten())
                    .collect()
            })
        };
        let mut into: Vec<Vec<NodeIndex>> = vec![Vec::new(); nodes.len()];
        for node in 0..services {
            for next in ways_out(node as NodeIndex) {
                into[next as usize].push(node as NodeIndex);
            }
        }
        let mut reaches_exit: Vec<bool> = nodes.iter().map(|n| matches!(n.kind, NodeKind::Exit)).collect();
        let mut frontier: Vec<NodeIndex> = (0..nodes.len() as NodeIndex)
            .filter(|&n| reaches_exit[n as usize])
            .collect();
        while let Some(node) = frontier.pop() {
            for &before in &into[node as usize] {
                if !std::mem::replace(&mut reaches_exit[before as usize], true) {
                    frontier.push(before);
                }
            }
        }
        let whose = |what: &str| {
            if network.cohorts.len() > 1 {
                format!(" {what} `{}`", cohort.id)
            } else {
                String::new()
            }
        };
        for node in 0..services {
            if !reached[node] {
                continue;
            }
            let service = service_of(node as NodeIndex).expect("the first nodes are services");
            let route_sum: f64 = file.service[node]
                .routes
                .iter()
                .filter(|route| {
                    route
                        .cohort
                        .as_ref()
                        .is_none_or(|ids| ids.as_slice().contains(&cohort.id))
                })
                .map(|route| route.p)
                .sum();
            if (route_sum - 1.0).abs() > PROBABILITY_TOLERANCE {
                problems.add(
                    with(&service_at(node as NodeIndex), path!["routes"]),
                    format!(
                        "probabilities of the routes{} sum to {route_sum}, not 1",
                        whose("for cohort")
                    ),
                );
            } else if !reaches_exit[node] {
                let round = cycle_without_exit(node as NodeIndex, &reaches_exit, &ways_out)
                    .iter()
                    .map(|&n| format!("`{}`", nodes[n as usize].id))
                    .collect::<Vec<_>>()
                    .join(" → ");
                problems.add(
                    service_at(node as NodeIndex),
                    format!(
                        "patients{} reaching `{}` can never leave: its routes lead round {round} with no way out \
                         (routes taken with probability below {PROBABILITY_FLOOR:e}, `on_full` and `on_timeout` are \
                         not ways out)",
                        whose("of cohort"),
                        nodes[node].id
                    ),
                );
            }
            let without_duration = service.duration.is_none()
                && service.cohort_duration[c].is_none()
                && service.routes[c].choices.iter().any(|choice| choice.duration.is_none());
            if without_duration && !std::mem::replace(&mut missing_duration[node], true) {
                problems.add(
                    service_at(node as NodeIndex),
                    format!(
                        "needs `duration`: patients{} reach it, and neither `duration_by_cohort` nor all their routes give them one",
                        whose("of cohort")
                    ),
                );
            }
            for choice in &service.routes[c].choices {
                let Some(admission) = service_of(choice.to).and_then(|next| next.admission_hours.as_deref()) else {
                    continue;
                };
                if !hours_checked.insert((node, choice.to)) {
                    continue;
                }
                let meet = (0..HOURS_PER_WEEK)
                    .any(|hour| admission[hour] && service.leave_hours.as_deref().is_none_or(|leave| leave[hour]));
                problems.check(
                    meet,
                    with(&service_at(node as NodeIndex), path!["leave_hours"]),
                    format!(
                        "no hour of the week is both in these leave hours and in the admission hours of `{}`, so patients could never move there",
                        nodes[choice.to as usize].id
                    ),
                );
            }
        }
    }
    for (node, cohorts) in reached_by.iter().enumerate().take(services) {
        if cohorts.is_empty() {
            problems.add(
                service_at(node as NodeIndex),
                format!(
                    "no patient can reach `{}`: no source, route, on_full or on_timeout leads to it",
                    nodes[node].id
                ),
            );
        }
    }
    for (node, cohorts) in network.nodes.iter_mut().zip(reached_by) {
        node.reached_by = cohorts;
    }
}

/// The services from which following `next` (each has at most one) comes back round, each once,
/// in node order; in time linear in their number.
fn nodes_on_a_loop(next: &[Option<NodeIndex>]) -> Vec<NodeIndex> {
    // 0 unvisited, 1 on the current path, 2 done.
    let mut state = vec![0u8; next.len()];
    let mut on_loop = vec![false; next.len()];
    for start in 0..next.len() {
        let mut path = Vec::new();
        let mut node = Some(start);
        while let Some(at) = node.filter(|&at| state[at] == 0) {
            state[at] = 1;
            path.push(at);
            node = next[at].map(|to| to as usize).filter(|&to| to < next.len());
        }
        // Stopped at a service on the current path: the path from it round is a loop.
        if let Some(first) = node.and_then(|at| path.iter().position(|&n| n == at)) {
            for &n in &path[first..] {
                on_loop[n] = true;
            }
        }
        for n in path {
            state[n] = 2;
        }
    }
    (0..next.len())
        .filter(|&n| on_loop[n])
        .map(|n| n as NodeIndex)
        .collect()
}

/// A cycle among services that cannot reach an exit, found from `start` by following ways out:
/// the services on it, `start`'s own first, ending where it began.
fn cycle_without_exit(
    start: NodeIndex,
    reaches_exit: &[bool],
    ways_out: &dyn Fn(NodeIndex) -> Vec<NodeIndex>,
) -> Vec<NodeIndex> {
    let mut path = vec![start];
    let mut seen = HashMap::from([(start, 0usize)]);
    let mut node = start;
    loop {
        let Some(next) = ways_out(node).into_iter().find(|&n| !reaches_exit[n as usize]) else {
            return path;
        };
        if let Some(&at) = seen.get(&next) {
            let mut cycle = path[at..].to_vec();
            cycle.push(next);
            return cycle;
        }
        seen.insert(next, path.len());
        path.push(next);
        node = next;
    }
}
