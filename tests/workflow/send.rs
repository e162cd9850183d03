//! `sms-bcast send` through the binary: the gate, the outbox, dry runs,
//! partial runs and resume, abandon, real Kannel, crash safety, timeouts,
//! throttling and secrets.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::support::kannel::{self, Coding};
use crate::support::loopback::{Reply, Server};

const PASSWORD_VAR: &str = "SMS_BCAST_TEST_GW_PASSWORD";
const SECRET: &str = "gw-S3cret+Pw/&=9";

/// Appends `text` to sms-bcast.yaml and commits it (tracked files may change; lists may not).
fn configure(env: &TestEnv, text: &str) {
    let path = env.ws.join("sms-bcast.yaml");
    let mut yaml = std::fs::read_to_string(&path).unwrap();
    yaml.push_str(text);
    std::fs::write(&path, yaml).unwrap();
    env.git(&["add", "sms-bcast.yaml"]);
    env.git(&["commit", "-qm", "Gateway settings"]);
}

/// Writes and commits a recipient list.
fn add_list(env: &TestEnv, name: &str, csv: &str) {
    std::fs::write(env.ws.join("recipients").join(name), csv).unwrap();
    env.git(&["add", "recipients"]);
    env.git(&["commit", "-qm", "Recipient list"]);
}

/// Ani submits `message` to `list`; advisor and decider approve. Returns the id.
fn approved(env: &TestEnv, title: &str, message: &str, list: &str, extra: &str) -> String {
    let mut message_block = String::new();
    for line in message.lines() {
        message_block.push_str("  ");
        message_block.push_str(line);
        message_block.push('\n');
    }
    let form = format!(
        "unit: TA USK KMP\nrequester: {ANI}\ncontact_phone: \"+6281200000003\"\ntitle: {title}\nmessage: |\n{message_block}recipients:\n  - list: {list}\njustification: Harus diketahui semua.\n{extra}"
    );
    let path = env.write_form(&format!("{}.yaml", title.replace(' ', "-")), &form);
    let id = env
        .ok_as(ANI, &["submit", path.to_str().unwrap()])
        .trim()
        .to_string();
    env.ok_as(TEAM_LEADER, &["approve", &id]);
    env.ok_as(SATKER, &["approve", &id]);
    id
}

fn run_with(env: &TestEnv, who: &str, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = env.cmd();
    cmd.env("SMS_BCAST_KEY", env.secret_key(who)).args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text_of(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn commits(env: &TestEnv) -> usize {
    env.git(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap()
}

fn outbox_files(env: &TestEnv) -> Vec<PathBuf> {
    let dir = env.ws.join(".sms-bcast/outbox");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn state_of(env: &TestEnv, id: &str) -> String {
    let show = env.ok_as(ANI, &["show", id, "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&show).unwrap();
    value["state"].as_str().unwrap().to_string()
}

/// The committed results file of `id`: number → outcome.
fn results(env: &TestEnv, id: &str) -> HashMap<String, String> {
    let name = env
        .request_files(id)
        .into_iter()
        .find(|n| n.starts_with("results-") && n.ends_with(".csv"))
        .expect("a results file");
    let mut reader = csv::Reader::from_path(env.ws.join("requests").join(id).join(name)).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].to_string())
        })
        .collect()
}

fn numbers(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("+628120{:07}", 1000 + i))
        .collect()
}

fn list_of(numbers: &[String]) -> String {
    let mut csv = String::from("nama,hp\n");
    for (i, n) in numbers.iter().enumerate() {
        csv.push_str(&format!("Warga {i},{n}\n"));
    }
    csv
}

// ---------------------------------------------------------------- the gate

#[test]
fn the_outbox_gets_one_gammu_file_per_recipient_and_the_sent_record_is_committed() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal verifikasi");
    let before = commits(&env);
    let out = env.run_as(OPERATOR, &["send", &id]);
    let text = text_of(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let files = outbox_files(&env);
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    for (number, name) in [
        ("+6281200001001", "Dewi"),
        ("+6281200001002", "Eko"),
        ("+6281200001003", "Fitri"),
    ] {
        let file = files
            .iter()
            .find(|f| {
                let n = f.file_name().unwrap().to_string_lossy();
                n.starts_with(&format!("OUTC_{number}_")) && n.ends_with(".txt")
            })
            .unwrap_or_else(|| panic!("no Gammu file for {number}: {names:?}"));
        assert_eq!(
            std::fs::read_to_string(file).unwrap(),
            format!("Yth. {name}, verifikasi BLM hari Senin pukul 09.00 di kantor kecamatan.")
        );
        assert!(!text.contains(number), "full number in output: {text}");
    }
    assert_eq!(
        commits(&env) - before,
        2,
        "a claim commit and a sent commit"
    );
    let log = env.git(&["log", "--format=%s"]);
    assert!(
        log.starts_with(&format!("Sent request {id}\nClaim request {id}")),
        "{log}"
    );
    let outcomes = results(&env, &id);
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.values().all(|o| o == "accepted"), "{outcomes:?}");
    let sent = std::fs::read_to_string(env.record(&id, "-sent-operator-")).unwrap();
    for fact in [
        "accepted: '3'",
        "failed: '0'",
        "unknown: '0'",
        "gateway: outbox",
        "ledger_sha256: sha256:",
    ] {
        assert!(sent.contains(fact), "{fact} missing in\n{sent}");
    }
    assert_eq!(state_of(&env, &id), "sent");
    assert_eq!(
        env.git(&["status", "--porcelain"]),
        "",
        "the ledger and spool are ignored"
    );
    let (code, verify) = env.verify();
    assert_eq!(code, 0, "{verify}");
    // Sent is final.
    let again = env.fails_as(OPERATOR, &["send", &id], 2);
    assert!(again.contains("its broadcast was sent"), "{again}");
}

