//! What a replication cost, a year: each unit cost of the scenario times the quantity the
//! simulated patients used (place-days, episodes, patients leaving, delayed bed days), plus staff
//! at the FTE employed and the fixed costs of the services that run.

use super::{Named, ServiceStatistics};
use crate::model::{CostKind, Network, NodeIndex, NodeKind, Payer, Roles};

const DAYS_PER_YEAR: f64 = 365.0;

/// The costs of one replication (`costs.total`, `costs.by_payer.*`, `costs.by_item.*`,
/// `costs.per_avoided_admission`), from its service statistics, exit counts and metrics; none
/// when the scenario states no costs.
pub fn costs(
    network: &Network,
    services: &[ServiceStatistics],
    exits: &[u64],
    metrics: &[Named],
    observed_days: f64,
) -> Vec<Named> {
    if network.costs.is_empty() {
        return Vec::new();
    }
    let services_count = network
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, NodeKind::Service(_)))
        .count();
    let metric = |name: &str| {
        metrics
            .iter()
            .find(|(path, _)| path == name)
            .and_then(|(_, value)| *value)
    };
    let per_year = DAYS_PER_YEAR / observed_days;
    let mut items = Vec::with_capacity(network.costs.len());
    for item in &network.costs {
        // A service switched off is a pass-through: patients cross it, but nobody is cared for.
        let running = |n: NodeIndex| f64::from(u8::from(network.nodes[n as usize].enabled));
        let quantity = match item.kind {
            CostKind::ServiceDay(n) => running(n) * services[n as usize].mean_occupancy * DAYS_PER_YEAR,
            CostKind::ServiceEpisode(n) => running(n) * services[n as usize].completions as f64 * per_year,
            CostKind::Exit(n) => exits[n as usize - services_count] as f64 * per_year,
            CostKind::StaffFteYear(g) => network.staff[g as usize].fte.unwrap_or(0.0),
            CostKind::FixedYear(n) => running(n),
            CostKind::DelayedBedDay => metric("metrics.delayed_bed_days").unwrap_or(0.0),
        };
        items.push((item, quantity * item.value));
    }
    // Folded from +0: an empty sum of floats is -0, which would print as "-0".
    let total = items.iter().fold(0.0, |sum, (_, cost)| sum + cost);
    let by_payer = |payer: Payer| {
        items
            .iter()
            .filter(|(i, _)| i.payer == payer)
            .fold(0.0, |sum, (_, cost)| sum + cost)
    };
    let mut out = vec![
        ("costs.total".to_owned(), Some(total)),
        ("costs.by_payer.nhs".to_owned(), Some(by_payer(Payer::Nhs))),
        ("costs.by_payer.council".to_owned(), Some(by_payer(Payer::Council))),
    ];
    for (item, cost) in &items {
        out.push((format!("costs.by_item.{}", item.kind.key(network)), Some(*cost)));
    }
    let scheme = |kind: CostKind| match kind {
        CostKind::ServiceDay(n) | CostKind::ServiceEpisode(n) | CostKind::FixedYear(n) => {
            network.nodes[n as usize].roles.has(Roles::ADMISSION_AVOIDANCE)
        }
        _ => false,
    };
    if network.nodes.iter().any(|n| n.roles.has(Roles::ADMISSION_AVOIDANCE)) {
        let schemes = items
            .iter()
            .filter(|(i, _)| scheme(i.kind))
            .fold(0.0, |sum, (_, cost)| sum + cost);
        let avoided = metric("metrics.avoided_admissions").filter(|&a| a > 0.0);
        out.push((
            "costs.per_avoided_admission".to_owned(),
            avoided.map(|avoided| schemes / avoided),
        ));
    }
    out
}
