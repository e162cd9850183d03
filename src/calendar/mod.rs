//! The working calendar: which instants count towards a deadline.
//!
//! A day is a working day when its weekday is listed in `calendar.weekdays`
//! and it is neither a national holiday nor (unless `cuti_bersama_working`) a
//! cuti bersama day in `calendar/<year>.yaml`. On a working day either the
//! whole day counts (00:00–24:00 local time) or only `working_hours`. So
//! "1 working day" is 24 hours of working-day time, or one day's working
//! hours when working hours are set. All of it in the calendar's time zone.

mod goal;
mod holidays;
mod settings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeDelta, TimeZone as _, Utc,
};
use chrono_tz::Tz;

pub use goal::{Goal, GoalUnit};
pub use holidays::{Holiday, HolidayFile, HolidayKind};
pub use settings::{CalendarOverride, CalendarSettings, MissingYear, TimeZone, WorkingHours};
pub(crate) use settings::{ParseVisitor, deserialize_from_str};

/// The longest stretch searched for working time before giving up (ten years).
const MAX_DAYS: u32 = 3660;

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("cannot read holiday files in {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}{}: {message}\n  each entry needs `date: YYYY-MM-DD`, `name`, `kind: national-holiday` or `kind: cuti-bersama`, and may have `decree` and `estimated: true`",
        path.display(), place(*line, *column)
    )]
    Yaml {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error("{}{}: field `{field}`: {message}", path.display(), place(*line, None))]
    Field {
        path: PathBuf,
        line: Option<usize>,
        field: &'static str,
        message: String,
    },
    #[error(
        "{}{}: field `date`: {date} is not in this file's year; move it to {}",
        path.display(), place(*line, None), expected.display()
    )]
    WrongYear {
        path: PathBuf,
        line: Option<usize>,
        date: NaiveDate,
        expected: PathBuf,
    },
    #[error("{}: holiday files must be named <year>.yaml, e.g. 2026.yaml; rename or remove it", path.display())]
    FileName { path: PathBuf },
    #[error(
        "no holiday file for {year}: add {} with that year's national holidays and cuti bersama (from the SKB 3 Menteri), or set `calendar.missing_year: weekends-only` to count that year without holidays",
        path.display()
    )]
    MissingYear { year: i32, path: PathBuf },
    #[error(
        "no working time within ten years after {from}: check `calendar.weekdays` and the holiday files"
    )]
    NoWorkingTime { from: NaiveDate },
    #[error(
        "`{goal}` counted from {from} does not end within ten years of this calendar's working time: use a shorter goal or longer `working_hours`"
    )]
    GoalTooLong { goal: Goal, from: NaiveDate },
    /// A date or duration beyond what can be computed (a goal built in code
    /// beyond the bounds the settings enforce, or a date near year 262143).
    #[error(
        "`{goal}` counted from {from} ends beyond the dates sms-bcast can compute: goals may be at most a year"
    )]
    OutOfRange { goal: Goal, from: String },
    #[error("{date} is beyond the dates sms-bcast can compute; check the times in the request")]
    DateOutOfRange { date: NaiveDate },
}

fn place(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}

/// The day after `day`, or an error at the end of chrono's calendar.
fn next_day(day: NaiveDate) -> Result<NaiveDate, CalendarError> {
    day.succ_opt()
        .ok_or(CalendarError::DateOutOfRange { date: day })
}

/// The counted part of one day: from, until.
type Span = (DateTime<Utc>, DateTime<Utc>);

/// Settings plus the holiday files of a workspace, ready for deadline arithmetic.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    settings: CalendarSettings,
    dir: PathBuf,
    years: BTreeMap<i32, BTreeMap<NaiveDate, Holiday>>,
}

