//! The kannel gateway against a real Kannel (bearerbox + smsbox + fake SMS
//! centre) on loopback. Under CI=true a missing Kannel fails these tests.

mod support;

use std::path::Path;
use std::sync::Once;
use std::time::Instant;

use sms_bcast::gateway::{Gateway, GatewayConfig, Outcome, OutgoingSms, build};
use sms_bcast::smstext::Encoding;
use support::kannel::{self, Coding, FakeSms, Kannel};

fn env() {
    static ONCE: Once = Once::new();
    // Every test calls this before reading the environment.
    ONCE.call_once(|| unsafe {
        std::env::set_var("GW_KANNEL_TEST_PASSWORD", kannel::PASSWORD);
        std::env::set_var("GW_KANNEL_TEST_WRONG", "not-the-Pw+9");
    });
}

fn kannel_gateway(stack: &Kannel, max_parts: u32) -> Box<dyn Gateway> {
    env();
    let yaml = format!(
        "kind: kannel\nurl: {}\nusername: {}\npassword_env: GW_KANNEL_TEST_PASSWORD\nmax_parts: {max_parts}\n",
        stack.sendsms_url(),
        kannel::USERNAME
    );
    let config: GatewayConfig = serde_yaml::from_str(&yaml).unwrap();
    build("kannel", &config, Path::new("/nonexistent")).unwrap()
}

fn sms<'a>(to: &'a str, text: &'a str, encoding: Encoding) -> OutgoingSms<'a> {
    OutgoingSms {
        to,
        text,
        encoding,
        reference: "req-2026-0042",
    }
}

#[test]
fn broadcast_reaches_the_fake_smsc_once_per_recipient_with_exact_text_and_coding() {
    let Some(stack) = kannel::start(5) else {
        return;
    };
    let gateway = kannel_gateway(&stack, 5);
    let long: String = (0..3)
        .map(|i| format!("Bagian {i}: ") + &"Siaga banjir, mohon waspada. ".repeat(4))
        .collect();
    assert!(
        long.len() > 2 * 153 && long.len() <= 3 * 153,
        "{}",
        long.len()
    );
    let sent = [
        (
            "+6281200001001",
            "Halo warga RT 05, 1+1=2 & 50% @rumah",
            Encoding::Gsm7,
        ),
        (
            "+6281200001002",
            "Café £5 {kumpul} [jam 7] ~ ^ | €",
            Encoding::Gsm7,
        ),
        (
            "+6281200001003",
            "Banjir 🌊 “siaga” — mohon mengungsi",
            Encoding::Ucs2,
        ),
        ("+6281200001004", long.as_str(), Encoding::Gsm7),
    ];
    for (to, text, encoding) in sent {
        let outcome = gateway.send(&sms(to, text, encoding));
        assert_eq!(
            outcome,
            Outcome::Accepted { message_id: None },
            "{to}\n{}",
            stack.logs()
        );
    }
    let received = stack.wait_for(sent.len());
    let expected: Vec<FakeSms> = sent
        .iter()
        .map(|(to, text, encoding)| FakeSms {
            from: "12345".into(),
            to: (*to).into(),
            text: (*text).into(),
            coding: match encoding {
                Encoding::Gsm7 => Coding::Gsm7,
                Encoding::Ucs2 => Coding::Ucs2,
            },
            parts: if text.len() > 160 { 3 } else { 1 },
        })
        .collect();
    assert_eq!(received, expected, "{}", stack.logs());
}

#[test]
fn many_recipients_each_exactly_once_with_the_plus_kept() {
    let Some(stack) = kannel::start(1) else {
        return;
    };
    let gateway = kannel_gateway(&stack, 1);
    let numbers: Vec<String> = (0..50).map(|n| format!("+628120000{n:04}")).collect();
    for to in &numbers {
        assert_eq!(
            gateway.send(&sms(to, "Uji coba", Encoding::Gsm7)),
            Outcome::Accepted { message_id: None }
        );
    }
    let mut received: Vec<String> = stack
        .wait_for(numbers.len())
        .into_iter()
        .map(|m| m.to)
        .collect();
    received.sort();
    assert_eq!(received, numbers);
}

#[test]
fn a_wrong_password_is_a_permanent_failure_that_names_no_secret() {
    let Some(stack) = kannel::start(1) else {
        return;
    };
    env();
    let yaml = format!(
        "kind: kannel\nurl: {}\nusername: tester\npassword_env: GW_KANNEL_TEST_WRONG\n",
        stack.sendsms_url()
    );
    let config: GatewayConfig = serde_yaml::from_str(&yaml).unwrap();
    let gateway = build("kannel", &config, Path::new("/nonexistent")).unwrap();
    let outcome = gateway.send(&sms("+6281200001234", "x", Encoding::Gsm7));
    assert_eq!(
        outcome,
        Outcome::PermanentFailure {
            detail: "HTTP 403: Authorization failed for sendsms".into()
        }
    );
    assert!(stack.received().is_empty());
}

/// Sequential and threaded rates against the loopback Kannel; prints the
/// figures (`cargo test --test gateway_kannel -- --nocapture throughput`).
#[test]
fn throughput_sequential_and_threaded() {
    let Some(stack) = kannel::start(1) else {
        return;
    };
    let gateway = kannel_gateway(&stack, 1);
    const N: usize = 400;
    let started = Instant::now();
    for n in 0..N {
        let to = format!("+62812001{n:05}");
        assert_eq!(
            gateway.send(&sms(&to, "Uji kecepatan", Encoding::Gsm7)),
            Outcome::Accepted { message_id: None }
        );
    }
    let sequential = N as f64 / started.elapsed().as_secs_f64();

    const THREADS: usize = 4;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let gateway = &gateway;
            scope.spawn(move || {
                for n in 0..N / THREADS {
                    let to = format!("+62812002{t}{n:04}");
                    assert_eq!(
                        gateway.send(&sms(&to, "Uji kecepatan", Encoding::Gsm7)),
                        Outcome::Accepted { message_id: None }
                    );
                }
            });
        }
    });
    let threaded = N as f64 / started.elapsed().as_secs_f64();
    let received = stack.wait_for(2 * N);
    assert_eq!(
        received.len(),
        2 * N,
        "every accepted message reached the fake SMSC"
    );
    eprintln!(
        "kannel loopback: {sequential:.0} msg/s sequential, {threaded:.0} msg/s with {THREADS} threads ({N} messages each)"
    );
}
