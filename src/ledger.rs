//! The send ledger: a durable, append-only journal of one request's broadcast.
//!
//! One JSON object per line. The first line binds the file to a request id and
//! the digest of the approved content, so a ledger of another revision is refused.
//! Each later line moves one recipient (keyed by its E.164 number) along
//! pending → in flight → accepted / failed / unknown; the last line about a number
//! wins. A crash can tear only the tail of the file: an incomplete or unreadable
//! tail is cut off when the ledger is opened, and in-flight marks without a result
//! become `unknown` (the gateway may have taken them), never pending.
//!
//! An advisory lock on `<ledger>.lock` is held while the [`Ledger`] lives, so a
//! second send of the same request refuses instead of sending twice.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the line format written in the header.
const FORMAT: u32 = 1;

/// Reason recorded for an in-flight mark found without a result on open.
pub const INTERRUPTED: &str =
    "in flight when an earlier run stopped (crash or kill); the gateway may have taken it";

/// What the ledger is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerHeader {
    /// The request id, e.g. `2026-0042`.
    pub request_id: String,
    /// Digest of the approved content (text and recipient lists), e.g. `sha256:…`.
    pub content_digest: String,
}

/// Where one recipient stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientState {
    /// Not sent yet (or known not taken, e.g. stopped before its turn).
    Pending,
    /// The request for it may be leaving now.
    InFlight,
    /// Taken by the gateway.
    Accepted { message_id: Option<String> },
    /// Not taken. `retryable` failures (temporary failures or throttling after the
    /// retries ran out) are tried again by a later run; permanent ones never are.
    Failed { reason: String, retryable: bool },
    /// May or may not have been taken; only resent on the operator's word.
    Unknown { reason: String },
}

/// Number of recipients per state, as recorded in the ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub accepted: usize,
    pub failed: usize,
    pub unknown: usize,
    /// Known to the ledger but not taken (released after a stop).
    pub pending: usize,
}

