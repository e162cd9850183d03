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

#[test]
fn a_list_with_uncommitted_changes_or_never_committed_is_refused() {
    let env = TestEnv::new();
    let list = env.ws.join("recipients/fasilitator.csv");
    let mut text = std::fs::read_to_string(&list).unwrap();
    text.push_str("Gani,081200001009,Jawa Timur\n");
    std::fs::write(&list, &text).unwrap();
    let out = submit_fails(&env, &env.form(ANI, "Jadwal"));
    assert!(
        out.contains("has changes that are not committed")
            && out.contains("git add recipients/fasilitator.csv"),
        "{out}"
    );
    std::fs::write(
        env.ws.join("recipients/baru.csv"),
        "nama,hp\nA,081200001010\n",
    )
    .unwrap();
    let out = submit_fails(
        &env,
        &env.form(ANI, "Jadwal")
            .replace("fasilitator.csv", "baru.csv"),
    );
    assert!(
        out.contains("recipients/baru.csv is not committed"),
        "{out}"
    );
}

#[test]
fn a_form_saved_with_a_byte_order_mark_is_read() {
    let env = TestEnv::new();
    let form = env.write_form("bom.yaml", &format!("\u{feff}{}", env.form(ANI, "Jadwal")));
    env.ok_as(ANI, &["submit", form.to_str().unwrap()]);
}

#[test]
fn oversized_binary_and_utf16_forms_are_refused() {
    let env = TestEnv::new();
    let out = submit_fails(&env, &env.form(ANI, &"T".repeat(200)));
    assert!(
        out.contains("title: is 200 characters long; at most 160"),
        "{out}"
    );
    let big = env.write_form("big.yaml", &"#".repeat(300 * 1024));
    assert!(
        env.fails_as(ANI, &["submit", big.to_str().unwrap()], 2)
            .contains("at most")
    );
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            env.form(ANI, "Jadwal")
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let path = env.home.join("utf16.yaml");
    std::fs::write(&path, utf16).unwrap();
    let out = env.fails_as(ANI, &["submit", path.to_str().unwrap()], 2);
    assert!(
        out.contains("UTF-16") && out.contains("save the file as UTF-8"),
        "{out}"
    );
    assert!(
        env.fails_as(ANI, &["submit", env.home.to_str().unwrap()], 2)
            .contains("is not a file")
    );
}

#[test]
fn a_public_key_or_a_huge_file_given_as_the_signing_key_is_named() {
    let env = TestEnv::new();
    let form = env.write_form("f.yaml", &env.form(ANI, "Jadwal"));
    let out = env
        .cmd()
        .env("SMS_BCAST_KEY", env.public_key(ANI))
        .args(["submit", form.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a public key"));
    let out = env
        .cmd()
        .env("SMS_BCAST_KEY", "/dev/zero")
        .args(["submit", form.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a device is not a key file (and is not read forever)"
    );
}
