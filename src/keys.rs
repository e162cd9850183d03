//! Minisign keys: generation, loading, signing and checking.
//!
//! Keys are named by the SHA-256 of their 32-byte Ed25519 public key
//! (`sha256:…`), never by minisign's 8-byte key number, which anyone can pick.

use std::io::Cursor;
use std::path::Path;

use minisign::{KeyPair, PublicKey, SecretKey, SecretKeyBox, SignatureBox};

use crate::digest;
use crate::error::{Error, Result};

/// The registry id of a public key: `sha256:` of its Ed25519 key bytes.
pub fn key_id(pk: &PublicKey) -> String {
    let bytes = pk.to_bytes();
    // to_bytes() is signature algorithm (2) | key number (8) | Ed25519 key (32).
    digest::sha256(&bytes[10..])
}

/// The first 12 hex digits of a key id, for file names and messages.
pub fn short_id(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}

/// The `minisign -P` form (one base64 line) of a public key.
pub fn public_base64(pk: &PublicKey) -> String {
    pk.to_base64()
}

/// Reads a public key given as a minisign `.pub` file's text or as its base64 line.
pub fn parse_public_key(text: &str) -> std::result::Result<PublicKey, String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
        .unwrap_or("");
    PublicKey::from_base64(line).map_err(|e| e.to_string())
}

/// A freshly generated key pair in minisign's standard file formats.
pub struct GeneratedKey {
    pub id: String,
    pub public_file: String,
    pub secret_file: String,
}

/// Generates a key pair; encrypted with `password` unless it is `None`.
pub fn generate(name: &str, password: Option<String>) -> Result<GeneratedKey> {
    let fail =
        |e: minisign::PError| Error::key(format!("could not generate a key: {e}"), "try again");
    let pair = match password {
        Some(pw) => KeyPair::generate_encrypted_keypair(Some(pw)).map_err(fail)?,
        None => KeyPair::generate_unencrypted_keypair().map_err(fail)?,
    };
    let id = key_id(&pair.pk);
    let public_file = format!(
        "untrusted comment: sms-bcast public key of {name} ({id})\n{}\n",
        pair.pk.to_base64()
    );
    let secret_file = pair
        .sk
        .to_box(Some(&format!("sms-bcast secret key of {name}")))
        .map_err(fail)?
        .to_string();
    Ok(GeneratedKey {
        id,
        public_file,
        secret_file,
    })
}

/// A secret key ready to sign, with its public half.
pub struct SigningKey {
    secret: SecretKey,
    public: PublicKey,
    id: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Whether the key file at `path` is protected by a password.
    pub fn needs_password(path: &Path) -> Result<bool> {
        let sk_box = read_secret_box(path)?;
        let bytes = sk_box.to_string();
        let encrypted = SecretKey::from_unencrypted_box(bytes.into()).is_err();
        Ok(encrypted)
    }

    /// Loads a secret key file; `password` is needed when the file is encrypted.
    pub fn load(path: &Path, password: Option<String>) -> Result<SigningKey> {
        let sk_box = read_secret_box(path)?;
        let with_password = password.is_some();
        let secret = match password {
            Some(pw) => SecretKey::from_box(sk_box, Some(pw)),
            None => SecretKey::from_unencrypted_box(sk_box),
        }
        .map_err(|e| {
            let hint = if with_password {
                "check the password (prompt or SMS_BCAST_KEY_PASSWORD)"
            } else {
                "the file is damaged: restore it from your backup, or make a new key with `sms-bcast keygen` and have an admin register it"
            };
            Error::key(format!("cannot open secret key {}: {e}", path.display()), hint)
        })?;
        let public = PublicKey::from_secret_key(&secret).map_err(|e| {
            Error::key(
                format!("{}: {e}", path.display()),
                "regenerate the key with `sms-bcast keygen`",
            )
        })?;
        let id = key_id(&public);
        Ok(SigningKey { secret, public, id })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// A minisign signature file (`.minisig` text) over `bytes`. The trusted
    /// comment must be one line: minisign cannot read back a multi-line one.
    pub fn sign(&self, bytes: &[u8], trusted_comment: &str) -> Result<String> {
        assert!(
            !trusted_comment.contains('\n'),
            "trusted comments are one line"
        );
        let sig = minisign::sign(
            Some(&self.public),
            &self.secret,
            Cursor::new(bytes),
            Some(trusted_comment),
            Some(&format!(
                "signature from sms-bcast key {}",
                short_id(&self.id)
            )),
        )
        .map_err(|e| Error::key(format!("could not sign: {e}"), "check the key file"))?;
        Ok(sig.to_string())
    }
}

fn read_secret_box(path: &Path) -> Result<SecretKeyBox> {
    let text = crate::fsutil::read_small_text(path, "secret key", 4096)?;
    if parse_public_key(&text).is_ok() {
        return Err(Error::key(
            format!("{} is a public key", path.display()),
            "sign with your secret key: the `.key` file made by `sms-bcast keygen` beside the `.pub`",
        ));
    }
    SecretKeyBox::from_string(&text).map_err(|e| {
        Error::key(
            format!("{} is not a minisign secret key: {e}", path.display()),
            "pass the `.key` file written by `sms-bcast keygen` (not the `.pub`)",
        )
    })
}

/// Checks a `.minisig` text over `bytes` with `pk`; returns the trusted comment.
pub fn verify(
    pk: &PublicKey,
    bytes: &[u8],
    signature: &str,
) -> std::result::Result<String, String> {
    let sig =
        SignatureBox::from_string(signature).map_err(|e| format!("unreadable signature: {e}"))?;
    minisign::verify(pk, &sig, Cursor::new(bytes), true, false, false)
        .map_err(|e| e.to_string())?;
    sig.trusted_comment().map_err(|e| e.to_string())
}

/// The minisign key number (hex) a signature says it was made with: a lookup hint only.
pub fn signature_key_number(signature: &str) -> Option<String> {
    let sig = SignatureBox::from_string(signature).ok()?;
    Some(digest::hex(sig.keynum()))
}

/// The minisign key number (hex) of a public key.
pub fn key_number(pk: &PublicKey) -> String {
    digest::hex(pk.keynum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_byte_does_not() {
        let generated = generate("Test", None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.key");
        std::fs::write(&path, &generated.secret_file).unwrap();
        let key = SigningKey::load(&path, None).unwrap();
        assert_eq!(key.id(), generated.id);
        let sig = key.sign(b"hello", "sms-bcast test").unwrap();
        let pk = parse_public_key(&generated.public_file).unwrap();
        assert_eq!(verify(&pk, b"hello", &sig).unwrap(), "sms-bcast test");
        assert!(verify(&pk, b"hellO", &sig).is_err());
    }

    #[test]
    fn an_encrypted_key_needs_its_password() {
        let generated = generate("Test", Some("s3cret".into())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.key");
        std::fs::write(&path, &generated.secret_file).unwrap();
        assert!(SigningKey::needs_password(&path).unwrap());
        assert!(SigningKey::load(&path, Some("wrong".into())).is_err());
        let key = SigningKey::load(&path, Some("s3cret".into())).unwrap();
        assert_eq!(key.id(), generated.id);
    }
}
