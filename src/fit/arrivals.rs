//! A Poisson source's `rate_per_day` and its `hour`, `weekday` and `month` profiles, estimated
//! from the times of referrals.
//!
//! The engine's rate at time t is `rate_per_day × hour × weekday × month` (multiplied as given,
//! never normalised), so the fit is that model's maximum likelihood. The span is every whole day
//! from the first referral's to the last's, both included. A day's expected count is
//! `rate × weekday × month`, fitted to the daily counts by iterative proportional fitting (each
//! weekday's and each month's expected total then equals its observed total, however the span
//! falls on the calendar: a span with five Mondays and four Sundays does not make Mondays look
//! busier); the hour multipliers are 24 × each hour's share of the referrals, so a day's
//! multipliers average 1 and leave its count alone. Weekday and month multipliers are scaled to a
//! mean of 1 over those the span covers and the rate takes up the scale: the expected referrals
//! over the span are exactly those observed. Weekdays and months the span does not cover are 1.

use std::array;

use crate::calendar::Date;

use super::{figure, toml_array};

/// Significant figures of the rate written out.
pub const RATE_DIGITS: usize = 4;

/// Significant figures of the multipliers: each rests on a share of the referrals, rarely known
/// to better than a few percent.
pub const MULTIPLIER_DIGITS: usize = 3;

/// A referral's time as recorded: its date, and its time of day where given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// The day.
    pub date: Date,
    /// Seconds since midnight (a fraction of a second dropped), where a time is given.
    pub second_of_day: Option<u32>,
}

impl Timestamp {
    /// Parses `YYYY-MM-DD`, or that followed by a space or `T` and `HH:MM` or `HH:MM:SS` (the
    /// seconds may have a fraction); no time zone.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        let (date, time) = match text.find([' ', 'T']) {
            Some(at) => (&text[..at], Some(text[at + 1..].trim_start())),
            None => (text, None),
        };
        let second_of_day = match time {
            Some(time) => Some(second_of_day(time)?),
            None => None,
        };
        Some(Timestamp {
            date: Date::parse(date)?,
            second_of_day,
        })
    }
}

/// `HH:MM` or `HH:MM:SS[.fraction]` as seconds since midnight.
fn second_of_day(text: &str) -> Option<u32> {
    let mut parts = text.split(':');
    let hour = at_most(parts.next()?, 23)?;
    let minute = at_most(parts.next()?, 59)?;
    let second = match parts.next() {
        None => 0,
        Some(seconds) => {
            let whole = match seconds.split_once('.') {
                Some((whole, fraction)) if !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit()) => {
                    whole
                }
                Some(_) => return None,
                None => seconds,
            };
            at_most(whole, 59)?
        }
    };
    if parts.next().is_some() {
        return None;
    }
    Some(hour * 3600 + minute * 60 + second)
}

/// One or two digits, at most `max`.
fn at_most(text: &str, max: u32) -> Option<u32> {
    let digits = (1..=2).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| text.parse().ok())
        .flatten()
        .filter(|value| *value <= max)
}

/// The hour profile, or why there is none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum HourProfile {
    /// 24 multipliers, hour 0 first, of mean 1.
    Fitted([f64; 24]),
    /// No referral has a time of day.
    DatesOnly,
    /// Every time is midnight: dates written as times (a spreadsheet's habit), not referrals at
    /// midnight.
    AllMidnight,
    /// This many referrals have no time of day (and the others do): a profile from only some
    /// would be a guess about the rest.
    SomeWithoutTime(usize),
}

/// Why referral times cannot be fitted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArrivalError {
    /// Fewer than two referrals.
    #[error("at least 2 referrals are needed, not {0}")]
    TooFew(usize),
}

/// A Poisson source fitted to referral times.
#[derive(Clone, Debug)]
pub struct ArrivalFit {
    /// The number of referrals.
    pub count: usize,
    /// The day of the first.
    pub first_day: Date,
    /// The day of the last.
    pub last_day: Date,
    /// Whole days from the first day to the last, both included.
    pub days: usize,
    /// The rate a day at multipliers of 1, as `rate_per_day`.
    pub rate_per_day: f64,
    /// The hour multipliers, or why there are none.
    pub hour: HourProfile,
    /// The weekday multipliers, Monday first.
    pub weekday: [f64; 7],
    /// Which weekdays the span covers (all, from a week on).
    pub weekdays_covered: [bool; 7],
    /// The month multipliers, January first.
    pub month: [f64; 12],
    /// Which months the span covers.
    pub months_covered: [bool; 12],
    /// Pearson's statistic of the daily counts against the fitted model, per degree of freedom:
    /// about 1 for Poisson arrivals, well above 1 when days vary more than a Poisson source with
    /// these profiles would make them. `None` when the span has no more days than parameters.
    pub dispersion: Option<f64>,
}

