//! Resolving selections over the fixture workspace: filters, duplicates across
//! lists, opt-outs, personalised rendering, and the streaming second pass.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::Digest;
use sms_bcast::recipients::{
    FilterValue, ListError, RecipientSettings, Resolver, RowProblem, Selection,
};
use sms_bcast::smstext::{Encoding, RenderError, Template};

const WS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/recipients/ws");

fn settings() -> RecipientSettings {
    let yaml = std::fs::read_to_string(Path::new(WS).join("sms-bcast.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
    serde_yaml::from_value(doc["recipients"].clone()).unwrap()
}

fn jawa_barat(list: &str) -> Selection {
    Selection {
        list: list.into(),
        filter: BTreeMap::from([("Provinsi".into(), FilterValue::One("Jawa Barat".into()))]),
    }
}

fn selections() -> Vec<Selection> {
    vec![
        jawa_barat("recipients/penerima.csv"),
        jawa_barat("recipients/kader.csv"),
    ]
}

#[test]
fn counts_per_list_and_overall() {
    let settings = settings();
    let template = Template::parse("Yth. ((nama)), bantuan ((bantuan)) cair.").unwrap();
    let resolver = Resolver::new(Path::new(WS), &settings)
        .unwrap()
        .with_message(&template, 2);
    let res = resolver.resolve(&selections(), None).unwrap();

    let p = &res.lists[0];
    assert_eq!(
        (p.rows_read, p.rows_selected, p.valid, p.invalid),
        (8, 7, 5, 2)
    );
    assert_eq!((p.duplicates, p.opted_out), (1, 0));
    let k = &res.lists[1];
    assert_eq!(k.phone_column, "kontak");
    assert_eq!(k.delimiter.to_string(), ";");
    assert_eq!(
        (k.rows_read, k.rows_selected, k.valid, k.invalid),
        (4, 3, 3, 0)
    );
    assert_eq!((k.duplicates, k.opted_out), (1, 1));

    assert_eq!(
        (res.duplicates, res.opted_out, res.invalid, res.recipients),
        (2, 1, 2, 5)
    );
    let optout = res.optout.as_ref().unwrap();
    assert_eq!((optout.numbers, optout.invalid), (2, 1));

    let errors: Vec<(u64, &str)> = res
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_str()))
        .collect();
    assert_eq!(errors, [(5, "bantuan"), (6, "no_hp")]);
    assert!(matches!(
        res.errors[0].problem,
        RowProblem::Render(RenderError::EmptyValue { .. })
    ));

    let m = res.message.as_ref().unwrap();
    assert_eq!(
        (m.gsm7, m.ucs2, m.min_parts, m.max_parts, m.total_parts),
        (5, 0, 1, 1, 5)
    );
    let sample = m.sample.as_ref().unwrap();
    assert_eq!(sample.text, "Yth. Siti Rahayu, bantuan PKH cair.");
    assert_eq!(sample.encoding, Encoding::Gsm7);
}

#[test]
fn the_second_pass_yields_the_final_recipients_in_order() {
    let settings = settings();
    let resolver = Resolver::new(Path::new(WS), &settings).unwrap();
    let numbers: Vec<(String, u64)> = resolver
        .recipients(&selections())
        .unwrap()
        .map(|r| r.map(|r| (r.phone.to_string(), r.row)).unwrap())
        .collect();
    // Without a message the empty `bantuan` of row 5 is no error.
    assert_eq!(
        numbers,
        [
            ("+6281200000501".to_owned(), 2),
            ("+6281200000502".to_owned(), 3),
            ("+6281200000504".to_owned(), 5),
            ("+6281200000506".to_owned(), 8),
            ("+6591234567".to_owned(), 9),
            ("+6281200000603".to_owned(), 5),
        ]
    );
    let res = resolver.resolve(&selections(), Some(0)).unwrap();
    assert_eq!(res.recipients as usize, numbers.len());
    assert!(res.errors.is_empty(), "keep_errors bounds the kept errors");
    assert_eq!(res.invalid, 1);
}

#[test]
fn recipients_carry_their_row_for_personalisation() {
    let settings = settings();
    let template = Template::parse("((nama)) ((bantuan))").unwrap();
    let resolver = Resolver::new(Path::new(WS), &settings)
        .unwrap()
        .with_message(&template, 6);
    let last = resolver
        .recipients(&selections())
        .unwrap()
        .last()
        .unwrap()
        .unwrap();
    assert_eq!(last.list, "recipients/kader.csv");
    assert_eq!(last.fields.get("NAMA"), Some("Ratna Saputra"));
    let (text, measure) = last.message.unwrap();
    assert_eq!(text, "Ratna Saputra BLT");
    assert_eq!(measure.parts, 1);
}

#[test]
fn a_row_rendering_over_max_parts_is_a_row_error() {
    let settings = settings();
    let long = format!("{} ((nama))", "a".repeat(150));
    let template = Template::parse(&long).unwrap();
    let resolver = Resolver::new(Path::new(WS), &settings)
        .unwrap()
        .with_message(&template, 1);
    let res = resolver
        .resolve(&[Selection::whole("recipients/kader.csv")], None)
        .unwrap();
    // "a"x150 + " " + name: names of 10+ characters overflow 160 septets.
    assert_eq!(res.invalid, 4);
    assert!(
        res.errors
            .iter()
            .all(|e| matches!(e.problem, RowProblem::TooLong(_)))
    );
    assert!(res.errors[0].to_string().contains("maximum of 1"));
}

#[test]
fn digests_are_sha256_of_the_file_bytes() {
    let settings = settings();
    let resolver = Resolver::new(Path::new(WS), &settings).unwrap();
    let res = resolver
        .resolve(&[Selection::whole("recipients/penerima.csv")], None)
        .unwrap();
    let bytes = std::fs::read(Path::new(WS).join("recipients/penerima.csv")).unwrap();
    let want: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(res.lists[0].digest, want);
    let direct =
        sms_bcast::recipients::digest_file(&Path::new(WS).join("recipients/penerima.csv")).unwrap();
    assert_eq!(direct, want);
}

#[test]
fn list_level_problems_are_errors() {
    let settings = settings();
    let resolver = Resolver::new(Path::new(WS), &settings).unwrap();
    let bad_filter = Selection {
        list: "recipients/penerima.csv".into(),
        filter: BTreeMap::from([("kota".into(), FilterValue::Any(vec!["Bandung".into()]))]),
    };
    let err = resolver.resolve(&[bad_filter], None).unwrap_err();
    assert!(matches!(err, ListError::FilterColumn { .. }));
    assert!(err.to_string().contains("nama, no_hp, provinsi, bantuan"));

    let err = resolver
        .resolve(&[Selection::whole("recipients/optout.csv")], None)
        .unwrap_err();
    assert!(matches!(err, ListError::OptoutSelected { .. }));

    let template = Template::parse("Halo ((alamat))").unwrap();
    let with_message = Resolver::new(Path::new(WS), &settings)
        .unwrap()
        .with_message(&template, 6);
    let err = with_message.resolve(&selections(), None).unwrap_err();
    assert!(err.to_string().contains("((alamat))"), "{err}");
}

#[test]
fn settings_refuse_unknown_fields() {
    let err = serde_yaml::from_str::<RecipientSettings>("allowed_country: [ID]").unwrap_err();
    assert!(err.to_string().contains("allowed_country"));
    let s: RecipientSettings = serde_yaml::from_str("{}").unwrap();
    assert_eq!(s.allowed_countries, ["ID"]);
    assert_eq!(s.optout, "recipients/optout.csv");
}
