//! `kannel`: smsbox `sendsms`, one recipient per GET request, every value
//! percent-encoded (a raw `+` would reach Kannel as a space).

use std::path::PathBuf;

use reqwest::Method;
use reqwest::blocking::RequestBuilder;

use super::client::{
    ClientSettings, HttpClient, Reply, Secret, check_url, number, pct, with_query,
};
use super::{Gateway, GatewayError, Outcome, OutgoingSms, check_max_parts, invalid};
use crate::smstext::Encoding;

/// `kind: kannel`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KannelConfig {
    /// The sendsms URL, e.g. `http://127.0.0.1:13013/cgi-bin/sendsms`.
    pub url: String,
    /// A `sendsms-user` of smsbox.
    pub username: String,
    /// Name of the environment variable holding that user's password.
    pub password_env: String,
    /// Sender; Kannel's `default-sender`/`global-sender` when absent.
    #[serde(default)]
    pub from: Option<String>,
    /// Route through this `smsc-id`.
    #[serde(default)]
    pub smsc: Option<String>,
    /// The sendsms-user's `max-messages` (Kannel's default is 1: longer text is cut silently).
    #[serde(default, deserialize_with = "super::de_max_parts")]
    pub max_parts: Option<u32>,
    /// Delivery-report mask (1..63), sent with `dlr_url`.
    #[serde(default)]
    pub dlr_mask: Option<u8>,
    /// Delivery-report URL; `{reference}` is replaced by the message reference,
    /// Kannel's own escapes (`%d`, `%p`, …) pass through.
    #[serde(default)]
    pub dlr_url: Option<String>,
    /// Send the number without its leading `+` (for SMSCs that want that).
    #[serde(default)]
    pub strip_plus: bool,
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    #[serde(default)]
    pub request_timeout_ms: Option<u64>,
    /// Extra CA certificates (PEM) for an `https://` smsbox behind a private CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug)]
pub(crate) struct Kannel {
    name: String,
    config: KannelConfig,
    password: Secret,
    client: HttpClient,
    max_parts: u32,
}

impl Kannel {
    pub(crate) fn new(name: &str, config: &KannelConfig) -> Result<Self, GatewayError> {
        check_url(name, "url", &config.url)?;
        match (config.dlr_mask, &config.dlr_url) {
            (Some(mask), Some(url)) => {
                if !(1..=63).contains(&mask) {
                    return Err(invalid(name, "dlr_mask", "must be between 1 and 63"));
                }
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(invalid(
                        name,
                        "dlr_url",
                        "must start with http:// or https://",
                    ));
                }
            }
            (None, None) => {}
            _ => {
                return Err(invalid(
                    name,
                    "dlr_mask",
                    "and `dlr_url` go together: set both or neither",
                ));
            }
        }
        let password = Secret::from_env(name, "password_env", &config.password_env)?;
        let settings = ClientSettings::new(
            config.connect_timeout_ms,
            config.request_timeout_ms,
            config.ca_file.clone(),
        );
        Ok(Kannel {
            name: name.to_owned(),
            client: HttpClient::new(name, &settings, vec![password.clone()])?,
            password,
            max_parts: check_max_parts(name, config.max_parts.unwrap_or(1))?,
            config: config.clone(),
        })
    }

    fn url(&self, sms: &OutgoingSms<'_>) -> String {
        let c = &self.config;
        let mut params: Vec<(&str, &str)> = vec![
            ("username", &c.username),
            ("password", self.password.expose()),
            ("to", number(sms.to, c.strip_plus)),
            ("text", sms.text),
        ];
        if let Some(from) = &c.from {
            params.push(("from", from));
        }
        // Without `charset`, Kannel takes UCS-2 text for raw UTF-16BE and sends garbage.
        params.push((
            "coding",
            if sms.encoding == Encoding::Ucs2 {
                "2"
            } else {
                "0"
            },
        ));
        params.push(("charset", "UTF-8"));
        if let Some(smsc) = &c.smsc {
            params.push(("smsc", smsc));
        }
        let dlr_mask;
        let dlr_url;
        if let (Some(mask), Some(url)) = (c.dlr_mask, &c.dlr_url) {
            dlr_mask = mask.to_string();
            dlr_url = url.replace("{reference}", &pct(sms.reference));
            params.push(("dlr-mask", &dlr_mask));
            params.push(("dlr-url", &dlr_url));
        }
        with_query(&c.url, &params)
    }
}

http_gateway!(Kannel);

impl Kannel {
    /// The request that hands one message over.
    fn request(&self, sms: &OutgoingSms<'_>) -> RequestBuilder {
        self.client.request(Method::GET, &self.url(sms))
    }

    /// What a reply means (before sanitising).
    fn classify(&self, reply: &Reply, detail: String) -> Outcome {
        match reply.status {
            // `0: Accepted for delivery`, `3: Queued for later delivery`, or `Sent.`
            200..=299 => Outcome::Accepted { message_id: None },
            // `Temporal failure, try again later.`: bearerbox did not take it.
            503 => Outcome::TemporaryFailure { detail },
            // Refused: authorization, number, sender, `Not routable. Do not try again.`
            400..=499 => Outcome::PermanentFailure { detail },
            // `Sending failed.` and anything else does not say it was not taken.
            _ => Outcome::Unknown { detail },
        }
    }
}
