//! `verify` checks many requests at once (signatures in batches, list digests
//! shared); what it reports must not change.

use crate::common::{ANI, BUDI, TestEnv};

#[test]
fn a_changed_list_is_reported_for_every_open_request_that_uses_it() {
    let env = TestEnv::new();
    let first = env.submit(ANI, "Jadwal");
    let second = env.approved_request("Rapat");
    let third = env.submit(BUDI, "Pelatihan");
    assert_eq!(env.verify().0, 0);
    let list = env.ws.join("recipients/fasilitator.csv");
    let text = std::fs::read_to_string(&list).unwrap();
    std::fs::write(&list, text + "Gita,081200001004,Bali\n").unwrap();
    let (code, text) = env.verify();
    assert_eq!(code, 1, "{text}");
    for id in [&first, &second, &third] {
        assert!(
            text.contains(&format!(
                "FAIL recipients/fasilitator.csv: changed since request {id} revision 1 was signed"
            )),
            "{id}: {text}"
        );
    }
    assert!(text.contains("3 problem(s) found"), "{text}");
}
