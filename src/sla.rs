//! SLA arithmetic: when a ticket's first response is due, how far along it is, and how
//! much time is left. Pure functions of their arguments: the caller passes `now`, nothing
//! here reads the system clock.
//!
//! Two clocks. [`Clock::Calendar`] counts every second (a 24-hour SLA is due 24 hours
//! later). [`Clock::Business`] counts only the open hours of a weekly schedule in one time
//! zone, skipping closed days and holidays. Days are walked as civil dates and each opening
//! and closing time is converted to an instant in the time zone, so a DST change never
//! shifts the hours; the open time between an opening and a closing is the real elapsed
//! time (a 00:00-24:00 day on a spring-forward Sunday has 23 hours).

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// Opening hours per weekday, Monday first (index 0) to Sunday (index 6): `None` is closed.
///
/// A closing time of `00:00` means midnight at the end of that day (written `24:00` in
/// [`parse_weekly`]), so `(00:00, 00:00)` is open all day. Otherwise the closing time must
/// be after the opening time; an entry that is not is treated as closed.
pub type Weekly = [Option<(Time, Time)>; 7];

/// Open hours of the support desk.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    /// The zone the opening hours and holidays are read in.
    pub time_zone: TimeZone,
    /// Monday..Sunday, open-close; see [`Weekly`].
    pub weekly: Weekly,
    /// Whole days closed, as civil dates in `time_zone`.
    pub holidays: Vec<Date>,
}

/// What counts towards an SLA budget.
#[derive(Debug, Clone, PartialEq)]
pub enum Clock {
    /// Every second counts.
    Calendar,
    /// Only open hours count.
    Business(BusinessHours),
}

impl Clock {
    /// Whether only open hours count (a schedule with none counts every second, see [`due`]).
    pub fn counts_business_hours(&self) -> bool {
        matches!(self, Clock::Business(hours) if hours.has_open_hours())
    }
}

/// When a budget started at `start` runs out.
///
/// With [`Clock::Calendar`] this is `start + budget`. With [`Clock::Business`] only open
/// hours count: a start outside hours starts the clock at the next opening, and a budget
/// that runs out exactly at a closing time is due at that closing time (not at the next
/// opening). A budget of zero or less is due at `start`.
///
/// A schedule with no open hours at all would never come due; it is treated as
/// [`Clock::Calendar`], so a misconfiguration cannot silence the SLA. Results beyond the
/// range of dates jiff supports saturate at [`Timestamp::MAX`].
pub fn due(start: Timestamp, budget: SignedDuration, clock: &Clock) -> Timestamp {
    let hours = match clock {
        Clock::Business(_) if !budget.is_positive() => return start,
        Clock::Business(hours) if hours.has_open_hours() => hours,
        _ => return add(start, budget),
    };
    let mut remaining = budget;
    for (open, close) in hours.open_intervals(start) {
        let available = close.duration_since(open);
        if remaining <= available {
            return add(open, remaining);
        }
        remaining -= available;
    }
    Timestamp::MAX
}

/// The open time between `from` and `to` (zero when `to <= from`): all of it with
/// [`Clock::Calendar`], only open hours with [`Clock::Business`].
pub fn open_time(from: Timestamp, to: Timestamp, clock: &Clock) -> SignedDuration {
    if to <= from {
        return SignedDuration::ZERO;
    }
    let hours = match clock {
        Clock::Business(hours) if hours.has_open_hours() => hours,
        _ => return to.duration_since(from),
    };
    let mut total = SignedDuration::ZERO;
    for (open, close) in hours.open_intervals(from) {
        if open >= to {
            break;
        }
        total += close.min(to).duration_since(open);
    }
    total
}

/// How much of the time from `start` to `due` has passed at `now`, as calendar time: 0.0 at
/// (or before) `start`, 0.5 half-way, 1.0 at `due`, more than 1.0 when overdue.
///
/// A window of zero or negative length is 0.0 before `due` and 1.0 from `due` on. With a
/// business clock the calendar fraction runs ahead of the business one over closed hours,
/// so a warning based on it comes early, never late.
pub fn elapsed_fraction(start: Timestamp, due: Timestamp, now: Timestamp) -> f64 {
    let window = due.duration_since(start);
    if !window.is_positive() {
        return if now >= due { 1.0 } else { 0.0 };
    }
    let elapsed = now.duration_since(start);
    if elapsed.is_negative() {
        return 0.0;
    }
    elapsed.as_secs_f64() / window.as_secs_f64()
}

