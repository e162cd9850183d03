//! `http`: a gateway described by a request template, for local providers
//! without an adapter of their own. Placeholders: `{to}` (E.164), `{to_digits}`
//! (without `+`), `{text}`, `{reference}`, `{coding}` (`gsm7`/`ucs2`),
//! `{unicode}` (`0`/`1`) and `{secret}` (from `secret_env`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use regex::Regex;
use reqwest::Method;
use reqwest::blocking::RequestBuilder;

use super::client::{ClientSettings, HttpClient, Reply, Secret, check_url, pct, retry_after};
use super::{Gateway, GatewayError, Outcome, OutgoingSms, check_max_parts, invalid};
use crate::smstext::Encoding;

/// `kind: http`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    #[serde(default)]
    pub method: HttpMethod,
    /// Placeholders in the URL are percent-encoded.
    pub url: String,
    /// Header values may hold placeholders, e.g. `Authorization: "Bearer {secret}"`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Form body (`application/x-www-form-urlencoded`); values may hold placeholders.
    #[serde(default)]
    pub form: Option<BTreeMap<String, String>>,
    /// JSON body; every string in it may hold placeholders.
    #[serde(default)]
    pub json: Option<serde_json::Value>,
    /// Name of the environment variable that `{secret}` and basic auth use.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// HTTP basic auth with this user and the secret as password.
    #[serde(default)]
    pub basic_auth_user: Option<String>,
    /// How to tell that the provider took the message.
    #[serde(default)]
    pub success: HttpSuccess,
    /// Where the provider's message id is.
    #[serde(default)]
    pub message_id: Option<HttpMessageId>,
    /// Statuses meaning "too fast, not taken" (default 429).
    #[serde(default = "default_throttled")]
    pub throttled_status: Vec<u16>,
    /// Statuses meaning "not taken, try again" (default none: a 5xx is unknown).
    #[serde(default)]
    pub temporary_status: Vec<u16>,
    /// Default 1.
    #[serde(default, deserialize_with = "super::de_max_parts")]
    pub max_parts: Option<u32>,
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

fn default_throttled() -> Vec<u16> {
    vec![429]
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    #[default]
    Post,
    Put,
}

/// All the given checks must hold for a reply to mean "accepted".
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSuccess {
    /// Accepted statuses; default any 2xx.
    #[serde(default)]
    pub status: Vec<u16>,
    /// JSON pointer (RFC 6901) into the reply, e.g. `/status`.
    #[serde(default)]
    pub json_pointer: Option<String>,
    /// Value expected at `json_pointer` (compared as text); without it the
    /// value must be present and not `false`/`null`.
    #[serde(default)]
    pub equals: Option<String>,
    /// Regular expression the reply body must match.
    #[serde(default)]
    pub body_regex: Option<String>,
}

/// Exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpMessageId {
    #[serde(default)]
    pub json_pointer: Option<String>,
    /// The first capture group (or the whole match) is the id.
    #[serde(default)]
    pub body_regex: Option<String>,
}

const PLACEHOLDERS: &[&str] = &[
    "to",
    "to_digits",
    "text",
    "reference",
    "coding",
    "unicode",
    "secret",
];

#[derive(Debug)]
pub(crate) struct HttpGateway {
    name: String,
    config: HttpConfig,
    secret: Option<Secret>,
    success_regex: Option<Regex>,
    id_regex: Option<Regex>,
    client: HttpClient,
    max_parts: u32,
}

impl HttpGateway {
    pub(crate) fn new(name: &str, config: &HttpConfig) -> Result<Self, GatewayError> {
        let has_secret = config.secret_env.is_some();
        check_template(name, "url", &config.url, has_secret)?;
        check_url(name, "url", &expand(&config.url, &sample_vars(), true))?;
        for value in config.headers.values() {
            check_template(name, "headers", value, has_secret)?;
        }
        for value in config.form.iter().flat_map(|form| form.values()) {
            check_template(name, "form", value, has_secret)?;
        }
        if let Some(json) = &config.json {
            check_json(name, json, has_secret)?;
        }
        if config.form.is_some() && config.json.is_some() {
            return Err(invalid(
                name,
                "form",
                "and `json` exclude each other: choose one body",
            ));
        }
        if config.method == HttpMethod::Get && (config.form.is_some() || config.json.is_some()) {
            return Err(invalid(
                name,
                "method",
                "GET sends no body; put the parameters in `url` or use POST",
            ));
        }
        if config.basic_auth_user.is_some() && !has_secret {
            return Err(invalid(
                name,
                "basic_auth_user",
                "needs `secret_env` for the password",
            ));
        }
        check_pointer(
            name,
            "success.json_pointer",
            config.success.json_pointer.as_deref(),
        )?;
        if config.success.equals.is_some() && config.success.json_pointer.is_none() {
            return Err(invalid(
                name,
                "success.equals",
                "needs `success.json_pointer`",
            ));
        }
        let success_regex = compile(
            name,
            "success.body_regex",
            config.success.body_regex.as_deref(),
        )?;
        let id_regex = match &config.message_id {
            Some(id) => {
                if id.json_pointer.is_some() == id.body_regex.is_some() {
                    return Err(invalid(
                        name,
                        "message_id",
                        "needs exactly one of `json_pointer` and `body_regex`",
                    ));
                }
                check_pointer(name, "message_id.json_pointer", id.json_pointer.as_deref())?;
                compile(name, "message_id.body_regex", id.body_regex.as_deref())?
            }
            None => None,
        };
        let secret = match &config.secret_env {
            Some(var) => Some(Secret::from_env(name, "secret_env", var)?),
            None => None,
        };
        let mut secrets: Vec<Secret> = secret.iter().cloned().collect();
        if let (Some(user), Some(secret)) = (&config.basic_auth_user, &secret) {
            secrets.push(secret.basic_auth_pair(user));
        }
        let settings = ClientSettings::new(
            config.connect_timeout_ms,
            config.request_timeout_ms,
            config.ca_file.clone(),
        );
        Ok(HttpGateway {
            name: name.to_owned(),
            client: HttpClient::new(name, &settings, secrets)?,
            secret,
            success_regex,
            id_regex,
            max_parts: check_max_parts(name, config.max_parts.unwrap_or(1))?,
            config: config.clone(),
        })
    }

