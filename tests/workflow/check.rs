//! `sms-bcast check`: deadlines on the working calendar, through the binary,
//! always at a fixed instant (`--now` or the drill clock), never the wall clock.

use std::collections::HashSet;
use std::process::Output;

use serde_json::Value;

use crate::common::*;

/// `check --now NOW ARGS...`: exit code, stdout, stderr.
fn check(env: &TestEnv, now: &str, args: &[&str]) -> (i32, String, String) {
    let out: Output = env
        .cmd()
        .args(["check", "--now", now])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The JSON report at `now` (whatever the exit code).
fn report(env: &TestEnv, now: &str) -> Value {
    let (code, out, err) = check(env, now, &["--format", "json"]);
    assert!(code == 0 || code == 1, "check failed ({code}): {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// One clock of one request in a JSON report.
fn clock<'a>(report: &'a Value, id: &str, name: &str) -> &'a Value {
    report["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["request"] == id && c["clock"] == name)
        .unwrap_or_else(|| panic!("no clock {name} for {id} in {report}"))
}

/// `(state, due)` of a clock.
fn state_due(report: &Value, id: &str, name: &str) -> (String, String) {
    let c = clock(report, id, name);
    (
        c["state"].as_str().unwrap().to_string(),
        c["due"].as_str().unwrap_or("-").to_string(),
    )
}

/// `requester` submits at `at`; returns the id.
fn submit_at(env: &TestEnv, at: &str, title: &str) -> String {
    env.at(at).submit(ANI, title)
}

/// Rewrites `sms-bcast.yaml` (replacing `from` by `to`) and commits it.
fn edit_config(env: &TestEnv, from: &str, to: &str) {
    let path = env.ws.join("sms-bcast.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {text}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    env.git(&["commit", "-qam", "Change deadline settings"]);
}

const CALENDAR_ZONE: &str = "\n  time_zone: Asia/Jakarta\n";

#[test]
fn init_writes_the_sop_clocks_and_the_holiday_files() {
    let env = TestEnv::new();
    let config = std::fs::read_to_string(env.ws.join("sms-bcast.yaml")).unwrap();
    for needle in [
        "calendar:",
        "  missing_year: error",
        "- name: decider review",
        "not_before: send-after",
        "goal: 2 working days",
    ] {
        assert!(config.contains(needle), "{needle} missing:\n{config}");
    }
    let tracked = env.git(&["ls-files", "calendar"]);
    assert_eq!(tracked, "calendar/2026.yaml\ncalendar/2027.yaml\n");
    let (code, out, _) = check(&env, START, &[]);
    assert_eq!(code, 0);
    assert_eq!(out, "No requests in scope.\n");
}

#[test]
fn a_weekend_does_not_count_and_an_overdue_review_fails_the_run() {
    let env = TestEnv::new();
    // Friday 15:00 WIB: 9 hours on Friday, the rest on Monday.
    let id = submit_at(&env, "2026-12-11T15:00:00+07:00", "Weekend");
    let monday = report(&env, "2026-12-14T14:00:00+07:00");
    let advisor = clock(&monday, &id, "advisor review");
    assert_eq!(advisor["due"], "2026-12-14T15:00:00+07:00");
    assert_eq!(advisor["state"], "due-soon");
    assert_eq!(advisor["remaining"], 3600);
    assert_eq!(
        advisor["elapsed"],
        23 * 3600,
        "Saturday and Sunday do not count"
    );
    assert_eq!(advisor["awaiting"], "advisor");
    assert_eq!(
        state_due(&monday, &id, "broadcast").0,
        "not-started",
        "broadcast starts at the decider's approval"
    );
    assert_eq!(
        state_due(&monday, &id, "end to end").1,
        "2026-12-15T15:00:00+07:00"
    );

    // The drill clock (SMS_BCAST_NOW) is the evaluation instant without --now.
    let out = env
        .at("2026-12-14T16:00:00+07:00")
        .cmd()
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a breached clock fails the run");
    let table = String::from_utf8(out.stdout).unwrap();
    let row = table
        .lines()
        .find(|l| l.contains("decider review"))
        .unwrap();
    assert!(
        row.contains("breached") && row.contains("1h 00m late"),
        "{table}"
    );
    assert!(
        row.contains("advisor (blocks decider review)"),
        "the decider waits for the advisor: {table}"
    );
}

#[test]
fn cuti_bersama_and_holidays_are_skipped_unless_cuti_bersama_is_working() {
    let env = TestEnv::new();
    // Wed 23 Dec 10:00; Thu 24 is cuti bersama, Fri 25 Christmas, then the weekend.
    let id = submit_at(&env, "2026-12-23T10:00:00+07:00", "Natal");
    let now = "2026-12-23T12:00:00+07:00";
    assert_eq!(
        state_due(&report(&env, now), &id, "advisor review"),
        ("running".into(), "2026-12-28T10:00:00+07:00".into())
    );
    edit_config(
        &env,
        "cuti_bersama_working: false",
        "cuti_bersama_working: true",
    );
    assert_eq!(
        state_due(&report(&env, now), &id, "advisor review").1,
        "2026-12-24T10:00:00+07:00",
        "24 December counts when cuti bersama is a working day"
    );
}

#[test]
fn a_request_submitted_on_a_holiday_starts_counting_on_the_next_working_day() {
    let env = TestEnv::new();
    let id = submit_at(&env, "2026-12-25T10:00:00+07:00", "Hari raya");
    let r = report(&env, "2026-12-28T09:00:00+07:00");
    let advisor = clock(&r, &id, "advisor review");
    assert_eq!(advisor["due"], "2026-12-29T00:00:00+07:00");
    assert_eq!(advisor["elapsed"], 9 * 3600, "only Monday counted so far");
}

#[test]
fn working_hours_count_only_office_time() {
    let env = TestEnv::new();
    edit_config(
        &env,
        CALENDAR_ZONE,
        "\n  time_zone: Asia/Jakarta\n  working_hours: \"07:30-16:00\"\n",
    );
    let late = submit_at(&env, "2026-12-11T17:00:00+07:00", "After hours");
    let afternoon = submit_at(&env, "2026-12-11T15:00:00+07:00", "Afternoon");
    let r = report(&env, "2026-12-14T08:00:00+07:00");
    let c = clock(&r, &late, "advisor review");
    assert_eq!(c["due"], "2026-12-14T16:00:00+07:00");
    assert_eq!(c["elapsed"], 30 * 60, "counting started Monday 07:30");
    assert_eq!(
        state_due(&r, &afternoon, "advisor review").1,
        "2026-12-14T15:00:00+07:00"
    );
}

#[test]
fn a_wita_office_counts_its_own_days_and_shows_its_own_offset() {
    let env = TestEnv::new();
    // Fri 23:30 WIB is already Saturday 00:30 in Makassar.
    let id = submit_at(&env, "2026-12-11T23:30:00+07:00", "Malam");
    let now = "2026-12-14T09:00:00+07:00";
    assert_eq!(
        state_due(&report(&env, now), &id, "advisor review").1,
        "2026-12-14T23:30:00+07:00",
        "WIB: half an hour on Friday, 23.5 hours on Monday"
    );
    edit_config(&env, CALENDAR_ZONE, "\n  time_zone: Asia/Makassar\n");
    assert_eq!(
        state_due(&report(&env, now), &id, "advisor review").1,
        "2026-12-15T00:00:00+08:00",
        "WITA: nothing on Friday, all of Monday"
    );
}

#[test]
fn year_end_uses_the_next_years_file_and_a_missing_one_is_named() {
    let env = TestEnv::new();
    let id = submit_at(&env, "2026-12-31T10:00:00+07:00", "Tahun baru");
    let now = "2026-12-31T12:00:00+07:00";
    assert_eq!(
        state_due(&report(&env, now), &id, "advisor review").1,
        "2027-01-04T10:00:00+07:00",
        "1 January 2027 is a holiday, then the weekend"
    );
    env.git(&["rm", "-q", "calendar/2027.yaml"]);
    env.git(&["commit", "-qm", "Drop 2027"]);
    let (code, _, err) = check(&env, now, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "request {id}: clock `advisor review`: no holiday file for 2027: add calendar/2027.yaml"
        )),
        "{err}"
    );
    edit_config(&env, "missing_year: error", "missing_year: weekends-only");
    assert_eq!(
        state_due(&report(&env, now), &id, "advisor review").1,
        "2027-01-01T10:00:00+07:00",
        "weekends-only: 1 January counts"
    );
}

#[test]
fn a_rejection_stops_the_clocks_and_a_revision_restarts_them() {
    let env = TestEnv::new();
    let id = submit_at(&env, "2026-12-14T09:00:00+07:00", "Ditolak");
    env.at("2026-12-14T11:00:00+07:00")
        .ok_as(TEAM_LEADER, &["reject", &id, "--reason", "Sebutkan lokasi"]);
    // Long after every due time: a rejected request breaches nothing.
    let (code, out, err) = check(&env, "2026-12-21T09:00:00+07:00", &["--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        state_due(&r, &id, "advisor review").0,
        "met",
        "a decision is a decision"
    );
    for name in ["decider review", "broadcast", "end to end"] {
        let c = clock(&r, &id, name);
        assert_eq!(c["state"], "stopped", "{name}");
        assert_eq!(c["stop"], "2026-12-14T11:00:00+07:00", "{name}");
    }

    let form = env.write_form("v2.yaml", &env.form(ANI, "Ditolak, diperbaiki"));
    env.at("2026-12-15T10:00:00+07:00")
        .ok_as(ANI, &["revise", &id, form.to_str().unwrap()]);
    let r = report(&env, "2026-12-15T12:00:00+07:00");
    for name in ["advisor review", "decider review"] {
        let c = clock(&r, &id, name);
        assert_eq!(c["state"], "running", "{name}");
        assert_eq!(c["start"], "2026-12-15T10:00:00+07:00", "{name}");
        assert_eq!(c["due"], "2026-12-16T10:00:00+07:00", "{name}");
    }
    assert_eq!(clock(&r, &id, "end to end")["state"], "running");
    assert_eq!(
        clock(&r, &id, "advisor review")["file"],
        format!("requests/{id}/request-r2.yaml")
    );

    // The decider rejecting revision 2 stops the broadcast clocks again.
    env.at("2026-12-15T13:00:00+07:00")
        .ok_as(TEAM_LEADER, &["approve", &id]);
    env.at("2026-12-15T14:00:00+07:00")
        .ok_as(SATKER, &["reject", &id, "--reason", "Tidak mendesak"]);
    let r = report(&env, "2026-12-31T09:00:00+07:00");
    assert_eq!(state_due(&r, &id, "decider review").0, "met");
    assert_eq!(state_due(&r, &id, "broadcast").0, "stopped");
    assert_eq!(state_due(&r, &id, "end to end").0, "stopped");
}

#[test]
fn late_decisions_fail_only_with_fail_on_any() {
    let env = TestEnv::new();
    let id = submit_at(&env, "2026-12-14T09:00:00+07:00", "Terlambat");
    env.at("2026-12-15T10:00:00+07:00")
        .ok_as(TEAM_LEADER, &["approve", &id]);
    env.at("2026-12-15T10:30:00+07:00")
        .ok_as(SATKER, &["approve", &id]);
    let now = "2026-12-15T11:00:00+07:00";
    let (code, out, _) = check(&env, now, &[]);
    assert_eq!(code, 0, "late but done: reported, not failed\n{out}");
    let row = out.lines().find(|l| l.contains("advisor review")).unwrap();
    assert!(
        row.contains("met-late") && row.contains("1h 00m late"),
        "{out}"
    );
    let (code, out, _) = check(&env, now, &["--fail-on", "any", "--format", "github"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!(
            "::error file=requests/{id}/request-r1.yaml,title={id} advisor review%3A met-late::{id}: advisor review was done 1h 00m late"
        )),
        "{out}"
    );
    let r = report(&env, now);
    assert_eq!(
        clock(&r, &id, "broadcast")["start"],
        "2026-12-15T10:30:00+07:00"
    );
    assert_eq!(clock(&r, &id, "broadcast")["awaiting"], "operator");
}

#[test]
fn every_format_parses_back() {
    let env = TestEnv::new();
    let old = submit_at(&env, "2026-12-14T09:00:00+07:00", "Lama");
    let new = submit_at(&env, "2026-12-15T09:00:00+07:00", "Baru");
    let now = "2026-12-15T12:00:00+07:00";

    let (code, out, _) = check(&env, now, &["--format", "json"]);
    assert_eq!(code, 1, "the first request's reviews are overdue");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["evaluated_at"], now);
    assert_eq!(json["failed"], true);
    assert_eq!(json["clocks"].as_array().unwrap().len(), 8);
    assert_eq!(state_due(&json, &old, "advisor review").0, "breached");
    assert_eq!(state_due(&json, &new, "advisor review").0, "running");

    let (code, out, _) = check(&env, now, &["--format", "json", "--since", "2026-12-15"]);
    assert_eq!(code, 0, "--since leaves the old request out");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert!(
        json["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["request"] == new.as_str())
    );

    let (_, out, _) = check(&env, now, &["--format", "junit"]);
    let doc = roxmltree::Document::parse(&out).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 8);
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
            (old.as_str(), "advisor review"),
            (old.as_str(), "decider review")
        ]
    );

    let (_, out, _) = check(&env, now, &["--format", "github"]);
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    for line in &lines {
        assert!(
            line.starts_with(&format!(
                "::error file=requests/{old}/request-r1.yaml,title={old} "
            )),
            "{line}"
        );
    }
    assert!(
        lines[0].contains("advisor review is overdue by 3h 00m"),
        "{out}"
    );

    let (_, out, _) = check(&env, now, &["--format", "gitlab"]);
    let issues: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(issues.len(), 2);
    let prints: HashSet<_> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), 2, "fingerprints are unique");
    assert!(issues.iter().all(|i| i["severity"] == "critical"));

    let (code, _, err) = check(&env, now, &["--format", "csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("has no `csv` output"), "{err}");
}

#[test]
fn a_request_that_does_not_verify_is_reported_and_fails_the_run() {
    let env = TestEnv::new();
    let id = submit_at(&env, "2026-12-14T09:00:00+07:00", "Diubah");
    let form = env.ws.join(format!("requests/{id}/request-r1.yaml"));
    let text = std::fs::read_to_string(&form).unwrap();
    std::fs::write(&form, text.replace("Diubah", "Diubah diam-diam")).unwrap();
    let (code, out, _) = check(&env, "2026-12-14T10:00:00+07:00", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "{id} does not verify; its deadlines are not evaluated"
        )),
        "{out}"
    );
    assert!(out.contains("was changed after it was signed"), "{out}");
    let (_, out, _) = check(&env, "2026-12-14T10:00:00+07:00", &["--format", "junit"]);
    let doc = roxmltree::Document::parse(&out).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(case.attribute("classname"), Some(id.as_str()));
    assert!(case.children().any(|n| n.has_tag_name("failure")));
}

