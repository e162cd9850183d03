//! `sms-bcast revise ID FORM`: a new revision; earlier reviews stop counting.

use std::path::PathBuf;

use anyhow::Result;
use sms_bcast::digest;
use sms_bcast::record::{self, Kind};
use sms_bcast::registry::Role;

use crate::cli::commands::submit;
use crate::cli::context::{self, KeyArgs};
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The request to revise.
    pub id: String,
    /// The new form (YAML).
    pub form: PathBuf,
    #[command(flatten)]
    pub key: KeyArgs,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let signing = context::signing(cli, &args.key, &[Role::Requester], None)?;
    let ws = &signing.ws;
    let analysis = signing.request(&args.id, Kind::Revise)?;
    let prepared = submit::read_form(ws, &args.form, &signing.person)?;
    let revision = analysis.revision + 1;
    let mut statement = signing.statement(
        &analysis,
        Kind::Revise,
        revision,
        digest::sha256(&prepared.bytes),
    )?;
    statement.lists = prepared.lists.clone();
    statement.facts = prepared.facts.clone();
    let signed = statement.sign(&signing.key)?;
    let form_file = PathBuf::from(record::request_file(&args.id, revision));
    let summary = submit::summary(&prepared, &ws.config.sms);
    context::commit_record(
        ws,
        &signed,
        vec![(form_file, prepared.bytes)],
        &format!("Revise request {} (revision {revision})", args.id),
    )?;
    outln!("{} revision {revision}: reviews start again.", args.id);
    eprintln!(
        "{summary}\n  see who gets what: sms-bcast preview {}",
        args.id
    );
    Ok(Status::Success)
}
