//! `sms-bcast init`: a new workspace with its first, admin-signed registry.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use sms_bcast::calendar::CalendarSettings;
use sms_bcast::registry::{self, Person, RegistryDoc, Role};
use sms_bcast::sla::SlaPolicy;
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
    registry::check_name(&args.name).map_err(|why| {
        anyhow::anyhow!(
            "--name: {why}\n  hint: give your name as it will stand on records, on one line"
        )
    })?;
    let phone = args
        .phone
        .as_deref()
        .map(|given| {
            sms_bcast::phone::normalise(given, &sms_bcast::phone::NumberRules::indonesia())
                .map(|n| n.as_str().to_string())
                .map_err(|e| anyhow::anyhow!("--phone `{given}`: {e}\n  hint: give a mobile number such as +6281200001234"))
        })
        .transpose()?;
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
            phone,
        }],
        revoked: Vec::new(),
    };
    let mut files = registry::signed_files(doc, &[&key])?;
    let anchor = Anchor {
        repo_id: repo_id.clone(),
        registry_sha256: digest::sha256(&files[0].1),
    };
    // A workspace that keeps its own calendar folder keeps its holiday files.
    let with_holidays = !dir.join("calendar").exists();
    files.extend(
        starter_files(with_holidays)
            .into_iter()
            .filter(|(path, _)| {
                !(dir.join(path).exists()
                    && (keep_config || path != std::path::Path::new(CONFIG_FILE)))
            }),
    );
    let message = gitstore::message(
        "Start sms-bcast workspace",
        &[
            ("Sms-Bcast-Registry", "v1".into()),
            ("Sms-Bcast-Anchor", anchor.to_string()),
        ],
    );
    gitstore::commit_files(&dir, &files, &message, &args.name, key.id())?;
    trust::remember_highest(&repo_id, 1)?;
    outln!(
        "Initialised sms-bcast workspace in {} (repository id {repo_id}).",
        dir.display()
    );
    outln!("Trust anchor: {anchor}");
    if !args.no_pin {
        let file = trust::pin(&anchor)?;
        outln!("Pinned for this user in {}.", file.display());
    }
    outln!(
        "Everyone else pins it with `--trust ANCHOR`, SMS_BCAST_TRUST=ANCHOR, or a line in ~/.config/sms-bcast/trust."
    );
    outln!(
        "Hand the anchor over a channel you trust (not through the repository): it is what makes the registry trusted."
    );
    Ok(Status::Success)
}

/// The shipped holiday files (see their headers for sources and caveats).
const HOLIDAY_FILES: [(&str, &str); 2] = [
    (
        "calendar/2026.yaml",
        include_str!("../../../calendar/2026.yaml"),
    ),
    (
        "calendar/2027.yaml",
        include_str!("../../../calendar/2027.yaml"),
    ),
];

/// The files a new workspace starts with besides its registry.
fn starter_files(with_holidays: bool) -> Vec<(PathBuf, Vec<u8>)> {
    let holidays = HOLIDAY_FILES
        .iter()
        .filter(|_| with_holidays)
        .map(|(path, text)| (PathBuf::from(path), text.as_bytes().to_vec()));
    let mut files = vec![
        (PathBuf::from(CONFIG_FILE), default_config().into_bytes()),
        (PathBuf::from(".gitignore"), format!("/{}/\n", workspace::STATE_DIR).into_bytes()),
        (
            PathBuf::from(workspace::REQUESTS_DIR).join("README.md"),
            b"One folder per request: its form revisions and signed records. Written by sms-bcast; never edit.\n".to_vec(),
        ),
        (
            PathBuf::from(workspace::RECIPIENTS_DIR).join("optout.csv"),
            b"phone,note\n".to_vec(),
        ),
    ];
    files.extend(holidays);
    files
}

const CONFIG_HEAD: &str =
    "# sms-bcast workspace settings (full schema: the sms-bcast README, `sms-bcast.yaml`). Never put secrets here.
schema: sms-bcast/workspace/v1
name: SMS broadcast
time_zone: Asia/Jakarta
";

/// Comments put above lines of the serialized defaults, so the file explains itself.
const DEADLINE_COMMENTS: [(&str, &str); 5] = [
    (
        "calendar:",
        "# Working calendar the deadlines count in (docs/deadlines.md). Holidays and cuti
# bersama are in calendar/<year>.yaml, one file per year.",
    ),
    (
        "  time_zone:",
        "  # Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT).
  # working_hours: \"07:30-16:00\"   # optional: only these hours of a working day count",
    ),
    (
        "  cuti_bersama_working:",
        "  # true: cuti bersama days are working days.",
    ),
    (
        "  missing_year:",
        "  # error: a deadline in a year without a holiday file stops `check` (exit 2);
  # weekends-only: count such a year without holidays.",
    ),
    (
        "sla:",
        "# Deadline clocks (SOP sections 3, 7 and 10), checked by `sms-bcast check`.
# Events: submitted (of the current revision), advisor-decided, advisor-approved,
# decider-decided, decider-approved, send-after (the wished send time), sent.
# Goals: N working days|hours|minutes (on the calendar) or N days|hours|minutes
# (around the clock). warn_at: share of the goal used before a clock is `due-soon`.",
    ),
];

/// The settings of a new workspace: the head, then the default calendar and
/// SLA policy written from their types, with comments.
pub fn default_config() -> String {
    #[derive(serde::Serialize)]
    struct Deadlines {
        calendar: CalendarSettings,
        sla: SlaPolicy,
    }
    let yaml = serde_yaml::to_string(&Deadlines {
        calendar: CalendarSettings::default(),
        sla: SlaPolicy::default(),
    })
    .expect("plain data serializes");
    let mut out = String::from(CONFIG_HEAD);
    for line in yaml.lines() {
        if let Some((_, comment)) = DEADLINE_COMMENTS
            .iter()
            .find(|(at, _)| line.starts_with(at))
        {
            out.push_str(comment);
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_and_sample_settings_hold_the_default_deadlines() {
        let sample = include_str!("../../../sms-bcast.yaml");
        for (name, text) in [("new", default_config()), ("sample", sample.to_string())] {
            let config = workspace::parse_config(std::path::Path::new(name), &text).unwrap();
            assert_eq!(config.calendar, CalendarSettings::default(), "{name}");
            assert_eq!(config.sla, SlaPolicy::default(), "{name}");
            assert!(text.contains("# working_hours: \"07:30-16:00\""), "{name}");
        }
    }
}
