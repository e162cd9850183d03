//! Phone numbers: normalise what spreadsheets hold to E.164 (`+62812…`).
//!
//! The `phonenumber` crate (libphonenumber metadata) decides validity and
//! number type. Ordinary Indonesian mobile numbers take a fast path first,
//! because lists can have a million rows; a property test checks that the fast
//! path and the library always agree.

use std::fmt;

use phonenumber::country::Id;
use phonenumber::{PhoneNumber, Type};

/// A phone number in E.164 form, e.g. `+6281200001234`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct E164(String);

impl E164 {
    /// The number with its leading `+`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits after the `+` (what gateways that want no plus get).
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// The number as an integer: E.164 has at most 15 digits, so it fits a
    /// `u64`, which keeps de-duplication sets of a million numbers small.
    pub fn key(&self) -> u64 {
        self.digits().parse().expect("an E164 holds 1 to 15 digits")
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which numbers a workspace accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRules {
    /// Countries (ISO 3166 alpha-2, e.g. `ID`) whose mobile numbers pass.
    allowed: Vec<Id>,
}

impl NumberRules {
    /// Rules allowing mobile numbers of the given countries (ISO 3166 alpha-2
    /// codes such as `ID`, `SG`, `MY`).
    pub fn new<S: AsRef<str>>(countries: &[S]) -> Result<Self, PhoneError> {
        let allowed = countries
            .iter()
            .map(|c| {
                let code = c.as_ref().trim().to_ascii_uppercase();
                code.parse::<Id>().map_err(|_| PhoneError::UnknownCountry {
                    code: c.as_ref().to_owned(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { allowed })
    }

    /// Only Indonesian mobile numbers (the default).
    pub fn indonesia() -> Self {
        Self {
            allowed: vec![Id::ID],
        }
    }

    fn allows_indonesia(&self) -> bool {
        self.allowed.contains(&Id::ID)
    }
}

impl Default for NumberRules {
    fn default() -> Self {
        Self::indonesia()
    }
}

/// Why a value is not a usable recipient number. Messages say what is wrong
/// and what to do; the caller adds file, row and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the phone number is empty; fill it in or delete the row")]
    Empty,
    #[error(
        "{value:?} is in scientific notation: the spreadsheet turned the number into a \
         float and digits were lost; format the phone column as Text, re-enter the \
         numbers (or restore them from the source) and export the CSV again"
    )]
    ScientificNotation { value: String },
    #[error(
        "{value:?} contains {found:?}; a phone number may only hold digits, spaces and + - ( ) ."
    )]
    UnexpectedCharacter { value: String, found: char },
    #[error("{value:?} is not a phone number; write it like 0812-0000-1234 or +6281200001234")]
    NotANumber { value: String },
    #[error(
        "{value:?} is not a valid {country} number (wrong length or prefix); check the digits \
         (Indonesian mobiles are 08 followed by 8 to 11 digits)"
    )]
    Invalid { value: String, country: String },
    #[error(
        "{value:?} ({e164}) is an Indonesian landline, which cannot receive SMS; use a mobile number"
    )]
    Landline { value: String, e164: String },
    #[error(
        "{value:?} ({e164}) is not a mobile number (it is a {kind} number); use a mobile number"
    )]
    NotMobile {
        value: String,
        e164: String,
        kind: String,
    },
    #[error(
        "{value:?} ({e164}) is a number in {country}, which this workspace does not allow; \
         add {country} to `recipients.allowed_countries` in sms-bcast.yaml if it should"
    )]
    CountryNotAllowed {
        value: String,
        e164: String,
        country: String,
    },
    #[error("{code:?} is not a known country code; use ISO 3166 alpha-2 codes such as ID, SG, MY")]
    UnknownCountry { code: String },
}

