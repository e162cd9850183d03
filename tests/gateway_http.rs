//! Every HTTP gateway against a loopback server: the exact request on the
//! wire, and each class of reply (accepted, throttled, temporary, permanent,
//! unknown) as the gateway's documentation gives it.

mod support;

use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use sms_bcast::gateway::{Gateway, GatewayConfig, Outcome, OutgoingSms, build};
use sms_bcast::smstext::Encoding;
use support::loopback::{Reply, Server};

const KANNEL_PW: &str = "k-Pw+1/&=x";
const JASMIN_PW: &str = "j-Pw+2&y";
const PLAYSMS_TOKEN: &str = "p-Tok/3+z";
const TWILIO_TOKEN: &str = "tw-Tok+/=9";
const HTTP_SECRET: &str = "gen-S3cret&x";
/// Everything that encodings treat specially: space, quote, backslash, `+`,
/// `&`, `%`, `/`, `'` and non-ASCII.
const ECHO_SECRET: &str = "my pass \"q\\w+&%/é'x";
/// The same for header values, which must be ASCII.
const ECHO_ASCII: &str = "my pass \"q\\w+&%/'x";

fn env() {
    static ONCE: Once = Once::new();
    // Every test calls this first, so no test reads the environment while it changes.
    ONCE.call_once(|| unsafe {
        std::env::set_var("GW_HTTP_TEST_KANNEL_PW", KANNEL_PW);
        std::env::set_var("GW_HTTP_TEST_JASMIN_PW", JASMIN_PW);
        std::env::set_var("GW_HTTP_TEST_PLAYSMS_TOKEN", PLAYSMS_TOKEN);
        std::env::set_var("GW_HTTP_TEST_TWILIO_TOKEN", TWILIO_TOKEN);
        std::env::set_var("GW_HTTP_TEST_SECRET", HTTP_SECRET);
        std::env::set_var("GW_ECHO_SECRET", ECHO_SECRET);
        std::env::set_var("GW_ECHO_ASCII", ECHO_ASCII);
    });
}

fn gateway(yaml: &str) -> Box<dyn Gateway> {
    env();
    let config: GatewayConfig =
        serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    build("gw", &config, Path::new("/nonexistent")).unwrap_or_else(|e| panic!("{e}"))
}

fn gsm<'a>(to: &'a str, text: &'a str) -> OutgoingSms<'a> {
    OutgoingSms {
        to,
        text,
        encoding: Encoding::Gsm7,
        reference: "req-2026-0042/r17",
    }
}

fn ucs2<'a>(to: &'a str, text: &'a str) -> OutgoingSms<'a> {
    OutgoingSms {
        encoding: Encoding::Ucs2,
        ..gsm(to, text)
    }
}

/// A port with nothing listening.
fn closed_port_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}{path}")
}

fn assert_class(outcome: &Outcome, class: &str) {
    let actual = match outcome {
        Outcome::Accepted { .. } => "accepted",
        Outcome::Throttled { .. } => "throttled",
        Outcome::TemporaryFailure { .. } => "temporary",
        Outcome::PermanentFailure { .. } => "permanent",
        Outcome::Unknown { .. } => "unknown",
    };
    assert_eq!(actual, class, "{outcome:?}");
}

fn no_secret_in(outcome: &Outcome) {
    let text = format!("{outcome:?}");
    for secret in [
        KANNEL_PW,
        JASMIN_PW,
        PLAYSMS_TOKEN,
        TWILIO_TOKEN,
        HTTP_SECRET,
    ] {
        assert!(!text.contains(secret), "secret in {text}");
        let encoded: String = secret
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert!(!text.contains(&encoded), "encoded secret in {text}");
    }
}

// ---------------------------------------------------------------- kannel

fn kannel_yaml(url: &str, extra: &str) -> String {
    format!(
        "kind: kannel\nurl: {url}\nusername: bpbd\npassword_env: GW_HTTP_TEST_KANNEL_PW\nfrom: BPBD\nmax_parts: 3\n\
         request_timeout_ms: 400\n{extra}"
    )
}

