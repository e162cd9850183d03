use std::path::Path;

use super::*;
use crate::calendar::CalendarSettings;

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn calendar() -> WorkingCalendar {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("calendar");
    WorkingCalendar::load(&dir, CalendarSettings::default()).unwrap()
}

fn decided(at: &str, approved: bool) -> Option<Decision> {
    Some(Decision {
        at: t(at),
        approved,
    })
}

/// Monday 2 March 2026 09:00 WIB: an ordinary week without holidays.
const MON_9: &str = "2026-03-02T09:00:00+07:00";

fn run(tl: &Timeline, now: &str) -> Vec<ClockStatus> {
    evaluate(&SlaPolicy::default(), &calendar(), tl, t(now)).unwrap()
}

fn clock<'a>(all: &'a [ClockStatus], name: &str) -> &'a ClockStatus {
    all.iter().find(|c| c.clock == name).unwrap()
}

#[test]
fn fresh_request_runs_both_reviews_from_submission() {
    let all = run(&Timeline::submitted(t(MON_9)), "2026-03-02T12:00:00+07:00");
    let names: Vec<_> = all.iter().map(|c| c.clock.as_str()).collect();
    assert_eq!(
        names,
        [
            "advisor review",
            "decider review",
            "broadcast",
            "end to end"
        ]
    );
    for name in ["advisor review", "decider review"] {
        let c = clock(&all, name);
        assert_eq!(c.state, ClockState::Running);
        assert_eq!(c.due, Some(t("2026-03-03T09:00:00+07:00")));
        assert_eq!(c.elapsed, TimeDelta::hours(3));
        assert_eq!(c.remaining, Some(TimeDelta::hours(21)));
    }
    assert_eq!(clock(&all, "advisor review").awaiting, Some(Role::Advisor));
    // The decider waits for the advisor's advice.
    assert_eq!(clock(&all, "decider review").awaiting, Some(Role::Advisor));
    let b = clock(&all, "broadcast");
    assert_eq!(
        (b.state, b.start, b.due),
        (ClockState::NotStarted, None, None)
    );
    assert_eq!(
        clock(&all, "end to end").due,
        Some(t("2026-03-04T09:00:00+07:00"))
    );
}

#[test]
fn past_the_warn_threshold_is_due_soon() {
    // 18 h of 24 is exactly 75%.
    let all = run(&Timeline::submitted(t(MON_9)), "2026-03-03T03:00:00+07:00");
    assert_eq!(clock(&all, "advisor review").state, ClockState::DueSoon);
    let all = run(&Timeline::submitted(t(MON_9)), "2026-03-03T02:59:00+07:00");
    assert_eq!(clock(&all, "advisor review").state, ClockState::Running);
}

#[test]
fn overdue_decider_is_blocked_by_the_silent_advisor() {
    let all = run(&Timeline::submitted(t(MON_9)), "2026-03-03T10:00:00+07:00");
    let a = clock(&all, "advisor review");
    assert_eq!(a.state, ClockState::Breached);
    assert_eq!(a.remaining, Some(TimeDelta::hours(-1)));
    assert_eq!(a.blocked_by, None);
    let d = clock(&all, "decider review");
    assert_eq!(d.state, ClockState::Breached);
    assert_eq!(d.blocked_by, Some(Role::Advisor));

    let mut tl = Timeline::submitted(t(MON_9));
    tl.advisor = decided("2026-03-03T09:30:00+07:00", true);
    let all = run(&tl, "2026-03-03T10:00:00+07:00");
    assert_eq!(clock(&all, "advisor review").state, ClockState::MetLate);
    let d = clock(&all, "decider review");
    assert_eq!(
        (d.state, d.awaiting, d.blocked_by),
        (ClockState::Breached, Some(Role::Decider), None)
    );
}

