//! `outbox`: one file per message in a spool folder, in the format Gammu
//! SMSD's `files` backend picks up (`OUT<priority>_<number>_<serial>.txt`).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Gateway, GatewayError, Outcome, OutgoingSms, Sanitiser, check_max_parts, invalid};

/// `kind: outbox`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxConfig {
    /// Spool folder (Gammu's `OutboxPath`); relative to the spool base.
    /// Default: a folder named like the gateway.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Gammu priority letter, `A` (highest) to `Z`. Default `C`.
    #[serde(default)]
    pub priority: Option<char>,
    /// Default 10 (Gammu SMSD splits long text itself).
    #[serde(default, deserialize_with = "super::de_max_parts")]
    pub max_parts: Option<u32>,
}

#[derive(Debug)]
pub(crate) struct Outbox {
    name: String,
    dir: PathBuf,
    priority: char,
    max_parts: u32,
}

impl Outbox {
    pub(crate) fn new(
        name: &str,
        config: &OutboxConfig,
        spool_base: &Path,
    ) -> Result<Self, GatewayError> {
        let priority = config.priority.unwrap_or('C');
        if !priority.is_ascii_uppercase() {
            return Err(invalid(
                name,
                "priority",
                "must be one capital letter A to Z",
            ));
        }
        let dir = spool_base.join(config.path.clone().unwrap_or_else(|| PathBuf::from(name)));
        fs::create_dir_all(&dir).map_err(|source| GatewayError::Spool {
            gateway: name.to_owned(),
            path: dir.clone(),
            source,
        })?;
        Ok(Outbox {
            name: name.to_owned(),
            dir,
            priority,
            max_parts: check_max_parts(name, config.max_parts.unwrap_or(10))?,
        })
    }

    /// Stable per recipient and broadcast (the serial is a digest of the
    /// reference), so a resend after a crash overwrites instead of adding.
    fn file_name(&self, sms: &OutgoingSms<'_>) -> String {
        let digest = Sha256::digest(sms.reference.as_bytes());
        let serial: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("OUT{}_{}_{serial}.txt", self.priority, sms.to)
    }

    fn write(&self, file_name: &str, sms: &OutgoingSms<'_>) -> std::io::Result<()> {
        let temp = self.dir.join(format!(".{file_name}.tmp"));
        let mut file = File::create(&temp)?;
        file.write_all(&contents(sms.text))?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, self.dir.join(file_name))?;
        // The rename itself must survive a power loss.
        File::open(&self.dir)?.sync_all()
    }
}

/// ASCII as is; anything else as UTF-16BE with a byte-order mark, which Gammu
/// reads as Unicode whatever the daemon's locale.
fn contents(text: &str) -> Vec<u8> {
    if text.is_ascii() {
        return text.as_bytes().to_vec();
    }
    let mut bytes = vec![0xFE, 0xFF];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    bytes
}

impl Gateway for Outbox {
    fn name(&self) -> &str {
        &self.name
    }

    fn max_parts(&self) -> u32 {
        self.max_parts
    }

    fn send(&self, sms: &OutgoingSms<'_>) -> Outcome {
        self.exchange(sms).sanitised(&Sanitiser::default(), sms.to)
    }
}

