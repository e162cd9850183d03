//! `sms-bcast preview ID`: who will get the message, which rows were dropped
//! and why, the encoding, the parts and the cost, before anything is sent.
//! Reads files only: nothing is signed, committed or sent.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, anyhow, bail};
use sms_bcast::digest;
use sms_bcast::gateway::GatewayConfig;
use sms_bcast::lifecycle::Analysis;
use sms_bcast::recipients::{Resolution, Resolver, RowError, Selection};
use sms_bcast::registry::Registry;
use sms_bcast::send::mask_phone;
use sms_bcast::smstext::Template;
use sms_bcast::workspace::{CONFIG_FILE, Workspace};

use crate::cli::commands::submit::{encoding_name, encoding_summary, plural, rupiah};
use crate::cli::context;
use crate::cli::output::Format;
use crate::cli::{Cli, Status};

/// Row errors a table shows; json and csv show them all.
const TABLE_ERRORS: usize = 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The request.
    pub id: String,
    /// The gateway whose own part limit applies [default: `send.gateway`].
    #[arg(long, value_name = "NAME")]
    pub gateway: Option<String>,
}

/// The limits that apply: the workspace's and the gateway's, the lower wins.
struct Limits {
    gateway: String,
    gateway_max: u32,
    workspace_max: u32,
    applied: usize,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let format = Format::or_table(cli.format);
    if !matches!(format, Format::Table | Format::Json | Format::Csv) {
        bail!("`preview` prints table, json or csv; use --format table|json|csv");
    }
    let ws = context::open_workspace(cli)?;
    let registry = Registry::load(&ws.root)?;
    let analysis = Analysis::load(&ws.root, &registry, &args.id)?;
    let form = analysis.form(&ws.root)?;
    let limits = limits(&ws, args.gateway.as_deref())?;
    let template =
        Template::parse(&form.message).map_err(|e| anyhow!("request {}: message: {e}", args.id))?;
    let selections: Vec<Selection> = form.recipients.iter().map(Selection::from).collect();
    let keep = (format == Format::Table).then_some(TABLE_ERRORS);
    let res = Resolver::new(&ws.root, &ws.config.recipients)?
        .with_message(&template, limits.applied)
        .resolve(&selections, keep)?;
    let warnings = warnings(&ws.root, &analysis, &res);
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let value = json(&ws, &analysis, &limits, &res, &warnings);
            serde_json::to_writer_pretty(&mut out, &value)?;
            writeln!(out)?;
        }
        Format::Csv => write_csv(&mut out, &res.errors)?,
        _ => print_table(&mut out, &ws, &analysis, &limits, &res)?,
    }
    drop(out);
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    Ok(Status::Success)
}

