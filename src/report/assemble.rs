//! Builds a run's [`ReportView`] from the model and what the run summarised: the one place that
//! turns model types and summaries into the report's plain data.

use super::headline::{mark, results_period, results_year, rows};
use super::labels::{label, phrase, words};
use super::series::MEASURES;
use super::stream::TrajectorySummaries;
use super::validation::Validated;
use super::view::{
    CauseMonths, CostRow, DailyBand, DelaysByCause, Fan, FanTarget, HeadlineRow, Lever, Methods, MetricDistribution,
    NodeRole, Pathway, PathwayNode, ReportView, Route, RunInfo, Section, StaffingDays, TargetRow, ValidationRow,
    VIEW_VERSION,
};
use super::Summaries;
use crate::calendar::Clock;
use crate::experiment::TargetOutcome;
use crate::metrics::trajectory::{observed_periods, unit, PeriodKind};
use crate::metrics::{Band, Summary};
use crate::model::load::{mean_stay, shares};
use crate::model::{ArrivalProcess, LeverValue, Model, NodeKind, Payer, PlanTarget};

/// Statistics and their value in each replication (`None` where undefined).
pub type MetricValues = Vec<(String, Vec<Option<f64>>)>;

/// What a run produced, for its report.
pub struct RunResults<'a> {
    /// The model run.
    pub model: &'a Model,
    /// The scenario file as the user named it.
    pub scenario_file: &'a str,
    /// Replications completed.
    pub completed: u32,
    /// Whether the run was stopped early.
    pub interrupted: bool,
    /// Every statistic summarised.
    pub summaries: &'a Summaries,
    /// Each BCF metric of the headline and its value in each replication.
    pub metric_values: &'a MetricValues,
    /// The trajectory's figures summarised.
    pub trajectory: &'a TrajectorySummaries,
    /// The series services' numbers by day.
    pub series: &'a [Band],
    /// Staff needed on shift by day.
    pub staff_on_shift: &'a [Band],
    /// The targets evaluated.
    pub outcomes: &'a [(&'a PlanTarget, TargetOutcome)],
    /// The observed figures checked.
    pub validated: &'a [Validated<'a>],
}

/// The paths of the BCF metrics whose distributions the report draws, from the headline.
pub fn distribution_paths(headline: &[HeadlineRow]) -> Vec<String> {
    headline
        .iter()
        .filter(|row| row.section == Section::Metric && row.mean.is_some())
        .map(|row| row.path.clone())
        .collect()
}

/// The report of a run. `scenario` holds what the scenario's comments say (objectives, sources,
/// assumptions); the rest of the methods is filled here.
pub fn run_view(results: &RunResults<'_>, scenario: Methods) -> ReportView {
    let model = results.model;
    let headline = rows(model, results.summaries, results.outcomes);
    let mean_of = |path: &str| {
        results
            .summaries
            .iter()
            .find(|(p, _)| p == path)
            .and_then(|(_, s)| s.map(|s| s.mean))
    };
    ReportView {
        version: VIEW_VERSION,
        run: run_info(results),
        distributions: distributions(results, &headline),
        fans: fans(results, &headline),
        occupancy: occupancy(results),
        staffing: staffing(results, &mean_of),
        delays: delays(results),
        costs: results
            .summaries
            .iter()
            .filter(|(path, _)| path.starts_with("costs.by_item."))
            .map(|(path, summary)| CostRow {
                path: path.clone(),
                label: label(path).0,
                payer: model
                    .network
                    .costs
                    .iter()
                    .find(|item| path.strip_prefix("costs.by_item.") == Some(&item.kind.key(&model.network)))
                    .map(|item| match item.payer {
                        Payer::Nhs => "NHS".to_owned(),
                        Payer::Council => "Council".to_owned(),
                    }),
                mean: summary.map(|s| s.mean),
                ci95: summary.and_then(|s| s.ci95).map(|(low, high)| [low, high]),
            })
            .collect(),
        pathway: pathway(model, &mean_of),
        targets: results
            .outcomes
            .iter()
            .map(|(target, outcome)| TargetRow {
                path: target.target.path.clone(),
                label: label(&target.target.path).0,
                unit: match &target.period {
                    Some(_) => unit(&target.target.path).to_owned(),
                    None => label(&target.target.path).1,
                },
                mark: mark(target, Some(outcome)),
                mean: outcome.mean,
            })
            .collect(),
        validation: validation(results.validated),
        methods: methods(results, scenario),
        headline,
        ..ReportView::default()
    }
}

