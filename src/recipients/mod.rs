//! Recipient lists: CSV files under `recipients/`, selections with filters,
//! de-duplication, the opt-out list, and per-row message checks.
//!
//! Everything streams: memory grows only with the set of numbers already
//! seen (8 bytes each) and the opt-out set, never with the rows themselves.

mod list;

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use list::{
    COMMON_PHONE_COLUMNS, Delimiter, Header, ListOptions, ListReader, Row, RowResult, column_key,
};

use crate::phone::{E164, NumberRules, PhoneError};
use crate::smstext::{Encoding, Measure, RenderError, Template, TemplateError, TooLong};

/// The `recipients:` section of `sms-bcast.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientSettings {
    /// Countries (ISO 3166 alpha-2) whose mobile numbers are accepted.
    #[serde(default = "default_countries")]
    pub allowed_countries: Vec<String>,
    /// The opt-out list, relative to the workspace.
    #[serde(default = "default_optout")]
    pub optout: String,
    /// Per-list settings, keyed by the list's workspace-relative path
    /// (e.g. `recipients/jabar.csv`).
    #[serde(default)]
    pub lists: BTreeMap<String, ListSettings>,
}

/// Settings of one list.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSettings {
    /// The column holding phone numbers (else found among common names).
    #[serde(default)]
    pub phone_column: Option<String>,
    /// `,`, `;` or `tab` (else sniffed from the header).
    #[serde(default)]
    pub delimiter: Option<Delimiter>,
}

fn default_countries() -> Vec<String> {
    vec!["ID".to_owned()]
}

fn default_optout() -> String {
    "recipients/optout.csv".to_owned()
}

impl Default for RecipientSettings {
    fn default() -> Self {
        Self {
            allowed_countries: default_countries(),
            optout: default_optout(),
            lists: BTreeMap::new(),
        }
    }
}

impl RecipientSettings {
    /// Reading options for `list` (a workspace-relative path).
    pub fn options_for(&self, list: &str) -> ListOptions {
        let settings = self.lists.get(&normalise_list_path(list));
        ListOptions {
            delimiter: settings.and_then(|s| s.delimiter),
            phone_column: settings.and_then(|s| s.phone_column.clone()),
        }
    }

    /// The number rules these settings describe.
    pub fn number_rules(&self) -> Result<NumberRules, ListError> {
        NumberRules::new(&self.allowed_countries).map_err(ListError::Settings)
    }
}

fn normalise_list_path(list: &str) -> String {
    let list = list.replace('\\', "/");
    list.strip_prefix("./").unwrap_or(&list).to_owned()
}

/// One list a request uses, with optional filters: a row is selected when
/// every filtered column equals (case-insensitively) one of the values.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selection {
    /// Workspace-relative path, e.g. `recipients/jabar.csv`.
    pub list: String,
    /// `column: value` or `column: [value, value]`, e.g. `province: Jawa Barat`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub filter: BTreeMap<String, FilterValue>,
}

impl Selection {
    /// Every row of `list`.
    pub fn whole(list: impl Into<String>) -> Self {
        Self {
            list: list.into(),
            filter: BTreeMap::new(),
        }
    }
}

/// One accepted value or several.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum FilterValue {
    One(String),
    Any(Vec<String>),
}

impl FilterValue {
    fn values(&self) -> Vec<String> {
        match self {
            FilterValue::One(v) => vec![v.trim().to_lowercase()],
            FilterValue::Any(vs) => vs.iter().map(|v| v.trim().to_lowercase()).collect(),
        }
    }
}

impl From<&crate::request::ListUse> for Selection {
    /// The selection a request form's `recipients:` entry describes.
    fn from(used: &crate::request::ListUse) -> Self {
        Self {
            list: used.list.clone(),
            filter: used
                .filter
                .iter()
                .map(|(k, v)| (k.clone(), FilterValue::One(v.clone())))
                .collect(),
        }
    }
}

