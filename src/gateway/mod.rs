//! SMS gateways: one trait, one adapter per gateway kind.

use std::time::Duration;

use crate::smstext::Encoding;

/// One message to one recipient, as handed to a gateway.
#[derive(Debug, Clone)]
pub struct OutgoingSms<'a> {
    /// Recipient in E.164 form, e.g. `+6281200001234`.
    pub to: &'a str,
    /// The full rendered text; gateways that split long messages get it whole.
    pub text: &'a str,
    /// Encoding decided for this rendered text.
    pub encoding: Encoding,
    /// Stable reference for this recipient within the broadcast
    /// (request id + recipient key); gateways that support idempotency keys use it.
    pub reference: &'a str,
}

/// What the gateway said about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Taken by the gateway; `message_id` when the gateway returns one.
    Accepted { message_id: Option<String> },
    /// Refused for now because of rate; retry after `retry_after` if given,
    /// else with exponential backoff.
    Throttled {
        retry_after: Option<Duration>,
        detail: String,
    },
    /// Not taken, safe to retry (bounded).
    TemporaryFailure { detail: String },
    /// Refused for this recipient for good; never retried.
    PermanentFailure { detail: String },
    /// The request may have been taken (timeout, connection lost after sending,
    /// a server error that does not say it was refused). Never resent automatically.
    Unknown { detail: String },
}

/// A configured SMS gateway.
pub trait Gateway: Send + Sync {
    /// The name it has in `sms-bcast.yaml`.
    fn name(&self) -> &str;
    /// Largest number of parts one message may have on this gateway.
    fn max_parts(&self) -> u32;
    /// Send one message and classify the reply. Must never panic; every
    /// `detail` has been through [`sanitise`] (no secret, no full number).
    fn send(&self, sms: &OutgoingSms<'_>) -> Outcome;
}

/// `Gateway` for an HTTP adapter (fields `name`, `max_parts`, `client`;
/// methods `request` and `classify`): the exchange itself is the client's.
macro_rules! http_gateway {
    ($adapter:ty) => {
        impl Gateway for $adapter {
            fn name(&self) -> &str {
                &self.name
            }

            fn max_parts(&self) -> u32 {
                self.max_parts
            }

            fn send(&self, sms: &OutgoingSms<'_>) -> Outcome {
                self.client
                    .exchange(self.request(sms), sms.to, |reply, detail| {
                        self.classify(reply, detail)
                    })
            }
        }
    };
}

mod client;
mod http;
mod jasmin;
mod kannel;
mod outbox;
mod playsms;
mod twilio;

use std::collections::BTreeMap;

use serde::Deserialize;
use std::path::{Path, PathBuf};

pub use http::{HttpConfig, HttpMessageId, HttpMethod, HttpSuccess};
pub use jasmin::JasminConfig;
pub use kannel::KannelConfig;
pub use outbox::OutboxConfig;
pub use playsms::PlaysmsConfig;
pub use twilio::TwilioConfig;

/// One entry of `gateways:` in `sms-bcast.yaml`, chosen by its `kind`.
/// It holds only the *names* of the environment variables that carry
/// credentials, never the credentials, so `Debug` is safe to print.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum GatewayConfig {
    /// Spool files for Gammu SMSD's `files` backend (the embedded default).
    Outbox(OutboxConfig),
    /// Kannel smsbox `sendsms`.
    Kannel(KannelConfig),
    /// Jasmin HTTP API `/send`.
    Jasmin(JasminConfig),
    /// playSMS webservices `op=pv`.
    Playsms(PlaysmsConfig),
    /// Twilio Programmable Messaging.
    Twilio(TwilioConfig),
    /// Any HTTP API, described by a request template.
    Http(HttpConfig),
}

