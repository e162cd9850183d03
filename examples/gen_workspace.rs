//! Makes a synthetic drill workspace for benchmarks: N requests, each with a
//! really signed submission, advisor and decider approvals, claim and sent
//! record. Keys are made once; files are written directly and committed with
//! `git fast-import`, one commit per thousand requests.
//!
//! Usage: gen_workspace DIR N [--until approved|claimed|sent] [--list-rows ROWS]
//! Prints the trust anchor; unencrypted keys go to DIR/.sms-bcast/bench-keys/.
//! Every request uses `recipients/fasilitator.csv` (3 rows, or ROWS fictitious
//! +62812… numbers for send benchmarks).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, FixedOffset};
use sms_bcast::keys::{self, SigningKey};
use sms_bcast::record::{self, Draft, Kind, ListDigest, Statement};
use sms_bcast::registry::{self, Person, Registry, RegistryDoc, Role};
use sms_bcast::{digest, workspace};

const PER_COMMIT: usize = 1000;
const LIST: &str = "recipients/fasilitator.csv";
const LIST_TEXT: &str = "nama,hp,provinsi\nDewi,081200001001,Jawa Barat\nEko,+62 812-0000-1002,Jawa Tengah\nFitri,6281200001003,Jawa Barat\n";
const CONFIG: &str =
    "schema: sms-bcast/workspace/v1\nname: Benchmark drill\ntime_zone: Asia/Jakarta\n";

const CALENDAR_2026: &str = include_str!("../calendar/2026.yaml");
const CALENDAR_2027: &str = include_str!("../calendar/2027.yaml");

const PEOPLE: [(&str, &[Role], &str); 4] = [
    (
        "Satker P2KP",
        &[Role::Admin, Role::Decider],
        "+6281200000001",
    ),
    ("Team Leader", &[Role::Advisor], "+6281200000002"),
    ("Ani Staf", &[Role::Requester], "+6281200000003"),
    ("Operator SIM", &[Role::Operator], "+6281200000005"),
];

type Files = Vec<(PathBuf, Vec<u8>)>;

fn main() -> Result<()> {
    let usage = "usage: gen_workspace DIR N [--until approved|claimed|sent] [--list-rows ROWS]";
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(n)) = (args.next(), args.next()) else {
        bail!(usage);
    };
    let n: usize = n.parse().context("N must be a number of requests")?;
    let mut options = Options::default();
    while let Some(flag) = args.next() {
        let value = args.next().context(usage)?;
        match flag.as_str() {
            "--until" => {
                options.steps = match value.as_str() {
                    "approved" => 3,
                    "claimed" => 4,
                    "sent" => 5,
                    other => bail!("--until {other}: expected approved, claimed or sent"),
                }
            }
            "--list-rows" => options.list_rows = Some(value.parse().context("--list-rows")?),
            _ => bail!(usage),
        }
    }
    let made = generate(Path::new(&dir), n, &options)?;
    println!("Trust anchor: {}", made.anchor);
    println!("Keys: {}", made.key_dir.display());
    Ok(())
}

/// What a generated workspace needs to be used.
pub struct Generated {
    pub anchor: String,
    pub key_dir: PathBuf,
}

/// How requests end and how long their recipient list is.
pub struct Options {
    /// Records per request: 3 (approved), 4 (claimed) or 5 (sent).
    pub steps: usize,
    /// Rows of the recipient list; `None` for the 3-row sample.
    pub list_rows: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            steps: 5,
            list_rows: None,
        }
    }
}

