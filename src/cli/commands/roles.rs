//! `sms-bcast roles add|remove|list`: change or show the trust registry.
//! Every change is a new registry version signed by the admin threshold of the
//! version before it.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use sms_bcast::keys::{self, SigningKey};
use sms_bcast::registry::{self, Person, Registry, RegistryDoc, Revocation, Role};
use sms_bcast::{clock, gitstore};

use crate::cli::context;
use crate::cli::output::Format;
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Register a person (or change the roles and phone of one already registered).
    Add(AddArgs),
    /// Revoke a person's key: their decisions on requests not yet sent stop counting.
    Remove(RemoveArgs),
    /// Show the people, roles and keys of the latest registry version.
    List,
}

#[derive(Debug, clap::Args)]
pub struct AdminKeys {
    /// Admin secret key(s) signing the change; repeat once per admin the threshold needs.
    #[arg(
        long = "key",
        env = "SMS_BCAST_KEY",
        value_name = "FILE",
        required = true
    )]
    pub keys: Vec<PathBuf>,
    /// Also set how many admins must sign the next change.
    #[arg(long, value_name = "N")]
    pub admin_threshold: Option<u32>,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The person's name, as they will write it on request forms.
    #[arg(long)]
    pub name: String,
    /// Their public key: a `.pub` file from `sms-bcast keygen`, or its base64 line.
    #[arg(long, value_name = "FILE|KEY")]
    pub public_key: String,
    /// A role: requester, advisor, decider, operator or admin (repeatable).
    #[arg(long = "role", value_name = "ROLE", required = true)]
    pub roles: Vec<Role>,
    /// Phone for notices, e.g. +6281200001234.
    #[arg(long)]
    pub phone: Option<String>,
    #[command(flatten)]
    pub admin: AdminKeys,
}

#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// The person whose key is revoked.
    #[arg(long)]
    pub name: String,
    /// Why (kept in the registry for audits), e.g. "laptop lost".
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub admin: AdminKeys,
}

pub fn run(cli: &Cli, command: &Command) -> Result<Status> {
    let ws = context::open_workspace(cli)?;
    let registry = context::trusted_registry(cli, &ws)?;
    match command {
        Command::List => {
            list(cli, &registry)?;
            Ok(Status::Success)
        }
        Command::Add(args) => {
            let mut doc = registry.latest().doc.clone();
            registry::check_name(&args.name).map_err(|why| anyhow::anyhow!("--name: {why}\n  hint: give the person's name as it will stand on forms, on one line"))?;
            let phone = args
                .phone
                .as_deref()
                .map(|p| normalise_phone(&ws, p))
                .transpose()?;
            let public = read_public_key(&args.public_key)?;
            let id = keys::key_id(&public);
            if let Some(holder) = doc
                .people
                .iter()
                .find(|p| p.key == id && p.name != args.name)
            {
                bail!(
                    "that key is already registered to {}\n  hint: every person signs with a key of their own; `sms-bcast keygen` makes one",
                    holder.name
                );
            }
            if doc.is_revoked(&id) {
                bail!(
                    "that key was revoked; a revoked key is never registered again\n  hint: the person makes a new key with `sms-bcast keygen`"
                );
            }
            match doc.people.iter_mut().find(|p| p.name == args.name) {
                Some(person) if person.key != id => bail!(
                    "{} is registered with another key ({})\n  hint: revoke the old key first: `sms-bcast roles remove --name \"{}\" --reason ...`",
                    args.name,
                    person.key,
                    args.name
                ),
                Some(person) => {
                    person.roles = args.roles.clone();
                    person.phone = phone.or(person.phone.take());
                }
                None => doc.people.push(Person {
                    name: args.name.clone(),
                    key: id,
                    public_key: keys::public_base64(&public),
                    roles: args.roles.clone(),
                    phone,
                }),
            }
            change(
                cli,
                &ws,
                &registry,
                doc,
                &args.admin,
                &format!("Register {}", args.name),
            )
        }
        Command::Remove(args) => {
            let mut doc = registry.latest().doc.clone();
            let Some(position) = doc.people.iter().position(|p| p.name == args.name) else {
                bail!(
                    "{} is not registered\n  hint: `sms-bcast roles list` shows who is",
                    args.name
                );
            };
            if args.reason.trim().is_empty() {
                bail!(
                    "--reason is empty\n  hint: say why the key is revoked, e.g. --reason \"laptop lost\""
                );
            }
            let person = doc.people.remove(position);
            let admins_left = doc.holders(Role::Admin).count() as u32;
            if admins_left == 0 {
                bail!(
                    "{} is the last admin; without an admin nobody could change the registry again\n  hint: register another admin first (`roles add --role admin`), then remove this one",
                    args.name
                );
            }
            if args.admin.admin_threshold.unwrap_or(doc.admin_threshold) > admins_left {
                bail!(
                    "removing {} leaves {admins_left} admin(s) but {} must sign each change\n  hint: lower the threshold in the same change with --admin-threshold {admins_left}, or register another admin first",
                    args.name,
                    doc.admin_threshold
                );
            }
            let time = context::signing_time(&ws, &registry)?;
            doc.revoked.push(Revocation {
                name: person.name.clone(),
                key: person.key,
                at: time.at,
                reason: args.reason.clone(),
            });
            change(
                cli,
                &ws,
                &registry,
                doc,
                &args.admin,
                &format!("Revoke the key of {}", args.name),
            )
        }
    }
}

