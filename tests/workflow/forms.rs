//! Malformed request forms are refused with the file, line and field, exit 2,
//! and nothing is committed.

use crate::common::*;

fn submit_fails(env: &TestEnv, text: &str) -> String {
    let form = env.write_form("form.yaml", text);
    let head = env.git(&["rev-parse", "HEAD"]);
    let out = env.fails_as(ANI, &["submit", form.to_str().unwrap()], 2);
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
    assert!(
        !env.ws
            .join("requests")
            .read_dir()
            .unwrap()
            .any(|e| e.unwrap().path().is_dir()),
        "no request folder"
    );
    out
}

#[test]
fn bad_yaml_names_line_and_column() {
    let env = TestEnv::new();
    let text = env
        .form(ANI, "Jadwal")
        .replace("title: Jadwal", "title: [Jadwal");
    let out = submit_fails(&env, &text);
    assert!(
        out.contains("form.yaml:4:") || out.contains("form.yaml:5:"),
        "{out}"
    );
}

#[test]
fn a_missing_field_is_named() {
    let env = TestEnv::new();
    let text: String = env
        .form(ANI, "Jadwal")
        .lines()
        .filter(|l| !l.starts_with("justification"))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = submit_fails(&env, &text);
    assert!(out.contains("missing field `justification`"), "{out}");
    assert!(out.contains("sms-bcast form"), "says what to do: {out}");
}

#[test]
fn an_unknown_field_is_named_with_its_line() {
    let env = TestEnv::new();
    let text = format!("{}priority: high\n", env.form(ANI, "Jadwal"));
    let out = submit_fails(&env, &text);
    assert!(
        out.contains("form.yaml:10:") && out.contains("unknown field `priority`"),
        "{out}"
    );
}

#[test]
fn a_wrong_type_is_named() {
    let env = TestEnv::new();
    let text = env.form(ANI, "Jadwal").replace(
        "recipients:\n  - list: recipients/fasilitator.csv",
        "recipients: semua",
    );
    let out = submit_fails(&env, &text);
    assert!(out.contains("recipients"), "{out}");
    assert!(out.contains("form.yaml:7:"), "{out}");
}

#[test]
fn an_empty_field_and_a_list_outside_recipients_are_named() {
    let env = TestEnv::new();
    let out = submit_fails(
        &env,
        &env.form(ANI, "Jadwal")
            .replace("unit: TA USK KMP", "unit: ''"),
    );
    assert!(out.contains("form.yaml:1:1: unit: is empty"), "{out}");
    let out = submit_fails(
        &env,
        &env.form(ANI, "Jadwal")
            .replace("recipients/fasilitator.csv", "../../etc/passwd.csv"),
    );
    assert!(
        out.contains("recipients.list") && out.contains("form.yaml:8:"),
        "{out}"
    );
    let out = submit_fails(
        &env,
        &env.form(ANI, "Jadwal")
            .replace("recipients/fasilitator.csv", "recipients/missing.csv"),
    );
    assert!(out.contains("does not exist"), "{out}");
}

#[test]
fn a_form_in_someone_elses_name_is_refused() {
    let env = TestEnv::new();
    let out = submit_fails(&env, &env.form(BUDI, "Jadwal"));
    assert!(
        out.contains("requester") && out.contains("is not the owner of the signing key"),
        "{out}"
    );
}

#[test]
fn the_blank_form_names_every_field() {
    let env = TestEnv::new();
    let blank = env.ok_as(ANI, &["form"]);
    for field in [
        "unit:",
        "requester:",
        "contact_phone:",
        "title:",
        "message:",
        "recipients:",
        "justification:",
        "send_after:",
    ] {
        assert!(blank.contains(field), "{field}");
    }
}

#[test]
fn a_format_the_command_cannot_write_is_refused() {
    let env = TestEnv::new();
    for args in [
        vec!["list", "--format", "junit"],
        vec!["form", "--format", "json"],
        vec!["verify", "--format", "csv"],
        vec!["roles", "list", "--format", "gitlab"],
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("has no"),
            "{args:?}"
        );
    }
}