#[test]
fn broadcast_starts_at_approval_and_late_decisions_are_met_late() {
    let mut tl = Timeline::submitted(t(MON_9));
    tl.advisor = decided("2026-03-02T15:00:00+07:00", true);
    tl.decider = decided("2026-03-03T11:00:00+07:00", true);
    let all = run(&tl, "2026-03-03T12:00:00+07:00");
    assert_eq!(clock(&all, "advisor review").state, ClockState::Met);
    assert_eq!(
        clock(&all, "advisor review").remaining,
        Some(TimeDelta::hours(18))
    );
    let d = clock(&all, "decider review");
    assert_eq!(
        (d.state, d.remaining, d.awaiting),
        (ClockState::MetLate, Some(TimeDelta::hours(-2)), None)
    );
    let b = clock(&all, "broadcast");
    assert_eq!(b.state, ClockState::Running);
    assert_eq!(b.start, Some(t("2026-03-03T11:00:00+07:00")));
    assert_eq!(b.due, Some(t("2026-03-04T11:00:00+07:00")));
    assert_eq!(b.awaiting, Some(Role::Operator));

    // A wished send time later than the approval moves the start.
    tl.send_after = Some(t("2026-03-05T08:00:00+07:00"));
    let all = run(&tl, "2026-03-03T12:00:00+07:00");
    let b = clock(&all, "broadcast");
    assert_eq!(b.state, ClockState::NotStarted);
    assert_eq!(b.due, Some(t("2026-03-06T08:00:00+07:00")));

    tl.sent = Some(t("2026-03-05T10:00:00+07:00"));
    let all = run(&tl, "2026-03-06T12:00:00+07:00");
    assert_eq!(clock(&all, "broadcast").state, ClockState::Met);
    let e = clock(&all, "end to end");
    assert_eq!(e.state, ClockState::MetLate);
    assert_eq!(e.remaining, Some(TimeDelta::hours(-25)));
}

#[test]
fn a_rejection_stops_the_later_clocks() {
    let mut tl = Timeline::submitted(t(MON_9));
    tl.advisor = decided("2026-03-02T15:00:00+07:00", false);
    let all = run(&tl, "2026-03-10T12:00:00+07:00");
    assert_eq!(clock(&all, "advisor review").state, ClockState::Met);
    for name in ["decider review", "broadcast", "end to end"] {
        let c = clock(&all, name);
        assert_eq!(c.state, ClockState::Stopped, "{name}");
        assert_eq!(c.stop, Some(t("2026-03-02T15:00:00+07:00")), "{name}");
        assert_eq!((c.awaiting, c.remaining), (None, None), "{name}");
    }
}

#[test]
fn withdrawal_stops_every_open_clock() {
    let mut tl = Timeline::submitted(t(MON_9));
    tl.advisor = decided("2026-03-02T15:00:00+07:00", true);
    tl.withdrawn = Some(t("2026-03-04T09:00:00+07:00"));
    let all = run(&tl, "2026-03-10T12:00:00+07:00");
    let states: Vec<_> = all.iter().map(|c| c.state).collect();
    assert_eq!(
        states,
        [
            ClockState::Met,
            ClockState::Stopped,
            ClockState::Stopped,
            ClockState::Stopped
        ]
    );
    assert_eq!(clock(&all, "decider review").elapsed, TimeDelta::hours(48));
}

#[test]
fn a_revision_restarts_the_review_clocks() {
    // The first revision was submitted on Monday and rejected; the new one on
    // Wednesday 10:00 carries no decisions, so its reviews are due Thursday.
    let tl = Timeline::submitted(t("2026-03-04T10:00:00+07:00"));
    let all = run(&tl, "2026-03-04T12:00:00+07:00");
    let a = clock(&all, "advisor review");
    assert_eq!(
        (a.state, a.due),
        (ClockState::Running, Some(t("2026-03-05T10:00:00+07:00")))
    );
    assert_eq!(
        clock(&all, "end to end").due,
        Some(t("2026-03-06T10:00:00+07:00"))
    );
}

#[test]
fn a_decision_kept_from_an_earlier_revision_is_met_with_nothing_elapsed() {
    let mut tl = Timeline::submitted(t("2026-03-04T10:00:00+07:00"));
    tl.advisor = decided(MON_9, true);
    let all = run(&tl, "2026-03-04T12:00:00+07:00");
    let a = clock(&all, "advisor review");
    assert_eq!((a.state, a.elapsed), (ClockState::Met, TimeDelta::zero()));
    assert_eq!(a.remaining, Some(TimeDelta::hours(24)));
}