#[test]
fn kannel_sends_one_get_with_every_value_percent_encoded() {
    let server = Server::replying(Reply::new(202, "0: Accepted for delivery"));
    let kannel = gateway(&kannel_yaml(&server.url("/cgi-bin/sendsms"), ""));
    let outcome = kannel.send(&gsm("+6281200001234", "Halo warga, 1+1=2 & 50% @rumah"));
    assert_eq!(outcome, Outcome::Accepted { message_id: None });
    let request = server.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/cgi-bin/sendsms");
    assert_eq!(
        request.query,
        "username=bpbd&password=k-Pw%2B1%2F%26%3Dx&to=%2B6281200001234\
         &text=Halo%20warga%2C%201%2B1%3D2%20%26%2050%25%20%40rumah&from=BPBD&coding=0&charset=UTF-8"
    );
    assert!(request.body.is_empty());
}

#[test]
fn kannel_ucs2_and_delivery_reports_on_the_wire() {
    let server = Server::replying(Reply::new(202, "0: Accepted for delivery"));
    let extra = "smsc: telkomsel\ndlr_mask: 31\ndlr_url: \"http://127.0.0.1:9/dlr?ref={reference}&type=%d\"\nstrip_plus: true\n";
    let kannel = gateway(&kannel_yaml(&server.url("/cgi-bin/sendsms"), extra));
    assert_eq!(kannel.max_parts(), 3);
    kannel.send(&ucs2("+6281200001234", "Banjir 🌊 “siaga”"));
    let request = server.only_request();
    assert_eq!(
        request.query,
        "username=bpbd&password=k-Pw%2B1%2F%26%3Dx&to=6281200001234\
         &text=Banjir%20%F0%9F%8C%8A%20%E2%80%9Csiaga%E2%80%9D&from=BPBD&coding=2&charset=UTF-8&smsc=telkomsel\
         &dlr-mask=31&dlr-url=http%3A%2F%2F127.0.0.1%3A9%2Fdlr%3Fref%3Dreq-2026-0042%252Fr17%26type%3D%25d"
    );
    // What Kannel decodes: one dlr-url value, with its own %d escape intact.
    assert_eq!(
        request.param("dlr-url").as_deref(),
        Some("http://127.0.0.1:9/dlr?ref=req-2026-0042%2Fr17&type=%d")
    );
    assert_eq!(request.param("text").as_deref(), Some("Banjir 🌊 “siaga”"));
}

#[test]
fn kannel_reply_classes() {
    let cases = [
        (Reply::new(202, "0: Accepted for delivery"), "accepted"),
        (Reply::new(202, "3: Queued for later delivery"), "accepted"),
        (Reply::new(202, "Sent."), "accepted"),
        (
            Reply::new(503, "Temporal failure, try again later."),
            "temporary",
        ),
        (
            Reply::new(403, "Authorization failed for sendsms"),
            "permanent",
        ),
        (
            Reply::new(403, "Not routable. Do not try again."),
            "permanent",
        ),
        (
            Reply::new(
                400,
                "Number(s) has/have been denied by white- and/or black-lists.",
            ),
            "permanent",
        ),
        (Reply::new(500, "Sending failed."), "unknown"),
        (Reply::CloseAfterRead, "unknown"),
        (Reply::Hang(Duration::from_secs(3)), "unknown"),
    ];
    for (reply, class) in cases {
        let server = Server::replying(reply.clone());
        let outcome = gateway(&kannel_yaml(&server.url("/cgi-bin/sendsms"), ""))
            .send(&gsm("+6281200001234", "x"));
        assert_class(&outcome, class);
        no_secret_in(&outcome);
        assert_eq!(
            server.requests().len(),
            1,
            "{reply:?}: one request, never a retry"
        );
    }
    let outcome = gateway(&kannel_yaml(&closed_port_url("/cgi-bin/sendsms"), ""))
        .send(&gsm("+6281200001234", "x"));
    assert_class(&outcome, "temporary");
    no_secret_in(&outcome);
}

