//! `gateways:` in sms-bcast.yaml: each kind parses, typos are refused, and
//! `build` explains what is missing without showing any credential.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Once;

use sms_bcast::gateway::{GatewayConfig, GatewayError, build};

const PASSWORD: &str = "cfg-Pw+1&secret";

fn env() {
    static ONCE: Once = Once::new();
    // Every test calls this before reading the environment.
    ONCE.call_once(|| unsafe {
        std::env::set_var("GW_CONFIG_TEST_PASSWORD", PASSWORD);
        std::env::set_var("GW_CONFIG_TEST_EMPTY", "");
    });
}

#[derive(Debug, serde::Deserialize)]
struct Workspace {
    gateways: BTreeMap<String, GatewayConfig>,
}

const SAMPLE: &str = r#"
gateways:
  outbox:
    kind: outbox
  kannel:
    kind: kannel
    url: http://127.0.0.1:13013/cgi-bin/sendsms
    username: bpbd
    password_env: GW_CONFIG_TEST_PASSWORD
    from: BPBD
    max_parts: 5
    dlr_mask: 31
    dlr_url: "https://dlr.example.org/kannel?ref={reference}&type=%d"
  jasmin:
    kind: jasmin
    url: http://127.0.0.1:1401/send
    username: bpbd
    password_env: GW_CONFIG_TEST_PASSWORD
  playsms:
    kind: playsms
    url: "http://127.0.0.1/index.php?app=ws"
    username: bpbd
    token_env: GW_CONFIG_TEST_PASSWORD
  twilio:
    kind: twilio
    account_sid: AC0123456789
    auth_token_env: GW_CONFIG_TEST_PASSWORD
    from: "+15005550006"
  zenziva:
    kind: http
    url: https://console.zenziva.net/reguler/api/sendsms/
    secret_env: GW_CONFIG_TEST_PASSWORD
    form: {userkey: bpbd, passkey: "{secret}", to: "{to_digits}", message: "{text}"}
    success: {json_pointer: /status, equals: "1"}
    message_id: {json_pointer: /messageId}
"#;

fn parse(yaml: &str) -> Result<GatewayConfig, serde_yaml::Error> {
    serde_yaml::from_str(yaml)
}

