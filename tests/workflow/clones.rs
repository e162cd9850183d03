//! Concurrent work in two clones merges without conflicts, and our commits
//! never disturb the user's own changes.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A second clone of the workspace, beside it.
fn clone(env: &TestEnv) -> PathBuf {
    let other = env.home.join("clone");
    git_in(
        &env.home,
        &[
            "clone",
            "-q",
            env.ws.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    other
}

fn merge_from(env: &TestEnv, other: &Path) {
    env.git(&[
        "pull",
        "-q",
        "--no-rebase",
        "--no-edit",
        other.to_str().unwrap(),
        "main",
    ]);
}

#[test]
fn two_reviewers_in_two_clones_merge_and_verify() {
    let env = TestEnv::new();
    let a = env.submit(ANI, "Jadwal");
    let b = env.submit(BUDI, "Lomba");
    let other = clone(&env);
    env.ok_as(TEAM_LEADER, &["approve", &a]);
    env.ok_in(&other, TL2, &["approve", &b]);
    merge_from(&env, &other);
    let (code, text) = env.verify();
    assert_eq!(code, 0, "{text}");
    for id in [&a, &b] {
        assert!(
            env.ok_as(ANI, &["show", id])
                .contains("State: awaiting decider"),
            "{id}"
        );
    }
}

#[test]
fn two_clones_deciding_one_step_differently_the_rejection_wins() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    let other = clone(&env);
    env.ok_as(TEAM_LEADER, &["approve", &id]);
    env.ok_in(&other, TL2, &["reject", &id, "--reason", "Tidak mendesak"]);
    merge_from(&env, &other);
    let show = env.ok_as(ANI, &["show", &id]);
    assert!(show.contains("State: rejected by advisor"), "{show}");
    assert!(show.contains("conflicting advisor decisions"), "{show}");
    let (code, text) = env.verify();
    assert_eq!(code, 0, "a merge outcome is not tampering: {text}");
    assert!(
        text.contains("the rejection wins"),
        "verify says so: {text}"
    );
    // And the decider cannot approve on top of it.
    env.fails_as(SATKER, &["approve", &id], 2);
}

#[test]
fn a_step_leaves_the_users_staged_and_unstaged_changes_alone() {
    let env = TestEnv::new();
    std::fs::write(env.ws.join("notes.txt"), "draft\n").unwrap();
    env.git(&["add", "notes.txt"]);
    let mut config = std::fs::read_to_string(env.ws.join("sms-bcast.yaml")).unwrap();
    config.push_str("# a local comment\n");
    std::fs::write(env.ws.join("sms-bcast.yaml"), &config).unwrap();
    let id = env.submit(ANI, "Jadwal");
    let status = env.git(&["status", "--porcelain"]);
    assert_eq!(
        status, "A  notes.txt\n M sms-bcast.yaml\n",
        "only the user's own changes remain"
    );
    let files = env.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        files
            .lines()
            .all(|f| f.starts_with(&format!("requests/{id}/"))),
        "the commit holds only the step's files:\n{files}"
    );
}

#[test]
fn without_a_git_identity_the_author_is_the_signer() {
    let env = TestEnv::new();
    env.submit(ANI, "Jadwal");
    assert_eq!(env.git(&["log", "-1", "--format=%an"]).trim(), ANI);
}

#[test]
fn commands_running_at_once_in_one_clone_keep_the_index_in_step() {
    let env = TestEnv::new();
    let form = env.write_form("f.yaml", &env.form(ANI, "Jadwal"));
    let children: Vec<_> = (0..8)
        .map(|_| {
            env.std_cmd_in(&env.ws)
                .env("SMS_BCAST_KEY", env.secret_key(ANI))
                .args(["submit", form.to_str().unwrap()])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(
        env.git(&["status", "--porcelain"]),
        "",
        "index and work tree follow every commit"
    );
    let requests = std::fs::read_dir(env.ws.join("requests"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(requests, 8);
    let (code, text) = env.verify();
    assert_eq!(code, 0, "{text}");
}

#[test]
fn files_a_killed_command_committed_but_never_wrote_out_are_restored() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    // The state a kill between moving the branch and writing the work tree leaves.
    let dir = format!("requests/{id}");
    env.git(&["rm", "-q", "-r", "--cached", &dir]);
    std::fs::remove_dir_all(env.ws.join(&dir)).unwrap();
    std::fs::create_dir_all(env.ws.join(&dir)).unwrap();
    std::fs::write(
        env.ws.join(&dir).join(".half-written.yaml.0123abcd.tmp"),
        "x",
    )
    .unwrap();
    env.ok_as(TEAM_LEADER, &["approve", &id]);
    assert_eq!(
        env.git(&["status", "--porcelain"]),
        "",
        "restored, staged, and the stray temporary file gone"
    );
    let (code, text) = env.verify();
    assert_eq!(code, 0, "{text}");
}

#[test]
fn two_operators_sending_one_request_from_two_clones_fail_verify() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    let other = clone(&env);
    env.at("2026-12-07T10:00:00+07:00")
        .ok_as(OPERATOR, &["send", &id]);
    env.ok_in(&other, OPERATOR, &["send", &id]);
    merge_from(&env, &other);
    let (code, text) = env.verify();
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("a second claim") && text.contains("may both have sent"),
        "{text}"
    );
    assert!(env.ok_as(ANI, &["list"]).contains("does not verify"));
}

#[test]
fn a_claimed_broadcast_whose_ledger_was_emptied_is_not_resent() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    env.at("2026-12-07T10:00:00+07:00");
    // A slow send, killed once its claim is committed.
    let mut child = env
        .std_cmd_in(&env.ws)
        .env("SMS_BCAST_KEY", env.secret_key(OPERATOR))
        .args(["send", &id, "--rate", "0.01"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !env.git(&["log", "-1", "--format=%s"]).starts_with("Claim") {
        assert!(
            std::time::Instant::now() < deadline,
            "the claim was never committed"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let ledger = env.ws.join(format!(".sms-bcast/ledger/{id}.ledger"));
    std::fs::write(&ledger, "").unwrap();
    let text = env.fails_as(OPERATOR, &["send", &id], 2);
    assert!(
        text.contains("is empty") && text.contains("--abandon"),
        "{text}"
    );
}
