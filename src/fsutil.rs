//! File writes that are never half done.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to a temporary file beside `path`, syncs it, then renames it
/// over `path`, so a crash leaves either the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", crate::digest::random_hex(4)));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// Reads a small text file the user names (a form, a key), refusing what
/// cannot be one: not a regular file, larger than `most` bytes, not UTF-8.
pub fn read_small_text(path: &Path, what: &str, most: u64) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::refused(
            format!("{} is not a file", path.display()),
            format!("name the {what} file itself"),
        ));
    }
    if meta.len() > most {
        return Err(Error::refused(
            format!(
                "{} is {} bytes; a {what} is at most {most}",
                path.display(),
                meta.len()
            ),
            format!("check that this is the {what} file"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        let utf16 =
            e.as_bytes().starts_with(&[0xff, 0xfe]) || e.as_bytes().starts_with(&[0xfe, 0xff]);
        Error::refused(
            format!(
                "{} is not UTF-8 text (byte {} is not valid{})",
                path.display(),
                e.utf8_error().valid_up_to(),
                if utf16 { "; it looks like UTF-16" } else { "" }
            ),
            "save the file as UTF-8 (in most editors: Save As… → Encoding: UTF-8)",
        )
    })
}
