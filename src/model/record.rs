//! What one replication records as patients flow: counts and sums, never per-patient lists, so
//! memory stays bounded by the patients in the system (plus one entry per month and per day).

use crate::calendar::Date;

/// Everything one replication observed after the warm-up.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// Per node (same indices as the network's nodes); exits use only `arrivals`.
    pub nodes: Vec<NodeRecord>,
    /// Events processed in the whole replication, warm-up included.
    pub events: u64,
    /// The most patients ever in the system at once (warm-up included): what memory is bounded by.
    pub peak_in_system: usize,
    /// Length of the observation window in days.
    pub observed_days: f64,
    /// Health-and-care counts by calendar month, from the month of day 0 to the horizon.
    pub months: Vec<MonthRecord>,
    /// Per staff group, its demand on each whole day after the warm-up.
    pub staff_days: Vec<Vec<StaffDay>>,
    /// The day number (since day 0) of the first entry of each `staff_days` list.
    pub first_staff_day: u64,
    /// At each midnight of the observation window (and at day 0 without a warm-up), for each of
    /// the run's series services in turn, the patients in service (blocked ones included), in the
    /// queue and held upstream waiting for a place: three numbers a service a day.
    pub series: Vec<u32>,
}

/// Counts for the BCF metrics in one calendar month, as patients flowed. Events during the
/// warm-up are not counted.
#[derive(Clone, Debug, Default)]
pub struct MonthRecord {
    /// The first day of the month.
    pub start: Option<Date>,
    /// Days of the month inside the observation window.
    pub observed_days: f64,
    /// Admissions into acute services from outside them.
    pub admissions: u64,
    /// Of those, admissions of cohorts flagged `acsc`.
    pub acsc_admissions: u64,
    /// Of those, admissions within 30 days of the same patient's last discharge alive.
    pub readmissions_30_days: u64,
    /// Per node, patients who left an admission-avoidance scheme other than to hospital.
    pub avoided: Vec<u64>,
    /// Admissions of people 65+ to permanent care homes.
    pub care_home_admissions_65: u64,
    /// Of those, people who had been in an acute service since they arrived in the network.
    pub care_home_admissions_65_via_hospital: u64,
    /// People 65+ discharged from hospital into reablement this month whose 91-day outcome is known.
    pub followed: u64,
    /// Of those, the ones at their usual residence 91 days later.
    pub followed_at_home: u64,
    /// Patients discharged alive from acute services.
    pub acute_discharges: u64,
    /// Of those, discharged to their usual place of residence.
    pub discharged_usual_residence: u64,
    /// Of those, discharged to a supported pathway (1 to 3).
    pub supported_discharges: u64,
    /// Of those, discharged within a day of being medically optimised.
    pub supported_within_24h: u64,
    /// Alive acute discharges of adults (18+), and of them by discharge-to-assess pathway 0 to 3.
    pub adult_discharges: Discharges,
    /// The same for people 65+.
    pub discharges_65: Discharges,
    /// Bed days adults (18+) spent in acute services medically optimised and waiting for a place
    /// elsewhere, per delay cause (in the order of [`crate::model::Network::delay_causes`]).
    pub delayed_bed_days: Vec<f64>,
    /// Bed days adults spent in acute services medically optimised, in the discharge process
    /// (handover, waiting for discharge hours or for the next service's admission hours).
    pub discharge_process_bed_days: f64,
    /// Bed days in interim beds.
    pub interim_bed_days: f64,
    /// Midnight counts of acute inpatients, summed over the month's days.
    pub inpatients: u64,
    /// Of those, inpatients who had been in hospital 14 days or more.
    pub los_14_plus: u64,
    /// Of those, inpatients who had been in hospital 21 days or more.
    pub los_21_plus: u64,
    /// Of those 21+ days, the ones waiting for a place elsewhere.
    pub los_21_plus_awaiting_capacity: u64,
    /// Of those 21+ days, the ones in the discharge process.
    pub los_21_plus_in_discharge_process: u64,
    /// Per staff group, patients who arrived at a service needing its work and found no room.
    pub staff_turned_away: Vec<u64>,
    /// Per staff group, patients who had to wait (queued, or held upstream) for such a service.
    pub staff_waited: Vec<u64>,
}

impl MonthRecord {
    /// An empty record for the month starting on `start`, sized for the network.
    pub fn new(start: Date, nodes: usize, delay_causes: usize, staff_groups: usize) -> MonthRecord {
        MonthRecord {
            start: Some(start),
            avoided: vec![0; nodes],
            delayed_bed_days: vec![0.0; delay_causes],
            staff_turned_away: vec![0; staff_groups],
            staff_waited: vec![0; staff_groups],
            ..MonthRecord::default()
        }
    }
}

/// Alive acute discharges of one age group, and of them by discharge-to-assess pathway 0 to 3.
#[derive(Clone, Copy, Debug, Default)]
pub struct Discharges {
    /// All of them.
    pub all: u64,
    /// By the pathway tag of where they went.
    pub pathway: [u64; 4],
}

/// Work a staff group was asked for over one day.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Demand {
    /// Visits.
    pub visits: f64,
    /// Staff minutes (care and travel).
    pub minutes: f64,
}