impl GatewayConfig {
    /// The `kind` as written in the configuration.
    pub fn kind(&self) -> &'static str {
        match self {
            GatewayConfig::Outbox(_) => "outbox",
            GatewayConfig::Kannel(_) => "kannel",
            GatewayConfig::Jasmin(_) => "jasmin",
            GatewayConfig::Playsms(_) => "playsms",
            GatewayConfig::Twilio(_) => "twilio",
            GatewayConfig::Http(_) => "http",
        }
    }

    /// Largest number of parts one message may have on this gateway, as the
    /// adapter will apply it (same defaults as each adapter's `new`), read
    /// without credentials or network so `preview` can show it.
    pub fn max_parts(&self) -> u32 {
        match self {
            GatewayConfig::Outbox(c) => c.max_parts.unwrap_or(10),
            GatewayConfig::Kannel(c) => c.max_parts.unwrap_or(1),
            GatewayConfig::Jasmin(c) => c.max_parts.unwrap_or(5),
            GatewayConfig::Playsms(c) => c.max_parts.unwrap_or(1),
            GatewayConfig::Twilio(c) => c.max_parts.unwrap_or(10),
            GatewayConfig::Http(c) => c.max_parts.unwrap_or(1),
        }
    }

    /// The embedded `outbox` gateway used when `sms-bcast.yaml` names none.
    pub fn default_outbox() -> Self {
        GatewayConfig::Outbox(OutboxConfig {
            path: None,
            priority: None,
            max_parts: None,
        })
    }
}

/// Why a configured gateway could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(
        "gateway `{gateway}`: environment variable {var} (named by `{field}` in sms-bcast.yaml) is not set or empty; \
         export it in the shell that runs sms-bcast (credentials are read only from the environment)"
    )]
    MissingEnv {
        gateway: String,
        field: &'static str,
        var: String,
    },
    #[error(
        "gateway `{gateway}`: environment variable {var} is not valid UTF-8; set it again with the plain credential"
    )]
    InvalidEnv { gateway: String, var: String },
    #[error(
        "gateway `{gateway}`: `{field}` {problem}; fix it under `gateways: {gateway}:` in sms-bcast.yaml"
    )]
    InvalidConfig {
        gateway: String,
        field: &'static str,
        problem: String,
    },
    #[error("gateway `{gateway}`: cannot create the spool folder {}: {source}; check the path and its permissions", path.display())]
    Spool {
        gateway: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("gateway `{gateway}`: cannot read `ca_file` {}: {source}; point `ca_file` at a PEM file of CA certificates", path.display())]
    CaFile {
        gateway: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("gateway `{gateway}`: cannot set up the HTTP client: {detail}")]
    HttpClient { gateway: String, detail: String },
    #[error(
        "there is no gateway `{gateway}` in sms-bcast.yaml (configured: {known}); add it under `gateways:` or name one that exists"
    )]
    Unknown { gateway: String, known: String },
}

/// Sets up the gateway `name` from its configuration: reads the credentials
/// from the environment variables the configuration names, and for `outbox`
/// creates the spool folder (relative paths are taken from `spool_base`).
pub fn build(
    name: &str,
    config: &GatewayConfig,
    spool_base: &Path,
) -> Result<Box<dyn Gateway>, GatewayError> {
    Ok(match config {
        GatewayConfig::Outbox(c) => Box::new(outbox::Outbox::new(name, c, spool_base)?),
        GatewayConfig::Kannel(c) => Box::new(kannel::Kannel::new(name, c)?),
        GatewayConfig::Jasmin(c) => Box::new(jasmin::Jasmin::new(name, c)?),
        GatewayConfig::Playsms(c) => Box::new(playsms::Playsms::new(name, c)?),
        GatewayConfig::Twilio(c) => Box::new(twilio::Twilio::new(name, c)?),
        GatewayConfig::Http(c) => Box::new(http::HttpGateway::new(name, c)?),
    })
}

