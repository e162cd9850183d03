//! Fast checking of many minisign signatures at once.
//!
//! The files are ordinary minisign prehashed signatures (`ED`): Ed25519 over
//! BLAKE2b-512 of the data, plus a global Ed25519 signature over the first
//! signature followed by the trusted comment. The `minisign` crate checks one
//! at a time with a portable Ed25519; here the same equations are checked in
//! batches with `ed25519-dalek`, several times faster.
//!
//! The fast path only ever says "proven good". Anything it cannot prove (an
//! unusual file, a weak key, a batch that fails) is left to
//! [`crate::keys::verify`], which gives the verdict and its exact message, so
//! a bad signature is reported exactly as before. One difference remains by
//! the nature of batch checking: a key holder who deliberately builds a
//! signature with a small-order component could get it accepted here while the
//! `minisign` tool refuses it; it is still a signature by that key holder.

use blake2::{Blake2b512, Digest};
use ct_codecs::{Base64, Decoder};
use ed25519_dalek::{Signature, VerifyingKey};

/// Signatures per batch: large enough for the batch speed-up, small enough
/// that a failing batch costs little to re-check one by one.
const BATCH: usize = 128;

const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
const TRUSTED_PREFIX: &str = "trusted comment: ";

/// A public key ready for the fast path.
#[derive(Debug, Clone)]
pub struct FastKey {
    keynum: [u8; 8],
    key: VerifyingKey,
}

impl FastKey {
    /// `None` for a key the fast path leaves to minisign (a weak, small-order key).
    pub fn new(pk: &minisign::PublicKey) -> Option<FastKey> {
        // to_bytes() is signature algorithm (2) | key number (8) | Ed25519 key (32).
        let bytes = pk.to_bytes();
        let keynum: [u8; 8] = bytes.get(2..10)?.try_into().ok()?;
        let raw: [u8; 32] = bytes.get(10..42)?.try_into().ok()?;
        let key = VerifyingKey::from_bytes(&raw).ok()?;
        if key.is_weak() {
            return None;
        }
        Some(FastKey { keynum, key })
    }

    /// The minisign key number.
    pub fn keynum(&self) -> &[u8; 8] {
        &self.keynum
    }
}

/// The key number a `.minisig` text names, when the fast path can read the file.
pub fn signature_keynum(signature: &str) -> Option<[u8; 8]> {
    Some(Parsed::parse(signature)?.keynum)
}

/// One signature to check: a `.minisig` text over `data` by `key`.
pub struct Job<'a> {
    pub key: &'a FastKey,
    pub data: &'a [u8],
    pub signature: &'a str,
}