impl ArrivalFit {
    /// The referrals a day over the span.
    pub fn arrivals_per_day(&self) -> f64 {
        self.count as f64 / self.days as f64
    }

    /// The fields of a `[[source]]`: `rate_per_day`, and `profile.hour`, `profile.weekday` and
    /// `profile.month` (dotted keys, so each array may take several lines within `width`
    /// columns). A profile is left out where there is none, or where the span covers a single
    /// weekday or month (its multiplier is 1 by definition).
    pub fn toml(&self, width: usize) -> String {
        let shown = |values: &[f64]| -> Vec<String> { values.iter().map(|v| figure(*v, MULTIPLIER_DIGITS)).collect() };
        let mut lines = vec![format!("rate_per_day = {}", figure(self.rate_per_day, RATE_DIGITS))];
        if let HourProfile::Fitted(hour) = &self.hour {
            lines.push(toml_array("profile.hour", &shown(hour), "", width));
        }
        if covered(&self.weekdays_covered) > 1 {
            lines.push(toml_array("profile.weekday", &shown(&self.weekday), "", width));
        }
        if covered(&self.months_covered) > 1 {
            lines.push(toml_array("profile.month", &shown(&self.month), "", width));
        }
        lines.join("\n")
    }
}

/// Fits a Poisson source to referral times (at least two, in any order).
pub fn fit_arrivals(times: &[Timestamp]) -> Result<ArrivalFit, ArrivalError> {
    if times.len() < 2 {
        return Err(ArrivalError::TooFew(times.len()));
    }
    let day_numbers: Vec<i64> = times.iter().map(|t| t.date.days_since_epoch()).collect();
    let first = *day_numbers.iter().min().expect("two referrals");
    let last = *day_numbers.iter().max().expect("two referrals");
    let mut daily = vec![0.0; (last - first + 1) as usize];
    for day in &day_numbers {
        daily[(day - first) as usize] += 1.0;
    }
    // Each day of the span as (weekday, month): 1970-01-01 was a Thursday (index 3).
    let calendar: Vec<(usize, usize)> = (first..=last)
        .map(|day| {
            let weekday = (day + 3).rem_euclid(7) as usize;
            (weekday, Date::from_days_since_epoch(day).month as usize - 1)
        })
        .collect();
    let mut days_in = [[0.0; 12]; 7];
    let mut observed_weekday = [0.0; 7];
    let mut observed_month = [0.0; 12];
    for (&(weekday, month), &count) in calendar.iter().zip(&daily) {
        days_in[weekday][month] += 1.0;
        observed_weekday[weekday] += count;
        observed_month[month] += count;
    }
    let weekdays_covered: [bool; 7] = array::from_fn(|w| days_in[w].iter().any(|&d| d > 0.0));
    let months_covered: [bool; 12] = array::from_fn(|m| days_in.iter().any(|row| row[m] > 0.0));

    // Iterative proportional fitting: weekdays scaled to match their observed totals, then
    // months, until nothing moves. The rate is folded into the weekdays until the end.
    let mut weekday = [1.0; 7];
    let mut month = [1.0; 12];
    for _ in 0..10_000 {
        let before = weekday;
        for (w, multiplier) in weekday.iter_mut().enumerate() {
            let expected: f64 = (0..12).map(|m| days_in[w][m] * month[m]).sum();
            if expected > 0.0 {
                *multiplier = observed_weekday[w] / expected;
            }
        }
        for (m, multiplier) in month.iter_mut().enumerate() {
            let expected: f64 = (0..7).map(|w| days_in[w][m] * weekday[w]).sum();
            if expected > 0.0 {
                *multiplier = observed_month[m] / expected;
            }
        }
        if weekday
            .iter()
            .zip(&before)
            .all(|(now, was)| (now - was).abs() <= 1e-13 * was.abs())
        {
            break;
        }
    }
    let weekday_mean = mean_where(&weekday, &weekdays_covered);
    let month_mean = mean_where(&month, &months_covered);
    let weekday = array::from_fn(|w| {
        if weekdays_covered[w] {
            weekday[w] / weekday_mean
        } else {
            1.0
        }
    });
    let month = array::from_fn(|m| if months_covered[m] { month[m] / month_mean } else { 1.0 });
    let rate_per_day = weekday_mean * month_mean;

    let pearson: f64 = calendar
        .iter()
        .zip(&daily)
        .map(|(&(w, m), &count)| {
            let expected = rate_per_day * weekday[w] * month[m];
            if expected > 0.0 {
                (count - expected).powi(2) / expected
            } else {
                0.0
            }
        })
        .sum();
    let parameters = covered(&weekdays_covered) + covered(&months_covered) - 1;
    let dispersion = (daily.len() > parameters).then(|| pearson / (daily.len() - parameters) as f64);

    Ok(ArrivalFit {
        count: times.len(),
        first_day: Date::from_days_since_epoch(first),
        last_day: Date::from_days_since_epoch(last),
        days: daily.len(),
        rate_per_day,
        hour: hour_profile(times),
        weekday,
        weekdays_covered,
        month,
        months_covered,
        dispersion,
    })
}

