//! A request's records, checked, and the state they put the request in:
//! submitted → advisor approves → decider approves → operator sends → sent.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, FixedOffset};

use crate::digest;
use crate::error::{Error, Result};
use crate::record::{self, Kind, Statement};
use crate::registry::{self, Person, Problem, Registry, Role};
use crate::request::Form;
use crate::workspace::REQUESTS_DIR;
use crate::{keys, sigcheck};

/// One record that passed its checks.
#[derive(Debug, Clone)]
pub struct Record {
    /// Relative to the workspace.
    pub path: PathBuf,
    pub sha256: String,
    pub statement: Statement,
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    AwaitingAdvisor,
    AwaitingDecider,
    /// Both reviewers approved; waiting for the operator.
    Approved,
    /// An operator claimed the broadcast and is sending.
    Sending,
    Sent,
    /// The operator ended a partial broadcast.
    Abandoned,
    Rejected(Role),
    Withdrawn,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::AwaitingAdvisor => "awaiting advisor",
            Stage::AwaitingDecider => "awaiting decider",
            Stage::Approved => "approved",
            Stage::Sending => "sending",
            Stage::Sent => "sent",
            Stage::Abandoned => "abandoned",
            Stage::Rejected(Role::Advisor) => "rejected by advisor",
            Stage::Rejected(_) => "rejected by decider",
            Stage::Withdrawn => "withdrawn",
        }
    }

    /// No further step except a revision (after a rejection) can happen.
    pub fn is_closed(self) -> bool {
        matches!(self, Stage::Sent | Stage::Abandoned | Stage::Withdrawn)
    }

    /// The role whose step is awaited.
    pub fn awaited_role(self) -> Option<Role> {
        match self {
            Stage::AwaitingAdvisor => Some(Role::Advisor),
            Stage::AwaitingDecider => Some(Role::Decider),
            Stage::Approved | Stage::Sending => Some(Role::Operator),
            Stage::Rejected(_) => Some(Role::Requester),
            _ => None,
        }
    }
}

/// A request's records after checking, with the problems and notes found.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub id: String,
    /// Records that passed their checks, oldest first.
    pub records: Vec<Record>,
    /// Everything wrong, each naming its file.
    pub problems: Vec<Problem>,
    /// Things users must know that are not faults (conflicting decisions from
    /// merged clones, approvals that stopped counting after a revocation).
    pub notes: Vec<String>,
    pub stage: Stage,
    /// The current revision and the index of its submit/revise record.
    pub revision: u32,
    revision_record: Option<usize>,
    /// Counting decisions on the current revision, by role.
    decisions: BTreeMap<Role, Vec<usize>>,
    claim: Option<usize>,
    end: Option<usize>,
}

impl Analysis {
    /// Reads and checks every record of request `id`.
    pub fn load(root: &Path, registry: &Registry, id: &str) -> Result<Analysis> {
        let signers = Shared::new(registry);
        load_group(root, registry, &signers, &[id.to_string()])
            .pop()
            .expect("one result per id")
    }

    /// Checks requests `ids` on all cores, signatures in batches, and hands
    /// each analysis to `f` in the order of `ids` (a few at a time, so memory
    /// stays small however many requests there are). Stops at `f`'s first error.
    pub fn load_each<F>(root: &Path, registry: &Registry, ids: &[String], mut f: F) -> Result<()>
    where
        F: FnMut(&str, Result<Analysis>) -> Result<()>,
    {
        let signers = Shared::new(registry);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for round in ids.chunks(ROUND) {
            let units: Vec<&[String]> = round.chunks(UNIT).collect();
            let next = AtomicUsize::new(0);
            let mut done: Vec<(usize, Vec<Result<Analysis>>)> = std::thread::scope(|scope| {
                let workers: Vec<_> = (0..threads.min(units.len()))
                    .map(|_| {
                        scope.spawn(|| {
                            let mut mine = Vec::new();
                            loop {
                                let u = next.fetch_add(1, Ordering::Relaxed);
                                let Some(unit) = units.get(u) else { break };
                                mine.push((u, load_group(root, registry, &signers, unit)));
                            }
                            mine
                        })
                    })
                    .collect();
                workers
                    .into_iter()
                    .flat_map(|w| w.join().expect("a request check panicked"))
                    .collect()
            });
            done.sort_by_key(|(u, _)| *u);
            let results = done.into_iter().flat_map(|(_, r)| r);
            for (id, analysis) in round.iter().zip(results) {
                f(id, analysis)?;
            }
        }
        Ok(())
    }

