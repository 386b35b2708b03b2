//! The event calendar and the simulation clock.
//!
//! Knows nothing about patients, wards or staff, does no IO and no serde. Time is a count of days
//! since the start of the simulation, as an `f64`. Events due at the same time come out in the
//! order they were scheduled (insertion sequence), so ties never consume random draws and a run is
//! reproducible whatever the events are.

/// The key of a pending event: the due time's bits (high half; times are finite and
/// non-negative, so their bits order like the times) above the insertion sequence (low half), so
/// that ordering by (time, sequence) is one integer comparison.
type Key = u128;

/// The key of no event: above every real key, as no finite time has these bits.
const NO_EVENT: Key = Key::MAX;

fn time_of(key: Key) -> f64 {
    f64::from_bits((key >> 64) as u64)
}

/// The first of two (index, key) pairs with the smaller key, or the first on a tie.
#[inline(always)]
fn least(a: (usize, Key), b: (usize, Key)) -> (usize, Key) {
    if b.1 < a.1 {
        b
    } else {
        a
    }
}

/// Children per node of the heap: four 16-byte keys share one or two cache lines, and the heap is
/// half as deep as a binary one, which matters once thousands of events are pending.
const ARITY: usize = 4;

/// A future-event list: schedule events at times, take them out in (time, insertion) order.
///
/// Events are kept in `LANES` heaps that share one insertion sequence, so the order across lanes
/// is exactly the order one heap would give. A lane for events that each schedule their own
/// successor (one pending arrival per source) keeps them out of the heap of everything else, which
/// is then smaller and churned half as often.
///
/// The event taken out last stays at the root of its lane until the next call: an event usually
/// schedules another, which, in the same lane, then replaces it with one sift down instead of a
/// sift down and a sift up. This is the hottest loop of every simulation.
pub struct Calendar<E, const LANES: usize = 1> {
    lanes: [Heap<E>; LANES],
    /// The lane whose root is the event last taken out, not yet removed.
    taken_from: Option<usize>,
    next_sequence: u64,
    now: f64,
}

impl<E: Copy, const LANES: usize> Default for Calendar<E, LANES> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy, const LANES: usize> Calendar<E, LANES> {
    /// An empty calendar with the clock at day 0.
    pub fn new() -> Self {
        Calendar {
            lanes: std::array::from_fn(|_| Heap {
                keys: Vec::new(),
                events: Vec::new(),
            }),
            taken_from: None,
            next_sequence: 0,
            now: 0.0,
        }
    }

    /// The current simulation time: the time of the event last taken out.
    #[inline]
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Schedules `event` at `time` in the first lane; see [`Calendar::schedule_in`].
    #[inline]
    pub fn schedule(&mut self, time: f64, event: E) {
        self.schedule_in(0, time, event);
    }

    /// Schedules `event` at `time`, which must not be earlier than [`Calendar::now`], in `lane`.
    #[inline(always)]
    pub fn schedule_in(&mut self, lane: usize, time: f64, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        debug_assert!(time.is_finite(), "event scheduled at a non-finite time");
        // `+ 0.0` turns -0.0 into 0.0, whose bits would otherwise sort after every positive time.
        let bits = (time + 0.0).to_bits();
        let key = (Key::from(bits) << 64) | Key::from(self.next_sequence);
        self.next_sequence += 1;
        if self.taken_from == Some(lane) {
            self.taken_from = None;
            self.lanes[lane].replace_root(key, event);
        } else {
            self.lanes[lane].push(key, event);
        }
    }

    /// Takes out the next event if it is due before `until`, advancing the clock to its time.
    #[inline(always)]
    pub fn next_before(&mut self, until: f64) -> Option<E> {
        if let Some(lane) = self.taken_from.take() {
            self.lanes[lane].remove_root();
        }
        let (lane, key) = (1..LANES).fold((0, self.lanes[0].root_key()), |best, lane| {
            least(best, (lane, self.lanes[lane].root_key()))
        });
        if key == NO_EVENT || time_of(key) >= until {
            return None;
        }
        self.taken_from = Some(lane);
        self.now = time_of(key);
        Some(self.lanes[lane].events[0])
    }

    /// The number of events waiting in the calendar.
    pub fn len(&self) -> usize {
        self.lanes.iter().map(|heap| heap.events.len()).sum::<usize>() - usize::from(self.taken_from.is_some())
    }

