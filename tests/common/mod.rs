//! A test environment that reads like the user's story: a temporary drill
//! workspace with five registered people, a fixed clock, real git and real
//! signatures, and the `sms-bcast` binary run as one person or another.

#![allow(dead_code)]

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use tempfile::TempDir;

/// The people of the sample programme, with the key file each signs with.
pub const SATKER: &str = "Satker P2KP";
pub const TEAM_LEADER: &str = "Team Leader";
pub const ANI: &str = "Ani Staf";
pub const BUDI: &str = "Budi Staf";
pub const OPERATOR: &str = "Operator SIM";
/// Registered as a second advisor, for merges of two clones.
pub const TL2: &str = "Wakil Team Leader";

pub const START: &str = "2026-12-07T09:00:00+07:00";

fn key_stem(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

/// Unencrypted key files, made once per test binary (key generation is the slow part).
fn key_store() -> &'static Path {
    static STORE: OnceLock<PathBuf> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [SATKER, TEAM_LEADER, ANI, BUDI, OPERATOR, TL2] {
            let key = sms_bcast::keys::generate(name, None).unwrap();
            std::fs::write(dir.join(format!("{}.key", key_stem(name))), key.secret_file).unwrap();
            std::fs::write(dir.join(format!("{}.pub", key_stem(name))), key.public_file).unwrap();
        }
        dir
    })
}

pub struct TestEnv {
    _dir: TempDir,
    pub home: PathBuf,
    pub keys: PathBuf,
    /// The workspace (a git repository).
    pub ws: PathBuf,
    now: RefCell<String>,
    pub anchor: String,
}

