//! Notices: short SMS to the people a step concerns (the requester after a
//! rejection, the operators after the final approval, reviewers whose deadline
//! is near or past), queued as files in the repository by the command that
//! causes them and delivered exactly once by `sms-bcast notify`.
//!
//! # Why notices are not signed
//!
//! `check --notify` runs in CI without anyone's key, so a reminder cannot be
//! signed; rather than sign some notices and not others, no notice is. That is
//! safe because a notice file carries no phone number and no text: it names a
//! *cause* (the digest of a signed reject/approve record, or a reminder's clock,
//! state, awaited role and due time) and an *addressee* (the requester, a
//! registry person, or the holders of a role). `notify` re-derives everything it
//! sends from signed data: the phone from the verified form's `contact_phone`
//! or the trusted registry, the reason from the verified reject record. Editing
//! a notice file can at worst make a registered person receive a fixed-template
//! message about a real request; it can never send to a number the signed
//! data does not hold.
//!
//! # Files
//!
//! `requests/<id>/notices/<stem>.yaml` (the lifecycle ignores subfolders) and,
//! once delivered, `requests/<id>/notices/delivered/<stem>.<to>.yaml`. Stems are
//! digests of the cause and addressee, so two clones that queue the same notice
//! write the same file with the same bytes (a clean merge), and different
//! notices never share a name.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::digest;
use crate::error::{Error, Result};
use crate::lifecycle::Analysis;
use crate::phone::{self, E164, NumberRules};
use crate::record::{Kind, SignedRecord};
use crate::registry::{Registry, Role};
use crate::sla::{self, ClockState};
use crate::smstext;
use crate::workspace::REQUESTS_DIR;

pub const SCHEMA: &str = "sms-bcast/notice/v1";
pub const DELIVERY_SCHEMA: &str = "sms-bcast/notice-delivery/v1";
pub const NOTICES_DIR: &str = "notices";
pub const DELIVERED_DIR: &str = "delivered";

/// Who a notice is for. Phones are never stored here (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Addressee {
    /// Whoever submitted the request.
    Requester,
    /// One registry person, by name.
    Person(String),
    /// Every holder of a role at delivery time, except the request's requester.
    Role(Role),
}

/// Why a notice exists; its text is rendered from this at delivery time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Cause {
    /// A reviewer rejected the request; `record` is the reject record's digest.
    Rejected { record: String },
    /// The decider approved; `record` is the approve record's digest.
    Approved { record: String },
    /// A deadline clock is due soon or breached while `awaiting` must act.
    Reminder {
        clock: String,
        state: ClockState,
        awaiting: sla::Role,
        due: DateTime<FixedOffset>,
    },
}

/// One queued notice (the file's content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub schema: String,
    pub request_id: String,
    pub to: Addressee,
    pub cause: Cause,
}

impl Notice {
    fn new(request_id: &str, to: Addressee, cause: Cause) -> Notice {
        Notice {
            schema: SCHEMA.into(),
            request_id: request_id.into(),
            to,
            cause,
        }
    }

    /// The file name without `.yaml`: readable kind and addressee, then a
    /// digest of what makes the notice unique.
    pub fn stem(&self) -> String {
        let to = match &self.to {
            Addressee::Requester => "requester".to_string(),
            Addressee::Person(name) => format!("person\n{name}"),
            Addressee::Role(role) => format!("role\n{role}"),
        };
        match &self.cause {
            Cause::Rejected { record } | Cause::Approved { record } => {
                let kind = if matches!(self.cause, Cause::Rejected { .. }) {
                    "rejected"
                } else {
                    "approved"
                };
                let readable = match &self.to {
                    Addressee::Person(name) => slug(name),
                    Addressee::Requester => "requester".into(),
                    Addressee::Role(role) => role.to_string(),
                };
                format!(
                    "{kind}-{readable}-{}",
                    short_digest(&format!("{kind}\n{record}\n{to}"))
                )
            }
            // Once per request, clock and state, whatever else differs.
            Cause::Reminder { clock, state, .. } => format!(
                "reminder-{}-{state}-{}",
                clock.replace(' ', "-"),
                short_digest(&format!("reminder\n{}\n{clock}\n{state}", self.request_id))
            ),
        }
    }

    /// `requests/<id>/notices/<stem>.yaml`, relative to the workspace.
    pub fn path(&self) -> PathBuf {
        notices_dir(&self.request_id).join(format!("{}.yaml", self.stem()))
    }

