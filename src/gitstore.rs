//! Committing a step's files to git without disturbing the user's work:
//! only the step's own paths are written (tree, work tree and index entry);
//! other staged or unstaged changes are left alone.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use git2::{ErrorCode, FileMode, Oid, Repository, Signature, Tree};

use crate::error::{Error, Result};

/// Opens the repository of the workspace at `root` (which must be its top level).
pub fn open(root: &Path) -> Result<Repository> {
    Repository::open(root).map_err(|e| Error::Git {
        message: format!(
            "{} is not the top of a git repository: {}",
            root.display(),
            e.message()
        ),
        hint:
            "run sms-bcast in the workspace's top folder (or `-C DIR`); `sms-bcast init` makes one"
                .into(),
    })
}

/// The author for our commits: git's configured identity, else the signer's
/// registry entry (a fresh machine or a CI job has no git identity).
fn author(repo: &Repository, name: &str, key_id: &str) -> Result<Signature<'static>> {
    if let Ok(sig) = repo.signature() {
        return Ok(sig.to_owned());
    }
    let email = format!("{}@sms-bcast.invalid", crate::keys::short_id(key_id));
    Ok(Signature::now(name, &email)?)
}

/// Set while the branch is moving and the work tree and index follow it: an
/// interrupt must wait until this is over, or the index is left behind HEAD.
static COMMITTING: AtomicBool = AtomicBool::new(false);

/// Whether a commit is between moving the branch and updating the index.
pub fn committing() -> bool {
    COMMITTING.load(Ordering::SeqCst)
}

struct CommittingGuard;

impl CommittingGuard {
    fn enter() -> CommittingGuard {
        COMMITTING.store(true, Ordering::SeqCst);
        CommittingGuard
    }
}

impl Drop for CommittingGuard {
    fn drop(&mut self) {
        COMMITTING.store(false, Ordering::SeqCst);
    }
}

/// Holds `.git/sms-bcast.lock` so that two sms-bcast commands in one clone
/// commit one after the other (each reads, changes and writes the index).
fn lock_repository(repo: &Repository) -> Result<std::fs::File> {
    let path = repo.path().join("sms-bcast.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    fs4::FileExt::lock(&file).map_err(|e| Error::io(&path, e))?;
    Ok(file)
}

/// Commits `files` (paths relative to `root`) on the checked-out branch as one
/// commit, then writes them to the work tree and stages exactly those paths.
/// If another commit lands meanwhile, the tree is rebuilt on it and retried.
/// A failure before the branch moves leaves the repository as it was.
pub fn commit_files(
    root: &Path,
    files: &[(PathBuf, Vec<u8>)],
    message: &str,
    name: &str,
    key_id: &str,
) -> Result<Oid> {
    let repo = open(root)?;
    let _lock = lock_repository(&repo)?;
    let author = author(&repo, name, key_id)?;
    let head_ref = head_ref_name(&repo)?;
    let blobs: Vec<(PathBuf, Oid)> = files
        .iter()
        .map(|(path, bytes)| Ok((path.clone(), repo.blob(bytes)?)))
        .collect::<Result<_>>()?;
    let mut attempts = 0;
    let (oid, _committing) = loop {
        attempts += 1;
        let parent = match repo.find_reference(&head_ref) {
            Ok(r) => Some(r.peel_to_commit()?),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => return Err(e.into()),
        };
        let base_tree = parent.as_ref().map(|c| c.tree()).transpose()?;
        let mut tree_id = base_tree.as_ref().map(|t| t.id());
        for (path, blob) in &blobs {
            let tree = tree_id.map(|id| repo.find_tree(id)).transpose()?;
            tree_id = Some(insert_path(&repo, tree.as_ref(), path, *blob)?);
        }
        let tree = repo.find_tree(tree_id.expect("at least one file"))?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let commit = repo.commit(None, &author, &author, message, &tree, &parents)?;
        let guard = CommittingGuard::enter();
        let moved = match &parent {
            Some(p) => repo
                .reference_matching(&head_ref, commit, true, p.id(), "sms-bcast")
                .map(|_| ()),
            None => repo
                .reference(&head_ref, commit, false, "sms-bcast")
                .map(|_| ()),
        };
        match moved {
            Ok(()) => break (commit, guard),
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::Modified | ErrorCode::Locked | ErrorCode::Exists
                ) && attempts < 20 =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20 * attempts));
            }
            Err(e) => return Err(e.into()),
        }
    };
    // The branch moved: bring the work tree and index up to date for our paths only.
    let mut index = repo.index()?;
    for (path, bytes) in files {
        crate::fsutil::write_atomic(&root.join(path), bytes)?;
        index.add_path(path)?;
    }
    index.write()?;
    Ok(oid)
}

