//! The clock. Tests and drills fix it with `SMS_BCAST_NOW` (RFC 3339); signing
//! commands honour that only in a drill workspace, and say so in their records.

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use chrono_tz::Tz;

use crate::error::{Error, Result};

pub const NOW_VAR: &str = "SMS_BCAST_NOW";

/// The instant in `SMS_BCAST_NOW`, if set.
pub fn fixed_now() -> Result<Option<DateTime<FixedOffset>>> {
    match std::env::var(NOW_VAR) {
        Ok(text) if !text.trim().is_empty() => parse_instant(&text).map(Some).map_err(|message| {
            Error::refused(
                format!("{NOW_VAR}: {message}"),
                "use RFC 3339 with an offset, e.g. 2026-12-03T09:00:00+07:00",
            )
        }),
        _ => Ok(None),
    }
}

/// Parses an RFC 3339 instant (with offset).
pub fn parse_instant(text: &str) -> std::result::Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| format!("`{}` is not an RFC 3339 time with offset: {e}", text.trim()))
}

/// The wall clock to the second, shown in the workspace's time zone.
pub fn wall_now(zone: Tz) -> DateTime<FixedOffset> {
    let now = Utc::now();
    let whole = now.with_nanosecond(0).unwrap_or(now);
    whole.with_timezone(&zone).fixed_offset()
}

/// The time a signing command records, and whether it came from the drill clock.
/// Outside a drill, `SMS_BCAST_NOW` is ignored (the caller warns).
pub struct SigningTime {
    pub at: DateTime<FixedOffset>,
    pub drill_clock: bool,
    pub ignored_override: bool,
}

pub fn signing_now(drill: bool, zone: Tz) -> Result<SigningTime> {
    let fixed = fixed_now()?;
    Ok(match fixed {
        Some(at) if drill => SigningTime {
            at,
            drill_clock: true,
            ignored_override: false,
        },
        other => SigningTime {
            at: wall_now(zone),
            drill_clock: false,
            ignored_override: other.is_some(),
        },
    })
}

/// The instant read-only commands evaluate at: `--now`, else `SMS_BCAST_NOW`, else the wall clock.
pub fn evaluation_now(given: Option<&str>, zone: Tz) -> Result<DateTime<FixedOffset>> {
    if let Some(text) = given {
        return parse_instant(text).map_err(|m| {
            Error::refused(
                format!("--now: {m}"),
                "use RFC 3339, e.g. 2026-12-03T09:00:00+07:00",
            )
        });
    }
    Ok(fixed_now()?.unwrap_or_else(|| wall_now(zone)))
}