/// One day's work for a staff group: what the staff employed delivered (`used`), and what every
/// patient who arrived needing it would have needed (`needed`: also those turned away or waiting).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StaffDay {
    /// Delivered to patients in service.
    pub used: Demand,
    /// Needed by the arriving demand, whatever the staff employed.
    pub needed: Demand,
}

/// Counts and sums of one cohort at one node over the observation window.
#[derive(Clone, Copy, Debug, Default)]
pub struct CohortRecord {
    /// Patients who reached the node.
    pub arrivals: u64,
    /// Patients whose wait in the queue ended.
    pub entered: u64,
    /// Sum of their waits.
    pub wait_sum: f64,
    /// Patients who finished service and left.
    pub completions: u64,
    /// Sum of their service times.
    pub service_sum: f64,
}

/// Counts and sums at one node over the observation window.
#[derive(Clone, Debug, Default)]
pub struct NodeRecord {
    /// Patients who reached the node, overflowed ones included.
    pub arrivals: u64,
    /// Arrivals that found no room (whether sent on to `on_full` or lost).
    pub overflowed: u64,
    /// Patients whose wait in the queue ended (by starting service or reneging).
    pub entered: u64,
    /// Of those, the ones who waited more than zero.
    pub waited: u64,
    /// Sum of their waits.
    pub wait_sum: f64,
    /// Distribution of their waits.
    pub waits: WaitHistogram,
    /// Patients who gave up waiting.
    pub reneged: u64,
    /// Patients who finished service and left the node.
    pub completions: u64,
    /// Sum of their service times.
    pub service_sum: f64,
    /// Sum of the time they spent blocked after service.
    pub blocked_sum: f64,
    /// Time spent with exactly k places in use (blocked places included), indexed by k.
    pub time_at_level: Vec<f64>,
    /// Integral over the observation window of the number of patients in the queue.
    pub queue_area: f64,
    /// Integral over the observation window of the number of patients held upstream, having
    /// finished service elsewhere, waiting for a place here.
    pub blocked_waiting_area: f64,
    /// Per cohort (indexed by cohort), when the network has more than one.
    pub by_cohort: Vec<CohortRecord>,
}

impl NodeRecord {
    /// An empty record, keeping figures by cohort when there are `cohorts` > 1.
    pub fn new(cohorts: usize) -> NodeRecord {
        NodeRecord {
            by_cohort: if cohorts > 1 {
                vec![CohortRecord::default(); cohorts]
            } else {
                Vec::new()
            },
            ..NodeRecord::default()
        }
    }

    /// Adds `duration` to the time spent at occupancy `level`.
    #[inline]
    pub fn add_time_at_level(&mut self, level: u32, duration: f64) {
        let level = level as usize;
        if level >= self.time_at_level.len() {
            self.time_at_level.resize(level + 1, 0.0);
        }
        self.time_at_level[level] += duration;
    }

    /// Records one completed wait in the queue of a patient of `cohort`.
    #[inline]
    pub fn add_wait(&mut self, wait: f64, cohort: u16) {
        self.entered += 1;
        if wait > 0.0 {
            self.waited += 1;
            self.wait_sum += wait;
        }
        self.waits.add(wait);
        if let Some(record) = self.by_cohort.get_mut(cohort as usize) {
            record.entered += 1;
            record.wait_sum += wait;
        }
    }

    /// Records one arrival of a patient of `cohort`.
    #[inline]
    pub fn add_arrival(&mut self, cohort: u16) {
        self.arrivals += 1;
        if let Some(record) = self.by_cohort.get_mut(cohort as usize) {
            record.arrivals += 1;
        }
    }

    /// Records one completion of `service` days (then `blocked` days blocked) of a patient of
    /// `cohort`.
    #[inline]
    pub fn add_completion(&mut self, service: f64, blocked: f64, cohort: u16) {
        self.completions += 1;
        self.service_sum += service;
        self.blocked_sum += blocked;
        if let Some(record) = self.by_cohort.get_mut(cohort as usize) {
            record.completions += 1;
            record.service_sum += service;
        }
    }
}

/// A histogram of non-negative durations with buckets 1/64 of an octave wide (relative error below
/// 1.1 %), covering 2^-20 days (about 0.08 s) to 2^30 days; zeros are counted apart. Only the
/// buckets from the lowest to the highest seen are held, in a buffer of exactly that size, with
/// 16-bit counts that note where they wrap: a service whose waits span a few octaves holds a few
/// hundred small counts, not the thousands below them, and a network of many services keeps its
/// histograms in cache.
#[derive(Clone, Debug, Default)]
pub struct WaitHistogram {
    zeros: u64,
    /// The bucket that `counts[0]` counts.
    first: usize,
    counts: Vec<u16>,
    /// A bucket for each time its count went past `u16::MAX` and started again from zero (each
    /// time 2^16 counts): a few entries for the busiest buckets of a long run.
    wrapped: Vec<usize>,
}

const SUB_BUCKET_BITS: u32 = 6;
const MIN_EXPONENT: i32 = -20;
const MAX_EXPONENT: i32 = 30;

