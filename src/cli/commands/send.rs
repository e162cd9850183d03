//! `sms-bcast send ID`: the operator sends an approved request through a gateway.
//!
//! Order of a send: the gate (refusals are exit 2) → the ledger is opened and
//! locked → a signed claim record is committed (first run only) → the engine
//! sends → when no recipient is pending, a signed sent record and the
//! per-recipient results are committed together.
//!
//! Resume after a crash: the request is in stage `sending`, the claim is signed
//! by this operator, and the ledger `.sms-bcast/ledger/<ID>.ledger` is on this
//! machine; `send ID` then continues without a new claim. A claim without a
//! local ledger (another clone or machine) refuses: only `--abandon` can close it.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, FixedOffset};
use sms_bcast::gateway::{self, Gateway, GatewayConfig, OutboxConfig, Outcome, OutgoingSms};
use sms_bcast::ledger::{Counts, Ledger, LedgerHeader, RecipientState};
use sms_bcast::lifecycle::{Analysis, Stage};
use sms_bcast::recipients::{FilterValue, Resolution, Resolver, RowProblem, Selection};
use sms_bcast::record::Kind;
use sms_bcast::registry::{Person, Role};
use sms_bcast::send::{
    self, Clock, Message, Progress, QuietHours, SendOptions, StopFlag, StopReason, Summary,
    mask_phone,
};
use sms_bcast::smstext::{Encoding, Template};
use sms_bcast::workspace::{STATE_DIR, Workspace};
use sms_bcast::{digest, phone};

use crate::cli::context::Signing;
use crate::cli::context::{self, KeyArgs};
use crate::cli::interrupt;
use crate::cli::output::Format;
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The approved request to send.
    pub id: String,
    /// Check everything and show what would be sent; no gateway, no ledger, no commit.
    #[arg(long)]
    pub dry_run: bool,
    /// The gateway (a name under `gateways:` in sms-bcast.yaml; default `send.gateway`, else `outbox`).
    #[arg(long, value_name = "NAME")]
    pub gateway: Option<String>,
    /// Recipients per second (default `send.rate`; none: as fast as the gateway takes them).
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Requests in flight at once, 1 to 256 (default `send.concurrency`, 4).
    #[arg(long, value_name = "N", value_parser = parse_concurrency)]
    pub concurrency: Option<usize>,
    /// Stop when this many recipients in a row fail or end unknown (a wrong
    /// password, a gateway outage); the next run retries them. 0: never stop.
    #[arg(long, value_name = "N", default_value_t = SendOptions::default().max_consecutive_failures)]
    pub max_failures: usize,
    /// Send even inside the quiet hours (`send.quiet_hours`, default 21:00-06:00 local).
    #[arg(long)]
    pub ignore_quiet_hours: bool,
    /// Send again to recipients whose outcome is unknown (they may get it twice).
    #[arg(long, conflicts_with_all = ["dry_run", "abandon", "test_to"])]
    pub resend_unknown: bool,
    /// Only send the approved text (as the first recipient gets it) to this one number,
    /// outside the ledger, so you can see it on a phone; the broadcast is not started.
    #[arg(long, value_name = "NUMBER", conflicts_with_all = ["dry_run", "abandon"])]
    pub test_to: Option<String>,
    /// End a claimed, partial broadcast: commit a signed abandon record with the results so far.
    #[arg(long, conflicts_with = "dry_run")]
    pub abandon: bool,
    /// Why the broadcast is abandoned (with --abandon).
    #[arg(long, requires = "abandon")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub key: KeyArgs,
}

fn parse_rate(text: &str) -> std::result::Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    sms_bcast::workspace::check_rate(rate)
}

