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
    Throttled { retry_after: Option<Duration>, detail: String },
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
