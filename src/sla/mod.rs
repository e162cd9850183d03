//! Deadlines as data: clocks that start and stop on request events and run
//! on the working calendar, evaluated from a request's timeline on every run.

pub mod report;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::calendar::{
    CalendarError, CalendarOverride, Goal, GoalUnit, WorkingCalendar, deserialize_from_str,
};

/// The `sla:` section of `sms-bcast.yaml`.
///
/// ```yaml
/// sla:
///   clocks:
///     - name: broadcast
///       start: decider-approved
///       not_before: send-after     # the wished send time, if later
///       stop: sent
///       goal: 1 working day
///       warn_at: 75%               # default
///       calendar:                  # optional, e.g. an office in another zone
///         time_zone: Asia/Makassar
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    pub clocks: Vec<ClockPolicy>,
}

/// One deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockPolicy {
    pub name: String,
    /// The event that starts the clock.
    pub start: Event,
    /// If this event exists and is later than `start`, the clock starts then instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Event>,
    /// The event that stops the clock (the step is done).
    pub stop: Event,
    pub goal: Goal,
    /// Share of the goal after which an open clock is reported as due soon.
    #[serde(default)]
    pub warn_at: Percent,
    /// Changes to the workspace calendar for this clock only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarOverride>,
}

impl Default for SlaPolicy {
    /// The four clocks of SOP sections 3, 7 and 10.
    fn default() -> Self {
        let day = Goal::new(1, GoalUnit::WorkingDays);
        let clock = |name: &str, start, not_before, stop, goal| ClockPolicy {
            name: name.to_string(),
            start,
            not_before,
            stop,
            goal,
            warn_at: Percent::default(),
            calendar: None,
        };
        SlaPolicy {
            clocks: vec![
                clock(
                    "advisor review",
                    Event::Submitted,
                    None,
                    Event::AdvisorDecided,
                    day,
                ),
                clock(
                    "decider review",
                    Event::Submitted,
                    None,
                    Event::DeciderDecided,
                    day,
                ),
                clock(
                    "broadcast",
                    Event::DeciderApproved,
                    Some(Event::SendAfter),
                    Event::Sent,
                    day,
                ),
                clock(
                    "end to end",
                    Event::Submitted,
                    None,
                    Event::Sent,
                    Goal::new(2, GoalUnit::WorkingDays),
                ),
            ],
        }
    }
}

impl SlaPolicy {
    /// Checks what serde cannot: clock names are unique and not blank, and a
    /// clock stops on another event than the one that starts it.
    pub fn validate(&self) -> Result<(), SlaError> {
        for (i, clock) in self.clocks.iter().enumerate() {
            if clock.stop == clock.start {
                return Err(SlaError::Policy {
                    clock: i,
                    field: "stop",
                    message: format!(
                        "is `{}`, the event that starts the clock: it would stop as it starts; name the event that ends the step",
                        clock.stop.as_str()
                    ),
                });
            }
            let name_error = |message: String| SlaError::Policy {
                clock: i,
                field: "name",
                message,
            };
            if clock.name.trim().is_empty() {
                return Err(name_error("is empty: give every clock a name".into()));
            }
            if self.clocks[..i].iter().any(|c| c.name == clock.name) {
                return Err(name_error(format!(
                    "`{}` is used twice: clock names must be unique",
                    clock.name
                )));
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SlaError {
    /// A clock that serde accepted but makes no sense (index into `sla.clocks`).
    #[error("sla.clocks[{clock}].{field}: {message}")]
    Policy {
        clock: usize,
        field: &'static str,
        message: String,
    },
    #[error("clock `{clock}`: {source}")]
    Calendar {
        clock: String,
        source: CalendarError,
    },
}

/// Request events a clock can start or stop on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    /// The current revision was submitted.
    Submitted,
    /// The advisor approved or rejected.
    AdvisorDecided,
    AdvisorApproved,
    DeciderDecided,
    DeciderApproved,
    /// The wished send time (only exists when the request names one).
    SendAfter,
    Sent,
}

impl Event {
    /// Position in the lifecycle: submitted → advisor → decider → sent.
    fn stage(self) -> usize {
        match self {
            Event::Submitted => 0,
            Event::AdvisorDecided | Event::AdvisorApproved => 1,
            Event::DeciderDecided | Event::DeciderApproved => 2,
            Event::SendAfter | Event::Sent => 3,
        }
    }

    /// The name written in `sms-bcast.yaml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Submitted => "submitted",
            Event::AdvisorDecided => "advisor-decided",
            Event::AdvisorApproved => "advisor-approved",
            Event::DeciderDecided => "decider-decided",
            Event::DeciderApproved => "decider-approved",
            Event::SendAfter => "send-after",
            Event::Sent => "sent",
        }
    }
}

/// Who acts at each stage (role names of the trust registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Requester,
    Advisor,
    Decider,
    Operator,
}