/// A problem with a whole list (the command cannot do its job: exit 2).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ListError {
    #[error("cannot read {file}: {source}; check that the file exists and is readable")]
    Io {
        file: String,
        source: Arc<std::io::Error>,
    },
    #[error("{file}{}: not readable as CSV ({detail}); re-export it from the spreadsheet as CSV UTF-8", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Csv {
        file: String,
        line: Option<u64>,
        detail: String,
    },
    #[error("{file} is empty; a list needs a header row naming its columns")]
    Empty { file: String },
    #[error(
        "{file} is UTF-16 text (Excel's \"Unicode Text\"), which sms-bcast does not read; export as CSV UTF-8: in the spreadsheet use Save As → \"CSV UTF-8 (Comma delimited) (*.csv)\" and use that file"
    )]
    Utf16 { file: String },
    #[error("{file}: {}; the columns found are: {}; rename the phone column (e.g. to `phone` or `no_hp`) or set `recipients.lists.\"{file}\".phone_column` in sms-bcast.yaml", match configured { Some(c) => format!("the configured phone column {c:?} is missing"), None => "no phone column found".to_owned() }, columns.join(", "))]
    NoPhoneColumn {
        file: String,
        configured: Option<String>,
        columns: Vec<String>,
    },
    #[error(
        "{file}: more than one column is named like {column:?}; rename or remove the extra one"
    )]
    AmbiguousPhoneColumn { file: String, column: String },
    #[error("{file}: the filter names the column {column:?}, which the list does not have; the columns are: {}", columns.join(", "))]
    FilterColumn {
        file: String,
        column: String,
        columns: Vec<String>,
    },
    #[error("{file} is the opt-out list; it cannot be used as a recipient list")]
    OptoutSelected { file: String },
    #[error("{0:?} is not a delimiter; use `,`, `;` or `tab`")]
    BadDelimiter(String),
    #[error("recipients.allowed_countries in sms-bcast.yaml: {0}")]
    Settings(PhoneError),
    #[error(transparent)]
    Template(#[from] TemplateError),
}

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error(
        "the row has {found} fields but the header has {expected}; quote values that contain \
         the delimiter ({delimiter}) or fix the row"
    )]
    FieldCount {
        found: usize,
        expected: usize,
        delimiter: Delimiter,
    },
    #[error("the value is not UTF-8 text; export the list as \"CSV UTF-8\"")]
    NotUtf8,
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("the personalised message is too long: {0}")]
    TooLong(#[from] TooLong),
}

/// A bad row: file, spreadsheet row number (header = row 1), column, the
/// value, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{file}, row {row}{}: {problem}", if column.is_empty() { String::new() } else { format!(", column {column:?}") })]
pub struct RowError {
    pub file: String,
    pub row: u64,
    pub column: String,
    pub value: String,
    #[serde(rename = "reason", serialize_with = "display")]
    pub problem: RowProblem,
}

fn display<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// One final recipient.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub phone: E164,
    /// The list and spreadsheet row it came from.
    pub list: String,
    pub row: u64,
    /// The row's fields, for personalisation.
    pub fields: Row,
    /// The rendered message and its size, when a message was given.
    pub message: Option<(String, Measure)>,
}

/// Counts for one list of a resolution.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListReport {
    pub file: String,
    /// SHA-256 (hex) of the file's bytes.
    pub digest: String,
    pub delimiter: Delimiter,
    pub phone_column: String,
    pub columns: Vec<String>,
    /// Non-blank data rows.
    pub rows_read: u64,
    /// Rows the filters selected (all rows without filters).
    pub rows_selected: u64,
    pub valid: u64,
    pub invalid: u64,
    /// Valid rows whose number was already seen (in this or an earlier list).
    pub duplicates: u64,
    pub opted_out: u64,
}

/// The opt-out list as read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OptoutReport {
    pub file: String,
    /// SHA-256 (hex); `None` when the file does not exist.
    pub digest: Option<String>,
    pub numbers: u64,
    /// Rows whose number could not be read (they remove nobody).
    pub invalid: u64,
}

/// Size of the rendered messages across recipients.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MessageStats {
    pub gsm7: u64,
    pub ucs2: u64,
    pub min_characters: usize,
    pub max_characters: usize,
    pub min_parts: usize,
    pub max_parts: usize,
    pub total_parts: u64,
    /// The first recipient's message.
    pub sample: Option<Sample>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sample {
    pub phone: E164,
    pub text: String,
    pub encoding: Encoding,
    pub parts: usize,
}

/// The outcome of resolving selections.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Resolution {
    pub lists: Vec<ListReport>,
    pub optout: Option<OptoutReport>,
    pub duplicates: u64,
    pub opted_out: u64,
    pub invalid: u64,
    /// Final number of recipients.
    pub recipients: u64,
    /// Row errors, the first `keep_errors` of them (all with `None`).
    pub errors: Vec<RowError>,
    pub message: Option<MessageStats>,
}

impl MessageStats {
    /// `gsm7`, `ucs2`, or `mixed` when personalisation makes some
    /// recipients' messages UCS-2 and others GSM-7.
    pub fn encoding_label(&self) -> &'static str {
        match (self.gsm7 > 0, self.ucs2 > 0) {
            (true, true) => "mixed",
            (false, true) => "ucs2",
            _ => "gsm7",
        }
    }
}

