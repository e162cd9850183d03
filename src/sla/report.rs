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

/// A request whose records do not verify: its clocks cannot be trusted and
/// are not evaluated; `check` fails on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unverified {
    pub request: String,
    /// The file of the first problem (CI annotations point there).
    pub file: String,
    /// Every problem, each naming its file.
    pub problems: Vec<String>,
}

/// What makes a report fail besides breached clocks and unverified requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailOn {
    /// Clocks that stopped late.
    pub late: bool,
    /// Calendar upkeep warnings (next year's holiday file missing).
    pub calendar: bool,
}

/// Everything one `check` run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub evaluated_at: DateTime<FixedOffset>,
    pub requests: Vec<RequestClocks>,
    pub unverified: Vec<Unverified>,
    /// Calendar upkeep warnings, e.g. the next year's holiday file is missing.
    pub calendar: Vec<String>,
    pub fail_on: FailOn,
}

impl Report {
    fn clock_fails(&self, c: &ClockStatus) -> bool {
        c.state == ClockState::Breached || (self.fail_on.late && c.state == ClockState::MetLate)
    }

    /// Whether the run should fail (exit 1).
    pub fn fails(&self) -> bool {
        !self.unverified.is_empty()
            || (self.fail_on.calendar && !self.calendar.is_empty())
            || rows(&self.requests).any(|(_, c)| self.clock_fails(c))
    }
}

/// The `json` report. The field names are a stable interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonReport {
    /// The instant the clocks were evaluated at.
    pub evaluated_at: DateTime<FixedOffset>,
    /// Whether `check` exits 1.
    pub failed: bool,
    /// One element per request and clock.
    pub clocks: Vec<JsonClock>,
    pub unverified: Vec<Unverified>,
    pub calendar: Vec<String>,
}

/// One clock of the `json` report.
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

