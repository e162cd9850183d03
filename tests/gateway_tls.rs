//! The HTTP gateways must start on a machine without a system CA bundle.

mod support;

use std::path::Path;

use sms_bcast::gateway::{GatewayConfig, Outcome, OutgoingSms, build};
use sms_bcast::smstext::Encoding;
use support::loopback::{Reply, Server};

#[test]
fn gateways_work_without_a_system_ca_bundle() {
    let empty = tempfile::tempdir().unwrap();
    // The only test in this binary, so changing the environment races nothing.
    unsafe {
        std::env::set_var("SSL_CERT_FILE", empty.path().join("none.pem"));
        std::env::set_var("SSL_CERT_DIR", empty.path());
        std::env::set_var("GW_TLS_TEST_PASSWORD", "pw");
    }
    // The trap this guards against: a client on the platform verifier refuses to start here.
    let platform = reqwest::blocking::Client::builder().build();
    assert!(
        platform.is_err(),
        "the environment does not reproduce a missing CA bundle"
    );

    let server = Server::replying(Reply::new(202, "0: Accepted for delivery"));
    let yaml = format!(
        "kind: kannel\nurl: {}\nusername: u\npassword_env: GW_TLS_TEST_PASSWORD\nmax_parts: 1\n",
        server.url("/cgi-bin/sendsms")
    );
    let config: GatewayConfig = serde_yaml::from_str(&yaml).unwrap();
    let gateway = build("kannel", &config, Path::new("/nonexistent"))
        .expect("client builds without CA bundle");
    let sms = OutgoingSms {
        to: "+6281200001234",
        text: "hi",
        encoding: Encoding::Gsm7,
        reference: "r",
    };
    assert_eq!(gateway.send(&sms), Outcome::Accepted { message_id: None });
}
