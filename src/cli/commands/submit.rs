//! `sms-bcast submit FORM`: check a request form, give it an id, sign, commit.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sms_bcast::record::{self, Draft, Kind, ListDigest, Statement};
use sms_bcast::registry::{Person, Role};
use sms_bcast::request::Form;
use sms_bcast::workspace::Workspace;
use sms_bcast::{digest, keys};

use crate::cli::context::{self, KeyArgs};
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The filled-in request form (YAML; `sms-bcast form` prints a blank one).
    pub form: PathBuf,
    #[command(flatten)]
    pub key: KeyArgs,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let ws = context::open_workspace(cli)?;
    let registry = context::trusted_registry(cli, &ws)?;
    let key = context::load_key(&args.key.key)?;
    let person = context::signer(&registry, &key)?;
    context::acting_role(person, &[Role::Requester], None)?;
    let (form_bytes, lists) = read_form(&ws, &args.form, person)?;
    let time = context::signing_time(&ws, &registry)?;
    let id = format!(
        "{}-{}-{}",
        time.at.format("%Y%m%d"),
        &keys::short_id(key.id())[..6],
        digest::random_hex(2)
    );
    if ws.request_dir(&id).exists() {
        bail!("request id {id} is taken\n  hint: submit again; ids are random");
    }
    let mut statement = Statement::new(
        Draft {
            kind: Kind::Submit,
            role: Role::Requester,
            request_id: &id,
            revision: 1,
            request_sha256: digest::sha256(&form_bytes),
            previous: None,
            time: time.at,
            drill_clock: time.drill_clock,
        },
        &registry,
        person,
    );
    statement.lists = lists;
    let signed = statement.sign(&key)?;
    let form_file = PathBuf::from(record::request_file(&id, 1));
    context::commit_record(
        &ws,
        &signed,
        vec![(form_file, form_bytes)],
        &format!("Submit request {id}"),
    )?;
    println!("{id}");
    Ok(Status::Success)
}

/// Reads and checks a form for `person`; returns its bytes and the digests of
/// the recipient lists it uses.
pub fn read_form(
    ws: &Workspace,
    path: &Path,
    person: &Person,
) -> Result<(Vec<u8>, Vec<ListDigest>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the form {}", path.display()))?;
    let form = Form::parse(path, &text)?;
    if form.requester.trim() != person.name {
        bail!(
            "{}:{}:1: requester: `{}` is not the owner of the signing key ({})\n  hint: write your registered name, or sign with your own key",
            path.display(),
            sms_bcast::error::line_of_key(&text, "requester"),
            form.requester,
            person.name
        );
    }
    let mut lists = Vec::new();
    for used in &form.recipients {
        let list_path = ws.root.join(&used.list);
        let bytes = std::fs::read(&list_path).map_err(|_| {
            anyhow::anyhow!(
                "{}:{}:1: recipients.list: {} does not exist in the workspace\n  hint: add the CSV file under recipients/ (and commit it) first",
                path.display(),
                text.lines().position(|l| l.contains(&used.list)).map_or(1, |i| i + 1),
                used.list
            )
        })?;
        lists.push(ListDigest {
            list: used.list.clone(),
            sha256: digest::sha256(&bytes),
            filter: used.filter.clone(),
        });
    }
    Ok((text.into_bytes(), lists))
}
