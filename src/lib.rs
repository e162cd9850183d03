//! sms-bcast core: requests, signed records, the trust registry, deadlines,
//! recipients, SMS text, gateways and the send ledger. Knows nothing of clap
//! or terminals; the binary in `src/main.rs` is a thin layer on top.

pub mod calendar;
pub mod clock;
pub mod digest;
pub mod error;
pub mod fsutil;
pub mod gateway;
pub mod gitstore;
pub mod keys;
pub mod ledger;
pub mod lifecycle;
pub mod notice;
pub mod phone;
pub mod recipients;
pub mod record;
pub mod registry;
pub mod request;
pub mod send;
pub mod sigcheck;
pub mod sla;
pub mod smstext;
pub mod trust;
pub mod workspace;
