//! SMS text rules: GSM 03.38 / UCS-2 encoding choice and segmentation,
//! look-alike replacement, `((column))` placeholders and the `sms:` settings.
//!
//! Part counts must equal what gateways that split long texts themselves will
//! bill, so the splitter packs whole graphemes greedily (as Twilio's segment
//! calculator does) and never cuts a GSM escape pair or a surrogate pair.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// How a message is encoded on the air interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// GSM 03.38 default alphabet (7-bit), 160 / 153 septets per part.
    Gsm7,
    /// UCS-2 (UTF-16 code units), 70 / 67 per part.
    Ucs2,
}

/// The names people know from phones and gateway manuals.
impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        })
    }
}

impl Encoding {
    /// Units (septets or UTF-16 code units) in a message that fits one SMS.
    pub fn single_part_units(self) -> usize {
        match self {
            Encoding::Gsm7 => 160,
            Encoding::Ucs2 => 70,
        }
    }

    /// Units per part of a concatenated message (6 octets go to the UDH).
    pub fn multi_part_units(self) -> usize {
        match self {
            Encoding::Gsm7 => 153,
            Encoding::Ucs2 => 67,
        }
    }

    /// What one character costs in this encoding: septets (an extension
    /// character is an escape pair, 2) or UTF-16 code units (an emoji, 2).
    /// `None` if a GSM-7 message cannot hold it.
    pub fn units_of(self, c: char) -> Option<usize> {
        match self {
            Encoding::Gsm7 => gsm7_septets(c),
            Encoding::Ucs2 => Some(c.len_utf16()),
        }
    }
}

/// Septets a character takes in GSM-7: 1 for the basic table, 2 for the
/// extension table (escape + char), `None` if not in GSM 03.38.
pub fn gsm7_septets(c: char) -> Option<usize> {
    match c {
        '^' | '{' | '}' | '\\' | '[' | ']' | '~' | '|' | '€' | '\u{0c}' => Some(2),
        '\n' | '\r' | ' '..='_' | 'a'..='z' => Some(1),
        '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ' | 'Γ'
        | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡' | 'Ä'
        | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
        _ => None,
    }
}

/// GSM-7 if every character is in GSM 03.38, else UCS-2.
pub fn encoding_of(text: &str) -> Encoding {
    if text.chars().all(|c| gsm7_septets(c).is_some()) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// Size of one rendered message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Measure {
    pub encoding: Encoding,
    /// Unicode scalar values (what a person would call characters, roughly).
    pub characters: usize,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    /// SMS parts the gateway will send and bill; 0 for an empty text.
    pub parts: usize,
}

/// Encoding and part count of `text`, without allocating.
pub fn measure(text: &str) -> Measure {
    let encoding = encoding_of(text);
    let mut parts = 0;
    let units = pack(text, encoding, |_| parts += 1);
    Measure {
        encoding,
        characters: text.chars().count(),
        units,
        parts,
    }
}

/// `text` cut into the parts a gateway sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split<'a> {
    pub encoding: Encoding,
    pub parts: Vec<&'a str>,
}

/// Split `text` into parts: whole graphemes packed greedily (a grapheme
/// longer than a part, which no real text has, is cut between characters).
pub fn split(text: &str) -> Split<'_> {
    let encoding = encoding_of(text);
    let mut parts = Vec::new();
    pack(text, encoding, |range| parts.push(&text[range]));
    Split { encoding, parts }
}

/// Greedy packing; calls `part` with each part's byte range and returns the
/// total units.
fn pack(text: &str, encoding: Encoding, mut part: impl FnMut(Range<usize>)) -> usize {
    let cost = |s: &str| -> usize { s.chars().map(|c| encoding.units_of(c).unwrap_or(2)).sum() };
    let total = cost(text);
    if total == 0 {
        return 0;
    }
    if total <= encoding.single_part_units() {
        part(0..text.len());
        return total;
    }
    let size = encoding.multi_part_units();
    let (mut start, mut used) = (0, 0);
    for (offset, grapheme) in text.grapheme_indices(true) {
        let units = cost(grapheme);
        if units <= size {
            if used + units > size {
                part(start..offset);
                (start, used) = (offset, 0);
            }
            used += units;
            continue;
        }
        for (i, c) in grapheme.char_indices() {
            let units = encoding.units_of(c).unwrap_or(2);
            if used + units > size {
                part(start..offset + i);
                (start, used) = (offset + i, 0);
            }
            used += units;
        }
    }
    part(start..text.len());
    total
}

