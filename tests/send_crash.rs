//! Crash safety of the send engine: a send of 2,000 recipients is killed
//! (SIGKILL) at several points and resumed; the gateway's own record of calls
//! shows no recipient twice and none missing (unknowns listed).
//!
//! `harness = false`: the same binary is the parent (the test) and, with
//! `SEND_CRASH_CHILD` set, the child that sends and gets killed.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::FixedOffset;
use sms_bcast::gateway::{Gateway, Outcome, OutgoingSms};
use sms_bcast::ledger::{Ledger, LedgerHeader, RecipientState};
use sms_bcast::send::{self, Message, NoProgress, SendOptions, SystemClock, mask_phone};
use sms_bcast::smstext::Encoding;

const RECIPIENTS: usize = 2000;
/// `+62812` and 8 digits, then a newline.
const RECORD_LEN: u64 = 15;

fn numbers() -> Vec<String> {
    (0..RECIPIENTS).map(|i| format!("+62812{i:08}")).collect()
}

fn header() -> LedgerHeader {
    LedgerHeader {
        request_id: "2026-0042".into(),
        content_digest: "sha256:crash-test".into(),
    }
}

/// Records every call before answering, as a gateway that took the message would.
struct CountingGateway {
    record: Mutex<std::fs::File>,
}

impl Gateway for CountingGateway {
    fn name(&self) -> &str {
        "counting"
    }
    fn max_parts(&self) -> u32 {
        1
    }
    fn send(&self, sms: &OutgoingSms<'_>) -> Outcome {
        // One O_APPEND write per call; a SIGKILL cannot lose it (the page cache
        // survives the process), so no fsync is needed for this test.
        let line = format!("{}\n", sms.to);
        self.record
            .lock()
            .unwrap()
            .write_all(line.as_bytes())
            .unwrap();
        Outcome::Accepted {
            message_id: Some(format!("c-{}", sms.to)),
        }
    }
}

fn child(dir: &Path) {
    let gateway = CountingGateway {
        record: Mutex::new(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("calls"))
                .unwrap(),
        ),
    };
    let mut ledger = Ledger::open(&dir.join("ledger"), &header()).unwrap();
    let text: Arc<str> = Arc::from("Imunisasi campak Senin 08.00 di puskesmas");
    let messages = numbers().into_iter().map(|to| Message {
        to,
        text: text.clone(),
        encoding: Encoding::Gsm7,
    });
    let options = SendOptions {
        rate: Some(1000.0),
        concurrency: 4,
        quiet_hours: None,
        resend_unknown: std::env::var_os("SEND_CRASH_RESEND").is_some(),
        ..SendOptions::default()
    };
    let clock = SystemClock::new(FixedOffset::east_opt(7 * 3600).unwrap());
    let summary = send::run(
        &gateway,
        messages,
        &mut ledger,
        &options,
        &clock,
        &mut NoProgress,
    )
    .unwrap();
    assert!(summary.stopped.is_none());
}

fn spawn(dir: &Path, resend: bool) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.env("SEND_CRASH_CHILD", dir);
    if resend {
        command.env("SEND_CRASH_RESEND", "1");
    }
    command.spawn().unwrap()
}

fn calls(dir: &Path) -> HashMap<String, u32> {
    let text = std::fs::read_to_string(dir.join("calls")).unwrap_or_default();
    let mut counts = HashMap::new();
    for line in text.lines() {
        *counts.entry(line.to_string()).or_default() += 1;
    }
    counts
}

fn calls_so_far(dir: &Path) -> u64 {
    std::fs::metadata(dir.join("calls")).map_or(0, |m| m.len() / RECORD_LEN)
}

fn main() {
    if let Some(dir) = std::env::var_os("SEND_CRASH_CHILD") {
        child(&PathBuf::from(dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // Kill points, in calls the gateway has seen (0: right after start).
    let mut kills = 0;
    for kill_at in [0, 300, 800, 1400, 1900] {
        let mut child = spawn(dir, false);
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "child failed: {status}");
                break true;
            }
            if calls_so_far(dir) >= kill_at {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                break false;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        if !finished {
            kills += 1;
        }
        println!(
            "kill at {kill_at:>4} calls: {} (gateway has {} calls)",
            if finished {
                "run had finished"
            } else {
                "killed"
            },
            calls_so_far(dir)
        );
    }
    assert!(kills >= 4, "the kills must land mid-run ({kills} did)");
    let status = spawn(dir, false).wait().unwrap();
    assert!(status.success());

    let all = numbers();
    let counts = calls(dir);
    let ledger = Ledger::open(&dir.join("ledger"), &header()).unwrap();
    let mut unknown = Vec::new();
    for to in &all {
        let n = counts.get(to).copied().unwrap_or(0);
        assert!(n <= 1, "{to} sent {n} times");
        match ledger.state(to) {
            RecipientState::Accepted { .. } => assert_eq!(n, 1, "{to} accepted but never sent"),
            RecipientState::Unknown { .. } => unknown.push((to.clone(), n)),
            other => panic!("{to} left {other:?} after a complete run"),
        }
    }
    let taken = unknown.iter().filter(|(_, n)| *n == 1).count();
    println!(
        "after {kills} kills: {} accepted, {} unknown ({} of them reached the gateway, {} did not), 0 twice, 0 missing",
        ledger.counts().accepted,
        unknown.len(),
        taken,
        unknown.len() - taken
    );
    let listed: Vec<String> = unknown.iter().map(|(to, _)| mask_phone(to)).collect();
    println!("unknown: {}", listed.join(" "));
    // At most about a group plus the requests in flight per kill.
    assert!(unknown.len() <= kills * 40, "{} unknowns", unknown.len());
    drop(ledger);

    // The operator resends the unknowns: now everyone has it; only unknowns can have it twice.
    let status = spawn(dir, true).wait().unwrap();
    assert!(status.success());
    let counts = calls(dir);
    let ledger = Ledger::open(&dir.join("ledger"), &header()).unwrap();
    assert_eq!(ledger.counts().accepted, RECIPIENTS);
    let twice = all.iter().filter(|to| counts.get(*to) == Some(&2)).count();
    assert_eq!(twice, taken);
    println!(
        "resend-unknown: all {RECIPIENTS} accepted; {twice} got it twice by the operator's choice"
    );
    println!("send_crash: ok");
}