/// `(warn, breached)` at `now`: `warn` once [`elapsed_fraction`] reaches `warn_at` (for
/// example 0.75), `breached` once `now` reaches `due`. A breached SLA is also warned.
pub fn thresholds_crossed(start: Timestamp, due: Timestamp, now: Timestamp, warn_at: f64) -> (bool, bool) {
    let breached = now >= due;
    (breached || elapsed_fraction(start, due, now) >= warn_at, breached)
}

/// Time left until `due`, for display.
///
/// Before `due` this is the open time left on `clock` ([`open_time`]: with a business
/// clock, "2h left" on a Friday evening means two working hours on Monday). At or after
/// `due` it is the negative calendar time since `due` ("overdue by 18h" even over a
/// weekend), because how long the customer has waited is what matters once it is late.
pub fn time_left(now: Timestamp, due: Timestamp, clock: &Clock) -> SignedDuration {
    if now < due { open_time(now, due, clock) } else { due.duration_since(now) }
}

/// Parses opening hours such as `"mon-fri 09:00-18:00"` or
/// `"mon-fri 09:00-18:00, sat 10:00-14:00"`.
///
/// Entries are separated by commas; each is a day or a day range (`mon`..`sun`, or full
/// names, any case) and a time range `HH:MM-HH:MM`, where the closing time may be `24:00`.
/// Days not named are closed. The error names the part that is wrong.
pub fn parse_weekly(spec: &str) -> Result<Weekly, String> {
    let mut weekly: Weekly = [None; 7];
    let mut seen = [false; 7];
    if spec.trim().is_empty() {
        return Err("opening hours are empty; write for example \"mon-fri 09:00-18:00\"".into());
    }
    for entry in spec.split(',') {
        let entry = entry.trim();
        let mut parts = entry.split_whitespace();
        let (Some(days), Some(times), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("\"{entry}\": expected days and hours, for example \"mon-fri 09:00-18:00\""));
        };
        let (first, last) = match days.split_once('-') {
            Some((a, b)) => (weekday(a)?, weekday(b)?),
            None => (weekday(days)?, weekday(days)?),
        };
        if first > last {
            return Err(format!("\"{days}\": the day range runs backwards (write it Monday to Sunday)"));
        }
        let Some((open, close)) = times.split_once('-') else {
            return Err(format!("\"{times}\": expected hours as HH:MM-HH:MM"));
        };
        let (open, open_is_24) = clock_time(open)?;
        let (close, close_is_24) = clock_time(close)?;
        if open_is_24 {
            return Err(format!("\"{times}\": opening time 24:00 is not a time of day"));
        }
        if !close_is_24 && close <= open {
            return Err(format!("\"{times}\": closing time must be after opening time"));
        }
        for day in first..=last {
            if seen[day] {
                return Err(format!("\"{entry}\": {} is given more than once", DAYS[day]));
            }
            seen[day] = true;
            weekly[day] = Some((open, close));
        }
    }
    Ok(weekly)
}

const DAYS: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Index 0 (Monday) to 6 (Sunday) of a day name or its three-letter abbreviation.
fn weekday(name: &str) -> Result<usize, String> {
    let lower = name.to_ascii_lowercase();
    DAYS.iter()
        .position(|day| *day == lower || (lower.len() == 3 && day.starts_with(&lower)))
        .ok_or_else(|| format!("\"{name}\": not a day (mon, tue, wed, thu, fri, sat, sun)"))
}

