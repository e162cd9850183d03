//! `sms-bcast approve ID` and `sms-bcast reject ID --reason TEXT`: a reviewer's
//! signed decision. The advisor (Team Leader) acts first, then the decider (Satker).

use anyhow::{Result, bail};
use sms_bcast::notice;
use sms_bcast::record::Kind;
use sms_bcast::registry::Role;

use crate::cli::context::{self, KeyArgs};
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The request to approve.
    pub id: String,
    /// The role to act in, when your key holds both advisor and decider.
    #[arg(long = "as", value_name = "ROLE")]
    pub role: Option<Role>,
    #[command(flatten)]
    pub key: KeyArgs,
}

#[derive(Debug, clap::Args)]
pub struct RejectArgs {
    /// The request to reject.
    pub id: String,
    /// Why; sent to the requester.
    #[arg(long)]
    pub reason: String,
    /// The role to act in, when your key holds both advisor and decider.
    #[arg(long = "as", value_name = "ROLE")]
    pub role: Option<Role>,
    #[command(flatten)]
    pub key: KeyArgs,
}

pub fn approve(cli: &Cli, args: &ApproveArgs) -> Result<Status> {
    decide(cli, &args.id, Kind::Approve, None, args.role, &args.key)
}

pub fn reject(cli: &Cli, args: &RejectArgs) -> Result<Status> {
    if args.reason.trim().is_empty() {
        bail!(
            "--reason is empty\n  hint: say why, e.g. --reason \"the list is out of date\"; the requester receives it"
        );
    }
    decide(
        cli,
        &args.id,
        Kind::Reject,
        Some(args.reason.trim()),
        args.role,
        &args.key,
    )
}

fn decide(
    cli: &Cli,
    id: &str,
    kind: Kind,
    reason: Option<&str>,
    asked: Option<Role>,
    key: &KeyArgs,
) -> Result<Status> {
    let signing = context::signing(cli, key, &[Role::Advisor, Role::Decider], asked)?;
    let analysis = signing.request(id, kind)?;
    let mut statement = signing.step(&analysis, kind)?;
    let (ws, role) = (&signing.ws, signing.role);
    statement.reason = reason.map(str::to_string);
    let signed = statement.sign(&signing.key)?;
    let verb = if kind == Kind::Approve {
        "Approve"
    } else {
        "Reject"
    };
    // Notices are only queued here, in the decision's own commit; delivery
    // (`sms-bcast notify`) happens elsewhere, so it can never fail a decision.
    let notices = notice::for_decision(&signed, &signing.registry);
    context::commit_record(
        ws,
        &signed,
        notices.iter().map(notice::Notice::file).collect(),
        &format!("{verb} request {id} as {role}"),
    )?;
    match (kind, role) {
        (Kind::Approve, Role::Advisor) => {
            outln!("{id}: approved by the advisor; awaiting the decider.")
        }
        (Kind::Approve, _) => {
            outln!("{id}: approved by the decider; ready for the operator to send.")
        }
        _ => outln!("{id}: rejected by the {role}; the requester may revise or withdraw it."),
    }
    if !notices.is_empty() {
        outln!(
            "{} notice(s) queued; `sms-bcast notify` delivers them.",
            notices.len()
        );
    } else if (kind, role) == (Kind::Approve, Role::Decider) {
        eprintln!(
            "warning: no operator in the registry has a phone, so none is notified\n  hint: an admin sets it with `sms-bcast roles add --name NAME --public-key KEY --role operator --phone NUMBER`"
        );
    }
    Ok(Status::Success)
}