    /// The file to commit.
    pub fn file(&self) -> (PathBuf, Vec<u8>) {
        let yaml = serde_yaml::to_string(self).expect("notices always serialise");
        (self.path(), yaml.into_bytes())
    }
}

/// `requests/<id>/notices`, relative to the workspace.
pub fn notices_dir(request_id: &str) -> PathBuf {
    PathBuf::from(REQUESTS_DIR)
        .join(request_id)
        .join(NOTICES_DIR)
}

fn short_digest(text: &str) -> String {
    let full = digest::sha256(text.as_bytes());
    full.trim_start_matches("sha256:")[..16].to_string()
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if s.is_empty() { "person".into() } else { s }
}

/// The notices a signed decision causes, to be committed with it: a rejection
/// notifies the requester; the decider's approval notifies every operator
/// with a phone in the registry; an advisor's approval notifies nobody.
pub fn for_decision(record: &SignedRecord, registry: &Registry) -> Vec<Notice> {
    let s = &record.statement;
    let digest = record.sha256();
    match (s.kind, s.role) {
        (Kind::Reject, _) => vec![Notice::new(
            &s.request_id,
            Addressee::Requester,
            Cause::Rejected { record: digest },
        )],
        (Kind::Approve, Role::Decider) => registry
            .latest()
            .doc
            .holders(Role::Operator)
            .filter(|p| p.phone.is_some())
            .map(|p| {
                Notice::new(
                    &s.request_id,
                    Addressee::Person(p.name.clone()),
                    Cause::Approved {
                        record: digest.clone(),
                    },
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// One reminder `check --notify` wants queued, in plain values from a
/// [`sla::ClockStatus`]: `clock`, `state`, `awaiting` and `due`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub request_id: String,
    pub clock: String,
    pub state: ClockState,
    pub awaiting: sla::Role,
    pub due: DateTime<FixedOffset>,
}

impl Reminder {
    /// The notice for this reminder; `None` unless the clock is due soon or breached.
    pub fn notice(&self) -> Result<Option<Notice>> {
        crate::workspace::check_request_id(&self.request_id)?;
        let clock_ok = !self.clock.is_empty()
            && self.clock.len() <= 40
            && self
                .clock
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_ ".contains(&b));
        if !clock_ok {
            return Err(Error::refused(
                format!("`{}` is not a clock name", self.clock),
                "clock names are the `name:` of each clock under `sla: clocks:` in sms-bcast.yaml (letters, digits, spaces, - and _)",
            ));
        }
        if !matches!(self.state, ClockState::DueSoon | ClockState::Breached) {
            return Ok(None);
        }
        // A clock awaiting the requester reminds that one person, not every requester.
        let to = match self.awaiting {
            sla::Role::Requester => Addressee::Requester,
            role => Addressee::Role(registry_role(role)),
        };
        Ok(Some(Notice::new(
            &self.request_id,
            to,
            Cause::Reminder {
                clock: self.clock.clone(),
                state: self.state,
                awaiting: self.awaiting,
                due: self.due,
            },
        )))
    }
}

fn registry_role(role: sla::Role) -> Role {
    match role {
        sla::Role::Requester => Role::Requester,
        sla::Role::Advisor => Role::Advisor,
        sla::Role::Decider => Role::Decider,
        sla::Role::Operator => Role::Operator,
    }
}

/// What `check --notify` calls: queues each reminder that is due soon or
/// breached and was never queued before (its file does not exist), and commits
/// the new ones as one commit. Returns the paths queued (empty: nothing new,
/// no commit). Running it every five minutes queues each reminder once.
pub fn queue_reminders(root: &Path, reminders: &[Reminder]) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for reminder in reminders {
        let Some(notice) = reminder.notice()? else {
            continue;
        };
        let (path, bytes) = notice.file();
        if root.join(&path).exists() || files.iter().any(|(p, _)| *p == path) {
            continue;
        }
        files.push((path, bytes));
    }
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let message = crate::gitstore::message(
        &format!("Queue {} deadline reminder(s)", files.len()),
        &[("Sms-Bcast-Notices", files.len().to_string())],
    );
    crate::gitstore::commit_files(root, &files, &message, "sms-bcast check", "notify")?;
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// A notice read from its file.
#[derive(Debug, Clone)]
pub struct Queued {
    /// Relative to the workspace.
    pub path: PathBuf,
    pub stem: String,
    /// The parsed notice, or why the file could not be read.
    pub notice: std::result::Result<Notice, String>,
}

/// Every notice queued for request `id`, by file name.
pub fn queued(root: &Path, id: &str) -> Result<Vec<Queued>> {
    let rel = notices_dir(id);
    let dir = root.join(&rel);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yaml") && !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| {
            let path = rel.join(&name);
            let stem = name.trim_end_matches(".yaml").to_string();
            let notice = read_notice(root, &path, id, &stem);
            Queued { path, stem, notice }
        })
        .collect())
}

fn read_notice(
    root: &Path,
    path: &Path,
    id: &str,
    stem: &str,
) -> std::result::Result<Notice, String> {
    let text = std::fs::read_to_string(root.join(path)).map_err(|e| e.to_string())?;
    let notice: Notice = serde_yaml::from_str(&text).map_err(|e| e.to_string())?;
    if notice.schema != SCHEMA || notice.request_id != id || notice.stem() != stem {
        return Err(format!(
            "is not a notice of request {id} named after its content (schema {SCHEMA})"
        ));
    }
    Ok(notice)
}

/// One person a notice goes to, with the phone and text derived from signed data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub person: String,
    /// The phone, or why there is none usable.
    pub phone: std::result::Result<E164, String>,
}