    /// Whether no events are waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An implicit 4-ary min-heap, written out rather than `std`'s `BinaryHeap`: entries are moved
/// through a hole (one write per level, not a swap) and the comparison is one instruction.
///
/// Keys and events are kept apart, so a sift compares keys packed four to 64 bytes. The keys run
/// on past the last event with `NO_EVENT`, at least `ARITY - 1` of them, so that every node with
/// a child has `ARITY` keys below it: a sift down always compares four, with no branch on how many
/// children there are.
struct Heap<E> {
    keys: Vec<Key>,
    events: Vec<E>,
}

impl<E: Copy> Heap<E> {
    /// The key of the root, or `NO_EVENT` when the heap is empty.
    #[inline(always)]
    fn root_key(&self) -> Key {
        self.keys.first().copied().unwrap_or(NO_EVENT)
    }

    /// Adds an event at the bottom and moves it up to its place.
    #[inline]
    fn push(&mut self, key: Key, event: E) {
        let mut hole = self.events.len();
        self.events.push(event);
        if self.keys.len() < hole + ARITY {
            self.keys.resize(hole + ARITY, NO_EVENT);
        }
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            if self.keys[parent] <= key {
                break;
            }
            self.keys[hole] = self.keys[parent];
            self.events[hole] = self.events[parent];
            hole = parent;
        }
        self.keys[hole] = key;
        self.events[hole] = event;
    }

    /// Drops the root.
    #[inline]
    fn remove_root(&mut self) {
        let last = self.events.len() - 1;
        let (key, event) = (std::mem::replace(&mut self.keys[last], NO_EVENT), self.events[last]);
        self.events.pop();
        if last > 0 {
            self.replace_root(key, event);
        }
    }

    /// Puts an event in place of the root (which is dropped) and moves it down to its place.
    #[inline]
    fn replace_root(&mut self, key: Key, event: E) {
        let len = self.events.len();
        let mut hole = 0;
        loop {
            let first_child = ARITY * hole + 1;
            if first_child >= len {
                break;
            }
            let [a, b, c, d] = self.keys[first_child..first_child + ARITY] else {
                unreachable!("keys run on ARITY - 1 past the last event")
            };
            // Written as selections the compiler may turn into conditional moves: which child is
            // least is a coin toss the branch predictor would lose half the time.
            let (left, left_key) = least((0, a), (1, b));
            let (right, right_key) = least((2, c), (3, d));
            let (child, child_key) = least((left, left_key), (right, right_key));
            if key <= child_key {
                break;
            }
            let child = first_child + child;
            self.keys[hole] = child_key;
            self.events[hole] = self.events[child];
            hole = child;
        }
        self.keys[hole] = key;
        self.events[hole] = event;
    }
}

