//! `sms-bcast form`: print a blank, commented request form.

use std::io::Write;

use anyhow::Result;
use sms_bcast::request::BLANK_FORM;

use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_cli: &Cli, _args: &Args) -> Result<Status> {
    std::io::stdout().write_all(BLANK_FORM.as_bytes())?;
    Ok(Status::Success)
}