impl Resolution {
    /// The facts a submit/revise statement signs, so reviewers approve them:
    /// `recipients` (final count), `parts` (total SMS parts), `encoding`
    /// and, when a price per part is set, `cost_idr`.
    pub fn signed_facts(&self, sms: &crate::smstext::SmsSettings) -> BTreeMap<String, String> {
        let parts = self.message.as_ref().map_or(0, |m| m.total_parts);
        let mut facts = BTreeMap::from([
            ("recipients".to_owned(), self.recipients.to_string()),
            ("parts".to_owned(), parts.to_string()),
        ]);
        if let Some(m) = &self.message {
            facts.insert("encoding".to_owned(), m.encoding_label().to_owned());
        }
        if let Some(cost) = sms.cost_idr(parts) {
            facts.insert("cost_idr".to_owned(), cost.to_string());
        }
        facts
    }
}

/// SHA-256 (lowercase hex) of a file's bytes, read in chunks.
pub fn digest_file(path: &Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Resolves selections in a workspace. Lists are read in the order given,
/// rows in file order, so results and [`Resolver::recipients`] are
/// deterministic.
pub struct Resolver<'a> {
    workspace: &'a Path,
    settings: &'a RecipientSettings,
    rules: NumberRules,
    message: Option<(&'a Template, usize)>,
    delimiter: Option<Delimiter>,
    use_optout: bool,
}

impl<'a> Resolver<'a> {
    pub fn new(workspace: &'a Path, settings: &'a RecipientSettings) -> Result<Self, ListError> {
        Ok(Self {
            workspace,
            settings,
            rules: settings.number_rules()?,
            message: None,
            delimiter: None,
            use_optout: true,
        })
    }

    /// Render `template` for every row and make a row that fails to render,
    /// or renders to more than `max_parts` parts, a row error.
    pub fn with_message(mut self, template: &'a Template, max_parts: usize) -> Self {
        self.message = Some((template, max_parts));
        self
    }

    /// Read every list with this delimiter (the `--delimiter` override).
    pub fn with_delimiter(mut self, delimiter: Option<Delimiter>) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// Do not read the opt-out list (for `recipients check`).
    pub fn without_optout(mut self) -> Self {
        self.use_optout = false;
        self
    }

    /// Read everything once and count. `keep_errors` bounds the row errors
    /// kept (`None`: all).
    pub fn resolve(
        &self,
        selections: &[Selection],
        keep_errors: Option<usize>,
    ) -> Result<Resolution, ListError> {
        let mut walk = self.walk(selections)?;
        let mut res = Resolution {
            lists: Vec::new(),
            optout: walk.optout_report.clone(),
            duplicates: 0,
            opted_out: 0,
            invalid: 0,
            recipients: 0,
            errors: Vec::new(),
            message: None,
        };
        while let Some(event) = walk.next_event()? {
            let outcome = match event {
                Event::List(report) => {
                    res.lists.push(*report);
                    continue;
                }
                Event::Row(outcome) => outcome,
            };
            let report = res.lists.last_mut().expect("a list starts first");
            report.rows_read += 1;
            match outcome {
                Outcome::Filtered => continue,
                Outcome::Invalid(e) => {
                    report.rows_selected += 1;
                    report.invalid += 1;
                    res.invalid += 1;
                    if keep_errors.is_none_or(|k| res.errors.len() < k) {
                        res.errors.push(*e);
                    }
                }
                Outcome::Duplicate => {
                    report.rows_selected += 1;
                    report.valid += 1;
                    report.duplicates += 1;
                    res.duplicates += 1;
                }
                Outcome::OptedOut => {
                    report.rows_selected += 1;
                    report.valid += 1;
                    report.opted_out += 1;
                    res.opted_out += 1;
                }
                Outcome::Recipient(r) => {
                    report.rows_selected += 1;
                    report.valid += 1;
                    res.recipients += 1;
                    if let Some((text, m)) = r.message {
                        add_stats(&mut res.message, &r.phone, text, m);
                    }
                }
            }
        }
        Ok(res)
    }

    /// The final recipients, streamed in the same order as [`resolve`]
    /// counts them (a second pass for `send`). Bad, filtered, duplicate
    /// and opted-out rows are skipped.
    ///
    /// [`resolve`]: Resolver::resolve
    pub fn recipients(&self, selections: &[Selection]) -> Result<Recipients<'_>, ListError> {
        Ok(Recipients {
            walk: self.walk(selections)?,
        })
    }

    fn walk(&self, selections: &[Selection]) -> Result<Walk<'_>, ListError> {
        let optout_name = normalise_list_path(&self.settings.optout);
        for s in selections {
            if self.use_optout && normalise_list_path(&s.list) == optout_name {
                return Err(ListError::OptoutSelected {
                    file: s.list.clone(),
                });
            }
        }
        let (optout, optout_report) = if self.use_optout {
            let (set, report) = self.read_optout(&optout_name)?;
            (set, Some(report))
        } else {
            (HashSet::new(), None)
        };
        Ok(Walk {
            resolver: self,
            selections: selections.to_vec(),
            next_list: 0,
            current: None,
            seen: HashSet::new(),
            optout,
            optout_report,
        })
    }

    fn path_of(&self, list: &str) -> PathBuf {
        self.workspace.join(list)
    }

    fn options_for(&self, list: &str) -> ListOptions {
        let mut options = self.settings.options_for(list);
        if self.delimiter.is_some() {
            options.delimiter = self.delimiter;
        }
        options
    }

    fn read_optout(&self, name: &str) -> Result<(HashSet<u64>, OptoutReport), ListError> {
        let path = self.path_of(name);
        let mut report = OptoutReport {
            file: name.to_owned(),
            digest: None,
            numbers: 0,
            invalid: 0,
        };
        let mut set = HashSet::new();
        if !path.exists() {
            return Ok((set, report));
        }
        report.digest = Some(digest_file(&path).map_err(|e| ListError::Io {
            file: name.to_owned(),
            source: Arc::new(e),
        })?);
        let mut reader = ListReader::open(&path, name, &self.options_for(name))?;
        let phone = reader.phone_index();
        while let Some((_, row)) = reader.next_row()? {
            match row
                .ok()
                .and_then(|r| crate::phone::normalise(r.value(phone), &self.rules).ok())
            {
                Some(n) => {
                    set.insert(n.key());
                }
                None => report.invalid += 1,
            }
        }
        report.numbers = set.len() as u64;
        Ok((set, report))
    }
}

