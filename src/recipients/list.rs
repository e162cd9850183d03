//! Reading one recipient list: delimiter sniffing, header matching, the phone
//! column, and rows one at a time (streaming).

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use super::{ListError, RowError, RowProblem};

/// Header names compared the way people write them: case, spaces, `_`, `-`
/// and `.` do not matter (`No HP`, `no_hp` and `NoHp` are one column).
pub fn column_key(name: &str) -> String {
    name.chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '_' | '-' | '.' | '\u{feff}')))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Column names that hold phone numbers, most specific first (compared with
/// [`column_key`]). The first one present is the phone column.
pub const COMMON_PHONE_COLUMNS: &[&str] = &[
    "phone",
    "phone number",
    "mobile",
    "mobile number",
    "msisdn",
    "no hp",
    "nomor hp",
    "hp",
    "handphone",
    "no handphone",
    "nomor handphone",
    "ponsel",
    "nomor ponsel",
    "no wa",
    "nomor wa",
    "whatsapp",
    "telepon",
    "no telepon",
    "nomor telepon",
    "telp",
    "no telp",
    "nomor",
];

/// A CSV field delimiter: `,`, `;` or tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiter(u8);

impl Delimiter {
    pub const COMMA: Delimiter = Delimiter(b',');
    pub const SEMICOLON: Delimiter = Delimiter(b';');
    pub const TAB: Delimiter = Delimiter(b'\t');

    pub fn byte(self) -> u8 {
        self.0
    }
}

impl std::str::FromStr for Delimiter {
    type Err = ListError;
    /// `,`, `;`, `tab` (or a literal tab), `comma`, `semicolon`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "," | "comma" => Ok(Self::COMMA),
            ";" | "semicolon" => Ok(Self::SEMICOLON),
            "\t" | "tab" | "\\t" => Ok(Self::TAB),
            other => Err(ListError::BadDelimiter(other.to_owned())),
        }
    }
}

impl fmt::Display for Delimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            b'\t' => f.write_str("tab"),
            b => write!(f, "{}", b as char),
        }
    }
}

impl serde::Serialize for Delimiter {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Delimiter {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The header row of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    names: Vec<String>,
    keys: Vec<String>,
}

impl Header {
    fn new(names: Vec<String>) -> Self {
        let keys = names.iter().map(|n| column_key(n)).collect();
        Self { names, keys }
    }

    /// Column names as written in the file.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Index of the first column matching `column` (see [`column_key`]).
    pub fn index(&self, column: &str) -> Option<usize> {
        let key = column_key(column);
        self.keys.iter().position(|k| *k == key)
    }

    fn count(&self, key: &str) -> usize {
        self.keys.iter().filter(|k| *k == key).count()
    }
}

/// One data row with its header, for filters and personalisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    header: Arc<Header>,
    /// One buffer for all fields (not a `String` each): lists have a million rows.
    values: csv::StringRecord,
}

impl Row {
    /// The value of `column` (matched like headers), trimmed.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.header.index(column).and_then(|i| self.values.get(i))
    }

    /// `(column name, value)` pairs in file order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.header
            .names
            .iter()
            .map(String::as_str)
            .zip(self.values.iter())
    }

    pub(crate) fn value(&self, index: usize) -> &str {
        self.values.get(index).unwrap_or("")
    }
}

/// A decoded row, or why it could not be decoded.
pub type RowResult = Result<Row, Box<RowError>>;

/// How to read one list; `None` means sniff / find automatically.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub delimiter: Option<Delimiter>,
    pub phone_column: Option<String>,
}

/// A list being read row by row.
pub struct ListReader {
    name: String,
    reader: csv::Reader<BufReader<File>>,
    header: Arc<Header>,
    delimiter: Delimiter,
    phone_index: usize,
    record: csv::ByteRecord,
    row: u64,
}

