//! `sms-bcast withdraw ID`: the requester takes the request back.

use anyhow::Result;
use sms_bcast::lifecycle::Analysis;
use sms_bcast::record::Kind;
use sms_bcast::registry::Role;

use crate::cli::context::{self, KeyArgs};
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The request to withdraw.
    pub id: String,
    /// Why (optional; kept in the record).
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub key: KeyArgs,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let context::Signing {
        ws,
        registry,
        key,
        person,
        role,
    } = context::signing(cli, &args.key, &[Role::Requester], None)?;
    let person = &person;
    let analysis = Analysis::load(&ws.root, &registry, &args.id)?;
    analysis.check_step(Kind::Withdraw, role, &person.name)?;
    let current = analysis
        .revision_statement()
        .map(|s| s.request_sha256.clone())
        .unwrap_or_default();
    let mut statement = context::next_statement(
        &ws,
        &registry,
        &analysis,
        person,
        Kind::Withdraw,
        role,
        analysis.revision,
        current,
    )?;
    statement.reason = args.reason.clone().filter(|r| !r.trim().is_empty());
    let signed = statement.sign(&key)?;
    context::commit_record(
        &ws,
        &signed,
        Vec::new(),
        &format!("Withdraw request {}", args.id),
    )?;
    outln!("{} withdrawn.", args.id);
    Ok(Status::Success)
}