fn add_stats(stats: &mut Option<MessageStats>, phone: &E164, text: String, m: Measure) {
    let s = stats.get_or_insert_with(|| MessageStats {
        gsm7: 0,
        ucs2: 0,
        min_characters: usize::MAX,
        max_characters: 0,
        min_parts: usize::MAX,
        max_parts: 0,
        total_parts: 0,
        sample: Some(Sample {
            phone: phone.clone(),
            text,
            encoding: m.encoding,
            parts: m.parts,
        }),
    });
    match m.encoding {
        Encoding::Gsm7 => s.gsm7 += 1,
        Encoding::Ucs2 => s.ucs2 += 1,
    }
    s.min_characters = s.min_characters.min(m.characters);
    s.max_characters = s.max_characters.max(m.characters);
    s.min_parts = s.min_parts.min(m.parts);
    s.max_parts = s.max_parts.max(m.parts);
    s.total_parts += m.parts as u64;
}

/// The final recipients of a selection, one at a time.
pub struct Recipients<'a> {
    walk: Walk<'a>,
}

impl Iterator for Recipients<'_> {
    type Item = Result<Recipient, ListError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.walk.next_event() {
                Err(e) => return Some(Err(e)),
                Ok(None) => return None,
                Ok(Some(Event::Row(Outcome::Recipient(r)))) => return Some(Ok(*r)),
                Ok(Some(_)) => {}
            }
        }
    }
}

enum Event {
    List(Box<ListReport>),
    Row(Outcome),
}

enum Outcome {
    Filtered,
    Invalid(Box<RowError>),
    Duplicate,
    OptedOut,
    Recipient(Box<Recipient>),
}

struct Current {
    name: String,
    reader: ListReader,
    filters: Vec<(usize, Vec<String>)>,
}

struct Walk<'a> {
    resolver: &'a Resolver<'a>,
    selections: Vec<Selection>,
    next_list: usize,
    current: Option<Current>,
    seen: HashSet<u64>,
    optout: HashSet<u64>,
    optout_report: Option<OptoutReport>,
}

