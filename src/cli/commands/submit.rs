//! `sms-bcast submit FORM`: check a request form, give it an id, sign, commit.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use sms_bcast::error::line_of_key;
use sms_bcast::gitstore;
use sms_bcast::recipients::{ListError, MessageStats, Resolution, Resolver, Selection};
use sms_bcast::record::{self, Draft, Kind, ListDigest, Statement};
use sms_bcast::registry::{Person, Role};
use sms_bcast::request::Form;
use sms_bcast::smstext::{self, Encoding, SmsSettings, Template, TemplateError};
use sms_bcast::workspace::{CONFIG_FILE, Workspace};
use sms_bcast::{digest, keys};

use crate::cli::context::{self, KeyArgs};
use crate::cli::{Cli, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The filled-in request form (YAML; `sms-bcast form` prints a blank one).
    pub form: PathBuf,
    #[command(flatten)]
    pub key: KeyArgs,
}

pub fn run(cli: &Cli, args: &Args) -> Result<Status> {
    let context::Signing {
        ws,
        registry,
        key,
        person,
        ..
    } = context::signing(cli, &args.key, &[Role::Requester], None)?;
    let person = &person;
    let prepared = read_form(&ws, &args.form, person)?;
    let time = context::signing_time(&ws, &registry)?;
    let id = format!(
        "{}-{}-{}",
        time.at.format("%Y%m%d"),
        &keys::short_id(key.id())[..6],
        digest::random_hex(2)
    );
    if ws.request_dir(&id).exists() {
        bail!("request id {id} is taken\n  hint: submit again; ids are random");
    }
    let mut statement = Statement::new(
        Draft {
            kind: Kind::Submit,
            role: Role::Requester,
            request_id: &id,
            revision: 1,
            request_sha256: digest::sha256(&prepared.bytes),
            previous: None,
            time: time.at,
            drill_clock: time.drill_clock,
        },
        &registry,
        person,
    );
    statement.lists = prepared.lists.clone();
    statement.facts = prepared.facts.clone();
    let signed = statement.sign(&key)?;
    let form_file = PathBuf::from(record::request_file(&id, 1));
    let summary = summary(&prepared, &ws.config.sms);
    context::commit_record(
        &ws,
        &signed,
        vec![(form_file, prepared.bytes)],
        &format!("Submit request {id}"),
    )?;
    outln!("{id}");
    eprintln!("{summary}\n  see who gets what: sms-bcast preview {id}");
    Ok(Status::Success)
}

/// A checked form, ready to sign.
pub struct Prepared {
    /// The form's bytes as stored (look-alikes replaced when asked).
    pub bytes: Vec<u8>,
    /// Digests of the recipient lists it uses.
    pub lists: Vec<ListDigest>,
    /// `recipients`, `parts`, `encoding`, `cost_idr`: signed with the step.
    pub facts: BTreeMap<String, String>,
    /// What the resolution found, for the summary on stderr.
    pub resolution: Resolution,
}

