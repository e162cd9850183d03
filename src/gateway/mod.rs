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
    /// Send one message and classify the reply. Must never panic and never
    /// include secrets (passwords, tokens, URLs with credentials) in `detail`.
    fn send(&self, sms: &OutgoingSms<'_>) -> Outcome;
}

mod client;
mod http;
mod jasmin;
mod kannel;
mod outbox;
mod playsms;
mod twilio;

use std::collections::BTreeMap;
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

/// `max_parts` must allow at least one part.
fn check_max_parts(gateway: &str, max_parts: u32) -> Result<u32, GatewayError> {
    if max_parts == 0 {
        return Err(invalid(gateway, "max_parts", "must be at least 1"));
    }
    Ok(max_parts)
}