fn parse_concurrency(text: &str) -> std::result::Result<usize, String> {
    let n: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    sms_bcast::workspace::check_concurrency(n)
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let signing = context::signing(cli, &args.key, &[Role::Operator], None)?;
    let (ws, registry, person) = (&signing.ws, &signing.registry, &signing.person);
    let analysis = Analysis::load(&ws.root, registry, &args.id)?;
    let ledger_path = ledger_path(ws, &args.id);
    if args.abandon {
        return abandon(cli, args, &signing, &analysis);
    }
    let resume = check_stage(&analysis, person, &ledger_path)?;

    // What the approvals cover, re-read and re-checked now.
    let form = analysis.form(&ws.root)?;
    let now = context::signing_time(ws, registry)?.at;
    let local = now.with_timezone(&ws.zone).fixed_offset();
    if let Some(after) = form.send_after
        && now < after
    {
        bail!(
            "request {} may not be sent before {after} (its `send_after`); it is now {local}\n  hint: run send again after that time",
            args.id
        );
    }
    let quiet = QuietHours::parse_setting(&ws.config.send.quiet_hours)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(q) = quiet
        && !args.ignore_quiet_hours
        && q.contains(local.time())
    {
        bail!(
            "it is {} local time, inside the quiet hours {}-{} (`send.quiet_hours`)\n  hint: send after {}, or pass --ignore-quiet-hours if the message cannot wait",
            local.format("%H:%M"),
            q.start.format("%H:%M"),
            q.end.format("%H:%M"),
            q.end.format("%H:%M")
        );
    }
    let (gateway_name, gateway_config) = gateway_config(ws, args.gateway.as_deref())?;
    let dry_spool = args
        .dry_run
        .then(|| std::env::temp_dir().join(format!("sms-bcast-dry-run-{}", digest::random_hex(8))));
    let built = gateway::build(
        &gateway_name,
        &gateway_config,
        dry_spool.as_deref().unwrap_or(&ws.state_dir()),
    );
    if let Some(dir) = &dry_spool {
        // The dry run only wanted the gateway's checks and limits, not its spool folder.
        let _ = std::fs::remove_dir_all(dir);
    }
    let gateway = built?;
    let max_parts = ws.config.sms.max_parts_on(gateway.max_parts());
    let text = form.message.trim().to_string();
    let template = Template::parse(&text)?;
    let selections = selections(&form.recipients);
    let resolver =
        Resolver::new(&ws.root, &ws.config.recipients)?.with_message(&template, max_parts);
    let resolution = resolver.resolve(&selections, None)?;
    check_resolution(&analysis, &resolution, max_parts, gateway.as_ref())?;

    if let Some(number) = &args.test_to {
        return test_send(ws, &analysis, gateway.as_ref(), &resolution, number);
    }
    if args.dry_run {
        print_plan(cli, &analysis, gateway.as_ref(), &resolution, resume)?;
        return Ok(Status::Success);
    }

    let header = LedgerHeader {
        request_id: args.id.clone(),
        content_digest: content_digest(&analysis),
    };
    // From here Ctrl-C only raises the stop flag: the claim commit is never torn,
    // and a stop before the engine starts leaves every recipient pending.
    let stop = StopFlag::new();
    interrupt::stop_with(stop.clone());
    // Locked from here: a second `send` of this request in this clone refuses.
    let mut ledger = Ledger::open(&ledger_path, &header)?;
    if ledger.repaired_bytes() > 0 || !ledger.recovered().is_empty() {
        eprintln!(
            "note: resuming after an interrupted run: {} recipient(s) were in flight and are now unknown (not resent unless --resend-unknown)",
            ledger.recovered().len()
        );
    }
    let claim_time = if resume {
        analysis
            .claim()
            .map(|c| c.time)
            .expect("a sending request has a claim")
    } else {
        claim(&signing, &analysis, &gateway_name, &resolution)?
    };

    let options = SendOptions {
        rate: args.rate.or(ws.config.send.rate),
        concurrency: args.concurrency.unwrap_or(ws.config.send.concurrency),
        resend_unknown: args.resend_unknown,
        max_consecutive_failures: args.max_failures,
        quiet_hours: if args.ignore_quiet_hours { None } else { quiet },
        stop,
        ..SendOptions::default()
    };
    let clock = AnchoredClock {
        base: local,
        origin: Instant::now(),
    };
    let mut progress = Bar::new(resolution.recipients);
    let mut list_error = None;
    let messages = resolver
        .recipients(&selections)?
        .map_while(|r| match r {
            Ok(r) => Some(r),
            Err(e) => {
                list_error = Some(e);
                None
            }
        })
        .filter_map(|r| {
            let (text, measure) = r.message?;
            Some(Message {
                to: r.phone.as_str().to_string(),
                text: Arc::from(text),
                encoding: measure.encoding,
            })
        });
    let summary = send::run(
        gateway.as_ref(),
        messages,
        &mut ledger,
        &options,
        &clock,
        &mut progress,
    )?;
    progress.finish();
    if let Some(error) = list_error {
        bail!("{error}");
    }

    let mut committed = None;
    if summary.stopped.is_none() && summary.counts.pending == 0 {
        committed = Some(finish(
            &signing,
            &analysis,
            &resolver,
            &selections,
            &mut ledger,
            &summary,
            claim_time,
        )?);
    }
    report(cli, &args.id, &summary, committed.as_deref(), &ledger_path)?;
    Ok(if summary.complete() {
        Status::Success
    } else {
        Status::Problems
    })
}

