//! Signed records ("statements"): one small YAML file per step, signed with
//! minisign as exact bytes and parsed only to be checked against its signature.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::digest;
use crate::error::Result;
use crate::keys::{self, SigningKey};
use crate::registry::Role;

pub const SCHEMA: &str = "sms-bcast/statement/v1";

/// What a record says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The requester submitted revision 1.
    Submit,
    /// The requester submitted a new revision; earlier reviews stop counting.
    Revise,
    /// A reviewer (advisor or decider) approved the current revision.
    Approve,
    /// A reviewer rejected the current revision (reason required).
    Reject,
    /// The requester took the request back.
    Withdraw,
    /// The operator claimed the broadcast before the first message left.
    Claim,
    /// The operator recorded the finished broadcast.
    Sent,
    /// The operator recorded a partial broadcast as final.
    Abandon,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Submit => "submit",
            Kind::Revise => "revise",
            Kind::Approve => "approve",
            Kind::Reject => "reject",
            Kind::Withdraw => "withdraw",
            Kind::Claim => "claim",
            Kind::Sent => "sent",
            Kind::Abandon => "abandon",
        }
    }

    /// The roles allowed to sign this kind of record.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Kind::Submit | Kind::Revise | Kind::Withdraw => &[Role::Requester],
            Kind::Approve | Kind::Reject => &[Role::Advisor, Role::Decider],
            Kind::Claim | Kind::Sent | Kind::Abandon => &[Role::Operator],
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The digest of a recipient list a request uses, with its filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListDigest {
    pub list: String,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filter: BTreeMap<String, String>,
}

/// The content of one signed record.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub schema: String,
    pub kind: Kind,
    pub repo_id: String,
    pub request_id: String,
    pub revision: u32,
    /// The revision's form, relative to the workspace.
    pub request_file: String,
    /// `sha256:` of the form's exact bytes.
    pub request_sha256: String,
    pub role: Role,
    /// Registry key id of the signer.
    pub signer: String,
    pub signer_name: String,
    pub registry_version: u32,
    pub registry_sha256: String,
    /// `sha256:` of the previous record's file in this request's chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// Self-asserted by the signer.
    pub time: DateTime<FixedOffset>,
    /// The time came from the drill clock (`SMS_BCAST_NOW`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub drill_clock: bool,
    pub nonce: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Recipient lists covered (submit and revise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<ListDigest>,
    /// Further facts a step records (recipient count, cost, send results…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A record ready to be committed: its file names and bytes.
pub struct SignedRecord {
    pub statement: Statement,
    pub statement_path: PathBuf,
    pub bytes: Vec<u8>,
    pub signature: String,
}

impl SignedRecord {
    pub fn files(&self) -> Vec<(PathBuf, Vec<u8>)> {
        vec![
            (self.statement_path.clone(), self.bytes.clone()),
            (
                signature_path(&self.statement_path),
                self.signature.clone().into_bytes(),
            ),
        ]
    }

    pub fn sha256(&self) -> String {
        digest::sha256(&self.bytes)
    }
}

impl Statement {
    /// The file name this statement must have: its time, kind, role, signer and
    /// nonce. Checked by `verify`, so renaming or swapping records is noticed.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}-{}-{}.yaml",
            self.time.naive_utc().format("%Y%m%dT%H%M%SZ"),
            self.kind,
            self.role,
            keys::short_id(&self.signer),
            &self.nonce[..self.nonce.len().min(8)]
        )
    }

    /// The one-line trusted comment (what `minisign -V` shows).
    pub fn trusted_comment(&self, sha256: &str) -> String {
        format!(
            "sms-bcast {} {} r{} {} {}",
            self.kind, self.request_id, self.revision, self.role, sha256
        )
    }

    /// Serialises once, signs the exact bytes.
    pub fn sign(self, key: &SigningKey) -> Result<SignedRecord> {
        let bytes = serde_yaml::to_string(&self)
            .expect("statements always serialise")
            .into_bytes();
        let signature = key.sign(&bytes, &self.trusted_comment(&digest::sha256(&bytes)))?;
        let statement_path = PathBuf::from(crate::workspace::REQUESTS_DIR)
            .join(&self.request_id)
            .join(self.file_name());
        Ok(SignedRecord {
            statement: self,
            statement_path,
            bytes,
            signature,
        })
    }
}

/// `X.yaml` → `X.yaml.minisig`.
pub fn signature_path(statement: &std::path::Path) -> PathBuf {
    let mut name = statement.as_os_str().to_owned();
    name.push(".minisig");
    PathBuf::from(name)
}

/// The form file of a revision: `requests/<id>/request-r<rev>.yaml`.
pub fn request_file(id: &str, revision: u32) -> String {
    format!(
        "{}/{id}/request-r{revision}.yaml",
        crate::workspace::REQUESTS_DIR
    )
}

/// What a new record is about; the rest comes from the registry and signer.
pub struct Draft<'a> {
    pub kind: Kind,
    pub role: Role,
    pub request_id: &'a str,
    pub revision: u32,
    pub request_sha256: String,
    pub previous: Option<String>,
    pub time: DateTime<FixedOffset>,
    pub drill_clock: bool,
}

impl Statement {
    /// A statement for `draft`, signed later by `signer` under the latest registry version.
    pub fn new(
        draft: Draft<'_>,
        registry: &crate::registry::Registry,
        signer: &crate::registry::Person,
    ) -> Statement {
        let latest = registry.latest();
        Statement {
            schema: SCHEMA.to_string(),
            kind: draft.kind,
            repo_id: registry.repo_id().to_string(),
            request_id: draft.request_id.to_string(),
            revision: draft.revision,
            request_file: request_file(draft.request_id, draft.revision),
            request_sha256: draft.request_sha256,
            role: draft.role,
            signer: signer.key.clone(),
            signer_name: signer.name.clone(),
            registry_version: latest.doc.version,
            registry_sha256: latest.sha256.clone(),
            previous: draft.previous,
            time: draft.time,
            drill_clock: draft.drill_clock,
            nonce: digest::random_hex(16),
            reason: None,
            lists: Vec::new(),
            facts: BTreeMap::new(),
        }
    }
}
