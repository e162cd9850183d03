//! Notices: queued with the decision that causes them, delivered once by `notify`.

use std::path::{Path, PathBuf};

use sms_bcast::notice::{self, Journal, Reminder};
use sms_bcast::sla::{ClockState, Role};

use crate::common::*;

/// Files committed by the commit `rev`.
fn committed(env: &TestEnv, rev: &str) -> Vec<String> {
    env.git(&["show", "--name-only", "--format=", rev])
        .lines()
        .map(str::to_string)
        .collect()
}

fn commit_count(env: &TestEnv) -> usize {
    env.git(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap()
}

/// The outbox spool's message files: (file name, text).
fn outbox(env: &TestEnv) -> Vec<(String, String)> {
    let dir = env.ws.join(".sms-bcast/outbox");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<(String, String)> = entries
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with("OUT"))
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn clear_outbox(env: &TestEnv) {
    for (name, _) in outbox(env) {
        std::fs::remove_file(env.ws.join(".sms-bcast/outbox").join(name)).unwrap();
    }
}

/// The queued notice files of `id`, relative to the workspace.
fn notices(env: &TestEnv, id: &str) -> Vec<PathBuf> {
    notice::queued(&env.ws, id)
        .unwrap()
        .into_iter()
        .map(|q| q.path)
        .collect()
}

fn notify(env: &TestEnv, args: &[&str]) -> (i32, String) {
    let out = env.run(&[&["notify"], args].concat());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_rejection_queues_a_notice_to_the_requester_in_the_same_commit() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal verifikasi");
    let out = env.ok_as(
        TEAM_LEADER,
        &["reject", &id, "--reason", "daftar penerima sudah lama"],
    );
    assert!(out.contains("1 notice(s) queued"), "{out}");
    let files = committed(&env, "HEAD");
    let reject = files
        .iter()
        .any(|f| f.contains("-reject-advisor-") && f.ends_with(".yaml"));
    let queued: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with(&format!("requests/{id}/notices/rejected-requester-")))
        .collect();
    assert!(reject && queued.len() == 1, "{files:?}");
    // The notice names no phone: notify takes it from signed data.
    let text = std::fs::read_to_string(env.ws.join(queued[0])).unwrap();
    assert!(!text.contains("+62"), "{text}");
    // The request still verifies with the notice folder in it.
    assert_eq!(env.verify().0, 0);
}

#[test]
fn the_final_approval_queues_one_notice_per_operator() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal verifikasi");
    let advisor_commit = committed(&env, "HEAD~1");
    assert!(
        !advisor_commit.iter().any(|f| f.contains("/notices/")),
        "the advisor's approval notifies nobody: {advisor_commit:?}"
    );
    let files = committed(&env, "HEAD");
    assert!(files.iter().any(|f| f.contains("-approve-decider-")));
    let queued: Vec<&String> = files.iter().filter(|f| f.contains("/notices/")).collect();
    assert_eq!(queued.len(), 1, "one operator is registered: {files:?}");
    assert!(queued[0].contains("approved-operator-sim-"), "{queued:?}");
    assert_eq!(notices(&env, &id).len(), 1);
}

