//! `sms-bcast recipients check` through the binary, on fixture lists.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/recipients");

fn check(args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("sms-bcast")
        .unwrap()
        .args(["-C", DATA, "recipients", "check"])
        .args(args)
        .assert()
}

fn json(args: &[&str], code: i32) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = check(&all).code(code).get_output().stdout.clone();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn bom_semicolon_and_quoted_commas_are_clean() {
    let v = json(&["bom.csv", "semicolon.csv", "quoted_commas.csv"], 0);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 3);
    assert_eq!(
        files[0]["phone_column"], "HP",
        "BOM must not stick to the first header"
    );
    assert_eq!(files[1]["delimiter"], ";");
    assert_eq!(files[1]["phone_column"], "telepon");
    assert_eq!(files[2]["delimiter"], ",");
    for f in files {
        assert_eq!(f["rows_read"], 2);
        assert_eq!(f["valid"], 2);
    }
    assert_eq!(v["invalid"], 0);
}

#[test]
fn every_planted_bad_row_is_reported_with_row_and_reason() {
    let v = json(&["bad_rows.csv"], 1);
    let errors = v["errors"].as_array().unwrap();
    let found: Vec<(u64, &str)> = errors
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["reason"].as_str().unwrap()))
        .collect();
    let expect = [
        (3, "digits were lost"),
        (4, "landline"),
        (5, "does not allow"),
        (6, "may only hold digits"),
        (7, "empty"),
        (8, "not a valid"),
        (9, "4 fields but the header has 3"),
    ];
    assert_eq!(found.len(), expect.len(), "{found:?}");
    for ((row, reason), (want_row, want)) in found.iter().zip(expect) {
        assert_eq!(*row, want_row);
        assert!(reason.contains(want), "row {row}: {reason}");
    }
    assert_eq!(errors[0]["file"], "bad_rows.csv");
    assert_eq!(errors[0]["column"], "no_hp");
    assert_eq!(errors[0]["value"], "6.28120E+12");
    assert_eq!(v["files"][0]["valid"], 2);
}

#[test]
fn table_output_names_file_row_and_reason() {
    check(&["bad_rows.csv"])
        .code(1)
        .stdout(predicate::str::contains("bad_rows.csv"))
        .stdout(predicate::str::contains("scientific notation"))
        .stdout(predicate::str::contains("7 bad row(s)"));
}

#[test]
fn csv_output_has_one_line_per_bad_row() {
    let out = check(&["--format", "csv", "bad_rows.csv"])
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "file,row,column,value,reason");
    assert_eq!(lines.len(), 8);
    assert!(lines[1].starts_with("bad_rows.csv,3,no_hp,6.28120E+12,"));
}

#[test]
fn a_missing_phone_column_is_exit_2_listing_the_columns() {
    check(&["no_phone_column.csv"])
        .code(2)
        .stderr(predicate::str::contains("no_phone_column.csv"))
        .stderr(predicate::str::contains("nama, alamat, provinsi"));
}

#[test]
fn an_unreadable_file_is_exit_2_after_checking_the_others() {
    check(&["bom.csv", "absent.csv"])
        .code(2)
        .stdout(predicate::str::contains("bom.csv"))
        .stderr(predicate::str::contains("cannot read absent.csv"));
}

#[test]
fn the_delimiter_override_wins_over_sniffing() {
    check(&["--delimiter", ",", "semicolon.csv"])
        .code(2)
        .stderr(predicate::str::contains("no phone column"));
    check(&["--delimiter", ";", "semicolon.csv"]).code(0);
    check(&["--delimiter", "x", "semicolon.csv"]).code(2);
}

#[test]
fn workspace_settings_give_phone_columns_and_countries() {
    let ws = format!("{DATA}/ws");
    let out = Command::cargo_bin("sms-bcast")
        .unwrap()
        .args(["-C", &ws, "--format", "json", "recipients", "check"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let files: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "recipients/kader.csv",
            "recipients/optout.csv",
            "recipients/penerima.csv"
        ]
    );
    assert_eq!(v["files"][0]["phone_column"], "kontak");
    assert_eq!(v["files"][2]["duplicates"], 1);
    let errors: Vec<(&str, u64)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["file"].as_str().unwrap(), e["row"].as_u64().unwrap()))
        .collect();
    // The Singapore number passes because the workspace allows SG.
    assert_eq!(
        errors,
        [("recipients/optout.csv", 4), ("recipients/penerima.csv", 6)]
    );
}

#[test]
fn the_sample_workspace_has_exactly_its_planted_bad_rows() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::cargo_bin("sms-bcast")
        .unwrap()
        .args(["-C", root, "--format", "json", "recipients", "check"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let errors: Vec<(&str, u64)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["file"].as_str().unwrap(), e["row"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            ("recipients/pendamping-pkh.csv", 18),
            ("recipients/pendamping-pkh.csv", 19)
        ]
    );
}

#[test]
fn a_broken_workspace_config_is_an_error_not_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("recipients")).unwrap();
    std::fs::write(dir.path().join("recipients/a.csv"), "hp\n081200001001\n").unwrap();
    std::fs::write(
        dir.path().join("sms-bcast.yaml"),
        "schema: sms-bcast/workspace/v1\nrecipients:\n  alowed_countries: [ID]\n",
    )
    .unwrap();
    Command::cargo_bin("sms-bcast")
        .unwrap()
        .args(["-C", dir.path().to_str().unwrap(), "recipients", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("alowed_countries"));
    // No workspace at all: loose files are checked with the defaults.
    std::fs::remove_file(dir.path().join("sms-bcast.yaml")).unwrap();
    Command::cargo_bin("sms-bcast")
        .unwrap()
        .args(["-C", dir.path().to_str().unwrap(), "recipients", "check"])
        .assert()
        .code(0);
}