/// The gateway `name` of a workspace: its entry under `gateways:`, else, for
/// `outbox`, the embedded default (a Gammu SMSD spool in `<state_dir>/outbox`),
/// which needs no configuration. Relative spool paths are taken from `state_dir`.
pub fn configured(
    gateways: &BTreeMap<String, GatewayConfig>,
    name: &str,
    state_dir: &Path,
) -> Result<Box<dyn Gateway>, GatewayError> {
    match gateways.get(name) {
        Some(config) => build(name, config, state_dir),
        None if name == "outbox" => Ok(Box::new(outbox::Outbox::new(
            name,
            &OutboxConfig::default(),
            state_dir,
        )?)),
        None => Err(GatewayError::Unknown {
            gateway: name.to_owned(),
            known: std::iter::once("outbox")
                .chain(
                    gateways
                        .keys()
                        .map(String::as_str)
                        .filter(|k| *k != "outbox"),
                )
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

fn invalid(gateway: &str, field: &'static str, problem: impl Into<String>) -> GatewayError {
    GatewayError::InvalidConfig {
        gateway: gateway.to_owned(),
        field,
        problem: problem.into(),
    }
}

/// Parts one message may have: concatenated SMS count their parts in one byte.
pub const MAX_PARTS: std::ops::RangeInclusive<u32> = 1..=255;

const MAX_PARTS_PROBLEM: &str = "must be a number of parts from 1 to 255";

/// `max_parts` as read from the configuration: refused outside `MAX_PARTS`,
/// so `preview`, `send` and `notify` all stop at the line that says it.
fn de_max_parts<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    // Checked inside the visitor, so the error carries the number's own position.
    d.deserialize_any(MaxPartsVisitor)
}

struct MaxPartsVisitor;

impl<'de> serde::de::Visitor<'de> for MaxPartsVisitor {
    type Value = Option<u32>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number of parts from 1 to 255")
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Option<u32>, E> {
        match u32::try_from(n) {
            Ok(n) if MAX_PARTS.contains(&n) => Ok(Some(n)),
            _ => Err(E::custom(format!(
                "`max_parts` is {n}; it {MAX_PARTS_PROBLEM}"
            ))),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Option<u32>, E> {
        match u64::try_from(n) {
            Ok(n) => self.visit_u64(n),
            Err(_) => Err(E::custom(format!(
                "`max_parts` is {n}; it {MAX_PARTS_PROBLEM}"
            ))),
        }
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<u32>, E> {
        Ok(None)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Option<u32>, E> {
        Ok(None)
    }
}

/// `max_parts` of a configuration built in code rather than read.
fn check_max_parts(gateway: &str, max_parts: u32) -> Result<u32, GatewayError> {
    if !MAX_PARTS.contains(&max_parts) {
        return Err(invalid(gateway, "max_parts", MAX_PARTS_PROBLEM));
    }
    Ok(max_parts)
}

/// Deserialises `gateways:` one entry at a time, so an error names the
/// gateway (`gateways.NAME`) and the line of its own entry; serde's buffering
/// of the `kind`-tagged enum would otherwise place every error at the first
/// gateway. Use with `#[serde(default, deserialize_with = ...)]`.
pub fn deserialize_gateways<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, GatewayConfig>, D::Error> {
    d.deserialize_map(GatewaysVisitor)
}

struct GatewaysVisitor;

impl<'de> serde::de::Visitor<'de> for GatewaysVisitor {
    type Value = BTreeMap<String, GatewayConfig>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a map of gateway names to gateway settings")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut gateways = BTreeMap::new();
        while let Some(name) = map.next_key_seed(NameSeed(&gateways))? {
            let config = map.next_value_seed(EntrySeed)?;
            gateways.insert(name, config);
        }
        Ok(gateways)
    }
}

/// A gateway name, refused when it repeats (at the repeated key's line).
struct NameSeed<'a>(&'a BTreeMap<String, GatewayConfig>);

impl<'de> serde::de::DeserializeSeed<'de> for NameSeed<'_> {
    type Value = String;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_str(NameVisitor(self.0))
    }
}

struct NameVisitor<'a>(&'a BTreeMap<String, GatewayConfig>);

impl<'de> serde::de::Visitor<'de> for NameVisitor<'_> {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a gateway name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<String, E> {
        if self.0.contains_key(name) {
            return Err(E::custom(format!(
                "gateway `{name}` is configured twice; keep one entry"
            )));
        }
        Ok(name.to_owned())
    }
}