#[test]
fn kannel_failure_details_carry_the_reply_but_not_the_password() {
    // A server that echoes the request back must not leak the password into the outcome.
    let server = Server::start(|request| {
        Reply::new(400, &format!("rejected {}?{}", request.path, request.query))
    });
    let outcome = gateway(&kannel_yaml(&server.url("/cgi-bin/sendsms"), ""))
        .send(&gsm("+6281200001234", "x"));
    let Outcome::PermanentFailure { detail } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        detail.starts_with("HTTP 400: rejected /cgi-bin/sendsms?username=bpbd&password=***"),
        "{detail}"
    );
    no_secret_in(&outcome);
}

#[test]
fn kannel_reuses_one_keep_alive_connection() {
    let server = Server::replying(Reply::new(202, "0: Accepted for delivery"));
    let kannel = gateway(&kannel_yaml(&server.url("/cgi-bin/sendsms"), ""));
    for n in 0..5 {
        let to = format!("+628120000123{n}");
        assert_class(&kannel.send(&gsm(&to, "x")), "accepted");
    }
    assert_eq!(server.requests().len(), 5);
    assert_eq!(
        server.connections(),
        1,
        "each message opened a new connection"
    );
}

// ---------------------------------------------------------------- jasmin

fn jasmin_yaml(url: &str, extra: &str) -> String {
    format!(
        "kind: jasmin\nurl: {url}\nusername: bpbd\npassword_env: GW_HTTP_TEST_JASMIN_PW\nrequest_timeout_ms: 400\n{extra}"
    )
}

#[test]
fn jasmin_gsm_is_a_form_post_with_content() {
    let server = Server::replying(Reply::new(
        200,
        "Success \"07033084-5cfd-4812-90a4-e4d24ffb6e3d\"",
    ));
    let jasmin = gateway(&jasmin_yaml(&server.url("/send"), "from: BPBD\n"));
    assert_eq!(
        jasmin.max_parts(),
        5,
        "Jasmin's default long_content_max_parts"
    );
    let outcome = jasmin.send(&gsm("+6281200001234", "Halo 1+1=2"));
    assert_eq!(
        outcome,
        Outcome::Accepted {
            message_id: Some("07033084-5cfd-4812-90a4-e4d24ffb6e3d".into())
        }
    );
    let request = server.only_request();
    assert_eq!(
        (
            request.method.as_str(),
            request.path.as_str(),
            request.query.as_str()
        ),
        ("POST", "/send", "")
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        request.body_text(),
        "username=bpbd&password=j-Pw%2B2%26y&to=%2B6281200001234&from=BPBD&coding=0&content=Halo+1%2B1%3D2"
    );
}

#[test]
fn jasmin_ucs2_is_coding_8_with_utf16be_hex_content() {
    let server = Server::replying(Reply::new(200, "Success \"id-1\""));
    let extra = "dlr_url: \"http://127.0.0.1:9/dlr?ref={reference}\"\ndlr_level: 3\n";
    gateway(&jasmin_yaml(&server.url("/send"), extra)).send(&ucs2("+6281200001234", "Air 🌊"));
    let form = server.only_request().form_pairs();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        form,
        [
            ("username", "bpbd"),
            ("password", JASMIN_PW),
            ("to", "+6281200001234"),
            ("coding", "8"),
            ("hex-content", "0041006900720020D83CDF0A"),
            ("dlr", "yes"),
            ("dlr-url", "http://127.0.0.1:9/dlr?ref=req-2026-0042%2Fr17"),
            ("dlr-level", "3"),
        ]
    );
}