/// For each job, whether its signature is proven good. `false` means "not
/// proven here": ask [`crate::keys::verify`] for the verdict and the message.
pub fn check(jobs: &[Job<'_>]) -> Vec<bool> {
    let prepared: Vec<Option<Prepared>> = jobs.iter().map(Prepared::new).collect();
    let mut proven = vec![false; jobs.len()];
    let ready: Vec<usize> = (0..jobs.len()).filter(|&i| prepared[i].is_some()).collect();
    for chunk in ready.chunks(BATCH) {
        let items: Vec<(&Prepared, &VerifyingKey)> = chunk
            .iter()
            .map(|&i| (prepared[i].as_ref().expect("filtered"), &jobs[i].key.key))
            .collect();
        if batch_ok(&items) {
            for &i in chunk {
                proven[i] = true;
            }
        }
    }
    proven
}

/// Both Ed25519 equations of every item, in one batch.
fn batch_ok(items: &[(&Prepared, &VerifyingKey)]) -> bool {
    let mut messages: Vec<&[u8]> = Vec::with_capacity(items.len() * 2);
    let mut signatures = Vec::with_capacity(items.len() * 2);
    let mut keys = Vec::with_capacity(items.len() * 2);
    for (p, key) in items {
        messages.push(&p.prehash);
        signatures.push(p.signature);
        keys.push(**key);
        messages.push(&p.global_message);
        signatures.push(p.global_signature);
        keys.push(**key);
    }
    if items.len() == 1 {
        // A lone signature: the single-signature check is exact and cheaper.
        return (0..2).all(|i| keys[i].verify_strict(messages[i], &signatures[i]).is_ok());
    }
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

/// A `.minisig` file split into its parts.
struct Parsed {
    keynum: [u8; 8],
    signature: [u8; 64],
    trusted_comment: String,
    global_signature: [u8; 64],
}

impl Parsed {
    /// Reads the same four lines as `minisign::SignatureBox::from_string`;
    /// `None` for anything but a well-formed prehashed signature.
    fn parse(text: &str) -> Option<Parsed> {
        let mut lines = text.lines();
        lines.next()?.strip_prefix(UNTRUSTED_PREFIX)?;
        let sig = decode(lines.next()?)?;
        let trusted = lines.next()?.strip_prefix(TRUSTED_PREFIX)?;
        let global = decode(lines.next()?)?;
        if sig.len() != 74 || &sig[..2] != b"ED" {
            return None;
        }
        Some(Parsed {
            keynum: sig[2..10].try_into().ok()?,
            signature: sig[10..74].try_into().ok()?,
            trusted_comment: trusted.trim().to_string(),
            global_signature: global.as_slice().try_into().ok()?,
        })
    }
}

fn decode(line: &str) -> Option<Vec<u8>> {
    Base64::decode_to_vec(line.trim().as_bytes(), None).ok()
}

/// What the two Ed25519 equations of one job check.
struct Prepared {
    prehash: [u8; 64],
    signature: Signature,
    global_message: Vec<u8>,
    global_signature: Signature,
}

impl Prepared {
    fn new(job: &Job<'_>) -> Option<Prepared> {
        let parsed = Parsed::parse(job.signature)?;
        if parsed.keynum != job.key.keynum
            || !canonical_r(&parsed.signature)
            || !canonical_r(&parsed.global_signature)
        {
            return None;
        }
        let mut global_message = parsed.signature.to_vec();
        global_message.extend_from_slice(parsed.trusted_comment.as_bytes());
        Some(Prepared {
            prehash: Blake2b512::digest(job.data).into(),
            signature: Signature::from_bytes(&parsed.signature),
            global_message,
            global_signature: Signature::from_bytes(&parsed.global_signature),
        })
    }
}

/// Whether R is encoded canonically (y < p): minisign compares R byte for byte,
/// while a batch decompresses it, so a non-canonical R is left to minisign.
fn canonical_r(signature: &[u8; 64]) -> bool {
    let r = &signature[..32];
    let top = r[31] & 0x7f;
    !(top == 0x7f && r[1..31].iter().all(|&b| b == 0xff) && r[0] >= 0xed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{self, SigningKey};

    struct Signer {
        key: SigningKey,
        fast: FastKey,
        public: minisign::PublicKey,
    }

    fn signer() -> Signer {
        let generated = keys::generate("Test", None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.key");
        std::fs::write(&path, &generated.secret_file).unwrap();
        let key = SigningKey::load(&path, None).unwrap();
        let public = keys::parse_public_key(&generated.public_file).unwrap();
        let fast = FastKey::new(&public).unwrap();
        Signer { key, fast, public }
    }

    /// The fast verdict and minisign's verdict for each (data, signature) pair.
    fn verdicts(s: &Signer, items: &[(&[u8], String)]) -> Vec<(bool, bool)> {
        let jobs: Vec<Job<'_>> = items
            .iter()
            .map(|(data, sig)| Job {
                key: &s.fast,
                data,
                signature: sig,
            })
            .collect();
        let fast = check(&jobs);
        items
            .iter()
            .zip(fast)
            .map(|((data, sig), f)| (f, keys::verify(&s.public, data, sig).is_ok()))
            .collect()
    }

    #[test]
    fn good_signatures_are_proven_in_a_batch_and_alone() {
        let s = signer();
        let items: Vec<(&[u8], String)> = (0..40)
            .map(|i| {
                let data: &[u8] = if i % 2 == 0 {
                    b"record one"
                } else {
                    b"record two"
                };
                (data, s.key.sign(data, &format!("comment {i}")).unwrap())
            })
            .collect();
        assert!(verdicts(&s, &items).iter().all(|&v| v == (true, true)));
        assert_eq!(verdicts(&s, &items[..1]), vec![(true, true)]);
    }

    #[test]
    fn a_tampered_payload_fails_and_its_batch_neighbours_are_left_to_minisign() {
        let s = signer();
        let mut items: Vec<(&[u8], String)> = (0..5)
            .map(|_| (&b"approve r1"[..], s.key.sign(b"approve r1", "c").unwrap()))
            .collect();
        items[2].0 = b"approve r2";
        let v = verdicts(&s, &items);
        assert_eq!(v[2], (false, false));
        // The fast path never says good where minisign says bad.
        assert!(v.iter().all(|&(fast, slow)| !fast || slow));
        assert!(v.iter().enumerate().all(|(i, &(_, slow))| slow == (i != 2)));
    }

    #[test]
    fn a_tampered_trusted_comment_fails() {
        let s = signer();
        let good = s.key.sign(b"data", "sms-bcast approve r1").unwrap();
        let bad = good.replace("approve r1", "approve r2");
        assert_ne!(good, bad);
        for batch in [
            vec![(&b"data"[..], bad.clone())],
            vec![(&b"data"[..], good), (&b"data"[..], bad)],
        ] {
            let v = verdicts(&s, &batch);
            assert_eq!(*v.last().unwrap(), (false, false));
        }
    }

    #[test]
    fn a_signature_by_another_key_fails() {
        let s = signer();
        let other = signer();
        let sig = other.key.sign(b"data", "c").unwrap();
        assert_eq!(verdicts(&s, &[(b"data", sig)]), vec![(false, false)]);
        // Even with the key number changed to match, the equations fail.
        let text = other.key.sign(b"data", "c").unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut raw = decode(&lines[1]).unwrap();
        raw[2..10].copy_from_slice(s.fast.keynum());
        lines[1] = <Base64 as ct_codecs::Encoder>::encode_to_string(&raw).unwrap();
        let forged = lines.join("\n") + "\n";
        assert_eq!(
            verdicts(&s, &[(b"data", forged.clone())]),
            vec![(false, false)]
        );
        let good = s.key.sign(b"data", "c").unwrap();
        let v = verdicts(&s, &[(b"data", good), (b"data", forged)]);
        assert_eq!(v[1], (false, false));
    }

    #[test]
    fn unreadable_files_are_left_to_minisign() {
        let s = signer();
        let v = verdicts(&s, &[(b"data", "not a signature".into())]);
        assert_eq!(v, vec![(false, false)]);
    }
}
