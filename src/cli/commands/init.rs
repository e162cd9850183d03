//! `sms-bcast init`: a new workspace with its first, admin-signed registry.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use sms_bcast::registry::{self, Person, RegistryDoc, Role};
use sms_bcast::trust::{self, Anchor};
use sms_bcast::workspace::{self, CONFIG_FILE};
use sms_bcast::{clock, digest, gitstore, keys};

use crate::cli::context::{self, KeyArgs};
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder of the new workspace (made, and `git init`ed, when needed).
    pub dir: Option<PathBuf>,
    /// The first admin's name, as it will stand in the registry.
    #[arg(long)]
    pub name: String,
    /// Further roles of the first admin (e.g. `decider` when the Satker administers).
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<Role>,
    /// The first admin's phone for notices (E.164, e.g. +6281200001234).
    #[arg(long)]
    pub phone: Option<String>,
    /// Mark the workspace as a drill: signing commands honour SMS_BCAST_NOW and
    /// every record says so. For exercises and tests, never for real broadcasts.
    #[arg(long)]
    pub drill: bool,
    /// Do not add the trust anchor to this user's ~/.config/sms-bcast/trust.
    #[arg(long)]
    pub no_pin: bool,
    #[command(flatten)]
    pub key: KeyArgs,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let dir = args.dir.clone().unwrap_or_else(|| cli.workspace_dir());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if dir.join(registry::DIR).exists() {
        bail!(
            "{} is already a workspace (it has a registry)\n  hint: use it as it is, or choose another folder",
            dir.display()
        );
    }
    // Settings already there (e.g. a copy of the sample workspace) are kept, once checked.
    let existing_config = dir.join(CONFIG_FILE);
    let keep_config = existing_config.exists();
    if keep_config {
        let text = std::fs::read_to_string(&existing_config)
            .with_context(|| format!("cannot read {}", existing_config.display()))?;
        workspace::parse_config(&existing_config, &text)?;
    }
    if git2::Repository::open(&dir).is_err() {
        git2::Repository::init(&dir)
            .with_context(|| format!("cannot git init {}", dir.display()))?;
    }
    let key = context::load_key(&args.key.key)?;
    let zone = chrono_tz::Asia::Jakarta;
    let time = clock::signing_now(args.drill, zone)?;
    let mut roles = vec![Role::Admin];
    roles.extend(args.roles.iter().copied().filter(|r| *r != Role::Admin));
    let repo_id = digest::random_hex(16);
    let doc = RegistryDoc {
        schema: registry::SCHEMA.into(),
        repo_id: repo_id.clone(),
        version: 1,
        previous: None,
        created: time.at,
        drill: args.drill,
        admin_threshold: 1,
        people: vec![Person {
            name: args.name.clone(),
            key: key.id().to_string(),
            public_key: keys::public_base64(key.public()),
            roles,
            phone: args.phone.clone(),
        }],
        revoked: Vec::new(),
    };
    let mut files = registry::signed_files(doc, &[&key])?;
    let anchor = Anchor {
        repo_id: repo_id.clone(),
        registry_sha256: digest::sha256(&files[0].1),
    };
    files.extend(starter_files().into_iter().filter(|(path, _)| {
        !(dir.join(path).exists() && (keep_config || path != std::path::Path::new(CONFIG_FILE)))
    }));
    let message = gitstore::message(
        "Start sms-bcast workspace",
        &[
            ("Sms-Bcast-Registry", "v1".into()),
            ("Sms-Bcast-Anchor", anchor.to_string()),
        ],
    );
    gitstore::commit_files(&dir, &files, &message, &args.name, key.id())?;
    trust::remember_highest(&repo_id, 1)?;
    println!(
        "Initialised sms-bcast workspace in {} (repository id {repo_id}).",
        dir.display()
    );
    println!("Trust anchor: {anchor}");
    if !args.no_pin {
        let file = trust::pin(&anchor)?;
        println!("Pinned for this user in {}.", file.display());
    }
    println!(
        "Everyone else pins it with `--trust ANCHOR`, SMS_BCAST_TRUST=ANCHOR, or a line in ~/.config/sms-bcast/trust."
    );
    println!(
        "Hand the anchor over a channel you trust (not through the repository): it is what makes the registry trusted."
    );
    Ok(Status::Success)
}

/// The files a new workspace starts with besides its registry.
fn starter_files() -> Vec<(PathBuf, Vec<u8>)> {
    vec![
        (PathBuf::from(CONFIG_FILE), DEFAULT_CONFIG.as_bytes().to_vec()),
        (PathBuf::from(".gitignore"), format!("/{}/\n", workspace::STATE_DIR).into_bytes()),
        (
            PathBuf::from(workspace::REQUESTS_DIR).join("README.md"),
            b"One folder per request: its form revisions and signed records. Written by sms-bcast; never edit.\n".to_vec(),
        ),
        (
            PathBuf::from(workspace::RECIPIENTS_DIR).join("optout.csv"),
            b"phone,note\n".to_vec(),
        ),
    ]
}

pub const DEFAULT_CONFIG: &str =
    "# sms-bcast workspace settings (schema in README.md). Never put secrets here.
schema: sms-bcast/workspace/v1
name: SMS broadcast
time_zone: Asia/Jakarta
";
