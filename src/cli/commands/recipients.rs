//! `sms-bcast recipients check [FILE…]`: every bad row of the lists, with
//! file, row number, column and reason.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use sms_bcast::recipients::{
    Delimiter, ListReport, RecipientSettings, Resolver, RowError, Selection,
};
use sms_bcast::workspace::{CONFIG_FILE, Workspace};

use crate::cli::output::Format;
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, Subcommand)]
pub enum Sub {
    /// Check recipient lists: report every bad row (exit 1 if any).
    Check(CheckArgs),
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Lists to check, relative to the workspace [default: recipients/*.csv].
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Field delimiter for every file: `,`, `;` or `tab` [default: sniffed from the header].
    #[arg(long, value_name = "C")]
    pub delimiter: Option<Delimiter>,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<Status> {
    match &args.command {
        Sub::Check(check) => run_check(cli, check),
    }
}

#[derive(serde::Serialize)]
struct CheckOutput<'a> {
    files: &'a [ListReport],
    invalid: u64,
    errors: &'a [RowError],
}

fn run_check(cli: &Cli, args: &CheckArgs) -> anyhow::Result<Status> {
    let format = Format::or_table(cli.format);
    if !matches!(format, Format::Table | Format::Json | Format::Csv) {
        bail!("`recipients check` prints table, json or csv; use --format table|json|csv");
    }
    let workspace = cli.workspace_dir();
    let settings = load_settings(&workspace)?;
    let files = if args.files.is_empty() {
        default_lists(&workspace)?
    } else {
        args.files
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect()
    };
    let resolver = Resolver::new(&workspace, &settings)?
        .without_optout()
        .with_delimiter(args.delimiter);
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    let mut unreadable = Vec::new();
    for file in files {
        match resolver.resolve(&[Selection::whole(file)], None) {
            Ok(res) => {
                reports.extend(res.lists);
                errors.extend(res.errors);
            }
            Err(e) => unreadable.push(e.to_string()),
        }
    }
    let invalid = reports.iter().map(|r| r.invalid).sum();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            let output = CheckOutput {
                files: &reports,
                invalid,
                errors: &errors,
            };
            serde_json::to_writer_pretty(&mut out, &output)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(["file", "row", "column", "value", "reason"])?;
            for e in &errors {
                w.write_record([
                    e.file.as_str(),
                    &e.row.to_string(),
                    &e.column,
                    &e.value,
                    &e.problem.to_string(),
                ])?;
            }
            w.flush()?;
        }
        _ => print_table(&mut out, &reports, &errors)?,
    }
    if !unreadable.is_empty() {
        bail!("{}", unreadable.join("\nerror: "));
    }
    Ok(if invalid > 0 {
        Status::Problems
    } else {
        Status::Success
    })
}

fn print_table(
    out: &mut impl Write,
    reports: &[ListReport],
    errors: &[RowError],
) -> anyhow::Result<()> {
    let mut summary = crate::cli::output::table();
    summary.set_header([
        "file",
        "delimiter",
        "phone column",
        "rows",
        "valid",
        "invalid",
        "duplicates",
    ]);
    for r in reports {
        summary.add_row([
            r.file.clone(),
            r.delimiter.to_string(),
            r.phone_column.clone(),
            r.rows_read.to_string(),
            r.valid.to_string(),
            r.invalid.to_string(),
            r.duplicates.to_string(),
        ]);
    }
    if !reports.is_empty() {
        writeln!(out, "{summary}")?;
    }
    if !errors.is_empty() {
        writeln!(out, "{}", bad_rows_table(errors))?;
        writeln!(out, "{} bad row(s)", errors.len())?;
    }
    Ok(())
}

/// `recipients/*.csv` of the workspace, sorted.
fn default_lists(workspace: &Path) -> anyhow::Result<Vec<String>> {
    let dir = workspace.join("recipients");
    let entries = std::fs::read_dir(&dir).with_context(|| {
        format!(
            "cannot read {}; name the lists to check or run in a workspace",
            dir.display()
        )
    })?;
    let mut lists = Vec::new();
    for entry in entries {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.to_ascii_lowercase().ends_with(".csv") {
            lists.push(format!("recipients/{name}"));
        }
    }
    if lists.is_empty() {
        bail!(
            "{} holds no .csv lists; add one or name the files to check",
            dir.display()
        );
    }
    lists.sort();
    Ok(lists)
}

/// The workspace's `recipients:` settings; defaults only when there is no
/// workspace at all (checking loose CSV files), never for a broken one.
fn load_settings(workspace: &Path) -> anyhow::Result<RecipientSettings> {
    if !workspace.join(CONFIG_FILE).exists() {
        return Ok(RecipientSettings::default());
    }
    Ok(Workspace::open(workspace)?.config.recipients)
}

/// Bad rows as a table: file, row, column, value, reason (shared with `preview`).
pub fn bad_rows_table(errors: &[RowError]) -> comfy_table::Table {
    let mut table = crate::cli::output::table();
    table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    if table.width().is_none() {
        // Not a terminal: wrap long reasons at a readable width anyway.
        table.set_width(140);
    }
    table.set_header(["file", "row", "column", "value", "reason"]);
    for e in errors {
        table.add_row([
            e.file.clone(),
            e.row.to_string(),
            e.column.clone(),
            e.value.clone(),
            e.problem.to_string(),
        ]);
    }
    table
}