fn hour_profile(times: &[Timestamp]) -> HourProfile {
    let without_time = times.iter().filter(|t| t.second_of_day.is_none()).count();
    if without_time == times.len() {
        return HourProfile::DatesOnly;
    }
    if without_time > 0 {
        return HourProfile::SomeWithoutTime(without_time);
    }
    if times.iter().all(|t| t.second_of_day == Some(0)) {
        return HourProfile::AllMidnight;
    }
    let mut counts = [0.0; 24];
    for second in times.iter().filter_map(|t| t.second_of_day) {
        counts[second as usize / 3600] += 1.0;
    }
    HourProfile::Fitted(counts.map(|count| 24.0 * count / times.len() as f64))
}

fn covered(flags: &[bool]) -> usize {
    flags.iter().filter(|c| **c).count()
}

fn mean_where(values: &[f64], flags: &[bool]) -> f64 {
    let sum: f64 = values.iter().zip(flags).filter(|(_, c)| **c).map(|(v, _)| v).sum();
    sum / covered(flags) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn timestamps_in_the_usual_forms() {
        let date = Date::parse("2024-03-05").unwrap();
        assert_eq!(
            at("2024-03-05"),
            Timestamp {
                date,
                second_of_day: None
            }
        );
        assert_eq!(at("2024-03-05 07:30").second_of_day, Some(7 * 3600 + 30 * 60));
        assert_eq!(at("2024-03-05T07:30:15").second_of_day, Some(27_015));
        assert_eq!(at("2024-03-05 23:59:59.999").second_of_day, Some(86_399));
        for bad in [
            "2024-02-30",
            "05/03/2024",
            "2024-03-05 24:00",
            "2024-03-05 7",
            "2024-03-05 07:30Z",
            "",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_span_with_an_extra_monday_does_not_make_mondays_busier() {
        // Two referrals every day of 2024-01-01 (a Monday) to 2024-01-29 (a Monday): five Mondays,
        // four of every other day.
        let times: Vec<Timestamp> = (1..=29)
            .flat_map(|day| [format!("2024-01-{day:02} 09:00"), format!("2024-01-{day:02} 15:00")])
            .map(|text| at(&text))
            .collect();
        let fit = fit_arrivals(&times).unwrap();
        assert_eq!(fit.days, 29);
        assert!((fit.rate_per_day - 2.0).abs() < 1e-9, "{}", fit.rate_per_day);
        assert!(fit.weekday.iter().all(|w| (w - 1.0).abs() < 1e-9), "{:?}", fit.weekday);
        assert_eq!(fit.months_covered.iter().filter(|c| **c).count(), 1);
        assert_eq!(fit.month[0], 1.0);
        let mut hour = [0.0; 24];
        hour[9] = 12.0;
        hour[15] = 12.0;
        assert_eq!(fit.hour, HourProfile::Fitted(hour));
        // The same count every day: far less spread than Poisson.
        assert!(fit.dispersion.unwrap() < 1e-9);
    }

    #[test]
    fn dates_without_times_give_no_hour_profile() {
        let dates = [at("2024-01-01"), at("2024-01-03")];
        assert_eq!(fit_arrivals(&dates).unwrap().hour, HourProfile::DatesOnly);
        let midnights = [at("2024-01-01 00:00"), at("2024-01-03 00:00:00")];
        assert_eq!(fit_arrivals(&midnights).unwrap().hour, HourProfile::AllMidnight);
        let mixed = [at("2024-01-01 08:00"), at("2024-01-03")];
        assert_eq!(fit_arrivals(&mixed).unwrap().hour, HourProfile::SomeWithoutTime(1));
        assert_eq!(fit_arrivals(&dates[..1]).unwrap_err(), ArrivalError::TooFew(1));
    }
}
