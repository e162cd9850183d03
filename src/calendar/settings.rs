//! The `calendar:` section of `sms-bcast.yaml`.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::de::{self, Visitor};
use serde::{Deserialize, Serialize};

/// Working weekdays, hours, time zone and holiday handling.
///
/// ```yaml
/// calendar:
///   weekdays: [mon, tue, wed, thu, fri]   # default
///   working_hours: "07:30-16:00"          # optional; absent = whole working days count
///   time_zone: Asia/Jakarta               # default; WITA Asia/Makassar, WIT Asia/Jayapura
///   cuti_bersama_working: false           # default: cuti bersama days are days off
///   missing_year: error                   # or weekends-only
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CalendarSettings {
    pub weekdays: Vec<Weekday>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_hours: Option<WorkingHours>,
    pub time_zone: TimeZone,
    pub cuti_bersama_working: bool,
    pub missing_year: MissingYear,
}

impl Default for CalendarSettings {
    fn default() -> Self {
        use Weekday::*;
        CalendarSettings {
            weekdays: vec![Mon, Tue, Wed, Thu, Fri],
            working_hours: None,
            time_zone: TimeZone(chrono_tz::Asia::Jakarta),
            cuti_bersama_working: false,
            missing_year: MissingYear::Error,
        }
    }
}

/// What to do when a computation needs a year that has no holiday file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingYear {
    /// Refuse, naming the file to add (the safe default: holidays matter).
    #[default]
    Error,
    /// Count only the weekday setting for that year, as if it had no holidays.
    WeekendsOnly,
}

/// Daily working hours in local time, e.g. `07:30-16:00` (end after start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct WorkingHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl FromStr for WorkingHours {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid working hours `{s}`: expected `HH:MM-HH:MM` with the end after the start, e.g. `07:30-16:00`"
            )
        };
        let (a, b) = s.split_once(['-', '–']).ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (time(a)?, time(b)?);
        if end <= start {
            return Err(bad());
        }
        Ok(WorkingHours { start, end })
    }
}

impl From<WorkingHours> for String {
    fn from(h: WorkingHours) -> String {
        h.to_string()
    }
}

impl fmt::Display for WorkingHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

/// An IANA time zone name such as `Asia/Jakarta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct TimeZone(pub Tz);

impl FromStr for TimeZone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.parse::<Tz>().map(TimeZone).map_err(|_| {
            format!(
                "unknown time zone `{s}`: use an IANA name: Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)"
            )
        })
    }
}

impl From<TimeZone> for String {
    fn from(z: TimeZone) -> String {
        z.0.name().to_string()
    }
}

/// Per-clock changes to the workspace calendar, for a step done in another
/// office (e.g. a WITA decider); the holiday files stay the same.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_hours: Option<WorkingHours>,
}

/// Deserializes a `FromStr` type inside the scalar's own visit, so that
/// serde_yaml reports the error at the value's line and key path (a
/// `try_from` conversion would be reported at the enclosing mapping).
pub(crate) struct ParseVisitor<T>(pub &'static str, pub PhantomData<T>);

impl<T: FromStr<Err = String>> Visitor<'_> for ParseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }

    // `warn_at: 75` and `goal: 36` arrive as numbers; their messages still help.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.visit_str(&v.to_string())
    }
}

/// Implements `Deserialize` through [`ParseVisitor`].
macro_rules! deserialize_from_str {
    ($type:ty, $expecting:literal) => {
        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any($crate::calendar::ParseVisitor(
                    $expecting,
                    std::marker::PhantomData,
                ))
            }
        }
    };
}
pub(crate) use deserialize_from_str;

deserialize_from_str!(WorkingHours, "working hours such as `07:30-16:00`");
deserialize_from_str!(TimeZone, "an IANA time zone name such as `Asia/Jakarta`");
