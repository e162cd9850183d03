//! `sms-bcast list`: every request with its state and who is awaited.

use anyhow::Result;
use sms_bcast::lifecycle::{self, Analysis};
use sms_bcast::registry::Registry;
use sms_bcast::workspace::Workspace;

use crate::cli::context;
use crate::cli::output::Format;
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {}

/// One request's summary line, shared by `list` and `show`.
pub fn summary(ws: &Workspace, registry: &Registry, analysis: &Analysis) -> serde_json::Value {
    let form = analysis.form(&ws.root).ok();
    let awaited_role = analysis.stage.awaited_role();
    let awaited: Vec<String> = match awaited_role {
        Some(sms_bcast::registry::Role::Requester) => analysis
            .requester()
            .map(str::to_string)
            .into_iter()
            .collect(),
        Some(role) => registry
            .latest()
            .doc
            .holders(role)
            .filter(|p| {
                // Nobody acts in two roles on one request.
                !analysis
                    .records
                    .iter()
                    .any(|r| r.statement.signer_name == p.name && r.statement.role != role)
            })
            .map(|p| p.name.clone())
            .collect(),
        None => Vec::new(),
    };
    serde_json::json!({
        "id": analysis.id,
        "title": form.as_ref().map(|f| f.title.clone()),
        "unit": form.as_ref().map(|f| f.unit.clone()),
        "requester": analysis.requester(),
        "revision": analysis.revision,
        "state": analysis.stage.as_str(),
        "awaiting_role": awaited_role.map(|r| r.as_str()),
        "awaiting": awaited,
        "submitted": analysis.first_submission().map(|s| s.time.to_rfc3339()),
        "problems": analysis.problems.len(),
    })
}

pub fn run(cli: &Cli, _args: &Args) -> Result<Status> {
    let ws = context::open_workspace(cli)?;
    let registry = Registry::load(&ws.root)?;
    let mut rows = Vec::new();
    for id in lifecycle::request_ids(&ws.root)? {
        let analysis = Analysis::load(&ws.root, &registry, &id)?;
        rows.push(summary(&ws, &registry, &analysis));
    }
    match Format::or_table(cli.format) {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&rows)?),
        _ => {
            let mut table = crate::cli::output::table();
            table.set_header([
                "id",
                "title",
                "requester",
                "rev",
                "state",
                "awaiting",
                "submitted",
            ]);
            for row in &rows {
                let text = |k: &str| row[k].as_str().unwrap_or("").to_string();
                let awaiting = match row["awaiting_role"].as_str() {
                    Some(role) => format!(
                        "{role}: {}",
                        row["awaiting"]
                            .as_array()
                            .map(|a| a
                                .iter()
                                .filter_map(|v| v.as_str())
                                .collect::<Vec<_>>()
                                .join(", "))
                            .unwrap_or_default()
                    ),
                    None => "-".into(),
                };
                let mut state = text("state");
                if row["problems"].as_u64().unwrap_or(0) > 0 {
                    state.push_str(" (does not verify)");
                }
                table.add_row([
                    text("id"),
                    text("title"),
                    text("requester"),
                    row["revision"].to_string(),
                    state,
                    awaiting,
                    text("submitted"),
                ]);
            }
            if rows.is_empty() {
                outln!(
                    "No requests yet. `sms-bcast form > request.yaml`, fill it in, then `sms-bcast submit request.yaml`."
                );
            } else {
                outln!("{table}");
            }
        }
    }
    Ok(Status::Success)
}