/// Normalise a cell value to E.164, accepting only mobile numbers of the
/// allowed countries. Numbers without a country code are read as Indonesian.
pub fn normalise(value: &str, rules: &NumberRules) -> Result<E164, PhoneError> {
    let trimmed = value.trim_matches(|c: char| c.is_whitespace());
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    if rules.allows_indonesia()
        && let Some(answer) = fast_indonesian(trimmed)
    {
        return answer;
    }
    if looks_scientific(trimmed) {
        return Err(PhoneError::ScientificNotation {
            value: trimmed.to_owned(),
        });
    }
    if let Some(found) = trimmed
        .chars()
        .find(|&c| !(c.is_ascii_digit() || is_separator(c) || c == '+'))
    {
        return Err(PhoneError::UnexpectedCharacter {
            value: trimmed.to_owned(),
            found,
        });
    }
    let number = parse_with_library(trimmed)?;
    classify(trimmed, &number, rules)
}

/// The library's answer alone, without the fast path (used to check that the
/// two agree).
pub fn normalise_with_library(value: &str, rules: &NumberRules) -> Result<E164, PhoneError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let number = parse_with_library(trimmed)?;
    classify(trimmed, &number, rules)
}

fn parse_with_library(trimmed: &str) -> Result<PhoneNumber, PhoneError> {
    #[cfg(test)]
    tests::LIBRARY_USES.with(|uses| uses.set(uses.get() + 1));
    // Indonesia's international prefix is 00[89], so libphonenumber reads
    // `0062…` as a national number; people (and exports) still write it.
    let compact: String = trimmed.chars().filter(|c| !is_separator(*c)).collect();
    let input = match compact.strip_prefix("0062") {
        Some(rest) => format!("+62{rest}"),
        None => compact,
    };
    phonenumber::parse(Some(Id::ID), &input).map_err(|_| PhoneError::NotANumber {
        value: trimmed.to_owned(),
    })
}

fn classify(value: &str, number: &PhoneNumber, rules: &NumberRules) -> Result<E164, PhoneError> {
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    let country = number.country().id();
    let country_name = country.map_or_else(
        || format!("+{}", number.code().value()),
        |id| id.as_ref().to_owned(),
    );
    if !number.is_valid() {
        return Err(PhoneError::Invalid {
            value: value.to_owned(),
            country: country_name,
        });
    }
    if !country.is_some_and(|id| rules.allowed.contains(&id)) {
        return Err(PhoneError::CountryNotAllowed {
            value: value.to_owned(),
            e164,
            country: country_name,
        });
    }
    match number.number_type(&phonenumber::metadata::DATABASE) {
        Type::Mobile => Ok(E164(e164)),
        // Some countries (e.g. the US) cannot tell mobiles from landlines.
        Type::FixedLineOrMobile if country != Some(Id::ID) => Ok(E164(e164)),
        Type::FixedLine if country == Some(Id::ID) => Err(PhoneError::Landline {
            value: value.to_owned(),
            e164,
        }),
        other => Err(PhoneError::NotMobile {
            value: value.to_owned(),
            e164,
            kind: format!("{other:?}"),
        }),
    }
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{a0}' | '\t')
}

/// `6.28123E+12`, `6,28123E+12`, `6E+12`: what a spreadsheet writes after
/// storing a long number as a float.
fn looks_scientific(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    let (int, frac) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, "0"));
    !int.is_empty()
        && [int, frac, exponent]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Ordinary Indonesian numbers, answered without the library, whose metadata
