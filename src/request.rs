//! The request form (the SOP's SMS broadcast request), as YAML.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, line_of_key};

/// One recipient list a request uses, with optional column filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListUse {
    /// Path of a CSV file under `recipients/`.
    pub list: String,
    /// Keep only rows whose column equals the value (all must match).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filter: BTreeMap<String, String>,
}

/// The request form. Unknown fields are refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// Requesting work unit (e.g. "TA USK KMP").
    pub unit: String,
    /// Full name of the requester.
    pub requester: String,
    /// Phone to reach the requester (notices go here).
    pub contact_phone: String,
    /// Short title of the broadcast.
    pub title: String,
    /// Text to send; `((column))` is filled from each recipient's row.
    pub message: String,
    /// Recipient lists and filters.
    pub recipients: Vec<ListUse>,
    /// Why the information is important and urgent (SOP: national interest).
    pub justification: String,
    /// Earliest time to send (RFC 3339 with offset); absent means as soon as approved.
    #[serde(default)]
    pub send_after: Option<DateTime<FixedOffset>>,
    /// Replace characters that have a GSM look-alike (curly quotes, dashes…) at submit.
    #[serde(default)]
    pub replace_lookalikes: bool,
}

/// The blank form `sms-bcast form` prints.
pub const BLANK_FORM: &str = r#"# SMS broadcast request (SOP SMS Broadcast, P2KP). Fill in, then run:
#   sms-bcast submit this-file.yaml
# Every field is required unless marked optional. Unknown fields are refused.

# Requesting work unit (USK), e.g. "TA USK KMP" or "TA USK PMT".
unit: ""
# Your full name, as registered (`sms-bcast roles list`).
requester: ""
# A phone number to reach you, e.g. "+6281200001234" (notices go here).
contact_phone: ""
# Short title of the broadcast.
title: ""
# The text to send. ((column)) is replaced by that column of each recipient's row,
# e.g. "Yth. ((nama)), ...". Keep it short: long texts cost several SMS parts each.
message: |
  
# Recipient lists (CSV files under recipients/) and optional filters on their columns.
recipients:
  - list: recipients/example.csv
    # filter:              # optional: keep only rows whose column has this value
    #   province: Jawa Barat
# Why is this information important and urgent (of national interest)?
justification: ""
# Optional: earliest time to send, RFC 3339 with offset, e.g. 2026-12-04T09:00:00+07:00.
# send_after: 2026-12-04T09:00:00+07:00
# Optional: replace curly quotes, long dashes, ellipses... by plain GSM characters
# so the message stays in the cheaper 7-bit encoding (done at submit, before review).
# replace_lookalikes: true
"#;

impl Form {
    /// Parses and checks a form; errors name the file, line, field and the fix.
    pub fn parse(file: &Path, text: &str) -> Result<Form> {
        // Windows editors start UTF-8 files with a byte-order mark; it is not YAML.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut form: Form = serde_yaml::from_str(text).map_err(|e| {
            Error::yaml(file, &e, "compare with `sms-bcast form`; unknown fields are refused, text values need quotes when they contain `: `")
        })?;
        form.check(file, text)?;
        // A YAML block (`message: |`) keeps its final line break; it is not part of the SMS.
        form.message = form.message.trim_end().to_string();
        Ok(form)
    }

    fn check(&self, file: &Path, text: &str) -> Result<()> {
        let field_error = |field: &str, message: &str, hint: &str| Error::Input {
            file: file.to_path_buf(),
            line: line_of_key(text, field),
            column: 1,
            field: field.to_string(),
            message: message.to_string(),
            hint: hint.to_string(),
        };
        for (field, value) in [
            ("unit", &self.unit),
            ("requester", &self.requester),
            ("contact_phone", &self.contact_phone),
            ("title", &self.title),
            ("message", &self.message),
            ("justification", &self.justification),
        ] {
            if value.trim().is_empty() {
                return Err(field_error(
                    field,
                    "is empty",
                    "fill it in; `sms-bcast form` explains each field",
                ));
            }
        }
        for (field, value, most) in [
            ("unit", &self.unit, 100),
            ("requester", &self.requester, 80),
            ("title", &self.title, 160),
            ("message", &self.message, 2000),
            ("justification", &self.justification, 4000),
        ] {
            let length = value.chars().count();
            if length > most {
                return Err(field_error(
                    field,
                    &format!("is {length} characters long; at most {most} are allowed"),
                    "shorten it",
                ));
            }
        }
        if self.title.contains('\n') {
            return Err(field_error(
                "title",
                "must be one line",
                "shorten the title to one line",
            ));
        }
        let digits = self
            .contact_phone
            .chars()
            .filter(char::is_ascii_digit)
            .count();
        if !(8..=15).contains(&digits)
            || !self
                .contact_phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return Err(field_error(
                "contact_phone",
                &format!("`{}` is not a phone number", self.contact_phone),
                "write it like +6281200001234 or 081200001234",
            ));
        }
        if self.recipients.is_empty() {
            return Err(field_error(
                "recipients",
                "names no list",
                "add at least one `- list: recipients/NAME.csv`",
            ));
        }
        for used in &self.recipients {
            if !is_inside_recipients(&used.list) {
                return Err(Error::Input {
                    file: file.to_path_buf(),
                    line: text
                        .lines()
                        .position(|l| l.contains(&used.list))
                        .map_or(1, |i| i + 1),
                    column: 1,
                    field: "recipients.list".into(),
                    message: format!("`{}` is not a CSV file under recipients/", used.list),
                    hint: "name a file like recipients/kelurahan.csv (relative to the workspace)"
                        .into(),
                });
            }
        }
        Ok(())
    }
}

/// `recipients/<name>.csv`, relative, with no `..` or absolute parts.
fn is_inside_recipients(list: &str) -> bool {
    let path = Path::new(list);
    let mut components = path.components();
    components.next() == Some(Component::Normal("recipients".as_ref()))
        && path
            .components()
            .skip(1)
            .all(|c| matches!(c, Component::Normal(_)))
        && path.components().count() >= 2
        && list.ends_with(".csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Form> {
        Form::parse(Path::new("form.yaml"), text)
    }

    const GOOD: &str = "unit: TA USK KMP\nrequester: Ani\ncontact_phone: '+6281200001234'\ntitle: T\nmessage: Halo\nrecipients:\n  - list: recipients/a.csv\njustification: urgent\n";

    #[test]
    fn a_complete_form_parses() {
        let form = parse(GOOD).unwrap();
        assert_eq!(form.recipients[0].list, "recipients/a.csv");
    }

    #[test]
    fn an_unknown_field_is_named_with_its_line() {
        let err = parse(&format!("{GOOD}colour: red\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("form.yaml:9:"), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn an_empty_field_is_named_with_its_line() {
        let err = parse(&GOOD.replace("title: T", "title: ''"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("form.yaml:4:1: title: is empty"), "{err}");
    }

    #[test]
    fn a_list_outside_recipients_is_refused() {
        for bad in [
            "../secret.csv",
            "recipients/../x.csv",
            "/etc/passwd",
            "recipients/a.txt",
        ] {
            let err = parse(&GOOD.replace("recipients/a.csv", bad))
                .unwrap_err()
                .to_string();
            assert!(err.contains("recipients.list"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_blank_form_is_valid_yaml_and_names_every_field() {
        let value: serde_yaml::Value = serde_yaml::from_str(BLANK_FORM).unwrap();
        for field in [
            "unit",
            "requester",
            "contact_phone",
            "title",
            "message",
            "recipients",
            "justification",
        ] {
            assert!(value.get(field).is_some(), "{field}");
        }
    }
}