#[test]
fn a_dry_run_shows_the_plan_and_writes_nothing() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal verifikasi");
    let before = commits(&env);
    let out = env.ok_as(OPERATOR, &["send", &id, "--dry-run", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["recipients"], 3);
    assert_eq!(plan["gsm7"], 3);
    assert_eq!(plan["total_parts"], 3);
    assert_eq!(plan["sample"]["to"], "+62812****1001");
    assert!(
        plan["sample"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Yth. Dewi,")
    );
    assert_eq!(commits(&env), before);
    assert!(!env.ws.join(".sms-bcast").exists(), "no ledger, no spool");
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    assert_eq!(state_of(&env, &id), "approved");
}

#[test]
fn send_refuses_what_is_not_approved_or_rejected_or_not_an_operator() {
    let env = TestEnv::new();
    let submitted = env.submit(ANI, "Belum disetujui");
    let refused = env.fails_as(OPERATOR, &["send", &submitted], 2);
    assert!(
        refused.contains("awaiting advisor, not approved"),
        "{refused}"
    );
    let half = env.submit(BUDI, "Setengah");
    env.ok_as(TEAM_LEADER, &["approve", &half]);
    let refused = env.fails_as(OPERATOR, &["send", &half, "--dry-run"], 2);
    assert!(
        refused.contains("awaiting decider, not approved"),
        "{refused}"
    );
    let rejected = env.submit(BUDI, "Ditolak");
    env.ok_as(
        TEAM_LEADER,
        &["reject", &rejected, "--reason", "Tidak mendesak"],
    );
    let refused = env.fails_as(OPERATOR, &["send", &rejected], 2);
    assert!(refused.contains("rejected by advisor"), "{refused}");
    let id = env.approved_request("Disetujui");
    let refused = env.fails_as(ANI, &["send", &id], 2);
    assert!(
        refused.contains("holds none of the roles that may do this (operator)"),
        "{refused}"
    );
    assert!(outbox_files(&env).is_empty());
}

#[test]
fn an_operator_who_reviewed_or_requested_the_request_may_not_send_it() {
    let env = TestEnv::new();
    // The second advisor also becomes an operator, and Ani (a requester) too.
    for (who, roles) in [
        (TL2, ["advisor", "operator"]),
        (ANI, ["requester", "operator"]),
    ] {
        let key = env.public_key(who);
        env.ok_as(
            SATKER,
            &[
                "roles",
                "add",
                "--name",
                who,
                "--public-key",
                key.to_str().unwrap(),
                "--role",
                roles[0],
                "--role",
                roles[1],
            ],
        );
    }
    let id = env.submit(ANI, "Pemisahan tugas");
    env.ok_as(TL2, &["approve", &id, "--as", "advisor"]);
    env.ok_as(SATKER, &["approve", &id]);
    for who in [TL2, ANI] {
        let refused = env.fails_as(who, &["send", &id], 2);
        assert!(
            refused.contains("may not act as operator"),
            "{who}: {refused}"
        );
    }
    assert!(outbox_files(&env).is_empty());
}

#[test]
fn a_changed_list_a_future_send_time_and_quiet_hours_refuse() {
    let env = TestEnv::new();
    let id = env.approved_request("Daftar berubah");
    let list = env.ws.join("recipients/fasilitator.csv");
    let original = std::fs::read_to_string(&list).unwrap();
    std::fs::write(&list, format!("{original}Gita,081200001004,Bali\n")).unwrap();
    let refused = env.fails_as(OPERATOR, &["send", &id], 2);
    assert!(
        refused.contains("recipients/fasilitator.csv") && refused.contains("changed since"),
        "{refused}"
    );
    std::fs::write(&list, original).unwrap();

    let later = approved(
        &env,
        "Nanti saja",
        "Rapat besok pukul 10.00.",
        "recipients/fasilitator.csv",
        "send_after: 2026-12-08T08:00:00+07:00\n",
    );
    let refused = env.fails_as(OPERATOR, &["send", &later], 2);
    assert!(
        refused.contains("may not be sent before 2026-12-08 08:00:00 +07:00"),
        "{refused}"
    );
    env.at("2026-12-08T08:00:00+07:00")
        .ok_as(OPERATOR, &["send", &later, "--dry-run"]);

    env.at("2026-12-08T22:15:00+07:00");
    let refused = env.fails_as(OPERATOR, &["send", &id], 2);
    assert!(
        refused.contains("22:15 local time, inside the quiet hours 21:00-06:00"),
        "{refused}"
    );
    assert!(outbox_files(&env).is_empty());
    env.ok_as(OPERATOR, &["send", &id, "--ignore-quiet-hours"]);
    assert_eq!(outbox_files(&env).len(), 3);
}

#[test]
fn quiet_hours_stop_a_run_which_resumes_in_the_morning_without_resending() {
    let env = TestEnv::new();
    let id = env.approved_request("Malam");
    let before = commits(&env);
    // One recipient per second from 20:59:59.5: the second falls in the quiet hours.
    let out = env.at("2026-12-07T20:59:59.500+07:00").run_as(
        OPERATOR,
        &["send", &id, "--rate", "1", "--concurrency", "1"],
    );
    let text = text_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("stopped: quiet hours"), "{text}");
    assert_eq!(outbox_files(&env).len(), 1);
    assert_eq!(
        commits(&env) - before,
        1,
        "only the claim; a partial run commits nothing more"
    );
    assert_eq!(state_of(&env, &id), "sending");
    assert_eq!(env.git(&["status", "--porcelain"]), "");

    let out = env
        .at("2026-12-08T06:00:00+07:00")
        .run_as(OPERATOR, &["send", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    assert_eq!(outbox_files(&env).len(), 3);
    assert_eq!(
        commits(&env) - before,
        2,
        "no second claim; one sent record"
    );
    assert!(results(&env, &id).values().all(|o| o == "accepted"));
    assert_eq!(state_of(&env, &id), "sent");
}

/// Starts a send against a gateway that never answers and SIGKILLs it once the
/// claim is committed: a claimed, partial broadcast.
fn claimed_then_killed(env: &TestEnv, id: &str, server: &Server) {
    let before = commits(env);
    let mut child = env
        .process_as(
            OPERATOR,
            &[
                "send",
                id,
                "--gateway",
                "slow",
                "--concurrency",
                "1",
                "--rate",
                "1",
            ],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.requests().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the send never reached the gateway"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // While it runs, a second send of the same request in this clone refuses (lock).
    let second = env.fails_as(OPERATOR, &["send", id, "--gateway", "outbox"], 2);
    assert!(
        second.contains("another `sms-bcast send` of this request is running"),
        "{second}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        commits(env) - before,
        1,
        "the claim was committed before the first message"
    );
    assert!(
        outbox_files(env).is_empty(),
        "the refused send sent nothing"
    );
}

fn slow_gateway(env: &TestEnv) -> Server {
    let server = Server::replying(Reply::Hang(Duration::from_secs(30)));
    configure(
        env,
        &format!(
            "gateways:\n  slow:\n    kind: http\n    url: {}\n    form: {{to: \"{{to}}\", text: \"{{text}}\"}}\n    request_timeout_ms: 60000\n",
            server.url("/send")
        ),
    );
    server
}

/// An approved request to 8 recipients, claimed and killed mid-run on the `slow` gateway.
fn partial_broadcast(env: &TestEnv, title: &str) -> (String, Server) {
    let server = slow_gateway(env);
    add_list(env, "delapan.csv", &list_of(&numbers(8)));
    let id = approved(
        env,
        title,
        "Rapat RT Senin malam.",
        "recipients/delapan.csv",
        "",
    );
    claimed_then_killed(env, &id, &server);
    (id, server)
}

fn count(outcomes: &HashMap<String, String>, outcome: &str) -> usize {
    outcomes.values().filter(|o| *o == outcome).count()
}

#[test]
fn a_claim_in_another_clone_or_without_the_ledger_refuses_and_the_claimant_resumes() {
    let env = TestEnv::new();
    let (id, slow) = partial_broadcast(&env, "Klaim");
    assert_eq!(state_of(&env, &id), "sending");

    // Another clone of the workspace, with the claim but without the ledger.
    let other = tempfile::tempdir().unwrap();
    let clone = other.path().join("clone");
    git_in(
        other.path(),
        &["clone", "-q", env.ws.to_str().unwrap(), "clone"],
    );
    let key = env.public_key(TL2);
    env.ok_as(
        SATKER,
        &[
            "roles",
            "add",
            "--name",
            TL2,
            "--public-key",
            key.to_str().unwrap(),
            "--role",
            "advisor",
            "--role",
            "operator",
        ],
    );
    git_in(&clone, &["pull", "-q", "--no-rebase", "origin", "main"]);
    let in_clone = |who: &str| {
        let out = env
            .cmd()
            .current_dir(&clone)
            .env("SMS_BCAST_KEY", env.secret_key(who))
            .args(["send", &id])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text_of(&out));
        text_of(&out)
    };
    let refused = in_clone(TL2);
    assert!(
        refused.contains(&format!("was claimed for sending by {OPERATOR}")),
        "{refused}"
    );
    let refused = in_clone(OPERATOR);
    assert!(refused.contains("is not on this machine"), "{refused}");

    // The claimant resumes where the ledger is, through the outbox: the ones that
    // were in flight are unknown and not resent; the rest go out once.
    let out = env.run_as(OPERATOR, &["send", &id, "--gateway", "outbox"]);
    let text = text_of(&out);
    assert_eq!(out.status.code(), Some(1), "unknowns remain: {text}");
    assert!(text.contains("now unknown"), "{text}");
    let outcomes = results(&env, &id);
    assert_eq!(outcomes.len(), 8);
    let reached = slow.requests()[0].param("to").unwrap();
    assert_eq!(slow.requests().len(), 1);
    assert_eq!(outcomes[&reached], "unknown");
    let (unknown, accepted) = (count(&outcomes, "unknown"), count(&outcomes, "accepted"));
    assert!(unknown >= 1 && unknown + accepted == 8, "{outcomes:?}");
    assert_eq!(outbox_files(&env).len(), accepted);
    assert_eq!(state_of(&env, &id), "sent");
}

#[test]
fn abandon_records_the_partial_result() {
    let env = TestEnv::new();
    let id = env.approved_request("Belum diklaim");
    let refused = env.fails_as(OPERATOR, &["send", &id, "--abandon"], 2);
    assert!(refused.contains("has no claimed broadcast"), "{refused}");
    let (id, _slow) = partial_broadcast(&env, "Batal");
    let out = env.ok_as(
        OPERATOR,
        &["send", &id, "--abandon", "--reason", "Acara dibatalkan"],
    );
    assert!(out.contains("abandoned"), "{out}");
    assert_eq!(state_of(&env, &id), "abandoned");
    let record = std::fs::read_to_string(env.record(&id, "-abandon-operator-")).unwrap();
    assert!(record.contains("reason: Acara dibatalkan"), "{record}");
    let outcomes = results(&env, &id);
    assert_eq!(outcomes.len(), 8);
    let (unknown, pending) = (count(&outcomes, "unknown"), count(&outcomes, "pending"));
    assert!(
        unknown >= 1 && pending >= 1 && unknown + pending == 8,
        "{outcomes:?}"
    );
    assert!(
        record.contains(&format!("pending: '{pending}'")),
        "{record}"
    );
    let (code, verify) = env.verify();
    assert_eq!(code, 0, "{verify}");
    let refused = env.fails_as(OPERATOR, &["send", &id], 2);
    assert!(refused.contains("its broadcast was abandoned"), "{refused}");
}

#[test]
fn test_to_sends_one_message_outside_the_ledger() {
    let env = TestEnv::new();
    let id = env.approved_request("Uji");
    let before = commits(&env);
    let out = env.ok_as(OPERATOR, &["send", &id, "--test-to", "081200009999"]);
    assert!(
        out.contains("+62812****9999") && !out.contains("+6281200009999"),
        "{out}"
    );
    let files = outbox_files(&env);
    assert_eq!(files.len(), 1);
    assert!(files[0].to_string_lossy().contains("OUTC_+6281200009999_"));
    assert_eq!(commits(&env), before, "no claim for a test message");
    assert!(!env.ws.join(".sms-bcast/ledger").exists());
    assert_eq!(state_of(&env, &id), "approved");
}

// ---------------------------------------------------------------- real gateways

#[test]
fn real_kannel_gets_every_recipient_once_with_exact_text_and_coding() {
    let Some(stack) = kannel::start(3) else {
        return;
    };
    let env = TestEnv::new();
    configure(
        &env,
        &format!(
            "send:\n  gateway: kannel\ngateways:\n  kannel:\n    kind: kannel\n    url: {}\n    username: {}\n    password_env: {PASSWORD_VAR}\n    max_parts: 3\n",
            stack.sendsms_url(),
            kannel::USERNAME
        ),
    );
    let long: String = (0..3)
        .map(|i| format!("Bagian {i}: ") + &"Siaga banjir, mohon waspada. ".repeat(4))
        .collect();
    let rows = [
        (
            "+6281200002001",
            "Halo warga RT 05, 1+1=2 & 50% @rumah".to_string(),
            Coding::Gsm7,
            1,
        ),
        (
            "+6281200002002",
            "Banjir 🌊 siaga, mohon mengungsi".to_string(),
            Coding::Ucs2,
            1,
        ),
        // Values are used trimmed, so the last space of the column is not sent.
        (
            "+6281200002003",
            long.trim_end().to_string(),
            Coding::Gsm7,
            3,
        ),
    ];
    let mut csv = String::from("hp,teks\n");
    for (number, text, _, _) in &rows {
        csv.push_str(&format!("{number},\"{text}\"\n"));
    }
    add_list(&env, "kannel.csv", &csv);
    let id = approved(&env, "Kannel", "((teks))", "recipients/kannel.csv", "");
    let out = run_with(
        &env,
        OPERATOR,
        &["send", &id],
        &[(PASSWORD_VAR, kannel::PASSWORD)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        text_of(&out),
        stack.logs()
    );
    let mut received = stack.wait_for(rows.len());
    received.sort_by(|a, b| a.to.cmp(&b.to));
    assert_eq!(received.len(), rows.len(), "{received:?}");
    for ((number, text, coding, parts), got) in rows.iter().zip(&received) {
        assert_eq!(&got.to, number);
        assert_eq!(&got.text, text);
        assert_eq!(got.coding, *coding, "{number}");
        assert_eq!(got.parts, *parts, "{number}");
    }
    assert_eq!(state_of(&env, &id), "sent");
}

/// A loopback `http` gateway; the counter says how many requests it has answered.
fn counting_gateway(
    env: &TestEnv,
    reply: impl Fn(usize) -> Reply + Send + Sync + 'static,
) -> (Server, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Server::start(move |_| reply(counter.fetch_add(1, Ordering::SeqCst)));
    configure(
        env,
        &format!(
            "send:\n  gateway: loop\ngateways:\n  loop:\n    kind: http\n    url: {}\n    form: {{to: \"{{to}}\", text: \"{{text}}\"}}\n    request_timeout_ms: 400\n",
            server.url("/send")
        ),
    );
    (server, calls)
}

fn calls_per_number(server: &Server) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for request in server.requests() {
        *counts.entry(request.param("to").unwrap()).or_default() += 1;
    }
    counts
}

#[test]
fn a_gateway_that_times_out_yields_unknown_and_no_resend() {
    let env = TestEnv::new();
    let (server, _) = counting_gateway(&env, |_| Reply::Hang(Duration::from_secs(3)));
    let id = env.approved_request("Timeout");
    let out = env.run_as(OPERATOR, &["send", &id, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["summary"]["counts"]["unknown"], 3, "{summary}");
    let counts = calls_per_number(&server);
    assert_eq!(counts.len(), 3);
    assert!(counts.values().all(|n| *n == 1), "never resent: {counts:?}");
    assert!(results(&env, &id).values().all(|o| o == "unknown"));
}

#[test]
fn a_throttling_gateway_ends_with_all_delivered_none_twice() {
    let env = TestEnv::new();
    let (server, _) = counting_gateway(&env, |n| {
        if n < 2 {
            Reply::new(429, "slow down").header("Retry-After", "1")
        } else {
            Reply::new(200, "OK")
        }
    });
    let id = env.approved_request("Throttle");
    let out = env.run_as(OPERATOR, &["send", &id, "--concurrency", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    // Two 429 replies, then one accepted request per recipient: never a second acceptance.
    assert_eq!(server.requests().len(), 5, "2 throttled + 3 accepted");
    let counts = calls_per_number(&server);
    assert_eq!(counts.len(), 3, "{counts:?}");
    let outcomes = results(&env, &id);
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.values().all(|o| o == "accepted"), "{outcomes:?}");
}

#[test]
fn jasmin_throughput_exceeded_is_throttling_and_ends_with_all_delivered_once() {
    let env = TestEnv::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Server::start(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::new(403, "Error \"User throughput exceeded\"")
        } else {
            Reply::new(200, "Success \"07033084-5cfd-4812-90a4-e4d24ffb6e3d\"")
        }
    });
    configure(
        &env,
        &format!(
            "gateways:\n  jasmin:\n    kind: jasmin\n    url: {}\n    username: bpbd\n    password_env: {PASSWORD_VAR}\n",
            server.url("/send")
        ),
    );
    let id = env.approved_request("Jasmin");
    let out = run_with(
        &env,
        OPERATOR,
        &["send", &id, "--gateway", "jasmin", "--concurrency", "1"],
        &[(PASSWORD_VAR, SECRET)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    assert_eq!(server.requests().len(), 5, "2 throttled + 3 accepted");
    let outcomes = results(&env, &id);
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.values().all(|o| o == "accepted"), "{outcomes:?}");
}

#[test]
fn a_gateway_refusing_everyone_stops_the_send_and_the_fixed_gateway_finishes_it() {
    let env = TestEnv::new();
    // Answers 401 (a wrong password) until `fixed` is set.
    let fixed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let works = fixed.clone();
    let server = Server::start(move |_| {
        if works.load(Ordering::SeqCst) {
            Reply::new(200, "OK")
        } else {
            Reply::new(401, "Unauthorized: bad credentials")
        }
    });
    configure(
        &env,
        &format!(
            "send:\n  gateway: loop\ngateways:\n  loop:\n    kind: http\n    url: {}\n    form: {{to: \"{{to}}\", text: \"{{text}}\"}}\n    request_timeout_ms: 400\n",
            server.url("/send")
        ),
    );
    let all = numbers(40);
    add_list(&env, "empat-puluh.csv", &list_of(&all));
    let id = approved(
        &env,
        "Sandi salah",
        "Rapat RT Senin malam.",
        "recipients/empat-puluh.csv",
        "",
    );
    let before = commits(&env);
    let out = env.run_as(OPERATOR, &["send", &id, "--concurrency", "1"]);
    let text = text_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("keeps failing"), "{text}");
    assert!(text.contains("401"), "the last reason is shown: {text}");
    assert!(text.contains(&format!("sms-bcast send {id}")), "{text}");
    assert_eq!(server.requests().len(), 10, "stopped after 10 refusals");
    assert_eq!(commits(&env) - before, 1, "only the claim, no sent record");
    assert_eq!(state_of(&env, &id), "sending");
    assert!(
        !env.request_files(&id)
            .iter()
            .any(|n| n.starts_with("results-")),
        "no results committed"
    );

    fixed.store(true, Ordering::SeqCst);
    let out = env.run_as(OPERATOR, &["send", &id]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    let accepted: Vec<_> = server
        .requests()
        .into_iter()
        .skip(10)
        .map(|r| r.param("to").unwrap())
        .collect();
    let mut once = accepted.clone();
    once.sort();
    once.dedup();
    assert_eq!(once.len(), 40, "everyone reached");
    assert_eq!(accepted.len(), 40, "nobody twice");
    assert_eq!(commits(&env) - before, 2, "one sent record");
    assert_eq!(state_of(&env, &id), "sent");
    let outcomes = results(&env, &id);
    assert_eq!(outcomes.len(), 40);
    assert!(outcomes.values().all(|o| o == "accepted"), "{outcomes:?}");
}

#[test]
fn ctrl_c_stops_the_run_cleanly_and_a_second_run_finishes_it() {
    let env = TestEnv::new();
    let (server, calls) = counting_gateway(&env, |_| Reply::new(200, "OK"));
    add_list(&env, "delapan.csv", &list_of(&numbers(8)));
    let id = approved(
        &env,
        "Interupsi",
        "Rapat RT Senin malam.",
        "recipients/delapan.csv",
        "",
    );
    let before = commits(&env);
    let child = env
        .process_as(
            OPERATOR,
            &["send", &id, "--rate", "2", "--concurrency", "1"],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while calls.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the send never reached the gateway"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let interrupt = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupt.success());
    let out = child.wait_with_output().unwrap();
    let text = text_of(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("stopped: interrupted"), "{text}");
    assert_eq!(commits(&env) - before, 1, "only the claim");
    let first = server.requests().len();
    assert!(first < 8, "stopped early ({first} sent)");

    let out = env.run_as(OPERATOR, &["send", &id, "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    let counts = calls_per_number(&server);
    assert_eq!(counts.len(), 8);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
    assert_eq!(state_of(&env, &id), "sent");
}

#[test]
fn no_secret_reaches_output_ledger_or_commits() {
    let env = TestEnv::new();
    let server = Server::start(|request| match request.param("to").as_deref() {
        Some("+6281200001001") => Reply::new(202, "0: Accepted for delivery"),
        Some("+6281200001002") => Reply::Hang(Duration::from_secs(3)),
        _ => Reply::new(403, "Authorization failed for sendsms"),
    });
    configure(
        &env,
        &format!(
            "gateways:\n  kannel:\n    kind: kannel\n    url: {}\n    username: tester\n    password_env: {PASSWORD_VAR}\n    request_timeout_ms: 400\n",
            server.url("/cgi-bin/sendsms")
        ),
    );
    let id = env.approved_request("Rahasia");
    let vars = [(PASSWORD_VAR, SECRET)];
    let mut output = String::new();
    for args in [
        vec!["send", &id, "--gateway", "kannel", "--dry-run"],
        vec![
            "send",
            &id,
            "--gateway",
            "kannel",
            "--test-to",
            "081200009999",
        ],
        vec!["send", &id, "--gateway", "kannel", "--format", "json"],
    ] {
        output.push_str(&text_of(&run_with(&env, OPERATOR, &args, &vars)));
    }
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.param("password").as_deref() == Some(SECRET))
    );
    assert!(output.contains("unknown"), "{output}");
    assert!(!output.contains(SECRET), "{output}");
    let ledger =
        std::fs::read_to_string(env.ws.join(format!(".sms-bcast/ledger/{id}.ledger"))).unwrap();
    assert!(!ledger.contains(SECRET), "{ledger}");
    let grep = std::process::Command::new("git")
        .args(["grep", "-q", "-F", SECRET, "HEAD"])
        .current_dir(&env.ws)
        .status()
        .unwrap();
    assert_eq!(grep.code(), Some(1), "the secret is in a committed file");
}

// ---------------------------------------------------------------- crash safety

#[test]
fn sigkill_at_several_points_then_resume_sends_nobody_twice_and_loses_nobody() {
    const COUNT: usize = 2000;
    let env = TestEnv::new();
    let (server, calls) = counting_gateway(&env, |n| Reply::new(200, &format!("OK {n}")));
    let all = numbers(COUNT);
    add_list(&env, "crash.csv", &list_of(&all));
    let id = approved(
        &env,
        "Crash",
        "Imunisasi campak Senin 08.00 di puskesmas",
        "recipients/crash.csv",
        "",
    );
    let args = ["send", id.as_str(), "--rate", "400", "--concurrency", "8"];
    let mut kills = 0;
    let started = Instant::now();
    for kill_at in [150, 600, 1100, 1600] {
        let mut child = env
            .process_as(OPERATOR, &args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the run ended ({status}) before the kill at {kill_at}");
            }
            if calls.load(Ordering::SeqCst) >= kill_at {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
                println!(
                    "killed at {kill_at} after {:.1} s",
                    started.elapsed().as_secs_f64()
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let out = env.run_as(OPERATOR, &args);
    let text = text_of(&out);
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{text}");
    let elapsed = started.elapsed();
    let counts = calls_per_number(&server);
    let outcomes = results(&env, &id);
    assert_eq!(outcomes.len(), COUNT, "every recipient has an outcome");
    let mut unknown = Vec::new();
    for number in &all {
        let n = counts.get(number).copied().unwrap_or(0);
        assert!(n <= 1, "{number} sent {n} times");
        match outcomes[number].as_str() {
            "accepted" => assert_eq!(n, 1, "{number} accepted but never sent"),
            "unknown" => unknown.push((number, n)),
            other => panic!("{number} ended {other}"),
        }
    }
    let reached = unknown.iter().filter(|(_, n)| *n == 1).count();
    println!(
        "crash test through the binary: {kills} SIGKILLs, {} accepted, {} unknown ({reached} reached the gateway), 0 twice, 0 missing, {} requests in {:.1} s",
        COUNT - unknown.len(),
        unknown.len(),
        server.requests().len(),
        elapsed.as_secs_f64()
    );
    assert!(
        unknown.len() <= kills * 40,
        "{} unknowns after {kills} kills",
        unknown.len()
    );
    assert_eq!(state_of(&env, &id), "sent");
    let (code, verify) = env.verify();
    assert_eq!(code, 0, "{verify}");
}

/// Throughput through `sms-bcast send` against the real loopback Kannel; prints the figure.
#[test]
fn throughput_through_send_against_kannel() {
    const COUNT: usize = 1000;
    let Some(stack) = kannel::start(1) else {
        return;
    };
    let env = TestEnv::new();
    configure(
        &env,
        &format!(
            "gateways:\n  kannel:\n    kind: kannel\n    url: {}\n    username: {}\n    password_env: {PASSWORD_VAR}\n",
            stack.sendsms_url(),
            kannel::USERNAME
        ),
    );
    add_list(&env, "banyak.csv", &list_of(&numbers(COUNT)));
    let id = approved(
        &env,
        "Cepat",
        "Siaga banjir, mohon waspada.",
        "recipients/banyak.csv",
        "",
    );
    let started = Instant::now();
    let out = run_with(
        &env,
        OPERATOR,
        &["send", &id, "--gateway", "kannel", "--concurrency", "8"],
        &[(PASSWORD_VAR, kannel::PASSWORD)],
    );
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", text_of(&out));
    let received = stack.wait_for(COUNT);
    assert_eq!(received.len(), COUNT);
    println!(
        "throughput: {COUNT} messages through `sms-bcast send` to Kannel in {:.2} s = {:.0} msg/s (concurrency 8, no rate limit; includes gate, claim and sent commits)",
        elapsed.as_secs_f64(),
        COUNT as f64 / elapsed.as_secs_f64()
    );
}
