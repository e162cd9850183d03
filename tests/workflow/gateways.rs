//! Gateway settings and replies as the user meets them: config errors at the
//! right line, and no secret or full number on screen or in git.

use std::process::Output;

use crate::common::*;
use crate::support::loopback::{Reply, Server};

fn configure(env: &TestEnv, yaml: &str) {
    let path = env.ws.join("sms-bcast.yaml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(yaml);
    std::fs::write(&path, text).unwrap();
    env.git(&["add", "sms-bcast.yaml"]);
    env.git(&["commit", "-qm", "Gateway settings"]);
}

/// The 1-based line of sms-bcast.yaml that is exactly `line`.
fn line_of(env: &TestEnv, line: &str) -> usize {
    let text = std::fs::read_to_string(env.ws.join("sms-bcast.yaml")).unwrap();
    text.lines().position(|l| l == line).expect(line) + 1
}

fn run_with(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = env.cmd();
    cmd.env("SMS_BCAST_KEY", env.secret_key(OPERATOR))
        .args(args);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text_of(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_bad_key_in_the_third_gateway_is_reported_at_that_gateway() {
    let env = TestEnv::new();
    configure(
        &env,
        "gateways:\n  a:\n    kind: outbox\n  b:\n    kind: outbox\n    priority: B\n  t:\n    kind: twilio\n    url: http://127.0.0.1:9/\n",
    );
    let line = line_of(&env, "    kind: twilio");
    for args in [&["notify"][..], &["preview", "x"][..]] {
        let out = env.fails_as(OPERATOR, args, 2);
        assert!(
            out.contains(&format!("sms-bcast.yaml:{line}:")),
            "{args:?}: not at line {line}: {out}"
        );
        assert!(
            out.contains("gateways.t.url: unknown field `url`"),
            "{args:?}: {out}"
        );
    }
}

#[test]
fn max_parts_0_is_refused_by_preview_send_and_notify_at_its_line() {
    let env = TestEnv::new();
    let id = env.approved_request("Rapat");
    configure(
        &env,
        "gateways:\n  k:\n    kind: kannel\n    url: http://127.0.0.1:9/\n    username: u\n    password_env: NOT_SET\n    max_parts: 0\n",
    );
    let line = line_of(&env, "    max_parts: 0");
    for args in [
        &["preview", &id, "--gateway", "k"][..],
        &["send", &id, "--gateway", "k"][..],
        &["notify", "--gateway", "k"][..],
    ] {
        let out = env.fails_as(OPERATOR, args, 2);
        assert!(
            out.contains(&format!("sms-bcast.yaml:{line}:")),
            "{args:?}: not at line {line}: {out}"
        );
        assert!(
            out.contains("gateways.k.max_parts") && out.contains("from 1 to 255"),
            "{args:?}: {out}"
        );
        assert!(!out.contains("over the maximum"), "{out}");
    }
}

/// Spellings of `PASSWORD` and of Ani's number that must never show.
fn leaks(text: &str) -> Vec<&'static str> {
    [
        "6281200000003",
        "my pass",
        "my+pass",
        "my%20pass",
        "q\\w",
        "q\\\\w",
        "w+&%",
        "w%2B%26%25",
        "%C3%A9",
        "\\u00e9",
        "é",
    ]
    .into_iter()
    .filter(|bad| text.contains(bad))
    .collect()
}

const PASSWORD: &str = "my pass \"q\\w+&%/é'x";

#[test]
fn an_echoing_gateway_leaks_no_password_or_number_on_screen_or_in_git() {
    let env = TestEnv::new();
    let id = env.submit(ANI, "Jadwal verifikasi");
    env.ok_as(TEAM_LEADER, &["reject", &id, "--reason", "salah tanggal"]);
    // A gateway that answers 500 with the request it got, as some do.
    let server = Server::start(|request| {
        Reply::new(
            500,
            &format!(
                "echo: {}?{} {}",
                request.path,
                request.query,
                String::from_utf8_lossy(&request.body)
            ),
        )
    });
    configure(
        &env,
        &format!(
            "gateways:\n  form:\n    kind: http\n    url: {url}\n    secret_env: HPW\n    form: {{key: \"{{secret}}\", to: \"{{to}}\"}}\n  \
             json:\n    kind: http\n    url: {url}\n    secret_env: HPW\n    json: {{key: \"{{secret}}\", to: \"{{to}}\"}}\n",
            url = server.url("/send")
        ),
    );
    let mut shown = String::new();
    for args in [
        &["notify", "--gateway", "form"][..],
        &["notify", "--gateway", "json", "--resend-unknown"][..],
    ] {
        let out = run_with(&env, args, &[("HPW", PASSWORD)]);
        assert_eq!(out.status.code(), Some(1), "{}", text_of(&out));
        shown.push_str(&text_of(&out));
    }
    assert_eq!(server.requests().len(), 2);
    // The server did get the password and the number…
    let echoed: String = server
        .requests()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert!(leaks(&echoed).len() >= 3, "{echoed}");
    // …but neither the screen nor git history shows them.
    assert!(
        shown.contains("unknown") && shown.contains("***"),
        "{shown}"
    );
    assert_eq!(leaks(&shown), Vec::<&str>::new(), "{shown}");
    // (Registry and form hold full numbers by design; notify's commits must not.)
    let history = env.git(&["log", "-p", "--author=notify@sms-bcast"]);
    assert!(history.contains("outcome: unknown"), "{history}");
    assert!(history.contains("62812****0003"), "{history}");
    assert_eq!(leaks(&history), Vec::<&str>::new(), "{history}");
}