/// `<ws>/.sms-bcast/ledger/<ID>.ledger` (git-ignored, local to this clone).
fn ledger_path(ws: &Workspace, id: &str) -> PathBuf {
    ws.state_dir().join("ledger").join(format!("{id}.ledger"))
}

/// Whether the request may be sent by `person` now; true when this resumes a
/// broadcast this operator claimed here.
fn check_stage(analysis: &Analysis, person: &Person, ledger: &Path) -> Result<bool> {
    let id = &analysis.id;
    if analysis.stage != Stage::Sending {
        analysis.check_step(Kind::Claim, Role::Operator, &person.name)?;
        return Ok(false);
    }
    // Verifies, separation of duties, lists unchanged: as for the claim.
    analysis.check_step(Kind::Sent, Role::Operator, &person.name)?;
    let claim = analysis.claim().expect("a sending request has a claim");
    if claim.signer_name != person.name {
        bail!(
            "request {id} was claimed for sending by {} on {}; only that operator's clone holds the ledger that prevents double sends\n  hint: ask {} to finish it (`sms-bcast send {id}`), or to end it with `sms-bcast send {id} --abandon`",
            claim.signer_name,
            claim.time,
            claim.signer_name
        );
    }
    if !ledger.exists() {
        bail!(
            "request {id} was claimed by you on {}, but its send ledger {} is not on this machine: sending here could send every message twice\n  hint: resume on the machine (clone) where you started the send, or end it with `sms-bcast send {id} --abandon`",
            claim.time,
            ledger.display()
        );
    }
    // The ledger is written (with its header, synced) before the claim is
    // committed, so an empty one was emptied afterwards: it can no longer say
    // who already has the message.
    if std::fs::metadata(ledger).map(|m| m.len()).unwrap_or(0) == 0 {
        bail!(
            "the send ledger {} of request {id} is empty, though the broadcast was claimed on {}: it no longer says who already got the message, and sending could reach them twice\n  hint: restore the ledger from a backup, or end the broadcast with `sms-bcast send {id} --abandon`",
            ledger.display(),
            claim.time
        );
    }
    Ok(true)
}

/// The configured gateway `name`, or the embedded outbox (spool under `.sms-bcast/outbox`).
fn gateway_config(ws: &Workspace, asked: Option<&str>) -> Result<(String, GatewayConfig)> {
    let name = asked.unwrap_or(&ws.config.send.gateway).to_string();
    if let Some(config) = ws.config.gateways.get(&name) {
        return Ok((name, config.clone()));
    }
    if name == "outbox" {
        return Ok((
            name,
            GatewayConfig::Outbox(OutboxConfig {
                path: None,
                priority: None,
                max_parts: None,
            }),
        ));
    }
    let known: Vec<&str> = ws.config.gateways.keys().map(String::as_str).collect();
    bail!(
        "there is no gateway `{name}` under `gateways:` in sms-bcast.yaml (configured: {})\n  hint: add it (see docs/sending.md), or use the embedded `outbox`",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    )
}

