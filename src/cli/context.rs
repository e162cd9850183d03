//! What most commands need: the workspace, the trusted registry, the signing
//! key and the time, plus committing a signed record.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sms_bcast::clock::{self, SigningTime};
use sms_bcast::gitstore;
use sms_bcast::keys::SigningKey;
use sms_bcast::lifecycle::Analysis;
use sms_bcast::record::SignedRecord;
use sms_bcast::record::{Draft, Kind, Statement};
use sms_bcast::registry::{Person, Registry, Role};
use sms_bcast::trust;
use sms_bcast::workspace::Workspace;

use super::Cli;

pub const KEY_PASSWORD_VAR: &str = "SMS_BCAST_KEY_PASSWORD";

/// The signing key option every signing command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct KeyArgs {
    /// Your minisign secret key file (made by `sms-bcast keygen`).
    #[arg(long, env = "SMS_BCAST_KEY", value_name = "FILE")]
    pub key: PathBuf,
}

pub fn open_workspace(cli: &Cli) -> Result<Workspace> {
    Ok(Workspace::open(&cli.workspace_dir())?)
}

/// The registry, checked from the pinned trust anchor; refuses a rolled-back one.
pub fn trusted_registry(cli: &Cli, ws: &Workspace) -> Result<Registry> {
    // An earlier command killed mid-commit may have left HEAD ahead of the work tree.
    let restored = gitstore::restore_committed(&ws.root)?;
    if !restored.is_empty() {
        eprintln!(
            "note: restored {} committed file(s) an interrupted command had not written out",
            restored.len()
        );
    }
    let registry = Registry::load(&ws.root)?;
    let anchor = trust::find_anchor(cli.trust.as_deref(), registry.repo_id())?;
    Ok(registry.trusted(&ws.root, &anchor)?)
}

/// A secret key's password: `SMS_BCAST_KEY_PASSWORD`, else a prompt on the terminal.
pub fn key_password(path: &Path) -> Result<Option<String>> {
    if !SigningKey::needs_password(path)? {
        return Ok(None);
    }
    if let Ok(pw) = std::env::var(KEY_PASSWORD_VAR) {
        return Ok(Some(pw));
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "{} is password-protected and no terminal is available to ask for the password\n  hint: set {KEY_PASSWORD_VAR} in the environment",
            path.display()
        );
    }
    let pw = rpassword::prompt_password(format!("Password for {}: ", path.display()))
        .context("could not read the password")?;
    Ok(Some(pw))
}

pub fn load_key(path: &Path) -> Result<SigningKey> {
    let password = key_password(path)?;
    Ok(SigningKey::load(path, password)?)
}

/// Everything a signing command starts from.
pub struct Signing {
    pub ws: Workspace,
    pub registry: Registry,
    pub key: SigningKey,
    pub person: Person,
    pub role: Role,
}

/// Opens the workspace and its trusted registry, loads the key, and finds its
/// holder and the role (of `allowed`, or `asked`) they act in.
pub fn signing(cli: &Cli, key: &KeyArgs, allowed: &[Role], asked: Option<Role>) -> Result<Signing> {
    let ws = open_workspace(cli)?;
    let registry = trusted_registry(cli, &ws)?;
    let key = load_key(&key.key)?;
    let person = signer(&registry, &key)?.clone();
    let role = acting_role(&person, allowed, asked)?;
    Ok(Signing {
        ws,
        registry,
        key,
        person,
        role,
    })
}

/// The signer, who must be in the latest registry version.
pub fn signer<'a>(registry: &'a Registry, key: &SigningKey) -> Result<&'a Person> {
    let latest = &registry.latest().doc;
    if let Some(person) = latest.person_by_key(key.id()) {
        return Ok(person);
    }
    if let Some(revoked) = latest.revoked.iter().find(|r| r.key == key.id()) {
        bail!(
            "the key {} of {} was revoked on {} ({})\n  hint: ask an admin to register your new key (`sms-bcast roles add`)",
            key.id(),
            revoked.name,
            revoked.at,
            revoked.reason
        );
    }
    bail!(
        "the key {} is not in the registry\n  hint: ask an admin to add it: `sms-bcast roles add --name NAME --public-key YOUR.pub --role ROLE`",
        key.id()
    )
}