impl Role {
    const BY_STAGE: [Role; 4] = [
        Role::Requester,
        Role::Advisor,
        Role::Decider,
        Role::Operator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Advisor => "advisor",
            Role::Decider => "decider",
            Role::Operator => "operator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A percentage such as `75%` (a bare `75` is accepted too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct Percent(u8);

impl Default for Percent {
    fn default() -> Self {
        Percent(75)
    }
}

impl Percent {
    pub fn new(percent: u8) -> Option<Self> {
        (1..=100).contains(&percent).then_some(Percent(percent))
    }
}

impl FromStr for Percent {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let digits = s.trim();
        let digits = digits.strip_suffix('%').unwrap_or(digits).trim();
        digits.parse().ok().and_then(Percent::new).ok_or_else(|| {
            format!("invalid warn_at `{s}`: expected a percentage from 1% to 100%, e.g. `75%`")
        })
    }
}

deserialize_from_str!(Percent, "a percentage such as `75%`");

impl From<Percent> for String {
    fn from(p: Percent) -> String {
        format!("{}%", p.0)
    }
}

/// A reviewer's decision on the current revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub at: DateTime<FixedOffset>,
    pub approved: bool,
}

/// What the lifecycle knows about one request, for the current revision only.
///
/// A revision restarts the clocks: give `submitted` as the revision's
/// submission time and only decisions made on that revision. A decision kept
/// from an earlier revision may come before `submitted`; its clock is then met
/// with nothing elapsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// When the current revision was submitted.
    pub submitted: DateTime<FixedOffset>,
    /// The advisor's decision, if any.
    pub advisor: Option<Decision>,
    /// The decider's decision, if any.
    pub decider: Option<Decision>,
    /// The wished send time the request names, if any.
    pub send_after: Option<DateTime<FixedOffset>>,
    /// When the operator sent the broadcast.
    pub sent: Option<DateTime<FixedOffset>>,
    /// When the requester withdrew the request (stops every open clock).
    pub withdrawn: Option<DateTime<FixedOffset>>,
}

impl Timeline {
    /// A request just submitted, with nothing else yet.
    pub fn submitted(at: DateTime<FixedOffset>) -> Self {
        Timeline {
            submitted: at,
            advisor: None,
            decider: None,
            send_after: None,
            sent: None,
            withdrawn: None,
        }
    }

    /// When `event` happened (or, for `send-after`, is wished), if it did.
    pub fn at(&self, event: Event) -> Option<DateTime<FixedOffset>> {
        let approved = |d: Option<Decision>| d.filter(|d| d.approved).map(|d| d.at);
        match event {
            Event::Submitted => Some(self.submitted),
            Event::AdvisorDecided => self.advisor.map(|d| d.at),
            Event::AdvisorApproved => approved(self.advisor),
            Event::DeciderDecided => self.decider.map(|d| d.at),
            Event::DeciderApproved => approved(self.decider),
            Event::SendAfter => self.send_after,
            Event::Sent => self.sent,
        }
    }

    /// When the revision ended without being sent: the first rejection or the withdrawal.
    pub fn ended(&self) -> Option<DateTime<FixedOffset>> {
        let rejected = |d: Option<Decision>| d.filter(|d| !d.approved).map(|d| d.at);
        [
            rejected(self.advisor),
            rejected(self.decider),
            self.withdrawn,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Whether the step of `stage` is done.
    fn done(&self, stage: usize) -> bool {
        match stage {
            0 => true,
            1 => self.advisor.is_some(),
            2 => self.decider.is_some(),
            _ => self.sent.is_some(),
        }
    }
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockState {
    /// Stopped in time.
    Met,
    /// Stopped, but after the due time.
    MetLate,
    /// Open, with time left.
    Running,
    /// Open, past the warn threshold but not yet due.
    DueSoon,
    /// Open and overdue.
    Breached,
    /// Its start event has not happened (or lies in the future).
    NotStarted,
    /// The request was rejected or withdrawn before the clock's stop event.
    Stopped,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Met => "met",
            ClockState::MetLate => "met-late",
            ClockState::Running => "running",
            ClockState::DueSoon => "due-soon",
            ClockState::Breached => "breached",
            ClockState::NotStarted => "not-started",
            ClockState::Stopped => "stopped",
        }
    }
}

impl fmt::Display for ClockState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One clock of one request at the evaluation instant. Times are shown in the
/// clock's calendar zone; durations are counted the way the goal counts
/// (working time for working goals).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockStatus {
    pub clock: String,
    pub state: ClockState,
    pub goal: Goal,
    pub start: Option<DateTime<FixedOffset>>,
    pub due: Option<DateTime<FixedOffset>>,
    /// When the clock stopped: its stop event, or the rejection/withdrawal.
    pub stop: Option<DateTime<FixedOffset>>,
    /// Counted time from start to stop (or to now while open).
    pub elapsed: TimeDelta,
    /// Counted time from now (or the stop) to due; negative when late. None
    /// when the clock was stopped or has no start yet.
    pub remaining: Option<TimeDelta>,
    /// The role that must act next for this clock to stop (open clocks only).
    pub awaiting: Option<Role>,
    /// Set on a breached clock whose own actor is waiting for an earlier step,
    /// e.g. the decider review while the advisor has not acted.
    pub blocked_by: Option<Role>,
}

