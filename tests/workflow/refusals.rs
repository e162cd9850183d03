//! Every step the procedure does not allow is refused with exit 2 and a reason,
//! and leaves the repository as it was.

use crate::common::*;

/// Runs a refused step and checks that nothing was committed or left behind.
fn refused(env: &TestEnv, who: &str, args: &[&str]) -> String {
    let head = env.git(&["rev-parse", "HEAD"]);
    let text = env.fails_as(who, args, 2);
    assert_eq!(
        env.git(&["rev-parse", "HEAD"]),
        head,
        "a refused step commits nothing"
    );
    assert_eq!(
        env.git(&["status", "--porcelain"]),
        "",
        "a refused step leaves no file"
    );
    text
}

#[test]
fn a_requester_cannot_approve() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    let text = refused(&env, BUDI, &["approve", &id]);
    assert!(text.contains("holds none of the roles"), "{text}");
}

#[test]
fn an_operator_cannot_review() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    let text = refused(&env, OPERATOR, &["reject", &id, "--reason", "no"]);
    assert!(text.contains("holds none of the roles"), "{text}");
}

#[test]
fn the_decider_waits_for_the_advisor() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    let text = refused(&env, SATKER, &["approve", &id]);
    assert!(text.contains("awaits the advisor"), "{text}");
}

#[test]
fn one_person_may_not_act_in_two_roles_on_one_request() {
    let env = TestEnv::new();
    // The second Team Leader is made advisor and decider.
    env.ok_as(
        SATKER,
        &[
            "roles",
            "add",
            "--name",
            TL2,
            "--public-key",
            env.public_key(TL2).to_str().unwrap(),
            "--role",
            "advisor",
            "--role",
            "decider",
        ],
    );
    let id = env.submit(ANI, "Jadwal");
    let text = refused(&env, TL2, &["approve", &id]);
    assert!(
        text.contains("--as ROLE"),
        "a key with two roles must say which: {text}"
    );
    env.ok_as(TL2, &["approve", &id, "--as", "advisor"]);
    let text = refused(&env, TL2, &["approve", &id, "--as", "decider"]);
    assert!(text.contains("already acted as advisor"), "{text}");
    // The requester may not review her own request either.
    env.ok_as(
        SATKER,
        &[
            "roles",
            "add",
            "--name",
            ANI,
            "--public-key",
            env.public_key(ANI).to_str().unwrap(),
            "--role",
            "requester",
            "--role",
            "decider",
        ],
    );
    let text = refused(&env, ANI, &["approve", &id, "--as", "decider"]);
    assert!(text.contains("already acted as requester"), "{text}");
}

#[test]
fn a_revoked_key_is_refused_and_its_pending_approvals_stop_counting() {
    let env = TestEnv::new();
    let first = env.submit(ANI, "Jadwal");
    let second = env.submit(BUDI, "Lomba");
    env.ok_as(TEAM_LEADER, &["approve", &first]);
    env.ok_as(
        SATKER,
        &[
            "roles",
            "remove",
            "--name",
            TEAM_LEADER,
            "--reason",
            "laptop hilang",
        ],
    );
    let text = refused(&env, TEAM_LEADER, &["approve", &second]);
    assert!(text.contains("revoked"), "{text}");
    let show = env.ok_as(ANI, &["show", &first]);
    assert!(
        show.contains("State: awaiting advisor"),
        "the revoked approval no longer counts:\n{show}"
    );
    assert!(show.contains("no longer counts"), "{show}");
    // Another advisor gives it again, and the request moves on.
    env.ok_as(TL2, &["approve", &first]);
    env.ok_as(SATKER, &["approve", &first]);
    let (code, text) = env.verify();
    assert_eq!(code, 0, "{text}");
}

#[test]
fn an_unknown_key_is_refused() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    let stranger = sms_bcast::keys::generate("Stranger", None).unwrap();
    let path = env.home.join("stranger.key");
    std::fs::write(&path, stranger.secret_file).unwrap();
    let head = env.git(&["rev-parse", "HEAD"]);
    let out = env
        .cmd()
        .env("SMS_BCAST_KEY", &path)
        .args(["approve", &id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not in the registry"));
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
}

#[test]
fn no_decision_follows_a_rejection_until_the_requester_revises() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    env.ok_as(
        TEAM_LEADER,
        &["reject", &id, "--reason", "Daftar penerima kurang lengkap"],
    );
    for (who, args) in [
        (SATKER, vec!["approve", id.as_str()]),
        (TL2, vec!["approve", id.as_str()]),
        (TEAM_LEADER, vec!["approve", id.as_str()]),
    ] {
        let text = refused(&env, who, &args);
        assert!(
            text.contains("was rejected by the advisor"),
            "{who}: {text}"
        );
    }
    // Only the requester may revise; then reviews start again.
    let form = env.write_form("r2.yaml", &env.form(ANI, "Jadwal (perbaikan)"));
    let text = refused(&env, BUDI, &["revise", &id, form.to_str().unwrap()]);
    assert!(text.contains("only the requester"), "{text}");
    env.ok_as(ANI, &["revise", &id, form.to_str().unwrap()]);
    let show = env.ok_as(ANI, &["show", &id]);
    assert!(
        show.contains("State: awaiting advisor") && show.contains("Revision: 2"),
        "{show}"
    );
    env.ok_as(TEAM_LEADER, &["approve", &id]);
    env.ok_as(SATKER, &["approve", &id]);
    let (code, text) = env.verify();
    assert_eq!(code, 0, "{text}");
}

#[test]
fn a_rejection_needs_a_reason() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    refused(&env, TEAM_LEADER, &["reject", &id]);
    let text = refused(&env, TEAM_LEADER, &["reject", &id, "--reason", "  "]);
    assert!(text.contains("--reason is empty"), "{text}");
}

#[test]
fn a_withdrawn_request_takes_no_further_step() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal");
    let text = refused(&env, BUDI, &["withdraw", &id]);
    assert!(text.contains("only the requester"), "{text}");
    env.ok_as(
        ANI,
        &["withdraw", &id, "--reason", "Sudah disampaikan lewat rapat"],
    );
    let text = refused(&env, TEAM_LEADER, &["approve", &id]);
    assert!(text.contains("withdrawn"), "{text}");
}

#[test]
fn signing_needs_a_pinned_trust_anchor() {
    let mut env = TestEnv::new();
    let form = env.write_form("f.yaml", &env.form(ANI, "Jadwal"));
    env.anchor.clear();
    let text = refused(&env, ANI, &["submit", form.to_str().unwrap()]);
    assert!(text.contains("no trust anchor is pinned"), "{text}");
    // A wrong anchor is refused too.
    env.anchor = format!("{}@sha256:{}", "0".repeat(32), "1".repeat(64));
    let text = refused(&env, ANI, &["submit", form.to_str().unwrap()]);
    assert!(
        text.contains("does not match the pinned trust anchor"),
        "{text}"
    );
}

#[test]
fn an_id_cannot_reach_outside_requests() {
    let env = TestEnv::new();
    for bad in ["../../etc", "..", "a/b", "x;rm"] {
        let text = refused(&env, TEAM_LEADER, &["approve", bad]);
        assert!(text.contains("is not a request id"), "{bad}: {text}");
    }
}
