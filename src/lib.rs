//! sms-bcast core: requests, signed records, the trust registry, deadlines,
//! recipients, SMS text, gateways and the send ledger. Knows nothing of clap
//! or terminals; the binary in `src/main.rs` is a thin layer on top.

pub mod calendar;
pub mod gateway;
pub mod ledger;
pub mod phone;
pub mod recipients;
pub mod send;
pub mod sla;
pub mod smstext;
