//! `sms-bcast notify [ID]`: delivers queued notices through the workspace's
//! notification gateway, each exactly once, and commits the deliveries.

use std::path::PathBuf;

use anyhow::{Context, Result};
use sms_bcast::gateway::{self, Outcome, OutgoingSms};
use sms_bcast::lifecycle::{self, Analysis};
use sms_bcast::notice::{self, Delivered, Delivery, Journal, Plan};
use sms_bcast::send::mask_phone;
use sms_bcast::{gitstore, smstext};

use crate::cli::context;
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the notices of this request (default: every request).
    pub id: Option<String>,
    /// Gateway to deliver through (default: `notify.gateway` in sms-bcast.yaml, else `outbox`).
    #[arg(long, value_name = "NAME")]
    pub gateway: Option<String>,
    /// Send again the notices whose delivery is unknown (a timeout, or a crash
    /// after sending). Their recipients may get them twice.
    #[arg(long)]
    pub resend_unknown: bool,
}

#[derive(Default)]
struct Tally {
    delivered: usize,
    failed: usize,
    unknown: usize,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let ws = context::open_workspace(cli)?;
    let registry = context::trusted_registry(cli, &ws)?;
    let ids = match &args.id {
        Some(id) => {
            sms_bcast::workspace::check_request_id(id)?;
            if !ws.request_dir(id).is_dir() {
                anyhow::bail!(
                    "there is no request {id}\n  hint: `sms-bcast list` shows the requests of this workspace"
                );
            }
            vec![id.clone()]
        }
        None => lifecycle::request_ids(&ws.root)?,
    };
    let rules = ws.config.recipients.number_rules()?;
    let name = args.gateway.as_deref().unwrap_or(&ws.config.notify.gateway);
    let gateway = gateway::configured(&ws.config.gateways, name, &ws.state_dir())?;
    let journal = Journal::open(&ws.state_dir())?;
    let now = context::signing_time(&ws, &registry)?.at;

    let mut tally = Tally::default();
    // Delivery records for this run's one commit, and the journal marks they settle.
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for id in &ids {
        let queued = notice::queued(&ws.root, id)?;
        if queued.is_empty() {
            continue;
        }
        let analysis = Analysis::load(&ws.root, &registry, id)?;
        for q in queued {
            let notice = match q.notice {
                Ok(n) => n,
                Err(why) => {
                    tally.failed += 1;
                    progress!("failed     {}: {why}", q.path.display());
                    continue;
                }
            };
            let whole = notice::delivery_path(id, &q.stem, None);
            if notice::recorded(&ws.root, &whole).is_some() {
                continue;
            }
            let plan = match notice::plan(&ws.root, &registry, &analysis, &notice, &rules) {
                Ok(plan) => plan,
                Err(why) => {
                    tally.failed += 1;
                    progress!("failed     {id} {}: {why}", q.stem);
                    continue;
                }
            };
            let (text, targets) = match plan {
                Plan::Stale { why } => {
                    progress!("stale      {id} {}: {why}; not sent", q.stem);
                    let record = Delivery {
                        schema: notice::DELIVERY_SCHEMA.into(),
                        request_id: id.clone(),
                        notice: q.stem.clone(),
                        to: String::new(),
                        phone: String::new(),
                        outcome: Delivered::Stale,
                        gateway: String::new(),
                        message_id: None,
                        detail: why,
                        at: now,
                        text: String::new(),
                    };
                    files.push(record.file(whole));
                    continue;
                }
                Plan::Send { text, targets } => (text, targets),
            };
            for target in targets {
                let path = notice::delivery_path(id, &q.stem, Some(&target.person));
                let label = format!("{id} {} → {}", q.stem, target.person);
                let recorded = notice::recorded(&ws.root, &path);
                if matches!(recorded, Some(Delivered::Accepted | Delivered::Stale)) {
                    continue;
                }
                let in_doubt = recorded == Some(Delivered::Unknown) || journal.is_marked(&path);
                let phone = match &target.phone {
                    Ok(phone) => phone.clone(),
                    Err(why) => {
                        tally.failed += 1;
                        progress!("failed     {label}: {why}");
                        continue;
                    }
                };
                let masked = mask_phone(phone.as_str());
                let mut record = Delivery {
                    schema: notice::DELIVERY_SCHEMA.into(),
                    request_id: id.clone(),
                    notice: q.stem.clone(),
                    to: target.person.clone(),
                    phone: masked.clone(),
                    outcome: Delivered::Unknown,
                    gateway: gateway.name().to_string(),
                    message_id: None,
                    detail: String::new(),
                    at: now,
                    text: text.clone(),
                };
                if in_doubt && !args.resend_unknown {
                    tally.unknown += 1;
                    progress!(
                        "unknown    {label} {masked}: may have been sent before; not resent (`--resend-unknown` sends it again)"
                    );
                    if recorded.is_none() {
                        // A crash after sending: record the doubt so other clones do not send either.
                        record.detail = "in flight when an earlier notify stopped".into();
                        files.push(record.file(path));
                    }
                    continue;
                }
                journal.mark(&path)?;
                let reference = format!("notice:{}", path.display());
                let outcome = gateway.send(&OutgoingSms {
                    to: phone.as_str(),
                    text: &text,
                    encoding: smstext::encoding_of(&text),
                    reference: &reference,
                });
                match outcome {
                    Outcome::Accepted { message_id } => {
                        tally.delivered += 1;
                        progress!("delivered  {label} {masked}");
                        record.outcome = Delivered::Accepted;
                        record.message_id = message_id;
                        files.push(record.file(path));
                    }
                    Outcome::Unknown { detail } => {
                        // The adapters sanitise already; this record is committed for good.
                        let detail = gateway::sanitise(&detail, &[]);
                        tally.unknown += 1;
                        progress!("unknown    {label} {masked}: {detail}; not resent");
                        record.detail = detail;
                        files.push(record.file(path));
                    }
                    Outcome::Throttled { detail, .. }
                    | Outcome::TemporaryFailure { detail }
                    | Outcome::PermanentFailure { detail } => {
                        // Not taken: nothing to record; the next run tries again.
                        tally.failed += 1;
                        let detail = gateway::sanitise(&detail, &[]);
                        progress!("failed     {label} {masked}: {detail}");
                        journal.clear(&path)?;
                    }
                }
            }
        }
    }

    if !files.is_empty() {
        let message = gitstore::message(
            &format!("Record {} notice delivery(ies)", files.len()),
            &[("Sms-Bcast-Gateway", gateway.name().to_string())],
        );
        gitstore::commit_files(&ws.root, &files, &message, "sms-bcast notify", "notify")
            .context("the deliveries were made but could not be committed; the next `notify` reports them as unknown")?;
        for (path, _) in &files {
            journal.clear(path)?;
        }
    }
    outln!(
        "{} delivered, {} failed, {} unknown",
        tally.delivered,
        tally.failed,
        tally.unknown
    );
    Ok(if tally.failed + tally.unknown == 0 {
        Status::Success
    } else {
        Status::Problems
    })
}