/// Writes a workspace of `n` requests at `root` (a new folder).
pub fn generate(root: &Path, n: usize, options: &Options) -> Result<Generated> {
    let steps = options.steps;
    let list_text = match options.list_rows {
        None => LIST_TEXT.to_string(),
        Some(rows) => {
            let mut text = String::from("nama,hp,provinsi\n");
            for r in 0..rows {
                text.push_str(&format!("Penerima {r},+62812{r:08},Jawa Barat\n"));
            }
            text
        }
    };
    let list_sha = digest::sha256(list_text.as_bytes());
    let rows = options.list_rows.unwrap_or(3);
    let root = root.to_path_buf();
    if root.exists() {
        bail!("{} exists; give a new folder", root.display());
    }
    std::fs::create_dir_all(&root)?;
    git(&root, &["init", "-q", "-b", "main"])?;

    let key_dir = root.join(workspace::STATE_DIR).join("bench-keys");
    std::fs::create_dir_all(&key_dir)?;
    let mut signers = Vec::new();
    let mut people = Vec::new();
    for (name, roles, phone) in PEOPLE {
        let generated = keys::generate(name, None)?;
        let stem = name.to_lowercase().replace(' ', "-");
        let path = key_dir.join(format!("{stem}.key"));
        std::fs::write(&path, &generated.secret_file)?;
        std::fs::write(key_dir.join(format!("{stem}.pub")), &generated.public_file)?;
        let key = SigningKey::load(&path, None)?;
        people.push(Person {
            name: name.to_string(),
            key: key.id().to_string(),
            public_key: keys::public_base64(key.public()),
            roles: roles.to_vec(),
            phone: Some(phone.to_string()),
        });
        signers.push(key);
    }
    let start: DateTime<FixedOffset> = "2026-12-07T09:00:00+07:00".parse()?;
    let doc = RegistryDoc {
        schema: registry::SCHEMA.into(),
        repo_id: digest::random_hex(16),
        version: 1,
        previous: None,
        created: start - Duration::days(1),
        drill: true,
        admin_threshold: 1,
        people,
        revoked: Vec::new(),
    };
    let repo_id = doc.repo_id.clone();
    let mut first: Files = registry::signed_files(doc, &[&signers[0]])?;
    let anchor = format!("{repo_id}@{}", digest::sha256(&first[0].1));
    first.extend([
        (PathBuf::from(workspace::CONFIG_FILE), CONFIG.into()),
        (PathBuf::from(".gitignore"), b"/.sms-bcast/\n".to_vec()),
        (PathBuf::from(LIST), list_text.into_bytes()),
        // The real holiday files, so `check` counts working days as in production.
        (PathBuf::from("calendar/2026.yaml"), CALENDAR_2026.into()),
        (PathBuf::from("calendar/2027.yaml"), CALENDAR_2027.into()),
    ]);
    write_files(&root, &first)?;
    let registry = Registry::load(&root)?;

    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&root)
        .stdin(Stdio::piped())
        .spawn()
        .context("cannot run git fast-import")?;
    let mut stream = std::io::BufWriter::new(import.stdin.take().expect("piped"));
    commit(&mut stream, "Benchmark workspace", &first, 0)?;
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    for batch_start in (0..n).step_by(PER_COMMIT) {
        let batch: Vec<usize> = (batch_start..n.min(batch_start + PER_COMMIT)).collect();
        let per_thread = batch.len().div_ceil(threads);
        let files: Files = std::thread::scope(|scope| {
            let workers: Vec<_> = batch
                .chunks(per_thread)
                .map(|chunk| {
                    let (registry, signers, list) =
                        (&registry, &signers, (list_sha.as_str(), rows));
                    scope.spawn(move || -> Result<Files> {
                        let mut files = Vec::new();
                        for &i in chunk {
                            files.extend(request(registry, signers, start, i, steps, list)?);
                        }
                        Ok(files)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().expect("signing thread panicked"))
                .collect::<Result<Vec<Files>>>()
                .map(|v| v.concat())
        })?;
        write_files(&root, &files)?;
        let subject = format!(
            "Benchmark requests {}-{}",
            batch[0] + 1,
            batch[batch.len() - 1] + 1
        );
        commit(&mut stream, &subject, &files, batch_start + 1)?;
    }
    stream.flush()?;
    drop(stream);
    if !import.wait()?.success() {
        bail!("git fast-import failed");
    }
    // The index matches HEAD; git refreshes stat data on first use.
    git(&root, &["read-tree", "HEAD"])?;
    Ok(Generated { anchor, key_dir })
}

/// The files of request number `i`: its form and `steps` signed records.
fn request(
    registry: &Registry,
    signers: &[SigningKey],
    start: DateTime<FixedOffset>,
    i: usize,
    steps: usize,
    (list_sha, rows): (&str, usize),
) -> Result<Files> {
    let id = format!("20261207-bench-{i:07}");
    let form = format!(
        "unit: TA USK KMP\nrequester: Ani Staf\ncontact_phone: \"+6281200000003\"\ntitle: Jadwal verifikasi {i}\nmessage: |\n  Yth. ((nama)), verifikasi BLM hari Senin pukul 09.00 di kantor kecamatan.\nrecipients:\n  - list: {LIST}\njustification: Jadwal berubah; semua fasilitator harus tahu.\n"
    );
    let form_sha = digest::sha256(form.as_bytes());
    let t0 = start + Duration::seconds(i as i64);
    let person = |index: usize| &registry.latest().doc.people[index];
    // (kind, role, signer index, minutes after submission)
    let plan = [
        (Kind::Submit, Role::Requester, 2, 0),
        (Kind::Approve, Role::Advisor, 1, 60),
        (Kind::Approve, Role::Decider, 0, 120),
        (Kind::Claim, Role::Operator, 3, 180),
        (Kind::Sent, Role::Operator, 3, 185),
    ];
    let mut files: Files = vec![(
        PathBuf::from(record::request_file(&id, 1)),
        form.into_bytes(),
    )];
    let mut previous = None;
    for &(kind, role, who, minutes) in &plan[..steps] {
        let time = t0 + Duration::minutes(minutes);
        let mut statement = Statement::new(
            Draft {
                kind,
                role,
                request_id: &id,
                revision: 1,
                request_sha256: form_sha.clone(),
                previous: previous.clone(),
                time,
                drill_clock: true,
            },
            registry,
            person(who),
        );
        statement.facts = facts(kind, time, rows);
        if kind == Kind::Submit {
            statement.lists = vec![ListDigest {
                list: LIST.into(),
                sha256: list_sha.to_string(),
                filter: BTreeMap::new(),
            }];
        }
        let signed = statement.sign(&signers[who])?;
        previous = Some(signed.sha256());
        files.extend(signed.files());
    }
    Ok(files)
}

/// The agreed facts a submission and a sent record carry; `rows` is the
/// list's length (`send` refuses more recipients than were approved).
fn facts(kind: Kind, time: DateTime<FixedOffset>, rows: usize) -> BTreeMap<String, String> {
    let pairs: Vec<(&str, String)> = match kind {
        Kind::Submit => vec![
            ("recipients", rows.to_string()),
            ("parts", "3".into()),
            ("cost_idr", "1050".into()),
            ("encoding", "gsm7".into()),
        ],
        Kind::Sent => vec![
            ("gateway", "outbox".into()),
            ("accepted", rows.to_string()),
            ("failed", "0".into()),
            ("unknown", "0".into()),
            ("pending", "0".into()),
            ("started", (time - Duration::minutes(5)).to_rfc3339()),
            ("finished", time.to_rfc3339()),
            ("ledger_sha256", digest::sha256(b"bench ledger")),
            ("results_file", String::new()),
        ],
        _ => vec![],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn write_files(root: &Path, files: &Files) -> Result<()> {
    for (path, bytes) in files {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// One commit on `main` in the fast-import stream, with the files inline.
fn commit(out: &mut impl Write, subject: &str, files: &Files, seconds: usize) -> Result<()> {
    let when = 1_796_616_000 + seconds;
    writeln!(out, "commit refs/heads/main")?;
    writeln!(out, "committer Bench <bench@example.invalid> {when} +0700")?;
    writeln!(out, "data {}\n{subject}", subject.len())?;
    for (path, bytes) in files {
        writeln!(out, "M 100644 inline {}", path.display())?;
        writeln!(out, "data {}", bytes.len())?;
        out.write_all(bytes)?;
        writeln!(out)?;
    }
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .status()
        .context("cannot run git")?;
    if !status.success() {
        bail!("git {args:?} failed");
    }
    Ok(())
}
