//! What the HTTP gateways share: secrets from the environment, the HTTP
//! client, percent-encoding and the classification of transport errors.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::{GatewayError, Outcome, Sanitiser};

/// A credential read from the environment. Its `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn from_env(
        gateway: &str,
        field: &'static str,
        var: &str,
    ) -> Result<Self, GatewayError> {
        match std::env::var(var) {
            Ok(value) if !value.is_empty() => Ok(Secret(value)),
            Ok(_) | Err(std::env::VarError::NotPresent) => Err(GatewayError::MissingEnv {
                gateway: gateway.to_owned(),
                field,
                var: var.to_owned(),
            }),
            Err(std::env::VarError::NotUnicode(_)) => Err(GatewayError::InvalidEnv {
                gateway: gateway.to_owned(),
                var: var.to_owned(),
            }),
        }
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// `user:secret`, whose base64 a basic-auth header carries, to blank as a whole.
    pub(crate) fn basic_auth_pair(&self, user: &str) -> Secret {
        Secret(format!("{user}:{}", self.0))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Timeouts and trust settings every HTTP gateway accepts.
#[derive(Debug, Clone)]
pub(crate) struct ClientSettings {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub ca_file: Option<PathBuf>,
}

pub(crate) const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5_000;
pub(crate) const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 30_000;

impl ClientSettings {
    pub(crate) fn new(
        connect_ms: Option<u64>,
        request_ms: Option<u64>,
        ca_file: Option<PathBuf>,
    ) -> Self {
        ClientSettings {
            connect_timeout: Duration::from_millis(
                connect_ms.unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS),
            ),
            request_timeout: Duration::from_millis(
                request_ms.unwrap_or(DEFAULT_REQUEST_TIMEOUT_MS),
            ),
            ca_file,
        }
    }
}

/// A keep-alive HTTP client plus what blanks its secrets out of any detail.
#[derive(Debug)]
pub(crate) struct HttpClient {
    client: Client,
    sanitiser: Sanitiser,
}

/// A reply read in full.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl HttpClient {
    /// Builds a client that trusts Mozilla's roots (plus `ca_file`) and never
    /// the platform store: the platform verifier refuses to start on a
    /// machine without a CA bundle, even for plain `http://`.
    pub(crate) fn new(
        gateway: &str,
        settings: &ClientSettings,
        secrets: Vec<Secret>,
    ) -> Result<Self, GatewayError> {
        let client_error = |detail: String| GatewayError::HttpClient {
            gateway: gateway.to_owned(),
            detail,
        };
        let mut roots = Vec::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
            roots.push(
                reqwest::Certificate::from_der(der)
                    .map_err(|e| client_error(e.without_url().to_string()))?,
            );
        }
        if let Some(path) = &settings.ca_file {
            let pem = std::fs::read(path).map_err(|source| GatewayError::CaFile {
                gateway: gateway.to_owned(),
                path: path.clone(),
                source,
            })?;
            let extra = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| client_error(format!("{}: {}", path.display(), e.without_url())))?;
            roots.extend(extra);
        }
        let client = Client::builder()
            .tls_certs_only(roots)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("sms-bcast/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| client_error(error_chain(&e.without_url())))?;
        let secrets: Vec<&str> = secrets.iter().map(Secret::expose).collect();
        Ok(HttpClient {
            client,
            sanitiser: Sanitiser::new(&secrets),
        })
    }

    pub(crate) fn request(&self, method: reqwest::Method, url: &str) -> RequestBuilder {
        self.client.request(method, url)
    }

    /// Sends the request and reads the whole reply; a transport failure is
    /// already classified (connect failure: temporary, anything after the
    /// request may have left: unknown).
    pub(crate) fn send(&self, request: RequestBuilder) -> Result<Reply, Outcome> {
        let response: Response = request.send().map_err(|e| self.transport_outcome(e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().map_err(|e| Outcome::Unknown {
            detail: self.redact(&format!(
                "HTTP {status}, then the reply body was lost: {}",
                error_chain(&e.without_url())
            )),
        })?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn transport_outcome(&self, error: reqwest::Error) -> Outcome {
        let error = error.without_url();
        let chain = self.redact(&error_chain(&error));
        if error.is_connect() {
            Outcome::TemporaryFailure {
                detail: format!("could not connect, the request did not leave: {chain}"),
            }
        } else if error.is_builder() {
            Outcome::PermanentFailure {
                detail: format!("the request could not be built: {chain}"),
            }
        } else if error.is_timeout() {
            Outcome::Unknown {
                detail: format!("no reply in time after the request was sent: {chain}"),
            }
        } else {
            Outcome::Unknown {
                detail: format!("connection lost after the request was sent: {chain}"),
            }
        }
    }

    /// `text` through [`super::sanitise`] with this client's secrets.
    pub(crate) fn redact(&self, text: &str) -> String {
        self.sanitiser.sanitise(text)
    }

    /// Hands one message over: sends `request`, lets the adapter's `classify`
    /// say what the reply means (transport errors are classified here), and
    /// scrubs the outcome of secrets and full numbers.
    pub(crate) fn exchange(
        &self,
        request: RequestBuilder,
        to: &str,
        classify: impl FnOnce(&Reply, String) -> Outcome,
    ) -> Outcome {
        let outcome = match self.send(request) {
            Ok(reply) => {
                let detail = self.detail(&reply);
                classify(&reply, detail)
            }
            Err(outcome) => outcome,
        };
        self.clean(outcome, to)
    }

    /// The final pass over every outcome an adapter returns: whatever text it
    /// built around the reply, no secret or full number leaves the adapter.
    pub(crate) fn clean(&self, outcome: Outcome, to: &str) -> Outcome {
        outcome.sanitised(&self.sanitiser, to)
    }

    /// `HTTP 403: <excerpt>`: the start of the body, sanitised before it is
    /// cut (so no cut-off piece of a secret or number escapes), then short.
    pub(crate) fn detail(&self, reply: &Reply) -> String {
        let body: String = reply.body.trim().chars().take(SCAN_CHARS).collect();
        let body = self.redact(&body);
        let body: String = if body.chars().count() > EXCERPT_CHARS {
            body.chars()
                .take(EXCERPT_CHARS)
                .chain("…".chars())
                .collect()
        } else {
            body
        };
        format!("HTTP {}: {body}", reply.status)
    }
}

/// How much of a reply body is sanitised; far more than is shown.
const SCAN_CHARS: usize = 4_000;
/// How much of a reply body a detail shows.
const EXCERPT_CHARS: usize = 200;

/// An error and all its sources, one after the other.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Seconds of a `Retry-After` header (the HTTP-date form is not used by SMS
/// APIs; it falls back to backoff).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<u64>().ok().map(Duration::from_secs)
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so `+`
/// becomes `%2B` and a space `%20` (Kannel reads a raw `+` as a space).
pub(crate) fn pct(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `url` with `params` appended as a percent-encoded query.
pub(crate) fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let mut out = url.to_owned();
    let mut separator = if url.contains('?') {
        if url.ends_with('?') || url.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    for (name, value) in params {
        out.push_str(separator);
        out.push_str(&pct(name));
        out.push('=');
        out.push_str(&pct(value));
        separator = "&";
    }
    out
}

/// The recipient as the gateway wants it: E.164 with or without the `+`.
pub(crate) fn number(to: &str, strip_plus: bool) -> &str {
    if strip_plus {
        to.trim_start_matches('+')
    } else {
        to
    }
}

/// Checks a configured URL early, so a typo fails at `build`, not per message.
pub(crate) fn check_url(gateway: &str, field: &'static str, url: &str) -> Result<(), GatewayError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| GatewayError::InvalidConfig {
        gateway: gateway.to_owned(),
        field,
        problem: format!("not a valid URL ({e})"),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(GatewayError::InvalidConfig {
            gateway: gateway.to_owned(),
            field,
            problem: "must start with http:// or https://".to_owned(),
        });
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(GatewayError::InvalidConfig {
            gateway: gateway.to_owned(),
            field,
            problem: "must not carry credentials; name an environment variable for them instead"
                .to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pct_encodes_plus_space_and_unicode() {
        assert_eq!(pct("+62 812"), "%2B62%20812");
        assert_eq!(pct("a&b=c%d"), "a%26b%3Dc%25d");
        assert_eq!(pct("é😀"), "%C3%A9%F0%9F%98%80");
        assert_eq!(pct("A-z_0.9~"), "A-z_0.9~");
    }

    #[test]
    fn with_query_appends_to_an_existing_query() {
        assert_eq!(
            with_query("http://h/p", &[("to", "+1")]),
            "http://h/p?to=%2B1"
        );
        assert_eq!(
            with_query("http://h/p?app=ws", &[("a", "b c"), ("d", "e")]),
            "http://h/p?app=ws&a=b%20c&d=e"
        );
    }

    #[test]
    fn secret_debug_hides_the_value() {
        let secret = Secret("hunter2".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }

    #[test]
    fn url_with_credentials_is_refused() {
        let error = check_url("k", "url", "http://user:pw@127.0.0.1/").unwrap_err();
        assert!(
            error.to_string().contains("must not carry credentials"),
            "{error}"
        );
        assert!(!error.to_string().contains("pw@"));
        assert!(check_url("k", "url", "ftp://127.0.0.1/").is_err());
        assert!(check_url("k", "url", "http://127.0.0.1:13013/cgi-bin/sendsms").is_ok());
    }
}