/// The role a signer acts in: the one asked for, or the only one of `allowed` it holds.
pub fn acting_role(person: &Person, allowed: &[Role], asked: Option<Role>) -> Result<Role> {
    let held: Vec<Role> = allowed
        .iter()
        .copied()
        .filter(|r| person.roles.contains(r))
        .collect();
    match (asked, held.as_slice()) {
        (Some(role), _) if held.contains(&role) => Ok(role),
        (Some(role), _) => bail!(
            "{} does not hold the {role} role\n  hint: `sms-bcast roles list` shows who holds which role",
            person.name
        ),
        (None, [one]) => Ok(*one),
        (None, []) => bail!(
            "{} holds none of the roles that may do this ({})\n  hint: `sms-bcast roles list` shows who holds which role",
            person.name,
            allowed
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (None, many) => bail!(
            "{} holds several roles that may do this ({}); say which with `--as ROLE`",
            person.name,
            many.iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The time to record; warns when `SMS_BCAST_NOW` is ignored outside a drill.
pub fn signing_time(ws: &Workspace, registry: &Registry) -> Result<SigningTime> {
    let time = clock::signing_now(registry.drill(), ws.zone)?;
    if time.ignored_override {
        eprintln!(
            "warning: {} is ignored: this workspace is not a drill; the real clock is used",
            clock::NOW_VAR
        );
    }
    Ok(time)
}

/// Commits a signed record (and `extra` files) as one commit with trailers.
pub fn commit_record(
    ws: &Workspace,
    record: &SignedRecord,
    extra: Vec<(PathBuf, Vec<u8>)>,
    subject: &str,
) -> Result<()> {
    let s = &record.statement;
    let mut files = extra;
    files.extend(record.files());
    let message = gitstore::message(
        subject,
        &[
            ("Sms-Bcast-Request", s.request_id.clone()),
            (
                "Sms-Bcast-Step",
                format!("{} {} r{}", s.kind, s.role, s.revision),
            ),
            (
                "Sms-Bcast-Signer",
                format!("{} {}", s.signer_name, s.signer),
            ),
            ("Sms-Bcast-Statement", record.sha256()),
        ],
    );
    gitstore::commit_files(&ws.root, &files, &message, &s.signer_name, &s.signer)?;
    Ok(())
}

impl Signing {
    /// A statement for the next step on an existing request, linked to its head.
    pub fn statement(
        &self,
        analysis: &Analysis,
        kind: Kind,
        revision: u32,
        request_sha256: String,
    ) -> Result<Statement> {
        let time = signing_time(&self.ws, &self.registry)?;
        if let Some(head) = analysis.head_time()
            && time.at < head
        {
            bail!(
                "this machine's clock ({}) is behind the request's last record ({head})\n  hint: set the clock right (records are never dated before the one they follow)",
                time.at
            );
        }
        Ok(Statement::new(
            Draft {
                kind,
                role: self.role,
                request_id: &analysis.id,
                revision,
                request_sha256,
                previous: analysis.head(),
                time: time.at,
                drill_clock: time.drill_clock,
            },
            &self.registry,
            &self.person,
        ))
    }

    /// A statement for a step on the current revision.
    pub fn step(&self, analysis: &Analysis, kind: Kind) -> Result<Statement> {
        self.statement(analysis, kind, analysis.revision, analysis.current_sha256())
    }

    /// Loads request `id` and refuses `kind` if the procedure does not allow it now.
    pub fn request(&self, id: &str, kind: Kind) -> Result<Analysis> {
        let analysis = Analysis::load(&self.ws.root, &self.registry, id)?;
        analysis.check_step(kind, self.role, &self.person.name)?;
        Ok(analysis)
    }
}