fn selections(uses: &[sms_bcast::request::ListUse]) -> Vec<Selection> {
    uses.iter()
        .map(|u| Selection {
            list: u.list.clone(),
            filter: u
                .filter
                .iter()
                .map(|(k, v)| (k.clone(), FilterValue::One(v.clone())))
                .collect(),
        })
        .collect()
}

/// Refuses a message that does not fit, and more recipients than were approved.
fn check_resolution(
    analysis: &Analysis,
    resolution: &Resolution,
    max_parts: usize,
    gateway: &dyn Gateway,
) -> Result<()> {
    let id = &analysis.id;
    if let Some(error) = resolution
        .errors
        .iter()
        .find(|e| matches!(e.problem, RowProblem::TooLong(_) | RowProblem::Render(_)))
    {
        bail!(
            "request {id} cannot be sent as approved: {error} (at most {max_parts} parts through gateway `{}`, which allows {}, and `sms.max_parts`)\n  hint: the requester must revise the message",
            gateway.name(),
            gateway.max_parts()
        );
    }
    if resolution.recipients == 0 {
        bail!("request {id} has no recipients left (all rows invalid, duplicate or opted out)");
    }
    let approved = analysis
        .revision_statement()
        .and_then(|s| s.facts.get("recipients"))
        .and_then(|n| n.parse::<u64>().ok());
    if let Some(approved) = approved
        && resolution.recipients > approved
    {
        bail!(
            "request {id} now resolves to {} recipients but {approved} were approved\n  hint: check the opt-out list and the recipient settings; the requester may revise the request",
            resolution.recipients
        );
    }
    Ok(())
}

/// Binds the ledger to the approved revision (its record covers text and list digests).
fn content_digest(analysis: &Analysis) -> String {
    analysis
        .records
        .iter()
        .rev()
        .find(|r| {
            matches!(r.statement.kind, Kind::Submit | Kind::Revise)
                && r.statement.revision == analysis.revision
        })
        .map(|r| r.sha256.clone())
        .unwrap_or_default()
}

/// Commits the signed claim (and `/.sms-bcast/` in .gitignore if missing); returns its time.
fn claim(
    signing: &Signing,
    analysis: &Analysis,
    gateway: &str,
    resolution: &Resolution,
) -> Result<DateTime<FixedOffset>> {
    let (ws, key) = (&signing.ws, &signing.key);
    let mut statement = signing.step(analysis, Kind::Claim)?;
    statement
        .facts
        .insert("gateway".into(), gateway.to_string());
    statement
        .facts
        .insert("recipients".into(), resolution.recipients.to_string());
    let time = statement.time;
    let signed = statement.sign(key)?;
    let mut extra = Vec::new();
    let ignore = ws.root.join(".gitignore");
    let ignored = std::fs::read_to_string(&ignore).unwrap_or_default();
    if !ignored.lines().any(|l| l.trim_matches('/') == STATE_DIR) {
        // The ledger must never be committed: it is local state of this clone.
        let mut text = ignored;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("/{STATE_DIR}/\n"));
        extra.push((PathBuf::from(".gitignore"), text.into_bytes()));
    }
    context::commit_record(
        ws,
        &signed,
        extra,
        &format!("Claim request {} for sending", analysis.id),
    )?;
    Ok(time)
}