/// A notice made ready for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Send `text` to each target.
    Send { text: String, targets: Vec<Target> },
    /// Nothing to send any more (a reminder whose step has been taken).
    Stale { why: String },
}

/// Renders a notice's text and finds its recipients' phones from the checked
/// request and the trusted registry, never from the notice file.
pub fn plan(
    root: &Path,
    registry: &Registry,
    analysis: &Analysis,
    notice: &Notice,
    rules: &NumberRules,
) -> std::result::Result<Plan, String> {
    let id = &analysis.id;
    let text = match &notice.cause {
        Cause::Rejected { record } | Cause::Approved { record } => {
            let statement = analysis
                .records
                .iter()
                .find(|r| r.sha256 == *record)
                .map(|r| &r.statement)
                .ok_or_else(|| {
                    format!("its record {record} is not among the verified records of {id}")
                })?;
            match (&notice.cause, statement.kind, statement.role) {
                (Cause::Rejected { .. }, Kind::Reject, role) => {
                    rejected_text(id, role, statement.reason.as_deref().unwrap_or(""))
                }
                (Cause::Approved { .. }, Kind::Approve, Role::Decider) => {
                    // Told to the operators only while the broadcast still awaits them.
                    if analysis.stage != crate::lifecycle::Stage::Approved {
                        return Ok(Plan::Stale {
                            why: format!("{id} is already {}", analysis.stage.as_str()),
                        });
                    }
                    let title = analysis.form(root).map(|f| f.title).unwrap_or_default();
                    approved_text(id, &title)
                }
                _ => return Err(format!("its record {record} is not a matching decision")),
            }
        }
        Cause::Reminder {
            clock,
            state,
            awaiting,
            due,
        } => {
            if analysis.stage.awaited_role() != Some(registry_role(*awaiting)) {
                return Ok(Plan::Stale {
                    why: format!(
                        "{id} no longer awaits the {awaiting} (now {})",
                        analysis.stage.as_str()
                    ),
                });
            }
            reminder_text(id, clock, *state, *awaiting, *due)
        }
    };
    let requester = analysis.requester().unwrap_or_default().to_string();
    let people = registry.latest().doc.people.iter();
    let registry_phone = |name: &str| -> std::result::Result<E164, String> {
        let person = registry
            .latest()
            .doc
            .person_by_name(name)
            .ok_or_else(|| format!("{name} is not in the registry"))?;
        let phone = person
            .phone
            .as_deref()
            .ok_or_else(|| format!("{name} has no phone in the registry"))?;
        phone::normalise(phone, rules).map_err(|e| format!("registry phone of {name}: {e}"))
    };
    let targets = match &notice.to {
        Addressee::Requester => {
            if requester.is_empty() {
                return Err(format!("{id} has no verified submission"));
            }
            // The form's contact phone counts only when the whole request verifies.
            let form_phone = analysis
                .problems
                .is_empty()
                .then(|| analysis.form(root).ok())
                .flatten()
                .and_then(|f| phone::normalise(&f.contact_phone, rules).ok());
            vec![Target {
                phone: form_phone.ok_or(()).or_else(|_| registry_phone(&requester)),
                person: requester,
            }]
        }
        Addressee::Person(name) => vec![Target {
            person: name.clone(),
            phone: registry_phone(name),
        }],
        Addressee::Role(role) => people
            .filter(|p| p.roles.contains(role) && p.phone.is_some() && p.name != requester)
            .map(|p| Target {
                person: p.name.clone(),
                phone: registry_phone(&p.name),
            })
            .collect(),
    };
    Ok(Plan::Send { text, targets })
}

