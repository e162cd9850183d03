//! The workspace: a git repository holding `sms-bcast.yaml`, the registry,
//! the calendar, requests and recipient lists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::calendar::CalendarSettings;
use crate::error::{Error, Result};
use crate::gateway::GatewayConfig;
use crate::recipients::{ListError, RecipientSettings};
use crate::send::QuietHours;
use crate::sla::{SlaError, SlaPolicy};
use crate::smstext::{SettingsError, SmsSettings};

pub const CONFIG_FILE: &str = "sms-bcast.yaml";
pub const CONFIG_SCHEMA: &str = "sms-bcast/workspace/v1";
pub const REQUESTS_DIR: &str = "requests";
pub const RECIPIENTS_DIR: &str = "recipients";
/// Local, never committed state (ledgers, locks).
pub const STATE_DIR: &str = ".sms-bcast";

/// `sms-bcast.yaml`. Secrets never live here: gateways name environment variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub schema: String,
    /// A name for people and notices ("P2KP SMS broadcast").
    #[serde(default)]
    pub name: String,
    /// IANA time zone records are written in (default Asia/Jakarta).
    #[serde(default = "default_zone")]
    pub time_zone: String,
    /// Working calendar the deadlines count in.
    #[serde(default)]
    pub calendar: CalendarSettings,
    /// Deadline clocks (SLA policy).
    #[serde(default)]
    pub sla: SlaPolicy,
    /// Message length limits and price.
    #[serde(default)]
    pub sms: SmsSettings,
    /// Recipient list settings.
    #[serde(default)]
    pub recipients: RecipientSettings,
    /// Gateways by name; `outbox` (a Gammu SMSD spool folder) always exists.
    #[serde(default, deserialize_with = "crate::gateway::deserialize_gateways")]
    pub gateways: BTreeMap<String, GatewayConfig>,
    /// How `send` runs.
    #[serde(default)]
    pub send: SendSettings,
    /// How `notify` delivers notices.
    #[serde(default)]
    pub notify: NotifySettings,
}

/// The `send:` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendSettings {
    /// Gateway used unless `send --gateway` names another.
    pub gateway: String,
    /// Recipients per second (absent: as fast as the gateway takes them).
    pub rate: Option<f64>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Local time window in which no message starts, e.g. `21:00-06:00`; `off` for none.
    pub quiet_hours: String,
}

impl Default for SendSettings {
    fn default() -> Self {
        SendSettings {
            gateway: "outbox".into(),
            rate: None,
            concurrency: 4,
            quiet_hours: "21:00-06:00".into(),
        }
    }
}

/// The `notify:` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySettings {
    /// Gateway notices go through.
    pub gateway: String,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            gateway: "outbox".into(),
        }
    }
}

fn default_zone() -> String {
    "Asia/Jakarta".into()
}

/// An opened workspace.
pub struct Workspace {
    pub root: PathBuf,
    pub config: Config,
    pub zone: Tz,
}

impl Workspace {
    /// Opens the workspace at `dir` (which must hold `sms-bcast.yaml`).
    pub fn open(dir: &Path) -> Result<Workspace> {
        let path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::refused(
                    format!("{} is not an sms-bcast workspace (no {CONFIG_FILE})", dir.display()),
                    "run the command inside a workspace, pass `-C DIR`, or make one with `sms-bcast init`",
                )
            } else {
                Error::io(&path, e)
            }
        })?;
        let config = parse_config(&path, &text)?;
        let zone = parse_zone(&path, &text, &config.time_zone)?;
        Ok(Workspace {
            root: dir.to_path_buf(),
            config,
            zone,
        })
    }

    pub fn requests_dir(&self) -> PathBuf {
        self.root.join(REQUESTS_DIR)
    }

    pub fn request_dir(&self, id: &str) -> PathBuf {
        self.requests_dir().join(id)
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }
}

pub fn parse_config(path: &Path, text: &str) -> Result<Config> {
    let config: Config = serde_yaml::from_str(text).map_err(|e| {
        Error::yaml(
            path,
            &e,
            format!("see the `{CONFIG_FILE}` schema in README.md"),
        )
    })?;
    if config.schema != CONFIG_SCHEMA {
        return Err(Error::Input {
            file: path.to_path_buf(),
            line: crate::error::line_of_key(text, "schema"),
            column: 1,
            field: "schema".into(),
            message: format!(
                "is `{}`, this sms-bcast reads `{CONFIG_SCHEMA}`",
                config.schema
            ),
            hint: format!("set `schema: {CONFIG_SCHEMA}`"),
        });
    }
    validate(&config).map_err(|bad| Error::Input {
        file: path.to_path_buf(),
        line: crate::error::line_of_path(text, &bad.field),
        column: 1,
        field: bad.field,
        message: bad.message,
        hint: bad.hint,
    })?;
    Ok(config)
}

