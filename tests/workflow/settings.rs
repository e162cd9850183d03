//! Bad values in `sms-bcast.yaml` are refused when the workspace is opened,
//! by any command, naming file, line and field (exit 2), never with a panic.

use crate::common::*;

/// Replaces `from` by `to` in `sms-bcast.yaml` (appending `to` when `from` is
/// empty); returns the 1-based line of `marker` in the new text.
fn edit(env: &TestEnv, from: &str, to: &str, marker: &str) -> usize {
    let path = env.ws.join("sms-bcast.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = if from.is_empty() {
        format!("{text}{to}")
    } else {
        assert!(text.contains(from), "{from:?} not in {text}");
        text.replacen(from, to, 1)
    };
    std::fs::write(&path, &text).unwrap();
    text.lines()
        .position(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("{marker:?} not in {text}"))
        + 1
}

/// Runs `args` and expects exit 2 with `sms-bcast.yaml:LINE:COL: FIELD: ` and `needle`.
fn refused(env: &TestEnv, args: &[&str], line: usize, field: &str, needle: &str) {
    let out = env.run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    let at = format!("sms-bcast.yaml:{line}:");
    let shown = err
        .lines()
        .find(|l| l.contains(&at))
        .unwrap_or_else(|| panic!("no {at} in {err}"));
    assert!(
        shown.contains(&format!(": {field}: ")) && shown.contains(needle),
        "{field} / {needle}: {err}"
    );
    assert!(err.contains("hint: "), "{err}");
}

const NOW: &str = "2026-12-14T10:00:00+07:00";

#[test]
fn goals_longer_than_a_year_are_refused_when_read() {
    let env = TestEnv::new();
    env.submit(ANI, "Undangan rapat");
    for goal in [
        "4000000000 days",
        "100000000 days",
        "2400000000 hours",
        "4000000 working days",
    ] {
        let line = edit(&env, "goal: 2 working days", &format!("goal: {goal}"), goal);
        refused(
            &env,
            &["check", "--now", NOW],
            line,
            "sla.clocks[3].goal",
            "longer than a year",
        );
        edit(
            &env,
            &format!("goal: {goal}"),
            "goal: 2 working days",
            "goal: 2 working",
        );
    }
    let line = edit(&env, "goal: 2 working days", "goal: 367 days", "367 days");
    refused(
        &env,
        &["list"],
        line,
        "sla.clocks[3].goal",
        "use at most 366 days",
    );
}

#[test]
fn every_setting_is_checked_when_the_workspace_is_opened() {
    let env = TestEnv::new();
    let cases: [(&str, &str, &str, &str, &str); 9] = [
        (
            "",
            "sms:\n  max_parts: 0\n",
            "max_parts",
            "sms.max_parts",
            "is 0",
        ),
        (
            "",
            "sms:\n  max_parts: 256\n",
            "max_parts",
            "sms.max_parts",
            "between 1 and 255",
        ),
        (
            "",
            "send:\n  quiet_hours: \"25:00-06:00\"\n",
            "quiet_hours",
            "send.quiet_hours",
            "`25:00-06:00`",
        ),
        (
            "",
            "send:\n  concurrency: 0\n",
            "concurrency",
            "send.concurrency",
            "is 0",
        ),
        (
            "",
            "send:\n  rate: 0\n",
            "rate",
            "send.rate",
            "is 0; it must be from 0.01",
        ),
        (
            "  weekdays:\n  - Mon\n  - Tue\n  - Wed\n  - Thu\n  - Fri\n",
            "  weekdays: []\n",
            "weekdays",
            "calendar.weekdays",
            "is empty",
        ),
        (
            "stop: sent\n    goal: 2 working days",
            "stop: submitted\n    goal: 2 working days",
            "stop: submitted",
            "sla.clocks[3].stop",
            "it would stop as it starts",
        ),
        (
            "- name: decider review",
            "- name: advisor review",
            "- name: advisor review\n",
            "sla.clocks[1].name",
            "is used twice",
        ),
        (
            "",
            "recipients:\n  allowed_countries: [XX]\n",
            "allowed_countries",
            "recipients.allowed_countries",
            "XX",
        ),
    ];
    let path = env.ws.join("sms-bcast.yaml");
    let original = std::fs::read_to_string(&path).unwrap();
    for (from, to, marker, field, needle) in cases {
        let mut line = edit(&env, from, to, marker.trim_end());
        if marker.ends_with('\n') {
            // The duplicate is the second clock with that name.
            let text = std::fs::read_to_string(&path).unwrap();
            line = text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.contains(marker.trim_end()))
                .nth(1)
                .unwrap()
                .0
                + 1;
        }
        refused(&env, &["list"], line, field, needle);
        refused(&env, &["check", "--now", NOW], line, field, needle);
        std::fs::write(&path, &original).unwrap();
    }
    env.ok_as(ANI, &["list"]);
}

#[test]
fn yaml_errors_name_the_field_not_the_value() {
    let env = TestEnv::new();
    for (to, marker, shown) in [
        (
            "sms:\n  max_parts: -1\n",
            "max_parts",
            "sms.max_parts: invalid type",
        ),
        (
            "sms:\n  maxparts: 3\n",
            "maxparts",
            "sms.maxparts: unknown field `maxparts`",
        ),
    ] {
        let path = env.ws.join("sms-bcast.yaml");
        let original = std::fs::read_to_string(&path).unwrap();
        let line = edit(&env, "", to, marker);
        let out = env.run(&["list"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("sms-bcast.yaml:{line}:")), "{err}");
        assert!(err.contains(shown), "{err}");
        assert!(!err.contains("-1: ") && !err.contains(": -: "), "{err}");
        std::fs::write(&path, &original).unwrap();
    }
    let line = edit(
        &env,
        "  time_zone: Asia/Jakarta",
        "  time_zone: Asia/Jakart",
        "  time_zone: Asia/Jakart",
    );
    refused(
        &env,
        &["list"],
        line,
        "calendar.time_zone",
        "unknown time zone `Asia/Jakart`",
    );
}