#[test]
fn malformed_policy_and_holiday_files_name_file_line_and_field() {
    let env = TestEnv::new();
    let now = "2026-12-14T10:00:00+07:00";
    let config = std::fs::read_to_string(env.ws.join("sms-bcast.yaml")).unwrap();
    let goal_line = config
        .lines()
        .position(|l| l.contains("goal: 2 working days"))
        .unwrap()
        + 1;
    edit_config(&env, "goal: 2 working days", "goal: 2 wrking days");
    let (code, _, err) = check(&env, now, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("sms-bcast.yaml:{goal_line}:"))
            && err.contains("sla.clocks[3].goal: invalid goal `2 wrking days`"),
        "{err}"
    );
    edit_config(&env, "goal: 2 wrking days", "goal: 2 working days");

    let name_line = config
        .lines()
        .position(|l| l.contains("- name: decider review"))
        .unwrap()
        + 1;
    edit_config(&env, "- name: decider review", "- name: advisor review");
    let (code, _, err) = check(&env, now, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!(
            "sms-bcast.yaml:{name_line}:1: sla.clocks[1].name: `advisor review` is used twice"
        )),
        "{err}"
    );
    edit_config(
        &env,
        "- name: advisor review\n    start: submitted\n    stop: decider",
        "- name: decider review\n    start: submitted\n    stop: decider",
    );

    let path = env.ws.join("calendar/2026.yaml");
    let mut holidays = std::fs::read_to_string(&path).unwrap();
    holidays.push_str("  - date: 2026-12-30\n    name: Libur kantor\n    kind: libur-kantor\n");
    let kind_line = holidays.lines().count();
    std::fs::write(&path, holidays).unwrap();
    let (code, _, err) = check(&env, now, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("calendar/2026.yaml:{kind_line}:"))
            && err.contains("kind: unknown variant `libur-kantor`"),
        "{err}"
    );
}

#[test]
fn after_september_the_next_years_holiday_file_is_asked_for() {
    let env = TestEnv::new();
    let (code, _, err) = check(&env, "2027-09-30T23:00:00+07:00", &[]);
    assert_eq!(
        (code, err.as_str()),
        (0, ""),
        "no warning until 30 September ends"
    );
    let october = "2027-10-01T08:00:00+07:00";
    let (code, _, err) = check(&env, october, &[]);
    assert_eq!(code, 0, "a warning, not a failure");
    assert!(
        err.contains("warning: no holiday file for 2028: add calendar/2028.yaml"),
        "{err}"
    );
    let (code, out, _) = check(
        &env,
        october,
        &["--fail-on", "calendar", "--format", "github"],
    );
    assert_eq!(code, 1);
    assert!(
        out.starts_with("::error title=calendar::no holiday file for 2028"),
        "{out}"
    );
    std::fs::write(env.ws.join("calendar/2028.yaml"), "holidays: []\n").unwrap();
    let (code, _, err) = check(&env, october, &["--fail-on", "calendar"]);
    assert_eq!((code, err.as_str()), (0, ""));
}