    fn accepted(&self, reply: &Reply) -> Result<bool, String> {
        let success = &self.config.success;
        if let Some(pointer) = &success.json_pointer {
            let json: serde_json::Value =
                serde_json::from_str(&reply.body).map_err(|_| "reply is not JSON".to_owned())?;
            let ok = match (json.pointer(pointer), &success.equals) {
                (Some(value), Some(expected)) => text_of(value) == *expected,
                (Some(value), None) => !matches!(
                    value,
                    serde_json::Value::Null | serde_json::Value::Bool(false)
                ),
                (None, _) => false,
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(self
            .success_regex
            .as_ref()
            .is_none_or(|re| re.is_match(&reply.body)))
    }

    fn message_id(&self, reply: &Reply) -> Option<String> {
        let spec = self.config.message_id.as_ref()?;
        let id = if let Some(pointer) = &spec.json_pointer {
            let json: serde_json::Value = serde_json::from_str(&reply.body).ok()?;
            text_of(json.pointer(pointer)?)
        } else {
            let captures = self.id_regex.as_ref()?.captures(&reply.body)?;
            captures
                .get(1)
                .or_else(|| captures.get(0))?
                .as_str()
                .to_owned()
        };
        (!id.is_empty()).then_some(id)
    }

    fn is_success_status(&self, status: u16) -> bool {
        if self.config.success.status.is_empty() {
            (200..300).contains(&status)
        } else {
            self.config.success.status.contains(&status)
        }
    }
}

struct Vars<'a> {
    to: &'a str,
    text: &'a str,
    reference: &'a str,
    encoding: Encoding,
    secret: &'a str,
}

fn sample_vars() -> Vars<'static> {
    Vars {
        to: "+6281200000000",
        text: "x",
        reference: "r",
        encoding: Encoding::Gsm7,
        secret: "s",
    }
}

impl Vars<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "to" => self.to,
            "to_digits" => self.to.trim_start_matches('+'),
            "text" => self.text,
            "reference" => self.reference,
            "coding" => match self.encoding {
                Encoding::Gsm7 => "gsm7",
                Encoding::Ucs2 => "ucs2",
            },
            "unicode" => match self.encoding {
                Encoding::Gsm7 => "0",
                Encoding::Ucs2 => "1",
            },
            "secret" => self.secret,
            _ => return None,
        })
    }
}

/// `{name}` pieces whose name looks like a placeholder (lower-case letters
/// and `_`); other braces, as in literal JSON text, stay as they are.
fn placeholders(template: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut start = 0;
    std::iter::from_fn(move || {
        while let Some(open) = template[start..].find('{').map(|i| start + i) {
            let close = template[open..].find('}').map(|i| open + i)?;
            let name = &template[open + 1..close];
            start = open + 1;
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                start = close + 1;
                return Some((open, close + 1, name));
            }
        }
        None
    })
}

fn expand(template: &str, vars: &Vars<'_>, encode: bool) -> String {
    let mut out = String::with_capacity(template.len());
    let mut last = 0;
    for (start, end, name) in placeholders(template) {
        out.push_str(&template[last..start]);
        match vars.get(name) {
            Some(value) if encode => out.push_str(&pct(value)),
            Some(value) => out.push_str(value),
            None => out.push_str(&template[start..end]),
        }
        last = end;
    }
    out.push_str(&template[last..]);
    out
}

fn check_template(
    gateway: &str,
    field: &'static str,
    template: &str,
    has_secret: bool,
) -> Result<(), GatewayError> {
    for (_, _, name) in placeholders(template) {
        if !PLACEHOLDERS.contains(&name) {
            return Err(invalid(
                gateway,
                field,
                format!(
                    "uses unknown placeholder {{{name}}}; known are {{{}}}",
                    PLACEHOLDERS.join("}, {")
                ),
            ));
        }
        if name == "secret" && !has_secret {
            return Err(invalid(
                gateway,
                field,
                "uses {secret} but `secret_env` is not set",
            ));
        }
    }
    Ok(())
}

