//! `sms-bcast generate man|completion SHELL`: the man page and shell
//! completions, generated from the same clap definition as `--help`.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::{Cli, Status};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the man page (roff): `sms-bcast generate man > sms-bcast.1`.
    Man,
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
        Command::Man => clap_mangen::Man::new(definition).render(&mut text)?,
        Command::Completion { shell } => {
            clap_complete::generate(*shell, &mut definition, "sms-bcast", &mut text)
        }
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&text)?;
    stdout.flush()?;
    Ok(Status::Success)
}
