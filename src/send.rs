//! The send engine: hands each pending recipient to a [`Gateway`] exactly once,
//! paced to a rate, with N requests in flight, retrying what is safe to retry,
//! and journalling every step in the [`Ledger`] so a crash never resends an
//! accepted message nor loses a recipient.
//!
//! Time only comes from the injected [`Clock`], so tests are deterministic.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveTime, Utc};
use serde::Serialize;

use crate::gateway::{Gateway, Outcome, OutgoingSms};
use crate::ledger::{Counts, Ledger, LedgerError, RecipientState, Recorded};
use crate::smstext::Encoding;

/// One message to one recipient.
#[derive(Debug, Clone)]
pub struct Message {
    /// E.164 number, e.g. `+6281200001234`; the ledger key.
    pub to: String,
    /// Rendered text (shared: a broadcast usually has one text for all).
    pub text: Arc<str>,
    pub encoding: Encoding,
}

/// Where time comes from: monotonic time for pacing and backoff, local wall time
/// for quiet hours and the summary.
pub trait Clock: Send + Sync {
    /// Time since an arbitrary, fixed origin; never goes back.
    fn monotonic(&self) -> Duration;
    /// Blocks the calling thread for `duration`.
    fn sleep(&self, duration: Duration);
    /// Local date and time in the workspace's time zone.
    fn local_now(&self) -> DateTime<FixedOffset>;
}

/// The real clock, in the time zone the caller gives (e.g. WIB, UTC+7).
#[derive(Debug, Clone)]
pub struct SystemClock {
    origin: std::time::Instant,
    offset: FixedOffset,
}

impl SystemClock {
    pub fn new(offset: FixedOffset) -> SystemClock {
        SystemClock {
            origin: std::time::Instant::now(),
            offset,
        }
    }
}

impl Clock for SystemClock {
    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
    fn local_now(&self) -> DateTime<FixedOffset> {
        Utc::now().with_timezone(&self.offset)
    }
}

/// A daily window in which no message may start, e.g. 21:00–06:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            start: NaiveTime::from_hms_opt(21, 0, 0).expect("valid time"),
            end: NaiveTime::from_hms_opt(6, 0, 0).expect("valid time"),
        }
    }
}

impl QuietHours {
    /// Reads `send.quiet_hours` of `sms-bcast.yaml`: `HH:MM-HH:MM` (local time),
    /// or `off` for no window (`None`).
    pub fn parse_setting(text: &str) -> Result<Option<QuietHours>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") || text.eq_ignore_ascii_case("none") {
            return Ok(None);
        }
        let bad = || {
            format!(
                "send.quiet_hours `{text}` is not a window like 21:00-06:00 (or `off`); fix it in sms-bcast.yaml"
            )
        };
        let (start, end) = text.split_once('-').ok_or_else(bad)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (time(start)?, time(end)?);
        if start == end {
            return Err(bad());
        }
        Ok(Some(QuietHours { start, end }))
    }

    /// Whether `time` falls in the window (start inclusive, end exclusive; the
    /// window may wrap past midnight).
    pub fn contains(&self, time: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }
}

/// Shared flag to stop a run (Ctrl-C): no new message starts, in-flight ones
/// finish, the rest stay pending.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<std::sync::atomic::AtomicBool>);

impl StopFlag {
    pub fn new() -> StopFlag {
        StopFlag::default()
    }
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// How to send.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Recipients (gateway requests) per second; `None` sends as fast as the gateway takes them.
    pub rate: Option<f64>,
    /// Requests in flight at once (worker threads).
    pub concurrency: usize,
    /// Retries after a temporary failure before the recipient is failed (retryable).
    pub max_retries: u32,
    /// Retries after throttling before the recipient is failed (retryable).
    pub max_throttled: u32,
    /// First backoff; doubles per retry, with jitter, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Resend recipients whose outcome is unknown (the operator's decision).
    pub resend_unknown: bool,
    /// No message starts inside this window; `None` when the operator overrides it.
    pub quiet_hours: Option<QuietHours>,
    pub stop: StopFlag,
    /// In-flight marks per fsync'ed group; `None` picks one from rate and concurrency.
    /// A crash can leave at most about one group (two when unpaced, see
    /// `queue_len`) plus the requests in flight unknown.
    pub group_size: Option<usize>,
    /// Results are made durable at least this often.
    pub flush_interval: Duration,
    /// Circuit breaker: after this many recipients in a row end failed or
    /// unknown (none accepted between), the run stops as on Ctrl-C, and the
    /// permanent failures of that streak are recorded retryable: a gateway that
    /// refuses everyone (a wrong password, an outage) is wrong, not the numbers.
    /// 0 turns it off.
    pub max_consecutive_failures: usize,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            rate: Some(20.0),
            concurrency: 4,
            max_retries: 5,
            max_throttled: 20,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            resend_unknown: false,
            quiet_hours: Some(QuietHours::default()),
            stop: StopFlag::new(),
            group_size: None,
            flush_interval: Duration::from_millis(200),
            max_consecutive_failures: 10,
        }
    }
}

impl SendOptions {
    fn group_size(&self) -> usize {
        if let Some(size) = self.group_size {
            return size.max(1);
        }
        // About 25 ms of sending per group: a crash leaves few unknowns, and the
        // fsyncs (one per group) stay well under the rate.
        let per_group = self.rate.map_or(64, |r| (r * 0.025).ceil() as usize);
        per_group.clamp(self.concurrency, 64.max(self.concurrency))
    }

    /// Messages waiting for a worker. Unpaced, a whole marked group fits, so
    /// the workers keep sending while the next group's marks are fsync'ed
    /// (with a queue of `concurrency` they sat idle during every fsync, and a
    /// send to a fast gateway ran at a third of its speed). Paced, the pacer is
    /// the limit, so the queue stays short and a crash leaves fewer unknowns.
    fn queue_len(&self) -> usize {
        match self.rate {
            Some(_) => self.concurrency,
            None => self.concurrency + self.group_size(),
        }
    }
}

/// Why a run ended before every recipient was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// The stop flag was raised (Ctrl-C).
    Requested,
    /// Quiet hours began (or had begun before the run).
    QuietHours,
    /// `max_consecutive_failures` recipients in a row failed or ended unknown:
    /// the gateway (credentials, URL, outage) is at fault, so nothing more is sent.
    GatewayFailing,
}