/// Evaluates every clock of `policy` for one request at `now`.
pub fn evaluate(
    policy: &SlaPolicy,
    calendar: &WorkingCalendar,
    timeline: &Timeline,
    now: DateTime<FixedOffset>,
) -> Result<Vec<ClockStatus>, SlaError> {
    policy
        .clocks
        .iter()
        .map(|clock| {
            let cal = match &clock.calendar {
                Some(o) => Cow::Owned(calendar.with_override(o)),
                None => Cow::Borrowed(calendar),
            };
            evaluate_clock(clock, &cal, timeline, now).map_err(|source| SlaError::Calendar {
                clock: clock.name.clone(),
                source,
            })
        })
        .collect()
}

fn evaluate_clock(
    clock: &ClockPolicy,
    cal: &WorkingCalendar,
    tl: &Timeline,
    now: DateTime<FixedOffset>,
) -> Result<ClockStatus, CalendarError> {
    let goal = clock.goal;
    let start = tl
        .at(clock.start)
        .map(|s| match clock.not_before.and_then(|e| tl.at(e)) {
            Some(later) => s.max(later),
            None => s,
        });
    let owner = Role::BY_STAGE[clock.stop.stage()];
    let awaiting = (1..=clock.stop.stage())
        .find(|&stage| !tl.done(stage))
        .map(|stage| Role::BY_STAGE[stage]);
    let local = |t: DateTime<FixedOffset>| cal.to_local(t);
    let mut status = ClockStatus {
        clock: clock.name.clone(),
        state: ClockState::NotStarted,
        goal,
        start: start.map(local),
        due: None,
        stop: None,
        elapsed: TimeDelta::zero(),
        remaining: None,
        awaiting: None,
        blocked_by: None,
    };
    let stopped_at = tl.at(clock.stop);
    let ended = tl.ended().filter(|_| stopped_at.is_none());
    let Some(start) = start else {
        if let Some(end) = ended {
            status.state = ClockState::Stopped;
            status.stop = Some(local(end));
        } else {
            status.awaiting = awaiting;
        }
        return Ok(status);
    };
    let due = cal.due(start, goal)?;
    status.due = Some(due);
    if let Some(stop) = stopped_at.or(ended) {
        status.stop = Some(local(stop));
        status.elapsed = cal.counted(start, stop, goal)?.max(TimeDelta::zero());
        status.state = if ended.is_some() {
            ClockState::Stopped
        } else if stop <= due {
            ClockState::Met
        } else {
            ClockState::MetLate
        };
        if ended.is_none() {
            status.remaining = Some(cal.counted(stop.max(start), due, goal)?);
        }
        return Ok(status);
    }
    status.awaiting = awaiting;
    if now < start {
        return Ok(status);
    }
    status.elapsed = cal.counted(start, now, goal)?;
    status.remaining = Some(cal.counted(now, due, goal)?);
    // `due` succeeded, so the goal's length fits; the share of it does too.
    let warn = cal
        .goal_length(goal)
        .and_then(|l| l.checked_mul(i32::from(clock.warn_at.0)))
        .and_then(|l| l.checked_div(100))
        .unwrap_or(TimeDelta::MAX);
    status.state = if now > due {
        ClockState::Breached
    } else if status.elapsed >= warn {
        ClockState::DueSoon
    } else {
        ClockState::Running
    };
    if status.state == ClockState::Breached {
        status.blocked_by = awaiting.filter(|&who| who != owner);
    }
    Ok(status)
}

#[cfg(test)]
mod tests;
