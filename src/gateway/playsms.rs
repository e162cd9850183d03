//! `playsms`: webservices `op=pv` (GET, JSON reply). playSMS answers HTTP
//! 200 for its own errors; the JSON says what happened.

use std::path::PathBuf;

use reqwest::Method;
use reqwest::blocking::RequestBuilder;

use super::client::{
    ClientSettings, HttpClient, Reply, Secret, check_url, number, retry_after, with_query,
};
use super::{Gateway, GatewayError, Outcome, OutgoingSms, check_max_parts};
use crate::smstext::Encoding;

/// `kind: playsms`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaysmsConfig {
    /// The webservices URL, e.g. `http://playsms.example/index.php?app=ws`.
    pub url: String,
    /// playSMS user (`u`).
    pub username: String,
    /// Name of the environment variable holding the webservices token (`h`).
    pub token_env: String,
    #[serde(default)]
    pub from: Option<String>,
    /// Default 1.
    #[serde(default, deserialize_with = "super::de_max_parts")]
    pub max_parts: Option<u32>,
    #[serde(default)]
    pub strip_plus: bool,
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug)]
pub(crate) struct Playsms {
    name: String,
    config: PlaysmsConfig,
    token: Secret,
    client: HttpClient,
    max_parts: u32,
}

impl Playsms {
    pub(crate) fn new(name: &str, config: &PlaysmsConfig) -> Result<Self, GatewayError> {
        check_url(name, "url", &config.url)?;
        let token = Secret::from_env(name, "token_env", &config.token_env)?;
        let settings = ClientSettings::new(
            config.connect_timeout_ms,
            config.request_timeout_ms,
            config.ca_file.clone(),
        );
        Ok(Playsms {
            name: name.to_owned(),
            client: HttpClient::new(name, &settings, vec![token.clone()])?,
            token,
            max_parts: check_max_parts(name, config.max_parts.unwrap_or(1))?,
            config: config.clone(),
        })
    }

    fn url(&self, sms: &OutgoingSms<'_>) -> String {
        let c = &self.config;
        let mut params: Vec<(&str, &str)> = vec![
            ("u", &c.username),
            ("h", self.token.expose()),
            ("op", "pv"),
            ("to", number(sms.to, c.strip_plus)),
            ("msg", sms.text),
            ("format", "json"),
        ];
        if sms.encoding == Encoding::Ucs2 {
            params.push(("unicode", "1"));
        }
        if let Some(from) = &c.from {
            params.push(("from", from));
        }
        with_query(&c.url, &params)
    }
}

/// `"100"` or `100` as a string.
fn text_of(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn classify(json: &serde_json::Value, detail: String) -> Outcome {
    // One entry per destination; we send one destination per request.
    if let Some(entry) = json.get("data").and_then(|d| d.get(0)) {
        let status = entry.get("status").map(text_of).unwrap_or_default();
        if status.eq_ignore_ascii_case("OK") {
            let id = entry
                .get("smslog_id")
                .or_else(|| entry.get("queue"))
                .map(text_of)
                .filter(|s| !s.is_empty());
            return Outcome::Accepted { message_id: id };
        }
        let code = entry.get("error").map(text_of).unwrap_or_default();
        return Outcome::PermanentFailure {
            detail: format!("playSMS error {code} for this recipient: {detail}"),
        };
    }
    match json.get("status").map(text_of) {
        // 100 auth, 102 field empty, 103 no credit, 104-106 token, 201 empty destination.
        Some(status) if status.eq_ignore_ascii_case("ERR") => {
            let code = json.get("error").map(text_of).unwrap_or_default();
            Outcome::PermanentFailure {
                detail: format!("playSMS error {code}: {detail}"),
            }
        }
        _ => Outcome::Unknown {
            detail: format!("reply has neither `data` nor an error status: {detail}"),
        },
    }
}

http_gateway!(Playsms);

impl Playsms {
    /// The request that hands one message over.
    fn request(&self, sms: &OutgoingSms<'_>) -> RequestBuilder {
        self.client.request(Method::GET, &self.url(sms))
    }

    /// What a reply means (before sanitising).
    fn classify(&self, reply: &Reply, detail: String) -> Outcome {
        match reply.status {
            200..=299 => match serde_json::from_str::<serde_json::Value>(&reply.body) {
                Ok(json) => classify(&json, detail),
                Err(_) => Outcome::Unknown {
                    detail: format!("reply is not JSON: {detail}"),
                },
            },
            429 => Outcome::Throttled {
                retry_after: retry_after(&reply.headers),
                detail,
            },
            400..=499 => Outcome::PermanentFailure { detail },
            _ => Outcome::Unknown { detail },
        }
    }
}