impl TestEnv {
    /// Empty temporary home and key folder; no workspace yet.
    pub fn bare() -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let keys = dir.path().join("keys");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&keys).unwrap();
        for entry in std::fs::read_dir(key_store()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), keys.join(entry.file_name())).unwrap();
        }
        let ws = dir.path().join("ws");
        TestEnv {
            _dir: dir,
            home,
            keys,
            ws,
            now: RefCell::new(START.to_string()),
            anchor: String::new(),
        }
    }

    /// A drill workspace: the Satker (admin, decider) made it and registered the
    /// Team Leader (advisor), Ani and Budi (requesters) and the operator, and a
    /// recipient list `recipients/fasilitator.csv` is committed.
    pub fn new() -> TestEnv {
        TestEnv::with_drill(true)
    }

    /// The same people in a workspace that is not a drill (the real clock signs).
    pub fn real() -> TestEnv {
        TestEnv::with_drill(false)
    }

    fn with_drill(drill: bool) -> TestEnv {
        let mut env = TestEnv::bare();
        std::fs::create_dir_all(env.ws.join("recipients")).unwrap();
        std::fs::write(
            env.ws.join("recipients/fasilitator.csv"),
            "nama,hp,provinsi\nDewi,081200001001,Jawa Barat\nEko,+62 812-0000-1002,Jawa Tengah\nFitri,6281200001003,Jawa Barat\n",
        )
        .unwrap();
        env.git(&["init", "-q", "-b", "main"]);
        env.git(&["add", "-A"]);
        env.git(&["commit", "-qm", "Recipient list"]);
        let mut init = vec![
            "init",
            "--name",
            SATKER,
            "--role",
            "decider",
            "--phone",
            "+6281200000001",
            "--no-pin",
        ];
        if drill {
            init.push("--drill");
        }
        let out = env.run_as(SATKER, &init);
        assert!(
            out.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        env.anchor = stdout
            .lines()
            .find_map(|l| l.strip_prefix("Trust anchor: "))
            .expect("init prints the anchor")
            .to_string();
        for (name, role, phone) in [
            (TEAM_LEADER, "advisor", "+6281200000002"),
            (ANI, "requester", "+6281200000003"),
            (BUDI, "requester", "+6281200000004"),
            (OPERATOR, "operator", "+6281200000005"),
            (TL2, "advisor", "+6281200000006"),
        ] {
            env.ok_as(
                SATKER,
                &[
                    "roles",
                    "add",
                    "--name",
                    name,
                    "--public-key",
                    env.public_key(name).to_str().unwrap(),
                    "--role",
                    role,
                    "--phone",
                    phone,
                ],
            );
        }
        env
    }

    pub fn secret_key(&self, name: &str) -> PathBuf {
        self.keys.join(format!("{}.key", key_stem(name)))
    }

    pub fn public_key(&self, name: &str) -> PathBuf {
        self.keys.join(format!("{}.pub", key_stem(name)))
    }

    /// Sets the drill clock for the following commands.
    pub fn at(&self, rfc3339: &str) -> &Self {
        *self.now.borrow_mut() = rfc3339.to_string();
        self
    }

    /// The binary, in the workspace, with a clean environment: the test's own
    /// HOME, the fixed clock, the pinned anchor, no git identity.
    pub fn cmd(&self) -> Command {
        self.cmd_in(&self.ws)
    }

    /// The binary run in `dir` (another clone of the workspace).
    pub fn cmd_in(&self, dir: &Path) -> Command {
        Command::from_std(self.std_cmd_in(dir))
    }

    /// The same as a plain `std::process::Command`, for tests that wire stdio themselves.
    pub fn std_cmd_in(&self, dir: &Path) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("sms-bcast"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_STATE_HOME", self.home.join(".state"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("SMS_BCAST_NOW", self.now.borrow().as_str())
            .current_dir(dir);
        if !self.anchor.is_empty() {
            cmd.env("SMS_BCAST_TRUST", &self.anchor);
        }
        cmd
    }

    /// Runs `args` signing with `who`'s key.
    pub fn run_as(&self, who: &str, args: &[&str]) -> Output {
        std::fs::create_dir_all(&self.ws).unwrap();
        self.cmd()
            .env("SMS_BCAST_KEY", self.secret_key(who))
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs `args` as `who` in another clone `dir`; insists on success.
    pub fn ok_in(&self, dir: &Path, who: &str, args: &[&str]) -> String {
        let out = self
            .cmd_in(dir)
            .env("SMS_BCAST_KEY", self.secret_key(who))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`sms-bcast {}` in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `args` without a key.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs as `who` and insists on success; returns stdout.
    pub fn ok_as(&self, who: &str, args: &[&str]) -> String {
        let out = self.run_as(who, args);
        assert!(
            out.status.success(),
            "`sms-bcast {}` as {who} failed ({:?}):\n{}{}",
            args.join(" "),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs as `who`, expects exit status `code`; returns stdout + stderr.
    pub fn fails_as(&self, who: &str, args: &[&str], code: i32) -> String {
        let out = self.run_as(who, args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.status.code(),
            Some(code),
            "`sms-bcast {}` as {who}:\n{text}",
            args.join(" ")
        );
        text
    }

    /// A valid request form from `requester`.
    pub fn form(&self, requester: &str, title: &str) -> String {
        format!(
            "unit: TA USK KMP\nrequester: {requester}\ncontact_phone: \"+6281200000003\"\ntitle: {title}\nmessage: |\n  Yth. ((nama)), verifikasi BLM hari Senin pukul 09.00 di kantor kecamatan.\nrecipients:\n  - list: recipients/fasilitator.csv\njustification: Jadwal berubah; semua fasilitator harus tahu.\n"
        )
    }

    /// Writes `text` to a file outside the workspace and returns its path.
    pub fn write_form(&self, name: &str, text: &str) -> PathBuf {
        let path = self.home.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `requester` submits a standard form; returns the request id.
    pub fn submit(&self, requester: &str, title: &str) -> String {
        let path = self.write_form(
            &format!("{}.yaml", key_stem(title)),
            &self.form(requester, title),
        );
        self.ok_as(requester, &["submit", path.to_str().unwrap()])
            .trim()
            .to_string()
    }

    /// Submitted and approved by advisor and decider.
    pub fn approved_request(&self, title: &str) -> String {
        let id = self.submit(ANI, title);
        self.ok_as(TEAM_LEADER, &["approve", &id]);
        self.ok_as(SATKER, &["approve", &id]);
        id
    }

    /// Runs git in the workspace; returns stdout.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.ws, args)
    }

    /// Files of a request's folder, by name.
    pub fn request_files(&self, id: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.ws.join("requests").join(id))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    /// The record file of `id` whose name contains `part` (e.g. "approve-advisor").
    pub fn record(&self, id: &str, part: &str) -> PathBuf {
        let name = self
            .request_files(id)
            .into_iter()
            .find(|n| n.contains(part) && n.ends_with(".yaml"))
            .unwrap_or_else(|| panic!("no record {part} in {id}"));
        self.ws.join("requests").join(id).join(name)
    }

    /// `verify` output and exit code.
    pub fn verify(&self) -> (i32, String) {
        let out = self.run(&["verify"]);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    }
}

/// Runs git in `dir` with a fixed identity; returns stdout.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl TestEnv {
    /// The binary as a plain process (to spawn, signal or kill), in the workspace,
    /// with the same clean environment as [`TestEnv::cmd`], signing as `who`.
    pub fn process_as(&self, who: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_sms-bcast"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_STATE_HOME", self.home.join(".state"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("SMS_BCAST_NOW", self.now.borrow().as_str())
            .env("SMS_BCAST_KEY", self.secret_key(who))
            .current_dir(&self.ws)
            .args(args);
        if !self.anchor.is_empty() {
            cmd.env("SMS_BCAST_TRUST", &self.anchor);
        }
        cmd
    }
}