/// Notice texts stay within one GSM-7 part (160 septets) when their inputs
/// allow: a long reason or title is cut.
const ONE_PART: usize = 1;

fn rejected_text(id: &str, role: Role, reason: &str) -> String {
    let prefix = format!(
        "sms-bcast: permintaan {id} ditolak oleh {}: ",
        role_name(role)
    );
    fit(&prefix, reason, "")
}

fn approved_text(id: &str, title: &str) -> String {
    let prefix = format!("sms-bcast: permintaan {id} disetujui Satker, siap dikirim operator: ");
    fit(&prefix, title, "")
}

fn reminder_text(
    id: &str,
    clock: &str,
    state: ClockState,
    awaiting: sla::Role,
    due: DateTime<FixedOffset>,
) -> String {
    let who = role_name(registry_role(awaiting));
    let when = format!("{} {}", due.format("%d-%m-%Y %H:%M"), zone_name(due));
    if state == ClockState::Breached {
        format!("sms-bcast: permintaan {id} lewat batas {when} ({clock}); menunggu {who}.")
    } else {
        format!("sms-bcast: pengingat, permintaan {id} menunggu {who} ({clock}); batas {when}.")
    }
}

/// `prefix + body + suffix`, with `body` cut (marked "...") until the whole
/// fits one part.
fn fit(prefix: &str, body: &str, suffix: &str) -> String {
    let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let whole = format!("{prefix}{body}{suffix}");
    if smstext::measure(&whole).parts <= ONE_PART {
        return whole;
    }
    let mut chars: Vec<char> = body.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let cut: String = chars.iter().collect();
        let text = format!("{prefix}{}...{suffix}", cut.trim_end());
        if smstext::measure(&text).parts <= ONE_PART {
            return text;
        }
    }
    format!("{prefix}...{suffix}")
}

/// Indonesian names of the roles, as people in the programme say them.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::Advisor => "Team Leader",
        Role::Decider => "Satker",
        Role::Operator => "operator",
        Role::Requester => "pemohon",
        Role::Admin => "admin",
    }
}

fn zone_name(at: DateTime<FixedOffset>) -> String {
    match at.offset().local_minus_utc() {
        25_200 => "WIB".into(),
        28_800 => "WITA".into(),
        32_400 => "WIT".into(),
        _ => at.format("%:z").to_string(),
    }
}

/// How one delivery ended, as recorded in git.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivered {
    /// The gateway took it.
    Accepted,
    /// It may or may not have left (gateway gave no answer, or a crash after
    /// sending); never resent unless the operator says so.
    Unknown,
    /// Not sent and never will be (a reminder whose step was taken).
    Stale,
}

/// A delivery record: `requests/<id>/notices/delivered/<stem>.<to>.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub schema: String,
    pub request_id: String,
    pub notice: String,
    /// The person (empty for a stale notice).
    pub to: String,
    /// Masked, e.g. `+62812****0003`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
    pub outcome: Delivered,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gateway: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    pub at: DateTime<FixedOffset>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// Where the delivery of notice `stem` to `person` is recorded (`None`: the
/// notice as a whole, e.g. stale).
pub fn delivery_path(request_id: &str, stem: &str, person: Option<&str>) -> PathBuf {
    let to = match person {
        Some(name) => short_digest(&format!("person\n{name}"))[..12].to_string(),
        None => "all".into(),
    };
    notices_dir(request_id)
        .join(DELIVERED_DIR)
        .join(format!("{stem}.{to}.yaml"))
}