/// Told about the run as it goes; the CLI draws a progress bar from it.
/// Called on the thread that called [`run`].
pub trait Progress {
    /// A recipient already done by an earlier run (not sent again).
    fn already_done(&mut self, _state: &RecipientState) {}
    /// A recipient finished in this run.
    fn done(&mut self, _state: &RecipientState) {}
    /// The gateway throttled; sending pauses for `wait`.
    fn throttled(&mut self, _wait: Duration) {}
    /// The run is stopping: in-flight messages finish, no new ones start.
    fn stopping(&mut self, _reason: StopReason) {}
}

/// A [`Progress`] that ignores everything.
pub struct NoProgress;
impl Progress for NoProgress {}

/// A recipient that needs the operator's attention, number masked for logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub number: String,
    pub reason: String,
}

/// What a run did and where the broadcast stands.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub gateway: String,
    pub started: DateTime<FixedOffset>,
    pub finished: DateTime<FixedOffset>,
    /// State of every recipient given to the run (earlier runs included).
    pub counts: Counts,
    /// Recipients handed to the gateway in this run.
    pub sent_this_run: usize,
    /// Recipients listed more than once (sent once).
    pub duplicates: usize,
    /// Set when the run ended early; the pending ones are for a later run.
    pub stopped: Option<StopReason>,
    /// The gateway's reason for the last failure or unknown outcome of this run
    /// (as the gateway reported it; sanitise before printing).
    pub last_failure: Option<String>,
    pub failed: Vec<Problem>,
    pub unknown: Vec<Problem>,
}

impl Summary {
    /// True when every recipient was accepted.
    pub fn complete(&self) -> bool {
        self.counts.failed == 0 && self.counts.unknown == 0 && self.counts.pending == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("invalid send option: {0}")]
    Options(String),
}

/// `+6281200001234` → `+62812****1234`: enough to tell numbers apart in a log,
/// not enough to call one.
pub fn mask_phone(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    let tail = 4;
    if chars.len() < tail + 4 {
        return "*".repeat(chars.len());
    }
    // Keep the country and operator prefix, hide at least two digits.
    let head = 6.min(chars.len() - tail - 2);
    let hidden = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[head + hidden..]);
    out
}

const RUNNING: u8 = 0;
const STOP_REQUESTED: u8 = 1;
const STOP_QUIET: u8 = 2;
const STOP_FAILED: u8 = 3;
const STOP_GATEWAY: u8 = 4;

/// State shared by the coordinator and the workers.
struct Shared<'a> {
    clock: &'a dyn Clock,
    options: &'a SendOptions,
    stop: AtomicU8,
    pacer: Mutex<Pacer>,
    /// Recipients in a row that ended failed or unknown, counted by the workers
    /// as replies come so the breaker stops them at once.
    failures: AtomicUsize,
}