/// The report as a [`JsonReport`].
pub fn json(report: &Report) -> String {
    let clocks: Vec<JsonClock> = rows(&report.requests)
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
    let doc = JsonReport {
        evaluated_at: report.evaluated_at,
        failed: report.fails(),
        clocks,
        unverified: report.unverified.clone(),
        calendar: report.calendar.clone(),
    };
    serde_json::to_string_pretty(&doc).expect("plain data serializes") + "\n"
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

/// A table for people at a terminal, then one line per request that does not
/// verify. Calendar warnings are left to the caller (stderr).
pub fn table(report: &Report) -> String {
    let mut table = comfy_table::Table::new();
    // Pure output: never ask the terminal for its width.
    table.force_no_tty();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(["request", "clock", "state", "due", "left", "awaiting"]);
    for (r, c) in rows(&report.requests) {
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
    let mut out = if report.requests.is_empty() {
        "No requests in scope.\n".to_string()
    } else {
        table.to_string() + "\n"
    };
    for u in &report.unverified {
        let _ = writeln!(
            out,
            "{} does not verify; its deadlines are not evaluated:",
            u.request
        );
        for p in &u.problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    out
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

/// JUnit XML: one test case per request and clock, plus one per request that
/// does not verify and one per calendar warning. Failing clocks are failures;
/// not-started and stopped clocks are skipped.
pub fn junit(report: &Report) -> String {
    let skips = |c: &ClockStatus| matches!(c.state, ClockState::NotStarted | ClockState::Stopped);
    let all: Vec<_> = rows(&report.requests).collect();
    let calendar_fails = report.fail_on.calendar;
    let failures = all.iter().filter(|(_, c)| report.clock_fails(c)).count()
        + report.unverified.len()
        + if calendar_fails {
            report.calendar.len()
        } else {
            0
        };
    let skipped = all.iter().filter(|(_, c)| skips(c)).count();
    let tests = all.len() + report.unverified.len() + report.calendar.len();
    let counts = format!(r#"tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}""#);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, r#"<testsuites name="sms-bcast check" {counts}>"#);
    let _ = writeln!(out, r#"  <testsuite name="deadlines" {counts}>"#);
    let mut case = |class: &str, name: &str, file: &str, body: String| {
        let _ = writeln!(
            out,
            r#"    <testcase classname="{}" name="{}" file="{}" time="0">{body}</testcase>"#,
            xml_escape(class),
            xml_escape(name),
            xml_escape(file)
        );
    };
    let failure = |kind: &str, text: &str| {
        let text = xml_escape(text);
        format!(r#"<failure type="{kind}" message="{text}">{text}</failure>"#)
    };
    for (r, c) in all {
        let text = describe(c);
        let body = if report.clock_fails(c) {
            failure(c.state.as_str(), &text)
        } else if skips(c) {
            format!(r#"<skipped message="{}"/>"#, xml_escape(&text))
        } else {
            format!("<system-out>{}</system-out>", xml_escape(&text))
        };
        case(&r.request, &c.clock, &r.file, body);
    }
    for u in &report.unverified {
        let body = failure("does-not-verify", &u.problems.join("\n"));
        case(&u.request, "records verify", &u.file, body);
    }
    for warning in &report.calendar {
        let body = if calendar_fails {
            failure("calendar", warning)
        } else {
            format!("<system-out>{}</system-out>", xml_escape(warning))
        };
        case("calendar", "next year's holiday file", "calendar", body);
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

/// GitHub Actions workflow commands: `::error` for failing clocks and
/// requests that do not verify, `::warning` for due-soon and met-late clocks
/// and calendar warnings (`::error` when they fail the run); nothing else.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for (r, c) in rows(&report.requests) {
        let level = match c.state {
            _ if report.clock_fails(c) => "error",
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
    for u in &report.unverified {
        let _ = writeln!(
            out,
            "::error file={},title={}::{}",
            gh_property(&u.file),
            gh_property(&format!("{} does not verify", u.request)),
            gh_data(&format!(
                "{} does not verify; its deadlines are not evaluated: {}",
                u.request,
                u.problems.join("; ")
            ))
        );
    }
    let level = if report.fail_on.calendar {
        "error"
    } else {
        "warning"
    };
    for warning in &report.calendar {
        let _ = writeln!(out, "::{level} title=calendar::{}", gh_data(warning));
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

fn fingerprint(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn issue(
    description: String,
    check_name: String,
    severity: &'static str,
    path: &str,
    parts: &[&str],
) -> CodeQualityIssue {
    CodeQualityIssue {
        description,
        check_name,
        fingerprint: fingerprint(parts),
        severity,
        location: Location {
            path: path.to_string(),
            lines: Lines { begin: 1 },
        },
    }
}

/// GitLab Code Quality JSON: breached clocks (critical; met-late too when
/// they fail the run), met-late (minor) and due-soon (info) clocks, requests
/// that do not verify (blocker) and calendar warnings. The fingerprint is
/// stable across runs while the subject and state stay the same, and unique
/// within a report.
pub fn gitlab(report: &Report) -> String {
    let mut issues: Vec<_> = rows(&report.requests)
        .filter_map(|(r, c)| {
            let severity = match c.state {
                _ if report.clock_fails(c) => "critical",
                ClockState::MetLate => "minor",
                ClockState::DueSoon => "info",
                _ => return None,
            };
            Some(issue(
                format!("{}: {}", r.request, describe(c)),
                format!("sms-bcast-deadline-{}", c.state),
                severity,
                &r.file,
                &[&r.file, &r.request, &c.clock, c.state.as_str()],
            ))
        })
        .collect();
    for u in &report.unverified {
        issues.push(issue(
            format!(
                "{} does not verify; its deadlines are not evaluated: {}",
                u.request,
                u.problems.join("; ")
            ),
            "sms-bcast-unverified".into(),
            "blocker",
            &u.file,
            &[&u.file, &u.request, "unverified"],
        ));
    }
    for warning in &report.calendar {
        issues.push(issue(
            warning.clone(),
            "sms-bcast-calendar".into(),
            if report.fail_on.calendar {
                "major"
            } else {
                "minor"
            },
            "calendar",
            &["calendar", warning],
        ));
    }
    serde_json::to_string_pretty(&issues).expect("plain data serializes") + "\n"
}

#[cfg(test)]
mod tests;