/// Reads and checks a form for `person`: replaces look-alike characters when
/// the form asks for it, checks placeholders, filters and length against the
/// lists, and resolves the recipients.
pub fn read_form(ws: &Workspace, path: &Path, person: &Person) -> Result<Prepared> {
    let original = sms_bcast::fsutil::read_small_text(path, "request form", 256 * 1024)?;
    let form = Form::parse(path, &original)?;
    if form.requester.trim() != person.name {
        bail!(
            "{}:{}:1: requester: `{}` is not the owner of the signing key ({})\n  hint: write your registered name, or sign with your own key",
            path.display(),
            line_of_key(&original, "requester"),
            form.requester,
            person.name
        );
    }
    for used in &form.recipients {
        if !ws.root.join(&used.list).is_file() {
            bail!(
                "{}:{}:1: recipients.list: {} does not exist in the workspace\n  hint: add the CSV file under recipients/ (and commit it) first",
                path.display(),
                line_containing(&original, &used.list),
                used.list
            );
        }
        if let Some(why) = gitstore::uncommitted(&ws.root, Path::new(&used.list))? {
            bail!(
                "{}:{}:1: recipients.list: {} {why}; approvals must cover the list every clone has\n  hint: commit it first: git add {} && git commit -m \"Update recipient list\"",
                path.display(),
                line_containing(&original, &used.list),
                used.list,
                used.list
            );
        }
    }
    let (text, form) = if form.replace_lookalikes {
        replace_lookalikes(path, original, form)?
    } else {
        (original, form)
    };
    let message_line = line_of_key(&text, "message");
    let template = Template::parse(&form.message)
        .map_err(|e| anyhow!("{}:{message_line}:1: message: {e}", path.display()))?;
    let sms = &ws.config.sms;
    sms.validate()
        .map_err(|e| anyhow!("{}: {e}", ws.root.join(CONFIG_FILE).display()))?;
    let max_parts = sms.max_parts as usize;
    let floor = template.min_measure();
    if floor.parts > max_parts {
        bail!(
            "{}:{message_line}:1: message: even before personalisation the text is {} SMS parts ({}, {} characters), over the maximum of {max_parts} (sms.max_parts)\n  hint: shorten the text{}",
            path.display(),
            floor.parts,
            encoding_name(floor.encoding),
            floor.characters,
            if floor.encoding == Encoding::Ucs2 && !form.replace_lookalikes {
                ", or set `replace_lookalikes: true` if curly quotes or dashes force UCS-2"
            } else {
                ""
            }
        );
    }
    let selections: Vec<Selection> = form.recipients.iter().map(Selection::from).collect();
    let resolution = Resolver::new(&ws.root, &ws.config.recipients)?
        .with_message(&template, max_parts)
        .resolve(&selections, Some(0))
        .map_err(|e| list_error(path, &text, e))?;
    if resolution.recipients == 0 {
        bail!(
            "{}:{}:1: recipients: the lists and filters leave no one to send to ({} rows read, {} bad, {} duplicates, {} opted out)\n  hint: check the filters, and run `sms-bcast recipients check` for the bad rows",
            path.display(),
            line_of_key(&text, "recipients"),
            resolution.lists.iter().map(|l| l.rows_read).sum::<u64>(),
            resolution.invalid,
            resolution.duplicates,
            resolution.opted_out
        );
    }
    let lists = form
        .recipients
        .iter()
        .zip(&resolution.lists)
        .map(|(used, report)| ListDigest {
            list: used.list.clone(),
            sha256: format!("sha256:{}", report.digest),
            filter: used.filter.clone(),
        })
        .collect();
    Ok(Prepared {
        bytes: text.into_bytes(),
        lists,
        facts: resolution.signed_facts(sms),
        resolution,
    })
}

/// The one-line summary `submit` and `revise` print on stderr.
pub fn summary(prepared: &Prepared, sms: &SmsSettings) -> String {
    let r = &prepared.resolution;
    let mut out = plural(r.recipients, "recipient", "recipients");
    let dropped: Vec<String> = [
        (r.duplicates, "duplicate removed", "duplicates removed"),
        (r.opted_out, "opted out", "opted out"),
        (r.invalid, "bad row", "bad rows"),
    ]
    .iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|&(n, one, many)| plural(n, one, many))
    .collect();
    if !dropped.is_empty() {
        out.push_str(&format!(" ({})", dropped.join(", ")));
    }
    if let Some(m) = &r.message {
        out.push_str(&format!(
            "; {}; {}",
            encoding_summary(m),
            plural(m.total_parts, "SMS part", "SMS parts")
        ));
        if let Some(cost) = sms.cost_idr(m.total_parts) {
            out.push_str(&format!("; estimated cost {}", rupiah(cost)));
        }
    }
    out
}

/// `Rp 1.234.500`: rupiah with Indonesian thousands separators.
pub fn rupiah(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("Rp {out}")
}

pub fn encoding_name(encoding: Encoding) -> String {
    encoding.to_string()
}

/// `n` and the noun, singular for one: "1 SMS part", "2 SMS parts".
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How a message's encoding is shown: GSM-7, UCS-2, or how many of each.
pub fn encoding_summary(m: &MessageStats) -> String {
    match m.encoding_label() {
        "mixed" => format!("mixed ({} GSM-7, {} UCS-2)", m.gsm7, m.ucs2),
        "ucs2" => "UCS-2".to_owned(),
        _ => "GSM-7".to_owned(),
    }
}