impl WorkingCalendar {
    /// Reads every `<year>.yaml` in `dir` (a missing directory means no holiday
    /// files; computations then name the file to add).
    pub fn load(dir: &Path, settings: CalendarSettings) -> Result<Self, CalendarError> {
        let mut years = BTreeMap::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(WorkingCalendar::from_years(dir, settings, years));
            }
            Err(source) => {
                return Err(CalendarError::Read {
                    path: dir.to_path_buf(),
                    source,
                });
            }
        };
        for entry in entries {
            let path = entry
                .map_err(|source| CalendarError::Read {
                    path: dir.to_path_buf(),
                    source,
                })?
                .path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let year = holidays::year_of(&path)?;
            let text = std::fs::read_to_string(&path).map_err(|source| CalendarError::Read {
                path: path.clone(),
                source,
            })?;
            years.insert(year, holidays::parse(&path, year, &text)?);
        }
        Ok(WorkingCalendar::from_years(dir, settings, years))
    }

    fn from_years(
        dir: &Path,
        settings: CalendarSettings,
        years: BTreeMap<i32, BTreeMap<NaiveDate, Holiday>>,
    ) -> Self {
        WorkingCalendar {
            settings,
            dir: dir.to_path_buf(),
            years,
        }
    }

    pub fn settings(&self) -> &CalendarSettings {
        &self.settings
    }

    /// Years that have a holiday file.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.keys().copied()
    }

    /// The same holidays with a clock's own time zone or working hours.
    pub fn with_override(&self, o: &CalendarOverride) -> WorkingCalendar {
        let mut cal = self.clone();
        if let Some(tz) = o.time_zone {
            cal.settings.time_zone = tz;
        }
        if let Some(hours) = o.working_hours {
            cal.settings.working_hours = Some(hours);
        }
        cal
    }

    fn tz(&self) -> Tz {
        self.settings.time_zone.0
    }

    /// `t` shown in the calendar's time zone.
    pub fn to_local(&self, t: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        t.with_timezone(&self.tz()).fixed_offset()
    }

    /// The holiday entry for `date`, if any.
    pub fn holiday(&self, date: NaiveDate) -> Option<&Holiday> {
        self.years.get(&date.year())?.get(&date)
    }

    /// Whether `date` (local) counts; errors when its year has no holiday file
    /// and `missing_year` is `error`.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if !self.settings.weekdays.contains(&date.weekday()) {
            return Ok(false);
        }
        let Some(year) = self.years.get(&date.year()) else {
            return match self.settings.missing_year {
                MissingYear::WeekendsOnly => Ok(true),
                MissingYear::Error => Err(CalendarError::MissingYear {
                    year: date.year(),
                    path: holidays::file_for(&self.dir, date.year()),
                }),
            };
        };
        Ok(match year.get(&date).map(|h| h.kind) {
            None => true,
            Some(HolidayKind::NationalHoliday) => false,
            Some(HolidayKind::CutiBersama) => self.settings.cuti_bersama_working,
        })
    }

    /// Length of one working day: 24 h, or the span of the working hours.
    pub fn working_day_length(&self) -> TimeDelta {
        match self.settings.working_hours {
            Some(h) => h.end - h.start,
            None => TimeDelta::days(1),
        }
    }

    /// The goal as an amount of counted time (working time for working goals);
    /// None when it does not fit a `TimeDelta`.
    pub fn goal_length(&self, goal: Goal) -> Option<TimeDelta> {
        let n = i64::from(goal.amount);
        match goal.unit {
            GoalUnit::WorkingDays => self
                .working_day_length()
                .checked_mul(i32::try_from(goal.amount).ok()?),
            GoalUnit::WorkingHours | GoalUnit::Hours => TimeDelta::try_hours(n),
            GoalUnit::WorkingMinutes | GoalUnit::Minutes => TimeDelta::try_minutes(n),
            GoalUnit::Days => TimeDelta::try_days(n),
        }
    }

    /// The instant `goal` is used up when counting starts at `start`.
    pub fn due(
        &self,
        start: DateTime<FixedOffset>,
        goal: Goal,
    ) -> Result<DateTime<FixedOffset>, CalendarError> {
        let out_of_range = || CalendarError::OutOfRange {
            goal,
            from: start.to_rfc3339(),
        };
        let length = self.goal_length(goal).ok_or_else(out_of_range)?;
        if !goal.is_working() {
            let end = start.checked_add_signed(length).ok_or_else(out_of_range)?;
            return Ok(self.to_local(end));
        }
        let start = start.with_timezone(&Utc);
        let first = start.with_timezone(&self.tz()).date_naive();
        let mut left = length;
        let mut day = first;
        let mut worked = false;
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.working_span(day)? {
                let from = open.max(start);
                if from < close {
                    worked = true;
                    if left <= close - from {
                        let end = from.checked_add_signed(left).ok_or_else(out_of_range)?;
                        return Ok(self.to_local(end.fixed_offset()));
                    }
                    left -= close - from;
                }
            }
            day = next_day(day)?;
        }
        Err(if worked {
            CalendarError::GoalTooLong { goal, from: first }
        } else {
            CalendarError::NoWorkingTime { from: first }
        })
    }

    /// Working time between two instants (zero when `end` is not after `start`).
    pub fn elapsed_working(
        &self,
        start: DateTime<FixedOffset>,
        end: DateTime<FixedOffset>,
    ) -> Result<TimeDelta, CalendarError> {
        let (start, end) = (start.with_timezone(&Utc), end.with_timezone(&Utc));
        let mut total = TimeDelta::zero();
        if end <= start {
            return Ok(total);
        }
        let mut day = start.with_timezone(&self.tz()).date_naive();
        let last = end.with_timezone(&self.tz()).date_naive();
        while day <= last {
            if let Some((open, close)) = self.working_span(day)? {
                let (from, to) = (open.max(start), close.min(end));
                if from < to {
                    total += to - from;
                }
            }
            day = next_day(day)?;
        }
        Ok(total)
    }

    /// Time between two instants as `goal` counts it: working time for working
    /// goals, elapsed time otherwise. Negative when `end` is before `start`.
    pub fn counted(
        &self,
        start: DateTime<FixedOffset>,
        end: DateTime<FixedOffset>,
        goal: Goal,
    ) -> Result<TimeDelta, CalendarError> {
        if !goal.is_working() {
            return Ok(end - start);
        }
        if end < start {
            return Ok(-self.elapsed_working(end, start)?);
        }
        self.elapsed_working(start, end)
    }

    /// The counted part of local `day`, as instants, or None on a day off.
    fn working_span(&self, day: NaiveDate) -> Result<Option<Span>, CalendarError> {
        if !self.is_working_day(day)? {
            return Ok(None);
        }
        let (open, close) = match self.settings.working_hours {
            Some(h) => (day.and_time(h.start), day.and_time(h.end)),
            None => {
                let next = next_day(day)?;
                (day.and_time(NaiveTime::MIN), next.and_time(NaiveTime::MIN))
            }
        };
        match (self.instant(open), self.instant(close)) {
            (Some(open), Some(close)) => Ok(Some((open, close))),
            _ => Err(CalendarError::DateOutOfRange { date: day }),
        }
    }

    /// The instant of a local wall time. Indonesia has no DST, but other zones
    /// do: an ambiguous time means its first occurrence, a skipped one is read
    /// with the offset from before the jump (02:30 becomes 03:30). None at
    /// the edge of chrono's dates.
    fn instant(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        match self.tz().from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
            LocalResult::None => {
                let day_before = local.checked_sub_signed(TimeDelta::days(1))?;
                let before = self.tz().offset_from_utc_datetime(&day_before).fix();
                let offset = TimeDelta::seconds(before.local_minus_utc().into());
                Some(local.checked_sub_signed(offset)?.and_utc())
            }
        }
    }

    /// After September 30 (local time), the next year's holiday file should
    /// exist: decrees for the next year are usually out by then. Returns what
    /// to add when it is missing.
    pub fn next_year_file_missing(&self, now: DateTime<FixedOffset>) -> Option<String> {
        let today = now.with_timezone(&self.tz()).date_naive();
        let next = today.year() + 1;
        if today.month() < 10 || self.years.contains_key(&next) {
            return None;
        }
        Some(format!(
            "no holiday file for {next}: add {} with {next}'s national holidays and cuti bersama once the SKB 3 Menteri for {next} is out (it usually is by October)",
            holidays::file_for(&self.dir, next).display()
        ))
    }
}

#[cfg(test)]
mod tests;
