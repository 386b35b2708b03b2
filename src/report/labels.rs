//! Statistics as people read them: a label and a unit for each path of `summary.json`, and
//! numbers rounded for people. The console table, the report and the workbook share them.

/// Short words of ids that are acronyms, written in capitals in labels.
const ACRONYMS: [&str; 10] = ["crs", "d2a", "hart", "opau", "hca", "nhs", "ae", "acsc", "dtoc", "los"];

/// An id (`crs_assessment`) as words starting with a capital (`CRS assessment`).
pub fn words(id: &str) -> String {
    let mut text = phrase(id);
    if let Some(first) = text.get(0..1) {
        let upper = first.to_uppercase();
        text.replace_range(0..1, &upper);
    }
    text
}

/// An id (`d2a_beds`) as words within a sentence (`D2A beds`).
pub fn phrase(id: &str) -> String {
    let words: Vec<String> = id
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            if ACRONYMS.contains(&word) {
                word.to_uppercase()
            } else {
                word.to_owned()
            }
        })
        .collect();
    words.join(" ")
}

/// A statistic's label and unit for the whole results period, a year (`metrics.*` figures of a
/// run count a year's worth).
pub fn label(path: &str) -> (String, String) {
    let (section, name) = path.split_once('.').unwrap_or(("", path));
    match section {
        "metrics" => metric(name),
        "staffing" => staffing(name),
        "costs" => cost(name),
        "exits" => (
            format!("Leaving to {}", phrase(name.trim_end_matches(".count"))),
            "a year".into(),
        ),
        "services" => service(name),
        _ => (path.to_owned(), String::new()),
    }
}

fn metric(name: &str) -> (String, String) {
    let known = |label: &str, unit: &str| (label.to_owned(), unit.to_owned());
    if let Some((family, id)) = name.split_once('.') {
        let who = phrase(id);
        return match family {
            "delayed_bed_days_by_cause" if id == crate::metrics::bcf::DISCHARGE_PROCESS => {
                known("In the discharge process", "bed days a year")
            }
            "delayed_bed_days_by_cause" => (format!("Waiting for {who}"), "bed days a year".into()),
            "delayed_days_per_100k_per_day_by_cause" => {
                (format!("Delays waiting for {who}"), "per 100,000 18+ a day".into())
            }
            "delayed_bed_days_by_reason" => (format!("Delayed, DTOC reason {}", reason(id)), "bed days a year".into()),
            "avoided_admissions_by_scheme" => (format!("Admissions avoided by {who}"), "a year".into()),
            _ => (words(name), String::new()),
        };
    }
    match name {
        "non_elective_admissions" => known("Non-elective admissions", "a year"),
        "non_elective_admissions_per_100k" => known("Non-elective admissions", "per 100,000 a year"),
        "acsc_admissions_per_100k" => known("Unplanned ACSC admissions", "per 100,000 a year"),
        "readmitted_30_days_pct" => known("Readmitted within 30 days", "%"),
        "discharged_usual_residence_pct" => known("Discharged to usual residence", "%"),
        "delayed_bed_days" => known("Delayed bed days (capacity)", "bed days a year"),
        "delayed_days_per_100k_per_day" => known("Delayed transfers of care", "per 100,000 18+ a day"),
        "discharged_within_24h_pct" => known("Supported discharges in 24h", "%"),
        "los_14_plus_pct" => known("Inpatients in 14+ days", "%"),
        "los_21_plus_pct" => known("Inpatients in 21+ days", "%"),
        "los_21_plus_awaiting_capacity_pct" => known("Of them, waiting for capacity", "%"),
        "los_21_plus_in_discharge_process_pct" => known("Of them, in discharge process", "%"),
        "avoided_admissions" => known("Admissions avoided by schemes", "a year"),
        "care_home_admissions_65" => known("Care-home admissions 65+", "a year"),
        "care_home_admissions_65_per_100k" => known("Care-home admissions 65+", "per 100,000 65+ a year"),
        "care_home_admissions_65_via_hospital_pct" => known("Of them, straight from hospital", "%"),
        "at_home_91_days_pct" => known("At home 91 days after reablement", "%"),
        "interim_bed_days" => known("Interim bed days", "bed days a year"),
        _ => {
            if let Some(pathway) = name.strip_prefix("pathway_") {
                let (number, older) = match pathway.strip_suffix("_pct_65") {
                    Some(number) => (number, " (65+)"),
                    None => (pathway.trim_end_matches("_pct"), ""),
                };
                return (format!("Discharged on pathway {number}{older}"), "%".into());
            }
            (
                words(name),
                if name.ends_with("_pct") {
                    "%".into()
                } else {
                    String::new()
                },
            )
        }
    }
}