/// A setting serde accepted but sms-bcast cannot use.
struct BadSetting {
    field: String,
    message: String,
    hint: String,
}

fn bad(
    field: impl Into<String>,
    message: impl Into<String>,
    hint: impl Into<String>,
) -> BadSetting {
    BadSetting {
        field: field.into(),
        message: message.into(),
        hint: hint.into(),
    }
}

/// Checks every setting serde cannot, so that mistakes show when the
/// workspace is opened rather than halfway through a command.
fn validate(config: &Config) -> std::result::Result<(), BadSetting> {
    if config.calendar.weekdays.is_empty() {
        return Err(bad(
            "calendar.weekdays",
            "is empty: no day would ever count towards a deadline",
            "list the working days, e.g. `weekdays: [mon, tue, wed, thu, fri]`",
        ));
    }
    if let Err(SlaError::Policy {
        clock,
        field,
        message,
    }) = config.sla.validate()
    {
        return Err(bad(
            format!("sla.clocks[{clock}].{field}"),
            message,
            "edit that clock in the `sla:` section; docs/deadlines.md lists the keys",
        ));
    }
    match config.sms.validate() {
        Err(SettingsError::MaxParts(n)) => {
            return Err(bad(
                "sms.max_parts",
                format!("is {n}; it must be between 1 and 255 (the UDH part counter is one octet)"),
                "most gateways and phones handle up to 6 parts well; e.g. `max_parts: 6`",
            ));
        }
        Err(SettingsError::SenderId(id)) => {
            return Err(bad(
                "sms.sender_id",
                format!("`{id}` is not a valid sender"),
                "use up to 11 letters/digits (no spaces or symbols), or a number of up to 15 digits",
            ));
        }
        Ok(()) => {}
    }
    if let Err(e) = config.recipients.number_rules() {
        let message = match e {
            ListError::Settings(e) => e.to_string(),
            other => other.to_string(),
        };
        return Err(bad(
            "recipients.allowed_countries",
            message,
            "list ISO 3166 country codes, e.g. `allowed_countries: [ID]`",
        ));
    }
    let send = &config.send;
    if QuietHours::parse_setting(&send.quiet_hours).is_err() {
        return Err(bad(
            "send.quiet_hours",
            format!(
                "`{}` is not a window of local time HH:MM-HH:MM with different start and end",
                send.quiet_hours
            ),
            "write e.g. `quiet_hours: \"21:00-06:00\"`, or `off` for none",
        ));
    }
    if let Err(why) = check_concurrency(send.concurrency) {
        return Err(bad(
            "send.concurrency",
            why,
            "the default is 4 requests in flight",
        ));
    }
    if let Some(Err(why)) = send.rate.map(check_rate) {
        return Err(bad(
            "send.rate",
            why,
            "e.g. `rate: 10`, or remove it to send as fast as the gateway takes messages",
        ));
    }
    Ok(())
}

/// Most requests in flight at once (each is a thread and a connection).
pub const MAX_CONCURRENCY: usize = 256;
/// Slowest and fastest rates `send` accepts, in recipients per second.
pub const RATE_RANGE: (f64, f64) = (0.01, 100_000.0);

/// A concurrency `send` can run with.
pub fn check_concurrency(n: usize) -> std::result::Result<usize, String> {
    if (1..=MAX_CONCURRENCY).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "is {n}; it must be from 1 to {MAX_CONCURRENCY} requests in flight"
        ))
    }
}

/// A rate `send` can hold, in recipients per second.
pub fn check_rate(rate: f64) -> std::result::Result<f64, String> {
    let (slowest, fastest) = RATE_RANGE;
    if rate.is_finite() && (slowest..=fastest).contains(&rate) {
        Ok(rate)
    } else {
        let shown = if rate != 0.0 && (rate.abs() < 1e-3 || rate.abs() > 1e9) {
            format!("{rate:e}")
        } else {
            rate.to_string()
        };
        Err(format!(
            "is {shown}; it must be from {slowest} to {fastest} recipients per second"
        ))
    }
}

fn parse_zone(path: &Path, text: &str, name: &str) -> Result<Tz> {
    name.parse::<Tz>().map_err(|_| Error::Input {
        file: path.to_path_buf(),
        line: crate::error::line_of_key(text, "time_zone"),
        column: 1,
        field: "time_zone".into(),
        message: format!("`{name}` is not an IANA time zone"),
        hint: "use Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT)".into(),
    })
}

/// Request ids are short, safe names: letters, digits and dashes only, so an
/// id can never reach outside `requests/`.
pub fn check_request_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !id.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(Error::refused(
            format!("`{id}` is not a request id"),
            "request ids look like 20261203-9f2c1a-4be1 (letters, digits, dashes); `sms-bcast list` shows them",
        ))
    }
}