fn head_ref_name(repo: &Repository) -> Result<String> {
    let head = repo.find_reference("HEAD")?;
    match head.symbolic_target()? {
        Some(target) => Ok(target.to_string()),
        None => Err(Error::Git {
            message: "HEAD is detached".into(),
            hint: "check out the workspace's branch first (`git switch BRANCH`)".into(),
        }),
    }
}

/// Returns the id of `tree` with `blob` placed at `path`, building the
/// subtrees along the path only.
fn insert_path(repo: &Repository, tree: Option<&Tree>, path: &Path, blob: Oid) -> Result<Oid> {
    let mut components = path.components();
    let first = components
        .next()
        .and_then(|c| c.as_os_str().to_str())
        .expect("relative paths");
    let rest = components.as_path();
    let mut builder = repo.treebuilder(tree)?;
    if rest.as_os_str().is_empty() {
        builder.insert(first, blob, FileMode::Blob.into())?;
    } else {
        let subtree = match tree.and_then(|t| t.get_name(first)) {
            Some(entry) if entry.kind() == Some(git2::ObjectType::Tree) => {
                Some(repo.find_tree(entry.id())?)
            }
            _ => None,
        };
        let id = insert_path(repo, subtree.as_ref(), rest, blob)?;
        builder.insert(first, id, FileMode::Tree.into())?;
    }
    Ok(builder.write()?)
}

/// Brings back our files that HEAD holds but the index and work tree lack,
/// and removes temporary files of an interrupted write: what a process killed
/// between moving the branch and writing the work tree leaves behind. HEAD is
/// the truth; a command that reads the work tree must call this first.
pub fn restore_committed(root: &Path) -> Result<Vec<PathBuf>> {
    let repo = open(root)?;
    let _lock = lock_repository(&repo)?;
    let Ok(head_tree) = repo.head().and_then(|h| h.peel_to_tree()) else {
        return Ok(Vec::new());
    };
    let mut index = repo.index()?;
    // HEAD against the index only: no walk of the work tree, so this stays
    // cheap on every signing command however many requests there are.
    let diff = repo.diff_tree_to_index(Some(&head_tree), Some(&index), None)?;
    let mut restored = Vec::new();
    for delta in diff.deltas().filter(|d| d.status() == git2::Delta::Deleted) {
        let file = delta.old_file();
        let Some(path) = file.path().map(Path::to_path_buf) else {
            continue;
        };
        if !(path.starts_with("requests") || path.starts_with("registry")) {
            continue;
        }
        let blob = repo.find_blob(file.id())?;
        crate::fsutil::write_atomic(&root.join(&path), blob.content())?;
        index.add_path(&path)?;
        restored.push(path);
    }
    if restored.is_empty() {
        return Ok(restored);
    }
    index.write()?;
    // Temporary files of the interrupted writes sit beside the files they were for.
    let mut dirs: Vec<PathBuf> = restored
        .iter()
        .filter_map(|p| p.parent().map(|d| root.join(d)))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    Ok(restored)
}

/// Why `path` (relative to `root`) is not exactly as committed, if it is not:
/// signatures over a file must cover what every clone has.
pub fn uncommitted(root: &Path, path: &Path) -> Result<Option<&'static str>> {
    let repo = open(root)?;
    let status = repo.status_file(path)?;
    Ok(if status.is_empty() {
        None
    } else if status.intersects(git2::Status::WT_NEW | git2::Status::INDEX_NEW) {
        Some("is not committed to git")
    } else if status.contains(git2::Status::IGNORED) {
        Some("is ignored by git (.gitignore)")
    } else {
        Some("has changes that are not committed")
    })
}

/// A commit message: a subject line, then readable trailers (an index for
/// `git log`; never trusted on its own).
pub fn message(subject: &str, trailers: &[(&str, String)]) -> String {
    let mut text = format!("{subject}\n\n");
    for (key, value) in trailers {
        text.push_str(&format!("{key}: {value}\n"));
    }
    text
}