/// A civil date (proleptic Gregorian), used to map simulated days onto weekdays and months.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date {
    /// The year, e.g. 2025.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting impossible dates such as 2025-02-30.
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        if parts.next().is_some() || !(1..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 {
            return None;
        }
        let date = Date { year, month, day };
        (day <= date.days_in_month()).then_some(date)
    }

    fn days_in_month(self) -> u32 {
        match self.month {
            4 | 6 | 9 | 11 => 30,
            2 if self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0) => 29,
            2 => 28,
            _ => 31,
        }
    }

    /// The first day of this date's month.
    pub fn first_of_month(self) -> Date {
        Date { day: 1, ..self }
    }

    /// The first day of the following month.
    pub fn first_of_next_month(self) -> Date {
        match self.month {
            12 => Date {
                year: self.year + 1,
                month: 1,
                day: 1,
            },
            month => Date {
                year: self.year,
                month: month + 1,
                day: 1,
            },
        }
    }

    /// Days since 1970-01-01 (negative before it), by Howard Hinnant's `days_from_civil`.
    pub fn days_since_epoch(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i64::from(self.month);
        let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` after 1970-01-01, by Howard Hinnant's `civil_from_days`.
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
        let month = if shifted_month < 10 {
            shifted_month + 3
        } else {
            shifted_month - 9
        } as u32;
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Date {
            year: year as i32,
            month,
            day,
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Maps simulation time (days since the start) onto the wall calendar.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start_epoch_day: i64,
}

impl Clock {
    /// A clock whose day 0 begins at midnight on `start`.
    pub fn starting(start: Date) -> Clock {
        Clock {
            start_epoch_day: start.days_since_epoch(),
        }
    }

    fn epoch_day(&self, time: f64) -> i64 {
        self.start_epoch_day + time.floor() as i64
    }

    /// The hour of the day, 0 to 23.
    pub fn hour(&self, time: f64) -> usize {
        ((time - time.floor()) * 24.0) as usize % 24
    }

    /// The day of the week, 0 = Monday to 6 = Sunday.
    pub fn weekday(&self, time: f64) -> usize {
        // 1970-01-01 was a Thursday (index 3).
        (self.epoch_day(time) + 3).rem_euclid(7) as usize
    }

    /// The calendar date of simulation day `time`.
    pub fn date(&self, time: f64) -> Date {
        Date::from_days_since_epoch(self.epoch_day(time))
    }

    /// The simulation time at which `date` begins (may be negative if before the start).
    pub fn time_of(&self, date: Date) -> f64 {
        (date.days_since_epoch() - self.start_epoch_day) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_come_out_in_insertion_order() {
        let mut calendar: Calendar<char> = Calendar::new();
        calendar.schedule(2.0, 'c');
        calendar.schedule(1.0, 'a');
        calendar.schedule(1.0, 'b');
        calendar.schedule(2.0, 'd');
        let mut order = String::new();
        while let Some(event) = calendar.next_before(f64::INFINITY) {
            order.push(event);
        }
        assert_eq!(order, "abcd");
    }

    #[test]
    fn interleaved_scheduling_in_lanes_comes_out_sorted_by_time_then_insertion() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut calendar: Calendar<u32, 3> = Calendar::new();
        let mut expected = Vec::new();
        let mut taken = Vec::new();
        let mut scheduled = 0u32;
        for _ in 0..2_000 {
            for _ in 0..rng.random_range(0..4) {
                // Coarse times so that many tie; -0.0 must sort with 0.0.
                let offset = f64::from(rng.random_range(0..8u8)) * 0.5;
                let time = if offset == 0.0 && calendar.now() == 0.0 {
                    -0.0
                } else {
                    calendar.now() + offset
                };
                calendar.schedule_in(rng.random_range(0..3), time, scheduled);
                expected.push((time + 0.0, scheduled));
                scheduled += 1;
            }
            if let Some(event) = calendar.next_before(f64::INFINITY) {
                taken.push((calendar.now(), event));
            }
        }
        while let Some(event) = calendar.next_before(f64::INFINITY) {
            taken.push((calendar.now(), event));
        }
        assert!(taken.windows(2).all(|w| w[0] < w[1]), "not in (time, insertion) order");
        expected.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(taken, expected);
    }

    #[test]
    fn events_at_or_after_the_limit_stay() {
        let mut calendar: Calendar<u8, 2> = Calendar::new();
        calendar.schedule_in(1, 5.0, 1);
        assert_eq!(calendar.next_before(5.0), None);
        assert_eq!(calendar.len(), 1);
        assert_eq!(calendar.next_before(5.5), Some(1));
        assert_eq!(calendar.now(), 5.0);
        assert_eq!(calendar.len(), 0);
        assert!(calendar.is_empty());
    }

    #[test]
    fn dates_round_trip_and_know_their_weekday() {
        let start = Date::parse("2025-04-01").unwrap();
        let clock = Clock::starting(start);
        assert_eq!(clock.weekday(0.0), 1, "1 April 2025 was a Tuesday");
        assert_eq!(clock.date(30.0), Date::parse("2025-05-01").unwrap());
        assert_eq!(clock.date(365.0), Date::parse("2026-04-01").unwrap());
        assert_eq!(clock.hour(2.5), 12);
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(Date::parse("2025-02-29"), None);
        assert_eq!(Date::parse("2025-4"), None);
        assert_eq!(
            Date::parse("2025-12-17").unwrap().first_of_next_month(),
            Date::parse("2026-01-01").unwrap()
        );
        assert_eq!(
            Date::parse("2025-04-17").unwrap().first_of_month(),
            Date::parse("2025-04-01").unwrap()
        );
        for day in -1000..1000 {
            assert_eq!(Date::from_days_since_epoch(day).days_since_epoch(), day);
        }
    }
}