/// The report of an experiment over many runs of `model` (a sweep, a sensitivity analysis): what
/// was run, the network and the methods; the command fills in its own section.
pub fn experiment_view(model: &Model, scenario_file: &str, scenario: Methods) -> ReportView {
    let results = RunResults {
        model,
        scenario_file,
        completed: model.run.replications,
        interrupted: false,
        summaries: &Vec::new(),
        metric_values: &Vec::new(),
        trajectory: &Vec::new(),
        series: &[],
        staff_on_shift: &[],
        outcomes: &[],
        validated: &[],
    };
    ReportView {
        version: VIEW_VERSION,
        run: run_info(&results),
        pathway: pathway(model, &|_| None),
        methods: methods(&results, scenario),
        ..ReportView::default()
    }
}

fn run_info(results: &RunResults<'_>) -> RunInfo {
    let model = results.model;
    let (from, to) = results_period(model);
    RunInfo {
        scenario: model.name.clone(),
        scenario_file: results.scenario_file.to_owned(),
        scenario_sha256: model.provenance.scenario_sha256.clone(),
        bcfsim_version: env!("CARGO_PKG_VERSION").to_owned(),
        seed: model.run.seed,
        replications: results.completed,
        warmup_days: model.run.warmup_days,
        horizon_days: model.run.horizon_days,
        start_date: model.run.start_date.to_string(),
        results_from: from.to_string(),
        results_to: to.to_string(),
        overrides: model.provenance.overrides.clone(),
        levers: model
            .provenance
            .levers
            .iter()
            .map(|lever| Lever {
                name: lever.name.clone(),
                label: lever.label.clone().unwrap_or_else(|| words(&lever.name)),
                unit: lever.unit.clone(),
                value: match lever.value {
                    LeverValue::Number(number) => number.to_string(),
                    LeverValue::Switch(true) => "on".to_owned(),
                    LeverValue::Switch(false) => "off".to_owned(),
                },
            })
            .collect(),
        interrupted: results.interrupted,
    }
}

fn distributions(results: &RunResults<'_>, headline: &[HeadlineRow]) -> Vec<MetricDistribution> {
    results
        .metric_values
        .iter()
        .filter_map(|(path, values)| {
            let row = headline.iter().find(|row| row.path == *path)?;
            Some(MetricDistribution {
                path: path.clone(),
                label: row.label.clone(),
                unit: row.unit.clone(),
                values: values.iter().flatten().copied().collect(),
                mean: row.mean?,
                ci95: row.ci95,
                target: row.target.clone(),
            })
        })
        .collect()
}

/// Whether a figure of `metric` for a month can be held to a target for a longer period as it is:
/// a share or a daily rate can; a count (or a rate per 100,000 over the period) is held to its share.
fn comparable_by_month(metric: &str) -> bool {
    matches!(unit(metric), "%" | "per 100,000 a day")
}