/// Why a rendered message cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the message is {parts} SMS parts ({encoding}, {units} units), over the maximum of \
     {max_parts}; shorten the text{hint}"
)]
pub struct TooLong {
    pub parts: usize,
    pub max_parts: usize,
    pub encoding: Encoding,
    pub units: usize,
    hint: &'static str,
}

/// Measure `text` and refuse it when it needs more than `max_parts` parts.
pub fn check_length(text: &str, max_parts: usize) -> Result<Measure, TooLong> {
    let m = measure(text);
    if m.parts <= max_parts {
        return Ok(m);
    }
    let hint = if m.encoding == Encoding::Ucs2
        && encoding_of(&replace_lookalikes(text).text) == Encoding::Gsm7
    {
        " or ask for look-alike replacement (it would make the text GSM-7)"
    } else if m.encoding == Encoding::Ucs2 {
        " or remove the characters that force UCS-2 (emoji, non-Latin letters)"
    } else {
        ""
    };
    Err(TooLong {
        parts: m.parts,
        max_parts,
        encoding: m.encoding,
        units: m.units,
        hint,
    })
}

/// Characters with a GSM-7 look-alike, and what replaces them. Kept short and
/// explicit so reviewers can know what will change.
const LOOKALIKES: &[(char, &str)] = &[
    ('\u{2018}', "'"), // ‘
    ('\u{2019}', "'"), // ’
    ('\u{201A}', "'"), // ‚
    ('\u{201B}', "'"), // ‛
    ('\u{2032}', "'"), // ′
    ('`', "'"),
    ('\u{00B4}', "'"),   // ´
    ('\u{201C}', "\""),  // “
    ('\u{201D}', "\""),  // ”
    ('\u{201E}', "\""),  // „
    ('\u{201F}', "\""),  // ‟
    ('\u{2033}', "\""),  // ″
    ('\u{00AB}', "\""),  // «
    ('\u{00BB}', "\""),  // »
    ('\u{2010}', "-"),   // hyphen
    ('\u{2011}', "-"),   // non-breaking hyphen
    ('\u{2012}', "-"),   // figure dash
    ('\u{2013}', "-"),   // en dash
    ('\u{2014}', "-"),   // em dash
    ('\u{2015}', "-"),   // horizontal bar
    ('\u{2212}', "-"),   // minus
    ('\u{2022}', "-"),   // bullet
    ('\u{2026}', "..."), // …
    ('\u{00A0}', " "),   // no-break space
    ('\u{2007}', " "),   // figure space
    ('\u{2009}', " "),   // thin space
    ('\u{202F}', " "),   // narrow no-break space
    ('\t', " "),
    ('\u{00AD}', ""), // soft hyphen
    ('\u{200B}', ""), // zero-width space
    ('\u{2060}', ""), // word joiner
    ('\u{FEFF}', ""), // zero-width no-break space / stray BOM
];

/// Result of [`replace_lookalikes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    pub text: String,
    /// Each replaced character with how often it occurred, in table order.
    pub replaced: Vec<(char, usize)>,
}

/// Replace curly quotes, dashes, ellipsis, unusual spaces and invisible
/// characters by their GSM-7 look-alikes. Called at `submit` when the request
/// asks for it, so reviewers sign the text that will be sent.
pub fn replace_lookalikes(text: &str) -> Replaced {
    let mut out = String::with_capacity(text.len());
    let mut counts = vec![0usize; LOOKALIKES.len()];
    for c in text.chars() {
        match LOOKALIKES.iter().position(|(from, _)| *from == c) {
            Some(i) => {
                counts[i] += 1;
                out.push_str(LOOKALIKES[i].1);
            }
            None => out.push(c),
        }
    }
    let replaced = LOOKALIKES
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|((c, _), n)| (*c, n))
        .collect();
    Replaced {
        text: out,
        replaced,
    }
}