/// `HH:MM` as a time, and whether it was `24:00` (returned as 00:00).
fn clock_time(text: &str) -> Result<(Time, bool), String> {
    let bad = || format!("\"{text}\": not a time (expected HH:MM, 00:00 to 24:00)");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.is_empty()
        || h.len() > 2
        || m.len() != 2
        || !(h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if (h, m) == (24, 0) {
        return Ok((Time::midnight(), true));
    }
    Time::new(h, m, 0, 0).map(|t| (t, false)).map_err(|_| bad())
}

impl BusinessHours {
    /// Whether any weekday has a usable opening; without one no budget could ever run out.
    fn has_open_hours(&self) -> bool {
        self.weekly.iter().flatten().any(|&(open, close)| open < close || close == Time::midnight())
    }

    /// The open intervals from `from` on, in order, the first clipped to start at `from`.
    /// Ends only when the dates run out of jiff's range.
    fn open_intervals(&self, from: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let first = self.time_zone.to_datetime(from).date();
        std::iter::successors(Some(first), |day| day.tomorrow().ok()).filter_map(move |day| {
            if self.holidays.contains(&day) {
                return None;
            }
            let (open, close) = self.weekly[day.weekday().to_monday_zero_offset() as usize]?;
            let close_at = if close == Time::midnight() {
                day.tomorrow().ok()?.to_datetime(Time::midnight())
            } else if open < close {
                day.to_datetime(close)
            } else {
                return None;
            };
            let open = self.time_zone.to_timestamp(day.to_datetime(open)).ok()?.max(from);
            let close = self.time_zone.to_timestamp(close_at).ok()?;
            (open < close).then_some((open, close))
        })
    }
}

/// `start + d`, saturating at the ends of the supported range.
fn add(start: Timestamp, d: SignedDuration) -> Timestamp {
    start.saturating_add(d).unwrap_or(if d.is_negative() { Timestamp::MIN } else { Timestamp::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    /// A civil datetime such as `2026-03-06T17:00`, read in `zone`.
    fn at(zone: &str, civil: &str) -> Timestamp {
        TimeZone::get(zone).unwrap().to_timestamp(civil.parse().unwrap()).unwrap()
    }

    fn utc(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    fn office(zone: &str, spec: &str, holidays: &[Date]) -> Clock {
        Clock::Business(BusinessHours {
            time_zone: TimeZone::get(zone).unwrap(),
            weekly: parse_weekly(spec).unwrap(),
            holidays: holidays.to_vec(),
        })
    }

    fn nine_to_six(zone: &str) -> Clock {
        office(zone, "mon-fri 09:00-18:00", &[])
    }

    // --- calendar clock ---

    #[test]
    fn calendar_24h_is_due_24_hours_later() {
        let start = utc("2026-05-04T10:15:00Z");
        assert_eq!(due(start, hours(24), &Clock::Calendar), utc("2026-05-05T10:15:00Z"));
    }

    #[test]
    fn calendar_24h_across_dst_is_24_real_hours() {
        // 2026-03-08 has 23 hours in New York; the calendar clock counts elapsed time.
        let start = at("America/New_York", "2026-03-07T12:00");
        assert_eq!(due(start, hours(24), &Clock::Calendar), at("America/New_York", "2026-03-08T13:00"));
    }

    #[test]
    fn calendar_due_saturates_instead_of_overflowing() {
        assert_eq!(due(utc("2026-01-01T00:00:00Z"), SignedDuration::MAX, &Clock::Calendar), Timestamp::MAX);
    }

    // --- business clock ---

    #[test]
    fn business_budget_within_the_same_day() {
        let clock = nine_to_six("UTC");
        assert_eq!(due(utc("2026-05-04T10:00:00Z"), hours(3), &clock), utc("2026-05-04T13:00:00Z"));
    }

    #[test]
    fn business_budget_ending_exactly_at_closing_is_due_at_closing() {
        let clock = nine_to_six("UTC");
        assert_eq!(due(utc("2026-05-04T10:00:00Z"), hours(8), &clock), utc("2026-05-04T18:00:00Z"));
    }

    #[test]
    fn business_24h_budget_spans_three_working_days() {
        // 9 h Monday + 9 h Tuesday + 6 h Wednesday.
        let clock = nine_to_six("UTC");
        assert_eq!(due(utc("2026-05-04T09:00:00Z"), hours(24), &clock), utc("2026-05-06T15:00:00Z"));
    }

    #[test]
    fn business_clock_skips_the_weekend() {
        // Friday 2026-05-08 16:00: 2 h left on Friday, 1 h on Monday.
        let clock = nine_to_six("Europe/Berlin");
        let start = at("Europe/Berlin", "2026-05-08T16:00");
        assert_eq!(due(start, hours(3), &clock), at("Europe/Berlin", "2026-05-11T10:00"));
    }

    #[test]
    fn business_clock_skips_a_holiday() {
        // Friday 2026-05-01 is a holiday: Thursday 17:00 + 2 h is Monday 10:00.
        let clock = office("Europe/Berlin", "mon-fri 09:00-18:00", &[date(2026, 5, 1)]);
        let start = at("Europe/Berlin", "2026-04-30T17:00");
        assert_eq!(due(start, hours(2), &clock), at("Europe/Berlin", "2026-05-04T10:00"));
    }

    #[test]
    fn business_clock_skips_a_holiday_on_monday_after_a_weekend() {
        let clock = office("UTC", "mon-fri 09:00-18:00", &[date(2026, 5, 25)]);
        assert_eq!(due(utc("2026-05-22T17:00:00Z"), hours(2), &clock), utc("2026-05-26T10:00:00Z"));
    }

    #[test]
    fn start_before_opening_starts_the_clock_at_opening() {
        let clock = nine_to_six("UTC");
        assert_eq!(due(utc("2026-05-04T06:30:00Z"), hours(2), &clock), utc("2026-05-04T11:00:00Z"));
    }

    #[test]
    fn start_after_closing_starts_the_clock_next_morning() {
        let clock = nine_to_six("UTC");
        assert_eq!(due(utc("2026-05-04T21:00:00Z"), hours(2), &clock), utc("2026-05-05T11:00:00Z"));
    }

    #[test]
    fn start_on_a_saturday_starts_the_clock_on_monday() {
        let clock = nine_to_six("Asia/Shanghai");
        let start = at("Asia/Shanghai", "2026-05-09T11:00");
        assert_eq!(due(start, hours(1), &clock), at("Asia/Shanghai", "2026-05-11T10:00"));
    }

    #[test]
    fn saturday_hours_count_when_configured() {
        let clock = office("UTC", "mon-fri 09:00-18:00, sat 10:00-14:00", &[]);
        // Friday 17:00: 1 h Friday, 4 h Saturday, 1 h Monday.
        assert_eq!(due(utc("2026-05-08T17:00:00Z"), hours(6), &clock), utc("2026-05-11T10:00:00Z"));
    }

    #[test]
    fn new_york_spring_forward_keeps_monday_opening_at_nine_local() {
        // DST starts Sunday 2026-03-08. Friday 17:00 EST (22:00Z) + 2 business hours is
        // Monday 10:00 EDT = 14:00Z; adding fixed 24 h days in UTC would give 15:00Z.
        let clock = nine_to_six("America/New_York");
        let start = at("America/New_York", "2026-03-06T17:00");
        assert_eq!(start, utc("2026-03-06T22:00:00Z"));
        assert_eq!(due(start, hours(2), &clock), utc("2026-03-09T14:00:00Z"));
    }

    #[test]
    fn new_york_fall_back_keeps_monday_opening_at_nine_local() {
        // DST ends Sunday 2026-11-01. Friday 17:00 EDT (21:00Z) + 2 h is Monday 10:00 EST.
        let clock = nine_to_six("America/New_York");
        let start = at("America/New_York", "2026-10-30T17:00");
        assert_eq!(start, utc("2026-10-30T21:00:00Z"));
        assert_eq!(due(start, hours(2), &clock), utc("2026-11-02T15:00:00Z"));
    }

    #[test]
    fn berlin_spring_forward_keeps_monday_opening_at_nine_local() {
        // DST starts Sunday 2026-03-29: Friday 17:00 CET (16:00Z) + 2 h is Monday 10:00 CEST.
        let clock = nine_to_six("Europe/Berlin");
        let start = at("Europe/Berlin", "2026-03-27T17:00");
        assert_eq!(start, utc("2026-03-27T16:00:00Z"));
        assert_eq!(due(start, hours(2), &clock), utc("2026-03-30T08:00:00Z"));
    }

    #[test]
    fn berlin_fall_back_keeps_monday_opening_at_nine_local() {
        // DST ends Sunday 2026-10-25: Friday 17:00 CEST (15:00Z) + 2 h is Monday 10:00 CET.
        let clock = nine_to_six("Europe/Berlin");
        let start = at("Europe/Berlin", "2026-10-23T17:00");
        assert_eq!(start, utc("2026-10-23T15:00:00Z"));
        assert_eq!(due(start, hours(2), &clock), utc("2026-10-26T09:00:00Z"));
    }

    #[test]
    fn round_the_clock_hours_count_the_23_hour_spring_forward_day_as_23_hours() {
        let clock = office("America/New_York", "mon-sun 00:00-24:00", &[]);
        let start = at("America/New_York", "2026-03-08T00:00");
        // 23 real hours on Sunday, then one more hour on Monday.
        assert_eq!(due(start, hours(24), &clock), at("America/New_York", "2026-03-09T01:00"));
        assert_eq!(open_time(start, at("America/New_York", "2026-03-09T00:00"), &clock), hours(23));
    }

    #[test]
    fn round_the_clock_hours_count_the_25_hour_fall_back_day_as_25_hours() {
        let clock = office("Europe/Berlin", "mon-sun 00:00-24:00", &[]);
        let start = at("Europe/Berlin", "2026-10-25T00:00");
        // 24 real hours after midnight it is still Sunday, 23:00 local (CET).
        assert_eq!(due(start, hours(24), &clock), at("Europe/Berlin", "2026-10-25T23:00"));
    }

    #[test]
    fn budget_longer_than_a_week() {
        // 60 business hours from Monday 09:00: 45 h the first week, 9 h Monday, 6 h Tuesday.
        let clock = nine_to_six("UTC");
        assert_eq!(due(utc("2026-05-04T09:00:00Z"), hours(60), &clock), utc("2026-05-12T15:00:00Z"));
    }

    #[test]
    fn budget_longer_than_a_week_across_dst_and_a_holiday() {
        // Two weeks from Monday 2026-10-19 09:00 Berlin, with Monday 10-26 a holiday and the
        // DST change on Sunday 10-25 in between: 90 open hours are 10 working days
        // (19-23 Oct, 27-30 Oct, 2 Nov), ending at closing time on Monday 2 November.
        let clock = office("Europe/Berlin", "mon-fri 09:00-18:00", &[date(2026, 10, 26)]);
        let start = at("Europe/Berlin", "2026-10-19T09:00");
        assert_eq!(due(start, hours(90), &clock), at("Europe/Berlin", "2026-11-02T18:00"));
        assert_eq!(due(start, hours(90), &clock), utc("2026-11-02T17:00:00Z"));
    }

    #[test]
    fn zero_budget_is_due_at_start() {
        let start = utc("2026-05-09T11:00:00Z");
        assert_eq!(due(start, SignedDuration::ZERO, &nine_to_six("UTC")), start);
        assert_eq!(due(start, SignedDuration::ZERO, &Clock::Calendar), start);
    }

    #[test]
    fn schedule_without_open_hours_falls_back_to_calendar() {
        let clock =
            Clock::Business(BusinessHours { time_zone: TimeZone::UTC, weekly: [None; 7], holidays: vec![] });
        let start = utc("2026-05-04T10:00:00Z");
        assert_eq!(due(start, hours(24), &clock), utc("2026-05-05T10:00:00Z"));
        let backwards = Clock::Business(BusinessHours {
            time_zone: TimeZone::UTC,
            weekly: [Some((time(18, 0, 0, 0), time(9, 0, 0, 0))); 7],
            holidays: vec![],
        });
        assert_eq!(due(start, hours(24), &backwards), utc("2026-05-05T10:00:00Z"));
    }

    // --- fractions and thresholds ---

    #[test]
    fn elapsed_fraction_is_zero_half_one_and_above_one_when_overdue() {
        let (start, end) = (utc("2026-05-04T00:00:00Z"), utc("2026-05-05T00:00:00Z"));
        assert_eq!(elapsed_fraction(start, end, utc("2026-05-03T12:00:00Z")), 0.0);
        assert_eq!(elapsed_fraction(start, end, start), 0.0);
        assert_eq!(elapsed_fraction(start, end, utc("2026-05-04T12:00:00Z")), 0.5);
        assert_eq!(elapsed_fraction(start, end, end), 1.0);
        assert_eq!(elapsed_fraction(start, end, utc("2026-05-05T12:00:00Z")), 1.5);
    }

    #[test]
    fn elapsed_fraction_of_an_empty_window_jumps_at_due() {
        let t = utc("2026-05-04T00:00:00Z");
        assert_eq!(elapsed_fraction(t, t, utc("2026-05-03T23:00:00Z")), 0.0);
        assert_eq!(elapsed_fraction(t, t, t), 1.0);
    }

    #[test]
    fn thresholds_warn_at_the_fraction_and_breach_at_due() {
        let (start, end) = (utc("2026-05-04T00:00:00Z"), utc("2026-05-05T00:00:00Z"));
        assert_eq!(thresholds_crossed(start, end, utc("2026-05-04T17:59:59Z"), 0.75), (false, false));
        assert_eq!(thresholds_crossed(start, end, utc("2026-05-04T18:00:00Z"), 0.75), (true, false));
        assert_eq!(thresholds_crossed(start, end, end, 0.75), (true, true));
        assert_eq!(thresholds_crossed(start, end, utc("2026-05-06T00:00:00Z"), 0.75), (true, true));
    }

    // --- time left ---

    #[test]
    fn time_left_on_calendar_is_the_plain_difference() {
        let end = utc("2026-05-05T00:00:00Z");
        assert_eq!(time_left(utc("2026-05-04T20:00:00Z"), end, &Clock::Calendar), hours(4));
    }

    #[test]
    fn time_left_on_business_clock_counts_only_open_hours() {
        // Friday 20:00 with the SLA due Monday 11:00: 2 working hours left.
        let clock = nine_to_six("UTC");
        assert_eq!(time_left(utc("2026-05-08T20:00:00Z"), utc("2026-05-11T11:00:00Z"), &clock), hours(2));
    }

    #[test]
    fn time_left_when_overdue_is_negative_calendar_time() {
        let clock = nine_to_six("UTC");
        let end = utc("2026-05-08T18:00:00Z");
        assert_eq!(time_left(utc("2026-05-09T12:00:00Z"), end, &clock), hours(-18));
        assert_eq!(time_left(end, end, &clock), SignedDuration::ZERO);
    }

    #[test]
    fn open_time_and_due_agree() {
        let clock = office("America/New_York", "mon-fri 08:30-17:15, sat 10:00-12:00", &[date(2026, 3, 10)]);
        let start = at("America/New_York", "2026-03-05T16:00");
        for h in [1, 5, 9, 24, 48, 100] {
            assert_eq!(open_time(start, due(start, hours(h), &clock), &clock), hours(h), "{h} h");
        }
    }

    // --- parse_weekly ---

    #[test]
    fn parse_weekly_reads_a_weekday_range() {
        let w = parse_weekly("mon-fri 09:00-18:00").unwrap();
        let hours = Some((time(9, 0, 0, 0), time(18, 0, 0, 0)));
        assert_eq!(w, [hours, hours, hours, hours, hours, None, None]);
    }

    #[test]
    fn parse_weekly_reads_several_entries_full_names_and_24_00() {
        let w = parse_weekly(" Monday-Thu 08:30-17:00 ,FRI 08:30-15:00, sat 10:00-14:00,sun 00:00-24:00")
            .unwrap();
        assert_eq!(w[0], Some((time(8, 30, 0, 0), time(17, 0, 0, 0))));
        assert_eq!(w[3], Some((time(8, 30, 0, 0), time(17, 0, 0, 0))));
        assert_eq!(w[4], Some((time(8, 30, 0, 0), time(15, 0, 0, 0))));
        assert_eq!(w[5], Some((time(10, 0, 0, 0), time(14, 0, 0, 0))));
        assert_eq!(w[6], Some((Time::midnight(), Time::midnight())));
    }

    #[test]
    fn parse_weekly_errors_name_the_bad_part() {
        for (spec, part) in [
            ("", "empty"),
            ("mon-fri", "\"mon-fri\""),
            ("mon-fri 09:00-18:00 extra", "\"mon-fri 09:00-18:00 extra\""),
            ("mon-fry 09:00-18:00", "\"fry\""),
            ("mo 09:00-18:00", "\"mo\""),
            ("fri-mon 09:00-18:00", "\"fri-mon\""),
            ("mon-fri 09:00", "\"09:00\""),
            ("mon-fri 9-18", "\"9\""),
            ("mon-fri 09:00-25:00", "\"25:00\""),
            ("mon-fri 09:60-18:00", "\"09:60\""),
            ("mon-fri 18:00-09:00", "\"18:00-09:00\""),
            ("mon-fri 24:00-24:00", "\"24:00-24:00\""),
            ("mon-fri 09:00-18:00, fri 10:00-14:00", "friday is given more than once"),
            ("mon-fri 09:00-18:00,", "\"\""),
        ] {
            let err = parse_weekly(spec).expect_err(spec);
            assert!(err.contains(part), "{spec:?}: {err}");
        }
    }
}
