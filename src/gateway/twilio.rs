//! `twilio`: Programmable Messaging `POST …/Accounts/{sid}/Messages.json`,
//! form body, HTTP basic auth. Message creation is not idempotent, so a 5xx
//! or a lost reply is `unknown`, never retried on its own.

use std::path::PathBuf;

use reqwest::Method;
use reqwest::blocking::RequestBuilder;

use super::client::{ClientSettings, HttpClient, Reply, Secret, check_url, retry_after};
use super::{Gateway, GatewayError, Outcome, OutgoingSms, check_max_parts, invalid};

/// `kind: twilio`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioConfig {
    /// `AC…`; part of the URL, and the basic-auth user unless `api_key_sid` is set.
    pub account_sid: String,
    /// Name of the environment variable holding the auth token (or API key secret).
    pub auth_token_env: String,
    /// `SK…`: authenticate with an API key instead of the account SID.
    #[serde(default)]
    pub api_key_sid: Option<String>,
    /// Sender number or alphanumeric ID; exactly one of `from` and `messaging_service_sid`.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    /// Status callback URL; `{reference}` is replaced by the message reference.
    #[serde(default)]
    pub status_callback: Option<String>,
    /// Default `https://api.twilio.com` (set for tests or a proxy).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Default 10 (Twilio takes bodies up to 1,600 characters).
    #[serde(default, deserialize_with = "super::de_max_parts")]
    pub max_parts: Option<u32>,
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug)]
pub(crate) struct Twilio {
    name: String,
    config: TwilioConfig,
    url: String,
    token: Secret,
    client: HttpClient,
    max_parts: u32,
}

impl Twilio {
    pub(crate) fn new(name: &str, config: &TwilioConfig) -> Result<Self, GatewayError> {
        if config.from.is_some() == config.messaging_service_sid.is_some() {
            return Err(invalid(
                name,
                "from",
                "or `messaging_service_sid`: set exactly one of them",
            ));
        }
        if config.account_sid.is_empty()
            || !config
                .account_sid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        {
            return Err(invalid(
                name,
                "account_sid",
                "must be the letters and digits of the account SID (AC…)",
            ));
        }
        let base = config
            .base_url
            .as_deref()
            .unwrap_or("https://api.twilio.com")
            .trim_end_matches('/');
        check_url(name, "base_url", base)?;
        if let Some(callback) = &config.status_callback {
            check_url(
                name,
                "status_callback",
                &callback.replace("{reference}", "x"),
            )?;
        }
        let token = Secret::from_env(name, "auth_token_env", &config.auth_token_env)?;
        let settings = ClientSettings::new(
            config.connect_timeout_ms,
            config.request_timeout_ms,
            config.ca_file.clone(),
        );
        Ok(Twilio {
            name: name.to_owned(),
            url: format!(
                "{base}/2010-04-01/Accounts/{}/Messages.json",
                config.account_sid
            ),
            client: HttpClient::new(
                name,
                &settings,
                vec![
                    token.clone(),
                    token.basic_auth_pair(
                        config.api_key_sid.as_deref().unwrap_or(&config.account_sid),
                    ),
                ],
            )?,
            token,
            max_parts: check_max_parts(name, config.max_parts.unwrap_or(10))?,
            config: config.clone(),
        })
    }

    fn form(&self, sms: &OutgoingSms<'_>) -> Vec<(&'static str, String)> {
        let c = &self.config;
        let mut form = vec![("To", sms.to.to_owned())];
        if let Some(from) = &c.from {
            form.push(("From", from.clone()));
        }
        if let Some(service) = &c.messaging_service_sid {
            form.push(("MessagingServiceSid", service.clone()));
        }
        form.push(("Body", sms.text.to_owned()));
        if let Some(callback) = &c.status_callback {
            form.push((
                "StatusCallback",
                callback.replace("{reference}", &super::client::pct(sms.reference)),
            ));
        }
        form
    }
}

http_gateway!(Twilio);

impl Twilio {
    /// The request that hands one message over.
    fn request(&self, sms: &OutgoingSms<'_>) -> RequestBuilder {
        let user = self
            .config
            .api_key_sid
            .as_deref()
            .unwrap_or(&self.config.account_sid);

        self.client
            .request(Method::POST, &self.url)
            .basic_auth(user, Some(self.token.expose()))
            .form(&self.form(sms))
    }

    /// What a reply means (before sanitising).
    fn classify(&self, reply: &Reply, detail: String) -> Outcome {
        let json: Option<serde_json::Value> = serde_json::from_str(&reply.body).ok();
        let code = json
            .as_ref()
            .and_then(|j| j.get("code"))
            .and_then(|c| c.as_u64());
        match reply.status {
            200..=299 => {
                let sid = json
                    .as_ref()
                    .and_then(|j| j.get("sid"))
                    .and_then(|s| s.as_str())
                    .map(str::to_owned);
                Outcome::Accepted { message_id: sid }
            }
            // "Requests that receive 429 responses aren't processed."
            429 => Outcome::Throttled {
                retry_after: retry_after(&reply.headers),
                detail,
            },
            // Per recipient (21211 invalid number, 21610 unsubscribed, 21614 not
            // SMS-capable, …) or for the account (401): not taken, no retry.
            400..=499 => Outcome::PermanentFailure {
                detail: match code {
                    Some(code) => format!("Twilio error {code}: {detail}"),
                    None => detail,
                },
            },
            // The POST may have created the message: never resend on our own.
            _ => Outcome::Unknown { detail },
        }
    }
}