fn fans(results: &RunResults<'_>, headline: &[HeadlineRow]) -> Vec<Fan> {
    let model = results.model;
    let periods = observed_periods(&model.run);
    let month_label = |date: &crate::calendar::Date| format!("{:04}-{:02}", date.year, date.month);
    let all_months: Vec<String> = periods
        .iter()
        .filter(|(p, _)| p.kind == PeriodKind::Month)
        .map(|(p, _)| p.label.clone())
        .collect();
    headline
        .iter()
        .filter(|row| row.section == Section::Metric)
        .filter_map(|row| {
            let monthly: Vec<(&String, &Summary)> = results
                .trajectory
                .iter()
                .filter(|(period, metric, _)| period.kind == PeriodKind::Month && *metric == row.path)
                .filter_map(|(period, _, summary)| summary.as_ref().map(|s| (&period.label, s)))
                .collect();
            if monthly.is_empty() {
                return None;
            }
            let targets = model
                .targets
                .iter()
                .filter(|t| t.target.path == row.path)
                .filter_map(|target| {
                    let months: Vec<String> = match &target.period {
                        Some(period) => {
                            let (_, months) = periods.iter().find(|(p, _)| p.label == *period)?;
                            months.iter().map(month_label).collect()
                        }
                        None => all_months.clone(),
                    };
                    let outcome = results
                        .outcomes
                        .iter()
                        .find(|(t, _)| std::ptr::eq(*t, target))
                        .map(|(_, o)| o);
                    let mut mark = mark(target, outcome);
                    let period = target.period.as_deref().unwrap_or("the results period's");
                    if months.len() > 1 && !comparable_by_month(&row.path) {
                        // A count or a rate over a longer period holds each month to its share.
                        mark.value /= months.len() as f64;
                        mark.period = Some(format!("a month's share of {period}"));
                        mark.label = Some(format!("{period} target ÷ {} months", months.len()));
                        mark.probability_met = None;
                    } else if mark.label.is_none() {
                        mark.label = Some(format!("{period} target"));
                    }
                    Some(FanTarget {
                        mark,
                        from: months.first()?.clone(),
                        to: months.last()?.clone(),
                    })
                })
                .collect();
            let series = |f: fn(&Summary) -> f64| monthly.iter().map(|(_, s)| f(s)).collect();
            Some(Fan {
                path: row.path.clone(),
                label: row.label.clone(),
                unit: unit(&row.path).to_owned(),
                months: monthly.iter().map(|(m, _)| (*m).clone()).collect(),
                mean: series(|s| s.mean),
                p10: series(|s| s.p10),
                p25: series(|s| s.p25),
                p50: series(|s| s.p50),
                p75: series(|s| s.p75),
                p90: series(|s| s.p90),
                targets,
            })
        })
        .collect()
}

/// The dates of the midnights the run counts by day.
fn dates(model: &Model) -> Vec<String> {
    let clock = Clock::starting(model.run.start_date);
    model
        .run
        .series_midnights()
        .map(|midnight| clock.date(midnight).to_string())
        .collect()
}

/// Every `stride`-th summary from `first`: one quantity's value on each day.
fn band(summaries: &[Band], first: usize, stride: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let days = summaries.iter().skip(first).step_by(stride.max(1));
    (
        days.clone().map(|s| s.mean).collect(),
        days.clone().map(|s| s.p10).collect(),
        days.map(|s| s.p90).collect(),
    )
}

fn occupancy(results: &RunResults<'_>) -> Vec<DailyBand> {
    let model = results.model;
    let dates = dates(model);
    let services = &model.run.series;
    let stride = services.len() * MEASURES.len();
    services
        .iter()
        .enumerate()
        .map(|(k, &node)| {
            let node = &model.network.nodes[node as usize];
            // A pool's places are shared with other services, so they are no line to hold one
            // service's numbers to; places by the hour are drawn at their most.
            let capacity = node.service().and_then(|service| {
                let places = &model.network.places[service.places as usize];
                let own = service.staffed_by.is_none() && places.members.len() == 1;
                let most = match &places.schedule {
                    Some(schedule) => schedule.iter().max().map(|&c| c as f64),
                    None => places.capacity.map(|c| c as f64),
                };
                most.filter(|_| own)
            });
            let (mean, p10, p90) = band(results.series, k * MEASURES.len(), stride);
            DailyBand {
                id: node.id.clone(),
                label: words(&node.id),
                capacity,
                dates: dates.clone(),
                mean,
                p10,
                p90,
            }
        })
        .collect()
}

fn staffing(results: &RunResults<'_>, mean_of: &dyn Fn(&str) -> Option<f64>) -> Vec<StaffingDays> {
    let model = results.model;
    let dates = dates(model);
    let groups = &model.network.staff;
    groups
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let (mean, p10, p90) = band(results.staff_on_shift, g, groups.len());
            let fte_needed = mean_of(&format!("staffing.{}.needed.fte", group.id));
            StaffingDays {
                on_shift: DailyBand {
                    id: group.id.clone(),
                    label: words(&group.id),
                    capacity: group.fte.map(|fte| group.on_shift_from(fte)),
                    dates: dates.clone(),
                    mean,
                    p10,
                    p90,
                },
                fte_needed,
                fte_employed: group.fte,
                on_shift_at_fte_needed: fte_needed.map(|fte| group.on_shift_from(fte)),
            }
        })
        .collect()
}