impl ListReader {
    /// Open `path`; `name` is how messages name the file (workspace-relative).
    pub fn open(path: &Path, name: &str, options: &ListOptions) -> Result<Self, ListError> {
        let io = |source| ListError::Io {
            file: name.to_owned(),
            source: Arc::new(source),
        };
        let mut file = File::open(path).map_err(io)?;
        if looks_like_utf16(&mut file).map_err(io)? {
            return Err(ListError::Utf16 {
                file: name.to_owned(),
            });
        }
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let delimiter = match options.delimiter {
            Some(d) => d,
            None => {
                let d = sniff_delimiter(&mut file).map_err(io)?;
                file.seek(SeekFrom::Start(0)).map_err(io)?;
                d
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter.byte())
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        let mut record = csv::ByteRecord::new();
        let read = reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(name, e))?;
        if !read {
            return Err(ListError::Empty {
                file: name.to_owned(),
            });
        }
        let names = record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        let header = Header::new(names);
        let phone_index = find_phone_column(&header, name, options.phone_column.as_deref())?;
        Ok(Self {
            name: name.to_owned(),
            reader,
            header: Arc::new(header),
            delimiter,
            phone_index,
            record,
            row: 1,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn delimiter(&self) -> Delimiter {
        self.delimiter
    }

    /// The phone column's name as written in the file.
    pub fn phone_column(&self) -> &str {
        &self.header.names[self.phone_index]
    }

    pub(crate) fn phone_index(&self) -> usize {
        self.phone_index
    }

    /// The next non-blank row (the header is row 1, as in a spreadsheet), or
    /// a row error for a row that is not UTF-8 or has the wrong number of
    /// fields. `Ok(None)` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<(u64, RowResult)>, ListError> {
        loop {
            let read = self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| csv_error(&self.name, e))?;
            if !read {
                return Ok(None);
            }
            self.row += 1;
            if self.record.iter().all(|f| f.is_empty()) {
                continue;
            }
            return Ok(Some((self.row, self.decode())));
        }
    }

    fn decode(&self) -> RowResult {
        let error = |column: &str, problem| {
            Box::new(RowError {
                file: self.name.clone(),
                row: self.row,
                column: column.to_owned(),
                value: String::new(),
                problem,
            })
        };
        if self.record.len() != self.header.names.len() {
            return Err(error(
                "",
                RowProblem::FieldCount {
                    found: self.record.len(),
                    expected: self.header.names.len(),
                    delimiter: self.delimiter,
                },
            ));
        }
        match csv::StringRecord::from_byte_record(self.record.clone()) {
            Ok(values) => Ok(Row {
                header: Arc::clone(&self.header),
                values,
            }),
            Err(e) => Err(error(
                &self.header.names[e.utf8_error().field()],
                RowProblem::NotUtf8,
            )),
        }
    }
}

fn csv_error(name: &str, e: csv::Error) -> ListError {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => ListError::Io {
            file: name.to_owned(),
            source: Arc::new(source),
        },
        other => ListError::Csv {
            file: name.to_owned(),
            line,
            detail: format!("{other:?}"),
        },
    }
}

fn find_phone_column(
    header: &Header,
    name: &str,
    configured: Option<&str>,
) -> Result<usize, ListError> {
    let candidates: Vec<&str> = match configured {
        Some(c) => vec![c],
        None => COMMON_PHONE_COLUMNS.to_vec(),
    };
    for candidate in candidates {
        let key = column_key(candidate);
        if let Some(i) = header.index(candidate) {
            if header.count(&key) > 1 {
                return Err(ListError::AmbiguousPhoneColumn {
                    file: name.to_owned(),
                    column: header.names[i].clone(),
                });
            }
            return Ok(i);
        }
    }
    Err(ListError::NoPhoneColumn {
        file: name.to_owned(),
        configured: configured.map(str::to_owned),
        columns: header.names.clone(),
    })
}

/// Whether the file starts with a UTF-16 byte order mark, or has NUL bytes
/// near its start (UTF-16 without a BOM: every ASCII letter is followed or
/// preceded by a zero byte, which no CSV UTF-8 export writes).
fn looks_like_utf16(file: &mut File) -> std::io::Result<bool> {
    let mut buf = Vec::with_capacity(4096);
    file.take(4096).read_to_end(&mut buf)?;
    Ok(buf.starts_with(b"\xff\xfe") || buf.starts_with(b"\xfe\xff") || buf.contains(&0))
}