#[test]
fn notify_delivers_each_notice_once_through_the_outbox() {
    let env = TestEnv::new();
    // Ani's form gives a contact phone other than her registry phone: it wins.
    let form = env
        .form(ANI, "Jadwal verifikasi")
        .replace("+6281200000003", "+6281200000099");
    let path = env.write_form("form.yaml", &form);
    let rejected = env.ok_as(ANI, &["submit", path.to_str().unwrap()]);
    let rejected = rejected.trim();
    env.ok_as(
        TEAM_LEADER,
        &["reject", rejected, "--reason", "daftar penerima sudah lama"],
    );
    let approved = env.approved_request("Pelatihan");
    let before = commit_count(&env);

    let (code, out) = notify(&env, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 delivered, 0 failed, 0 unknown"), "{out}");
    assert!(!out.contains("+6281200000099") && !out.contains("+6281200000005"));
    let sent = outbox(&env);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let to_requester = sent
        .iter()
        .find(|(name, _)| name.starts_with("OUTC_+6281200000099_"))
        .expect("the requester's notice, to the form's contact phone");
    assert_eq!(
        to_requester.1,
        format!(
            "sms-bcast: permintaan {rejected} ditolak oleh Team Leader: daftar penerima sudah lama"
        )
    );
    let to_operator = sent
        .iter()
        .find(|(name, _)| name.starts_with("OUTC_+6281200000005_"))
        .expect("the operator's notice");
    assert!(
        to_operator.1.starts_with(&format!(
            "sms-bcast: permintaan {approved} disetujui Satker"
        )),
        "{to_operator:?}"
    );
    // One commit records both deliveries.
    assert_eq!(commit_count(&env), before + 1);
    let recorded = committed(&env, "HEAD");
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert!(recorded.iter().all(|f| f.contains("/notices/delivered/")));
    // The outbox's message id names the spool file; the record keeps the number masked.
    let show = env.git(&["show", "HEAD"]);
    assert!(show.contains("message_id: OUTC_+62812****0099_"), "{show}");
    assert!(
        !show.contains("6281200000099") && !show.contains("6281200000005"),
        "{show}"
    );
    assert_eq!(env.verify().0, 0);

    // Gammu took the files; a second run sends nothing and commits nothing.
    clear_outbox(&env);
    let (code, out) = notify(&env, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 delivered, 0 failed, 0 unknown"), "{out}");
    assert!(outbox(&env).is_empty());
    assert_eq!(commit_count(&env), before + 1);
}

#[test]
fn a_notice_in_flight_at_a_crash_is_unknown_and_not_resent() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal verifikasi");
    env.ok_as(TEAM_LEADER, &["reject", &id, "--reason", "salah tanggal"]);
    // A notify that marked the delivery in flight, then died before committing.
    let queued = notices(&env, &id);
    let stem = queued[0].file_stem().unwrap().to_str().unwrap();
    let delivery = notice::delivery_path(&id, stem, Some(ANI));
    Journal::open(&env.ws.join(".sms-bcast"))
        .unwrap()
        .mark(&delivery)
        .unwrap();

    for _ in 0..2 {
        let (code, out) = notify(&env, &[]);
        assert_eq!(code, 1, "{out}");
        assert!(out.contains("0 delivered, 0 failed, 1 unknown"), "{out}");
        assert!(out.contains("--resend-unknown"), "{out}");
        assert!(outbox(&env).is_empty(), "an unknown delivery is not resent");
    }
    // The doubt is committed, so another clone does not send it either.
    let record = std::fs::read_to_string(env.ws.join(&delivery)).unwrap();
    assert!(record.contains("outcome: unknown"), "{record}");

    let (code, out) = notify(&env, &["--resend-unknown"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(outbox(&env).len(), 1);
    let record = std::fs::read_to_string(env.ws.join(&delivery)).unwrap();
    assert!(record.contains("outcome: accepted"), "{record}");
    clear_outbox(&env);
    assert_eq!(notify(&env, &[]).0, 0);
    assert!(outbox(&env).is_empty());
}

#[test]
fn a_decision_succeeds_when_the_notify_gateway_is_misconfigured() {
    let env = TestEnv::new();
    let config = env.ws.join("sms-bcast.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\nnotify:\n  gateway: nowhere\n")).unwrap();
    let id = env.submit(ANI, "Jadwal verifikasi");
    env.ok_as(TEAM_LEADER, &["reject", &id, "--reason", "salah tanggal"]);
    assert_eq!(notices(&env, &id).len(), 1);
    let (code, out) = notify(&env, &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no gateway `nowhere`"), "{out}");
    // Nothing was delivered or recorded; a fixed gateway delivers it later.
    let (code, out) = notify(&env, &["--gateway", "outbox"]);
    assert_eq!((code, outbox(&env).len()), (0, 1), "{out}");
}

#[test]
fn reminders_go_to_the_awaited_reviewers_once_and_stale_ones_are_dropped() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal verifikasi");
    let due = chrono::DateTime::parse_from_rfc3339("2026-12-08T16:00:00+07:00").unwrap();
    let reminder = |clock: &str, state, awaiting| Reminder {
        request_id: id.clone(),
        clock: clock.into(),
        state,
        awaiting,
        due,
    };
    let queued = notice::queue_reminders(
        &env.ws,
        &[
            reminder("advisor-review", ClockState::Breached, Role::Advisor),
            // The decider is not awaited yet: stale at delivery.
            reminder("decider-review", ClockState::DueSoon, Role::Decider),
        ],
    )
    .unwrap();
    assert_eq!(queued.len(), 2);
    let (code, out) = notify(&env, &[&id]);
    assert_eq!(code, 0, "{out}");
    // Both advisors, not the requester, not the decider.
    let sent = outbox(&env);
    let numbers: Vec<&str> = sent.iter().map(|(n, _)| &n[5..19]).collect();
    assert_eq!(numbers, ["+6281200000002", "+6281200000006"], "{sent:?}");
    assert!(
        sent[0].1.contains("lewat batas 08-12-2026 16:00 WIB"),
        "{sent:?}"
    );
    assert!(out.contains("stale"), "{out}");

    // check runs again: nothing new is queued, nothing is sent.
    clear_outbox(&env);
    let again = notice::queue_reminders(
        &env.ws,
        &[reminder(
            "advisor-review",
            ClockState::Breached,
            Role::Advisor,
        )],
    )
    .unwrap();
    assert!(again.is_empty());
    assert_eq!(notify(&env, &[]).0, 0);
    assert!(outbox(&env).is_empty());
    assert!(Path::new(&env.ws.join(".sms-bcast/notify/lock")).exists());
}

#[test]
fn check_notify_queues_a_reminder_once_per_request_clock_and_state() {
    let env = TestEnv::new();
    // Submitted Monday 09:00; by Tuesday 08:00 both review clocks are past 75%.
    let id = env.submit(ANI, "Jadwal");
    let before = commit_count(&env);
    let out = env
        .at("2026-12-08T08:00:00+07:00")
        .run(&["check", "--notify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "due soon is not a failure: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(commit_count(&env) > before, "reminders are committed");
    let queued = notices(&env, &id).len();
    assert!(queued >= 1, "a reminder for the advisor review is queued");
    // Running check again in the same state queues nothing new.
    let again = commit_count(&env);
    env.at("2026-12-08T08:30:00+07:00")
        .run(&["check", "--notify"]);
    assert_eq!(
        (commit_count(&env), notices(&env, &id).len()),
        (again, queued)
    );
    // Breached is a new state: one more reminder.
    let out = env
        .at("2026-12-09T08:00:00+07:00")
        .run(&["check", "--notify"]);
    assert_eq!(out.status.code(), Some(1), "a breach fails check");
    assert!(notices(&env, &id).len() > queued);
    let (code, text) = notify(&env, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        outbox(&env).iter().any(|(_, text)| text.contains(&id)),
        "the advisors are reminded"
    );
}

#[test]
fn an_approval_notice_is_not_sent_once_the_broadcast_went_out() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    env.at("2026-12-07T10:00:00+07:00")
        .ok_as(OPERATOR, &["send", &id]);
    let before = outbox(&env).len();
    let (code, text) = notify(&env, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("stale") && text.contains("already sent"),
        "{text}"
    );
    assert_eq!(outbox(&env).len(), before, "nothing new is sent");
}