impl Outbox {
    /// One message handed over, and what came of it (before sanitising).
    fn exchange(&self, sms: &OutgoingSms<'_>) -> Outcome {
        // The number becomes part of a file name: only `+` and digits.
        let digits = sms.to.strip_prefix('+').unwrap_or(sms.to);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Outcome::PermanentFailure {
                detail: format!("`{}` is not a phone number in E.164 form", sms.to),
            };
        }
        let file_name = self.file_name(sms);
        match self.write(&file_name, sms) {
            Ok(()) => Outcome::Accepted {
                message_id: Some(file_name),
            },
            Err(error) => Outcome::TemporaryFailure {
                detail: format!(
                    "cannot write {} in {}: {error}",
                    file_name,
                    self.dir.display()
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smstext::Encoding;

    fn outbox(dir: &Path) -> Outbox {
        let config: OutboxConfig = serde_yaml::from_str("path: spool").unwrap();
        Outbox::new("box", &config, dir).unwrap()
    }

    fn sms<'a>(to: &'a str, text: &'a str, reference: &'a str) -> OutgoingSms<'a> {
        OutgoingSms {
            to,
            text,
            encoding: Encoding::Gsm7,
            reference,
        }
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_a_gammu_outbox_file_named_after_the_number() {
        let base = tempfile::tempdir().unwrap();
        let gateway = outbox(base.path());
        let outcome = gateway.send(&sms("+6281200001234", "Halo warga", "req-1/r1"));
        let spool = base.path().join("spool");
        let names = listing(&spool);
        assert_eq!(names.len(), 1, "{names:?}");
        let name = &names[0];
        assert!(
            name.starts_with("OUTC_+6281200001234_") && name.ends_with(".txt"),
            "{name}"
        );
        // Gammu finds the number between the first two underscores.
        assert_eq!(name.split('_').nth(1), Some("+6281200001234"));
        assert_eq!(name.matches('_').count(), 2);
        // The id names the file with the number masked: ids reach committed records.
        let serial = name.rsplit('_').next().unwrap();
        assert_eq!(
            outcome,
            Outcome::Accepted {
                message_id: Some(format!("OUTC_+62812****1234_{serial}"))
            }
        );
        assert_eq!(fs::read(spool.join(name)).unwrap(), b"Halo warga");
    }

    #[test]
    fn resend_of_the_same_reference_overwrites_and_others_do_not_collide() {
        let base = tempfile::tempdir().unwrap();
        let gateway = outbox(base.path());
        gateway.send(&sms("+6281200001234", "first", "req-1/r1"));
        gateway.send(&sms("+6281200001234", "again", "req-1/r1"));
        gateway.send(&sms("+6281200001234", "other broadcast", "req-2/r1"));
        gateway.send(&sms("+6281200001235", "neighbour", "req-1/r2"));
        let names = listing(&base.path().join("spool"));
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(
            names.iter().all(|n| !n.starts_with('.')),
            "temp file left: {names:?}"
        );
    }

    #[test]
    fn non_ascii_text_is_utf16_with_a_byte_order_mark() {
        let base = tempfile::tempdir().unwrap();
        let gateway = outbox(base.path());
        let outcome = gateway.send(&sms("+6281200001234", "é😀", "r"));
        assert!(matches!(outcome, Outcome::Accepted { .. }), "{outcome:?}");
        let name = &listing(&base.path().join("spool"))[0];
        let bytes = fs::read(base.path().join("spool").join(name)).unwrap();
        assert_eq!(bytes, [0xFE, 0xFF, 0x00, 0xE9, 0xD8, 0x3D, 0xDE, 0x00]);
    }

    #[test]
    fn a_number_that_could_escape_the_folder_is_refused() {
        let base = tempfile::tempdir().unwrap();
        let gateway = outbox(base.path());
        let outcome = gateway.send(&sms("../../etc/x", "t", "r"));
        assert!(
            matches!(outcome, Outcome::PermanentFailure { .. }),
            "{outcome:?}"
        );
        assert!(listing(&base.path().join("spool")).is_empty());
    }

    #[test]
    fn default_folder_is_named_after_the_gateway() {
        let base = tempfile::tempdir().unwrap();
        let config: OutboxConfig = serde_yaml::from_str("{}").unwrap();
        let gateway = Outbox::new("main", &config, base.path()).unwrap();
        assert_eq!(gateway.max_parts(), 10);
        gateway.send(&sms("+6281200001234", "x", "r"));
        assert_eq!(listing(&base.path().join("main")).len(), 1);
    }
}