/// The delimiter that occurs most often outside quotes in the header line
/// (`,` when none does or on a tie).
fn sniff_delimiter(file: &mut File) -> std::io::Result<Delimiter> {
    let mut buf = Vec::with_capacity(4096);
    file.take(64 * 1024).read_to_end(&mut buf)?;
    let bytes = buf.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&buf);
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = [Delimiter::COMMA, Delimiter::SEMICOLON, Delimiter::TAB]
        .into_iter()
        .zip(counts)
        .fold((Delimiter::COMMA, 0), |best, (d, n)| {
            if n > best.1 { (d, n) } else { best }
        });
    Ok(best.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(content: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, content).unwrap();
        f
    }

    fn rows(r: &mut ListReader) -> Vec<(u64, RowResult)> {
        std::iter::from_fn(|| r.next_row().unwrap()).collect()
    }

    #[test]
    fn column_keys_ignore_case_spaces_and_separators() {
        assert_eq!(column_key(" No_HP "), "nohp");
        assert_eq!(column_key("Nomor-Telepon"), "nomortelepon");
        assert_eq!(column_key("\u{feff}Nama"), "nama");
    }

    #[test]
    fn bom_crlf_semicolon_and_quotes() {
        let f = write(b"\xef\xbb\xbfNama;No HP;Alamat\r\n\"Siti; Aminah\";0812-0000-0001;\"Jl. A, \"\"B\"\"\"\r\n");
        let mut r = ListReader::open(f.path(), "x.csv", &ListOptions::default()).unwrap();
        assert_eq!(r.delimiter(), Delimiter::SEMICOLON);
        assert_eq!(r.phone_column(), "No HP");
        assert_eq!(r.header().names()[0], "Nama");
        let rows = rows(&mut r);
        let (n, row) = &rows[0];
        let row = row.as_ref().unwrap();
        assert_eq!(*n, 2);
        assert_eq!(row.get("nama"), Some("Siti; Aminah"));
        assert_eq!(row.get("ALAMAT"), Some("Jl. A, \"B\""));
    }

    #[test]
    fn tabs_are_sniffed_and_an_override_wins() {
        let f = write(b"hp\tnama\n081200000001\tA\n");
        let r = ListReader::open(f.path(), "x.csv", &ListOptions::default()).unwrap();
        assert_eq!(r.delimiter(), Delimiter::TAB);
        let opts = ListOptions {
            delimiter: Some(Delimiter::COMMA),
            phone_column: None,
        };
        let err = ListReader::open(f.path(), "x.csv", &opts).err().unwrap();
        assert!(matches!(err, ListError::NoPhoneColumn { .. }));
    }

    #[test]
    fn missing_phone_column_lists_the_columns_found() {
        let f = write(b"nama,alamat\nA,B\n");
        let err = ListReader::open(f.path(), "recipients/x.csv", &ListOptions::default())
            .err()
            .unwrap();
        let msg = err.to_string();
        assert!(msg.contains("recipients/x.csv"), "{msg}");
        assert!(msg.contains("nama, alamat"), "{msg}");
    }

    #[test]
    fn configured_phone_column_and_ambiguous_columns() {
        let f = write(b"nama,kontak,hp\nA,081200000001,x\n");
        let opts = ListOptions {
            delimiter: None,
            phone_column: Some("Kontak".into()),
        };
        let r = ListReader::open(f.path(), "x.csv", &opts).unwrap();
        assert_eq!(r.phone_column(), "kontak");
        let f = write(b"hp,HP\n1,2\n");
        let err = ListReader::open(f.path(), "x.csv", &ListOptions::default())
            .err()
            .unwrap();
        assert!(matches!(err, ListError::AmbiguousPhoneColumn { .. }));
    }

    #[test]
    fn wrong_field_counts_and_bad_utf8_are_row_errors_and_blank_rows_skipped() {
        let f = write(b"hp,nama\n081200000001,A,extra\n,\n081200000002,\xff\n081200000003,C\n");
        let mut r = ListReader::open(f.path(), "x.csv", &ListOptions::default()).unwrap();
        let rows = rows(&mut r);
        assert_eq!(rows.len(), 3);
        let e = rows[0].1.as_ref().unwrap_err();
        assert_eq!(e.row, 2);
        assert!(e.to_string().contains("3 fields"), "{e}");
        let e = rows[1].1.as_ref().unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (4, "nama"));
        assert_eq!(rows[2].0, 5);
    }

    #[test]
    fn utf16_files_are_refused_with_how_to_export_csv_utf8() {
        let text = "nama\thp\tprovinsi\r\nDewi\t081200001001\tJawa Barat\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for content in [
            [&b"\xff\xfe"[..], &le].concat(),
            [&b"\xfe\xff"[..], &be].concat(),
            le,
            be,
        ] {
            let f = write(&content);
            let opts = ListOptions {
                delimiter: Some(Delimiter::TAB),
                ..Default::default()
            };
            for options in [ListOptions::default(), opts] {
                let err = ListReader::open(f.path(), "x.csv", &options).err().unwrap();
                assert!(matches!(err, ListError::Utf16 { .. }), "{err}");
                assert!(err.to_string().contains("export as CSV UTF-8"), "{err}");
            }
        }
    }

    #[test]
    fn an_empty_file_is_a_list_error() {
        let f = write(b"");
        assert!(matches!(
            ListReader::open(f.path(), "x.csv", &ListOptions::default()),
            Err(ListError::Empty { .. })
        ));
    }
}
