//! `sms-bcast verify [ID…]`: prove, offline, from the pinned trust anchor, who
//! approved exactly which text in which role and order.

use anyhow::Result;
use sms_bcast::lifecycle::{self, Analysis};
use sms_bcast::registry::Registry;
use sms_bcast::trust;

use crate::cli::context;
use crate::cli::output::Format;
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Requests to check (default: all).
    pub ids: Vec<String>,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let ws = context::open_workspace(cli)?;
    let registry = Registry::load(&ws.root)?;
    let anchor = trust::find_anchor(cli.trust.as_deref(), registry.repo_id())?;
    let mut problems = registry.check(&ws.root, &anchor);
    let latest = registry.latest();
    let registry_ok = problems.is_empty();
    let ids = if args.ids.is_empty() {
        lifecycle::request_ids(&ws.root)?
    } else {
        args.ids.clone()
    };
    let mut notes = Vec::new();
    let mut records = 0;
    Analysis::load_each(&ws.root, &registry, &ids, |id, analysis| {
        let analysis = analysis?;
        records += analysis.records.len();
        problems.extend(analysis.problems);
        notes.extend(analysis.notes.into_iter().map(|n| format!("{id}: {n}")));
        Ok(())
    })?;
    if registry_ok {
        trust::remember_highest(registry.repo_id(), latest.doc.version)?;
    }
    if Format::or_table(cli.format) == Format::Json {
        let value = serde_json::json!({
            "ok": problems.is_empty(),
            "registry_version": latest.doc.version,
            "requests": ids.len(),
            "records": records,
            "problems": problems.iter().map(|p| serde_json::json!({"file": p.file, "message": p.message})).collect::<Vec<_>>(),
            "notes": notes,
        });
        outln!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for note in &notes {
            outln!("note: {note}");
        }
        for problem in &problems {
            outln!("FAIL {problem}");
        }
        if problems.is_empty() {
            outln!(
                "ok: registry version {} and {} request(s), {records} signed record(s) verified from anchor {anchor}",
                latest.doc.version,
                ids.len()
            );
        } else {
            outln!("{} problem(s) found", problems.len());
        }
    }
    Ok(if problems.is_empty() {
        Status::Success
    } else {
        Status::Problems
    })
}
