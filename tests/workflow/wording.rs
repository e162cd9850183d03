//! `submit` and `preview` speak the user's words: GSM-7 and UCS-2 rather than
//! internal names, and "1 SMS part" rather than "1 SMS parts".

use crate::common::*;

#[test]
fn one_recipient_one_part_and_a_too_long_row_read_naturally() {
    let env = TestEnv::new();
    let config = env.ws.join("sms-bcast.yaml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("sms:\n  max_parts: 1\n  price_per_part_idr: 350\n");
    std::fs::write(&config, text).unwrap();
    let long_name = "Sri".repeat(70);
    std::fs::write(
        env.ws.join("recipients/fasilitator.csv"),
        format!(
            "nama,hp,provinsi\nDewi,081200001001,Jawa Barat\n{long_name},081200001002,Jawa Barat\n"
        ),
    )
    .unwrap();
    env.git(&["commit", "-qam", "One part at most"]);

    let path = env.write_form("form.yaml", &env.form(ANI, "Undangan rapat"));
    let out = env.run_as(ANI, &["submit", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("1 recipient (1 bad row); GSM-7; 1 SMS part; estimated cost Rp 350"),
        "{err}"
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();

    let table = env.ok_as(OPERATOR, &["preview", &id]);
    assert!(table.contains("Encoding: GSM-7"), "{table}");
    assert!(table.contains("Cost: 1 part x Rp 350 = Rp 350"), "{table}");
    assert!(table.contains("(GSM-7, 1 part):"), "{table}");
    let rows = env.ok_as(OPERATOR, &["--format", "json", "preview", &id]);
    assert!(rows.contains("SMS parts (GSM-7, "), "{rows}");
    for internal in ["Gsm7", "part(s)", "1 parts"] {
        assert!(!table.contains(internal), "{internal}: {table}");
        assert!(!rows.contains(internal), "{internal}: {rows}");
    }
    // JSON keeps its machine value `gsm7`; the table does not show it.
    assert!(!table.contains("gsm7"), "{table}");
}