fn delays(results: &RunResults<'_>) -> DelaysByCause {
    const PREFIX: &str = "metrics.delayed_bed_days_by_cause.";
    let mut delays = DelaysByCause::default();
    for (period, metric, summary) in results.trajectory {
        let Some(cause) = metric.strip_prefix(PREFIX) else {
            continue;
        };
        if period.kind != PeriodKind::Month {
            continue;
        }
        if !delays.months.contains(&period.label) {
            delays.months.push(period.label.clone());
        }
        let bed_days = summary.map_or(0.0, |s| s.mean);
        match delays.causes.iter_mut().find(|c| c.id == cause) {
            Some(found) => found.bed_days.push(bed_days),
            None => delays.causes.push(CauseMonths {
                id: cause.to_owned(),
                label: label(metric).0,
                bed_days: vec![bed_days],
            }),
        }
    }
    delays
}

fn pathway(model: &Model, mean_of: &dyn Fn(&str) -> Option<f64>) -> Pathway {
    let network = &model.network;
    let sources = network.sources.len();
    let mut nodes: Vec<PathwayNode> = network
        .sources
        .iter()
        .map(|source| PathwayNode {
            id: source.id.clone(),
            label: words(&source.id),
            role: NodeRole::Source,
            ..PathwayNode::default()
        })
        .collect();
    nodes.extend(network.nodes.iter().map(|node| {
        let (role, capacity, per_year) = match &node.kind {
            NodeKind::Exit => (NodeRole::Exit, None, mean_of(&format!("exits.{}.count", node.id))),
            NodeKind::Service(service) => {
                let places = &network.places[service.places as usize];
                let capacity = service.staffed_by.is_none().then(|| places.mean_capacity()).flatten();
                (
                    NodeRole::Service,
                    capacity,
                    mean_of(&format!("services.{}.arrivals", node.id)),
                )
            }
        };
        let staffed_by = node.service().and_then(|service| {
            let group = &network.staff[service.staffed_by? as usize];
            Some(match group.fte {
                Some(fte) => format!("{} {} FTE", words(&group.id), super::labels::readable(fte)),
                None => words(&group.id),
            })
        });
        PathwayNode {
            id: node.id.clone(),
            label: words(&node.id),
            role,
            capacity,
            staffed_by,
            column: 0,
            per_year,
        }
    }));
    let mut routes: Vec<Route> = network
        .sources
        .iter()
        .enumerate()
        .map(|(k, source)| Route {
            from: k,
            to: sources + source.to as usize,
            probability: Some(1.0),
        })
        .collect();
    for (n, node) in network.nodes.iter().enumerate() {
        let Some(service) = node.service() else {
            continue;
        };
        let from = sources + n;
        // Each cohort's routes weighted by its arrivals here; unknown where several cohorts
        // arrive and the run counted none of them (an experiment's report).
        let single = node.reached_by.len() == 1;
        let weights: Option<Vec<f64>> = node
            .reached_by
            .iter()
            .map(|&c| {
                let cohort = &network.cohorts[c as usize].id;
                let arrivals = mean_of(&format!("services.{}.by_cohort.{cohort}.arrivals", node.id));
                if single {
                    Some(1.0)
                } else {
                    arrivals
                }
            })
            .collect();
        let total: f64 = weights.iter().flatten().sum();
        let known = weights.is_some() && total > 0.0;
        let mut shares_to: Vec<(usize, f64)> = Vec::new();
        for (k, &cohort) in node.reached_by.iter().enumerate() {
            let weight = weights.as_ref().map_or(0.0, |w| w[k]);
            let table = &service.routes[cohort as usize];
            let cumulative = table.choices.iter().map(|choice| choice.cumulative);
            for (choice, share) in table.choices.iter().zip(shares(cumulative)) {
                let to = sources + choice.to as usize;
                let share = if known { share * weight / total } else { 0.0 };
                match shares_to.iter_mut().find(|(t, _)| *t == to) {
                    Some((_, sum)) => *sum += share,
                    None => shares_to.push((to, share)),
                }
            }
        }
        routes.extend(shares_to.into_iter().map(|(to, share)| Route {
            from,
            to,
            probability: known.then_some(share),
        }));
        let elsewhere = service.on_full.iter().chain(service.reneging.as_ref().map(|r| &r.to));
        routes.extend(elsewhere.map(|&to| Route {
            from,
            to: sources + to as usize,
            probability: None,
        }));
    }
    place_in_columns(&mut nodes, &routes);
    Pathway { nodes, routes }
}

