//! `sms-bcast generate man|completion SHELL`: man pages and shell completions,
//! generated from the same clap definition as `--help`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, Status};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the man page (roff), or with `--out DIR` write one page per
    /// command (sms-bcast.1, sms-bcast-send.1, …).
    Man {
        /// Folder to write every page to, e.g. /usr/local/share/man/man1.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Print a completion script, e.g. `sms-bcast generate completion bash > /etc/bash_completion.d/sms-bcast`.
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

pub fn run(_cli: &Cli, command: &Command) -> Result<Status> {
    // Rendered into memory first: clap_complete panics on a write error (a closed pipe).
    let mut text = Vec::new();
    let mut definition = Cli::command();
    match command {
        Command::Man { out: Some(dir) } => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(definition, dir)
                .with_context(|| format!("cannot write the pages to {}", dir.display()))?;
            outln!("Wrote the man pages to {}.", dir.display());
            return Ok(Status::Success);
        }
        Command::Man { out: None } => clap_mangen::Man::new(definition).render(&mut text)?,
        Command::Completion { shell } => {
            clap_complete::generate(*shell, &mut definition, "sms-bcast", &mut text)
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&text)?;
    stdout.flush()?;
    Ok(Status::Success)
}
