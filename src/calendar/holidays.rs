//! Holiday files `calendar/<year>.yaml`: the national holidays and *cuti bersama*
//! decreed for one year, kept in the workspace and reviewed like any other file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::CalendarError;

/// Whether a date is a national holiday or a joint-leave day for civil servants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HolidayKind {
    /// Hari libur nasional: never a working day.
    NationalHoliday,
    /// Cuti bersama: non-working unless `calendar.cuti_bersama_working: true`.
    CutiBersama,
}

/// One entry of a holiday file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub date: NaiveDate,
    pub name: String,
    pub kind: HolidayKind,
    /// The decree this date comes from, when it differs from the file's (an amendment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decree: Option<String>,
    /// The source gives the date as estimated (moon sighting); confirm before relying on it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

/// The whole of `calendar/<year>.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayFile {
    /// The decree that sets the year's holidays (e.g. the SKB 3 Menteri), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decree: Option<String>,
    /// Where the dates were taken from (a URL or a citation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub holidays: Vec<Holiday>,
}

/// The year a holiday file covers, from its name `<year>.yaml`.
pub(super) fn year_of(path: &Path) -> Result<i32, CalendarError> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| CalendarError::FileName {
            path: path.to_path_buf(),
        })
}

/// Parses one holiday file and checks what serde cannot: every date lies in
/// the file's year and appears once.
pub(super) fn parse(
    path: &Path,
    year: i32,
    text: &str,
) -> Result<BTreeMap<NaiveDate, Holiday>, CalendarError> {
    let file: HolidayFile = serde_yaml::from_str(text).map_err(|err| parse_error(path, &err))?;
    let mut days = BTreeMap::new();
    for holiday in file.holidays {
        let date = holiday.date;
        let text_date = date.format("%Y-%m-%d").to_string();
        if date.year() != year {
            return Err(CalendarError::WrongYear {
                path: path.to_path_buf(),
                line: line_of(text, &text_date, 0),
                date,
                expected: path.with_file_name(format!("{}.yaml", date.year())),
            });
        }
        if holiday.name.trim().is_empty() {
            return Err(CalendarError::Field {
                path: path.to_path_buf(),
                line: line_of(text, &text_date, 0),
                field: "name",
                message: format!("the entry for {date} has an empty name"),
            });
        }
        if days.insert(date, holiday).is_some() {
            return Err(CalendarError::Field {
                path: path.to_path_buf(),
                line: line_of(text, &text_date, 1),
                field: "date",
                message: format!("{date} is listed twice; keep one entry per date"),
            });
        }
    }
    Ok(days)
}

fn parse_error(path: &Path, err: &serde_yaml::Error) -> CalendarError {
    CalendarError::Yaml {
        path: path.to_path_buf(),
        line: err.location().map(|l| l.line()),
        column: err.location().map(|l| l.column()),
        message: strip_location(&err.to_string()),
    }
}

/// serde_yaml appends " at line L column C"; the error names the place itself.
pub(crate) fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// 1-based line of the `nth` (0-based) `date:` line holding `needle`, for
/// errors that serde cannot place.
fn line_of(text: &str, needle: &str, nth: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains("date:") && l.contains(needle))
        .nth(nth)
        .map(|(i, _)| i + 1)
}

/// The file that would hold `year` in `dir`.
pub(super) fn file_for(dir: &Path, year: i32) -> PathBuf {
    dir.join(format!("{year}.yaml"))
}
