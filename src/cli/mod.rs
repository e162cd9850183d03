//! Command-line layer: argument parsing, output formats and exit codes.
//! Each subcommand lives in `commands/<name>.rs` with its `Args` and `run`.

/// `println!` that returns the write error (a closed pipe) instead of panicking,
/// so `sms-bcast list | head -1` ends quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?;
    }};
}

/// `print!` that returns the write error instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*)?;
    }};
}

/// A progress line printed while work that must finish (e.g. a commit) is
/// still ahead: a closed pipe does not stop that work.
macro_rules! progress {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub mod commands;
pub mod context;
pub mod interrupt;
pub mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// What a command found; errors (exit 2) travel as `anyhow::Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 0: all well.
    Success,
    /// Exit 1: the command worked and found something wrong.
    Problems,
}

const AFTER_HELP: &str = "\
Environment:
  SMS_BCAST_KEY           secret key file for signing commands (as --key)
  SMS_BCAST_KEY_PASSWORD  its password (otherwise asked on the terminal; never a flag)
  SMS_BCAST_TRUST         the workspace's trust anchor (as --trust)
  SMS_BCAST_NOW           evaluate at this RFC 3339 time (check, list); signing
                          commands honour it only in a drill workspace
  Gateway secrets come from the variables the gateways name in sms-bcast.yaml.

Exit status:
  0  all well
  1  the command worked and found something wrong (verify: a bad record;
     check: a breach; recipients check: bad rows; send/notify: failed or unknown)
  2  it refused or could not do its job (usage, bad input, a refused step,
     configuration, I/O); the message names the file, line and field

Documentation: README.md and docs/ of the sms-bcast source.";

/// Signed, checked SMS broadcasts from a git workspace.
#[derive(Debug, Parser)]
#[command(
    name = "sms-bcast",
    version,
    about,
    long_about = None,
    propagate_version = true,
    after_long_help = AFTER_HELP
)]
pub struct Cli {
    /// Run as if started in DIR (the workspace).
    #[arg(short = 'C', long = "directory", value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    /// Output format (defaults to a table).
    #[arg(long, value_enum, global = true)]
    pub format: Option<output::Format>,

    /// Trust anchor of the workspace (REPO-ID@sha256:HEX, printed by `init`).
    #[arg(long, env = "SMS_BCAST_TRUST", value_name = "ANCHOR", global = true)]
    pub trust: Option<String>,

    #[command(subcommand)]
    pub command: commands::Command,
}

impl Cli {
    /// The workspace directory the user named, else the nearest folder from
    /// here upwards that holds `sms-bcast.yaml` (as git finds its repository),
    /// else the current one.
    pub fn workspace_dir(&self) -> PathBuf {
        if let Some(dir) = &self.directory {
            return dir.clone();
        }
        let here = PathBuf::from(".");
        if here.join(sms_bcast::workspace::CONFIG_FILE).exists() {
            return here;
        }
        std::env::current_dir()
            .ok()
            .and_then(|cwd| {
                cwd.ancestors()
                    .find(|dir| dir.join(sms_bcast::workspace::CONFIG_FILE).is_file())
                    .map(PathBuf::from)
            })
            .unwrap_or(here)
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    interrupt::install();
    match commands::run(&cli) {
        Ok(Status::Success) => ExitCode::SUCCESS,
        Ok(Status::Problems) => ExitCode::from(1),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(BrokenPipe))
            || cause.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == BrokenPipe),
            )
    })
}