fn check_json(
    gateway: &str,
    value: &serde_json::Value,
    has_secret: bool,
) -> Result<(), GatewayError> {
    match value {
        serde_json::Value::String(s) => check_template(gateway, "json", s, has_secret),
        serde_json::Value::Array(items) => items
            .iter()
            .try_for_each(|v| check_json(gateway, v, has_secret)),
        serde_json::Value::Object(map) => map
            .values()
            .try_for_each(|v| check_json(gateway, v, has_secret)),
        _ => Ok(()),
    }
}

fn expand_json(value: &serde_json::Value, vars: &Vars<'_>) -> serde_json::Value {
    match value {
        serde_json::Value::String(s) => serde_json::Value::String(expand(s, vars, false)),
        serde_json::Value::Array(items) => items.iter().map(|v| expand_json(v, vars)).collect(),
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), expand_json(v, vars)))
            .collect(),
        other => other.clone(),
    }
}

fn check_pointer(
    gateway: &str,
    field: &'static str,
    pointer: Option<&str>,
) -> Result<(), GatewayError> {
    match pointer {
        Some(p) if !p.is_empty() && !p.starts_with('/') => Err(invalid(
            gateway,
            field,
            "must be a JSON pointer starting with `/`",
        )),
        _ => Ok(()),
    }
}

fn compile(
    gateway: &str,
    field: &'static str,
    pattern: Option<&str>,
) -> Result<Option<Regex>, GatewayError> {
    pattern
        .map(|p| {
            Regex::new(p).map_err(|e| {
                invalid(
                    gateway,
                    field,
                    format!("is not a valid regular expression: {e}"),
                )
            })
        })
        .transpose()
}

fn text_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

http_gateway!(HttpGateway);

impl HttpGateway {
    /// The request that hands one message over.
    fn request(&self, sms: &OutgoingSms<'_>) -> RequestBuilder {
        let c = &self.config;
        let vars = Vars {
            to: sms.to,
            text: sms.text,
            reference: sms.reference,
            encoding: sms.encoding,
            secret: self.secret.as_ref().map_or("", Secret::expose),
        };
        let method = match c.method {
            HttpMethod::Get => Method::GET,
            HttpMethod::Post => Method::POST,
            HttpMethod::Put => Method::PUT,
        };
        let mut request = self.client.request(method, &expand(&c.url, &vars, true));
        for (name, value) in &c.headers {
            request = request.header(name, expand(value, &vars, false));
        }
        if let (Some(user), Some(secret)) = (&c.basic_auth_user, &self.secret) {
            request = request.basic_auth(user, Some(secret.expose()));
        }
        if let Some(form) = &c.form {
            let body: Vec<(&str, String)> = form
                .iter()
                .map(|(k, v)| (k.as_str(), expand(v, &vars, false)))
                .collect();
            request = request.form(&body);
        } else if let Some(json) = &c.json {
            request = request.json(&expand_json(json, &vars));
        }
        request
    }

    /// What a reply means (before sanitising).
    fn classify(&self, reply: &Reply, detail: String) -> Outcome {
        let c = &self.config;
        if self.is_success_status(reply.status) {
            return match self.accepted(reply) {
                Ok(true) => Outcome::Accepted {
                    message_id: self.message_id(reply),
                },
                Ok(false) => Outcome::PermanentFailure {
                    detail: format!("the provider did not confirm the message: {detail}"),
                },
                Err(problem) => Outcome::Unknown {
                    detail: format!("{problem}: {detail}"),
                },
            };
        }
        if c.throttled_status.contains(&reply.status) {
            Outcome::Throttled {
                retry_after: retry_after(&reply.headers),
                detail,
            }
        } else if c.temporary_status.contains(&reply.status) {
            Outcome::TemporaryFailure { detail }
        } else if (400..500).contains(&reply.status) {
            Outcome::PermanentFailure { detail }
        } else {
            Outcome::Unknown { detail }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_expand_and_other_braces_stay() {
        let vars = Vars {
            to: "+6281200001234",
            text: "a b&c",
            reference: "req/1",
            encoding: Encoding::Ucs2,
            secret: "k",
        };
        assert_eq!(
            expand(
                "{to_digits}|{text}|{unicode}|{coding}|{\"x\":1}",
                &vars,
                false
            ),
            "6281200001234|a b&c|1|ucs2|{\"x\":1}"
        );
        assert_eq!(
            expand("https://h/s?to={to}&m={text}", &vars, true),
            "https://h/s?to=%2B6281200001234&m=a%20b%26c"
        );
    }

    #[test]
    fn unknown_placeholder_and_secret_without_env_are_refused() {
        let error = check_template("g", "url", "http://h/?n={number}", false).unwrap_err();
        assert!(
            error.to_string().contains("unknown placeholder {number}"),
            "{error}"
        );
        let error = check_template("g", "headers", "Bearer {secret}", false).unwrap_err();
        assert!(
            error.to_string().contains("`secret_env` is not set"),
            "{error}"
        );
    }
}