/// The recorded delivery at `path` (relative), if any. An unreadable record
/// counts as unknown, so a damaged file never causes a second message.
pub fn recorded(root: &Path, path: &Path) -> Option<Delivered> {
    let text = std::fs::read_to_string(root.join(path)).ok()?;
    Some(
        serde_yaml::from_str::<Delivery>(&text)
            .map(|d| d.outcome)
            .unwrap_or(Delivered::Unknown),
    )
}

impl Delivery {
    pub fn file(&self, path: PathBuf) -> (PathBuf, Vec<u8>) {
        let yaml = serde_yaml::to_string(self).expect("deliveries always serialise");
        (path, yaml.into_bytes())
    }
}

/// The local journal of deliveries in flight (`<state_dir>/notify/`), held
/// under an OS lock so two `notify` runs cannot overlap. A mark is on disk
/// before its message leaves and is cleared once the delivery is committed;
/// a mark found at start means a crash in between: the outcome is unknown.
pub struct Journal {
    dir: PathBuf,
    _lock: File,
}

impl Journal {
    pub fn open(state_dir: &Path) -> Result<Journal> {
        let dir = state_dir.join("notify").join("in-flight");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let lock_path = state_dir.join("notify").join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        match fs4::FileExt::try_lock(&lock) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Err(Error::refused(
                    format!(
                        "another `sms-bcast notify` is running here (lock held on {})",
                        lock_path.display()
                    ),
                    "wait for it to finish, then run notify again",
                ));
            }
            Err(fs4::TryLockError::Error(e)) => return Err(Error::io(&lock_path, e)),
        }
        Ok(Journal { dir, _lock: lock })
    }

    fn mark_path(&self, delivery: &Path) -> PathBuf {
        // One flat name per delivery record path.
        self.dir
            .join(short_digest(&delivery.to_string_lossy().replace('\\', "/")))
    }

    pub fn is_marked(&self, delivery: &Path) -> bool {
        self.mark_path(delivery).exists()
    }

    /// Durably marks `delivery` as in flight (file and folder synced).
    pub fn mark(&self, delivery: &Path) -> Result<()> {
        let path = self.mark_path(delivery);
        crate::fsutil::write_atomic(&path, delivery.to_string_lossy().as_bytes())?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(&self.dir, e))
    }

    pub fn clear(&self, delivery: &Path) -> Result<()> {
        let path = self.mark_path(delivery);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn reminder(state: ClockState, due: &str) -> Reminder {
        Reminder {
            request_id: "20261207-abc123-0001".into(),
            clock: "advisor-review".into(),
            state,
            awaiting: sla::Role::Advisor,
            due: at(due),
        }
    }

    fn git_repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let mut config = repo.config().unwrap();
        config.set_str("user.name", "Test").unwrap();
        config
            .set_str("user.email", "test@example.invalid")
            .unwrap();
        dir
    }

    fn commits(root: &Path) -> usize {
        let repo = git2::Repository::open(root).unwrap();
        let mut walk = repo.revwalk().unwrap();
        if walk.push_head().is_err() {
            return 0;
        }
        walk.count()
    }

    #[test]
    fn a_reminder_is_queued_once_per_request_clock_and_state() {
        let dir = git_repo();
        let root = dir.path();
        let soon = reminder(ClockState::DueSoon, "2026-12-08T16:00:00+07:00");
        let first = queue_reminders(root, std::slice::from_ref(&soon)).unwrap();
        assert_eq!(first.len(), 1);
        assert!(root.join(&first[0]).is_file());
        assert_eq!(commits(root), 1);
        // Every later check run (even with a recomputed due time) queues nothing.
        for due in ["2026-12-08T16:00:00+07:00", "2026-12-09T10:00:00+07:00"] {
            let again = reminder(ClockState::DueSoon, due);
            assert!(queue_reminders(root, &[again]).unwrap().is_empty());
        }
        assert_eq!(commits(root), 1, "no empty commits");
        // The breach is a new state: one more notice, once.
        let breached = reminder(ClockState::Breached, "2026-12-08T16:00:00+07:00");
        let queued = queue_reminders(root, &[breached.clone(), breached.clone()]).unwrap();
        assert_eq!(queued.len(), 1);
        assert!(queue_reminders(root, &[breached]).unwrap().is_empty());
        assert_eq!(commits(root), 2);
        let files = super::queued(root, "20261207-abc123-0001").unwrap();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|q| q.notice.is_ok()));
    }

    #[test]
    fn only_due_soon_and_breached_clocks_remind() {
        for state in [
            ClockState::Running,
            ClockState::Met,
            ClockState::MetLate,
            ClockState::NotStarted,
            ClockState::Stopped,
        ] {
            let r = reminder(state, "2026-12-08T16:00:00+07:00");
            assert_eq!(r.notice().unwrap(), None, "{state}");
        }
    }

    #[test]
    fn reminders_address_the_requester_alone_and_reviewers_by_role() {
        let mut r = reminder(ClockState::DueSoon, "2026-12-08T16:00:00+07:00");
        assert_eq!(
            r.notice().unwrap().unwrap().to,
            Addressee::Role(Role::Advisor)
        );
        r.awaiting = sla::Role::Requester;
        assert_eq!(r.notice().unwrap().unwrap().to, Addressee::Requester);
    }

    #[test]
    fn a_bad_clock_name_or_id_is_refused() {
        let mut r = reminder(ClockState::Breached, "2026-12-08T16:00:00+07:00");
        r.clock = "../x".into();
        assert!(r.notice().is_err());
        let mut r = reminder(ClockState::Breached, "2026-12-08T16:00:00+07:00");
        r.request_id = "../../etc".into();
        assert!(r.notice().is_err());
    }

    #[test]
    fn names_are_deterministic_and_distinct() {
        let a = reminder(ClockState::DueSoon, "2026-12-08T16:00:00+07:00")
            .notice()
            .unwrap()
            .unwrap();
        let b = reminder(ClockState::Breached, "2026-12-08T16:00:00+07:00")
            .notice()
            .unwrap()
            .unwrap();
        assert_eq!(a.file(), a.clone().file());
        assert_ne!(a.path(), b.path());
        let rejected = Notice::new(
            "20261207-abc123-0001",
            Addressee::Requester,
            Cause::Rejected {
                record: "sha256:aa".into(),
            },
        );
        let other = Notice::new(
            "20261207-abc123-0001",
            Addressee::Requester,
            Cause::Rejected {
                record: "sha256:bb".into(),
            },
        );
        assert_ne!(rejected.stem(), other.stem());
        assert!(rejected.stem().starts_with("rejected-requester-"));
        // Round trip through the file.
        let (_, bytes) = rejected.file();
        let back: Notice = serde_yaml::from_slice(&bytes).unwrap();
        assert_eq!(back, rejected);
    }

    #[test]
    fn texts_are_indonesian_gsm7_and_fit_one_part() {
        let text = rejected_text("20261207-abc123-0001", Role::Advisor, "daftar sudah lama");
        assert_eq!(
            text,
            "sms-bcast: permintaan 20261207-abc123-0001 ditolak oleh Team Leader: daftar sudah lama"
        );
        let long = "daftar penerima belum diperbarui ".repeat(10);
        let text = rejected_text("20261207-abc123-0001", Role::Decider, &long);
        let m = smstext::measure(&text);
        assert_eq!(
            (m.encoding, m.parts),
            (smstext::Encoding::Gsm7, 1),
            "{text}"
        );
        assert!(text.ends_with("..."));
        let text = reminder_text(
            "20261207-abc123-0001",
            "advisor-review",
            ClockState::Breached,
            sla::Role::Advisor,
            at("2026-12-08T16:00:00+07:00"),
        );
        assert_eq!(
            text,
            "sms-bcast: permintaan 20261207-abc123-0001 lewat batas 08-12-2026 16:00 WIB (advisor-review); menunggu Team Leader."
        );
        assert_eq!(smstext::measure(&text).parts, 1);
        let text = approved_text("20261207-abc123-0001", &"Jadwal verifikasi BLM ".repeat(8));
        assert_eq!(smstext::measure(&text).parts, 1, "{text}");
    }

    #[test]
    fn the_journal_lock_keeps_a_second_run_out() {
        let dir = tempfile::tempdir().unwrap();
        let first = Journal::open(dir.path()).unwrap();
        assert!(Journal::open(dir.path()).is_err());
        let record = Path::new("requests/x/notices/delivered/a.b.yaml");
        assert!(!first.is_marked(record));
        first.mark(record).unwrap();
        drop(first);
        let second = Journal::open(dir.path()).unwrap();
        assert!(second.is_marked(record), "a mark survives the run");
        second.clear(record).unwrap();
        assert!(!second.is_marked(record));
    }
}
