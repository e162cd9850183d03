//! Benchmark baseline for `verify`: a tight loop checking every record
//! signature (`requests/*/*.yaml.minisig`) of a workspace with the `minisign`
//! crate, keys parsed once. Nothing else is checked.
//!
//! Usage: minisign_loop DIR

use std::io::Cursor;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use minisign::{PublicKey, SignatureBox};
use sms_bcast::keys;
use sms_bcast::registry::Registry;

fn main() -> Result<()> {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        bail!("usage: minisign_loop DIR");
    };
    let registry = Registry::load(&dir)?;
    let keys: Vec<PublicKey> = registry
        .latest()
        .doc
        .people
        .iter()
        .map(|p| keys::parse_public_key(&p.public_key).map_err(anyhow::Error::msg))
        .collect::<Result<_>>()?;
    let mut checked = 0usize;
    for request in std::fs::read_dir(dir.join("requests"))? {
        let request = request?.path();
        if !request.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&request)? {
            let sig_path = entry?.path();
            if sig_path.extension().is_none_or(|e| e != "minisig") {
                continue;
            }
            let data = std::fs::read(sig_path.with_extension(""))?;
            let text = std::fs::read_to_string(&sig_path)?;
            let sig = SignatureBox::from_string(&text)
                .with_context(|| format!("{}", sig_path.display()))?;
            let pk = keys
                .iter()
                .find(|k| k.keynum() == sig.keynum())
                .with_context(|| format!("{}: unknown key", sig_path.display()))?;
            minisign::verify(pk, &sig, Cursor::new(&data), true, false, false)
                .with_context(|| format!("{}", sig_path.display()))?;
            checked += 1;
        }
    }
    println!("{checked} signatures verified");
    Ok(())
}