/// One gateway entry, converted inside the deserialiser's call for this
/// node so that an error is placed at this entry.
struct EntrySeed;

impl<'de> serde::de::DeserializeSeed<'de> for EntrySeed {
    type Value = GatewayConfig;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<GatewayConfig, D::Error> {
        d.deserialize_map(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> serde::de::Visitor<'de> for EntryVisitor {
    type Value = GatewayConfig;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("gateway settings with a `kind`")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entry = serde_yaml::Mapping::new();
        while let Some(key) = map.next_key::<serde_yaml::Value>()? {
            // Checked here, so a bad `max_parts` is reported at its own line.
            let value = if key.as_str() == Some("max_parts") {
                serde_yaml::to_value(map.next_value_seed(MaxPartsSeed)?)
                    .map_err(serde::de::Error::custom)?
            } else {
                map.next_value::<serde_yaml::Value>()?
            };
            entry.insert(key, value);
        }
        GatewayConfig::deserialize(serde_yaml::Value::Mapping(entry))
            .map_err(serde::de::Error::custom)
    }
}

struct MaxPartsSeed;

impl<'de> serde::de::DeserializeSeed<'de> for MaxPartsSeed {
    type Value = Option<u32>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Option<u32>, D::Error> {
        de_max_parts(d)
    }
}

/// Makes text that may echo a request (a reply body, a transport error) safe
/// to show, log and commit: every configured secret becomes `***` in any
/// spelling a server may echo it in (raw, percent- or form-encoded in either
/// hex case, JSON- or HTML-escaped, base64 as in a basic-auth header), and
/// every phone-number-like run of 8 or more digits (with or without `+` or
/// `%2B`) is masked as [`crate::send::mask_phone`] masks numbers.
/// Every adapter passes every detail it builds through it (through a
/// [`Sanitiser`] made once per gateway).
pub fn sanitise(text: &str, secrets: &[&str]) -> String {
    Sanitiser::new(secrets).sanitise(text)
}

/// [`sanitise`] with the spellings of a gateway's secrets worked out once.
#[derive(Default)]
pub struct Sanitiser {
    /// All spellings of all secrets at once; `None` without secrets.
    finder: Option<aho_corasick::AhoCorasick>,
}

impl std::fmt::Debug for Sanitiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sanitiser(***)")
    }
}

impl Sanitiser {
    pub fn new(secrets: &[&str]) -> Sanitiser {
        let mut needles: Vec<Vec<u8>> = secrets
            .iter()
            .filter(|s| !s.is_empty())
            .flat_map(|s| spellings(s))
            .filter(|n| !n.is_empty())
            .collect();
        needles.sort();
        needles.dedup();
        Sanitiser {
            finder: (!needles.is_empty()).then(|| {
                aho_corasick::AhoCorasick::new(&needles).expect("secret spellings are searchable")
            }),
        }
    }

    /// See [`sanitise`].
    pub fn sanitise(&self, text: &str) -> String {
        mask_numbers(&self.redact(text))
    }
}

impl Outcome {
    /// This outcome with its detail sanitised and, in a message id, the
    /// secrets and the recipient's own number hidden (other digits of an id
    /// are kept: ids are often long numbers).
    pub(crate) fn sanitised(self, sanitiser: &Sanitiser, to: &str) -> Outcome {
        let clean = |detail: String| sanitiser.sanitise(&detail);
        match self {
            Outcome::Accepted { message_id } => Outcome::Accepted {
                message_id: message_id.map(|id| hide_number(&sanitiser.redact(&id), to)),
            },
            Outcome::Throttled {
                retry_after,
                detail,
            } => Outcome::Throttled {
                retry_after,
                detail: clean(detail),
            },
            Outcome::TemporaryFailure { detail } => Outcome::TemporaryFailure {
                detail: clean(detail),
            },
            Outcome::PermanentFailure { detail } => Outcome::PermanentFailure {
                detail: clean(detail),
            },
            Outcome::Unknown { detail } => Outcome::Unknown {
                detail: clean(detail),
            },
        }
    }
}