/// A delayed-transfer reason code (`d_ii`) as the collection writes it (`D(ii)`).
fn reason(code: &str) -> String {
    match code.split_once('_') {
        Some((letter, part)) => format!("{}({part})", letter.to_uppercase()),
        None => code.to_uppercase(),
    }
}

fn staffing(name: &str) -> (String, String) {
    let (group, statistic) = name.split_once('.').unwrap_or((name, ""));
    let group = words(group);
    let (what, unit) = match statistic {
        "needed.fte" => ("FTE needed", "FTE"),
        "used.fte" => ("FTE used", "FTE"),
        "employed_fte" => ("FTE employed", "FTE"),
        "needed.on_shift_mean" => ("on shift needed, mean", "people"),
        "needed.on_shift_p90" => ("on shift needed, 90th percentile day", "people"),
        "needed.on_shift_max" => ("on shift needed, busiest day", "people"),
        "needed.daily_visits" => ("visits needed a day", "visits"),
        "used.daily_visits" => ("visits made a day", "visits"),
        "turned_away" => ("patients turned away for want of staff", "a year"),
        "waited" => ("patients who waited for staff", "a year"),
        other => return (format!("{group}: {}", other.replace(['.', '_'], " ")), String::new()),
    };
    (format!("{group}: {what}"), unit.to_owned())
}

fn cost(name: &str) -> (String, String) {
    let label = match name.split_once('.') {
        None if name == "total" => "Total cost".to_owned(),
        None if name == "per_avoided_admission" => return ("Cost per admission avoided".into(), "£".into()),
        None => words(name),
        Some(("by_payer", payer)) => format!("Paid by the {}", if payer == "nhs" { "NHS" } else { payer }),
        Some(("by_item", item)) => {
            let (kind, id) = item.split_once('.').unwrap_or(("", item));
            let what = match kind {
                "service_day" => "days in",
                "exit" => "leaving to",
                "fixed_year" => "running",
                "staff_fte_year" => "staff of",
                "episode" => "episodes of",
                _ => kind,
            };
            format!("Cost of {what} {}", phrase(id))
        }
        Some((family, rest)) => format!("{} {}", words(family), phrase(rest)),
    };
    (label, "£ a year".into())
}

fn service(name: &str) -> (String, String) {
    let (id, statistic) = name.split_once('.').unwrap_or((name, ""));
    let unit = match statistic {
        "mean_wait" | "p90_wait" | "mean_service" | "mean_blocked" => "days",
        "waited_pct" | "utilisation_pct" => "%",
        "mean_occupancy" | "mean_queue" | "mean_blocked_waiting" => "patients",
        _ => "a year",
    };
    (
        format!(
            "{}: {}",
            words(id),
            statistic.trim_end_matches("_pct").replace(['_', '.'], " ")
        ),
        unit.to_owned(),
    )
}