#[test]
fn jasmin_reply_classes() {
    let cases = [
        (Reply::new(200, "Success \"abc\""), "accepted"),
        (
            Reply::new(403, "Error \"User throughput exceeded\""),
            "throttled",
        ),
        (
            Reply::new(403, "Error \"Authentication failure for username:bpbd\""),
            "permanent",
        ),
        (
            Reply::new(
                403,
                "Error \"Cannot charge submit_sm, check RouterPB log file for details\"",
            ),
            "permanent",
        ),
        (
            Reply::new(400, "Error \"Argument [foo] is unknown.\""),
            "permanent",
        ),
        (Reply::new(412, "Error \"No route found\""), "permanent"),
        (Reply::new(503, "interceptor not connected"), "temporary"),
        (
            Reply::new(
                500,
                "Error \"Cannot send submit_sm, check SMPPClientManagerPB log file for details\"",
            ),
            "unknown",
        ),
        (Reply::new(200, "something else"), "unknown"),
        (Reply::CloseAfterRead, "unknown"),
        (Reply::Hang(Duration::from_secs(3)), "unknown"),
    ];
    for (reply, class) in cases {
        let server = Server::replying(reply.clone());
        let outcome =
            gateway(&jasmin_yaml(&server.url("/send"), "")).send(&gsm("+6281200001234", "x"));
        assert_class(&outcome, class);
        no_secret_in(&outcome);
    }
    let outcome =
        gateway(&jasmin_yaml(&closed_port_url("/send"), "")).send(&gsm("+6281200001234", "x"));
    assert_class(&outcome, "temporary");
}

// ---------------------------------------------------------------- playsms

fn playsms_yaml(url: &str) -> String {
    format!(
        "kind: playsms\nurl: \"{url}\"\nusername: anton\ntoken_env: GW_HTTP_TEST_PLAYSMS_TOKEN\nfrom: BPBD\nrequest_timeout_ms: 400\n"
    )
}

#[test]
fn playsms_pv_request_on_the_wire() {
    let server = Server::replying(Reply::new(
        200,
        r#"{"data":[{"status":"OK","error":"0","smslog_id":"30","queue":"afb5f345","to":"+6281200001234"}],"error_string":null}"#,
    ));
    let playsms = gateway(&playsms_yaml(&server.url("/index.php?app=ws")));
    let outcome = playsms.send(&ucs2("+6281200001234", "Siaga “1”"));
    assert_eq!(
        outcome,
        Outcome::Accepted {
            message_id: Some("30".into())
        }
    );
    let request = server.only_request();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/index.php")
    );
    assert_eq!(
        request.query,
        "app=ws&u=anton&h=p-Tok%2F3%2Bz&op=pv&to=%2B6281200001234&msg=Siaga%20%E2%80%9C1%E2%80%9D&format=json&unicode=1&from=BPBD"
    );
}

