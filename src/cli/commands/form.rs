//! `sms-bcast form`: print a blank, commented request form.

use std::io::Write;

use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_cli: &Cli, _args: &Args) -> anyhow::Result<Status> {
    std::io::stdout().write_all(b"# form (in progress)\n")?;
    Ok(Status::Success)
}