impl Shared<'_> {
    /// Why to stop, if anything says so now.
    fn should_stop(&self) -> bool {
        if self.stop.load(Ordering::SeqCst) != RUNNING {
            return true;
        }
        if self.options.stop.is_stopped() {
            self.halt(STOP_REQUESTED);
            return true;
        }
        if let Some(quiet) = &self.options.quiet_hours
            && quiet.contains(self.clock.local_now().time())
        {
            self.halt(STOP_QUIET);
            return true;
        }
        false
    }

    /// The circuit breaker: counts a recipient's final result; stops the run
    /// when `max_consecutive_failures` in a row were not accepted.
    fn count(&self, result: &Recorded) {
        let limit = self.options.max_consecutive_failures;
        match result {
            Recorded::Released => {}
            Recorded::Accepted { .. } => self.failures.store(0, Ordering::SeqCst),
            Recorded::Failed { .. } | Recorded::Unknown { .. } => {
                let streak = self.failures.fetch_add(1, Ordering::SeqCst) + 1;
                if limit > 0 && streak >= limit {
                    self.halt(STOP_GATEWAY);
                }
            }
        }
    }

    fn halt(&self, reason: u8) {
        let _ = self
            .stop
            .compare_exchange(RUNNING, reason, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Sleeps until `until` (monotonic), waking often to notice a stop.
    /// Returns false when stopped first.
    fn sleep_until(&self, until: Duration) -> bool {
        loop {
            if self.should_stop() {
                return false;
            }
            let now = self.clock.monotonic();
            if now >= until {
                return true;
            }
            self.clock
                .sleep((until - now).min(Duration::from_millis(100)));
        }
    }

    /// Waits for this request's turn under the rate and any throttling pause.
    fn wait_turn(&self) -> bool {
        loop {
            let slot = self
                .pacer
                .lock()
                .expect("pacer lock")
                .reserve(self.clock.monotonic());
            if !self.sleep_until(slot) {
                return false;
            }
            // A throttle reply while we slept pushes everyone back.
            let paused = self.pacer.lock().expect("pacer lock").paused_until;
            if paused <= self.clock.monotonic() {
                return true;
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.options.backoff.as_secs_f64() * 2f64.powi(attempt.saturating_sub(1) as i32);
        let full = base.min(self.options.max_backoff.as_secs_f64());
        // Half fixed, half random, so retries of many workers spread out.
        let jitter = (getrandom::u64().unwrap_or(0) % 1_000_000) as f64 / 1_000_000.0;
        Duration::from_secs_f64(full / 2.0 + full / 2.0 * jitter)
    }
}

/// Pacing scheduler: one slot every `1/rate` seconds, no bursts, plus a pause
/// the gateway can impose by throttling.
struct Pacer {
    interval: Option<Duration>,
    next: Duration,
    paused_until: Duration,
}

impl Pacer {
    fn reserve(&mut self, now: Duration) -> Duration {
        let slot = self.next.max(now).max(self.paused_until);
        if let Some(interval) = self.interval {
            self.next = slot + interval;
        }
        slot
    }
}

/// What a worker reports to the coordinator.
enum Report {
    Finished { to: String, result: Recorded },
    Throttled(Duration),
}

/// Sends every pending recipient of `recipients` through `gateway`, recording
/// each step in `ledger`. Returns when all are done, or early (with
/// `Summary::stopped`) on the stop flag or quiet hours. Accepted and permanently
/// failed recipients of earlier runs are skipped; unknown ones too unless
/// `options.resend_unknown`.
pub fn run<I>(
    gateway: &dyn Gateway,
    recipients: I,
    ledger: &mut Ledger,
    options: &SendOptions,
    clock: &dyn Clock,
    progress: &mut dyn Progress,
) -> Result<Summary, SendError>
where
    I: IntoIterator<Item = Message>,
{
    if options.concurrency == 0 {
        return Err(SendError::Options(
            "concurrency must be at least 1; use --concurrency 1 or more".into(),
        ));
    }
    if let Some(rate) = options.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(SendError::Options(format!(
            "rate must be a positive number of recipients per second, got {rate}"
        )));
    }
    let started = clock.local_now();
    let shared = Shared {
        clock,
        options,
        stop: AtomicU8::new(RUNNING),
        failures: AtomicUsize::new(0),
        pacer: Mutex::new(Pacer {
            interval: options.rate.map(|r| Duration::from_secs_f64(1.0 / r)),
            next: Duration::ZERO,
            paused_until: Duration::ZERO,
        }),
    };
    let request_id = ledger.header().request_id.clone();
    let mut coordinator = Coordinator {
        ledger,
        progress,
        seen: std::collections::HashSet::new(),
        duplicates: 0,
        sent: 0,
        last_flush: clock.monotonic(),
        stop_told: false,
        streak: Vec::new(),
        tripped: false,
        converting: false,
        last_failure: None,
    };
    let mut recipients = recipients.into_iter();

    let (job_tx, job_rx) = mpsc::sync_channel::<Message>(options.queue_len());
    let job_rx = Mutex::new(job_rx);
    let (report_tx, report_rx) = mpsc::channel::<Report>();
    let outcome = std::thread::scope(|scope| -> Result<(), SendError> {
        for _ in 0..options.concurrency {
            let report_tx = report_tx.clone();
            let (job_rx, shared, request_id) = (&job_rx, &shared, &request_id);
            scope.spawn(move || worker(gateway, shared, request_id, job_rx, report_tx));
        }
        drop(report_tx);
        let mut outcome = coordinator.feed(&shared, &mut recipients, &job_tx, &report_rx);
        drop(job_tx);
        // Workers finish their in-flight messages and exit; record what they report,
        // still flushing in groups so a long retry does not hold results in memory.
        loop {
            match report_rx.recv_timeout(Duration::from_millis(10)) {
                Ok(report) => coordinator.take(&shared, report),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if outcome.is_ok() {
                outcome = coordinator.flush_due(&shared);
            }
        }
        outcome
    });
    if let Err(error) = outcome {
        // Results received so far are worth keeping; the rest become unknown on reopen.
        let _ = coordinator.ledger.flush();
        return Err(error);
    }
    coordinator.ledger.flush()?;
    // A run too short to trip the breaker in which the gateway took nobody says
    // the same as a trip: the gateway is wrong, not every number.
    if options.max_consecutive_failures > 0
        && shared.stop.load(Ordering::SeqCst) == RUNNING
        && !coordinator.streak.is_empty()
        && coordinator.ledger.counts().accepted == 0
    {
        for (to, reason) in std::mem::take(&mut coordinator.streak) {
            coordinator.ledger.record(
                &to,
                Recorded::Failed {
                    reason,
                    retryable: true,
                },
            );
        }
        coordinator.ledger.flush()?;
        shared.halt(STOP_GATEWAY);
    }

    let stopped = match shared.stop.load(Ordering::SeqCst) {
        STOP_REQUESTED => Some(StopReason::Requested),
        STOP_QUIET => Some(StopReason::QuietHours),
        STOP_GATEWAY => Some(StopReason::GatewayFailing),
        _ => None,
    };
    if let Some(reason) = stopped {
        coordinator.tell_stop(reason);
    }
    // Count the ones never reached (after a stop) too: the summary covers all.
    for message in recipients {
        coordinator.seen.insert(message.to);
    }
    Ok(coordinator.summary(gateway.name(), started, clock.local_now(), stopped))
}

struct Coordinator<'l, 'p> {
    ledger: &'l mut Ledger,
    progress: &'p mut dyn Progress,
    seen: std::collections::HashSet<String>,
    duplicates: usize,
    sent: usize,
    last_flush: Duration,
    stop_told: bool,
    /// Permanent failures (number, reason) since the last accepted recipient:
    /// made retryable if the breaker trips before an acceptance.
    streak: Vec<(String, String)>,
    /// The breaker's trip was seen here.
    tripped: bool,
    /// Permanent failures are recorded retryable (tripped, none accepted since).
    converting: bool,
    last_failure: Option<String>,
}

impl Coordinator<'_, '_> {
    /// Builds groups of sendable recipients, makes their in-flight marks durable,
    /// then hands them to the workers, recording results as they come.
    fn feed(
        &mut self,
        shared: &Shared<'_>,
        recipients: &mut dyn Iterator<Item = Message>,
        job_tx: &mpsc::SyncSender<Message>,
        report_rx: &mpsc::Receiver<Report>,
    ) -> Result<(), SendError> {
        let group_size = shared.options.group_size();
        let mut group: Vec<Message> = Vec::with_capacity(group_size);
        loop {
            if shared.should_stop() {
                return Ok(());
            }
            group.clear();
            for message in &mut *recipients {
                if !self.seen.insert(message.to.clone()) {
                    self.duplicates += 1;
                    continue;
                }
                let send = match self.ledger.state(&message.to) {
                    RecipientState::Pending => true,
                    RecipientState::Failed { retryable, .. } => *retryable,
                    RecipientState::Unknown { .. } => shared.options.resend_unknown,
                    RecipientState::Accepted { .. } | RecipientState::InFlight => false,
                };
                if send {
                    group.push(message);
                    if group.len() == group_size {
                        break;
                    }
                } else {
                    self.progress.already_done(self.ledger.state(&message.to));
                }
            }
            if group.is_empty() {
                return Ok(());
            }
            // Durable before any of the group leaves (buffered results ride along).
            if let Err(error) = self
                .ledger
                .mark_in_flight(group.iter().map(|m| m.to.as_str()))
            {
                shared.halt(STOP_FAILED);
                return Err(error.into());
            }
            self.last_flush = shared.clock.monotonic();
            for message in group.drain(..) {
                let mut job = message;
                loop {
                    match job_tx.try_send(job) {
                        Ok(()) => break,
                        Err(mpsc::TrySendError::Full(back)) => {
                            job = back;
                            self.wait_report(shared, report_rx)?;
                        }
                        // Workers only hang up after a panic; keep the mark, it becomes unknown.
                        Err(mpsc::TrySendError::Disconnected(_)) => return Ok(()),
                    }
                }
            }
            // Flush results that are due before building the next group.
            self.flush_due(shared)?;
        }
    }

    /// Waits briefly for one report, records it, and flushes results when due.
    fn wait_report(
        &mut self,
        shared: &Shared<'_>,
        report_rx: &mpsc::Receiver<Report>,
    ) -> Result<(), SendError> {
        // Real time here: this only bounds how long results sit in memory.
        if let Ok(report) = report_rx.recv_timeout(Duration::from_millis(10)) {
            self.take(shared, report);
            while let Ok(report) = report_rx.try_recv() {
                self.take(shared, report);
            }
        }
        self.flush_due(shared)
    }

    fn flush_due(&mut self, shared: &Shared<'_>) -> Result<(), SendError> {
        let now = shared.clock.monotonic();
        let due = self.ledger.unflushed_bytes() > 0
            && (self.ledger.unflushed_bytes() > 64 * 1024
                || now.saturating_sub(self.last_flush) >= shared.options.flush_interval);
        if due {
            if let Err(error) = self.ledger.flush() {
                shared.halt(STOP_FAILED);
                return Err(error.into());
            }
            self.last_flush = now;
        }
        Ok(())
    }

    fn take(&mut self, shared: &Shared<'_>, report: Report) {
        match report {
            Report::Throttled(wait) => self.progress.throttled(wait),
            Report::Finished { to, result } => {
                if result != Recorded::Released {
                    self.sent += 1;
                }
                let result = self.breaker(shared, &to, result);
                self.ledger.record(&to, result);
                let state = self.ledger.state(&to).clone();
                if state != RecipientState::Pending {
                    self.progress.done(&state);
                }
            }
        }
    }

    /// Once the breaker tripped (see [`Shared::count`]), records the permanent
    /// failures of the streak that tripped it (the ones already recorded, this
    /// one and those still in flight) as retryable, so the next run tries them.
    fn breaker(&mut self, shared: &Shared<'_>, to: &str, result: Recorded) -> Recorded {
        let permanent = match &result {
            Recorded::Accepted { .. } => {
                // The gateway works: failures after this one are the numbers' own.
                self.streak.clear();
                self.converting = false;
                return result;
            }
            Recorded::Released => return result,
            Recorded::Failed {
                reason,
                retryable: false,
            } => Some(reason.clone()),
            Recorded::Failed { reason, .. } | Recorded::Unknown { reason } => {
                self.last_failure = Some(reason.clone());
                None
            }
        };
        if let Some(reason) = &permanent {
            self.last_failure = Some(reason.clone());
        }
        if !self.tripped && shared.stop.load(Ordering::SeqCst) == STOP_GATEWAY {
            self.tripped = true;
            self.converting = true;
        }
        if !self.converting {
            if let Some(reason) = permanent {
                self.streak.push((to.to_string(), reason));
            }
            return result;
        }
        for (earlier, reason) in self.streak.drain(..) {
            self.ledger.record(
                &earlier,
                Recorded::Failed {
                    reason,
                    retryable: true,
                },
            );
        }
        match permanent {
            Some(reason) => Recorded::Failed {
                reason,
                retryable: true,
            },
            None => result,
        }
    }

    fn tell_stop(&mut self, reason: StopReason) {
        if !self.stop_told {
            self.stop_told = true;
            self.progress.stopping(reason);
        }
    }

    fn summary(
        &self,
        gateway: &str,
        started: DateTime<FixedOffset>,
        finished: DateTime<FixedOffset>,
        stopped: Option<StopReason>,
    ) -> Summary {
        let mut counts = Counts::default();
        let mut failed = Vec::new();
        let mut unknown = Vec::new();
        for to in &self.seen {
            match self.ledger.state(to) {
                RecipientState::Pending => counts.pending += 1,
                RecipientState::Accepted { .. } => counts.accepted += 1,
                RecipientState::Failed { reason, .. } => {
                    counts.failed += 1;
                    failed.push(Problem {
                        number: mask_phone(to),
                        reason: reason.clone(),
                    });
                }
                RecipientState::Unknown { reason } => {
                    counts.unknown += 1;
                    unknown.push(Problem {
                        number: mask_phone(to),
                        reason: reason.clone(),
                    });
                }
                RecipientState::InFlight => {
                    counts.unknown += 1;
                    unknown.push(Problem {
                        number: mask_phone(to),
                        reason: crate::ledger::INTERRUPTED.to_string(),
                    });
                }
            }
        }
        failed.sort_by(|a, b| a.number.cmp(&b.number));
        unknown.sort_by(|a, b| a.number.cmp(&b.number));
        Summary {
            gateway: gateway.to_string(),
            started,
            finished,
            counts,
            sent_this_run: self.sent,
            duplicates: self.duplicates,
            stopped,
            last_failure: self.last_failure.clone(),
            failed,
            unknown,
        }
    }
}

/// Takes messages until the coordinator hangs up; each one ends as exactly one report.
fn worker(
    gateway: &dyn Gateway,
    shared: &Shared<'_>,
    request_id: &str,
    jobs: &Mutex<mpsc::Receiver<Message>>,
    reports: mpsc::Sender<Report>,
) {
    loop {
        let job = jobs.lock().expect("job queue lock").recv();
        let Ok(message) = job else { return };
        let result = send_one(gateway, shared, request_id, &message, &reports);
        shared.count(&result);
        if reports
            .send(Report::Finished {
                to: message.to,
                result,
            })
            .is_err()
        {
            return;
        }
    }
}

/// One recipient, with its retries. `Released` means the gateway never took it.
fn send_one(
    gateway: &dyn Gateway,
    shared: &Shared<'_>,
    request_id: &str,
    message: &Message,
    reports: &mpsc::Sender<Report>,
) -> Recorded {
    let reference = format!("{request_id}/{}", message.to);
    let sms = OutgoingSms {
        to: &message.to,
        text: &message.text,
        encoding: message.encoding,
        reference: &reference,
    };
    let (mut temporary, mut throttled) = (0u32, 0u32);
    loop {
        // Every earlier attempt was refused, so stopping here sends nothing twice.
        if !shared.wait_turn() {
            return Recorded::Released;
        }
        match gateway.send(&sms) {
            Outcome::Accepted { message_id } => return Recorded::Accepted { message_id },
            Outcome::PermanentFailure { detail } => {
                return Recorded::Failed {
                    reason: detail,
                    retryable: false,
                };
            }
            Outcome::Unknown { detail } => return Recorded::Unknown { reason: detail },
            Outcome::Throttled {
                retry_after,
                detail,
            } => {
                throttled += 1;
                if throttled > shared.options.max_throttled {
                    return Recorded::Failed {
                        reason: format!("still throttled after {throttled} tries: {detail}"),
                        retryable: true,
                    };
                }
                let wait = retry_after.unwrap_or_else(|| shared.backoff(throttled));
                let mut pacer = shared.pacer.lock().expect("pacer lock");
                let until = shared.clock.monotonic() + wait;
                pacer.paused_until = pacer.paused_until.max(until);
                drop(pacer);
                let _ = reports.send(Report::Throttled(wait));
            }
            Outcome::TemporaryFailure { detail } => {
                temporary += 1;
                if temporary > shared.options.max_retries {
                    return Recorded::Failed {
                        reason: format!("{detail} (gave up after {temporary} tries)"),
                        retryable: true,
                    };
                }
                let until = shared.clock.monotonic() + shared.backoff(temporary);
                if !shared.sleep_until(until) {
                    return Recorded::Released;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use chrono::TimeZone;

    use super::*;
    use crate::ledger::LedgerHeader;

    /// Virtual time: `sleep` advances it, nothing waits.
    struct FakeClock {
        now: Mutex<Duration>,
        start: DateTime<FixedOffset>,
    }

    impl FakeClock {
        fn at(hour: u32, minute: u32, second: u32) -> FakeClock {
            let wib = FixedOffset::east_opt(7 * 3600).unwrap();
            FakeClock {
                now: Mutex::new(Duration::ZERO),
                start: wib
                    .with_ymd_and_hms(2026, 3, 2, hour, minute, second)
                    .unwrap(),
            }
        }
    }

    impl Clock for FakeClock {
        fn monotonic(&self) -> Duration {
            *self.now.lock().unwrap()
        }
        fn sleep(&self, duration: Duration) {
            *self.now.lock().unwrap() += duration;
        }
        fn local_now(&self) -> DateTime<FixedOffset> {
            self.start + chrono::Duration::from_std(self.monotonic()).unwrap()
        }
    }

    /// A gateway whose reply to each call is decided by `reply(number, nth call for it)`.
    struct Scripted<'c, F> {
        reply: F,
        calls: Mutex<HashMap<String, u32>>,
        times: Mutex<Vec<Duration>>,
        clock: &'c FakeClock,
    }

    impl<'c, F: Fn(&str, u32) -> Outcome + Send + Sync> Scripted<'c, F> {
        fn new(clock: &'c FakeClock, reply: F) -> Self {
            Scripted {
                reply,
                calls: Mutex::new(HashMap::new()),
                times: Mutex::new(Vec::new()),
                clock,
            }
        }
        fn calls(&self, to: &str) -> u32 {
            self.calls.lock().unwrap().get(to).copied().unwrap_or(0)
        }
        fn total(&self) -> u32 {
            self.calls.lock().unwrap().values().sum()
        }
    }

    impl<F: Fn(&str, u32) -> Outcome + Send + Sync> Gateway for Scripted<'_, F> {
        fn name(&self) -> &str {
            "scripted"
        }
        fn max_parts(&self) -> u32 {
            10
        }
        fn send(&self, sms: &OutgoingSms<'_>) -> Outcome {
            let nth = {
                let mut calls = self.calls.lock().unwrap();
                let n = calls.entry(sms.to.to_string()).or_default();
                *n += 1;
                *n
            };
            self.times.lock().unwrap().push(self.clock.monotonic());
            (self.reply)(sms.to, nth)
        }
    }

    fn accept(to: &str, _: u32) -> Outcome {
        Outcome::Accepted {
            message_id: Some(format!("id-{to}")),
        }
    }

    fn numbers(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("+62812{:08}", i)).collect()
    }

    fn messages(numbers: &[String]) -> Vec<Message> {
        let text: Arc<str> = Arc::from("Jadwal posyandu besok 08.00");
        numbers
            .iter()
            .map(|to| Message {
                to: to.clone(),
                text: text.clone(),
                encoding: Encoding::Gsm7,
            })
            .collect()
    }

    fn open(path: &Path) -> Ledger {
        let header = LedgerHeader {
            request_id: "2026-0042".into(),
            content_digest: "sha256:aa".into(),
        };
        Ledger::open(path, &header).unwrap()
    }

    fn options() -> SendOptions {
        SendOptions {
            rate: None,
            concurrency: 4,
            quiet_hours: None,
            backoff: Duration::from_millis(100),
            ..SendOptions::default()
        }
    }

    fn ledger_path(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join(".sms-bcast/ledger/2026-0042.ledger")
    }

    fn send(
        gateway: &dyn Gateway,
        numbers: &[String],
        path: &Path,
        options: &SendOptions,
        clock: &FakeClock,
    ) -> Summary {
        let mut ledger = open(path);
        run(
            gateway,
            messages(numbers),
            &mut ledger,
            options,
            clock,
            &mut NoProgress,
        )
        .unwrap()
    }

    #[test]
    fn every_recipient_is_sent_once_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let gateway = Scripted::new(&clock, accept);
        let all = numbers(300);
        let summary = send(&gateway, &all, &ledger_path(&dir), &options(), &clock);
        assert!(all.iter().all(|n| gateway.calls(n) == 1));
        assert_eq!(summary.counts.accepted, 300);
        assert_eq!(summary.sent_this_run, 300);
        assert!(summary.complete());
        let ledger = open(&ledger_path(&dir));
        assert_eq!(
            ledger.state(&all[7]),
            &RecipientState::Accepted {
                message_id: Some(format!("id-{}", all[7]))
            }
        );
        drop(ledger);
        // A second run has nothing left to send.
        let again = send(&gateway, &all, &ledger_path(&dir), &options(), &clock);
        assert_eq!(gateway.total(), 300);
        assert_eq!(again.sent_this_run, 0);
        assert_eq!(again.counts.accepted, 300);
    }

    #[test]
    fn in_flight_mark_is_on_disk_before_the_request_leaves() {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger_path(&dir);
        let clock = FakeClock::at(9, 0, 0);
        let unmarked = Mutex::new(Vec::new());
        let gateway = Scripted::new(&clock, |to: &str, _| {
            let on_disk = std::fs::read_to_string(&path).unwrap();
            let mark = format!(r#"{{"t":"in-flight","to":"{to}"}}"#);
            if !on_disk.lines().any(|line| line == mark) {
                unmarked.lock().unwrap().push(to.to_string());
            }
            accept(to, 1)
        });
        let all = numbers(120);
        let opts = SendOptions {
            group_size: Some(7),
            concurrency: 3,
            ..options()
        };
        let summary = send(&gateway, &all, &path, &opts, &clock);
        assert_eq!(summary.counts.accepted, 120);
        assert_eq!(unmarked.lock().unwrap().len(), 0, "sent before marked");
    }

    /// Largest number of sends within any one-second window.
    fn busiest_second(times: &[Duration]) -> usize {
        let mut times = times.to_vec();
        times.sort();
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end] - times[start] >= Duration::from_secs(1) {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    #[test]
    fn rate_is_held_in_every_second() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let gateway = Scripted::new(&clock, accept);
        let opts = SendOptions {
            rate: Some(50.0),
            concurrency: 1,
            ..options()
        };
        send(&gateway, &numbers(500), &ledger_path(&dir), &opts, &clock);
        let times = gateway.times.lock().unwrap().clone();
        assert_eq!(times.len(), 500);
        assert!(busiest_second(&times) <= 55, "{}", busiest_second(&times));
        // Not slower than asked either: 499 gaps of 20 ms.
        let span = *times.last().unwrap() - times[0];
        assert!(span >= Duration::from_millis(9_980) && span < Duration::from_millis(10_100));
    }

    #[test]
    fn throttled_recipients_are_all_delivered_once() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        // Like Twilio's 429 with Retry-After for some, Jasmin's 403 without it for others.
        let gateway = Scripted::new(&clock, |to: &str, nth| {
            let digit = to.as_bytes()[to.len() - 1];
            match (digit % 3, nth) {
                (0, 1) | (0, 2) => Outcome::Throttled {
                    retry_after: Some(Duration::from_secs(2)),
                    detail: "429 Too Many Requests".into(),
                },
                (1, 1) => Outcome::Throttled {
                    retry_after: None,
                    detail: "403 User throughput exceeded".into(),
                },
                _ => accept(to, nth),
            }
        });
        let all = numbers(200);
        let accepted = Mutex::new(0usize);
        struct Count<'a>(&'a Mutex<usize>, usize);
        impl Progress for Count<'_> {
            fn done(&mut self, state: &RecipientState) {
                if matches!(state, RecipientState::Accepted { .. }) {
                    *self.0.lock().unwrap() += 1;
                }
            }
            fn throttled(&mut self, _: Duration) {
                self.1 += 1;
            }
        }
        let mut progress = Count(&accepted, 0);
        let mut ledger = open(&ledger_path(&dir));
        let summary = run(
            &gateway,
            messages(&all),
            &mut ledger,
            &options(),
            &clock,
            &mut progress,
        )
        .unwrap();
        assert_eq!(summary.counts.accepted, 200);
        assert_eq!(*accepted.lock().unwrap(), 200, "each accepted exactly once");
        assert!(progress.1 > 0);
        for to in &all {
            let expected = match to.as_bytes()[to.len() - 1] % 3 {
                0 => 3,
                1 => 2,
                _ => 1,
            };
            assert_eq!(gateway.calls(to), expected, "{to}");
        }
        // Two 2-second pauses at least were honoured.
        assert!(clock.monotonic() >= Duration::from_secs(4));
    }

    #[test]
    fn timeout_is_unknown_and_only_resent_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let all = numbers(50);
        let timing_out = all[10].clone();
        let gateway = Scripted::new(&clock, |to: &str, nth| {
            if to == timing_out && nth == 1 {
                Outcome::Unknown {
                    detail: "timed out after 30 s waiting for the gateway's reply".into(),
                }
            } else {
                accept(to, nth)
            }
        });
        let path = ledger_path(&dir);
        let first = send(&gateway, &all, &path, &options(), &clock);
        assert_eq!(first.counts.unknown, 1);
        assert_eq!(first.unknown[0].number, "+62812****0010");
        assert!(first.unknown[0].reason.contains("timed out"));
        assert!(!first.complete());

        let second = send(&gateway, &all, &path, &options(), &clock);
        assert_eq!(
            gateway.calls(&timing_out),
            1,
            "unknown resent without being asked"
        );
        assert_eq!(second.counts.unknown, 1);

        let opts = SendOptions {
            resend_unknown: true,
            ..options()
        };
        let third = send(&gateway, &all, &path, &opts, &clock);
        assert_eq!(gateway.calls(&timing_out), 2);
        assert_eq!(third.sent_this_run, 1);
        assert!(third.complete());
    }

    #[test]
    fn temporary_failures_are_retried_with_a_bound() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let all = numbers(20);
        let always_down = all[0].clone();
        let gateway = Scripted::new(&clock, |to: &str, nth| {
            if to == always_down || nth <= 2 {
                Outcome::TemporaryFailure {
                    detail: "503 Temporal failure, try again later.".into(),
                }
            } else {
                accept(to, nth)
            }
        });
        let opts = SendOptions {
            max_retries: 3,
            ..options()
        };
        let path = ledger_path(&dir);
        let summary = send(&gateway, &all, &path, &opts, &clock);
        assert_eq!(summary.counts.accepted, 19);
        assert!(all[1..].iter().all(|n| gateway.calls(n) == 3));
        assert_eq!(gateway.calls(&always_down), 4, "one try and three retries");
        assert_eq!(summary.counts.failed, 1);
        assert!(summary.failed[0].reason.contains("gave up after 4 tries"));
        // Backoff 100, 200, 400 ms with jitter of at most half each.
        assert!(clock.monotonic() >= Duration::from_millis(350));

        // Not taken, so a later run tries again.
        send(&gateway, &all, &path, &opts, &clock);
        assert_eq!(gateway.calls(&always_down), 8);
    }

    #[test]
    fn permanent_failure_is_never_retried() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let all = numbers(5);
        let gateway = Scripted::new(&clock, |to: &str, nth| {
            if to == "+6281200000003" {
                Outcome::PermanentFailure {
                    detail: "21211 invalid 'To' number".into(),
                }
            } else {
                accept(to, nth)
            }
        });
        let path = ledger_path(&dir);
        send(&gateway, &all, &path, &options(), &clock);
        let again = send(&gateway, &all, &path, &options(), &clock);
        assert_eq!(gateway.calls("+6281200000003"), 1);
        assert_eq!(again.counts.failed, 1);
        assert_eq!(again.counts.accepted, 4);
    }

    #[test]
    fn stop_flag_finishes_in_flight_and_leaves_the_rest_pending() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let stop = StopFlag::new();
        let gateway = Scripted::new(&clock, |to: &str, nth| {
            if to == "+6281200000040" {
                stop.stop();
            }
            accept(to, nth)
        });
        let all = numbers(400);
        let path = ledger_path(&dir);
        let opts = SendOptions {
            stop: stop.clone(),
            concurrency: 2,
            ..options()
        };
        let first = send(&gateway, &all, &path, &opts, &clock);
        assert_eq!(first.stopped, Some(StopReason::Requested));
        assert_eq!(first.counts.unknown, 0);
        assert!(first.counts.pending > 300, "{:?}", first.counts);
        assert_eq!(first.counts.accepted + first.counts.pending, 400);
        assert_eq!(first.counts.accepted, gateway.total() as usize);

        let resumed = send(&gateway, &all, &path, &options(), &clock);
        assert!(resumed.complete());
        assert!(all.iter().all(|n| gateway.calls(n) == 1));
    }

    #[test]
    fn quiet_hours_stop_the_run_and_it_resumes_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger_path(&dir);
        let clock = FakeClock::at(20, 59, 50);
        let gateway = Scripted::new(&clock, accept);
        let all = numbers(30);
        let opts = SendOptions {
            rate: Some(1.0),
            concurrency: 1,
            quiet_hours: Some(QuietHours::default()),
            ..options()
        };
        let evening = send(&gateway, &all, &path, &opts, &clock);
        assert_eq!(evening.stopped, Some(StopReason::QuietHours));
        // Sends at 20:59:50 … 20:59:59, none from 21:00.
        assert_eq!(evening.counts.accepted, 10);
        assert_eq!(evening.counts.pending, 20);

        let night = send(&gateway, &all, &path, &opts, &FakeClock::at(3, 0, 0));
        assert_eq!(night.stopped, Some(StopReason::QuietHours));
        assert_eq!(night.sent_this_run, 0);

        let overridden = SendOptions {
            quiet_hours: None,
            ..opts
        };
        let night = send(&gateway, &all, &path, &overridden, &FakeClock::at(3, 0, 0));
        assert!(night.complete());
        assert_eq!(gateway.total(), 30);
    }

    fn refuse(_: &str, _: u32) -> Outcome {
        Outcome::PermanentFailure {
            detail: "401 Unauthorized: wrong password".into(),
        }
    }

    #[test]
    fn a_gateway_refusing_everyone_stops_the_run_and_the_next_run_retries() {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger_path(&dir);
        let clock = FakeClock::at(9, 0, 0);
        let all = numbers(200);
        // One at a time, so exactly the limit is tried before the stop.
        let opts = SendOptions {
            concurrency: 1,
            ..options()
        };
        let broken = Scripted::new(&clock, refuse);
        let first = send(&broken, &all, &path, &opts, &clock);
        assert_eq!(first.stopped, Some(StopReason::GatewayFailing));
        assert_eq!(broken.total(), 10, "stopped after 10 refusals");
        assert_eq!(first.counts.failed, 10);
        assert_eq!(first.counts.pending, 190);
        assert!(first.last_failure.as_deref().unwrap().contains("401"));
        let ledger = open(&path);
        let refused: Vec<&String> = all
            .iter()
            .filter(|n| matches!(ledger.state(n), RecipientState::Failed { .. }))
            .collect();
        assert_eq!(refused.len(), 10);
        for n in &refused {
            assert!(
                matches!(
                    ledger.state(n),
                    RecipientState::Failed {
                        retryable: true,
                        ..
                    }
                ),
                "{n} closed for good"
            );
        }
        drop(ledger);

        // Password fixed: everyone gets it, the refused ones once more, nobody twice.
        let fixed = Scripted::new(&clock, accept);
        let second = send(&fixed, &all, &path, &opts, &clock);
        assert!(second.complete(), "{:?}", second.counts);
        assert_eq!(second.stopped, None);
        assert!(all.iter().all(|n| fixed.calls(n) == 1));
    }

    #[test]
    fn a_short_list_refused_entirely_stays_open_for_a_retry() {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger_path(&dir);
        let clock = FakeClock::at(9, 0, 0);
        let all = numbers(4);
        let opts = options();
        let broken = Scripted::new(&clock, refuse);
        let first = send(&broken, &all, &path, &opts, &clock);
        assert_eq!(
            first.stopped,
            Some(StopReason::GatewayFailing),
            "fewer than the limit, none taken"
        );
        let ledger = open(&path);
        assert!(all.iter().all(|n| matches!(
            ledger.state(n),
            RecipientState::Failed {
                retryable: true,
                ..
            }
        )));
        drop(ledger);
        let fixed = Scripted::new(&clock, accept);
        let second = send(&fixed, &all, &path, &opts, &clock);
        assert!(second.complete(), "{:?}", second.counts);
        assert!(all.iter().all(|n| fixed.calls(n) == 1));
    }

    #[test]
    fn a_gateway_with_no_clear_answer_stops_the_run_and_unknowns_stay() {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger_path(&dir);
        let clock = FakeClock::at(9, 0, 0);
        let all = numbers(100);
        let opts = SendOptions {
            concurrency: 1,
            ..options()
        };
        let garbage = Scripted::new(&clock, |_: &str, _| Outcome::Unknown {
            detail: "500 Internal Server Error: <html>".into(),
        });
        let first = send(&garbage, &all, &path, &opts, &clock);
        assert_eq!(first.stopped, Some(StopReason::GatewayFailing));
        assert_eq!(garbage.total(), 10);
        assert_eq!(first.counts.unknown, 10);
        assert_eq!(first.counts.pending, 90);

        let fixed = Scripted::new(&clock, accept);
        let second = send(&fixed, &all, &path, &opts, &clock);
        assert_eq!(fixed.total(), 90, "unknowns resent without being asked");
        assert_eq!(second.counts.unknown, 10);
        assert_eq!(second.counts.accepted, 90);
        assert_eq!(second.unknown, first.unknown);
    }

    #[test]
    fn occasional_failures_among_accepted_ones_do_not_stop_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let all = numbers(300);
        // Nine bad numbers in a row out of every ten: never ten in a row.
        let gateway = Scripted::new(&clock, |to: &str, nth| {
            if to.ends_with('0') {
                accept(to, nth)
            } else if to.ends_with('5') {
                Outcome::Unknown {
                    detail: "timed out".into(),
                }
            } else {
                refuse(to, nth)
            }
        });
        let opts = SendOptions {
            concurrency: 1,
            ..options()
        };
        let summary = send(&gateway, &all, &ledger_path(&dir), &opts, &clock);
        assert_eq!(summary.stopped, None);
        assert_eq!(gateway.total(), 300);
        assert_eq!(summary.counts.accepted, 30);
        assert_eq!(summary.counts.unknown, 30);
        assert_eq!(summary.counts.failed, 240);
        // Real refusals of single numbers stay permanent.
        let ledger = open(&ledger_path(&dir));
        assert!(matches!(
            ledger.state(&all[1]),
            RecipientState::Failed {
                retryable: false,
                ..
            }
        ));
    }

    #[test]
    fn with_requests_in_flight_every_refused_one_is_retryable() {
        let dir = tempfile::tempdir().unwrap();
        let path = ledger_path(&dir);
        let clock = FakeClock::at(9, 0, 0);
        let all = numbers(500);
        let broken = Scripted::new(&clock, refuse);
        let first = send(&broken, &all, &path, &options(), &clock);
        assert_eq!(first.stopped, Some(StopReason::GatewayFailing));
        // The ones in flight when it tripped finish, nothing new starts.
        let tried = broken.total() as usize;
        assert!((10..=14).contains(&tried), "{tried}");
        assert_eq!(first.counts.failed, tried);
        assert_eq!(first.counts.pending, 500 - tried);
        let fixed = Scripted::new(&clock, accept);
        let second = send(&fixed, &all, &path, &options(), &clock);
        assert!(second.complete());
        assert!(all.iter().all(|n| fixed.calls(n) == 1));
    }

    #[test]
    fn the_breaker_can_be_turned_off() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let gateway = Scripted::new(&clock, refuse);
        let opts = SendOptions {
            max_consecutive_failures: 0,
            ..options()
        };
        let summary = send(&gateway, &numbers(50), &ledger_path(&dir), &opts, &clock);
        assert_eq!(summary.stopped, None);
        assert_eq!(summary.counts.failed, 50);
    }

    #[test]
    fn duplicates_in_the_list_are_sent_once() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let gateway = Scripted::new(&clock, accept);
        let mut all = numbers(10);
        all.extend(numbers(3));
        let summary = send(&gateway, &all, &ledger_path(&dir), &options(), &clock);
        assert_eq!(summary.duplicates, 3);
        assert_eq!(summary.counts.accepted, 10);
        assert_eq!(gateway.total(), 10);
    }

    #[test]
    fn bad_options_are_refused_before_sending() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FakeClock::at(9, 0, 0);
        let gateway = Scripted::new(&clock, accept);
        let mut ledger = open(&ledger_path(&dir));
        for opts in [
            SendOptions {
                concurrency: 0,
                ..options()
            },
            SendOptions {
                rate: Some(0.0),
                ..options()
            },
        ] {
            let result = run(
                &gateway,
                messages(&numbers(3)),
                &mut ledger,
                &opts,
                &clock,
                &mut NoProgress,
            );
            assert!(matches!(result, Err(SendError::Options(_))));
        }
        assert_eq!(gateway.total(), 0);
    }

    #[test]
    fn phone_numbers_are_masked_for_logs() {
        assert_eq!(mask_phone("+6281200001234"), "+62812****1234");
        assert_eq!(mask_phone("081200001234"), "081200**1234");
        assert_eq!(mask_phone("+62812345"), "+62**2345");
        assert_eq!(mask_phone("12345"), "*****");
    }

    #[test]
    fn quiet_hours_setting_is_a_window_or_off() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let quiet = QuietHours::parse_setting("22:30-05:15").unwrap().unwrap();
        assert_eq!((quiet.start, quiet.end), (t(22, 30), t(5, 15)));
        assert_eq!(QuietHours::parse_setting("off").unwrap(), None);
        for bad in ["21-06", "21:00", "25:00-06:00", "06:00-06:00"] {
            let error = QuietHours::parse_setting(bad).unwrap_err();
            assert!(error.contains("21:00-06:00"), "{bad}: {error}");
        }
    }

    #[test]
    fn quiet_hours_wrap_past_midnight() {
        let quiet = QuietHours::default();
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(quiet.contains(t(21, 0)));
        assert!(quiet.contains(t(23, 59)));
        assert!(quiet.contains(t(5, 59)));
        assert!(!quiet.contains(t(6, 0)));
        assert!(!quiet.contains(t(20, 59)));
        let lunch = QuietHours {
            start: t(12, 0),
            end: t(13, 0),
        };
        assert!(lunch.contains(t(12, 30)) && !lunch.contains(t(13, 0)));
    }
}
