//! The SOP happy path and every refusal of a step.

use crate::common::*;

#[test]
fn a_request_goes_from_form_to_approved_one_signed_commit_per_step() {
    let env = TestEnv::new();
    let commits_before: usize = env
        .git(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    let id = env.submit(ANI, "Jadwal verifikasi");
    assert!(env.ok_as(ANI, &["show", &id]).contains("awaiting advisor"));
    env.at("2026-12-07T11:00:00+07:00")
        .ok_as(TEAM_LEADER, &["approve", &id]);
    assert!(env.run(&["show", &id]).stdout.starts_with(b"Request"));
    env.at("2026-12-07T13:00:00+07:00")
        .ok_as(SATKER, &["approve", &id]);
    let show = env.ok_as(ANI, &["show", &id, "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&show).unwrap();
    assert_eq!(value["state"], "approved");
    assert_eq!(value["awaiting"][0], OPERATOR);
    let steps: Vec<(&str, &str, &str)> = value["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap(),
                s["role"].as_str().unwrap(),
                s["by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("submit", "requester", ANI),
            ("approve", "advisor", TEAM_LEADER),
            ("approve", "decider", SATKER)
        ]
    );
    let commits_after: usize = env
        .git(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(commits_after - commits_before, 3, "one commit per step");
    let log = env.git(&["log", "-1", "--format=%B"]);
    assert!(log.contains(&format!("Sms-Bcast-Request: {id}")), "{log}");
    assert!(log.contains("Sms-Bcast-Step: approve decider r1"), "{log}");
    assert_eq!(
        env.git(&["status", "--porcelain"]),
        "",
        "nothing of ours is left uncommitted"
    );
    let (code, text) = env.verify();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("3 signed record(s)"), "{text}");
}

#[test]
fn a_closed_pipe_ends_listing_commands_quietly() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    for args in [
        vec!["list"],
        vec!["list", "--format", "json"],
        vec!["show", id.as_str()],
        vec!["roles", "list"],
        vec!["verify"],
        vec!["check", "--format", "json"],
        vec!["preview", id.as_str(), "--format", "json"],
        vec!["recipients", "check"],
        vec!["form"],
        vec!["generate", "completion", "bash"],
    ] {
        // The reading end is closed before the command starts: every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = env
            .std_cmd_in(&env.ws)
            .args(&args)
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {:?} {stderr}",
            out.status
        );
    }
}

#[test]
fn commands_find_the_workspace_from_a_subfolder() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    let out = env
        .std_cmd_in(&env.ws.join("requests").join(&id))
        .args(["show", &id])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("awaiting advisor"));
}