/// `text` with `to` (with or without its `+`) masked.
fn hide_number(text: &str, to: &str) -> String {
    let digits = to.trim_start_matches('+');
    if digits.len() < 8 {
        return text.to_owned();
    }
    text.replace(
        &format!("+{digits}"),
        &crate::send::mask_phone(&format!("+{digits}")),
    )
    .replace(digits, &crate::send::mask_phone(digits))
}

/// Masks phone-number-like digit runs, keeping an encoded `+` as it was.
fn mask_numbers(text: &str) -> String {
    static NUMBER: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    NUMBER
        .get_or_init(|| regex::Regex::new(r"(\+|%2[Bb])?([0-9]{8,})").expect("valid pattern"))
        .replace_all(text, |m: &regex::Captures<'_>| match m.get(1) {
            Some(plus) => {
                let masked = crate::send::mask_phone(&format!("+{}", &m[2]));
                format!("{}{}", plus.as_str(), &masked[1..])
            }
            None => crate::send::mask_phone(&m[2]),
        })
        .into_owned()
}

impl Sanitiser {
    /// `text` with every spelling of every secret replaced by `***`.
    fn redact(&self, text: &str) -> String {
        // Byte ranges of `text` to hide, found in the text as it is and in its
        // percent-decoded forms (`+` kept, `+` as a space), which covers every
        // percent-encoding whatever it leaves unencoded and whatever its hex case.
        let mut hide: Vec<(usize, usize)> = Vec::new();
        for view in [
            View::raw(text),
            View::decoded(text, false),
            View::decoded(text, true),
        ] {
            if let Some(finder) = &self.finder {
                for m in finder.find_overlapping_iter(&view.bytes) {
                    hide.push((view.start[m.start()], view.end[m.end() - 1]));
                }
            }
        }
        for (start, end) in &mut hide {
            while !text.is_char_boundary(*start) {
                *start -= 1;
            }
            while !text.is_char_boundary(*end) {
                *end += 1;
            }
        }
        hide.sort();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end) in hide {
            if start >= last {
                out.push_str(&text[last..start]);
                out.push_str("***");
            }
            last = last.max(end);
        }
        out.push_str(&text[last..]);
        out
    }
}

/// Text as bytes, each with the range of the original text it came from.
struct View {
    bytes: Vec<u8>,
    start: Vec<usize>,
    end: Vec<usize>,
}

impl View {
    fn raw(text: &str) -> View {
        View {
            bytes: text.as_bytes().to_vec(),
            start: (0..text.len()).collect(),
            end: (1..=text.len()).collect(),
        }
    }

    fn decoded(text: &str, plus_is_space: bool) -> View {
        let raw = text.as_bytes();
        let mut view = View {
            bytes: Vec::with_capacity(raw.len()),
            start: Vec::with_capacity(raw.len()),
            end: Vec::with_capacity(raw.len()),
        };
        let mut i = 0;
        while i < raw.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            let (byte, len) = match raw[i] {
                b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                    (Some(h), Some(l)) => ((h * 16 + l) as u8, 3),
                    _ => (b'%', 1),
                },
                b'+' if plus_is_space => (b' ', 1),
                b => (b, 1),
            };
            view.bytes.push(byte);
            view.start.push(i);
            view.end.push(i + len);
            i += len;
        }
        view
    }
}