fn change(
    cli: &Cli,
    ws: &sms_bcast::workspace::Workspace,
    registry: &Registry,
    mut doc: RegistryDoc,
    admin: &AdminKeys,
    subject: &str,
) -> Result<Status> {
    let _ = cli;
    let keys: Vec<SigningKey> = admin
        .keys
        .iter()
        .map(|k| context::load_key(k))
        .collect::<Result<_>>()?;
    let refs: Vec<&SigningKey> = keys.iter().collect();
    if let Some(n) = admin.admin_threshold {
        doc.admin_threshold = n;
    }
    doc.created = clock::signing_now(registry.drill(), ws.zone)?
        .at
        .max(registry.latest().doc.created);
    let files = registry.next_version(doc, &refs)?;
    let version = registry.latest().doc.version + 1;
    let signer = registry
        .latest()
        .doc
        .person_by_key(keys[0].id())
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let message = gitstore::message(subject, &[("Sms-Bcast-Registry", format!("v{version}"))]);
    gitstore::commit_files(&ws.root, &files, &message, &signer, keys[0].id())?;
    sms_bcast::trust::remember_highest(registry.repo_id(), version)?;
    outln!("{subject}: registry version {version}.");
    Ok(Status::Success)
}

/// A phone for notices, in E.164, checked like the numbers of recipient lists.
pub fn normalise_phone(ws: &sms_bcast::workspace::Workspace, given: &str) -> Result<String> {
    let rules = ws.config.recipients.number_rules()?;
    sms_bcast::phone::normalise(given, &rules)
        .map(|n| n.as_str().to_string())
        .map_err(|e| {
            anyhow::anyhow!(
                "--phone `{given}`: {e}\n  hint: give a mobile number such as +6281200001234"
            )
        })
}

fn read_public_key(given: &str) -> Result<minisign::PublicKey> {
    let text = if std::path::Path::new(given).is_file() {
        std::fs::read_to_string(given).with_context(|| format!("cannot read {given}"))?
    } else {
        given.to_string()
    };
    keys::parse_public_key(&text).map_err(|e| {
        anyhow::anyhow!("`{given}` is not a minisign public key: {e}\n  hint: pass the `.pub` file made by `sms-bcast keygen`")
    })
}

fn list(cli: &Cli, registry: &Registry) -> Result<()> {
    let doc = &registry.latest().doc;
    match Format::or_table(cli.format) {
        Format::Json => {
            let value = serde_json::json!({
                "version": doc.version,
                "admin_threshold": doc.admin_threshold,
                "people": doc.people.iter().map(|p| serde_json::json!({
                    "name": p.name, "key": p.key, "roles": p.roles, "phone": p.phone,
                })).collect::<Vec<_>>(),
                "revoked": doc.revoked.iter().map(|r| serde_json::json!({
                    "name": r.name, "key": r.key, "at": r.at.to_rfc3339(), "reason": r.reason,
                })).collect::<Vec<_>>(),
            });
            outln!("{}", serde_json::to_string_pretty(&value)?);
        }
        _ => {
            let mut table = crate::cli::output::table();
            table.set_header(["name", "roles", "key", "phone"]);
            for p in &doc.people {
                table.add_row([
                    p.name.clone(),
                    p.roles
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    keys::short_id(&p.key).to_string(),
                    p.phone.clone().unwrap_or_default(),
                ]);
            }
            outln!(
                "Registry version {} (admin threshold {})",
                doc.version,
                doc.admin_threshold
            );
            outln!("{table}");
            for r in &doc.revoked {
                outln!(
                    "revoked: {} ({}) on {}: {}",
                    r.name,
                    keys::short_id(&r.key),
                    r.at.to_rfc3339(),
                    r.reason
                );
            }
        }
    }
    Ok(())
}
