//! A recipient list saved as UTF-16 (Excel's "Unicode Text") is refused with
//! how to export it as CSV UTF-8, by `recipients check`, `submit` and `preview`.

use crate::common::*;

const LIST: &str =
    "nama\thp\tprovinsi\r\nDewi\t081200001001\tJawa Barat\r\nEko\t081200001002\tJawa Tengah\r\n";

/// `LIST` as UTF-16 little-endian with a BOM, big-endian with a BOM, and
/// little-endian without one.
fn utf16_variants() -> [(&'static str, Vec<u8>); 3] {
    let le: Vec<u8> = LIST.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = LIST.encode_utf16().flat_map(u16::to_be_bytes).collect();
    [
        ("utf16le.csv", [&b"\xff\xfe"[..], &le].concat()),
        ("utf16be.csv", [&b"\xfe\xff"[..], &be].concat()),
        ("nobom.csv", le),
    ]
}

fn assert_utf16_refusal(out: &std::process::Output, what: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{what} succeeded: {err}");
    assert!(
        err.contains("is UTF-16 text") && err.contains("export as CSV UTF-8"),
        "{what}: {err}"
    );
    assert!(!err.contains("no phone column"), "{what}: {err}");
}

#[test]
fn recipients_check_and_submit_refuse_utf16_lists() {
    let env = TestEnv::new();
    for (name, bytes) in utf16_variants() {
        std::fs::write(env.ws.join("recipients").join(name), bytes).unwrap();
    }
    env.git(&["add", "-A"]);
    env.git(&["commit", "-qm", "UTF-16 lists"]);
    for (name, _) in utf16_variants() {
        let list = format!("recipients/{name}");
        let out = env.run(&["recipients", "check", &list]);
        assert_utf16_refusal(&out, &format!("recipients check {name}"));
        let form = env
            .form(ANI, "Undangan rapat")
            .replace("recipients/fasilitator.csv", &list);
        let path = env.write_form("form.yaml", &form);
        let out = env.run_as(ANI, &["submit", path.to_str().unwrap()]);
        assert_utf16_refusal(&out, &format!("submit {name}"));
    }
}

#[test]
fn preview_refuses_a_list_resaved_as_utf16() {
    let env = TestEnv::new();
    let id = env.approved_request("Undangan rapat");
    let (_, bytes) = &utf16_variants()[0];
    std::fs::write(env.ws.join("recipients/fasilitator.csv"), bytes).unwrap();
    env.git(&["commit", "-qam", "Re-saved from Excel"]);
    let out = env.run_as(OPERATOR, &["preview", &id]);
    assert_utf16_refusal(&out, "preview");
}
