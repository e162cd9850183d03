//! `sms-bcast check`: every deadline of every request, for people and CI.
//! Reads files only (no trust anchor needed); `verify` is the signature gate.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use chrono::NaiveDate;
use sms_bcast::calendar::WorkingCalendar;
use sms_bcast::clock;
use sms_bcast::lifecycle::{self, Analysis};
use sms_bcast::record::{self, Kind};
use sms_bcast::registry::{Registry, Role};
use sms_bcast::sla::report::{self, FailOn, Report, RequestClocks, Unverified};
use sms_bcast::sla::{self, Decision, Timeline};
use sms_bcast::workspace::Workspace;

use sms_bcast::notice::{self, Reminder};

use crate::cli::context;
use crate::cli::output::Format;
use crate::cli::{Cli, Status};

/// The folder of holiday files in a workspace.
const CALENDAR_DIR: &str = "calendar";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOnArg {
    /// An open clock is overdue (always fails).
    Breach,
    /// Also a clock that stopped late.
    Any,
    /// Also the next year's holiday file missing after September 30.
    Calendar,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Evaluate at this instant (RFC 3339 with offset) instead of now;
    /// SMS_BCAST_NOW sets it too.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Only requests first submitted on or after DATE (YYYY-MM-DD, workspace time zone).
    #[arg(long, value_name = "DATE")]
    pub since: Option<NaiveDate>,
    /// What makes the run fail (exit 1); comma-separated, e.g. `any,calendar`.
    /// Breached clocks and requests that do not verify always fail it.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "breach")]
    pub fail_on: Vec<FailOnArg>,
    /// Queue a reminder to whoever must act on each clock that is due soon or
    /// breached (once per request, clock and state; `sms-bcast notify` delivers them).
    #[arg(long)]
    pub notify: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let format = Format::or_table(cli.format);
    let ws = context::open_workspace(cli)?;
    let registry = Registry::load(&ws.root)?;
    let calendar = WorkingCalendar::load(&calendar_dir(&ws), ws.config.calendar.clone())?;
    if args.notify && (args.now.is_some() || clock::fixed_now()?.is_some() && !registry.drill()) {
        bail!(
            "--notify queues real reminders, so it evaluates at the real time, not at --now or {}\n  hint: run `check --notify` without them (SMS_BCAST_NOW is honoured with --notify only in a drill workspace)",
            clock::NOW_VAR
        );
    }
    let now = clock::evaluation_now(args.now.as_deref(), ws.zone)?;
    let mut report = Report {
        evaluated_at: now.with_timezone(&ws.zone).fixed_offset(),
        requests: Vec::new(),
        unverified: Vec::new(),
        calendar: calendar.next_year_file_missing(now).into_iter().collect(),
        fail_on: FailOn {
            late: args.fail_on.contains(&FailOnArg::Any),
            calendar: args.fail_on.contains(&FailOnArg::Calendar),
        },
    };
    for id in lifecycle::request_ids(&ws.root)? {
        let analysis = match Analysis::load(&ws.root, &registry, &id) {
            Ok(analysis) => analysis,
            Err(err) => {
                report.unverified.push(Unverified {
                    file: format!("{}/{id}", sms_bcast::workspace::REQUESTS_DIR),
                    request: id,
                    problems: vec![err.to_string()],
                });
                continue;
            }
        };
        if let (Some(since), Some(first)) = (args.since, analysis.first_submission())
            && first.time.with_timezone(&ws.zone).date_naive() < since
        {
            continue;
        }
        match timeline(&ws, &analysis) {
            Ok(timeline) => {
                let clocks = sla::evaluate(&ws.config.sla, &calendar, &timeline, now)
                    .map_err(|e| anyhow::anyhow!("request {id}: {e}"))?;
                report.requests.push(RequestClocks {
                    file: record::request_file(&id, analysis.revision),
                    request: id,
                    clocks,
                });
            }
            Err(problems) => report.unverified.push(Unverified {
                file: problems
                    .first()
                    .map(|(file, _)| file.clone())
                    .unwrap_or_default(),
                problems: problems
                    .into_iter()
                    .map(|(file, message)| format!("{file}: {message}"))
                    .collect(),
                request: id,
            }),
        }
    }
    for warning in &report.calendar {
        eprintln!("warning: {warning}");
    }
    if args.notify {
        queue_reminders(&ws, &report)?;
    }
    let out = match format {
        Format::Json => report::json(&report),
        Format::Junit => report::junit(&report),
        Format::Github => report::github(&report),
        Format::Gitlab => report::gitlab(&report),
        // `csv` is refused before the command runs (one request has several clocks).
        Format::Table | Format::Csv => report::table(&report),
    };
    out!("{out}");
    Ok(if report.fails() {
        Status::Problems
    } else {
        Status::Success
    })
}