/// 1-based line of the first line containing `needle` (1 if none).
fn line_containing(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

/// A list problem found while resolving, pointed at the form line it concerns.
fn list_error(path: &Path, text: &str, err: ListError) -> anyhow::Error {
    let file = path.display();
    match &err {
        ListError::Template(TemplateError::MissingColumn { name, .. }) => {
            let line = text
                .lines()
                .position(|l| {
                    l.contains("((")
                        && l.contains(name.as_str())
                        && !l.trim_start().starts_with('#')
                })
                .map_or_else(|| line_of_key(text, "message"), |i| i + 1);
            anyhow!("{file}:{line}:1: message: {err}")
        }
        ListError::FilterColumn { column, .. } => {
            anyhow!(
                "{file}:{}:1: recipients.filter: {err}",
                line_of_key(text, column)
            )
        }
        _ => anyhow!("{file}: recipients: {err}"),
    }
}

/// Replaces look-alike characters in the message (the form asked for it) and
/// returns the text to store, so reviewers sign the text that will be sent.
/// Only the `message:` lines are edited, keeping the user's comments and
/// layout; if that does not give back the same form with only the message
/// changed (e.g. a `“` inside a double-quoted scalar), the form is written
/// out again with serde_yaml under a comment saying so.
fn replace_lookalikes(path: &Path, text: String, form: Form) -> Result<(String, Form)> {
    let replaced = smstext::replace_lookalikes(&form.message);
    if replaced.replaced.is_empty() {
        return Ok((text, form));
    }
    let mut expected = form;
    expected.message = replaced.text;
    let list: Vec<String> = replaced
        .replaced
        .iter()
        .map(|(c, n)| format!("U+{:04X} ×{n}", u32::from(*c)))
        .collect();
    eprintln!(
        "note: replaced look-alike characters in the message ({}); the stored form carries the replaced text",
        list.join(", ")
    );
    let same = |a: &Form, b: &Form| matches!((serde_json::to_value(a), serde_json::to_value(b)), (Ok(x), Ok(y)) if x == y);
    let candidate = edit_message_lines(&text);
    if let Ok(parsed) = Form::parse(path, &candidate)
        && same(&parsed, &expected)
    {
        return Ok((candidate, parsed));
    }
    let rewritten = format!(
        "# Normalised by `sms-bcast submit`: look-alike characters in `message` were\n# replaced (replace_lookalikes: true) and the form was written out again.\n{}",
        serde_yaml::to_string(&expected)?
    );
    let parsed = Form::parse(path, &rewritten)?;
    if !same(&parsed, &expected) {
        bail!(
            "{}: cannot store the form with look-alike characters replaced\n  hint: replace the curly quotes and dashes in the message yourself, or remove `replace_lookalikes`",
            path.display()
        );
    }
    Ok((rewritten, parsed))
}

/// `text` with look-alikes replaced in the lines of the top-level `message:`
/// key (its line and the indented or blank lines after it).
fn edit_message_lines(text: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let Some(start) = lines.iter().position(|l| l.starts_with("message:")) else {
        return text.to_owned();
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.trim().is_empty() && !l.starts_with([' ', '\t']))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut out: String = lines[..start].concat();
    out.push_str(&smstext::replace_lookalikes(&lines[start..end].concat()).text);
    out.push_str(&lines[end..].concat());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_uses_indonesian_thousands_separators() {
        assert_eq!(rupiah(0), "Rp 0");
        assert_eq!(rupiah(350), "Rp 350");
        assert_eq!(rupiah(1750), "Rp 1.750");
        assert_eq!(rupiah(1_234_567), "Rp 1.234.567");
    }

    #[test]
    fn only_the_message_lines_are_edited() {
        let text = "title: \u{201C}x\u{201D}\nmessage: |\n  a \u{2013} b\n\n  c\u{2026}\n# note \u{2013} kept\nunit: u\n";
        assert_eq!(
            edit_message_lines(text),
            "title: \u{201C}x\u{201D}\nmessage: |\n  a - b\n\n  c...\n# note \u{2013} kept\nunit: u\n"
        );
    }
}
