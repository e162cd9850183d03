//! `jasmin`: HTTP API `/send`, one recipient per request, form-encoded POST.
//! UCS-2 goes as `coding=8` with `hex-content` in UTF-16BE (Jasmin does not
//! re-encode other codings).

use std::path::PathBuf;

use reqwest::Method;
use reqwest::blocking::RequestBuilder;

use super::client::{ClientSettings, HttpClient, Reply, Secret, check_url, number};
use super::{Gateway, GatewayError, Outcome, OutgoingSms, check_max_parts, invalid};
use crate::smstext::Encoding;

/// `kind: jasmin`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JasminConfig {
    /// The send URL, e.g. `http://127.0.0.1:1401/send`.
    pub url: String,
    pub username: String,
    /// Name of the environment variable holding the password.
    pub password_env: String,
    #[serde(default)]
    pub from: Option<String>,
    /// Jasmin's `long_content_max_parts` (default 5; longer text is cut).
    #[serde(default, deserialize_with = "super::de_max_parts")]
    pub max_parts: Option<u32>,
    /// Delivery-report URL; `{reference}` is replaced by the message reference.
    #[serde(default)]
    pub dlr_url: Option<String>,
    /// 1 SMSC, 2 handset, 3 both (Jasmin's default 1).
    #[serde(default)]
    pub dlr_level: Option<u8>,
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
pub(crate) struct Jasmin {
    name: String,
    config: JasminConfig,
    password: Secret,
    client: HttpClient,
    max_parts: u32,
}

impl Jasmin {
    pub(crate) fn new(name: &str, config: &JasminConfig) -> Result<Self, GatewayError> {
        check_url(name, "url", &config.url)?;
        if let Some(url) = &config.dlr_url {
            check_url(name, "dlr_url", &url.replace("{reference}", "x"))?;
        }
        if config
            .dlr_level
            .is_some_and(|level| !(1..=3).contains(&level))
        {
            return Err(invalid(name, "dlr_level", "must be 1, 2 or 3"));
        }
        let password = Secret::from_env(name, "password_env", &config.password_env)?;
        let settings = ClientSettings::new(
            config.connect_timeout_ms,
            config.request_timeout_ms,
            config.ca_file.clone(),
        );
        Ok(Jasmin {
            name: name.to_owned(),
            client: HttpClient::new(name, &settings, vec![password.clone()])?,
            password,
            max_parts: check_max_parts(name, config.max_parts.unwrap_or(5))?,
            config: config.clone(),
        })
    }

    fn form(&self, sms: &OutgoingSms<'_>) -> Vec<(&'static str, String)> {
        let c = &self.config;
        let mut form = vec![
            ("username", c.username.clone()),
            ("password", self.password.expose().to_owned()),
            ("to", number(sms.to, c.strip_plus).to_owned()),
        ];
        if let Some(from) = &c.from {
            form.push(("from", from.clone()));
        }
        match sms.encoding {
            Encoding::Gsm7 => {
                form.push(("coding", "0".to_owned()));
                form.push(("content", sms.text.to_owned()));
            }
            Encoding::Ucs2 => {
                form.push(("coding", "8".to_owned()));
                form.push(("hex-content", utf16be_hex(sms.text)));
            }
        }
        if let Some(url) = &c.dlr_url {
            form.push(("dlr", "yes".to_owned()));
            form.push((
                "dlr-url",
                url.replace("{reference}", &super::client::pct(sms.reference)),
            ));
            if let Some(level) = c.dlr_level {
                form.push(("dlr-level", level.to_string()));
            }
        }
        form
    }
}

/// UTF-16BE without a byte-order mark, as upper-case hex.
fn utf16be_hex(text: &str) -> String {
    text.encode_utf16()
        .map(|unit| format!("{unit:04X}"))
        .collect()
}

/// The id in `Success "07033084-5cfd-4812-90a4-e4d24ffb6e3d"`.
fn message_id(body: &str) -> Option<String> {
    let rest = body.trim().strip_prefix("Success")?.trim();
    let id = rest.trim_matches('"');
    (!id.is_empty()).then(|| id.to_owned())
}

http_gateway!(Jasmin);

impl Jasmin {
    /// The request that hands one message over.
    fn request(&self, sms: &OutgoingSms<'_>) -> RequestBuilder {
        self.client
            .request(Method::POST, &self.config.url)
            .form(&self.form(sms))
    }

    /// What a reply means (before sanitising).
    fn classify(&self, reply: &Reply, detail: String) -> Outcome {
        match reply.status {
            200..=299 => match message_id(&reply.body) {
                Some(id) => Outcome::Accepted {
                    message_id: Some(id),
                },
                None => Outcome::Unknown {
                    detail: format!("reply is not `Success \"<id>\"`: {detail}"),
                },
            },
            // Jasmin's QoS quota answers 403 `User throughput exceeded`, not 429.
            403 | 429
                if reply
                    .body
                    .to_ascii_lowercase()
                    .contains("throughput exceeded")
                    || reply.status == 429 =>
            {
                Outcome::Throttled {
                    retry_after: super::client::retry_after(&reply.headers),
                    detail,
                }
            }
            // Interceptor down: refused before routing.
            503 => Outcome::TemporaryFailure { detail },
            // Authentication, authorization, charging, bad argument, no route.
            400..=499 => Outcome::PermanentFailure { detail },
            // `Cannot send submit_sm` / `Unknown error`: may or may not have left.
            _ => Outcome::Unknown { detail },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_content_is_utf16be_without_bom_and_keeps_surrogate_pairs() {
        assert_eq!(utf16be_hex("أرنب"), "0623063106460628");
        assert_eq!(utf16be_hex("a😀"), "0061D83DDE00");
    }

    #[test]
    fn message_id_is_read_from_the_success_line() {
        assert_eq!(
            message_id("Success \"07033084-5cfd-4812-90a4-e4d24ffb6e3d\"").as_deref(),
            Some("07033084-5cfd-4812-90a4-e4d24ffb6e3d")
        );
        assert_eq!(message_id("Error \"x\""), None);
    }
}
