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
    /// `field` is a key path such as `sms.max_parts`, or empty when none is known.
    #[error("{}:{line}:{column}: {}{message}\n  hint: {hint}", file.display(), field_prefix(field))]
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
        let (field, message) = split_yaml_message(&message);
        Error::Input {
            file: file.into(),
            line,
            column,
            field,
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

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

/// Splits a serde_yaml message into the field it concerns and the rest.
/// serde_yaml starts messages with the key path (`sms.max_parts: invalid
/// value…`); an unknown or missing field names its key in back quotes.
fn split_yaml_message(message: &str) -> (String, String) {
    let (path, rest) = match message.split_once(": ") {
        Some((path, rest)) if is_key_path(path) => (path, rest),
        _ => ("", message),
    };
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))
        .and_then(|r| r.split_once('`'))
        .map(|(key, _)| key);
    let field = match (path, named) {
        ("", Some(key)) => key.to_string(),
        (path, Some(key)) => format!("{path}.{key}"),
        (path, None) => path.to_string(),
    };
    (field, rest.to_string())
}

/// A serde_yaml path: keys and `[N]` indices joined by dots, no spaces.
fn is_key_path(text: &str) -> bool {
    !text.is_empty()
        && text != "."
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']'))
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

/// The 1-based line of the key path `path` (e.g. `sla.clocks[1].goal`) in a
/// block-style YAML text, for errors found after parsing. When the last part
/// is not written out, the line of the deepest part that is (a missing
/// `goal` points at its clock); 1 when not even the first key is there.
pub fn line_of_path(text: &str, path: &str) -> usize {
    // One entry per mapping key or list item: (line, indent, is_item, content);
    // `- key: v` gives an item and a key entry on the same line.
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let mut indent = line.len() - content.len();
        let mut content = content;
        while content == "-" || content.starts_with("- ") {
            entries.push((i + 1, indent, true, ""));
            let rest = content[1..].trim_start();
            indent += content.len() - rest.len();
            content = rest;
        }
        if !content.is_empty() {
            entries.push((i + 1, indent, false, content));
        }
    }
    let mut scope = &entries[..];
    let mut found = 1;
    for part in path.split('.') {
        let (key, indices) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        let steps = std::iter::once(Err(key)).chain(
            indices
                .split(['[', ']'])
                .filter(|s| !s.is_empty())
                .map(|n| Ok(n.parse::<usize>().unwrap_or(usize::MAX))),
        );
        for step in steps {
            let Some(base) = scope.iter().map(|e| e.1).min() else {
                return found;
            };
            let mut at_base = scope.iter().enumerate().filter(|(_, e)| e.1 == base);
            let is_key = step.is_err();
            let hit = match step {
                Err(key) => at_base.find(|(_, e)| {
                    !e.2 && e
                        .3
                        .strip_prefix(key)
                        .is_some_and(|r| r.trim_start().starts_with(':'))
                }),
                Ok(n) => at_base.filter(|(_, e)| e.2).nth(n),
            };
            let Some((at, entry)) = hit else {
                return found;
            };
            found = entry.0;
            let rest = &scope[at + 1..];
            // A key's list may sit at the key's own indentation (`key:` then `- item`).
            let end = rest
                .iter()
                .position(|e| e.1 < base || (e.1 == base && (!is_key || !e.2)))
                .unwrap_or(rest.len());
            scope = &rest[..end];
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml_error(text: &str) -> String {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)] // read only to make serde check the text
        struct Sms {
            max_parts: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Doc {
            schema: String,
            sms: Option<Sms>,
        }
        let err = serde_yaml::from_str::<Doc>(text).unwrap_err();
        Error::yaml("sms-bcast.yaml", &err, "fix it").to_string()
    }

    #[test]
    fn yaml_errors_name_the_key_path_not_the_value() {
        assert_eq!(
            yaml_error("schema: x\nsms:\n  max_parts: -1\n"),
            "sms-bcast.yaml:3:14: sms.max_parts: invalid type: integer `-1`, expected u32\n  hint: fix it"
        );
        let unknown = yaml_error("schema: x\nsms:\n  maxparts: 3\n");
        assert!(
            unknown.starts_with("sms-bcast.yaml:3:3: sms.maxparts: unknown field `maxparts`"),
            "{unknown}"
        );
        let top = yaml_error("schema: x\nname: y\n");
        assert!(
            top.starts_with("sms-bcast.yaml:2:1: name: unknown field `name`"),
            "{top}"
        );
        let missing = yaml_error("sms:\n  max_parts: 3\n");
        assert!(
            missing.contains(": schema: missing field `schema`"),
            "{missing}"
        );
    }

    #[test]
    fn yaml_errors_without_a_field_print_none() {
        let err = yaml_error("schema: [unclosed\n");
        assert!(!err.contains(" -: "), "{err}");
        assert!(err.starts_with("sms-bcast.yaml:"), "{err}");
        let (field, _) = split_yaml_message("invalid type: sequence, expected a string");
        assert_eq!(field, "");
    }

    #[test]
    fn line_of_path_follows_nesting_and_list_items() {
        let text = "\
schema: x
sla:
  clocks:
    - name: a   # first
      goal: 1 day
    # a comment
    - name: b
      start: submitted
send:
  concurrency: 0
calendar:
  weekdays:
  - mon
  time_zone: Asia/Jakarta
";
        assert_eq!(line_of_path(text, "sla.clocks[0].name"), 4);
        assert_eq!(line_of_path(text, "sla.clocks[0].goal"), 5);
        assert_eq!(line_of_path(text, "sla.clocks[1].start"), 8);
        assert_eq!(
            line_of_path(text, "sla.clocks[1].goal"),
            7,
            "missing: the item"
        );
        assert_eq!(
            line_of_path(text, "sla.clocks[5].name"),
            3,
            "no such item: the list"
        );
        assert_eq!(line_of_path(text, "send.concurrency"), 10);
        assert_eq!(line_of_path(text, "calendar.time_zone"), 14);
        assert_eq!(line_of_path(text, "calendar.weekdays[0]"), 13);
        assert_eq!(line_of_path(text, "sms.max_parts"), 1, "absent section");
    }
}