/// `value` with `decimals` places, commas between thousands and a true minus sign (none on a
/// value that rounds to zero); `–` where it is not finite.
pub fn grouped(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "–".to_string();
    }
    let digits = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits.as_str(), ""));
    let mut text = String::with_capacity(digits.len() + whole.len() / 3 + 3);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            text.push(',');
        }
        text.push(digit);
    }
    if !fraction.is_empty() {
        text.push('.');
        text.push_str(fraction);
    }
    let is_zero = digits.chars().all(|c| c == '0' || c == '.');
    if value < 0.0 && !is_zero {
        text.insert(0, '−');
    }
    text
}

/// Decimal places that give three significant figures for numbers of `magnitude` (none from
/// 100 up, at most six).
pub fn decimals_for(magnitude: f64) -> usize {
    if magnitude >= 100.0 || magnitude == 0.0 || !magnitude.is_finite() {
        0
    } else {
        (2 - magnitude.log10().floor() as i64).clamp(0, 6) as usize
    }
}

/// A number for people: three significant figures or to the unit, whichever is coarser, without
/// trailing zeros, commas between thousands and a true minus sign (`63.8`, `1,320`, `58`,
/// `0.0345`, `−4.2`); `–` where it is not finite.
pub fn readable(value: f64) -> String {
    let text = grouped(value, decimals_for(value.abs()));
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A figure with its unit as people write it: `−4.2 per 100,000 a year`, `+1.3 FTE`, and money
/// with the pound sign first (`−£335,197 a year`); `signed` puts `+` before a positive figure.
pub fn with_unit(value: f64, unit: &str, signed: bool) -> String {
    let figure = readable(value);
    let (figure, sign) = match figure.strip_prefix('−') {
        Some(magnitude) => (magnitude.to_owned(), "−"),
        None if signed && value > 0.0 => (figure, "+"),
        None => (figure, ""),
    };
    match unit.strip_prefix('£') {
        Some(rest) => format!("{sign}£{figure}{rest}"),
        None if unit.is_empty() => format!("{sign}{figure}"),
        None => format!("{sign}{figure} {unit}"),
    }
}

/// A number for the console's columns: three significant figures or to the unit, trailing zeros
/// kept so that a column's figures show their precision alike (`92.0`, `0.680`), a whole number
/// whole (`58`), millions as `m` (`220.3m`).
pub fn number(value: f64) -> String {
    if value.is_finite() && value.abs() >= 1e6 {
        let decimals = if value.abs() >= 1e7 { 1 } else { 2 };
        return format!("{}m", grouped(value / 1e6, decimals));
    }
    if value.fract() == 0.0 {
        return grouped(value, 0);
    }
    grouped(value, decimals_for(value.abs()))
}

/// A difference and its 95 % interval in few characters, for the console (`−0.35 [−0.64, −0.07]`,
/// `−335k [−564k, −107k]`): every figure to the places the interval's half-width supports (two
/// significant figures of it, at most three of the largest figure), in thousands or millions
/// where large.
pub fn estimate(mean: f64, ci95: Option<(f64, f64)>) -> String {
    let largest = ci95.map_or(mean.abs(), |(low, high)| mean.abs().max(low.abs()).max(high.abs()));
    let spread = ci95.map_or(mean.abs(), |(low, high)| (high - low) / 2.0);
    let show = shown_alike(largest, spread);
    match ci95 {
        Some((low, high)) => format!("{} [{}, {}]", show(mean), show(low), show(high)),
        None => show(mean),
    }
}

/// A mean and half its 95 % interval, `3.38 ±0.39`, `222.2m ±0.5m`, alike as [`estimate`].
pub fn plus_minus(mean: f64, half_width: f64) -> String {
    let show = shown_alike(mean.abs().max(half_width.abs()), half_width);
    format!("{} ±{}", show(mean), show(half_width))
}

/// How figures up to `largest` with an interval's half-width `spread` are shown alike: in
/// thousands or millions where large, to two significant figures of the half-width but never
/// beyond three of the largest figure.
fn shown_alike(largest: f64, spread: f64) -> impl Fn(f64) -> String {
    let (scale, suffix) = if largest >= 1e6 {
        (1e6, "m")
    } else if largest >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    let spread = spread / scale;
    let decimals = (spread > 0.0 && spread.is_finite()).then(|| {
        let supported = (1 - spread.log10().floor() as i64).clamp(0, 4) as usize;
        supported.min(decimals_for(largest / scale).max(1))
    });
    move |value: f64| {
        let figure = match decimals {
            Some(decimals) => grouped(value / scale, decimals),
            None => readable(value / scale),
        };
        format!("{figure}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        let shown: Vec<String> = [
            0.0,
            0.0004,
            0.004321,
            0.4,
            4.006,
            13.94,
            536.15,
            999.7,
            10213.2,
            -72119.0,
            1_570_000.0,
            220_300_000.0,
        ]
        .map(number)
        .into();
        assert_eq!(
            shown,
            [
                "0",
                "0.000400",
                "0.00432",
                "0.400",
                "4.01",
                "13.9",
                "536",
                "1,000",
                "10,213",
                "−72,119",
                "1.57m",
                "220.3m"
            ]
        );
        assert_eq!(number(f64::NAN), "–");
        assert_eq!(grouped(1234567.891, 1), "1,234,567.9");
        assert_eq!(grouped(-0.0001, 2), "0.00");
        assert_eq!(grouped(-830.0, 0), "−830");
        assert_eq!(readable(63.8), "63.8");
        assert_eq!(readable(58.0), "58");
        assert_eq!(readable(1320.4), "1,320");
        assert_eq!(readable(0.0345), "0.0345");
    }

    #[test]
    fn estimates_to_the_places_their_interval_supports() {
        assert_eq!(estimate(-0.353, Some((-0.638, -0.0681))), "−0.35 [−0.64, −0.07]");
        assert_eq!(estimate(0.00342, Some((0.000781, 0.00607))), "0.0034 [0.0008, 0.0061]");
        assert_eq!(
            estimate(-335_197.0, Some((-563_707.0, -106_688.0))),
            "−335k [−564k, −107k]"
        );
        assert_eq!(estimate(10.0, Some((10.0, 10.0))), "10 [10, 10]");
        assert_eq!(estimate(-727.0, Some((-1314.0, -140.0))), "−727 [−1,314, −140]");
        assert_eq!(estimate(0.1264, Some((0.1219, 0.1310))), "0.126 [0.122, 0.131]");
        assert_eq!(estimate(0.0, Some((-0.0003, 0.0002))), "0.0000 [−0.0003, 0.0002]");
        assert_eq!(plus_minus(3.38, 0.390), "3.38 ±0.39");
        assert_eq!(plus_minus(222_180_000.0, 530_722.0), "222.2m ±0.5m");
    }

    #[test]
    fn figures_with_units() {
        assert_eq!(with_unit(-335_197.0, "£ a year", true), "−£335,197 a year");
        assert_eq!(with_unit(1.29, "FTE", true), "+1.29 FTE");
        assert_eq!(with_unit(0.0, "£", true), "£0");
        assert_eq!(with_unit(-4.2, "per 100,000 a year", false), "−4.2 per 100,000 a year");
    }

    #[test]
    fn labels_and_units() {
        assert_eq!(
            label("metrics.delayed_bed_days_by_cause.d2a_beds"),
            ("Waiting for D2A beds".into(), "bed days a year".into())
        );
        assert_eq!(
            label("metrics.pathway_1_pct_65"),
            ("Discharged on pathway 1 (65+)".into(), "%".into())
        );
        assert_eq!(
            label("staffing.hca.needed.fte"),
            ("HCA: FTE needed".into(), "FTE".into())
        );
        assert_eq!(
            label("costs.by_item.service_day.d2a_beds"),
            ("Cost of days in D2A beds".into(), "£ a year".into())
        );
        assert_eq!(
            label("metrics.delayed_bed_days_by_reason.d_ii"),
            ("Delayed, DTOC reason D(ii)".into(), "bed days a year".into())
        );
    }
}