impl Walk<'_> {
    fn next_event(&mut self) -> Result<Option<Event>, ListError> {
        loop {
            let Some(current) = &mut self.current else {
                let Some(selection) = self.selections.get(self.next_list).cloned() else {
                    return Ok(None);
                };
                self.next_list += 1;
                return self
                    .open(&selection)
                    .map(|r| Some(Event::List(Box::new(r))));
            };
            let Some((row_no, row)) = current.reader.next_row()? else {
                self.current = None;
                continue;
            };
            let outcome = match row {
                Err(e) => Outcome::Invalid(e),
                Ok(row) => self.judge(row_no, row),
            };
            return Ok(Some(Event::Row(outcome)));
        }
    }

    fn open(&mut self, selection: &Selection) -> Result<ListReport, ListError> {
        let r = self.resolver;
        let name = normalise_list_path(&selection.list);
        let path = r.path_of(&name);
        let reader = ListReader::open(&path, &name, &r.options_for(&name))?;
        let columns = reader.header().names().to_vec();
        let filters = selection
            .filter
            .iter()
            .map(|(column, value)| {
                reader
                    .header()
                    .index(column)
                    .map(|i| (i, value.values()))
                    .ok_or_else(|| ListError::FilterColumn {
                        file: name.clone(),
                        column: column.clone(),
                        columns: columns.clone(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some((template, _)) = r.message {
            template.check_columns(&name, &columns)?;
        }
        let digest = digest_file(&path).map_err(|e| ListError::Io {
            file: name.clone(),
            source: Arc::new(e),
        })?;
        let report = ListReport {
            file: name.clone(),
            digest,
            delimiter: reader.delimiter(),
            phone_column: reader.phone_column().to_owned(),
            columns,
            rows_read: 0,
            rows_selected: 0,
            valid: 0,
            invalid: 0,
            duplicates: 0,
            opted_out: 0,
        };
        self.current = Some(Current {
            name,
            reader,
            filters,
        });
        Ok(report)
    }

    fn judge(&mut self, row_no: u64, row: Row) -> Outcome {
        let current = self
            .current
            .as_ref()
            .expect("judging a row of the open list");
        let selected = current.filters.iter().all(|(i, values)| {
            let v = row.value(*i).to_lowercase();
            values.contains(&v)
        });
        if !selected {
            return Outcome::Filtered;
        }
        let phone_index = current.reader.phone_index();
        let error = |column: &str, value: &str, problem: RowProblem| {
            Outcome::Invalid(Box::new(RowError {
                file: current.name.clone(),
                row: row_no,
                column: column.to_owned(),
                value: value.to_owned(),
                problem,
            }))
        };
        let raw = row.value(phone_index);
        let phone = match crate::phone::normalise(raw, &self.resolver.rules) {
            Ok(p) => p,
            Err(e) => return error(current.reader.phone_column(), raw, e.into()),
        };
        let message = match self.resolver.message {
            None => None,
            Some((template, max_parts)) => {
                let rendered = template.render(|name| row.get(name));
                match rendered.map_err(RowProblem::from).and_then(|text| {
                    crate::smstext::check_length(&text, max_parts)
                        .map(|m| (text, m))
                        .map_err(RowProblem::from)
                }) {
                    Ok(message) => Some(message),
                    Err(problem) => {
                        let column = match &problem {
                            RowProblem::Render(
                                RenderError::EmptyValue { name }
                                | RenderError::MissingColumn { name },
                            ) => name.clone(),
                            _ => String::new(),
                        };
                        let value = row.get(&column).unwrap_or("").to_owned();
                        return error(&column, &value, problem);
                    }
                }
            }
        };
        if !self.seen.insert(phone.key()) {
            return Outcome::Duplicate;
        }
        if self.optout.contains(&phone.key()) {
            return Outcome::OptedOut;
        }
        Outcome::Recipient(Box::new(Recipient {
            phone,
            list: current.name.clone(),
            row: row_no,
            fields: row,
            message,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smstext::SmsSettings;

    fn resolution(gsm7: u64, ucs2: u64, parts: u64) -> Resolution {
        Resolution {
            lists: Vec::new(),
            optout: None,
            duplicates: 0,
            opted_out: 0,
            invalid: 0,
            recipients: gsm7 + ucs2,
            errors: Vec::new(),
            message: Some(MessageStats {
                gsm7,
                ucs2,
                min_characters: 1,
                max_characters: 1,
                min_parts: 1,
                max_parts: 2,
                total_parts: parts,
                sample: None,
            }),
        }
    }

    #[test]
    fn signed_facts_name_count_parts_encoding_and_cost_only_with_a_price() {
        let mut sms = SmsSettings::default();
        let facts = resolution(3, 1, 5).signed_facts(&sms);
        assert_eq!(facts["recipients"], "4");
        assert_eq!(facts["parts"], "5");
        assert_eq!(facts["encoding"], "mixed");
        assert!(!facts.contains_key("cost_idr"));
        sms.price_per_part_idr = Some(350);
        let facts = resolution(0, 2, 4).signed_facts(&sms);
        assert_eq!(facts["encoding"], "ucs2");
        assert_eq!(facts["cost_idr"], "1400");
        assert_eq!(resolution(2, 0, 2).signed_facts(&sms)["encoding"], "gsm7");
    }
}