/// Per-recipient results in resolution order: the audit record of who got what.
/// Full E.164 numbers, as in the committed recipient lists; never printed to logs.
fn results_csv(
    resolver: &Resolver<'_>,
    selections: &[Selection],
    ledger: &Ledger,
) -> Result<(Vec<u8>, Counts)> {
    let mut counts = Counts::default();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["number", "outcome", "message_id", "reason"])?;
    let mut seen = std::collections::HashSet::new();
    for recipient in resolver.recipients(selections)? {
        let number = recipient?.phone.as_str().to_string();
        if !seen.insert(number.clone()) {
            continue;
        }
        let (outcome, id, reason) = match ledger.state(&number) {
            RecipientState::Pending => {
                counts.pending += 1;
                ("pending", "", "")
            }
            RecipientState::InFlight => {
                counts.unknown += 1;
                ("unknown", "", sms_bcast::ledger::INTERRUPTED)
            }
            RecipientState::Accepted { message_id } => {
                counts.accepted += 1;
                ("accepted", message_id.as_deref().unwrap_or(""), "")
            }
            RecipientState::Failed { reason, .. } => {
                counts.failed += 1;
                ("failed", "", reason.as_str())
            }
            RecipientState::Unknown { reason } => {
                counts.unknown += 1;
                ("unknown", "", reason.as_str())
            }
        };
        out.write_record([number.as_str(), outcome, id, reason])?;
    }
    Ok((out.into_inner()?, counts))
}

/// Commits the signed sent record with the results file; returns the results path.
fn finish(
    signing: &Signing,
    analysis: &Analysis,
    resolver: &Resolver<'_>,
    selections: &[Selection],
    ledger: &mut Ledger,
    summary: &Summary,
    started: DateTime<FixedOffset>,
) -> Result<String> {
    // The claim was committed after `analysis` was loaded: read the chain again.
    let analysis = signing.request(&analysis.id, Kind::Sent)?;
    let (results, counts) = results_csv(resolver, selections, ledger)?;
    let mut statement = signing.step(&analysis, Kind::Sent)?;
    let results_file = format!(
        "requests/{}/results-{}.csv",
        analysis.id,
        &statement.nonce[..statement.nonce.len().min(8)]
    );
    let facts = outcome_facts(
        &summary.gateway,
        counts,
        started,
        summary.finished,
        &ledger.digest()?,
        &results_file,
    );
    statement.facts.extend(facts);
    let signed = statement.sign(&signing.key)?;
    context::commit_record(
        &signing.ws,
        &signed,
        vec![(PathBuf::from(&results_file), results)],
        &format!("Sent request {}", analysis.id),
    )?;
    Ok(results_file)
}

