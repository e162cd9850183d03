//! The trust registry: people, their public keys and roles, one file per
//! version under `registry/`, each version signed by the admins of the one
//! before it (the first by its own admins, pinned from outside by a trust anchor).

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use minisign::PublicKey;
use serde::{Deserialize, Serialize};

use crate::digest;
use crate::error::{Error, Result};
use crate::keys::{self, SigningKey};
use crate::trust::Anchor;

pub const SCHEMA: &str = "sms-bcast/registry/v1";
pub const DIR: &str = "registry";

/// What a person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Requester,
    Advisor,
    Decider,
    Operator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Requester,
        Role::Advisor,
        Role::Decider,
        Role::Operator,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Advisor => "advisor",
            Role::Decider => "decider",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}` (roles: requester, advisor, decider, operator, admin)")
            })
    }
}

/// One registered person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    /// `sha256:` of the Ed25519 public key.
    pub key: String,
    /// The minisign public key (`minisign -P` form).
    pub public_key: String,
    pub roles: Vec<Role>,
    /// Phone number for notices, E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A key taken out of the registry; kept so audits can explain failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    pub name: String,
    pub key: String,
    pub at: DateTime<FixedOffset>,
    pub reason: String,
}

/// The content of one registry version file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryDoc {
    pub schema: String,
    pub repo_id: String,
    pub version: u32,
    /// `sha256:` of the previous version's file; absent in version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    pub created: DateTime<FixedOffset>,
    /// A drill workspace: signing commands honour `SMS_BCAST_NOW`.
    #[serde(default)]
    pub drill: bool,
    /// How many admins must sign the next version.
    pub admin_threshold: u32,
    pub people: Vec<Person>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked: Vec<Revocation>,
}

/// One version as read from disk: its exact bytes and their digest.
#[derive(Debug, Clone)]
pub struct Version {
    pub doc: RegistryDoc,
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// A problem found while checking the registry, with the file it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

/// All registry versions of a workspace, oldest first.
#[derive(Debug, Clone)]
pub struct Registry {
    pub versions: Vec<Version>,
}

pub fn version_file_name(version: u32) -> String {
    format!("v{version:04}.yaml")
}

fn signature_file_name(version: u32, key_id: &str) -> String {
    format!(
        "{}.{}.minisig",
        version_file_name(version),
        keys::short_id(key_id)
    )
}

impl RegistryDoc {
    pub fn person_by_key(&self, key_id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.key == key_id)
    }

    pub fn person_by_name(&self, name: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.name == name)
    }

    pub fn holders(&self, role: Role) -> impl Iterator<Item = &Person> {
        self.people.iter().filter(move |p| p.roles.contains(&role))
    }

    pub fn is_revoked(&self, key_id: &str) -> bool {
        self.revoked.iter().any(|r| r.key == key_id)
    }

    /// The document as YAML, as it is written (and then signed) once.
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).expect("registry documents always serialise")
    }

    /// Checks what a version must hold on its own: unique names and keys, keys
    /// that match their ids, a threshold the admins can meet.
    fn check_contents(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.schema != SCHEMA {
            problems.push(format!("schema is `{}`, expected `{SCHEMA}`", self.schema));
        }
        let mut names = BTreeSet::new();
        let mut ids = BTreeSet::new();
        let mut numbers = BTreeSet::new();
        for person in &self.people {
            if let Err(why) = check_name(&person.name) {
                problems.push(why);
            }
            if !names.insert(person.name.as_str()) {
                problems.push(format!("person `{}` is listed twice", person.name));
            }
            if !ids.insert(person.key.as_str()) {
                problems.push(format!("key {} is listed twice", person.key));
            }
            match keys::parse_public_key(&person.public_key) {
                Ok(pk) => {
                    if keys::key_id(&pk) != person.key {
                        problems.push(format!(
                            "the key id of `{}` does not match its public key",
                            person.name
                        ));
                    }
                    if !numbers.insert(keys::key_number(&pk)) {
                        problems.push(format!(
                            "the minisign key number of `{}` is used by another key",
                            person.name
                        ));
                    }
                }
                Err(e) => problems.push(format!(
                    "the public key of `{}` is unreadable: {e}",
                    person.name
                )),
            }
            if person.roles.is_empty() {
                problems.push(format!("`{}` has no role", person.name));
            }
            if self.is_revoked(&person.key) {
                problems.push(format!("`{}` holds a revoked key", person.name));
            }
        }
        let admins = self.holders(Role::Admin).count() as u32;
        if self.admin_threshold == 0 || self.admin_threshold > admins {
            problems.push(format!(
                "admin_threshold is {} but there are {admins} admins",
                self.admin_threshold
            ));
        }
        problems
    }
}

impl Registry {
    /// Reads every version file under `registry/`, without checking signatures.
    pub fn load(root: &Path) -> Result<Registry> {
        let dir = root.join(DIR);
        let mut versions = Vec::new();
        for number in 1.. {
            let path = dir.join(version_file_name(number));
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                Err(e) => return Err(Error::io(&path, e)),
            };
            let doc: RegistryDoc = serde_yaml::from_slice(&bytes).map_err(|e| {
                Error::yaml(
                    &path,
                    &e,
                    "registry files are written by `sms-bcast roles`; restore it from git",
                )
            })?;
            versions.push(Version {
                sha256: digest::sha256(&bytes),
                doc,
                path: PathBuf::from(DIR).join(version_file_name(number)),
                bytes,
            });
        }
        if versions.is_empty() {
            return Err(Error::refused(
                format!("{} has no registry (no {DIR}/v0001.yaml)", root.display()),
                "run `sms-bcast init` to make a workspace, or `-C DIR` to name one",
            ));
        }
        Ok(Registry { versions })
    }

    pub fn latest(&self) -> &Version {
        self.versions
            .last()
            .expect("a loaded registry has a version")
    }

    pub fn version(&self, number: u32) -> Option<&Version> {
        self.versions.get((number as usize).checked_sub(1)?)
    }

    pub fn repo_id(&self) -> &str {
        &self.versions[0].doc.repo_id
    }

    pub fn drill(&self) -> bool {
        self.versions[0].doc.drill
    }

    /// Checks the chain from the pinned anchor: version 1 is the pinned file,
    /// every later version links to its predecessor, counts up by one and is
    /// signed by the admin threshold of its predecessor.
    pub fn check(&self, root: &Path, anchor: &Anchor) -> Vec<Problem> {
        let mut problems = Vec::new();
        let first = &self.versions[0];
        let mut problem = |file: &Path, message: String| {
            problems.push(Problem {
                file: file.to_path_buf(),
                message,
            })
        };
        if first.doc.repo_id != anchor.repo_id || first.sha256 != anchor.registry_sha256 {
            problem(
                &first.path,
                format!(
                    "does not match the pinned trust anchor {anchor} (this file is {}@{})",
                    first.doc.repo_id, first.sha256
                ),
            );
        }
        for (index, version) in self.versions.iter().enumerate() {
            let number = index as u32 + 1;
            for message in version.doc.check_contents() {
                problem(&version.path, message);
            }
            if version.doc.version != number {
                problem(
                    &version.path,
                    format!(
                        "says it is version {} but is file {}",
                        version.doc.version, number
                    ),
                );
            }
            let signer_doc = if index == 0 {
                &version.doc
            } else {
                let previous = &self.versions[index - 1];
                if version.doc.previous.as_deref() != Some(previous.sha256.as_str()) {
                    problem(
                        &version.path,
                        format!(
                            "does not link to {} (previous digest differs)",
                            previous.path.display()
                        ),
                    );
                }
                if version.doc.repo_id != first.doc.repo_id || version.doc.drill != first.doc.drill
                {
                    problem(
                        &version.path,
                        "changes the repository id or the drill mark".into(),
                    );
                }
                if version.doc.created < previous.doc.created {
                    problem(
                        &version.path,
                        "is dated before the version it replaces".into(),
                    );
                }
                &previous.doc
            };
            let signers = valid_admin_signatures(root, version, signer_doc);
            if signers < signer_doc.admin_threshold as usize {
                problem(
                    &version.path,
                    format!(
                        "has {signers} valid admin signature(s); {} needed from the admins of version {}",
                        signer_doc.admin_threshold, signer_doc.version
                    ),
                );
            }
        }
        problems.extend(self.rollback());
        problems
    }

    /// A registry older than the newest this user has verified: the repository
    /// was rolled back (TUF's rule that versions never go down).
    fn rollback(&self) -> Option<Problem> {
        let latest = self.latest();
        let seen =
            crate::trust::highest_seen(self.repo_id()).filter(|seen| *seen > latest.doc.version)?;
        let state = crate::trust::highest_file(self.repo_id())
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        Some(Problem {
            file: latest.path.clone(),
            message: format!(
                "the registry is at version {} but version {seen} was verified here before: the repository was rolled back; fetch the workspace from a clone that has version {seen} (if the rollback is intended, delete {state})",
                latest.doc.version
            ),
        })
    }

    /// The chain, checked from the anchor; any problem is a refusal (for
    /// signing commands). Remembers the version as verified.
    pub fn trusted(self, root: &Path, anchor: &Anchor) -> Result<Registry> {
        let registry = self;
        let problems = registry.check(root, anchor);
        if let Some(first) = problems.first() {
            return Err(Error::refused(
                format!("the registry does not verify: {first}"),
                "run `sms-bcast verify` for every problem; restore the registry from a good clone",
            ));
        }
        crate::trust::remember_highest(registry.repo_id(), registry.latest().doc.version)?;
        Ok(registry)
    }

    /// Writes a new version (the next number) signed by `admins`; returns the
    /// paths written, relative to `root`, with their bytes.
    pub fn next_version(
        &self,
        mut doc: RegistryDoc,
        admins: &[&SigningKey],
    ) -> Result<Vec<(PathBuf, Vec<u8>)>> {
        let latest = &self.latest().doc;
        doc.version = latest.version + 1;
        doc.previous = Some(self.latest().sha256.clone());
        let mut valid = 0;
        for admin in admins {
            match latest.person_by_key(admin.id()) {
                Some(p) if p.roles.contains(&Role::Admin) => valid += 1,
                _ => {
                    return Err(Error::refused(
                        format!(
                            "key {} is not an admin in registry version {}",
                            admin.id(),
                            latest.version
                        ),
                        "sign registry changes with an admin's key (`--key`); `sms-bcast roles list` shows the admins",
                    ));
                }
            }
        }
        if valid < latest.admin_threshold as usize {
            return Err(Error::refused(
                format!(
                    "{valid} admin key(s) given; registry version {} needs {}",
                    latest.version, latest.admin_threshold
                ),
                "pass one `--key` per admin who signs this change",
            ));
        }
        signed_files(doc, admins)
    }
}

/// A person's name: what forms and records show, so one plain line.
pub fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.trim().is_empty() {
        Err("a person's name is empty".into())
    } else if name.chars().any(char::is_control) {
        Err(format!(
            "the name {name:?} holds control characters (line breaks, escapes)"
        ))
    } else if name.chars().count() > 80 {
        Err(format!(
            "the name `{}…` is longer than 80 characters",
            name.chars().take(40).collect::<String>()
        ))
    } else if name != name.trim() {
        Err(format!("the name {name:?} starts or ends with spaces"))
    } else {
        Ok(())
    }
}

/// The files of a registry version signed by `signers`: the YAML and one `.minisig` each.
pub fn signed_files(doc: RegistryDoc, signers: &[&SigningKey]) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let problems = doc.check_contents();
    if let Some(first) = problems.first() {
        return Err(Error::refused(
            format!("the new registry version is not valid: {first}"),
            "fix the command's arguments",
        ));
    }
    let bytes = doc.to_yaml().into_bytes();
    let comment = format!(
        "sms-bcast registry {} version {} {}",
        doc.repo_id,
        doc.version,
        digest::sha256(&bytes)
    );
    let dir = PathBuf::from(DIR);
    let mut files = vec![(dir.join(version_file_name(doc.version)), bytes.clone())];
    for signer in signers {
        let sig = signer.sign(&bytes, &comment)?;
        files.push((
            dir.join(signature_file_name(doc.version, signer.id())),
            sig.into_bytes(),
        ));
    }
    Ok(files)
}

/// How many distinct admins of `signer_doc` signed `version` validly.
fn valid_admin_signatures(root: &Path, version: &Version, signer_doc: &RegistryDoc) -> usize {
    signer_doc
        .holders(Role::Admin)
        .filter(|admin| {
            let sig_path = root
                .join(DIR)
                .join(signature_file_name(version.doc.version, &admin.key));
            let Ok(sig) = std::fs::read_to_string(sig_path) else {
                return false;
            };
            keys::parse_public_key(&admin.public_key)
                .is_ok_and(|pk| keys::verify(&pk, &version.bytes, &sig).is_ok())
        })
        .count()
}

/// Looks a signer up by the key number its signature names, then checks the
/// signature with the registry's full key.
pub fn verify_signed_by<'a>(
    doc: &'a RegistryDoc,
    bytes: &[u8],
    signature: &str,
) -> std::result::Result<&'a Person, String> {
    let number = keys::signature_key_number(signature).ok_or("unreadable signature file")?;
    let person = doc
        .people
        .iter()
        .find(|p| {
            keys::parse_public_key(&p.public_key).is_ok_and(|pk| keys::key_number(&pk) == number)
        })
        .ok_or_else(|| {
            format!(
                "signed with a key that is not in registry version {}",
                doc.version
            )
        })?;
    let pk: PublicKey = keys::parse_public_key(&person.public_key)?;
    keys::verify(&pk, bytes, signature).map_err(|e| format!("bad signature: {e}"))?;
    Ok(person)
}
