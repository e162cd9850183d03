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
