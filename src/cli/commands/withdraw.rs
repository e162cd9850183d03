//! `sms-bcast withdraw ID`: the requester takes the request back.

use anyhow::Result;
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
    let signing = context::signing(cli, &args.key, &[Role::Requester], None)?;
    let analysis = signing.request(&args.id, Kind::Withdraw)?;
    let mut statement = signing.step(&analysis, Kind::Withdraw)?;
    statement.reason = args.reason.clone().filter(|r| !r.trim().is_empty());
    let signed = statement.sign(&signing.key)?;
    context::commit_record(
        &signing.ws,
        &signed,
        Vec::new(),
        &format!("Withdraw request {}", args.id),
    )?;
    outln!("{} withdrawn.", args.id);
    Ok(Status::Success)
}
