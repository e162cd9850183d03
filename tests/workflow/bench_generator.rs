//! The benchmark generator (examples/gen_workspace.rs) makes workspaces that
//! `sms-bcast verify` passes, and the fast verify still names a tampered file.

use std::path::Path;

use assert_cmd::Command;

#[allow(dead_code)]
#[path = "../../examples/gen_workspace.rs"]
mod gen_workspace;

fn verify(ws: &Path, home: &Path, anchor: &str) -> (i32, String) {
    let out = Command::cargo_bin("sms-bcast")
        .unwrap()
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".state"))
        .env("SMS_BCAST_TRUST", anchor)
        .current_dir(ws)
        .arg("verify")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn generated_workspace_verifies_and_a_tampered_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let made = gen_workspace::generate(&ws, 20, &Default::default()).unwrap();
    let (code, text) = verify(&ws, dir.path(), &made.anchor);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("20 request(s), 100 signed record(s) verified"),
        "{text}"
    );
    let log = crate::common::git_in(&ws, &["log", "--format=%s"]);
    assert_eq!(
        log.lines().count(),
        2,
        "one commit for the setup, one per thousand requests"
    );
    assert!(crate::common::git_in(&ws, &["status", "--porcelain"]).is_empty());

    // One changed byte in one approval among 100 batch-checked records.
    let request = ws.join("requests/20261207-bench-0000007");
    let approval = std::fs::read_dir(&request)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.to_string_lossy().contains("approve-advisor") && p.extension().unwrap() == "yaml"
        })
        .unwrap();
    let text = std::fs::read_to_string(&approval).unwrap();
    std::fs::write(&approval, text.replace("Team Leader", "Team Leadex")).unwrap();
    let (code, text) = verify(&ws, dir.path(), &made.anchor);
    assert_eq!(code, 1, "{text}");
    let name = approval.file_name().unwrap().to_str().unwrap();
    assert!(
        text.contains(&format!("FAIL requests/20261207-bench-0000007/{name}: bad signature: Signature verification failed")),
        "{text}"
    );
    // The other 99 records still verify, and the records after the bad one lose their link.
    assert!(!text.contains("bench-0000006"), "{text}");
}

fn run(ws: &Path, home: &Path, anchor: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("sms-bcast")
        .unwrap()
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".state"))
        .env("SMS_BCAST_TRUST", anchor)
        .env("SMS_BCAST_NOW", "2026-12-08T09:00:00+07:00")
        .current_dir(ws)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn generated_workspaces_pass_check_and_the_send_gate() {
    let dir = tempfile::tempdir().unwrap();
    // Sent requests: `check` needs the holiday calendars to count deadlines.
    let sent = dir.path().join("sent");
    let made = gen_workspace::generate(&sent, 2, &Default::default()).unwrap();
    let (code, out, err) = run(&sent, dir.path(), &made.anchor, &["check"]);
    assert_eq!(code, 0, "{out}{err}");

    // An approved request with a long list: the approved recipient count
    // matches the list, so the operator's dry run passes the whole gate.
    let approved = dir.path().join("approved");
    let options = gen_workspace::Options {
        steps: 3,
        list_rows: Some(250),
    };
    let made = gen_workspace::generate(&approved, 1, &options).unwrap();
    let key = made.key_dir.join("operator-sim.key");
    let (code, out, err) = run(
        &approved,
        dir.path(),
        &made.anchor,
        &[
            "send",
            "20261207-bench-0000000",
            "--dry-run",
            "--format",
            "json",
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["recipients"], 250, "{out}");
}