fn outcome_facts(
    gateway: &str,
    counts: Counts,
    started: DateTime<FixedOffset>,
    finished: DateTime<FixedOffset>,
    ledger_sha256: &str,
    results_file: &str,
) -> BTreeMap<String, String> {
    [
        ("gateway", gateway.to_string()),
        ("accepted", counts.accepted.to_string()),
        ("failed", counts.failed.to_string()),
        ("unknown", counts.unknown.to_string()),
        ("pending", counts.pending.to_string()),
        ("started", started.to_rfc3339()),
        ("finished", finished.to_rfc3339()),
        ("ledger_sha256", ledger_sha256.to_string()),
        ("results_file", results_file.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// `--abandon`: a signed abandon record with the results known here.
fn abandon(cli: &Cli, args: &Args, signing: &Signing, analysis: &Analysis) -> Result<Status> {
    let (ws, key, person) = (&signing.ws, &signing.key, &signing.person);
    let id = &analysis.id;
    analysis.check_step(Kind::Abandon, Role::Operator, &person.name)?;
    let claim = analysis.claim().expect("a sending request has a claim");
    let form = analysis.form(&ws.root)?;
    let selections = selections(&form.recipients);
    let resolver = Resolver::new(&ws.root, &ws.config.recipients)?;
    let path = ledger_path(ws, id);
    let header = LedgerHeader {
        request_id: id.clone(),
        content_digest: content_digest(analysis),
    };
    // Without the ledger (another machine claimed it) every recipient reads as pending.
    let mut ledger = if path.exists() {
        Some(Ledger::open(&path, &header)?)
    } else {
        eprintln!(
            "warning: no send ledger for {id} on this machine ({}); the abandon record cannot say who was sent",
            path.display()
        );
        None
    };
    let scratch;
    let (results, counts, digest) = match ledger.as_mut() {
        Some(ledger) => {
            let (results, counts) = results_csv(&resolver, &selections, ledger)?;
            (results, counts, ledger.digest()?)
        }
        None => {
            scratch = tempdir_ledger(id, &header)?;
            let (results, counts) = results_csv(&resolver, &selections, &scratch.1)?;
            let _ = std::fs::remove_dir_all(&scratch.0);
            (
                results,
                counts,
                "none: the ledger is not on this machine".into(),
            )
        }
    };
    let now = context::signing_time(ws, &signing.registry)?.at;
    let mut statement = signing.step(analysis, Kind::Abandon)?;
    let results_file = format!(
        "requests/{id}/results-{}.csv",
        &statement.nonce[..statement.nonce.len().min(8)]
    );
    let gateway = claim
        .facts
        .get("gateway")
        .cloned()
        .unwrap_or_else(|| "unknown".into());
    statement.facts.extend(outcome_facts(
        &gateway,
        counts,
        claim.time,
        now,
        &digest,
        &results_file,
    ));
    statement.reason = Some(
        args.reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or("the operator ended the broadcast before every recipient was sent")
            .to_string(),
    );
    let signed = statement.sign(key)?;
    context::commit_record(
        ws,
        &signed,
        vec![(PathBuf::from(&results_file), results)],
        &format!("Abandon sending request {id}"),
    )?;
    match Format::or_table(cli.format) {
        Format::Json => outln!(
            "{}",
            serde_json::json!({"id": id, "state": "abandoned", "counts": counts, "results_file": results_file})
        ),
        _ => outln!(
            "{id}: abandoned with {} accepted, {} failed, {} unknown, {} never sent; results in {results_file}",
            counts.accepted,
            counts.failed,
            counts.unknown,
            counts.pending
        ),
    }
    Ok(Status::Success)
}

/// An empty ledger in a temporary folder, so an abandon without the real one reads all as pending.
fn tempdir_ledger(id: &str, header: &LedgerHeader) -> Result<(PathBuf, Ledger)> {
    let dir =
        std::env::temp_dir().join(format!("sms-bcast-abandon-{id}-{}", digest::random_hex(8)));
    let ledger = Ledger::open(&dir.join("empty.ledger"), header)?;
    Ok((dir, ledger))
}

/// `--test-to`: the first recipient's text to one number, outside the ledger.
fn test_send(
    ws: &Workspace,
    analysis: &Analysis,
    gateway: &dyn Gateway,
    resolution: &Resolution,
    number: &str,
) -> Result<Status> {
    let rules = ws.config.recipients.number_rules()?;
    let to = phone::normalise(number, &rules).map_err(|e| anyhow::anyhow!("--test-to: {e}"))?;
    let sample = resolution
        .message
        .as_ref()
        .and_then(|m| m.sample.as_ref())
        .context("no rendered message to test")?;
    let reference = format!("{}/test/{}", analysis.id, digest::random_hex(4));
    let outcome = gateway.send(&OutgoingSms {
        to: to.as_str(),
        text: &sample.text,
        encoding: sample.encoding,
        reference: &reference,
    });
    let masked = mask_phone(to.as_str());
    match outcome {
        // The message id is not shown: some gateways (outbox) put the number in it.
        Outcome::Accepted { .. } => {
            outln!(
                "test message to {masked} accepted by `{}` ({} part(s), {}); the broadcast was not started",
                gateway.name(),
                sample.parts,
                encoding_name(sample.encoding)
            );
            Ok(Status::Success)
        }
        other => {
            eprintln!(
                "test message to {masked} not accepted: {}",
                sms_bcast::gateway::sanitise(&format!("{other:?}"), &[])
            );
            Ok(Status::Problems)
        }
    }
}

fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Gsm7 => "GSM-7",
        Encoding::Ucs2 => "UCS-2",
    }
}

fn print_plan(
    cli: &Cli,
    analysis: &Analysis,
    gateway: &dyn Gateway,
    resolution: &Resolution,
    resume: bool,
) -> Result<()> {
    let stats = resolution.message.as_ref();
    let sample = stats.and_then(|m| m.sample.as_ref());
    let json = serde_json::json!({
        "id": analysis.id,
        "dry_run": true,
        "resume": resume,
        "gateway": gateway.name(),
        "recipients": resolution.recipients,
        "duplicates": resolution.duplicates,
        "opted_out": resolution.opted_out,
        "invalid": resolution.invalid,
        "gsm7": stats.map(|m| m.gsm7),
        "ucs2": stats.map(|m| m.ucs2),
        "parts_per_message": stats.map(|m| format!("{}-{}", m.min_parts, m.max_parts)),
        "total_parts": stats.map(|m| m.total_parts),
        "sample": sample.map(|s| serde_json::json!({
            "to": mask_phone(s.phone.as_str()),
            "text": s.text,
            "encoding": encoding_name(s.encoding),
            "parts": s.parts,
        })),
    });
    if Format::or_table(cli.format) == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    let mut table = crate::cli::output::table();
    table.set_header(["dry run", "would send"]);
    let rows = [
        ("request", analysis.id.clone()),
        ("gateway", gateway.name().to_string()),
        ("recipients", resolution.recipients.to_string()),
        (
            "skipped",
            format!(
                "{} duplicate, {} opted out, {} invalid",
                resolution.duplicates, resolution.opted_out, resolution.invalid
            ),
        ),
        (
            "encoding",
            stats
                .map(|m| format!("{} GSM-7, {} UCS-2", m.gsm7, m.ucs2))
                .unwrap_or_default(),
        ),
        (
            "parts",
            stats
                .map(|m| {
                    format!(
                        "{} in total ({}-{} per message)",
                        m.total_parts, m.min_parts, m.max_parts
                    )
                })
                .unwrap_or_default(),
        ),
        (
            "sample",
            sample
                .map(|s| format!("to {}: {}", mask_phone(s.phone.as_str()), s.text))
                .unwrap_or_default(),
        ),
    ];
    for (k, v) in rows {
        table.add_row([k.to_string(), v]);
    }
    outln!("{table}");
    outln!("Nothing was sent, recorded or committed.");
    Ok(())
}

/// Failed and unknown recipients listed in the table output; JSON lists all.
const LISTED: usize = 20;

fn report(
    cli: &Cli,
    id: &str,
    summary: &Summary,
    results_file: Option<&str>,
    ledger: &Path,
) -> Result<()> {
    let state = match (results_file, summary.stopped) {
        (Some(_), _) => "sent",
        (None, Some(StopReason::QuietHours)) => "stopped: quiet hours",
        (None, Some(StopReason::Requested)) => "stopped: interrupted",
        (None, Some(StopReason::GatewayFailing)) => "stopped: gateway failing",
        (None, None) => "partial",
    };
    // Gateway replies may echo the number; only masked numbers reach the terminal.
    let mut summary = summary.clone();
    for p in summary.failed.iter_mut().chain(summary.unknown.iter_mut()) {
        p.reason = sms_bcast::gateway::sanitise(&p.reason, &[]);
    }
    if let Some(reason) = &mut summary.last_failure {
        *reason = sms_bcast::gateway::sanitise(reason, &[]);
    }
    if Format::or_table(cli.format) == Format::Json {
        let json = serde_json::json!({
            "id": id,
            "state": state,
            "summary": summary,
            "results_file": results_file,
            "ledger": ledger,
        });
        outln!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    let c = summary.counts;
    let mut table = crate::cli::output::table();
    table.set_header([
        "request", "gateway", "accepted", "failed", "unknown", "pending", "sent now",
    ]);
    table.add_row([
        id.to_string(),
        summary.gateway.clone(),
        c.accepted.to_string(),
        c.failed.to_string(),
        c.unknown.to_string(),
        c.pending.to_string(),
        summary.sent_this_run.to_string(),
    ]);
    outln!("{table}");
    for (what, problems) in [("failed", &summary.failed), ("unknown", &summary.unknown)] {
        for p in problems.iter().take(LISTED) {
            outln!("{what}: {} — {}", p.number, p.reason);
        }
        if problems.len() > LISTED {
            outln!(
                "… and {} more {what} (all are in --format json, and in the results file once committed)",
                problems.len() - LISTED
            );
        }
    }
    match results_file {
        Some(file) => outln!("{id}: sent; signed sent record and results committed ({file})."),
        None if summary.stopped == Some(StopReason::GatewayFailing) => {
            let reason = summary.last_failure.as_deref().unwrap_or("no reason given");
            outln!(
                "{id}: stopped: the gateway `{}` keeps failing — every one of the last recipients failed or got no clear answer (last: {reason}).",
                summary.gateway
            );
            outln!(
                "Nothing more was sent and no sent record was committed; {} recipient(s) are not sent yet, and the ones the failing gateway refused will be tried again.",
                c.pending
            );
            outln!(
                "Fix the gateway (password, URL, account, `gateways:` in sms-bcast.yaml), then `sms-bcast send {id}` resumes; `--max-failures 0` turns this check off."
            );
        }
        None => {
            outln!(
                "{id}: {state}; {} recipient(s) not sent yet. Run `sms-bcast send {id}` again to continue, or `sms-bcast send {id} --abandon` to end it.",
                c.pending
            );
        }
    }
    if c.unknown > 0 {
        if results_file.is_some() {
            outln!(
                "Unknown outcomes were not resent (the gateway may have taken them); the results file lists them for a check with the gateway."
            );
        } else {
            outln!(
                "Unknown outcomes are not resent automatically; if the gateway did not take them, `sms-bcast send {id} --resend-unknown` sends them again."
            );
        }
    }
    Ok(())
}

/// Real monotonic time; local time counted from the send's start time (which is
/// the drill clock in a drill workspace, so quiet hours are testable).
struct AnchoredClock {
    base: DateTime<FixedOffset>,
    origin: Instant,
}

impl Clock for AnchoredClock {
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
    fn local_now(&self) -> DateTime<FixedOffset> {
        let elapsed = chrono::Duration::from_std(self.origin.elapsed()).unwrap_or_default();
        self.base + elapsed
    }
}

/// Progress bar on stderr, hidden when stderr is not a terminal. Numbers never appear.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new(total: u64) -> Bar {
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(total)
        } else {
            indicatif::ProgressBar::hidden()
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} recipients  {per_sec}  ETA {eta}  {msg}",
            )
            .expect("valid progress template"),
        );
        Bar(bar)
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Progress for Bar {
    fn already_done(&mut self, _state: &RecipientState) {
        self.0.inc(1);
    }
    fn done(&mut self, _state: &RecipientState) {
        self.0.inc(1);
    }
    fn throttled(&mut self, wait: Duration) {
        self.0.set_message(format!(
            "gateway throttling: waiting {:.1} s",
            wait.as_secs_f64()
        ));
    }
    fn stopping(&mut self, reason: StopReason) {
        let why = match reason {
            StopReason::Requested => "stopping (Ctrl-C): messages in flight finish",
            StopReason::QuietHours => "quiet hours began: stopping",
            StopReason::GatewayFailing => {
                "the gateway keeps failing: stopping, messages in flight finish"
            }
        };
        self.0.println(why);
        if self.0.is_hidden() {
            eprintln!("{why}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_runs_from_the_anchor() {
        let base = DateTime::parse_from_rfc3339("2026-12-07T20:59:59+07:00").unwrap();
        let clock = AnchoredClock {
            base,
            origin: Instant::now() - Duration::from_secs(2),
        };
        let now = clock.local_now();
        assert!(now >= base + chrono::Duration::seconds(2), "{now}");
        assert_eq!(now.offset(), base.offset());
    }
}