fn limits(ws: &Workspace, asked: Option<&str>) -> Result<Limits> {
    let name = asked.unwrap_or(&ws.config.send.gateway);
    let config = match ws.config.gateways.get(name) {
        Some(config) => config.clone(),
        None if name == "outbox" => GatewayConfig::default_outbox(),
        None => bail!(
            "no gateway `{name}` in {CONFIG_FILE}; the gateways are: {}\n  hint: name one of them with --gateway, or add it under `gateways:`",
            std::iter::once("outbox")
                .chain(ws.config.gateways.keys().map(String::as_str))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    ws.config
        .sms
        .validate()
        .map_err(|e| anyhow!("{}: {e}", ws.root.join(CONFIG_FILE).display()))?;
    Ok(Limits {
        gateway: name.to_owned(),
        gateway_max: config.max_parts(),
        workspace_max: ws.config.sms.max_parts,
        applied: ws.config.sms.max_parts_on(config.max_parts()),
    })
}

/// What has changed since the request was signed: a list that is not the
/// one signed, more recipients than signed, anything else that fails to
/// verify. The opt-out list is not signed: it may only remove people.
fn warnings(root: &Path, analysis: &Analysis, res: &Resolution) -> Vec<String> {
    let mut out = Vec::new();
    let Some(signed) = analysis.revision_statement() else {
        return out;
    };
    for used in &signed.lists {
        match std::fs::read(root.join(&used.list)) {
            Ok(bytes) if digest::sha256(&bytes) == used.sha256 => {}
            Ok(_) => out.push(format!(
                "{} changed since request {} revision {} was signed; the approvals do not cover it and `send` will refuse (restore the list, or revise the request)",
                used.list, analysis.id, analysis.revision
            )),
            Err(_) => out.push(format!(
                "{} is missing; request {} revision {} uses it",
                used.list, analysis.id, analysis.revision
            )),
        }
    }
    if let Some(count) = signed.facts.get("recipients")
        && let Ok(count) = count.parse::<u64>()
        && res.recipients > count
    {
        out.push(format!(
            "{} recipients now, {} more than the {count} signed for revision {}; `send` will refuse (revise the request so reviewers approve the new count)",
            res.recipients,
            res.recipients - count,
            analysis.revision
        ));
    }
    let lists: Vec<&Path> = signed.lists.iter().map(|l| Path::new(&l.list)).collect();
    for problem in &analysis.problems {
        if !lists.contains(&problem.file.as_path()) {
            out.push(format!("does not verify: {problem}"));
        }
    }
    out
}

fn json(
    ws: &Workspace,
    analysis: &Analysis,
    limits: &Limits,
    res: &Resolution,
    warnings: &[String],
) -> serde_json::Value {
    let message = res.message.as_ref().map(|m| {
        serde_json::json!({
            "encoding": m.encoding_label(),
            "gsm7": m.gsm7,
            "ucs2": m.ucs2,
            "characters": {"min": m.min_characters, "max": m.max_characters},
            "parts": {"min": m.min_parts, "max": m.max_parts, "total": m.total_parts},
            "sample": m.sample.as_ref().map(|s| serde_json::json!({
                "to": mask_phone(s.phone.as_str()),
                "text": s.text,
                "encoding": s.encoding,
                "parts": s.parts,
            })),
        })
    });
    let parts = res.message.as_ref().map_or(0, |m| m.total_parts);
    serde_json::json!({
        "request": analysis.id,
        "revision": analysis.revision,
        "state": analysis.stage.as_str(),
        "lists": res.lists,
        "optout": res.optout,
        "rows_read": res.lists.iter().map(|l| l.rows_read).sum::<u64>(),
        "valid": res.lists.iter().map(|l| l.valid).sum::<u64>(),
        "invalid": res.invalid,
        "duplicates": res.duplicates,
        "opted_out": res.opted_out,
        "recipients": res.recipients,
        "message": message,
        "max_parts": {
            "workspace": limits.workspace_max,
            "gateway": {"name": limits.gateway, "max_parts": limits.gateway_max},
            "applied": limits.applied,
        },
        "price_per_part_idr": ws.config.sms.price_per_part_idr,
        "cost_idr": ws.config.sms.cost_idr(parts),
        "signed": analysis.revision_statement().map(|s| &s.facts),
        "warnings": warnings,
        "errors": res.errors,
    })
}

fn write_csv(out: &mut impl Write, errors: &[RowError]) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["file", "row", "column", "value", "reason"])?;
    for e in errors {
        w.write_record([
            e.file.as_str(),
            &e.row.to_string(),
            &e.column,
            &e.value,
            &e.problem.to_string(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn print_table(
    out: &mut impl Write,
    ws: &Workspace,
    analysis: &Analysis,
    limits: &Limits,
    res: &Resolution,
) -> Result<()> {
    let title = analysis.form(&ws.root).map(|f| f.title).unwrap_or_default();
    writeln!(
        out,
        "Request {}: {title} (revision {}, {})",
        analysis.id,
        analysis.revision,
        analysis.stage.as_str()
    )?;
    let mut lists = crate::cli::output::table();
    lists.set_header([
        "list",
        "delimiter",
        "phone column",
        "rows read",
        "selected",
        "valid",
        "invalid",
        "duplicates",
        "opted out",
    ]);
    for l in &res.lists {
        lists.add_row([
            l.file.clone(),
            l.delimiter.to_string(),
            l.phone_column.clone(),
            l.rows_read.to_string(),
            l.rows_selected.to_string(),
            l.valid.to_string(),
            l.invalid.to_string(),
            l.duplicates.to_string(),
            l.opted_out.to_string(),
        ]);
    }
    writeln!(out, "{lists}")?;
    if let Some(o) = &res.optout {
        match &o.digest {
            Some(_) => writeln!(out, "Opt-out list: {} ({} numbers)", o.file, o.numbers)?,
            None => writeln!(out, "Opt-out list: {} (none)", o.file)?,
        }
    }
    writeln!(
        out,
        "Recipients: {} (duplicates removed {}, opted out {}, invalid rows {})",
        res.recipients, res.duplicates, res.opted_out, res.invalid
    )?;
    writeln!(
        out,
        "Part limit: {} (workspace {}, gateway {} {})",
        limits.applied, limits.workspace_max, limits.gateway, limits.gateway_max
    )?;
    if let Some(m) = &res.message {
        writeln!(out, "Encoding: {}", encoding_summary(m))?;
        writeln!(
            out,
            "Characters: {}-{}   Parts per recipient: {}-{}   Total parts: {}",
            m.min_characters, m.max_characters, m.min_parts, m.max_parts, m.total_parts
        )?;
        match ws.config.sms.price_per_part_idr {
            Some(price) => writeln!(
                out,
                "Cost: {} x {} = {}",
                plural(m.total_parts, "part", "parts"),
                rupiah(price),
                rupiah(price.saturating_mul(m.total_parts))
            )?,
            None => writeln!(out, "Cost: no price set (sms.price_per_part_idr)")?,
        }
        if let Some(s) = &m.sample {
            writeln!(
                out,
                "Sample to {} ({}, {}):",
                mask_phone(s.phone.as_str()),
                encoding_name(s.encoding),
                plural(s.parts as u64, "part", "parts")
            )?;
            for line in s.text.lines() {
                writeln!(out, "  | {line}")?;
            }
        }
    }
    if !res.errors.is_empty() {
        writeln!(out, "{}", super::recipients::bad_rows_table(&res.errors))?;
        if res.invalid > res.errors.len() as u64 {
            writeln!(
                out,
                "first {} of {} bad rows; `--format csv` lists them all",
                res.errors.len(),
                res.invalid
            )?;
        }
    }
    Ok(())
}
