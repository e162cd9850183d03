//! `verify` fails (exit 1) and names the file for every kind of tampering.

use std::path::{Path, PathBuf};

use base64::Engine;
use sms_bcast::keys::SigningKey;
use sms_bcast::record::Statement;

use crate::common::*;

/// Asserts that verify exits 1 and its output names `file` (with `words`).
fn fails_naming(env: &TestEnv, file: &str, words: &str) {
    let (code, text) = env.verify();
    assert_eq!(code, 1, "verify must fail:\n{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("FAIL") && l.contains(file))
        .unwrap_or_else(|| panic!("no FAIL line names {file}:\n{text}"));
    assert!(line.contains(words), "`{words}` not in: {line}");
}

fn rel(env: &TestEnv, path: &Path) -> String {
    path.strip_prefix(&env.ws).unwrap().display().to_string()
}

fn sig(path: &Path) -> PathBuf {
    sms_bcast::record::signature_path(path)
}

/// Re-signs a statement after `change`, as its signer would, under its new file name.
fn forge(env: &TestEnv, record: &Path, who: &str, change: impl FnOnce(&mut Statement)) -> PathBuf {
    let mut statement: Statement = serde_yaml::from_slice(&std::fs::read(record).unwrap()).unwrap();
    change(&mut statement);
    let key = SigningKey::load(&env.secret_key(who), None).unwrap();
    let signed = statement.sign(&key).unwrap();
    std::fs::remove_file(record).unwrap();
    std::fs::remove_file(sig(record)).unwrap();
    let mut written = PathBuf::new();
    for (path, bytes) in signed.files() {
        std::fs::write(env.ws.join(&path), bytes).unwrap();
        if written.as_os_str().is_empty() {
            written = env.ws.join(path);
        }
    }
    written
}

#[test]
fn the_request_text_edited_after_approval() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    let form = env.ws.join(format!("requests/{id}/request-r1.yaml"));
    let text = std::fs::read_to_string(&form)
        .unwrap()
        .replace("09.00", "10.00");
    std::fs::write(&form, text).unwrap();
    fails_naming(
        &env,
        &format!("requests/{id}/request-r1.yaml"),
        "changed after it was signed",
    );
}

#[test]
fn a_statement_edited() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    let record = env.record(&id, "approve-advisor");
    let text = std::fs::read_to_string(&record)
        .unwrap()
        .replace("revision: 1", "revision: 2");
    std::fs::write(&record, text).unwrap();
    fails_naming(&env, &rel(&env, &record), "bad signature");
}

#[test]
fn a_signature_swapped_between_two_requests() {
    let env = TestEnv::new();
    let a = env.approved_request("Jadwal");
    let b = env.approved_request("Lomba");
    let from = env.record(&a, "approve-advisor");
    let to = env.record(&b, "approve-advisor");
    std::fs::copy(sig(&from), sig(&to)).unwrap();
    fails_naming(&env, &rel(&env, &to), "bad signature");
}

#[test]
fn a_statement_replayed_on_another_request() {
    let env = TestEnv::new();
    let a = env.approved_request("Jadwal");
    let b = env.submit(BUDI, "Lomba");
    let from = env.record(&a, "approve-advisor");
    let to = env
        .ws
        .join("requests")
        .join(&b)
        .join(from.file_name().unwrap());
    std::fs::copy(&from, &to).unwrap();
    std::fs::copy(sig(&from), sig(&to)).unwrap();
    fails_naming(&env, &rel(&env, &to), "replayed from another request");
}

#[test]
fn a_record_deleted_from_the_middle_of_a_chain() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    let advisor = env.record(&id, "approve-advisor");
    let decider = env.record(&id, "approve-decider");
    std::fs::remove_file(&advisor).unwrap();
    std::fs::remove_file(sig(&advisor)).unwrap();
    fails_naming(&env, &rel(&env, &decider), "is missing");
}

#[test]
fn records_reordered() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    let advisor = env.record(&id, "approve-advisor");
    let decider = env.record(&id, "approve-decider");
    let tmp = env.home.join("swap");
    for (a, b) in [
        (advisor.clone(), decider.clone()),
        (sig(&advisor), sig(&decider)),
    ] {
        std::fs::rename(&a, &tmp).unwrap();
        std::fs::rename(&b, &a).unwrap();
        std::fs::rename(&tmp, &b).unwrap();
    }
    fails_naming(&env, &rel(&env, &advisor), "renamed or swapped");
}

#[test]
fn the_registry_edited_without_an_admin_signature() {
    let env = TestEnv::new();
    let file = env.ws.join("registry/v0003.yaml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replacen("- requester", "- decider", 1);
    std::fs::write(&file, text).unwrap();
    fails_naming(&env, "registry/v0003.yaml", "valid admin signature");
}

#[test]
fn an_older_registry_version_replayed() {
    let env = TestEnv::new();
    let (code, text) = env.verify();
    assert_eq!(code, 0, "{text}");
    // Roll the repository back to before the last registry version.
    let last = std::fs::read_dir(env.ws.join("registry"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .max()
        .unwrap();
    let name = last.file_name().unwrap().to_str().unwrap().to_string();
    for entry in std::fs::read_dir(env.ws.join("registry")).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(&name)
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    fails_naming(&env, "registry/v0005.yaml", "rolled back");
    // A copy of an old version under the newest number does not link either.
    std::fs::copy(
        env.ws.join("registry/v0002.yaml"),
        env.ws.join("registry/v0006.yaml"),
    )
    .unwrap();
    fails_naming(&env, "registry/v0006.yaml", "says it is version 2");
}

#[test]
fn a_key_relabelled_with_another_keys_id() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    let record = env.record(&id, "approve-advisor");
    // Put the Satker's minisign key number into the Team Leader's signature.
    let satker = sms_bcast::keys::parse_public_key(
        &std::fs::read_to_string(env.public_key(SATKER)).unwrap(),
    )
    .unwrap();
    let text = std::fs::read_to_string(sig(&record)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut bytes = base64_decode(&lines[1]);
    bytes[2..10].copy_from_slice(satker.keynum());
    lines[1] = base64_encode(&bytes);
    std::fs::write(sig(&record), lines.join("\n") + "\n").unwrap();
    fails_naming(&env, &rel(&env, &record), "bad signature");
}

#[test]
fn a_statement_dated_before_its_predecessor() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    let advisor = env.record(&id, "approve-advisor");
    let forged = forge(&env, &advisor, TEAM_LEADER, |s| {
        s.time = chrono::DateTime::parse_from_rfc3339("2026-12-06T09:00:00+07:00").unwrap();
    });
    fails_naming(&env, &rel(&env, &forged), "dated before");
}

#[test]
fn a_recipient_list_edited_after_approval() {
    let env = TestEnv::new();
    env.approved_request("Jadwal");
    let list = env.ws.join("recipients/fasilitator.csv");
    let mut text = std::fs::read_to_string(&list).unwrap();
    text.push_str("Gani,081200001009,Jawa Timur\n");
    std::fs::write(&list, text).unwrap();
    fails_naming(&env, "recipients/fasilitator.csv", "changed since");
}

#[test]
fn a_drill_clock_statement_in_a_workspace_that_is_not_a_drill() {
    let env = TestEnv::real();
    let id = env.submit(ANI, "Jadwal");
    let (code, text) = env.verify();
    assert_eq!(code, 0, "{text}");
    let submit = env.record(&id, "submit-requester");
    let forged = forge(&env, &submit, ANI, |s| s.drill_clock = true);
    fails_naming(&env, &rel(&env, &forged), "not a drill");
}

fn base64_decode(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