/// A result to record for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Accepted {
        message_id: Option<String>,
    },
    Failed {
        reason: String,
        retryable: bool,
    },
    Unknown {
        reason: String,
    },
    /// Marked in flight but never handed to the gateway (stopped first).
    Released,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(
        "another `sms-bcast send` of this request is running (lock held on {}); \
         wait for it to finish, or stop it, then run send again",
        .path.display()
    )]
    Locked { path: PathBuf },
    #[error(
        "ledger {} belongs to request {found_request} with content {found_digest}, \
         not request {request} with content {digest}; the approved content changed after \
         sending started: finish or abandon that send before sending the new revision",
        .path.display()
    )]
    Mismatch {
        path: PathBuf,
        request: String,
        digest: String,
        found_request: String,
        found_digest: String,
    },
    #[error(
        "ledger {} line {line} is unreadable ({detail}) and is followed by readable lines, \
         so it is not a torn last write; keep a copy of the file and inspect it before sending again",
        .path.display()
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error("cannot {action} ledger {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One line of the ledger file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "kebab-case")]
enum Line {
    Header {
        format: u32,
        request: String,
        content: String,
    },
    InFlight {
        to: String,
    },
    Accepted {
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    Failed {
        to: String,
        reason: String,
        retryable: bool,
    },
    Unknown {
        to: String,
        reason: String,
    },
    Released {
        to: String,
    },
}

/// An open, locked ledger.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    file: File,
    /// Held for the ledger's lifetime; dropping it releases the OS lock.
    _lock: File,
    header: LedgerHeader,
    states: HashMap<String, RecipientState>,
    /// Lines not yet written; written and fsync'ed by `flush`.
    buffer: String,
    /// Digest of every byte written to the file so far (buffer excluded).
    hasher: Sha256,
    recovered: Vec<String>,
    repaired_bytes: u64,
}

impl Ledger {
    /// Opens (or creates) the ledger at `path`, taking its lock, cutting off a torn
    /// tail, and turning in-flight marks left by a crash into `unknown`.
    pub fn open(path: &Path, header: &LedgerHeader) -> Result<Ledger, LedgerError> {
        let io = |action: &'static str| {
            let path = path.to_path_buf();
            move |source| LedgerError::Io {
                action,
                path,
                source,
            }
        };
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(io("create the folder of"))?;
        }
        let lock_path = lock_path(path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("create the lock file of"))?;
        match fs4::FileExt::try_lock(&lock) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Err(LedgerError::Locked { path: lock_path });
            }
            Err(fs4::TryLockError::Error(source)) => return Err(io("lock")(source)),
        }

        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io("open"))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io("read"))?;

        let mut ledger = Ledger {
            path: path.to_path_buf(),
            file,
            _lock: lock,
            header: header.clone(),
            states: HashMap::new(),
            buffer: String::new(),
            hasher: Sha256::new(),
            recovered: Vec::new(),
            repaired_bytes: 0,
        };
        let good = ledger.replay(&bytes)?;
        if good < bytes.len() {
            // A torn tail from a crash mid-write: cut it so appends start on a line boundary.
            ledger.repaired_bytes = (bytes.len() - good) as u64;
            ledger.file.set_len(good as u64).map_err(io("repair"))?;
        }
        if good == 0 {
            ledger.push(&Line::Header {
                format: FORMAT,
                request: header.request_id.clone(),
                content: header.content_digest.clone(),
            });
            ledger.flush()?;
            if let Some(dir) = dir {
                // Make the new file's directory entry durable too.
                File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(io("sync the folder of"))?;
            }
        }
        let interrupted: Vec<String> = ledger
            .states
            .iter()
            .filter(|(_, s)| **s == RecipientState::InFlight)
            .map(|(to, _)| to.clone())
            .collect();
        for to in &interrupted {
            ledger.record(
                to,
                Recorded::Unknown {
                    reason: INTERRUPTED.to_string(),
                },
            );
        }
        ledger.recovered = interrupted;
        ledger.recovered.sort();
        ledger.flush()?;
        Ok(ledger)
    }

    /// Reads the lines of `bytes`, returning how many bytes form complete, valid lines.
    fn replay(&mut self, bytes: &[u8]) -> Result<usize, LedgerError> {
        let mut good = 0;
        let mut bad: Option<(usize, String)> = None;
        for (index, raw) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
            let parsed = match raw.strip_suffix(b"\n") {
                None => Err("incomplete last line".to_string()),
                Some(body) => serde_json::from_slice::<Line>(body).map_err(|e| e.to_string()),
            };
            match (parsed, &bad) {
                (Ok(line), None) => {
                    if index == 0 {
                        self.check_header(&line)?;
                    } else {
                        self.apply(line);
                    }
                    self.hasher.update(raw);
                    good += raw.len();
                }
                (Err(detail), None) => bad = Some((index + 1, detail)),
                (Ok(_), Some((line, detail))) => {
                    return Err(LedgerError::Corrupt {
                        path: self.path.clone(),
                        line: *line,
                        detail: detail.clone(),
                    });
                }
                (Err(_), Some(_)) => {}
            }
        }
        Ok(good)
    }

    fn check_header(&self, line: &Line) -> Result<(), LedgerError> {
        let (request, content) = match line {
            Line::Header {
                request, content, ..
            } => (request.as_str(), content.as_str()),
            _ => ("(none: no header line)", "(none)"),
        };
        if request != self.header.request_id || content != self.header.content_digest {
            return Err(LedgerError::Mismatch {
                path: self.path.clone(),
                request: self.header.request_id.clone(),
                digest: self.header.content_digest.clone(),
                found_request: request.to_string(),
                found_digest: content.to_string(),
            });
        }
        Ok(())
    }

    fn apply(&mut self, line: Line) {
        let (to, state) = match line {
            Line::Header { .. } => return,
            Line::InFlight { to } => (to, RecipientState::InFlight),
            Line::Accepted { to, id } => (to, RecipientState::Accepted { message_id: id }),
            Line::Failed {
                to,
                reason,
                retryable,
            } => (to, RecipientState::Failed { reason, retryable }),
            Line::Unknown { to, reason } => (to, RecipientState::Unknown { reason }),
            Line::Released { to } => (to, RecipientState::Pending),
        };
        self.states.insert(to, state);
    }

    fn push(&mut self, line: &Line) {
        // Serialising these plain structs cannot fail.
        let json = serde_json::to_string(line).expect("ledger line serialises");
        self.buffer.push_str(&json);
        self.buffer.push('\n');
    }

    /// The path of the ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The request and content the ledger is bound to.
    pub fn header(&self) -> &LedgerHeader {
        &self.header
    }

    /// Where `to` stands; numbers the ledger never saw are pending.
    pub fn state(&self, to: &str) -> &RecipientState {
        self.states.get(to).unwrap_or(&RecipientState::Pending)
    }

    /// Numbers found in flight on open (an earlier run crashed) and now unknown, sorted.
    pub fn recovered(&self) -> &[String] {
        &self.recovered
    }

    /// Bytes of a torn tail cut off on open (0 when the file was whole).
    pub fn repaired_bytes(&self) -> u64 {
        self.repaired_bytes
    }

    /// Every recipient the ledger knows, with its state, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &RecipientState)> {
        self.states.iter().map(|(to, s)| (to.as_str(), s))
    }

    /// Counts per state over the recipients the ledger knows.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for state in self.states.values() {
            match state {
                RecipientState::Pending => counts.pending += 1,
                // Only between a mark and its result inside a run.
                RecipientState::InFlight => counts.unknown += 1,
                RecipientState::Accepted { .. } => counts.accepted += 1,
                RecipientState::Failed { .. } => counts.failed += 1,
                RecipientState::Unknown { .. } => counts.unknown += 1,
            }
        }
        counts
    }

    /// Marks a group in flight and makes it durable (together with any buffered
    /// results) before returning: call it before any message of the group leaves.
    pub fn mark_in_flight<'a>(
        &mut self,
        group: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), LedgerError> {
        for to in group {
            self.push(&Line::InFlight { to: to.to_string() });
            self.states.insert(to.to_string(), RecipientState::InFlight);
        }
        self.flush()
    }

    /// Records a result in memory; it reaches the disk with the next [`Ledger::flush`]
    /// or [`Ledger::mark_in_flight`].
    pub fn record(&mut self, to: &str, result: Recorded) {
        let to = to.to_string();
        let (line, state) = match result {
            Recorded::Accepted { message_id } => (
                Line::Accepted {
                    to: to.clone(),
                    id: message_id.clone(),
                },
                RecipientState::Accepted { message_id },
            ),
            Recorded::Failed { reason, retryable } => (
                Line::Failed {
                    to: to.clone(),
                    reason: reason.clone(),
                    retryable,
                },
                RecipientState::Failed { reason, retryable },
            ),
            Recorded::Unknown { reason } => (
                Line::Unknown {
                    to: to.clone(),
                    reason: reason.clone(),
                },
                RecipientState::Unknown { reason },
            ),
            Recorded::Released => (Line::Released { to: to.clone() }, RecipientState::Pending),
        };
        self.push(&line);
        self.states.insert(to, state);
    }

    /// Number of recorded lines not yet on disk (in bytes).
    pub fn unflushed_bytes(&self) -> usize {
        self.buffer.len()
    }

    /// Writes buffered lines and fsyncs the file.
    pub fn flush(&mut self) -> Result<(), LedgerError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let io = |source| LedgerError::Io {
            action: "write",
            path: self.path.clone(),
            source,
        };
        self.file.write_all(self.buffer.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.hasher.update(self.buffer.as_bytes());
        self.buffer.clear();
        Ok(())
    }

    /// `sha256:<hex>` of the ledger file after flushing, for the signed sent record.
    pub fn digest(&mut self) -> Result<String, LedgerError> {
        self.flush()?;
        let hex: String = self
            .hasher
            .clone()
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(format!("sha256:{hex}"))
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        // Results in memory are true; keep them if we still can (a crash loses them,
        // and their in-flight marks then read as unknown, which is safe).
        let _ = self.flush();
    }
}