impl WaitHistogram {
    fn bucket(value: f64) -> usize {
        let bits = value.to_bits();
        let exponent = ((bits >> 52) & 0x7ff) as i32 - 1023;
        if exponent < MIN_EXPONENT {
            return 0;
        }
        let exponent = exponent.min(MAX_EXPONENT - 1);
        let sub_bucket = (bits >> (52 - SUB_BUCKET_BITS)) & ((1 << SUB_BUCKET_BITS) - 1);
        ((exponent - MIN_EXPONENT) as usize) << SUB_BUCKET_BITS | sub_bucket as usize
    }

    fn bucket_midpoint(bucket: usize) -> f64 {
        let exponent = (bucket >> SUB_BUCKET_BITS) as i32 + MIN_EXPONENT;
        let sub_bucket = (bucket & ((1 << SUB_BUCKET_BITS) - 1)) as f64;
        let width = 1.0 / f64::from(1u32 << SUB_BUCKET_BITS);
        2f64.powi(exponent) * (1.0 + (sub_bucket + 0.5) * width)
    }

    /// Counts one value.
    #[inline]
    pub fn add(&mut self, value: f64) {
        if value <= 0.0 {
            self.zeros += 1;
            return;
        }
        let bucket = Self::bucket(value);
        if bucket.wrapping_sub(self.first) >= self.counts.len() {
            self.widen(bucket);
        }
        let count = &mut self.counts[bucket - self.first];
        *count = count.wrapping_add(1);
        if *count == 0 {
            self.wrapped.push(bucket);
        }
    }

    /// Holds the buckets from the least to the greatest seen, `bucket` among them, in a new buffer
    /// of exactly that size (growing by doubling would hold up to twice what is counted).
    #[cold]
    #[inline(never)]
    fn widen(&mut self, bucket: usize) {
        if self.counts.is_empty() {
            self.first = bucket;
        }
        let first = self.first.min(bucket);
        let end = (self.first + self.counts.len()).max(bucket + 1);
        let mut counts = Vec::with_capacity(end - first);
        counts.resize(self.first - first, 0);
        counts.extend_from_slice(&self.counts);
        counts.resize(end - first, 0);
        self.counts = counts;
        self.first = first;
    }

    /// The `q`-quantile (0 to 1) by the nearest-rank rule, or `None` when nothing was counted.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let mut counts: Vec<u64> = self.counts.iter().map(|&count| u64::from(count)).collect();
        for &bucket in &self.wrapped {
            counts[bucket - self.first] += 1 << 16;
        }
        let total = self.zeros + counts.iter().sum::<u64>();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        if rank <= self.zeros {
            return Some(0.0);
        }
        let mut seen = self.zeros;
        for (index, count) in counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(Self::bucket_midpoint(self.first + index));
            }
        }
        unreachable!("rank is at most the total count")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_within_bucket_precision() {
        let mut histogram = WaitHistogram::default();
        for _ in 0..50 {
            histogram.add(0.0);
        }
        for i in 1..=50 {
            histogram.add(f64::from(i) / 10.0);
        }
        assert_eq!(histogram.quantile(0.5), Some(0.0));
        let p90 = histogram.quantile(0.9).unwrap();
        assert!((p90 - 4.0).abs() / 4.0 < 0.011, "p90 {p90}");
        assert_eq!(WaitHistogram::default().quantile(0.9), None);
    }

    #[test]
    fn histogram_holds_only_the_buckets_between_the_least_and_the_greatest_seen() {
        let mut histogram = WaitHistogram::default();
        histogram.add(1.0);
        assert_eq!(histogram.counts.len(), 1);
        // Two octaves below and one above: 3 × 64 buckets and the one of 2.0 (2^1 exactly).
        histogram.add(0.25);
        histogram.add(2.0);
        assert_eq!(histogram.counts.len(), 3 * 64 + 1);
        assert_eq!(histogram.quantile(0.0), Some(0.25 * (1.0 + 0.5 / 64.0)));
        assert_eq!(histogram.quantile(0.5), Some(1.0 + 0.5 / 64.0));
        assert_eq!(histogram.quantile(1.0), Some(2.0 * (1.0 + 0.5 / 64.0)));
        assert_eq!(histogram.counts.capacity(), histogram.counts.len());
    }

    #[test]
    fn histogram_counts_past_16_bits() {
        let mut histogram = WaitHistogram::default();
        histogram.add(1.0);
        histogram.add(2.0);
        for _ in 1..3 * (1 << 16) {
            histogram.add(1.0);
        }
        assert_eq!(histogram.wrapped, [histogram.first; 3]);
        // 3 × 2^16 waits of 1.0 and one of 2.0: rank 3 × 2^16 is the last 1.0 only if every wrap
        // is counted.
        let total = f64::from(3 * (1 << 16) + 1);
        assert_eq!(histogram.quantile((total - 1.0) / total), Some(1.0 + 0.5 / 64.0));
        assert_eq!(
            histogram.quantile((total - 0.5) / total),
            Some(2.0 * (1.0 + 0.5 / 64.0))
        );
    }
}
