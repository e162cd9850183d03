//! Typed errors of the library core. Each says what went wrong and, where it
//! can, what to do next (`hint`).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Bad input in a file the user wrote (form, settings, registry, list).
    #[error("{}:{line}:{column}: {field}: {message}\n  hint: {hint}", file.display())]
    Input {
        file: PathBuf,
        line: usize,
        column: usize,
        field: String,
        message: String,
        hint: String,
    },

    /// The step is not allowed (wrong role, wrong order, policy, gate…).
    #[error("{message}\n  hint: {hint}")]
    Refused { message: String, hint: String },

    /// A key or signature problem (wrong password, unreadable key file…).
    #[error("{message}\n  hint: {hint}")]
    Key { message: String, hint: String },

    /// The git repository could not be read or written.
    #[error("git: {message}\n  hint: {hint}")]
    Git { message: String, hint: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn refused(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Refused {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn key(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Key {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// A serde_yaml error in `file`, with its line and column and the field it names.
    pub fn yaml(
        file: impl Into<PathBuf>,
        err: &serde_yaml::Error,
        hint: impl Into<String>,
    ) -> Self {
        let (line, column) = err
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((1, 1));
        let message = err.to_string();
        // serde_yaml appends " at line X column Y"; the location is shown up front instead.
        let message = match message.find(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        Error::Input {
            file: file.into(),
            line,
            column,
            field: field_named_in(&message).unwrap_or_else(|| "-".into()),
            message,
            hint: hint.into(),
        }
    }
}

impl From<git2::Error> for Error {
    fn from(err: git2::Error) -> Self {
        Error::Git {
            message: err.message().to_string(),
            hint: "check that the workspace is a git repository you can write to".into(),
        }
    }
}

/// The first back-quoted name in a serde message ("unknown field `x`", "missing field `y`").
fn field_named_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_string())
}

/// The 1-based line of the first `key:` at the start of a line (top-level or nested
/// with indentation), for errors found after parsing.
pub fn line_of_key(text: &str, key: &str) -> usize {
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start().trim_start_matches("- ");
            trimmed.starts_with(key) && trimmed[key.len()..].trim_start().starts_with(':')
        })
        .map(|i| i + 1)
        .unwrap_or(1)
}