/// The lock file that guards `ledger`.
pub fn lock_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(digest: &str) -> LedgerHeader {
        LedgerHeader {
            request_id: "2026-0042".into(),
            content_digest: digest.into(),
        }
    }

    fn accepted(id: &str) -> Recorded {
        Recorded::Accepted {
            message_id: Some(id.into()),
        }
    }

    #[test]
    fn results_survive_reopen_and_digest_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger/2026-0042.ledger");
        let digest = {
            let mut ledger = Ledger::open(&path, &header("sha256:aa")).unwrap();
            ledger
                .mark_in_flight(["+6281200000001", "+6281200000002", "+6281200000003"])
                .unwrap();
            ledger.record("+6281200000001", accepted("m1"));
            ledger.record(
                "+6281200000002",
                Recorded::Failed {
                    reason: "invalid number".into(),
                    retryable: false,
                },
            );
            ledger.record("+6281200000003", Recorded::Released);
            ledger.digest().unwrap()
        };
        let mut ledger = Ledger::open(&path, &header("sha256:aa")).unwrap();
        assert_eq!(
            ledger.state("+6281200000001"),
            &RecipientState::Accepted {
                message_id: Some("m1".into())
            }
        );
        assert!(matches!(
            ledger.state("+6281200000002"),
            RecipientState::Failed {
                retryable: false,
                ..
            }
        ));
        assert_eq!(ledger.state("+6281200000003"), &RecipientState::Pending);
        assert_eq!(ledger.state("+6281200000009"), &RecipientState::Pending);
        assert_eq!(
            ledger.counts(),
            Counts {
                accepted: 1,
                failed: 1,
                unknown: 0,
                pending: 1
            }
        );
        assert!(ledger.recovered().is_empty());
        assert_eq!(ledger.digest().unwrap(), digest);
        ledger.record("+6281200000003", accepted("m3"));
        assert_ne!(ledger.digest().unwrap(), digest);
    }

    #[test]
    fn in_flight_without_result_becomes_unknown_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.ledger");
        {
            let mut ledger = Ledger::open(&path, &header("sha256:aa")).unwrap();
            ledger
                .mark_in_flight(["+6281200000001", "+6281200000002"])
                .unwrap();
            ledger.record("+6281200000001", accepted("m1"));
            // Crash: the result of 0001 was never flushed, nor was 0002 answered.
            ledger.buffer.clear();
        }
        let ledger = Ledger::open(&path, &header("sha256:aa")).unwrap();
        assert_eq!(ledger.recovered(), ["+6281200000001", "+6281200000002"]);
        assert_eq!(
            ledger.state("+6281200000002"),
            &RecipientState::Unknown {
                reason: INTERRUPTED.into()
            }
        );
        drop(ledger);
        // The recovery itself was written down: nothing more to recover.
        let ledger = Ledger::open(&path, &header("sha256:aa")).unwrap();
        assert!(ledger.recovered().is_empty());
        assert_eq!(ledger.counts().unknown, 2);
    }

    #[test]
    fn torn_last_line_is_cut_and_ledger_stays_usable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.ledger");
        {
            let mut ledger = Ledger::open(&path, &header("sha256:aa")).unwrap();
            ledger.mark_in_flight(["+6281200000001"]).unwrap();
            ledger.record("+6281200000001", accepted("m1"));
            ledger.flush().unwrap();
        }
        let whole = std::fs::read(&path).unwrap();
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(br#"{"t":"accepted","to":"+62812000"#)
            .unwrap();
        drop(file);

        let mut ledger = Ledger::open(&path, &header("sha256:aa")).unwrap();
        assert_eq!(ledger.repaired_bytes(), 31);
        assert_eq!(std::fs::read(&path).unwrap(), whole);
        ledger.mark_in_flight(["+6281200000002"]).unwrap();
        ledger.record("+6281200000002", accepted("m2"));
        ledger.flush().unwrap();
        drop(ledger);
        let ledger = Ledger::open(&path, &header("sha256:aa")).unwrap();
        assert_eq!(ledger.counts().accepted, 2);
        assert_eq!(ledger.repaired_bytes(), 0);
    }

    #[test]
    fn zeroed_tail_from_power_loss_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.ledger");
        drop(Ledger::open(&path, &header("sha256:aa")).unwrap());
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&[0u8; 100]).unwrap();
        drop(file);
        let ledger = Ledger::open(&path, &header("sha256:aa")).unwrap();
        assert_eq!(ledger.repaired_bytes(), 100);
    }

    #[test]
    fn unreadable_line_before_readable_ones_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.ledger");
        drop(Ledger::open(&path, &header("sha256:aa")).unwrap());
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"garbage\n{\"t\":\"in-flight\",\"to\":\"+6281200000001\"}\n")
            .unwrap();
        drop(file);
        let error = Ledger::open(&path, &header("sha256:aa")).unwrap_err();
        assert!(
            matches!(error, LedgerError::Corrupt { line: 2, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("line 2"));
    }

    #[test]
    fn ledger_of_another_revision_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.ledger");
        drop(Ledger::open(&path, &header("sha256:aa")).unwrap());
        let error = Ledger::open(&path, &header("sha256:bb")).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, LedgerError::Mismatch { .. }));
        assert!(
            message.contains("sha256:aa") && message.contains("sha256:bb"),
            "{message}"
        );
    }

    #[test]
    fn second_open_refuses_while_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.ledger");
        let first = Ledger::open(&path, &header("sha256:aa")).unwrap();
        let error = Ledger::open(&path, &header("sha256:aa")).unwrap_err();
        assert!(matches!(error, LedgerError::Locked { .. }));
        assert!(error.to_string().contains("another `sms-bcast send`"));
        drop(first);
        Ledger::open(&path, &header("sha256:aa")).unwrap();
    }
}
