use std::path::Path;

use super::*;
use crate::calendar::{CalendarSettings, WorkingCalendar};
use crate::sla::{Decision, SlaPolicy, Timeline, evaluate};

fn t(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// Three requests on Tuesday 3 March 2026 10:00 WIB: the first untouched since
/// Monday 09:00 (both reviews breached), the second submitted Monday 08:00 and
/// approved late by both reviewers, the third submitted Monday 12:00 (both
/// reviews due soon).
fn sample() -> Vec<RequestClocks> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("calendar");
    let cal = WorkingCalendar::load(&dir, CalendarSettings::default()).unwrap();
    let now = t("2026-03-03T10:00:00+07:00");
    let first = Timeline::submitted(t("2026-03-02T09:00:00+07:00"));
    let mut second = Timeline::submitted(t("2026-03-02T08:00:00+07:00"));
    second.advisor = Some(Decision {
        at: t("2026-03-03T09:00:00+07:00"),
        approved: true,
    });
    second.decider = Some(Decision {
        at: t("2026-03-03T09:30:00+07:00"),
        approved: true,
    });
    let third = Timeline::submitted(t("2026-03-02T12:00:00+07:00"));
    let policy = SlaPolicy::default();
    [
        ("2026-0001", first),
        ("2026-0002", second),
        ("2026-0003", third),
    ]
    .into_iter()
    .map(|(id, tl)| RequestClocks {
        request: id.to_string(),
        file: format!("requests/{id}/request.yaml"),
        clocks: evaluate(&policy, &cal, &tl, now).unwrap(),
    })
    .collect()
}

/// The sample as a report evaluated at its instant.
fn report(requests: Vec<RequestClocks>) -> Report {
    Report {
        evaluated_at: t("2026-03-03T10:00:00+07:00"),
        requests,
        unverified: Vec::new(),
        calendar: Vec::new(),
        fail_on: FailOn::default(),
    }
}

/// A request whose names need escaping in every format.
fn nasty() -> Vec<RequestClocks> {
    let mut reports = sample();
    reports.truncate(1);
    reports[0].request = "a<b>&\"c\",d:e%".into();
    reports[0].clocks[0].clock = "review, 100%\nnext: <now>".into();
    reports
}

#[test]
fn json_has_the_documented_fields_per_clock() {
    let doc: JsonReport = serde_json::from_str(&json(&report(sample()))).unwrap();
    assert!(doc.failed, "breached clocks fail the run");
    let parsed = doc.clocks;
    assert_eq!(parsed.len(), 12);
    let decider = &parsed[1];
    assert_eq!(
        (decider.request.as_str(), decider.clock.as_str()),
        ("2026-0001", "decider review")
    );
    assert_eq!(decider.state, ClockState::Breached);
    assert_eq!(decider.remaining, Some(-3600));
    assert_eq!(decider.elapsed, 25 * 3600);
    assert_eq!(decider.due, Some(t("2026-03-03T09:00:00+07:00")));
    assert_eq!(
        (decider.awaiting, decider.blocked_by),
        (Some(Role::Advisor), Some(Role::Advisor))
    );

    let raw: serde_json::Value = serde_json::from_str(&json(&report(sample()))).unwrap();
    let raw = &raw["clocks"];
    let first = raw[0].as_object().unwrap();
    let mut keys: Vec<_> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "awaiting",
            "blocked_by",
            "clock",
            "due",
            "elapsed",
            "file",
            "goal",
            "remaining",
            "request",
            "start",
            "state",
            "stop"
        ]
    );
    assert_eq!(raw[0]["state"], "breached");
    assert_eq!(raw[0]["goal"], "1 working day");
    assert_eq!(raw[0]["start"], "2026-03-02T09:00:00+07:00");
    assert_eq!(raw[2]["state"], "not-started");
    assert_eq!(raw[4]["state"], "met-late");
    assert_eq!(raw[5]["state"], "met-late");
    assert_eq!(raw[6]["state"], "running");
    assert_eq!(raw[8]["state"], "due-soon");
}

#[test]
fn junit_is_well_formed_with_one_case_per_request_and_clock() {
    let xml = junit(&report(sample()));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 12);
    let failed: Vec<_> = cases
        .iter()
        .filter(|c| c.children().any(|n| n.has_tag_name("failure")))
        .map(|c| {
            (
                c.attribute("classname").unwrap(),
                c.attribute("name").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        failed,
        [
            ("2026-0001", "advisor review"),
            ("2026-0001", "decider review")
        ]
    );
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("failures"), Some("2"));
    assert_eq!(suite.attribute("skipped"), Some("2"));
    let failure = cases[1]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("overdue by 1h 00m")
    );
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("; blocked: the advisor has not acted yet")
    );

    let strict = roxmltree::Document::parse(&junit(&Report {
        fail_on: FailOn {
            late: true,
            calendar: false,
        },
        ..report(sample())
    }))
    .unwrap()
    .input_text()
    .to_string();
    assert!(
        strict.contains(r#"failures="4""#),
        "late clocks fail when asked"
    );
}

#[test]
fn junit_escapes_names() {
    let xml = junit(&report(nasty()));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(case.attribute("classname"), Some("a<b>&\"c\",d:e%"));
    assert_eq!(case.attribute("name"), Some("review, 100%\nnext: <now>"));
}

