//! `sms-bcast keygen`: a minisign key pair in the standard file formats.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use sms_bcast::keys;

use crate::cli::context::KEY_PASSWORD_VAR;
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Whose key this is; also the file name (NAME.key, NAME.pub).
    #[arg(long)]
    pub name: String,
    /// Folder to write the two files to.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Leave the secret key unencrypted (automation and tests only).
    #[arg(long)]
    pub no_password: bool,
}

pub fn run(_cli: &Cli, args: &Args) -> Result<Status> {
    let stem: String = args
        .name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if stem.trim_matches('-').is_empty() {
        bail!(
            "`{}` cannot name a key file\n  hint: use letters and digits",
            args.name
        );
    }
    let secret_path = args.out.join(format!("{stem}.key"));
    let public_path = args.out.join(format!("{stem}.pub"));
    for path in [&secret_path, &public_path] {
        if path.exists() {
            bail!(
                "{} already exists\n  hint: keys are never overwritten; move it away or choose another --name",
                path.display()
            );
        }
    }
    let password = if args.no_password {
        None
    } else {
        Some(new_password()?)
    };
    let generated = keys::generate(&args.name, password)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    write_private(&secret_path, generated.secret_file.as_bytes())?;
    std::fs::write(&public_path, &generated.public_file)
        .with_context(|| format!("cannot write {}", public_path.display()))?;
    outln!("{}", generated.id);
    eprintln!(
        "Wrote {} (secret: keep it to yourself) and {} (public: give it to an admin).",
        secret_path.display(),
        public_path.display()
    );
    Ok(Status::Success)
}

fn new_password() -> Result<String> {
    if let Ok(pw) = std::env::var(KEY_PASSWORD_VAR) {
        if pw.is_empty() {
            bail!(
                "{KEY_PASSWORD_VAR} is empty\n  hint: set a password, or pass --no-password for an unencrypted key"
            );
        }
        return Ok(pw);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "no terminal to ask for the new key's password\n  hint: set {KEY_PASSWORD_VAR}, or pass --no-password for an unencrypted key"
        );
    }
    let first = rpassword::prompt_password("Password for the new key: ")?;
    let second = rpassword::prompt_password("Same password again: ")?;
    if first != second {
        bail!("the two passwords differ\n  hint: run keygen again");
    }
    if first.is_empty() {
        bail!(
            "an empty password\n  hint: choose one, or pass --no-password for an unencrypted key"
        );
    }
    Ok(first)
}

/// Writes a secret key readable by its owner only.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}