#[test]
fn every_kind_parses_and_builds_from_the_workspace_file() {
    env();
    let workspace: Workspace = serde_yaml::from_str(SAMPLE).unwrap();
    let spool = tempfile::tempdir().unwrap();
    let mut built = Vec::new();
    for (name, config) in &workspace.gateways {
        let gateway = build(name, config, spool.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
        built.push((
            gateway.name().to_owned(),
            config.kind(),
            gateway.max_parts(),
        ));
    }
    assert_eq!(
        built,
        [
            ("jasmin".to_owned(), "jasmin", 5),
            ("kannel".to_owned(), "kannel", 5),
            ("outbox".to_owned(), "outbox", 10),
            ("playsms".to_owned(), "playsms", 1),
            ("twilio".to_owned(), "twilio", 10),
            ("zenziva".to_owned(), "http", 1),
        ]
    );
    assert!(
        spool.path().join("outbox").is_dir(),
        "the outbox spool folder is created"
    );
    let debug = format!("{workspace:?}");
    assert!(
        debug.contains("GW_CONFIG_TEST_PASSWORD") && !debug.contains(PASSWORD),
        "{debug}"
    );
}

#[test]
fn kannel_max_parts_defaults_to_kannels_max_messages_default() {
    env();
    let config = parse("kind: kannel\nurl: http://127.0.0.1:13013/cgi-bin/sendsms\nusername: u\npassword_env: GW_CONFIG_TEST_PASSWORD").unwrap();
    assert_eq!(
        build("k", &config, Path::new("/nonexistent"))
            .unwrap()
            .max_parts(),
        1
    );
}

#[test]
fn misspelt_fields_and_unknown_kinds_are_refused() {
    let error = parse("kind: kannel\nurl: http://h/\nusername: u\npassword_env: X\nmax_part: 3")
        .unwrap_err();
    assert!(
        error.to_string().contains("unknown field `max_part`"),
        "{error}"
    );
    let error = parse("kind: kannel\nurl: http://h/\nusername: u\npassword: plain").unwrap_err();
    assert!(
        error.to_string().contains("unknown field `password`"),
        "{error}"
    );
    let error = parse("kind: smpp\nhost: h").unwrap_err();
    assert!(
        error.to_string().contains("unknown variant `smpp`"),
        "{error}"
    );
    let error = parse("kind: http\nurl: http://h/\nsuccess: {status: [200], jsonpointer: /ok}")
        .unwrap_err();
    assert!(
        error.to_string().contains("unknown field `jsonpointer`"),
        "{error}"
    );
    // Checked when read, so `preview` refuses it as `send` does.
    let error = parse(
        "kind: jasmin\nurl: http://h/send\nusername: u\npassword_env: GW_CONFIG_TEST_PASSWORD\nmax_parts: 0",
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("`max_parts` is 0; it must be a number of parts from 1 to 255"),
        "{error}"
    );
}

fn build_error(yaml: &str) -> GatewayError {
    env();
    let config = parse(yaml).unwrap_or_else(|e| panic!("{e}"));
    match build("sms1", &config, Path::new("/nonexistent")) {
        Ok(_) => panic!("built: {yaml}"),
        Err(error) => error,
    }
}

#[test]
fn a_missing_credential_names_the_variable_and_what_to_do() {
    let error = build_error(
        "kind: kannel\nurl: http://127.0.0.1/\nusername: u\npassword_env: GW_CONFIG_TEST_UNSET",
    );
    assert!(
        matches!(&error, GatewayError::MissingEnv { var, .. } if var == "GW_CONFIG_TEST_UNSET")
    );
    assert_eq!(
        error.to_string(),
        "gateway `sms1`: environment variable GW_CONFIG_TEST_UNSET (named by `password_env` in sms-bcast.yaml) is not set \
         or empty; export it in the shell that runs sms-bcast (credentials are read only from the environment)"
    );
    let error = build_error(
        "kind: twilio\naccount_sid: AC1\nauth_token_env: GW_CONFIG_TEST_EMPTY\nfrom: X",
    );
    assert!(
        error
            .to_string()
            .contains("GW_CONFIG_TEST_EMPTY (named by `auth_token_env`"),
        "{error}"
    );
}

#[test]
fn inconsistent_settings_are_refused_at_build() {
    let cases = [
        (
            "kind: kannel\nurl: http://h/\nusername: u\npassword_env: GW_CONFIG_TEST_PASSWORD\ndlr_mask: 31",
            "`dlr_mask` and `dlr_url` go together",
        ),
        (
            "kind: kannel\nurl: http://u:pw@h/\nusername: u\npassword_env: GW_CONFIG_TEST_PASSWORD",
            "must not carry credentials",
        ),
        (
            "kind: kannel\nurl: h:13013\nusername: u\npassword_env: GW_CONFIG_TEST_PASSWORD",
            "`url` must start with http:// or https://",
        ),
        (
            "kind: twilio\naccount_sid: AC1\nauth_token_env: GW_CONFIG_TEST_PASSWORD\nfrom: X\nmessaging_service_sid: MG1",
            "set exactly one of them",
        ),
        (
            "kind: http\nurl: \"http://h/?n={number}\"",
            "unknown placeholder {number}",
        ),
        (
            "kind: http\nurl: http://h/\nheaders: {X-Key: \"{secret}\"}",
            "`secret_env` is not set",
        ),
        (
            "kind: http\nmethod: GET\nurl: http://h/\nform: {a: b}",
            "GET sends no body",
        ),
        (
            "kind: http\nurl: http://h/\nsuccess: {body_regex: \"(\"}",
            "not a valid regular expression",
        ),
        (
            "kind: http\nurl: http://h/\nmessage_id: {}",
            "exactly one of `json_pointer` and `body_regex`",
        ),
        ("kind: outbox\npriority: z", "capital letter"),
    ];
    for (yaml, expected) in cases {
        let error = build_error(yaml).to_string();
        assert!(error.contains(expected), "{yaml}\n→ {error}");
        assert!(
            error.contains("sms1") && !error.contains(PASSWORD),
            "{error}"
        );
    }
}

#[test]
fn an_unwritable_spool_folder_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "").unwrap();
    let config = parse("kind: outbox\npath: spool").unwrap();
    let error = match build("box", &config, &file) {
        Ok(_) => panic!("built under a file"),
        Err(error) => error,
    };
    assert!(matches!(error, GatewayError::Spool { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("gateway `box`: cannot create the spool folder"),
        "{error}"
    );
}

#[test]
fn max_parts_read_from_the_config_equals_what_the_built_gateway_applies() {
    env();
    let workspace: Workspace = serde_yaml::from_str(SAMPLE).unwrap();
    let spool = tempfile::tempdir().unwrap();
    for (name, config) in &workspace.gateways {
        let gateway = build(name, config, spool.path()).unwrap();
        assert_eq!(config.max_parts(), gateway.max_parts(), "{name}");
    }
    let kannel = parse("kind: kannel\nurl: http://127.0.0.1:13013/cgi-bin/sendsms\nusername: u\npassword_env: GW_CONFIG_TEST_PASSWORD").unwrap();
    assert_eq!(kannel.max_parts(), 1);
    assert_eq!(GatewayConfig::default_outbox().max_parts(), 10);
}

#[test]
fn configured_gives_the_embedded_outbox_without_configuration() {
    use sms_bcast::gateway::{Outcome, OutgoingSms, configured};
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join(".sms-bcast");
    let gateway = configured(&BTreeMap::new(), "outbox", &state).unwrap();
    let outcome = gateway.send(&OutgoingSms {
        to: "+6281200000001",
        text: "uji",
        encoding: sms_bcast::smstext::Encoding::Gsm7,
        reference: "r1",
    });
    assert!(matches!(outcome, Outcome::Accepted { .. }), "{outcome:?}");
    let names: Vec<String> = std::fs::read_dir(state.join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1);
    assert!(names[0].starts_with("OUTC_+6281200000001_"), "{names:?}");
}

#[test]
fn configured_uses_the_workspace_entry_and_names_the_known_ones() {
    use sms_bcast::gateway::configured;
    let dir = tempfile::tempdir().unwrap();
    let ws: Workspace =
        serde_yaml::from_str("gateways:\n  outbox:\n    kind: outbox\n    path: spool\n").unwrap();
    let gateway = configured(&ws.gateways, "outbox", dir.path()).unwrap();
    assert_eq!(gateway.name(), "outbox");
    assert!(
        dir.path().join("spool").is_dir(),
        "the configured path is used"
    );
    let error = configured(&ws.gateways, "kanel", dir.path())
        .err()
        .expect("an unknown name is refused");
    let text = error.to_string();
    assert!(matches!(error, GatewayError::Unknown { .. }), "{error:?}");
    assert!(
        text.contains("`kanel`") && text.contains("configured: outbox"),
        "{text}"
    );
}