#[test]
fn playsms_reply_classes() {
    let cases = [
        (
            Reply::new(
                200,
                r#"{"data":[{"status":"OK","error":"0","smslog_id":"31"}]}"#,
            ),
            "accepted",
        ),
        (
            Reply::new(
                200,
                r#"{"data":[{"status":"ERR","error":"200","to":"+6281200001234"}]}"#,
            ),
            "permanent",
        ),
        (
            Reply::new(200, r#"{"data":[{"status":"ERR","error":"103"}]}"#),
            "permanent",
        ),
        (
            Reply::new(
                200,
                r#"{"status":"ERR","error":"100","error_string":"authentication failed"}"#,
            ),
            "permanent",
        ),
        (
            Reply::new(429, "slow down").header("Retry-After", "2"),
            "throttled",
        ),
        (Reply::new(200, "<html>maintenance</html>"), "unknown"),
        (Reply::new(500, "oops"), "unknown"),
        (Reply::CloseAfterRead, "unknown"),
    ];
    for (reply, class) in cases {
        let server = Server::replying(reply.clone());
        let outcome = gateway(&playsms_yaml(&server.url("/index.php?app=ws")))
            .send(&gsm("+6281200001234", "x"));
        assert_class(&outcome, class);
        no_secret_in(&outcome);
    }
}

// ---------------------------------------------------------------- twilio

fn twilio_yaml(base: &str, extra: &str) -> String {
    format!(
        "kind: twilio\naccount_sid: AC0123456789\nauth_token_env: GW_HTTP_TEST_TWILIO_TOKEN\nbase_url: {base}\n\
         request_timeout_ms: 400\n{extra}"
    )
}

#[test]
fn twilio_messages_api_request_on_the_wire() {
    let server = Server::replying(Reply::new(
        201,
        r#"{"sid":"SM0123456789abcdef","status":"queued","num_segments":"1"}"#,
    ));
    let extra = "from: \"+15005550006\"\nstatus_callback: \"https://cb.example.org/twilio?ref={reference}\"\n";
    let twilio = gateway(&twilio_yaml(&server.url(""), extra));
    let outcome = twilio.send(&gsm("+6281200001234", "Halo & selamat"));
    assert_eq!(
        outcome,
        Outcome::Accepted {
            message_id: Some("SM0123456789abcdef".into())
        }
    );
    let request = server.only_request();
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        "/2010-04-01/Accounts/AC0123456789/Messages.json"
    );
    assert_eq!(
        request.header("authorization"),
        Some("Basic QUMwMTIzNDU2Nzg5OnR3LVRvaysvPTk=")
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        request.body_text(),
        "To=%2B6281200001234&From=%2B15005550006&Body=Halo+%26+selamat\
         &StatusCallback=https%3A%2F%2Fcb.example.org%2Ftwilio%3Fref%3Dreq-2026-0042%252Fr17"
    );
}

