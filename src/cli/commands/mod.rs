//! One module per subcommand, each with its `Args` struct and a `run` function.

mod check;
mod form;
mod generate;
mod init;
mod keygen;
mod list;
mod notify;
mod preview;
mod recipients;
mod review;
mod revise;
mod roles;
mod send;
mod show;
mod submit;
mod verify;
mod withdraw;

use clap::Subcommand;

use clap::ValueEnum;

use super::output::Format;
use super::{Cli, Status};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make a new workspace: settings, the first registry (signed by you, the admin), folders.
    Init(init::Args),
    /// Make a minisign key pair; prints its key id.
    Keygen(keygen::Args),
    /// Change or show the trust registry (people, keys, roles).
    #[command(subcommand)]
    Roles(roles::Command),
    /// Print a blank, commented request form.
    Form(form::Args),
    /// Check a filled-in form, give it an id, sign and commit it; prints the id.
    Submit(submit::Args),
    /// Submit a new revision of a request (requester; earlier reviews stop counting).
    Revise(revise::Args),
    /// Take a request back (requester).
    Withdraw(withdraw::Args),
    /// Approve a request as advisor (Team Leader) or decider (Satker).
    Approve(review::ApproveArgs),
    /// Reject a request as advisor or decider; the requester is told why.
    Reject(review::RejectArgs),
    /// Every request with its state and who is awaited.
    List(list::Args),
    /// One request: state, steps, who is awaited.
    Show(show::Args),
    /// Check every signature, role, order and content digest from the pinned trust anchor.
    Verify(verify::Args),
    /// Every deadline of every request; exit 1 when one is overdue (for CI).
    Check(check::Args),
    /// Who will get a request's message, dropped rows, encoding, parts and cost (reads files only).
    Preview(preview::Args),
    /// Send an approved request through a gateway (operator): claim, send, record the result.
    Send(send::Args),
    /// Deliver queued notices (rejections, approvals, reminders), each exactly once.
    Notify(notify::Args),
    /// Check recipient lists: every bad row with its file, row and reason.
    Recipients(recipients::Args),
    /// Print the man page or a shell completion script.
    #[command(subcommand)]
    Generate(generate::Command),
}

impl Command {
    /// The `--format` values this command can write.
    fn formats(&self) -> &'static [Format] {
        use Format::*;
        match self {
            Command::List(_) | Command::Show(_) | Command::Verify(_) | Command::Send(_) => {
                &[Table, Json]
            }
            Command::Roles(roles::Command::List) => &[Table, Json],
            Command::Preview(_) | Command::Recipients(_) => &[Table, Json, Csv],
            Command::Check(_) => &[Table, Json, Junit, Github, Gitlab],
            _ => &[Table],
        }
    }
}

/// Refuses a `--format` the command cannot write (rather than ignoring it).
fn check_format(cli: &Cli) -> anyhow::Result<()> {
    let allowed = cli.command.formats();
    match cli.format {
        Some(format) if !allowed.contains(&format) => {
            let names: Vec<String> = allowed
                .iter()
                .map(|f| {
                    f.to_possible_value()
                        .map(|v| v.get_name().to_string())
                        .unwrap_or_default()
                })
                .collect();
            let name = format
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default();
            if names.len() == 1 {
                anyhow::bail!("this command has no `{name}` output\n  hint: leave out --format");
            }
            anyhow::bail!(
                "this command has no `{name}` output\n  hint: use --format {}",
                names.join(", ")
            );
        }
        _ => Ok(()),
    }
}

pub fn run(cli: &Cli) -> anyhow::Result<Status> {
    check_format(cli)?;
    match &cli.command {
        Command::Init(args) => init::run(cli, args),
        Command::Keygen(args) => keygen::run(cli, args),
        Command::Roles(command) => roles::run(cli, command),
        Command::Form(args) => form::run(cli, args),
        Command::Submit(args) => submit::run(cli, args),
        Command::Revise(args) => revise::run(cli, args),
        Command::Withdraw(args) => withdraw::run(cli, args),
        Command::Approve(args) => review::approve(cli, args),
        Command::Reject(args) => review::reject(cli, args),
        Command::List(args) => list::run(cli, args),
        Command::Show(args) => show::run(cli, args),
        Command::Verify(args) => verify::run(cli, args),
        Command::Generate(command) => generate::run(cli, command),
        Command::Preview(args) => preview::run(cli, args),
        Command::Recipients(args) => recipients::run(cli, args),
        Command::Check(args) => check::run(cli, args),
        Command::Notify(args) => notify::run(cli, args),
        Command::Send(args) => send::run(cli, args),
    }
}
