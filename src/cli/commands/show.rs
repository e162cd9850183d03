//! `sms-bcast show ID`: one request: its state, every step with who and when,
//! what is awaited and from whom.

use anyhow::Result;
use sms_bcast::lifecycle::Analysis;
use sms_bcast::registry::Registry;

use crate::cli::commands::list;
use crate::cli::context;
use crate::cli::output::Format;
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The request.
    pub id: String,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let ws = context::open_workspace(cli)?;
    let registry = Registry::load(&ws.root)?;
    let analysis = Analysis::load(&ws.root, &registry, &args.id)?;
    let mut value = list::summary(&ws, &registry, &analysis);
    let steps: Vec<serde_json::Value> = analysis
        .records
        .iter()
        .map(|r| {
            let s = &r.statement;
            serde_json::json!({
                "time": s.time.to_rfc3339(),
                "step": s.kind.as_str(),
                "role": s.role.as_str(),
                "revision": s.revision,
                "by": s.signer_name,
                "key": s.signer,
                "reason": s.reason,
                "drill_clock": s.drill_clock,
                "file": r.path,
            })
        })
        .collect();
    value["steps"] = serde_json::Value::Array(steps);
    value["notes"] = serde_json::json!(analysis.notes);
    value["problem_list"] = serde_json::json!(
        analysis
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
    );
    if Format::or_table(cli.format) == Format::Json {
        outln!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(Status::Success);
    }
    let text = |k: &str| value[k].as_str().unwrap_or("-").to_string();
    outln!("Request {}: {}", analysis.id, text("title"));
    outln!(
        "Unit: {}   Requester: {}   Revision: {}",
        text("unit"),
        text("requester"),
        analysis.revision
    );
    outln!("State: {}", analysis.stage.as_str());
    if let Some(role) = analysis.stage.awaited_role() {
        let names: Vec<&str> = value["awaiting"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        outln!("Awaiting: {role} ({})", names.join(", "));
    }
    let mut table = crate::cli::output::table();
    table.set_header(["time", "step", "role", "rev", "by", "reason"]);
    for r in &analysis.records {
        let s = &r.statement;
        let by = if s.drill_clock {
            format!("{} (drill clock)", s.signer_name)
        } else {
            s.signer_name.clone()
        };
        table.add_row([
            s.time.to_rfc3339(),
            s.kind.to_string(),
            s.role.to_string(),
            s.revision.to_string(),
            by,
            s.reason.clone().unwrap_or_default(),
        ]);
    }
    outln!("{table}");
    for note in &analysis.notes {
        outln!("note: {note}");
    }
    for problem in &analysis.problems {
        outln!("does not verify: {problem}");
    }
    Ok(Status::Success)
}
