//! "How sure can we be, given half our inputs are estimates?": each uncertain input and each
//! lever moved from the low end of its range to the high end, one at a time, the rest at their
//! central values, and the inputs ranked by the effect on each statistic.

use super::Paired;
use crate::model::{InputRange, Lever, LeverValue};

/// What a factor of a sensitivity analysis is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorKind {
    /// An uncertain input, over its range.
    Uncertain,
    /// A numeric lever, over its range.
    Lever,
    /// A lever that is on or off.
    Switch,
}

impl FactorKind {
    /// The kind's name in `sensitivity.csv`.
    pub fn name(self) -> &'static str {
        match self {
            FactorKind::Uncertain => "uncertain input",
            FactorKind::Lever => "lever",
            FactorKind::Switch => "switch",
        }
    }
}

/// One thing a sensitivity analysis moves: an uncertain input or a lever, with its two ends.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    /// The field (as `--set` names it) or the lever's name.
    pub name: String,
    /// What it is.
    pub kind: FactorKind,
    /// Its low end (0 for a switch: off).
    pub low: f64,
    /// Its high end (1 for a switch: on).
    pub high: f64,
}

impl Factor {
    /// The `--set` assignment putting the factor at its low end (`high` false) or high end.
    pub fn assignment(&self, high: bool) -> String {
        let value = if high { self.high } else { self.low };
        match self.kind {
            FactorKind::Switch => format!("{}={}", self.name, value != 0.0),
            FactorKind::Uncertain | FactorKind::Lever => format!("{}={value}", self.name),
        }
    }

    /// An end as people read it: `20`, `2.5`, `off`, `on`.
    pub fn show(&self, high: bool) -> String {
        let value = if high { self.high } else { self.low };
        match self.kind {
            FactorKind::Switch if value != 0.0 => "on".to_owned(),
            FactorKind::Switch => "off".to_owned(),
            FactorKind::Uncertain | FactorKind::Lever => value.to_string(),
        }
    }
}

/// The factors of a scenario: its uncertain inputs, then its levers that have a range or are
/// switches (a numeric lever without a range has no ends to move between, and one whose value is
/// uncertain is moved as that input).
pub fn factors(inputs: &[InputRange], levers: &[Lever]) -> Vec<Factor> {
    let uncertain = inputs.iter().map(|input| Factor {
        name: input.name.clone(),
        kind: FactorKind::Uncertain,
        low: input.low,
        high: input.high,
    });
    let uncertain_lever = |name: &str| inputs.iter().any(|input| input.name == format!("levers.{name}.value"));
    let levers = levers
        .iter()
        .filter(|lever| !uncertain_lever(&lever.name))
        .filter_map(|lever| match (lever.value, lever.range) {
            (LeverValue::Switch(_), _) => Some(Factor {
                name: lever.name.clone(),
                kind: FactorKind::Switch,
                low: 0.0,
                high: 1.0,
            }),
            (LeverValue::Number(_), Some((low, high))) => Some(Factor {
                name: lever.name.clone(),
                kind: FactorKind::Lever,
                low,
                high,
            }),
            (LeverValue::Number(_), None) => None,
        });
    uncertain.chain(levers).collect()
}

/// The order of `effects` (one per factor, `None` where the factor could not be run at both
/// ends) by the size of the mean effect, largest first; factors without an effect last.
pub fn rank(effects: &[Option<Paired>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..effects.len()).collect();
    let size = |k: usize| effects[k].map_or(-1.0, |p| p.mean.abs());
    order.sort_by(|&a, &b| size(b).total_cmp(&size(a)).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_from_inputs_and_levers_and_their_ranking() {
        let range = |name: &str| InputRange {
            name: name.into(),
            low: 18.0,
            central: 22.0,
            high: 26.0,
        };
        let inputs = [range("staff.hca.uplift_pct"), range("levers.d2a.value")];
        let lever = |name: &str, value, range| Lever {
            name: name.into(),
            value,
            label: None,
            unit: None,
            range,
        };
        let levers = [
            lever("hca_fte", LeverValue::Number(58.0), Some((40.0, 80.5))),
            lever("fixed", LeverValue::Number(3.0), None),
            lever("opau_on", LeverValue::Switch(true), None),
            lever("d2a", LeverValue::Number(22.0), Some((18.0, 26.0))),
        ];
        let factors = factors(&inputs, &levers);
        let named: Vec<(&str, FactorKind)> = factors.iter().map(|f| (f.name.as_str(), f.kind)).collect();
        assert_eq!(
            named,
            [
                ("staff.hca.uplift_pct", FactorKind::Uncertain),
                ("levers.d2a.value", FactorKind::Uncertain),
                ("hca_fte", FactorKind::Lever),
                ("opau_on", FactorKind::Switch)
            ]
        );
        assert_eq!(factors[2].assignment(true), "hca_fte=80.5");
        assert_eq!(factors[0].assignment(false), "staff.hca.uplift_pct=18");
        assert_eq!(
            (factors[3].assignment(false), factors[3].show(true)),
            ("opau_on=false".into(), "on".into())
        );
        let effect = |mean| {
            Some(Paired {
                n: 2,
                mean,
                ci95: None,
                share_better: None,
            })
        };
        assert_eq!(rank(&[effect(1.0), None, effect(-3.0), effect(2.0)]), [2, 3, 0, 1]);
    }
}