/// A message with `((column))` placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Field(String),
}

/// A message text that cannot be used as a template, or whose placeholders
/// do not match the lists' columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error(
        "the message has `((` at character {at} without a closing `))`; close the \
         placeholder, e.g. ((nama))"
    )]
    Unclosed { at: usize },
    #[error(
        "the placeholder `(({name}))` at character {at} is not a column name; \
         placeholders look like ((nama))"
    )]
    BadName { name: String, at: usize },
    #[error(
        "the placeholder (({name})) has no matching column in {list}; the columns are: \
         {columns}; fix the placeholder or add the column"
    )]
    MissingColumn {
        name: String,
        list: String,
        columns: String,
    },
}

/// A row that cannot fill a placeholder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("no column {name:?} for the placeholder (({name}))")]
    MissingColumn { name: String },
    #[error("the column {name:?} is empty, but the message uses (({name})); fill it in")]
    EmptyValue { name: String },
}

impl Template {
    /// Parse `((name))` placeholders; everything else is literal text.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut pieces = Vec::new();
        let mut rest = text;
        let mut consumed = 0;
        while let Some(open) = rest.find("((") {
            let after = &rest[open + 2..];
            let at = text[..consumed + open].chars().count() + 1;
            let close = after.find("))").ok_or(TemplateError::Unclosed { at })?;
            let raw = &after[..close];
            let name = raw.trim();
            if name.is_empty() || name.contains(['(', ')', '\n', '\r']) {
                return Err(TemplateError::BadName {
                    name: raw.to_owned(),
                    at,
                });
            }
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_owned()));
            }
            pieces.push(Piece::Field(name.to_owned()));
            let used = open + 2 + close + 2;
            consumed += used;
            rest = &rest[used..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        Ok(Self { pieces })
    }

    /// Placeholder names as written, each once (compared like column names),
    /// in order of appearance.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        let mut keys = Vec::new();
        for piece in &self.pieces {
            if let Piece::Field(name) = piece {
                let key = crate::recipients::column_key(name);
                if !keys.contains(&key) {
                    keys.push(key);
                    names.push(name);
                }
            }
        }
        names
    }

    /// Refuse placeholders that match none of `columns` (compared the way
    /// headers are: case, spaces, `_` and `-` ignored). `list` names the file
    /// in the message.
    pub fn check_columns<S: AsRef<str>>(
        &self,
        list: &str,
        columns: &[S],
    ) -> Result<(), TemplateError> {
        let keys: Vec<String> = columns
            .iter()
            .map(|c| crate::recipients::column_key(c.as_ref()))
            .collect();
        for name in self.placeholders() {
            if !keys.contains(&crate::recipients::column_key(name)) {
                return Err(TemplateError::MissingColumn {
                    name: name.to_owned(),
                    list: list.to_owned(),
                    columns: columns
                        .iter()
                        .map(AsRef::as_ref)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
        Ok(())
    }

    /// The smallest size any row can render to: every placeholder filled
    /// with one GSM-7 character (values are never empty). When even this is
    /// over the limit, every row is, so `submit` refuses the text itself.
    pub fn min_measure(&self) -> Measure {
        let text = self
            .render(|_| Some("a"))
            .expect("a non-empty value fills every placeholder");
        measure(&text)
    }

    /// Fill the placeholders; `value` looks a placeholder name up in the row
    /// (e.g. `|name| row.get(name)`). Values are used trimmed.
    pub fn render<'v>(
        &self,
        value: impl Fn(&str) -> Option<&'v str>,
    ) -> Result<String, RenderError> {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Field(name) => {
                    let v = value(name)
                        .ok_or_else(|| RenderError::MissingColumn { name: name.clone() })?
                        .trim();
                    if v.is_empty() {
                        return Err(RenderError::EmptyValue { name: name.clone() });
                    }
                    out.push_str(v);
                }
            }
        }
        Ok(out)
    }
}