/// Columns from the left: sources first, each node one beyond the longest route reaching it from
/// a source, routes back (readmissions, loops) left out so they do not push a node right; exits
/// last.
fn place_in_columns(nodes: &mut [PathwayNode], routes: &[Route]) {
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for route in routes {
        if !next[route.from].contains(&route.to) {
            next[route.from].push(route.to);
        }
    }
    // A depth-first walk from the sources: a route to a node still on the walk's path goes back.
    const UNSEEN: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![UNSEEN; nodes.len()];
    let mut forward: Vec<(usize, usize)> = Vec::new();
    let mut finished = Vec::with_capacity(nodes.len());
    for start in (0..nodes.len()).filter(|&k| nodes[k].role == NodeRole::Source) {
        if state[start] != UNSEEN {
            continue;
        }
        state[start] = ON_PATH;
        let mut path = vec![(start, 0)];
        while let Some((node, edge)) = path.last_mut() {
            let (node, k) = (*node, *edge);
            *edge += 1;
            match next[node].get(k) {
                Some(&to) => {
                    if state[to] != ON_PATH {
                        forward.push((node, to));
                    }
                    if state[to] == UNSEEN {
                        state[to] = ON_PATH;
                        path.push((to, 0));
                    }
                }
                None => {
                    state[node] = DONE;
                    finished.push(node);
                    path.pop();
                }
            }
        }
    }
    let mut column: Vec<Option<u32>> = nodes
        .iter()
        .map(|node| (node.role == NodeRole::Source).then_some(0))
        .collect();
    for &node in finished.iter().rev() {
        let Some(depth) = column[node] else {
            continue;
        };
        for &(_, to) in forward.iter().filter(|(from, _)| *from == node) {
            column[to] = Some(column[to].map_or(depth + 1, |c| c.max(depth + 1)));
        }
    }
    let last = nodes
        .iter()
        .zip(&column)
        .filter(|(node, _)| node.role != NodeRole::Exit)
        .filter_map(|(_, c)| *c)
        .max()
        .unwrap_or(0)
        + 1;
    for (node, column) in nodes.iter_mut().zip(column) {
        node.column = if node.role == NodeRole::Exit {
            last
        } else {
            column.unwrap_or(last - 1)
        };
    }
}

