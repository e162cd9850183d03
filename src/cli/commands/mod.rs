//! One module per subcommand, each with its `Args` struct and a `run` function.

mod form;
mod recipients;

use clap::Subcommand;

use super::{Cli, Status};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a blank, commented request form.
    Form(form::Args),
    /// Check recipient lists.
    Recipients(recipients::Args),
}

pub fn run(cli: &Cli) -> anyhow::Result<Status> {
    match &cli.command {
        Command::Form(args) => form::run(cli, args),
        Command::Recipients(args) => recipients::run(cli, args),
    }
}
