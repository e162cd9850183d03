//! Deadline reports for people and CI systems, as plain strings.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ClockState, ClockStatus, Role};

/// The clocks of one request, with where the request lives for annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestClocks {
    /// The request id, e.g. `2026-0007`.
    pub request: String,
    /// The request file, relative to the repository root (CI annotations point there).
    pub file: String,
    pub clocks: Vec<ClockStatus>,
}

/// One element of the `json` report. The field names are a stable interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonClock {
    pub request: String,
    pub file: String,
    pub clock: String,
    /// met, met-late, running, due-soon, breached, not-started or stopped.
    pub state: ClockState,
    /// RFC 3339 instants in the clock's calendar zone; null when unknown.
    pub start: Option<DateTime<FixedOffset>>,
    pub due: Option<DateTime<FixedOffset>>,
    pub stop: Option<DateTime<FixedOffset>>,
    /// As configured, e.g. `1 working day`.
    pub goal: String,
    /// Seconds counted from start to stop (or to now while open).
    pub elapsed: i64,
    /// Seconds counted from now (or the stop) to due; negative when late;
    /// null when stopped or not started.
    pub remaining: Option<i64>,
    /// Role that must act next (open clocks only).
    pub awaiting: Option<Role>,
    /// On a breached clock: the earlier role it is waiting for.
    pub blocked_by: Option<Role>,
}

fn rows(reports: &[RequestClocks]) -> impl Iterator<Item = (&RequestClocks, &ClockStatus)> {
    reports
        .iter()
        .flat_map(|r| r.clocks.iter().map(move |c| (r, c)))
}

/// A JSON array of [`JsonClock`], one per request and clock.
pub fn json(reports: &[RequestClocks]) -> String {
    let all: Vec<JsonClock> = rows(reports)
        .map(|(r, c)| JsonClock {
            request: r.request.clone(),
            file: r.file.clone(),
            clock: c.clock.clone(),
            state: c.state,
            start: c.start,
            due: c.due,
            stop: c.stop,
            goal: c.goal.to_string(),
            elapsed: c.elapsed.num_seconds(),
            remaining: c.remaining.map(|d| d.num_seconds()),
            awaiting: c.awaiting,
            blocked_by: c.blocked_by,
        })
        .collect();
    serde_json::to_string_pretty(&all).expect("plain data serializes") + "\n"
}

/// A duration for people: `45m`, `3h 05m`, `2d 4h` (days of 24 hours).
pub fn human_duration(d: TimeDelta) -> String {
    let minutes = d.num_minutes().abs();
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let sign = if d < TimeDelta::zero() { "-" } else { "" };
    match (days, hours) {
        (0, 0) => format!("{sign}{mins}m"),
        (0, _) => format!("{sign}{hours}h {mins:02}m"),
        _ => format!("{sign}{days}d {hours}h"),
    }
}

fn when(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M %:z").to_string()
}

/// One sentence on a clock, as shown in CI annotations and JUnit failures.
pub fn describe(c: &ClockStatus) -> String {
    let due = c.due.map(when).unwrap_or_default();
    let counted = |d: TimeDelta| human_duration(d.abs());
    let mut s = match (c.state, c.remaining) {
        (ClockState::Breached, Some(r)) => {
            format!("{} is overdue by {} (due {due})", c.clock, counted(r))
        }
        (ClockState::MetLate, Some(r)) => {
            format!("{} was done {} late (due {due})", c.clock, counted(r))
        }
        (ClockState::Met, _) => format!("{} was done in time (due {due})", c.clock),
        (ClockState::DueSoon | ClockState::Running, Some(r)) => {
            format!("{} is due in {} ({due})", c.clock, counted(r))
        }
        (ClockState::Stopped, _) => format!(
            "{} stopped at {}: the request was rejected or withdrawn",
            c.clock,
            c.stop.map(when).unwrap_or_default()
        ),
        (_, _) => match c.start {
            Some(start) => format!("{} starts at {} (due {due})", c.clock, when(start)),
            None => format!("{} has not started", c.clock),
        },
    };
    match (c.blocked_by, c.awaiting) {
        (Some(who), _) => {
            let _ = write!(s, "; blocked: the {who} has not acted yet");
        }
        (None, Some(who)) => {
            let _ = write!(s, "; awaiting {who}");
        }
        (None, None) => {}
    }
    s
}