#[test]
fn github_commands_point_at_the_request_file() {
    let out = github(&report(sample()));
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert!(lines[0].starts_with(
        "::error file=requests/2026-0001/request.yaml,title=2026-0001 advisor review%3A breached::2026-0001: advisor review is overdue by 1h 00m"
    ), "{out}");
    assert!(
        lines[1].contains("; blocked: the advisor has not acted yet"),
        "{out}"
    );
    assert!(lines[2].starts_with("::warning file=requests/2026-0002/request.yaml,title=2026-0002 advisor review%3A met-late::"), "{out}");
    assert!(
        lines[3].contains("2026-0002 decider review%3A met-late"),
        "{out}"
    );
    assert!(
        lines[5].starts_with("::warning ")
            && lines[5].contains("2026-0003 decider review%3A due-soon"),
        "{out}"
    );
}

#[test]
fn github_escapes_data_and_properties() {
    let out = github(&report(nasty()));
    let first = out.lines().next().unwrap();
    assert_eq!(
        out.lines().count(),
        2,
        "a newline in a name must not split a command: {out}"
    );
    assert!(
        first
            .contains("title=a<b>&\"c\"%2Cd%3Ae%25 review%2C 100%25%0Anext%3A <now>%3A breached::"),
        "{first}"
    );
    assert!(
        first.contains("::a<b>&\"c\",d:e%25: review, 100%25%0Anext: <now> is overdue"),
        "{first}"
    );
}

#[test]
fn gitlab_code_quality_has_unique_stable_fingerprints() {
    let out = gitlab(&report(sample()));
    let issues: serde_json::Value = serde_json::from_str(&out).unwrap();
    let issues = issues.as_array().unwrap();
    assert_eq!(issues.len(), 6);
    let severities: Vec<_> = issues
        .iter()
        .map(|i| i["severity"].as_str().unwrap())
        .collect();
    assert_eq!(
        severities,
        ["critical", "critical", "minor", "minor", "info", "info"]
    );
    assert_eq!(
        issues[0]["location"]["path"],
        "requests/2026-0001/request.yaml"
    );
    assert_eq!(issues[0]["location"]["lines"]["begin"], 1);
    assert_eq!(issues[0]["check_name"], "sms-bcast-deadline-breached");
    let prints: std::collections::HashSet<_> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), 6);
    assert_eq!(
        gitlab(&report(sample())),
        out,
        "same input, same fingerprints"
    );
}

#[test]
fn table_shows_time_left_and_lateness() {
    let out = table(&report(sample()));
    let row = |needle: &str| {
        out.lines()
            .find(|l| l.contains(needle))
            .unwrap()
            .to_string()
    };
    let decider = row("2026-0001 ┆ decider review");
    assert!(
        decider.contains("breached") && decider.contains("1h 00m late"),
        "{out}"
    );
    assert!(decider.contains("advisor (blocks decider review)"), "{out}");
    let soon = row("2026-0003 ┆ decider review");
    assert!(
        soon.contains("due-soon")
            && soon.contains("2026-03-03 12:00 +07:00")
            && soon.contains("2h 00m"),
        "{out}"
    );
}

#[test]
fn durations_read_naturally() {
    assert_eq!(human_duration(TimeDelta::minutes(45)), "45m");
    assert_eq!(human_duration(TimeDelta::minutes(185)), "3h 05m");
    assert_eq!(human_duration(TimeDelta::hours(-52)), "-2d 4h");
}

#[test]
fn unverified_requests_and_calendar_warnings_reach_every_format() {
    let mut r = report(sample());
    r.requests.truncate(2);
    r.requests[0].clocks.clear();
    r.unverified.push(Unverified {
        request: "2026-0009".into(),
        file: "requests/2026-0009/x.yaml".into(),
        problems: vec!["requests/2026-0009/x.yaml: has no signature file".into()],
    });
    r.calendar
        .push("no holiday file for 2027: add calendar/2027.yaml".into());
    assert!(r.fails(), "an unverified request fails the run");

    let doc: JsonReport = serde_json::from_str(&json(&r)).unwrap();
    assert_eq!(doc.unverified, r.unverified);
    assert_eq!(doc.calendar, r.calendar);

    let xml = junit(&r);
    let parsed = roxmltree::Document::parse(&xml).unwrap();
    let suite = parsed
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    // 4 clocks of the second request, the unverified request, the warning.
    assert_eq!(suite.attribute("tests"), Some("6"));
    assert_eq!(suite.attribute("failures"), Some("1"), "{xml}");

    let gh = github(&r);
    assert!(
        gh.contains("::error file=requests/2026-0009/x.yaml,title=2026-0009 does not verify::"),
        "{gh}"
    );
    assert!(
        gh.contains("::warning title=calendar::no holiday file for 2027"),
        "{gh}"
    );

    r.fail_on.calendar = true;
    assert!(github(&r).contains("::error title=calendar::"));
    let issues: Vec<serde_json::Value> = serde_json::from_str(&gitlab(&r)).unwrap();
    let severities: Vec<_> = issues
        .iter()
        .map(|i| i["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["minor", "minor", "blocker", "major"]);
    assert!(table(&r).contains("2026-0009 does not verify"));
}
