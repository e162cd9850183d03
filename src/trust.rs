//! Trust anchors pinned outside the repository, and the highest registry
//! version seen (so a repository rolled back to an older registry is noticed).

use std::fmt;
use std::path::PathBuf;

use crate::error::{Error, Result};

/// `<repo-id>@sha256:<hex>`: the repository id and the digest of registry version 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub repo_id: String,
    pub registry_sha256: String,
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.repo_id, self.registry_sha256)
    }
}

impl std::str::FromStr for Anchor {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (repo_id, digest) = s
            .trim()
            .split_once('@')
            .ok_or_else(|| format!("`{s}` is not a trust anchor (expected REPO-ID@sha256:HEX, as printed by `sms-bcast init`)"))?;
        let hex = digest.strip_prefix("sha256:").unwrap_or("");
        if repo_id.is_empty() || hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!(
                "`{s}` is not a trust anchor (expected REPO-ID@sha256:HEX, as printed by `sms-bcast init`)"
            ));
        }
        Ok(Anchor {
            repo_id: repo_id.to_string(),
            registry_sha256: digest.to_ascii_lowercase(),
        })
    }
}

/// Where per-user configuration lives (`$XDG_CONFIG_HOME/sms-bcast` or `~/.config/sms-bcast`).
pub fn config_dir() -> Option<PathBuf> {
    xdg_dir("XDG_CONFIG_HOME", ".config")
}

/// Where per-user state lives (`$XDG_STATE_HOME/sms-bcast` or `~/.local/state/sms-bcast`).
pub fn state_dir() -> Option<PathBuf> {
    xdg_dir("XDG_STATE_HOME", ".local/state")
}

fn xdg_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    let base = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(fallback)))?;
    Some(base.join("sms-bcast"))
}

/// The per-user file of pinned anchors, one per line.
pub fn trust_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join("trust"))
}

/// The anchor for `repo_id`: the one given (flag or `SMS_BCAST_TRUST`), else
/// the per-user trust file's line for that repository.
pub fn find_anchor(given: Option<&str>, repo_id: &str) -> Result<Anchor> {
    let file = trust_file().map_or_else(
        || "~/.config/sms-bcast/trust".to_string(),
        |f| f.display().to_string(),
    );
    let how = format!(
        "pin it with `--trust ANCHOR`, the SMS_BCAST_TRUST variable, or a line in {file}; the anchor is printed by `sms-bcast init` — get it from the workspace's admin, not from the repository"
    );
    if let Some(text) = given {
        return text
            .parse()
            .map_err(|e: String| Error::refused(e, how.as_str()));
    }
    if let Some(file) = trust_file()
        && let Ok(text) = std::fs::read_to_string(&file)
    {
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if let Ok(anchor) = line.parse::<Anchor>()
                && anchor.repo_id == repo_id
            {
                return Ok(anchor);
            }
        }
    }
    Err(Error::refused(
        format!("no trust anchor is pinned for workspace {repo_id}"),
        how,
    ))
}

/// Adds `anchor` to the per-user trust file (once).
pub fn pin(anchor: &Anchor) -> Result<PathBuf> {
    let file = trust_file()
        .ok_or_else(|| Error::refused("HOME is not set", "set HOME or XDG_CONFIG_HOME"))?;
    let existing = std::fs::read_to_string(&file).unwrap_or_default();
    if !existing.lines().any(|l| l.trim() == anchor.to_string()) {
        let mut text = existing;
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!("{anchor}\n"));
        crate::fsutil::write_atomic(&file, text.as_bytes())?;
    }
    Ok(file)
}

/// The highest registry version this user has verified for `repo_id`.
pub fn highest_seen(repo_id: &str) -> Option<u32> {
    let file = state_dir()?.join(format!("{repo_id}.registry-version"));
    std::fs::read_to_string(file).ok()?.trim().parse().ok()
}

/// Remembers `version` as verified for `repo_id` if it is higher than before.
pub fn remember_highest(repo_id: &str, version: u32) -> Result<()> {
    if highest_seen(repo_id).is_some_and(|seen| seen >= version) {
        return Ok(());
    }
    let Some(dir) = state_dir() else {
        return Ok(());
    };
    crate::fsutil::write_atomic(
        &dir.join(format!("{repo_id}.registry-version")),
        format!("{version}\n").as_bytes(),
    )
}

/// The state file name, for messages.
pub fn highest_file(repo_id: &str) -> Option<PathBuf> {
    state_dir().map(|d| d.join(format!("{repo_id}.registry-version")))
}
