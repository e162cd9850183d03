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
