//! `submit` resolves the recipients and signs the counts; `preview` shows who
//! gets what, which rows were dropped, encoding, parts and cost, and warns
//! when the lists changed after signing.

use serde_json::Value;

use crate::common::{ANI, OPERATOR, TestEnv};

/// Appends `yaml` to the workspace settings and commits it with `files`.
fn configure(env: &TestEnv, yaml: &str, files: &[(&str, &str)]) {
    let path = env.ws.join("sms-bcast.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(yaml);
    std::fs::write(&path, text).unwrap();
    for (name, content) in files {
        std::fs::write(env.ws.join(name), content).unwrap();
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "Settings and lists"]);
}

/// A form like the standard one with another message and recipients block.
fn form(message: &str, recipients: &str) -> String {
    format!(
        "unit: TA USK KMP\nrequester: {ANI}\ncontact_phone: \"+6281200000003\"\ntitle: Rapat\nmessage: {message}\nrecipients:\n{recipients}justification: Jadwal berubah.\n"
    )
}

/// Submits `text` as Ani; returns (id, stderr).
fn submit(env: &TestEnv, text: &str) -> (String, String) {
    let path = env.write_form("form.yaml", text);
    let out = env.run_as(ANI, &["submit", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "submit failed: {stderr}");
    (
        String::from_utf8(out.stdout).unwrap().trim().to_owned(),
        stderr,
    )
}

fn preview_json(env: &TestEnv, id: &str) -> Value {
    let out = env.ok_as(OPERATOR, &["--format", "json", "preview", id]);
    serde_json::from_str(&out).unwrap()
}

/// The signed facts of the submit record.
fn signed_facts(env: &TestEnv, id: &str) -> serde_yaml::Value {
    let text = std::fs::read_to_string(env.record(id, "submit")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    doc["facts"].clone()
}

/// fasilitator.csv (3 good rows) plus kader.csv: `;`-separated, one number
/// also in fasilitator.csv, one opted out, a landline and a number a
/// spreadsheet turned into 6.28E+12.
fn two_lists(env: &TestEnv) {
    configure(
        env,
        "sms:\n  price_per_part_idr: 350\ngateways:\n  kannel:\n    kind: kannel\n    url: http://127.0.0.1:13013/cgi-bin/sendsms\n    username: u\n    password_env: NOT_SET_IN_TESTS\n",
        &[
            (
                "recipients/kader.csv",
                "Nama;No HP;Desa\nGita;081200002001;Sukamaju\nHadi;+62 812 0000 1002;Sukamaju\nIndra;081200002003;Cibiru\nJoko;0254-280123;Ciruas\nKarti;6.28120E+12;Ciruas\nLina;081200002006;Ciruas\n",
            ),
            (
                "recipients/optout.csv",
                "phone,note\n081200002003,minta berhenti\n",
            ),
        ],
    );
}

const TWO_LISTS: &str = "  - list: recipients/fasilitator.csv\n  - list: recipients/kader.csv\n";

#[test]
fn preview_counts_duplicates_opt_outs_and_bad_rows_across_two_lists() {
    let env = TestEnv::new();
    two_lists(&env);
    let (id, stderr) = submit(
        &env,
        &form("\"Yth. ((nama)), rapat Senin pukul 09.00.\"", TWO_LISTS),
    );
    assert!(
        stderr.contains("5 recipients (1 duplicate removed, 1 opted out, 2 bad rows)"),
        "{stderr}"
    );
    assert!(stderr.contains("Rp 1.750"), "{stderr}");

    let v = preview_json(&env, &id);
    assert_eq!(v["recipients"], 5);
    assert_eq!(v["duplicates"], 1);
    assert_eq!(v["opted_out"], 1);
    assert_eq!(v["invalid"], 2);
    assert_eq!(v["rows_read"], 9);
    assert_eq!(v["lists"][1]["delimiter"], ";");
    assert_eq!(v["lists"][1]["phone_column"], "No HP");
    assert_eq!(v["lists"][1]["valid"], 4);
    assert_eq!(v["message"]["encoding"], "gsm7");
    assert_eq!(v["message"]["parts"]["total"], 5);
    assert_eq!(v["cost_idr"], 1750);
    assert_eq!(v["max_parts"]["applied"], 6);
    let rows: Vec<u64> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [5, 6], "the landline and the scientific notation");
    let sample = &v["message"]["sample"];
    assert_eq!(sample["text"], "Yth. Dewi, rapat Senin pukul 09.00.");
    assert_eq!(sample["to"], "+62812****1001", "the phone is masked");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0);

    let table = env.ok_as(OPERATOR, &["preview", &id]);
    assert!(
        table.contains("Recipients: 5 (duplicates removed 1, opted out 1, invalid rows 2)"),
        "{table}"
    );
    assert!(
        table.contains("Cost: 5 parts x Rp 350 = Rp 1.750"),
        "{table}"
    );
    assert!(table.contains("+62812****1001") && !table.contains("081200001001"));

    let csv = env.ok_as(OPERATOR, &["--format", "csv", "preview", &id]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(&records[0][0], "recipients/kader.csv");
    assert_eq!(&records[0][1], "5");
    assert!(records[1][4].contains("digits"), "{:?}", records[1]);

    // The gateway's own limit applies too, read without its credentials.
    let v: Value = serde_json::from_str(&env.ok_as(
        OPERATOR,
        &["--format", "json", "preview", &id, "--gateway", "kannel"],
    ))
    .unwrap();
    assert_eq!(v["max_parts"]["gateway"]["max_parts"], 1);
    assert_eq!(v["max_parts"]["applied"], 1);
    let out = env.fails_as(OPERATOR, &["preview", &id, "--gateway", "nosuch"], 2);
    assert!(out.contains("kannel, outbox"), "{out}");
}

#[test]
fn submit_signs_the_recipient_count_parts_encoding_and_cost() {
    let env = TestEnv::new();
    two_lists(&env);
    let (id, _) = submit(
        &env,
        &form("\"Yth. ((nama)), rapat Senin pukul 09.00.\"", TWO_LISTS),
    );
    let facts = signed_facts(&env, &id);
    assert_eq!(facts["recipients"], "5");
    assert_eq!(facts["parts"], "5");
    assert_eq!(facts["encoding"], "gsm7");
    assert_eq!(facts["cost_idr"], "1750");
    assert_eq!(env.verify().0, 0, "the facts are part of the signed record");
}

#[test]
fn lookalikes_are_replaced_at_submit_so_reviewers_sign_the_sent_text() {
    let env = TestEnv::new();
    let text = form(
        "|\n  Yth. ((nama)), rapat \u{201C}penting\u{201D} \u{2013} besok\u{2026}\n# komentar saya tetap ada\nreplace_lookalikes: true",
        "  - list: recipients/fasilitator.csv\n",
    );
    let (id, stderr) = submit(&env, &text);
    assert!(
        stderr.contains("replaced look-alike characters"),
        "{stderr}"
    );
    let stored =
        std::fs::read_to_string(env.ws.join(format!("requests/{id}/request-r1.yaml"))).unwrap();
    assert!(
        stored.contains("rapat \"penting\" - besok...\n"),
        "{stored}"
    );
    assert!(
        stored.contains("# komentar saya tetap ada"),
        "only the message changed"
    );
    assert_eq!(
        stored,
        text.replace(['\u{201C}', '\u{201D}'], "\"")
            .replace('\u{2013}', "-")
            .replace('\u{2026}', "...")
    );
    assert_eq!(signed_facts(&env, &id)["encoding"], "gsm7");
    assert_eq!(env.verify().0, 0);

    // Inside a double-quoted scalar the plain `"` would break the YAML, so
    // the form is written out again, saying so.
    let quoted = form(
        "\"Yth. ((nama)), rapat \u{201C}penting\u{201D}.\"\nreplace_lookalikes: true",
        "  - list: recipients/fasilitator.csv\n",
    );
    let (id, _) = submit(&env, &quoted);
    let stored =
        std::fs::read_to_string(env.ws.join(format!("requests/{id}/request-r1.yaml"))).unwrap();
    assert!(
        stored.starts_with("# Normalised by `sms-bcast submit`"),
        "{stored}"
    );
    let v = preview_json(&env, &id);
    assert_eq!(
        v["message"]["sample"]["text"],
        "Yth. Dewi, rapat \"penting\"."
    );
    assert_eq!(v["message"]["encoding"], "gsm7");

    // Without the request, the text is signed as written (and costs UCS-2).
    let (id, _) = submit(
        &env,
        &form(
            "\"Yth. ((nama)) \u{2013} besok.\"",
            "  - list: recipients/fasilitator.csv\n",
        ),
    );
    assert_eq!(signed_facts(&env, &id)["encoding"], "ucs2");
}

#[test]
fn an_unknown_placeholder_or_filter_column_is_refused_at_submit() {
    let env = TestEnv::new();
    let commits = env.git(&["rev-parse", "HEAD"]);
    let path = env.write_form(
        "bad.yaml",
        &form(
            "|\n  Yth. ((nama)),\n  desa ((desa)) rapat Senin.",
            "  - list: recipients/fasilitator.csv\n",
        ),
    );
    let out = env.fails_as(ANI, &["submit", path.to_str().unwrap()], 2);
    assert!(
        out.contains("bad.yaml:7:1: message:"),
        "names the line: {out}"
    );
    assert!(out.contains("((desa))"), "{out}");
    assert!(
        out.contains("nama, hp, provinsi"),
        "names the columns: {out}"
    );

    let path = env.write_form(
        "filter.yaml",
        &form(
            "Rapat Senin.",
            "  - list: recipients/fasilitator.csv\n    filter:\n      kabupaten: Garut\n",
        ),
    );
    let out = env.fails_as(ANI, &["submit", path.to_str().unwrap()], 2);
    assert!(out.contains("filter.yaml:9:1: recipients.filter"), "{out}");
    assert!(out.contains("nama, hp, provinsi"), "{out}");
    assert_eq!(
        env.git(&["rev-parse", "HEAD"]),
        commits,
        "nothing committed"
    );
}

#[test]
fn max_parts_refuses_a_long_template_and_drops_a_long_personalised_row() {
    let env = TestEnv::new();
    configure(
        &env,
        "sms:\n  max_parts: 1\n",
        &[(
            "recipients/fasilitator.csv",
            &format!(
                "nama,hp\nDewi,081200001001\n{},081200001002\n",
                "Panjang ".repeat(20)
            ),
        )],
    );
    let long = form(
        &format!("\"{} ((nama))\"", "x".repeat(160)),
        "  - list: recipients/fasilitator.csv\n",
    );
    let path = env.write_form("long.yaml", &long);
    let out = env.fails_as(ANI, &["submit", path.to_str().unwrap()], 2);
    assert!(
        out.contains("long.yaml:5:1: message: even before personalisation the text is 2 SMS parts"),
        "{out}"
    );

    let (id, stderr) = submit(
        &env,
        &form(
            "\"Yth. ((nama)), rapat Senin pukul 09.00.\"",
            "  - list: recipients/fasilitator.csv\n",
        ),
    );
    assert!(stderr.contains("1 recipient (1 bad row)"), "{stderr}");
    assert_eq!(signed_facts(&env, &id)["recipients"], "1");
    let v = preview_json(&env, &id);
    assert_eq!(v["invalid"], 1);
    assert!(
        v["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("too long"),
        "{}",
        v["errors"][0]
    );
}

#[test]
fn a_list_edited_after_approval_makes_preview_warn() {
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    let out = env.run(&["preview", &id]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // An opt-out only removes people: no warning.
    std::fs::write(
        env.ws.join("recipients/optout.csv"),
        "phone\n081200001003\n",
    )
    .unwrap();
    let out = env.run(&["preview", &id]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Recipients: 2 "));

    let list = env.ws.join("recipients/fasilitator.csv");
    let mut text = std::fs::read_to_string(&list).unwrap();
    text.push_str("Gita,081200001007,Banten\nHadi,081200001008,Banten\n");
    std::fs::write(&list, text).unwrap();
    let out = env.run(&["preview", &id]);
    assert_eq!(out.status.code(), Some(0), "a warning, not a failure");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: recipients/fasilitator.csv changed since request"),
        "{stderr}"
    );
    assert!(
        stderr.contains("4 recipients now, 1 more than the 3 signed"),
        "{stderr}"
    );
    let v = preview_json(&env, &id);
    assert_eq!(v["warnings"].as_array().unwrap().len(), 2);
}