#[test]
fn clocks_can_use_another_office_zone_and_elapsed_hours() {
    let policy: SlaPolicy = serde_yaml::from_str(
        "clocks:\n  - name: decider review\n    start: submitted\n    stop: decider-decided\n    goal: 1 working day\n    calendar: {time_zone: Asia/Makassar}\n  - name: urgent\n    start: submitted\n    stop: sent\n    goal: 36 hours\n    warn_at: 50\n",
    )
    .unwrap();
    // Friday 23:30 WIB is Saturday 00:30 in Makassar.
    let tl = Timeline::submitted(t("2026-03-06T23:30:00+07:00"));
    let all = evaluate(&policy, &calendar(), &tl, t("2026-03-07T18:00:00+07:00")).unwrap();
    let d = clock(&all, "decider review");
    assert_eq!(d.due.unwrap().to_rfc3339(), "2026-03-10T00:00:00+08:00");
    assert_eq!(d.elapsed, TimeDelta::zero());
    let u = clock(&all, "urgent");
    assert_eq!(u.due, Some(t("2026-03-08T11:30:00+07:00")));
    assert_eq!(u.state, ClockState::DueSoon);
}

#[test]
fn a_missing_holiday_year_names_the_clock_and_file() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("calendar");
    let cal = WorkingCalendar::load(&dir, CalendarSettings::default()).unwrap();
    let tl = Timeline::submitted(t("2028-01-04T09:00:00+07:00"));
    let err = evaluate(
        &SlaPolicy::default(),
        &cal,
        &tl,
        t("2028-01-04T10:00:00+07:00"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("clock `advisor review`: no holiday file for 2028"),
        "{err}"
    );
    assert!(err.contains("2028.yaml"), "{err}");
}

#[test]
fn default_policy_round_trips_as_yaml() {
    let yaml = serde_yaml::to_string(&SlaPolicy::default()).unwrap();
    assert!(yaml.contains("not_before: send-after"), "{yaml}");
    assert!(yaml.contains("goal: 2 working days"), "{yaml}");
    assert!(yaml.contains("warn_at: 75%"), "{yaml}");
    assert_eq!(
        serde_yaml::from_str::<SlaPolicy>(&yaml).unwrap(),
        SlaPolicy::default()
    );
    SlaPolicy::default().validate().unwrap();
}

#[test]
fn bad_policies_name_the_key_and_line() {
    let base = "clocks:\n  - name: x\n    start: submitted\n    stop: sent\n";
    for (extra, line, needle) in [
        (
            "    goal: 1 working day\n    stopp: sent\n",
            6,
            "clocks[0]: unknown field `stopp`",
        ),
        (
            "    goal: 1 wrking day\n",
            5,
            "clocks[0].goal: invalid goal `1 wrking day`",
        ),
        (
            "    goal: 1 working day\n    warn_at: 120%\n",
            6,
            "clocks[0].warn_at: invalid warn_at `120%`",
        ),
    ] {
        let err = serde_yaml::from_str::<SlaPolicy>(&format!("{base}{extra}")).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
        assert_eq!(err.location().unwrap().line(), line, "{err}");
    }
    let err = serde_yaml::from_str::<SlaPolicy>("clocks:\n  - name: x\n    start: approved\n")
        .unwrap_err();
    assert!(
        err.to_string().contains("unknown variant `approved`"),
        "{err}"
    );

    let mut twice = SlaPolicy::default();
    twice.clocks[1].name = "advisor review".into();
    let err = twice.validate().unwrap_err().to_string();
    assert!(
        err.contains("sla.clocks[1].name: `advisor review` is used twice"),
        "{err}"
    );
}

#[test]
fn a_clock_that_stops_on_its_start_event_is_refused() {
    let mut policy = SlaPolicy::default();
    policy.clocks[2].stop = policy.clocks[2].start;
    let err = policy.validate().unwrap_err().to_string();
    assert!(
        err.starts_with(
            "sla.clocks[2].stop: is `decider-approved`, the event that starts the clock"
        ),
        "{err}"
    );
}