    fn from_checked(id: &str, records: Vec<Record>, problems: Vec<Problem>) -> Analysis {
        Analysis {
            id: id.to_string(),
            records,
            problems,
            notes: Vec::new(),
            stage: Stage::AwaitingAdvisor,
            revision: 0,
            revision_record: None,
            decisions: BTreeMap::new(),
            claim: None,
            end: None,
        }
    }

    /// Orders records along their chain and checks links, times and order of steps.
    fn check_chain(&mut self, root: &Path) {
        let by_sha: HashMap<String, usize> = self
            .records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.sha256.clone(), i))
            .collect();
        let mut bad = vec![false; self.records.len()];
        for (i, record) in self.records.iter().enumerate() {
            let s = &record.statement;
            match &s.previous {
                None if s.kind == Kind::Submit && s.revision == 1 => {}
                None => {
                    self.problems.push(problem(
                        &record.path,
                        "has no previous record but is not the first submission".into(),
                    ));
                    bad[i] = true;
                }
                Some(prev) => match by_sha.get(prev) {
                    None => {
                        self.problems.push(problem(
                            &record.path,
                            format!("its previous record ({prev}) is missing: a record was deleted or never merged"),
                        ));
                        bad[i] = true;
                    }
                    Some(&p) => {
                        if self.records[p].statement.time > s.time {
                            self.problems.push(problem(
                                &record.path,
                                "is dated before the record it follows".into(),
                            ));
                            bad[i] = true;
                        }
                    }
                },
            }
        }
        // Order: depth along the chain, then time, then digest (deterministic).
        let depth: Vec<usize> = (0..self.records.len())
            .map(|i| self.ancestry(i).len())
            .collect();
        let mut order: Vec<usize> = (0..self.records.len()).collect();
        order.sort_by(|&a, &b| {
            (
                depth[a],
                self.records[a].statement.time,
                &self.records[a].sha256,
            )
                .cmp(&(
                    depth[b],
                    self.records[b].statement.time,
                    &self.records[b].sha256,
                ))
        });
        // Every record of a revision signs the same form: read and digest it once.
        let mut forms = HashMap::new();
        for &i in &order {
            if bad[i] {
                continue;
            }
            if let Err(message) = self.check_step_order(i, root, &mut forms) {
                self.problems.push(problem(&self.records[i].path, message));
                bad[i] = true;
            }
        }
        let mut kept = Vec::new();
        for &i in &order {
            if !bad[i] {
                kept.push(self.records[i].clone());
            }
        }
        self.records = kept;
        self.check_single_broadcast();
    }

    /// One broadcast per request: a second claim or result can only come from
    /// two operators in two clones, and then people may have got it twice.
    fn check_single_broadcast(&mut self) {
        let claims: Vec<&Record> = self
            .records
            .iter()
            .filter(|r| r.statement.kind == Kind::Claim)
            .collect();
        let ends: Vec<&Record> = self
            .records
            .iter()
            .filter(|r| matches!(r.statement.kind, Kind::Sent | Kind::Abandon))
            .collect();
        let mut found = Vec::new();
        for (what, records) in [("claim", &claims), ("send result", &ends)] {
            for extra in records.iter().skip(1) {
                found.push(problem(
                    &extra.path,
                    format!(
                        "a second {what} for this request (by {}; the first is {}): two operators in two clones may both have sent the broadcast — compare the results files and tell the recipients",
                        extra.statement.signer_name,
                        records[0].path.display()
                    ),
                ));
            }
        }
        self.problems.extend(found);
    }

    /// Indices of the records before `i` along its chain, nearest first.
    fn ancestry(&self, i: usize) -> Vec<usize> {
        let mut seen = Vec::new();
        let mut current = i;
        while let Some(prev) = &self.records[current].statement.previous {
            match self.records.iter().position(|r| &r.sha256 == prev) {
                Some(p) if !seen.contains(&p) && p != i => {
                    seen.push(p);
                    current = p;
                }
                _ => break,
            }
        }
        seen
    }

    /// A step must follow the steps it depends on, on its chain.
    fn check_step_order(
        &self,
        i: usize,
        root: &Path,
        forms: &mut HashMap<String, Option<String>>,
    ) -> std::result::Result<(), String> {
        let s = &self.records[i].statement;
        let before: Vec<&Statement> = self
            .ancestry(i)
            .into_iter()
            .map(|a| &self.records[a].statement)
            .collect();
        let has = |kind: Kind, role: Role, revision: u32| {
            before
                .iter()
                .any(|b| b.kind == kind && b.role == role && b.revision == revision)
        };
        let latest_revision = before.iter().map(|b| b.revision).max().unwrap_or(0);
        match s.kind {
            Kind::Submit if s.revision != 1 => return Err("a submission must be revision 1".into()),
            Kind::Submit if !before.is_empty() => {
                return Err("a second submission in one request".into());
            }
            Kind::Revise if s.revision != latest_revision + 1 => {
                return Err(format!(
                    "revision {} does not follow revision {latest_revision}",
                    s.revision
                ));
            }
            Kind::Approve
            | Kind::Reject
            | Kind::Withdraw
            | Kind::Claim
            | Kind::Sent
            | Kind::Abandon
                if s.revision != latest_revision =>
            {
                return Err(format!(
                    "refers to revision {} but revision {latest_revision} is current on its chain",
                    s.revision
                ));
            }
            Kind::Approve | Kind::Reject
                if s.role == Role::Decider && !has(Kind::Approve, Role::Advisor, s.revision) =>
            {
                return Err("the decider acted before the advisor approved this revision".into());
            }
            Kind::Claim if !has(Kind::Approve, Role::Decider, s.revision) => {
                return Err("the broadcast was claimed before the decider approved".into());
            }
            Kind::Sent | Kind::Abandon
                if !before
                    .iter()
                    .any(|b| b.kind == Kind::Claim && b.revision == s.revision) =>
            {
                return Err("a send result without a claim".into());
            }
            _ => {}
        }
        if let Some(closing) = before
            .iter()
            .find(|b| matches!(b.kind, Kind::Withdraw | Kind::Sent | Kind::Abandon))
        {
            return Err(format!(
                "follows a `{}` record, after which nothing may happen",
                closing.kind
            ));
        }
        if matches!(s.kind, Kind::Approve | Kind::Reject | Kind::Claim)
            && before
                .iter()
                .any(|b| b.kind == Kind::Reject && b.revision == s.revision)
        {
            return Err("follows a rejection of the same revision".into());
        }
        // Separation of duties: one person, one role per request.
        for b in &before {
            if b.signer_name == s.signer_name && b.role != s.role {
                return Err(format!(
                    "{} already acted as {} on this request and may not act as {}",
                    s.signer_name, b.role, s.role
                ));
            }
        }
        // The form the record signs must be the one on disk.
        let sha = forms
            .entry(s.request_file.clone())
            .or_insert_with(|| {
                std::fs::read(root.join(&s.request_file))
                    .ok()
                    .map(|b| digest::sha256(&b))
            })
            .as_deref()
            .ok_or_else(|| format!("its form {} is missing", s.request_file))?;
        if sha != s.request_sha256 {
            return Err(format!(
                "{} was changed after it was signed (digest differs)",
                s.request_file
            ));
        }
        Ok(())
    }

    /// The state the counting records put the request in.
    fn compute_stage(&mut self, registry: &Registry) {
        let latest = &registry.latest().doc;
        self.revision = self
            .records
            .iter()
            .map(|r| r.statement.revision)
            .max()
            .unwrap_or(0);
        self.revision_record = self.records.iter().position(|r| {
            matches!(r.statement.kind, Kind::Submit | Kind::Revise)
                && r.statement.revision == self.revision
        });
        let sent = self
            .records
            .iter()
            .position(|r| matches!(r.statement.kind, Kind::Sent | Kind::Abandon));
        let withdrawn = self
            .records
            .iter()
            .position(|r| r.statement.kind == Kind::Withdraw);
        for (i, r) in self.records.iter().enumerate() {
            let s = &r.statement;
            if s.revision != self.revision || !matches!(s.kind, Kind::Approve | Kind::Reject) {
                continue;
            }
            // Revocation: until the request is sent, a decision counts only while
            // its signer still holds the role in the latest registry.
            if sent.is_none() {
                let holds = latest
                    .person_by_key(&s.signer)
                    .is_some_and(|p| p.roles.contains(&s.role));
                if !holds {
                    self.notes.push(format!(
                        "{}: the {} decision of {} no longer counts: the key was revoked or lost the role; it must be given again",
                        r.path.display(),
                        s.role,
                        s.signer_name
                    ));
                    continue;
                }
                // A decider decision counts only on top of a counting advisor approval.
                if s.role == Role::Decider {
                    let advisor_ok = self.decisions.get(&Role::Advisor).is_some_and(|ds| {
                        ds.iter().any(|&d| {
                            self.records[d].statement.kind == Kind::Approve
                                && self.chain_contains(i, d)
                        })
                    });
                    if !advisor_ok {
                        self.notes.push(format!(
                            "{}: the decider decision no longer counts: the advisor approval it followed no longer counts",
                            r.path.display()
                        ));
                        continue;
                    }
                }
            }
            self.decisions.entry(s.role).or_default().push(i);
        }
        for role in [Role::Advisor, Role::Decider] {
            let decided: Vec<&Statement> = self.decisions_of(role).collect();
            let approves = decided.iter().filter(|s| s.kind == Kind::Approve).count();
            let rejects = decided.len() - approves;
            if approves > 0 && rejects > 0 {
                self.notes.push(format!(
                    "conflicting {role} decisions on revision {} (merged clones): {}; the rejection wins",
                    self.revision,
                    decided
                        .iter()
                        .map(|s| format!("{} by {}", s.kind, s.signer_name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        self.claim = self
            .records
            .iter()
            .position(|r| r.statement.kind == Kind::Claim && r.statement.revision == self.revision);
        self.end = sent;
        let rejected = |role| self.decisions_of(role).any(|s| s.kind == Kind::Reject);
        let approved = |role| self.decisions_of(role).any(|s| s.kind == Kind::Approve);
        self.stage = if withdrawn.is_some() {
            Stage::Withdrawn
        } else if let Some(end) = sent {
            if self.records[end].statement.kind == Kind::Sent {
                Stage::Sent
            } else {
                Stage::Abandoned
            }
        } else if rejected(Role::Advisor) {
            Stage::Rejected(Role::Advisor)
        } else if rejected(Role::Decider) {
            Stage::Rejected(Role::Decider)
        } else if !approved(Role::Advisor) {
            Stage::AwaitingAdvisor
        } else if !approved(Role::Decider) {
            Stage::AwaitingDecider
        } else if self.claim.is_some() {
            Stage::Sending
        } else {
            Stage::Approved
        };
    }

    /// Until the broadcast, the recipient lists must be the ones the current
    /// revision's approvals cover.
    fn check_lists(&mut self, root: &Path, digests: &ListDigests) {
        if self.stage.is_closed() || matches!(self.stage, Stage::Rejected(_)) {
            return;
        }
        let Some(statement) = self.revision_statement() else {
            return;
        };
        let mut found = Vec::new();
        for used in &statement.lists {
            let message = match digests.get(root, &used.list) {
                Some(sha) if sha == used.sha256 => continue,
                Some(_) => format!(
                    "changed since request {} revision {} was signed; its approvals do not cover the new list (restore it, or revise the request)",
                    self.id, self.revision
                ),
                None => format!(
                    "is missing; request {} revision {} uses it",
                    self.id, self.revision
                ),
            };
            found.push(problem(Path::new(&used.list), message));
        }
        self.problems.extend(found);
    }

    fn chain_contains(&self, i: usize, ancestor: usize) -> bool {
        self.ancestry(i).contains(&ancestor)
    }

    /// The counting decisions of `role` on the current revision.
    pub fn decisions_of(&self, role: Role) -> impl Iterator<Item = &Statement> {
        self.decisions
            .get(&role)
            .into_iter()
            .flatten()
            .map(|&i| &self.records[i].statement)
    }

    /// The record of the current revision's submission.
    pub fn revision_statement(&self) -> Option<&Statement> {
        self.revision_record.map(|i| &self.records[i].statement)
    }

    /// The digest of the current revision's form (what a step on it signs).
    pub fn current_sha256(&self) -> String {
        self.revision_statement()
            .map(|s| s.request_sha256.clone())
            .unwrap_or_default()
    }

    /// The first submission (revision 1).
    pub fn first_submission(&self) -> Option<&Statement> {
        self.records
            .iter()
            .map(|r| &r.statement)
            .find(|s| s.kind == Kind::Submit)
    }

    pub fn claim(&self) -> Option<&Statement> {
        self.claim.map(|i| &self.records[i].statement)
    }

    /// The record that ended the broadcast (sent or abandoned).
    pub fn end(&self) -> Option<&Statement> {
        self.end.map(|i| &self.records[i].statement)
    }

    pub fn withdrawal(&self) -> Option<&Statement> {
        self.records
            .iter()
            .map(|r| &r.statement)
            .find(|s| s.kind == Kind::Withdraw)
    }

    /// The requester (who submitted revision 1).
    pub fn requester(&self) -> Option<&str> {
        self.first_submission().map(|s| s.signer_name.as_str())
    }

    /// The digest the next record links to: the newest record on the longest chain.
    pub fn head(&self) -> Option<String> {
        self.records.last().map(|r| r.sha256.clone())
    }

    /// The newest record's time (a new record may not be older).
    pub fn head_time(&self) -> Option<DateTime<FixedOffset>> {
        self.records.last().map(|r| r.statement.time)
    }

    /// The current revision's form, parsed.
    pub fn form(&self, root: &Path) -> Result<Form> {
        let s = self.revision_statement().ok_or_else(|| {
            Error::refused(
                format!("request {} has no valid submission", self.id),
                "run `sms-bcast verify` to see why",
            )
        })?;
        let path = root.join(&s.request_file);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        Form::parse(&path, &text)
    }

    /// Refuses a step that the procedure does not allow now.
    pub fn check_step(&self, kind: Kind, role: Role, signer_name: &str) -> Result<()> {
        let id = &self.id;
        if let Some(first) = self.problems.first() {
            return Err(Error::refused(
                format!("request {id} does not verify ({first})"),
                "run `sms-bcast verify` and repair the workspace before acting on it",
            ));
        }
        let refuse = |message: String, hint: &str| Err(Error::refused(message, hint));
        match self.stage {
            Stage::Withdrawn => {
                return refuse(
                    format!("request {id} was withdrawn"),
                    "submit a new request",
                );
            }
            Stage::Sent | Stage::Abandoned => {
                return refuse(
                    format!(
                        "request {id} is closed: its broadcast was {}",
                        self.stage.as_str()
                    ),
                    "submit a new request",
                );
            }
            _ => {}
        }
        // One person, one role per request.
        for r in &self.records {
            if r.statement.signer_name == signer_name && r.statement.role != role {
                return refuse(
                    format!(
                        "{signer_name} already acted as {} on request {id} and may not act as {role}",
                        r.statement.role
                    ),
                    "another person holding that role must take this step",
                );
            }
        }
        match kind {
            Kind::Revise | Kind::Withdraw => {
                if self.requester() != Some(signer_name) {
                    return refuse(
                        format!(
                            "only the requester ({}) may {kind} request {id}",
                            self.requester().unwrap_or("?")
                        ),
                        "ask the requester to do it",
                    );
                }
                if self.claim.is_some() {
                    return refuse(
                        format!("request {id} is being sent"),
                        "ask the operator to finish or abandon the broadcast",
                    );
                }
            }
            Kind::Approve | Kind::Reject => {
                if let Stage::Rejected(by) = self.stage {
                    return refuse(
                        format!(
                            "request {id} revision {} was rejected by the {by}; no decision can follow",
                            self.revision
                        ),
                        "the requester may `sms-bcast revise` it (reviews start again) or withdraw it",
                    );
                }
                if self
                    .decisions_of(role)
                    .any(|s| s.signer_name == signer_name)
                {
                    return refuse(
                        format!(
                            "you already decided on request {id} revision {} as {role}",
                            self.revision
                        ),
                        "nothing to do",
                    );
                }
                match (role, self.stage) {
                    (Role::Advisor, Stage::AwaitingAdvisor)
                    | (Role::Decider, Stage::AwaitingDecider) => {}
                    (Role::Decider, Stage::AwaitingAdvisor) => {
                        return refuse(
                            format!(
                                "request {id} awaits the advisor (Team Leader); the decider acts after the advisor approves"
                            ),
                            "wait for the advisor's decision; `sms-bcast show ID` shows who is awaited",
                        );
                    }
                    (_, stage) => {
                        return refuse(
                            format!(
                                "request {id} is {}; a {role} decision is not awaited",
                                stage.as_str()
                            ),
                            "`sms-bcast show ID` shows who is awaited",
                        );
                    }
                }
            }
            Kind::Claim => {
                if self.stage != Stage::Approved {
                    return refuse(
                        format!("request {id} is {}, not approved", self.stage.as_str()),
                        "only a request approved by advisor and decider can be sent",
                    );
                }
            }
            Kind::Sent | Kind::Abandon => {
                if self.stage != Stage::Sending {
                    return refuse(
                        format!("request {id} has no claimed broadcast"),
                        "run `sms-bcast send ID`",
                    );
                }
            }
            Kind::Submit => unreachable!("a submission starts a new request"),
        }
        Ok(())
    }
}

fn problem(path: &Path, message: String) -> Problem {
    Problem {
        file: path.to_path_buf(),
        message,
    }
}

/// Requests checked together per work unit (their signatures share batches).
const UNIT: usize = 64;
/// Requests checked before their analyses are handed on (bounds memory).
const ROUND: usize = 1024;

/// What the checks of many requests share: registry keys parsed once (by
/// registry version) and recipient list digests.
struct Shared<'r> {
    versions: Vec<Vec<Signer<'r>>>,
    /// Open requests often share a (large) recipient list: digest it once.
    lists: ListDigests,
}

/// Digests of recipient lists by path (`None`: unreadable), shared by threads.
#[derive(Default)]
struct ListDigests(Mutex<HashMap<String, Option<String>>>);

impl ListDigests {
    fn get(&self, root: &Path, list: &str) -> Option<String> {
        let known = self
            .0
            .lock()
            .expect("no panics while held")
            .get(list)
            .cloned();
        known.unwrap_or_else(|| {
            let sha = std::fs::read(root.join(list))
                .ok()
                .map(|b| digest::sha256(&b));
            let mut map = self.0.lock().expect("no panics while held");
            map.insert(list.to_string(), sha.clone());
            sha
        })
    }
}

struct Signer<'r> {
    person: &'r Person,
    /// `None` when the key is unreadable (then no signature matches it).
    keynum: Option<Vec<u8>>,
    /// `None` when only minisign may check this key.
    fast: Option<sigcheck::FastKey>,
}

impl<'r> Shared<'r> {
    fn new(registry: &'r Registry) -> Shared<'r> {
        let versions = registry
            .versions
            .iter()
            .map(|v| {
                v.doc
                    .people
                    .iter()
                    .map(|person| {
                        let pk = keys::parse_public_key(&person.public_key).ok();
                        Signer {
                            person,
                            keynum: pk.as_ref().map(|pk| pk.keynum().to_vec()),
                            fast: pk.as_ref().and_then(sigcheck::FastKey::new),
                        }
                    })
                    .collect()
            })
            .collect();
        Shared {
            versions,
            lists: ListDigests::default(),
        }
    }

    /// The signer a signature names, as `registry::verify_signed_by` finds it:
    /// the first person of that version whose key number matches.
    fn find(&self, version: u32, keynum: &[u8]) -> Option<&Signer<'r>> {
        self.versions
            .get((version as usize).checked_sub(1)?)?
            .iter()
            .find(|s| s.keynum.as_deref() == Some(keynum))
    }
}

/// A record file read and parsed, its signature not yet checked.
struct Candidate {
    rel: PathBuf,
    bytes: Vec<u8>,
    signature: String,
    statement: Statement,
}

/// One request's files, read.
struct RequestFiles {
    id: String,
    problems: Vec<Problem>,
    /// Record files in name order, each read or failed with its message.
    entries: Vec<(PathBuf, std::result::Result<Candidate, String>)>,
}

fn read_request(root: &Path, registry: &Registry, id: &str) -> Result<RequestFiles> {
    crate::workspace::check_request_id(id)?;
    let dir = root.join(REQUESTS_DIR).join(id);
    if !dir.is_dir() {
        return Err(Error::refused(
            format!("there is no request {id}"),
            "`sms-bcast list` shows the requests of this workspace",
        ));
    }
    let mut problems = Vec::new();
    let mut entries = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in &names {
        let rel = PathBuf::from(REQUESTS_DIR).join(id).join(name);
        if name.ends_with(".minisig") {
            let statement = name.trim_end_matches(".minisig");
            if names
                .binary_search_by(|n| n.as_str().cmp(statement))
                .is_err()
            {
                problems.push(problem(&rel, "signature without its record".into()));
            }
            continue;
        }
        if name.starts_with("request-r") || name.starts_with('.') || !name.ends_with(".yaml") {
            continue;
        }
        let candidate = read_candidate(root, registry, &rel);
        entries.push((rel, candidate));
    }
    Ok(RequestFiles {
        id: id.to_string(),
        problems,
        entries,
    })
}

/// Reads a record and its signature and parses the record, unverified.
fn read_candidate(
    root: &Path,
    registry: &Registry,
    rel: &Path,
) -> std::result::Result<Candidate, String> {
    let path = root.join(rel);
    let bytes = std::fs::read(&path).map_err(|e| format!("unreadable: {e}"))?;
    let signature = std::fs::read_to_string(record::signature_path(&path))
        .map_err(|_| "has no signature file (.minisig)".to_string())?;
    // Parsed before the signature check only to learn which registry version
    // holds the signer's key; nothing is trusted until the signature verifies.
    let statement: Statement =
        serde_yaml::from_slice(&bytes).map_err(|e| format!("not a statement: {e}"))?;
    if registry.version(statement.registry_version).is_none() {
        return Err(format!(
            "names registry version {} which does not exist",
            statement.registry_version
        ));
    }
    Ok(Candidate {
        rel: rel.to_path_buf(),
        bytes,
        signature,
        statement,
    })
}

/// Checks the requests `ids` together: files read, every signature checked in
/// batches (falling back to minisign, one by one, for anything not proven),
/// then each request's own checks.
fn load_group(
    root: &Path,
    registry: &Registry,
    signers: &Shared<'_>,
    ids: &[String],
) -> Vec<Result<Analysis>> {
    let files: Vec<Result<RequestFiles>> = ids
        .iter()
        .map(|id| read_request(root, registry, id))
        .collect();
    let candidates = files
        .iter()
        .flatten()
        .flat_map(|f| &f.entries)
        .filter_map(|(_, c)| c.as_ref().ok());
    let mut jobs = Vec::new();
    let mut fast_signer = Vec::new();
    for c in candidates {
        let signer = sigcheck::signature_keynum(&c.signature)
            .and_then(|k| signers.find(c.statement.registry_version, &k));
        let job = signer.and_then(|s| {
            Some(sigcheck::Job {
                key: s.fast.as_ref()?,
                data: &c.bytes,
                signature: &c.signature,
            })
        });
        fast_signer.push(
            job.is_some()
                .then(|| signer.expect("job has a signer").person),
        );
        if let Some(job) = job {
            jobs.push(job);
        }
    }
    let mut proven = sigcheck::check(&jobs).into_iter();
    let mut fast_signer = fast_signer.into_iter();
    let mut results = Vec::with_capacity(ids.len());
    for request in files {
        let request = match request {
            Ok(r) => r,
            Err(e) => {
                results.push(Err(e));
                continue;
            }
        };
        let mut problems = request.problems;
        let mut records = Vec::new();
        for (rel, candidate) in request.entries {
            let checked = candidate.and_then(|c| {
                let version = registry
                    .version(c.statement.registry_version)
                    .expect("checked when read");
                let person = match fast_signer.next().expect("one per candidate") {
                    Some(person) if proven.next().expect("one per job") => person,
                    _ => registry::verify_signed_by(&version.doc, &c.bytes, &c.signature)?,
                };
                check_record(registry, &request.id, c, person)
            });
            match checked {
                Ok(record) => records.push(record),
                Err(message) => problems.push(problem(&rel, message)),
            }
        }
        let mut analysis = Analysis::from_checked(&request.id, records, problems);
        analysis.check_chain(root);
        analysis.compute_stage(registry);
        analysis.check_lists(root, &signers.lists);
        results.push(Ok(analysis));
    }
    results
}

/// Checks one record on its own, once its signature verified as `person`'s:
/// the registry version's digest, the role, the ids and the file name.
fn check_record(
    registry: &Registry,
    id: &str,
    candidate: Candidate,
    person: &Person,
) -> std::result::Result<Record, String> {
    let Candidate {
        rel,
        bytes,
        statement: s,
        ..
    } = candidate;
    let version = registry
        .version(s.registry_version)
        .expect("checked when read");
    if s.schema != record::SCHEMA {
        return Err(format!("schema `{}` is not {}", s.schema, record::SCHEMA));
    }
    if version.sha256 != s.registry_sha256 {
        return Err(format!(
            "names registry version {} with another digest",
            s.registry_version
        ));
    }
    if s.signer != person.key || s.signer_name != person.name {
        return Err(format!(
            "says it is signed by {} but the signature is {}'s",
            s.signer_name, person.name
        ));
    }
    if s.repo_id != registry.repo_id() {
        return Err(
            "belongs to another workspace (repository id differs): replayed from elsewhere".into(),
        );
    }
    if s.request_id != id {
        return Err(format!(
            "belongs to request {}, not {id}: replayed from another request",
            s.request_id
        ));
    }
    if s.request_file != record::request_file(id, s.revision) {
        return Err(format!(
            "names form {} which is not this request's revision {}",
            s.request_file, s.revision
        ));
    }
    if !s.kind.roles().contains(&s.role) {
        return Err(format!(
            "a {} record may not be signed as {}",
            s.kind, s.role
        ));
    }
    if !person.roles.contains(&s.role) {
        return Err(format!(
            "{} did not hold the {} role in registry version {}",
            person.name, s.role, s.registry_version
        ));
    }
    if s.drill_clock && !registry.drill() {
        return Err(
            "was made with the drill clock (SMS_BCAST_NOW) but this workspace is not a drill"
                .into(),
        );
    }
    if matches!(s.kind, Kind::Reject) && s.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err("a rejection without a reason".into());
    }
    let expected = s.file_name();
    if rel.file_name().and_then(|n| n.to_str()) != Some(expected.as_str()) {
        return Err(format!(
            "is named for another record (its content says {expected}): records were renamed or swapped"
        ));
    }
    Ok(Record {
        sha256: digest::sha256(&bytes),
        path: rel,
        statement: s,
    })
}

/// The ids of every request in the workspace, sorted.
pub fn request_ids(root: &Path) -> Result<Vec<String>> {
    let dir = root.join(REQUESTS_DIR);
    let mut ids = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries.flatten() {
                if entry.path().is_dir()
                    && let Ok(name) = entry.file_name().into_string()
                    && !name.starts_with('.')
                {
                    ids.push(name);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(&dir, e)),
    }
    ids.sort();
    Ok(ids)
}