/// Queues (and commits) a reminder for every clock that is due soon or breached
/// and awaits someone; each request, clock and state is reminded once, ever.
fn queue_reminders(ws: &Workspace, report: &Report) -> Result<()> {
    let reminders: Vec<Reminder> = report
        .requests
        .iter()
        .flat_map(|request| {
            // A clock blocked by an earlier step reminds nobody: that step's own clock does.
            request
                .clocks
                .iter()
                .filter(|clock| clock.blocked_by.is_none())
                .filter_map(|clock| {
                    Some(Reminder {
                        request_id: request.request.clone(),
                        clock: clock.clock.clone(),
                        state: clock.state,
                        awaiting: clock.awaiting?,
                        due: clock.due?,
                    })
                })
        })
        .collect();
    let queued = notice::queue_reminders(&ws.root, &reminders)?;
    if !queued.is_empty() {
        eprintln!(
            "Queued {} reminder(s); `sms-bcast notify` delivers them.",
            queued.len()
        );
    }
    Ok(())
}

/// `calendar/` of the workspace, named as the user would (no `./` prefix).
fn calendar_dir(ws: &Workspace) -> PathBuf {
    if ws.root == Path::new(".") {
        PathBuf::from(CALENDAR_DIR)
    } else {
        ws.root.join(CALENDAR_DIR)
    }
}

/// The current revision's events, or the problems that keep the request from
/// being evaluated (each as file and message).
fn timeline(
    ws: &Workspace,
    analysis: &Analysis,
) -> std::result::Result<Timeline, Vec<(String, String)>> {
    if !analysis.problems.is_empty() {
        return Err(analysis
            .problems
            .iter()
            .map(|p| (p.file.display().to_string(), p.message.clone()))
            .collect());
    }
    let Some(submission) = analysis.revision_statement() else {
        return Err(vec![(
            format!("{}/{}", sms_bcast::workspace::REQUESTS_DIR, analysis.id),
            "has no valid submission".into(),
        )]);
    };
    let form = analysis.form(&ws.root).map_err(|e| {
        vec![(
            record::request_file(&analysis.id, analysis.revision),
            e.to_string(),
        )]
    })?;
    let end = analysis.end();
    let at_end = |kind: Kind| end.filter(|s| s.kind == kind).map(|s| s.time);
    Ok(Timeline {
        submitted: submission.time,
        advisor: decision(analysis, Role::Advisor),
        decider: decision(analysis, Role::Decider),
        send_after: form.send_after,
        sent: at_end(Kind::Sent),
        // An abandoned broadcast ends the request like a withdrawal: its open clocks stop.
        withdrawn: analysis
            .withdrawal()
            .map(|s| s.time)
            .or(at_end(Kind::Abandon)),
    })
}

/// A reviewer role's counting decision on the current revision; a rejection
/// wins over an approval from a merged clone, as in the lifecycle.
fn decision(analysis: &Analysis, role: Role) -> Option<Decision> {
    let decided: Vec<_> = analysis.decisions_of(role).collect();
    let first = |kind: Kind| {
        decided
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| s.time)
            .min()
    };
    match first(Kind::Reject) {
        Some(at) => Some(Decision {
            at,
            approved: false,
        }),
        None => first(Kind::Approve).map(|at| Decision { at, approved: true }),
    }
}