/// The ways a server may echo `secret`.
fn spellings(secret: &str) -> Vec<Vec<u8>> {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};

    // JSON escaping (as written by serde, with `\uXXXX` for non-ASCII in
    // either case, with `\/`), once or twice (JSON echoed inside JSON).
    let escapes: [fn(&str) -> String; 6] = [
        json_escaped,
        |t| json_ascii(t, false),
        |t| json_ascii(t, true),
        |t| json_escaped(t).replace('/', "\\/"),
        |t| json_ascii(t, false).replace('/', "\\/"),
        |t| json_ascii(t, true).replace('/', "\\/"),
    ];
    let mut texts = vec![secret.to_owned()];
    for _ in 0..2 {
        let layer: Vec<String> = texts
            .iter()
            .flat_map(|t| escapes.iter().map(move |escape| escape(t)))
            .collect();
        texts.extend(layer);
        texts.sort();
        texts.dedup();
    }
    texts.push(html_escaped(secret));
    let mut out: Vec<Vec<u8>> = texts.into_iter().map(String::into_bytes).collect();
    // Base64 of text that holds the secret at any of the three byte
    // alignments: the characters that depend on the secret alone.
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for offset in 0..3usize {
            let mut bytes = vec![0u8; offset];
            bytes.extend_from_slice(secret.as_bytes());
            let encoded = engine.encode(&bytes);
            let first = (offset * 8).div_ceil(6);
            let last = (bytes.len() * 8) / 6;
            if last >= first + 6 {
                out.push(encoded.as_bytes()[first..last].to_vec());
            }
        }
        out.push(engine.encode(secret).into_bytes());
    }
    out
}

/// As `serde_json` writes a string, without the quotes.
fn json_escaped(text: &str) -> String {
    let quoted = serde_json::to_string(text).expect("a string serialises");
    quoted[1..quoted.len() - 1].to_owned()
}

/// JSON with every non-ASCII character as `\uXXXX` (Python's and PHP's default).
fn json_ascii(text: &str, upper: bool) -> String {
    let mut out = String::new();
    for c in json_escaped(text).chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&if upper {
                    format!("\\u{unit:04X}")
                } else {
                    format!("\\u{unit:04x}")
                });
            }
        }
    }
    out
}

fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &str = "p \"a\\s+&%/é😀'<x>";

    /// Every way the tests' servers and common frameworks write `NASTY` back.
    fn echoes() -> Vec<String> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let form: String = url_form(NASTY);
        vec![
            NASTY.to_owned(),
            client::pct(NASTY),
            client::pct(NASTY).to_ascii_lowercase(),
            form.clone(),
            form.to_ascii_lowercase(),
            serde_json::to_string(NASTY).unwrap(),
            serde_json::to_string(&serde_json::to_string(NASTY).unwrap()).unwrap(),
            json_ascii(NASTY, false),
            json_ascii(NASTY, true).replace('/', "\\/"),
            html_escaped(NASTY),
            format!("Basic {}", b64.encode(format!("ACx:{NASTY}"))),
            format!("Basic {}", b64.encode(format!("us:{NASTY}"))),
            format!("Basic {}", b64.encode(format!("u:{NASTY}"))),
        ]
    }

    /// `application/x-www-form-urlencoded`, as reqwest writes a form body.
    fn url_form(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b' ' => "+".to_owned(),
                b if b.is_ascii_alphanumeric() || b"*-._".contains(&b) => (b as char).to_string(),
                b => format!("%{b:02X}"),
            })
            .collect()
    }

    #[test]
    fn every_echoed_spelling_of_a_secret_is_blanked() {
        for echo in echoes() {
            let text = format!("echo: key={echo}&to=x");
            let clean = sanitise(&text, &[NASTY]);
            assert!(
                clean.starts_with("echo: key=") && clean.ends_with("&to=x"),
                "{echo} → {clean}"
            );
            assert!(clean.contains("***"), "{echo} → {clean}");
            for piece in ["p ", "a\\", "é", "😀", "%C3", "%c3", "\\u00e9"] {
                assert!(
                    !clean.contains(piece),
                    "{piece} left in {clean} (from {echo})"
                );
            }
        }
    }

    #[test]
    fn text_without_secrets_or_numbers_is_unchanged() {
        let text = "HTTP 500: Internal error (code 21211) at 2026-12-03 10:00; päß";
        assert_eq!(sanitise(text, &["hunter2", ""]), text);
    }

    #[test]
    fn phone_numbers_are_masked_in_every_form() {
        assert_eq!(
            sanitise("to=%2B6281200000004&b=%2b6281200000005", &[]),
            "to=%2B62812****0004&b=%2b62812****0005"
        );
        assert_eq!(
            sanitise(r#"{"to":"+6281200001234","d":"6281200001234"}"#, &[]),
            r#"{"to":"+62812****1234","d":"628120***1234"}"#
        );
        assert_eq!(
            sanitise("error 21211, 1234567 left", &[]),
            "error 21211, 1234567 left"
        );
    }

    #[test]
    fn message_ids_hide_only_the_recipients_number_and_secrets() {
        let outcome = Outcome::Accepted {
            message_id: Some("OUTC_+6281200001234_0123456789abcdef.txt".into()),
        }
        .sanitised(&Sanitiser::default(), "+6281200001234");
        assert_eq!(
            outcome,
            Outcome::Accepted {
                message_id: Some("OUTC_+62812****1234_0123456789abcdef.txt".into())
            }
        );
        // A long numeric id of another kind stays usable.
        let outcome = Outcome::Accepted {
            message_id: Some("987654321012".into()),
        }
        .sanitised(&Sanitiser::new(&["tok"]), "+6281200001234");
        assert_eq!(
            outcome,
            Outcome::Accepted {
                message_id: Some("987654321012".into())
            }
        );
    }

    fn gateways(yaml: &str) -> Result<BTreeMap<String, GatewayConfig>, serde_yaml::Error> {
        #[derive(Debug, serde::Deserialize)]
        struct Doc {
            #[serde(deserialize_with = "deserialize_gateways")]
            gateways: BTreeMap<String, GatewayConfig>,
        }
        serde_yaml::from_str::<Doc>(yaml).map(|d| d.gateways)
    }

    #[test]
    fn a_bad_entry_is_reported_at_its_own_gateway() {
        let yaml = "gateways:\n  a:\n    kind: outbox\n  b:\n    kind: outbox\n  c:\n    kind: twilio\n    url: http://x/\n";
        let error = gateways(yaml).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("gateways.c: unknown field `url`"),
            "{text}"
        );
        assert_eq!(error.location().map(|l| l.line()), Some(7), "{text}");
    }

    #[test]
    fn max_parts_outside_1_to_255_is_refused_at_its_line_for_every_kind() {
        for kind in ["outbox", "kannel", "jasmin", "playsms", "twilio", "http"] {
            for bad in ["0", "256", "-1"] {
                let yaml = format!(
                    "gateways:\n  ok:\n    kind: outbox\n  g:\n    kind: {kind}\n    max_parts: {bad}\n"
                );
                let error = gateways(&yaml).unwrap_err();
                let text = error.to_string();
                assert!(
                    text.contains("gateways.g.max_parts"),
                    "{kind} {bad}: {text}"
                );
                assert!(text.contains("from 1 to 255"), "{kind} {bad}: {text}");
                assert_eq!(error.location().map(|l| l.line()), Some(6), "{text}");
            }
            // And when the gateway config is read on its own.
            let yaml = format!("kind: {kind}\nmax_parts: 0\n");
            let error = serde_yaml::from_str::<GatewayConfig>(&yaml).unwrap_err();
            assert!(error.to_string().contains("from 1 to 255"), "{error}");
        }
        let ok = gateways("gateways:\n  g: {kind: outbox, max_parts: 255}\n").unwrap();
        assert_eq!(ok["g"].max_parts(), 255);
    }

    #[test]
    fn a_gateway_named_twice_is_refused() {
        let error = gateways("gateways:\n  g: {kind: outbox}\n  g: {kind: outbox}\n").unwrap_err();
        assert!(error.to_string().contains("configured twice"), "{error}");
    }
}