/// (hundreds of regexes) is only built the first time a number needs it:
/// optional `+62`/`62`/`0062`/`0`, then either libphonenumber's mobile pattern
/// `8[1-35-9]\d{7,10}` (accepted) or a shorter `8[1-35-9]…` number, which no
/// Indonesian number type has (invalid, as the library says: toll-free,
/// premium, shared-cost and UAN numbers start `80`/`177`/`1500`, landlines
/// never `8`). Anything else is left to the library (returns `None`).
fn fast_indonesian(s: &str) -> Option<Result<E164, PhoneError>> {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let bytes = s.as_bytes();
    let (plus, body) = match bytes.first() {
        Some(b'+') => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    for &b in body {
        match b {
            b'0'..=b'9' => {
                if len == digits.len() {
                    return None;
                }
                digits[len] = b;
                len += 1;
            }
            b' ' | b'-' | b'(' | b')' | b'.' => {}
            _ => return None,
        }
    }
    let digits = &digits[..len];
    // A bare `62…` may also be read whole as a national number (`628…` is a
    // landline prefix), so only the library may call such a number invalid.
    let (national, bare_62) = if plus {
        (digits.strip_prefix(b"62")?, false)
    } else if let Some(rest) = digits.strip_prefix(b"0062") {
        (rest, false)
    } else if let Some(rest) = digits.strip_prefix(b"62") {
        (rest, true)
    } else if let Some(rest) = digits.strip_prefix(b"0") {
        (rest, false)
    } else {
        (digits, false)
    };
    if national.len() < 3
        || national[0] != b'8'
        || !matches!(national[1], b'1'..=b'3' | b'5'..=b'9')
    {
        return None;
    }
    if national.len() < 9 {
        return (!bare_62).then(|| {
            Err(PhoneError::Invalid {
                value: s.to_owned(),
                country: "ID".to_owned(),
            })
        });
    }
    if national.len() > 12 {
        return None;
    }
    let mut e164 = String::with_capacity(3 + national.len());
    e164.push_str("+62");
    e164.push_str(std::str::from_utf8(national).ok()?);
    Some(Ok(E164(e164)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::cell::Cell;

    thread_local! {
        /// Numbers handed to the library on this test's thread.
        pub(super) static LIBRARY_USES: Cell<usize> = const { Cell::new(0) };
    }

    fn id(v: &str) -> Result<String, PhoneError> {
        normalise(v, &NumberRules::indonesia()).map(|e| e.to_string())
    }

    #[test]
    fn every_written_form_of_a_mobile_becomes_e164() {
        for v in [
            "081200001234",
            "81200001234",
            "6281200001234",
            "+6281200001234",
            "+62 812-0000-1234",
            "(0812) 00001234",
            "0062812 0000 1234",
            "0812.0000.1234",
            " 0812-0000-1234 ",
            "+62081200001234",
        ] {
            assert_eq!(id(v).as_deref(), Ok("+6281200001234"), "{v}");
        }
    }

    #[test]
    fn fast_path_and_library_agree_on_the_listed_forms() {
        let rules = NumberRules::indonesia();
        for v in [
            "081200001234",
            "6281200001234",
            "(0812) 00001234",
            "0062812 0000 1234",
        ] {
            assert_eq!(
                normalise(v, &rules),
                normalise_with_library(v, &rules),
                "{v}"
            );
        }
    }

    #[test]
    fn a_jakarta_landline_is_refused_as_landline() {
        assert!(matches!(
            id("021-5551234"),
            Err(PhoneError::Landline { .. })
        ));
    }

    #[test]
    fn a_foreign_mobile_needs_its_country_allowed() {
        let err = id("+6591234567").unwrap_err();
        assert!(
            matches!(err, PhoneError::CountryNotAllowed { ref country, .. } if country == "SG")
        );
        assert!(err.to_string().contains("allowed_countries"));
        let rules = NumberRules::new(&["ID", "sg"]).unwrap();
        assert_eq!(
            normalise("+65 9123 4567", &rules).map(|e| e.to_string()),
            Ok("+6591234567".to_owned())
        );
    }

    #[test]
    fn scientific_notation_says_digits_were_lost() {
        for v in ["6.28123E+12", "6,28123E+12", "6.28123e12", "6E+12"] {
            let err = id(v).unwrap_err();
            assert!(matches!(err, PhoneError::ScientificNotation { .. }), "{v}");
            assert!(err.to_string().contains("digits were lost"));
            assert!(err.to_string().contains("Text"));
        }
    }

    #[test]
    fn letters_empty_short_and_non_mobile_prefixes_are_refused() {
        assert!(matches!(
            id("0812-ABC"),
            Err(PhoneError::UnexpectedCharacter { found: 'A', .. })
        ));
        assert_eq!(id("   "), Err(PhoneError::Empty));
        assert!(matches!(id("08123"), Err(PhoneError::Invalid { .. })));
        assert!(matches!(
            id("+6284123456789"),
            Err(PhoneError::Invalid { .. })
        ));
        assert!(matches!(
            id("0800 1234567"),
            Err(PhoneError::NotMobile { .. })
        ));
    }

    #[test]
    fn unknown_country_codes_in_settings_are_refused() {
        assert!(matches!(
            NumberRules::new(&["XX"]),
            Err(PhoneError::UnknownCountry { .. })
        ));
    }

    #[test]
    fn keys_round_trip_the_digits() {
        let e = normalise("081200001234", &NumberRules::indonesia()).unwrap();
        assert_eq!(e.key(), 6281200001234);
        assert_eq!(e.digits(), "6281200001234");
    }

    #[test]
    fn ordinary_mobiles_and_short_numbers_never_touch_the_library() {
        let before = LIBRARY_USES.with(Cell::get);
        let rules = NumberRules::indonesia();
        for i in 0..2_000u32 {
            let digits = format!("812{i:08}");
            for v in [
                format!("0{digits}"),
                format!("62{digits}"),
                format!("+62 {digits}"),
                digits.clone(),
                format!("+62-{}-{}-{}", &digits[..3], &digits[3..7], &digits[7..]),
                format!("(0{}) {} {}", &digits[..3], &digits[3..7], &digits[7..]),
            ] {
                assert!(normalise(&v, &rules).is_ok(), "{v}");
            }
        }
        // Truncated numbers, as spreadsheets hold them, are refused without it too.
        for v in ["08123", "+62 812", "081255", "0812-34"] {
            assert!(matches!(id(v), Err(PhoneError::Invalid { .. })), "{v}");
        }
        assert_eq!(LIBRARY_USES.with(Cell::get), before);
        // A landline does need the library (so the counter does count).
        assert!(id("021-5551234").is_err());
        assert_eq!(LIBRARY_USES.with(Cell::get), before + 1);
    }

    #[test]
    fn short_numbers_get_the_library_answer() {
        let rules = NumberRules::indonesia();
        for national in [
            "81", "812", "8123", "81234", "812345", "8123456", "81234567", "80012", "8001234",
        ] {
            for prefix in ["", "0", "62", "+62", "0062", "+62 ", "(0"] {
                let close = if prefix == "(0" { ")" } else { "" };
                let v = format!("{prefix}{}{close}{}", &national[..1], &national[1..]);
                assert_eq!(
                    normalise(&v, &rules),
                    normalise_with_library(&v, &rules),
                    "{v}"
                );
            }
        }
    }

    fn written_forms() -> impl Strategy<Value = String> {
        let national = "8[0-9]{1,13}";
        let prefix = prop_oneof![
            Just(""),
            Just("0"),
            Just("62"),
            Just("+62"),
            Just("0062"),
            Just("+62 "),
            Just("(0"),
        ];
        (prefix, national, any::<bool>()).prop_map(|(p, n, dashes)| {
            let n = if dashes && n.len() > 4 {
                format!("{}-{}", &n[..3], &n[3..])
            } else {
                n
            };
            let close = if p == "(0" { ")" } else { "" };
            format!("{p}{}{close}{}", &n[..1], &n[1..])
        })
    }

    proptest! {
        #[test]
        fn fast_path_agrees_with_the_library(v in written_forms()) {
            let rules = NumberRules::indonesia();
            if let Some(fast) = fast_indonesian(v.trim()) {
                prop_assert_eq!(fast, normalise_with_library(&v, &rules));
            }
        }

        #[test]
        fn accepted_numbers_are_e164(v in "[+0-9 ()-]{0,18}") {
            if let Ok(e) = normalise(&v, &NumberRules::indonesia()) {
                prop_assert!(e.as_str().starts_with("+628"));
                prop_assert!((12..=16).contains(&e.as_str().len()));
            }
        }
    }
}