/// The `sms:` section of `sms-bcast.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// Most parts one rendered message may have (gateways may allow fewer).
    #[serde(default = "default_max_parts")]
    pub max_parts: u32,
    /// Price of one SMS part in rupiah, for the cost estimate.
    #[serde(default)]
    pub price_per_part_idr: Option<u64>,
    /// Sender id (alphanumeric, up to 11 characters, or a number).
    #[serde(default)]
    pub sender_id: Option<String>,
}

fn default_max_parts() -> u32 {
    6
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            max_parts: default_max_parts(),
            price_per_part_idr: None,
            sender_id: None,
        }
    }
}

/// A value in the `sms:` settings that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "sms.max_parts is {0}; it must be between 1 and 255 (the UDH part counter is one octet)"
    )]
    MaxParts(u32),
    #[error(
        "sms.sender_id {0:?} is not a valid sender: use up to 11 letters/digits (no spaces \
         or symbols), or a number of up to 15 digits"
    )]
    SenderId(String),
}

impl SmsSettings {
    /// Check the values serde cannot.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !(1..=255).contains(&self.max_parts) {
            return Err(SettingsError::MaxParts(self.max_parts));
        }
        if let Some(id) = &self.sender_id {
            let numeric = id.strip_prefix('+').unwrap_or(id);
            let ok = if !numeric.is_empty() && numeric.bytes().all(|b| b.is_ascii_digit()) {
                numeric.len() <= 15
            } else {
                (1..=11).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
            };
            if !ok {
                return Err(SettingsError::SenderId(id.clone()));
            }
        }
        Ok(())
    }

    /// The limit that applies on a gateway allowing `gateway_max` parts.
    pub fn max_parts_on(&self, gateway_max: u32) -> usize {
        self.max_parts.min(gateway_max) as usize
    }

    /// Estimated cost of `parts` SMS parts, if a price is configured.
    pub fn cost_idr(&self, parts: u64) -> Option<u64> {
        self.price_per_part_idr.map(|p| p.saturating_mul(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parts(text: &str) -> Vec<&str> {
        split(text).parts
    }

    #[test]
    fn escape_pair_at_the_single_part_limit() {
        let t = format!("{}[", "a".repeat(158));
        assert_eq!(measure(&t).parts, 1);
        assert_eq!(measure(&t).units, 160);
        let t = format!("{}[", "a".repeat(159));
        assert_eq!(measure(&t).parts, 2);
        assert_eq!(parts(&t)[0].len(), 153);
    }

    #[test]
    fn escape_pair_is_never_split_so_greedy_needs_three_parts() {
        let t = format!("{}[{}", "a".repeat(152), "a".repeat(152));
        let s = split(&t);
        assert_eq!(s.encoding, Encoding::Gsm7);
        assert_eq!(s.parts.len(), 3, "ceil(306/153) would say 2");
        assert_eq!(s.parts[0], "a".repeat(152));
        assert!(s.parts[1].starts_with('['));
    }

    #[test]
    fn surrogate_pair_moves_whole_to_the_next_part() {
        let t = format!("{}😀{}", "a".repeat(66), "b".repeat(10));
        let s = split(&t);
        assert_eq!(s.encoding, Encoding::Ucs2);
        assert_eq!(s.parts.len(), 2);
        assert_eq!(s.parts[0].encode_utf16().count(), 66);
        assert!(s.parts[1].starts_with('😀'));
    }

    #[test]
    fn single_and_multi_part_sizes() {
        assert_eq!(measure(&"a".repeat(160)).parts, 1);
        assert_eq!(measure(&"a".repeat(161)).parts, 2);
        assert_eq!(measure(&"a".repeat(306)).parts, 2);
        assert_eq!(measure(&"a".repeat(307)).parts, 3);
        assert_eq!(measure(&"é".repeat(160)).encoding, Encoding::Gsm7);
        assert_eq!(measure(&"ê".repeat(70)).parts, 1);
        assert_eq!(measure(&"ê".repeat(71)).parts, 2);
        assert_eq!(measure(&"ê".repeat(134)).parts, 2);
        assert_eq!(measure(&"ê".repeat(135)).parts, 3);
        assert_eq!(measure("").parts, 0);
    }

    #[test]
    fn extension_characters_cost_two_septets_only_in_gsm7() {
        assert_eq!(measure("{}€").units, 6);
        assert_eq!(measure("{}€ê").units, 4);
        assert_eq!(encoding_of("Harga Rp 10.000 @ toko"), Encoding::Gsm7);
        assert_eq!(encoding_of("a`b"), Encoding::Ucs2);
        assert_eq!(encoding_of("ç"), Encoding::Ucs2);
    }

    #[test]
    fn a_zwj_emoji_sequence_stays_in_one_part() {
        let family = "👨\u{200D}👩\u{200D}👧";
        let t = format!("{}{family}", "a".repeat(63));
        let s = split(&t);
        assert_eq!(s.parts.len(), 2);
        assert_eq!(s.parts[1], family);
    }

    #[test]
    fn lookalikes_are_replaced_and_counted() {
        let r = replace_lookalikes("“Bantuan” – cair\u{a0}besok…");
        assert_eq!(r.text, "\"Bantuan\" - cair besok...");
        assert_eq!(encoding_of(&r.text), Encoding::Gsm7);
        assert_eq!(
            r.replaced,
            vec![
                ('\u{201C}', 1),
                ('\u{201D}', 1),
                ('\u{2013}', 1),
                ('\u{2026}', 1),
                ('\u{a0}', 1)
            ]
        );
        assert!(replace_lookalikes("biasa").replaced.is_empty());
    }

    #[test]
    fn too_long_names_the_limit_and_suggests_replacement() {
        let t = format!("{}’", "a".repeat(200));
        let err = check_length(&t, 2).unwrap_err();
        assert_eq!(err.parts, 3, "201 UCS-2 units = 3 x 67");
        assert!(err.to_string().contains("maximum of 2"));
        assert!(err.to_string().contains("look-alike"));
        assert_eq!(check_length(&"a".repeat(200), 2).unwrap().parts, 2);
    }

    #[test]
    fn placeholders_render_from_a_row() {
        let t = Template::parse("Yth. ((Nama)), bantuan ((  jenis )) untuk ((nama)).").unwrap();
        assert_eq!(t.placeholders(), vec!["Nama", "jenis"]);
        let row = |n: &str| match n {
            "Nama" | "nama" => Some(" Siti "),
            "jenis" => Some("PKH"),
            _ => None,
        };
        assert_eq!(t.render(row).unwrap(), "Yth. Siti, bantuan PKH untuk Siti.");
        assert_eq!(
            t.render(|n| if n == "jenis" { Some("") } else { Some("x") }),
            Err(RenderError::EmptyValue {
                name: "jenis".into()
            })
        );
        assert_eq!(
            t.render(|_| None),
            Err(RenderError::MissingColumn {
                name: "Nama".into()
            })
        );
    }

    #[test]
    fn placeholders_are_checked_against_columns_like_headers() {
        let t = Template::parse("Halo ((Nama Lengkap)) di ((kab))").unwrap();
        assert!(
            t.check_columns("recipients/a.csv", &["nama_lengkap", "KAB", "hp"])
                .is_ok()
        );
        let err = t
            .check_columns("recipients/a.csv", &["nama_lengkap", "hp"])
            .unwrap_err();
        assert!(matches!(err, TemplateError::MissingColumn { ref name, .. } if name == "kab"));
        assert!(err.to_string().contains("nama_lengkap, hp"));
    }

    #[test]
    fn min_measure_is_a_lower_bound_for_every_row() {
        let t = Template::parse(&format!("{}((nama))", "a".repeat(160))).unwrap();
        assert_eq!(t.min_measure().parts, 2, "161 septets at least");
        let short = t.render(|_| Some("B")).unwrap();
        assert!(measure(&short).parts >= t.min_measure().parts);
        let t = Template::parse("Halo ((nama))").unwrap();
        assert_eq!(t.min_measure().characters, 6);
        assert_eq!(t.min_measure().encoding, Encoding::Gsm7);
    }

    #[test]
    fn malformed_placeholders_are_refused_with_position() {
        assert_eq!(
            Template::parse("Halo ((nama"),
            Err(TemplateError::Unclosed { at: 6 })
        );
        assert!(matches!(
            Template::parse("a (()) b"),
            Err(TemplateError::BadName { at: 3, .. })
        ));
        assert!(
            Template::parse("tanpa placeholder (catatan)")
                .unwrap()
                .placeholders()
                .is_empty()
        );
    }

    #[test]
    fn settings_defaults_and_unknown_fields() {
        let s: SmsSettings = serde_yaml::from_str("{}").unwrap();
        assert_eq!(s.max_parts, 6);
        assert_eq!(s.max_parts_on(5), 5);
        assert_eq!(s.cost_idr(10), None);
        let s: SmsSettings =
            serde_yaml::from_str("price_per_part_idr: 350\nsender_id: KEMENSOS").unwrap();
        assert_eq!(s.cost_idr(10), Some(3500));
        assert!(s.validate().is_ok());
        assert!(serde_yaml::from_str::<SmsSettings>("max_part: 3").is_err());
        let bad = SmsSettings {
            sender_id: Some("DINAS SOSIAL".into()),
            ..SmsSettings::default()
        };
        assert!(matches!(bad.validate(), Err(SettingsError::SenderId(_))));
        let bad = SmsSettings {
            max_parts: 0,
            ..SmsSettings::default()
        };
        assert!(bad.validate().is_err());
    }

    /// Reference packing over single-character graphemes: whole characters,
    /// greedily; written independently of `pack`.
    fn greedy_reference(text: &str) -> usize {
        let enc = encoding_of(text);
        let costs: Vec<usize> = text.chars().map(|c| enc.units_of(c).unwrap()).collect();
        let total: usize = costs.iter().sum();
        if total == 0 {
            return 0;
        }
        if total <= enc.single_part_units() {
            return 1;
        }
        let mut n = 1;
        let mut used = 0;
        for c in costs {
            if used + c > enc.multi_part_units() {
                n += 1;
                used = 0;
            }
            used += c;
        }
        n
    }

    fn sms_text() -> impl Strategy<Value = String> {
        let gsm = prop::sample::select(vec!['a', 'Z', ' ', '[', '€', '{', 'é', '\n', '0']);
        let any = prop::sample::select(vec!['a', '[', '€', 'ê', '😀', 'ç', '“', 'x']);
        prop_oneof![
            prop::collection::vec(gsm, 0..700),
            prop::collection::vec(any, 0..400),
        ]
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn every_part_is_valid_and_within_size(text in sms_text()) {
            let s = split(&text);
            prop_assert_eq!(s.parts.concat(), text.clone());
            let limit = if s.parts.len() > 1 { s.encoding.multi_part_units() } else { s.encoding.single_part_units() };
            for p in &s.parts {
                prop_assert!(!p.is_empty());
                let units: usize = p.chars().map(|c| s.encoding.units_of(c).unwrap()).sum();
                prop_assert!(units <= limit, "part of {} units over {}", units, limit);
            }
        }

        #[test]
        fn part_count_is_greedy_packing_of_whole_characters(text in sms_text()) {
            let m = measure(&text);
            prop_assert_eq!(m.parts, greedy_reference(&text));
            prop_assert_eq!(m.parts, split(&text).parts.len());
            if m.parts > 1 {
                prop_assert!(m.parts >= m.units.div_ceil(m.encoding.multi_part_units()));
            }
        }
    }
}