#[test]
fn twilio_api_key_and_messaging_service() {
    let server = Server::replying(Reply::new(201, r#"{"sid":"SM1"}"#));
    let twilio = gateway(&twilio_yaml(
        &server.url(""),
        "api_key_sid: SKkey\nmessaging_service_sid: MG42\n",
    ));
    assert_eq!(twilio.max_parts(), 10);
    twilio.send(&ucs2("+6281200001234", "🌊"));
    let request = server.only_request();
    assert_eq!(
        request.header("authorization"),
        Some("Basic U0trZXk6dHctVG9rKy89OQ==")
    );
    assert_eq!(
        request.body_text(),
        "To=%2B6281200001234&MessagingServiceSid=MG42&Body=%F0%9F%8C%8A"
    );
}

#[test]
fn twilio_reply_classes() {
    let error = |code: u32| {
        format!(
            r#"{{"code": {code}, "message": "refused", "more_info": "https://www.twilio.com/docs/errors/{code}", "status": 400}}"#
        )
    };
    let cases = [
        (Reply::new(200, r#"{"sid":"SM2"}"#), "accepted"),
        (Reply::new(400, &error(21211)), "permanent"),
        (Reply::new(400, &error(21610)), "permanent"),
        (Reply::new(400, &error(21614)), "permanent"),
        (
            Reply::new(401, r#"{"code": 20003, "message": "Authenticate"}"#),
            "permanent",
        ),
        (Reply::new(500, r#"{"code": 20500}"#), "unknown"),
        (Reply::new(503, "unavailable"), "unknown"),
        (Reply::CloseAfterRead, "unknown"),
        (Reply::Hang(Duration::from_secs(3)), "unknown"),
    ];
    for (reply, class) in cases {
        let server = Server::replying(reply.clone());
        let outcome = gateway(&twilio_yaml(&server.url(""), "from: BPBD\n"))
            .send(&gsm("+6281200001234", "x"));
        assert_class(&outcome, class);
        no_secret_in(&outcome);
    }
    let server = Server::replying(Reply::new(400, &error(21610)));
    let outcome =
        gateway(&twilio_yaml(&server.url(""), "from: BPBD\n")).send(&gsm("+6281200001234", "x"));
    let Outcome::PermanentFailure { detail } = outcome else {
        panic!()
    };
    assert!(
        detail.starts_with("Twilio error 21610: HTTP 400"),
        "{detail}"
    );
}

#[test]
fn twilio_429_is_throttled_for_the_time_given() {
    let server = Server::replying(
        Reply::new(429, r#"{"code": 20429, "message": "Too Many Requests"}"#)
            .header("Retry-After", "7"),
    );
    let outcome =
        gateway(&twilio_yaml(&server.url(""), "from: BPBD\n")).send(&gsm("+6281200001234", "x"));
    let Outcome::Throttled { retry_after, .. } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(retry_after, Some(Duration::from_secs(7)));
    let server = Server::replying(Reply::new(429, "{}"));
    let outcome =
        gateway(&twilio_yaml(&server.url(""), "from: BPBD\n")).send(&gsm("+6281200001234", "x"));
    assert!(
        matches!(
            outcome,
            Outcome::Throttled {
                retry_after: None,
                ..
            }
        ),
        "{outcome:?}"
    );
}

// ---------------------------------------------------------------- generic http

fn json_provider(url: &str) -> String {
    format!(
        r#"kind: http
url: "{url}"
secret_env: GW_HTTP_TEST_SECRET
headers:
  Authorization: "Bearer {{secret}}"
json:
  destination: "{{to_digits}}"
  message: "{{text}}"
  unicode: "{{unicode}}"
  client_ref: "{{reference}}"
  options: {{priority: 1, flash: false}}
success:
  status: [200]
  json_pointer: /status
  equals: "1"
message_id:
  json_pointer: /messageId
temporary_status: [503]
max_parts: 4
request_timeout_ms: 400
"#
    )
}

#[test]
fn http_json_template_on_the_wire() {
    let server = Server::replying(Reply::new(
        200,
        r#"{"status":"1","messageId":987654,"text":"Success"}"#,
    ));
    let provider = gateway(&json_provider(&server.url("/api/sendsms/")));
    assert_eq!(provider.max_parts(), 4);
    let outcome = provider.send(&ucs2("+6281200001234", "Halo \"warga\" 🌊"));
    assert_eq!(
        outcome,
        Outcome::Accepted {
            message_id: Some("987654".into())
        }
    );
    let request = server.only_request();
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/api/sendsms/")
    );
    assert_eq!(request.header("authorization"), Some("Bearer gen-S3cret&x"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "destination": "6281200001234",
            "message": "Halo \"warga\" 🌊",
            "unicode": "1",
            "client_ref": "req-2026-0042/r17",
            "options": {"priority": 1, "flash": false}
        })
    );
}

#[test]
fn http_form_template_with_basic_auth_and_regex() {
    let server = Server::replying(Reply::new(200, "OK id=A77 queued"));
    let yaml = format!(
        r#"kind: http
url: "{}"
secret_env: GW_HTTP_TEST_SECRET
basic_auth_user: bpbd
form: {{to: "{{to}}", msg: "{{text}}", coding: "{{coding}}"}}
success: {{body_regex: "^OK "}}
message_id: {{body_regex: "id=(\\w+)"}}
"#,
        server.url("/send")
    );
    let outcome = gateway(&yaml).send(&gsm("+6281200001234", "a+b c"));
    assert_eq!(
        outcome,
        Outcome::Accepted {
            message_id: Some("A77".into())
        }
    );
    let request = server.only_request();
    assert_eq!(
        request.header("authorization"),
        Some("Basic YnBiZDpnZW4tUzNjcmV0Jng=")
    );
    assert_eq!(
        request.body_text(),
        "coding=gsm7&msg=a%2Bb+c&to=%2B6281200001234"
    );
}

#[test]
fn http_get_template_encodes_placeholders_in_the_url() {
    let server = Server::replying(Reply::new(200, "ok"));
    let yaml = format!(
        "kind: http\nmethod: GET\nurl: \"{}?key={{secret}}&hp={{to_digits}}&pesan={{text}}\"\nsecret_env: GW_HTTP_TEST_SECRET\n",
        server.url("/smsapi.php")
    );
    let outcome = gateway(&yaml).send(&gsm("+6281200001234", "Halo & 100%"));
    assert_eq!(outcome, Outcome::Accepted { message_id: None });
    let request = server.only_request();
    assert_eq!(request.method, "GET");
    assert_eq!(
        request.query,
        "key=gen-S3cret%26x&hp=6281200001234&pesan=Halo%20%26%20100%25"
    );
}

#[test]
fn http_reply_classes() {
    let cases = [
        (
            Reply::new(200, r#"{"status":"1","messageId":"m1"}"#),
            "accepted",
        ),
        (
            Reply::new(
                200,
                r#"{"status":"0","text":"Userkey atau Passkey Salah gen-S3cret&x"}"#,
            ),
            "permanent",
        ),
        (Reply::new(201, r#"{"status":"1"}"#), "unknown"),
        (Reply::new(200, "not json"), "unknown"),
        (
            Reply::new(429, "{}").header("Retry-After", "3"),
            "throttled",
        ),
        (Reply::new(503, "busy"), "temporary"),
        (Reply::new(400, "bad number"), "permanent"),
        (Reply::new(500, "oops"), "unknown"),
        (Reply::new(502, "bad gateway"), "unknown"),
        (Reply::CloseAfterRead, "unknown"),
        (Reply::Hang(Duration::from_secs(3)), "unknown"),
    ];
    for (reply, class) in cases {
        let server = Server::replying(reply.clone());
        let outcome =
            gateway(&json_provider(&server.url("/api"))).send(&gsm("+6281200001234", "x"));
        assert_class(&outcome, class);
        no_secret_in(&outcome);
    }
    let outcome =
        gateway(&json_provider(&closed_port_url("/api"))).send(&gsm("+6281200001234", "x"));
    assert_class(&outcome, "temporary");
    no_secret_in(&outcome);
}

// ------------------------------------------------- echoing servers and secrets

const ECHO_TO: &str = "+6281200001234";

/// What a server that echoes the request may say: the request as it was on
/// the wire (`raw`), or its decoded parameters as JSON (`json`), or that JSON
/// with non-ASCII as `\uXXXX` like Python's and PHP's encoders (`ascii`).
fn echo_of(request: &support::loopback::Request, flavour: &str) -> String {
    let auth = [request.header("authorization"), request.header("x-key")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let body = String::from_utf8_lossy(&request.body).into_owned();
    if flavour == "raw" {
        return format!("echo {}?{} | {auth} | {body}", request.path, request.query);
    }
    let form = if body.starts_with('{') {
        Vec::new()
    } else {
        request.form_pairs()
    };
    let json = serde_json::json!({
        "query": request.query_pairs(),
        "auth": auth,
        "form": form,
        "body": if body.starts_with('{') { body } else { String::new() },
    })
    .to_string();
    if flavour == "json" {
        return json;
    }
    json.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                c.encode_utf16(&mut [0; 2])
                    .iter()
                    .map(|u| format!("\\u{u:04x}"))
                    .collect()
            }
        })
        .collect()
}

/// Spellings of the secrets and of the full number that must never show.
fn leaks(text: &str) -> Vec<String> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut bad = vec![
        "6281200001234".to_owned(),
        "my pass".to_owned(),
        "my+pass".to_owned(),
        "my%20pass".to_owned(),
        "q\\w".to_owned(),
        "q\\\\w".to_owned(),
        "w+&%".to_owned(),
        "w%2B%26%25".to_owned(),
        "w%2b%26%25".to_owned(),
        "\\u00e9".to_owned(),
        "%C3%A9".to_owned(),
        "%c3%a9".to_owned(),
        "é".to_owned(),
    ];
    for user in ["ACecho", "bpbd", "echo-user"] {
        for secret in [ECHO_SECRET, ECHO_ASCII] {
            let encoded = b64.encode(format!("{user}:{secret}"));
            // The part of the header that depends on the password.
            bad.push(encoded[encoded.len() - 12..].to_owned());
        }
    }
    bad.into_iter()
        .filter(|b| text.contains(b.as_str()))
        .collect()
}

fn echo_gateways(url: &str) -> Vec<(&'static str, String)> {
    let base = url.trim_end_matches("/echo");
    vec![
        (
            "kannel",
            format!("kind: kannel\nurl: {url}\nusername: bpbd\npassword_env: GW_ECHO_SECRET\n"),
        ),
        (
            "jasmin",
            format!("kind: jasmin\nurl: {url}\nusername: bpbd\npassword_env: GW_ECHO_SECRET\n"),
        ),
        (
            "playsms",
            format!("kind: playsms\nurl: {url}\nusername: bpbd\ntoken_env: GW_ECHO_SECRET\n"),
        ),
        (
            "twilio",
            format!(
                "kind: twilio\nbase_url: {base}\naccount_sid: ACecho\nauth_token_env: GW_ECHO_SECRET\nfrom: BPBD\n"
            ),
        ),
        (
            "http form",
            format!(
                "kind: http\nurl: {url}\nsecret_env: GW_ECHO_SECRET\nform: {{key: \"{{secret}}\", to: \"{{to}}\", ref: \"{{reference}}\"}}\n"
            ),
        ),
        (
            "http json",
            format!(
                "kind: http\nurl: {url}\nsecret_env: GW_ECHO_SECRET\njson: {{key: \"{{secret}}\", to: \"{{to}}\"}}\n"
            ),
        ),
        (
            "http query, header and basic auth",
            format!(
                "kind: http\nmethod: GET\nurl: \"{url}?key={{secret}}&to={{to_digits}}\"\nsecret_env: GW_ECHO_ASCII\n\
                 basic_auth_user: echo-user\nheaders: {{X-Key: \"{{secret}}\"}}\n"
            ),
        ),
    ]
}

#[test]
fn an_echoed_request_leaks_no_secret_and_no_full_number() {
    for flavour in ["raw", "json", "ascii"] {
        for status in [500, 400, 503] {
            let server =
                Server::start(move |request| Reply::new(status, &echo_of(request, flavour)));
            for (kind, yaml) in echo_gateways(&server.url("/echo")) {
                let gateway = gateway(&yaml);
                let outcome = gateway.send(&OutgoingSms {
                    reference: "req-9/+6281200001234",
                    ..gsm(ECHO_TO, "Halo warga")
                });
                let request = server.requests().pop().expect("a request");
                let echoed = echo_of(&request, flavour);
                // The server did see the secret and the number; the outcome must not show them.
                assert!(
                    leaks(&echoed).len() >= 2,
                    "{kind}: the echo holds nothing to hide: {echoed}"
                );
                let shown = format!("{outcome:?}");
                assert_eq!(
                    leaks(&shown),
                    Vec::<String>::new(),
                    "{kind}, {flavour} echo, HTTP {status}: {shown}"
                );
                assert!(
                    shown.contains("***1234"),
                    "{kind}: number not masked as expected: {shown}"
                );
                assert!(
                    shown.chars().count() < 400,
                    "{kind}: detail not short: {shown}"
                );
            }
        }
    }
}

#[test]
fn a_transport_error_leaks_no_secret() {
    // The connection closes after the request: the detail is reqwest's error chain.
    let server = Server::replying(Reply::CloseAfterRead);
    for (kind, yaml) in echo_gateways(&server.url("/echo")) {
        let outcome = gateway(&yaml).send(&gsm(ECHO_TO, "Halo"));
        assert_class(&outcome, "unknown");
        let shown = format!("{outcome:?}");
        assert_eq!(leaks(&shown), Vec::<String>::new(), "{kind}: {shown}");
    }
}