fn validation(validated: &[Validated<'_>]) -> Vec<ValidationRow> {
    validated
        .iter()
        .map(|(observation, check)| ValidationRow {
            label: observation.label.clone().unwrap_or_else(|| label(&observation.path).0),
            path: observation.path.clone(),
            period: observation.period.clone(),
            observed: observation.value,
            source: observation.source.clone(),
            model: check.map(|c| c.mean),
            in_band: check.map(|c| c.in_band),
            tolerance: observation.tolerance,
            within_tolerance: check.and_then(|c| c.within_tolerance),
        })
        .collect()
}

fn methods(results: &RunResults<'_>, scenario: Methods) -> Methods {
    let model = results.model;
    let network = &model.network;
    let mut logic: Vec<String> = network
        .sources
        .iter()
        .map(|source| {
            format!(
                "{}: patients arrive at random ({}) and go to {}.",
                words(&source.id),
                match &source.arrivals {
                    ArrivalProcess::Poisson { profile: Some(_), .. } => {
                        "a Poisson process, its rate varying by hour, weekday and month"
                    }
                    ArrivalProcess::Poisson { profile: None, .. } => "a Poisson process",
                    ArrivalProcess::Dated { .. } => "a Poisson process, its rate given day by day",
                    ArrivalProcess::Renewal { .. } => "times between arrivals drawn from a distribution",
                },
                phrase(&network.nodes[source.to as usize].id)
            )
        })
        .collect();
    for node in &network.nodes {
        let Some(service) = node.service() else {
            continue;
        };
        let places = &network.places[service.places as usize];
        let capacity = match (service.staffed_by, places.mean_capacity()) {
            (Some(group), _) => format!(
                "capacity from the time of {} staff",
                phrase(&network.staff[group as usize].id)
            ),
            (None, Some(capacity)) => format!("{} places", super::labels::number(capacity)),
            (None, None) => "unlimited places".to_owned(),
        };
        let stays: Vec<f64> = node
            .reached_by
            .iter()
            .map(|&c| mean_stay(service, c as usize))
            .collect();
        let stay = if stays.is_empty() {
            String::new()
        } else {
            let mean = stays.iter().sum::<f64>() / stays.len() as f64;
            format!(", mean stay {} days", super::labels::number(mean))
        };
        let full = match (service.queue_limit, service.on_full) {
            (_, Some(to)) => format!("; when full, patients go to {}", phrase(&network.nodes[to as usize].id)),
            (Some(0), None) => "; when full, patients are turned away".to_owned(),
            _ => "; when full, patients queue (held where they are)".to_owned(),
        };
        logic.push(format!("{}: {capacity}{stay}{full}.", words(&node.id)));
    }
    let (from, to) = results_period(model);
    let year = results_year(model)
        .map(|y| format!(" (financial year {y})"))
        .unwrap_or_default();
    let mut experimentation = vec![
        format!(
            "{} independent replications of {} days each, the first {} days a warm-up whose results are discarded; results from {from} to {to}{year}.",
            results.completed, model.run.horizon_days, model.run.warmup_days
        ),
        format!("Random numbers from seed {}; every replication has its own streams, so any replication can be run alone and gives the same result.", model.run.seed),
        "Each statistic is the mean across replications with a 95 % confidence interval from Student's t distribution; distributions show every replication's value.".to_owned(),
        "Metrics are counted from simulated patients as they flow (admissions, discharges, delays, care-home moves), never computed from the inputs.".to_owned(),
    ];
    if model.uncertain.is_some() {
        experimentation.push(
            "Uncertain inputs are drawn afresh for each replication from their ranges, so the intervals include input uncertainty.".to_owned(),
        );
    }
    if !model.provenance.overrides.is_empty() {
        experimentation.push(format!(
            "Inputs changed from the scenario file: {}.",
            model.provenance.overrides.join(", ")
        ));
    }
    Methods {
        logic,
        experimentation,
        implementation: vec![
            format!("bcfsim {}, a discrete-event simulation written in Rust.", env!("CARGO_PKG_VERSION")),
            "Events are processed in time order (ties in the order they were scheduled); random streams are ChaCha generators keyed by seed, replication and purpose.".to_owned(),
            "Results do not depend on the number of threads or the machine.".to_owned(),
            format!("Scenario file {} (SHA-256 {}).", results.scenario_file, model.provenance.scenario_sha256),
        ],
        ..scenario
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, role: NodeRole) -> PathwayNode {
        PathwayNode {
            id: id.into(),
            role,
            ..PathwayNode::default()
        }
    }

    #[test]
    fn columns_follow_the_longest_route_and_ignore_routes_back() {
        // in -> a -> b -> c, in -> c, c -> a (a readmission), c -> out.
        let mut nodes = vec![
            node("in", NodeRole::Source),
            node("a", NodeRole::Service),
            node("b", NodeRole::Service),
            node("c", NodeRole::Service),
            node("out", NodeRole::Exit),
        ];
        let route = |from, to| Route {
            from,
            to,
            probability: None,
        };
        let routes = [
            route(0, 1),
            route(1, 2),
            route(2, 3),
            route(0, 3),
            route(3, 1),
            route(3, 4),
        ];
        place_in_columns(&mut nodes, &routes);
        let columns: Vec<u32> = nodes.iter().map(|n| n.column).collect();
        assert_eq!(columns, [0, 1, 2, 3, 4]);
    }
}