/// A table for people at a terminal.
pub fn table(reports: &[RequestClocks]) -> String {
    let mut table = comfy_table::Table::new();
    // Pure output: never ask the terminal for its width.
    table.force_no_tty();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(["request", "clock", "state", "due", "left", "awaiting"]);
    for (r, c) in rows(reports) {
        let left = match (c.state, c.remaining) {
            (ClockState::Met | ClockState::Stopped, _) | (_, None) => String::new(),
            (_, Some(d)) if d < TimeDelta::zero() => format!("{} late", human_duration(-d)),
            (_, Some(d)) => human_duration(d),
        };
        let awaiting = match (c.awaiting, c.blocked_by) {
            (Some(who), Some(_)) => format!("{who} (blocks {})", c.clock),
            (Some(who), None) => who.to_string(),
            (None, _) => String::new(),
        };
        table.add_row([
            r.request.clone(),
            c.clock.clone(),
            c.state.to_string(),
            c.due.map(when).unwrap_or_default(),
            left,
            awaiting,
        ]);
    }
    table.to_string() + "\n"
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Parsers normalise literal whitespace in attributes to spaces.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            // XML 1.0 cannot carry other control characters, even escaped.
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test case per request and clock. Breached clocks fail (and
/// late ones too when `late_fails`); not-started and stopped clocks are skipped.
pub fn junit(reports: &[RequestClocks], late_fails: bool) -> String {
    let fails = |c: &ClockStatus| {
        c.state == ClockState::Breached || (late_fails && c.state == ClockState::MetLate)
    };
    let skips = |c: &ClockStatus| matches!(c.state, ClockState::NotStarted | ClockState::Stopped);
    let all: Vec<_> = rows(reports).collect();
    let failures = all.iter().filter(|(_, c)| fails(c)).count();
    let skipped = all.iter().filter(|(_, c)| skips(c)).count();
    let counts = format!(
        r#"tests="{}" failures="{failures}" errors="0" skipped="{skipped}""#,
        all.len()
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, r#"<testsuites name="sms-bcast check" {counts}>"#);
    let _ = writeln!(out, r#"  <testsuite name="deadlines" {counts}>"#);
    for (r, c) in all {
        let _ = write!(
            out,
            r#"    <testcase classname="{}" name="{}" file="{}" time="0">"#,
            xml_escape(&r.request),
            xml_escape(&c.clock),
            xml_escape(&r.file)
        );
        let text = xml_escape(&describe(c));
        if fails(c) {
            let _ = write!(
                out,
                r#"<failure type="{}" message="{text}">{text}</failure>"#,
                c.state
            );
        } else if skips(c) {
            let _ = write!(out, r#"<skipped message="{text}"/>"#);
        } else {
            let _ = write!(out, "<system-out>{text}</system-out>");
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands: `::error` for breached clocks,
/// `::warning` for due-soon and met-late ones; nothing for the rest.
pub fn github(reports: &[RequestClocks]) -> String {
    let mut out = String::new();
    for (r, c) in rows(reports) {
        let level = match c.state {
            ClockState::Breached => "error",
            ClockState::DueSoon | ClockState::MetLate => "warning",
            _ => continue,
        };
        let title = format!("{} {}: {}", r.request, c.clock, c.state);
        let _ = writeln!(
            out,
            "::{level} file={},title={}::{}",
            gh_property(&r.file),
            gh_property(&title),
            gh_data(&format!("{}: {}", r.request, describe(c)))
        );
    }
    out
}

#[derive(Serialize)]
struct CodeQualityIssue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// GitLab Code Quality JSON for breached (critical), met-late (minor) and
/// due-soon (info) clocks. The fingerprint is stable across runs while the
/// request, clock and state stay the same, and unique within a report.
pub fn gitlab(reports: &[RequestClocks]) -> String {
    let issues: Vec<_> = rows(reports)
        .filter_map(|(r, c)| {
            let severity = match c.state {
                ClockState::Breached => "critical",
                ClockState::MetLate => "minor",
                ClockState::DueSoon => "info",
                _ => return None,
            };
            let mut hash = Sha256::new();
            for part in [&r.file, &r.request, &c.clock, c.state.as_str()] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
            let fingerprint = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
            Some(CodeQualityIssue {
                description: format!("{}: {}", r.request, describe(c)),
                check_name: format!("sms-bcast-deadline-{}", c.state),
                fingerprint,
                severity,
                location: Location {
                    path: r.file.clone(),
                    lines: Lines { begin: 1 },
                },
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).expect("plain data serializes") + "\n"
}

#[cfg(test)]
mod tests;
