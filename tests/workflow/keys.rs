//! Keys and the registry: standard minisign files, passwords, admin thresholds.

use std::process::Command;

use crate::common::*;

#[test]
fn keygen_writes_a_password_protected_key_that_signs() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .env("SMS_BCAST_KEY_PASSWORD", "rahasia-uji")
        .args(["keygen", "--name", "Citra Staf", "--out"])
        .arg(&env.home)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    let secret = std::fs::read_to_string(env.home.join("citra-staf.key")).unwrap();
    assert!(
        secret.starts_with("untrusted comment:"),
        "minisign secret key box"
    );
    // Keys are never overwritten.
    let again = env
        .cmd()
        .env("SMS_BCAST_KEY_PASSWORD", "x")
        .args(["keygen", "--name", "Citra Staf", "--out"])
        .arg(&env.home)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    // Registered, the key signs a submission when its password is given.
    let public = env.home.join("citra-staf.pub");
    env.ok_as(
        SATKER,
        &[
            "roles",
            "add",
            "--name",
            "Citra Staf",
            "--public-key",
            public.to_str().unwrap(),
            "--role",
            "requester",
        ],
    );
    let form = env.write_form("c.yaml", &env.form("Citra Staf", "Jadwal"));
    let key = env.home.join("citra-staf.key");
    let wrong = env
        .cmd()
        .env("SMS_BCAST_KEY", &key)
        .env("SMS_BCAST_KEY_PASSWORD", "salah")
        .args(["submit", form.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("check the password"));
    let right = env
        .cmd()
        .env("SMS_BCAST_KEY", &key)
        .env("SMS_BCAST_KEY_PASSWORD", "rahasia-uji")
        .args(["submit", form.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        right.status.success(),
        "{}",
        String::from_utf8_lossy(&right.stderr)
    );
    // Without a terminal and without the variable, it says how to give the password.
    let none = env
        .cmd()
        .env("SMS_BCAST_KEY", &key)
        .args(["submit", form.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("SMS_BCAST_KEY_PASSWORD"));
}

#[test]
fn the_minisign_tool_verifies_records_and_shows_what_was_signed() {
    if Command::new("minisign").arg("-v").output().is_err() {
        assert!(
            std::env::var("CI").is_err(),
            "CI must install minisign (apt-get install minisign)"
        );
        eprintln!("SKIPPED: the minisign tool is not installed");
        return;
    }
    let env = TestEnv::new();
    let id = env.approved_request("Jadwal");
    let record = env.record(&id, "approve-decider");
    let out = Command::new("minisign")
        .args(["-V", "-p"])
        .arg(env.public_key(SATKER))
        .arg("-m")
        .arg(&record)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("sms-bcast approve {id} r1 decider sha256:")),
        "{text}"
    );
    // The registry versions too.
    let registry = env.ws.join("registry/v0001.yaml");
    let sig = std::fs::read_dir(env.ws.join("registry"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_str().unwrap().contains("v0001.yaml."))
        .unwrap();
    let out = Command::new("minisign")
        .args(["-V", "-p"])
        .arg(env.public_key(SATKER))
        .arg("-m")
        .arg(&registry)
        .arg("-x")
        .arg(sig)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_registry_change_needs_the_admin_threshold_of_the_version_before() {
    let env = TestEnv::new();
    let tl2 = env.public_key(TL2);
    // Make the second Team Leader an admin too, and require two admins from now on.
    env.ok_as(
        SATKER,
        &[
            "roles",
            "add",
            "--name",
            TL2,
            "--public-key",
            tl2.to_str().unwrap(),
            "--role",
            "advisor",
            "--role",
            "admin",
            "--admin-threshold",
            "2",
        ],
    );
    let budi = env.public_key(BUDI);
    let text = env.fails_as(
        SATKER,
        &[
            "roles",
            "add",
            "--name",
            BUDI,
            "--public-key",
            budi.to_str().unwrap(),
            "--role",
            "requester",
            "--role",
            "operator",
        ],
        2,
    );
    assert!(text.contains("needs 2"), "{text}");
    let out = env
        .cmd()
        .env_remove("SMS_BCAST_KEY")
        .args([
            "roles",
            "add",
            "--name",
            BUDI,
            "--public-key",
            budi.to_str().unwrap(),
            "--role",
            "requester",
            "--role",
            "operator",
            "--key",
        ])
        .arg(env.secret_key(SATKER))
        .arg("--key")
        .arg(env.secret_key(TL2))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, text) = env.verify();
    assert_eq!(code, 0, "{text}");
    // A non-admin key never signs the registry.
    let text = env.fails_as(
        ANI,
        &["roles", "remove", "--name", BUDI, "--reason", "x"],
        2,
    );
    assert!(text.contains("is not an admin"), "{text}");
}

#[test]
fn verify_without_an_anchor_says_how_to_pin_one() {
    let mut env = TestEnv::new();
    env.anchor.clear();
    let out = env.run(&["verify"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("no trust anchor is pinned") && text.contains("SMS_BCAST_TRUST"),
        "{text}"
    );
}

#[test]
fn the_registry_takes_only_plain_names_mobile_phones_and_a_key_per_person() {
    let env = TestEnv::new();
    let citra = sms_bcast::keys::generate("Citra", None).unwrap();
    let public = env.home.join("citra.pub");
    std::fs::write(&public, citra.public_file).unwrap();
    let add = |name: &str, phone: &str, key: &std::path::Path| {
        env.fails_as(
            SATKER,
            &[
                "roles",
                "add",
                "--name",
                name,
                "--public-key",
                key.to_str().unwrap(),
                "--role",
                "requester",
                "--phone",
                phone,
            ],
            2,
        )
    };
    assert!(add("", "+6281200000009", &public).contains("--name"));
    assert!(add("Evil\nName", "+6281200000009", &public).contains("control characters"));
    assert!(add("Citra", "12", &public).contains("--phone `12`"));
    assert!(
        add("Citra", "021-5551234", &public).contains("--phone"),
        "a landline"
    );
    assert!(
        add("Citra", "+6591234567", &public).contains("--phone"),
        "a country the workspace does not allow"
    );
    assert!(
        add("Citra", "+6281200000009", &env.public_key(ANI))
            .contains("already registered to Ani Staf")
    );
    // A good entry is stored in E.164.
    env.ok_as(
        SATKER,
        &[
            "roles",
            "add",
            "--name",
            "Citra",
            "--public-key",
            public.to_str().unwrap(),
            "--role",
            "requester",
            "--phone",
            "0812-0000-0009",
        ],
    );
    assert!(
        env.ok_as(SATKER, &["roles", "list"])
            .contains("+6281200000009")
    );
    // The last admin is never removed.
    let text = env.fails_as(
        SATKER,
        &["roles", "remove", "--name", SATKER, "--reason", "pensiun"],
        2,
    );
    assert!(text.contains("is the last admin"), "{text}");
}
