//! The synthetic desk: a ports repo of N ports with the git history a porting desk makes.
//!
//! Each port gets a *fate* (where it stands today: awaiting signature, submitted, completed,
//! cancelled, …), drawn from [`FATES`]. The fate is a list of steps (create, sign, submit,
//! reject, fix and sign again, schedule, complete, cancel) with gaps in business days of the
//! port's country. Open ports are placed in the last few weeks before `today`, finished ones
//! anywhere since [`DESK_OPENED`], so their timelines overlap as a real desk's do. Every step
//! is one commit by a staff member on the day it happened, during their working hours; all
//! commits are sorted by time and streamed into `git fast-import`.
//!
//! The repo is meant to be clean: `portflow check` finds no errors in it. That is why it has
//! no port in the `draft` stage (a draft is by definition a request with `loa::*` errors),
//! why every number is a distinct valid US or Canadian number (555-01XX lines, see
//! [`NumberPool`]), why bills, PINs and signatures are fresh when a submission is recorded
//! (a resubmission attaches a new bill or PIN when needed) and why requested FOCs respect
//! the lead time and holidays of porting.toml. Signatures cover the LOA digest portflow
//! itself computes for the request at that commit; an e-signed LOA prints it, a wet-ink
//! scan is bound by its sha256 (`document_sha256`), as `portflow record signed` does.

use std::collections::{BTreeMap, HashSet};
use std::error::Error;
use std::path::{Path, PathBuf};

use portflow::loa::digest::{LoaData, digest};
use portflow::model::Date;
use portflow::model::policy::Policy;
use portflow::model::request::Request;
use portflow::signed::sha256_hex;
use portflow::source::{ALWAYS_SECRET_KEYS, Document, SourceFile};

use super::git::{Commit, FastImport, git, run};
use super::words::*;

/// The first day of the desk's history.
pub const DESK_OPENED: (u16, u8, u8) = (2026, 1, 5);
/// The branch of the pull request that touches three ports (`check --base main`).
pub const PR_BRANCH: &str = "pr-three-ports";
/// The branch everything else lands on.
pub const MAIN: &str = "main";

type Result<T> = std::result::Result<T, Box<dyn Error>>;
/// Repo-relative paths and contents of the files a commit adds or replaces.
type Files = Vec<(String, Vec<u8>)>;

/// Where a port stands today, and the way it got there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Request complete, LOA not signed yet.
    AwaitingSignature,
    /// Signed, but no proof of ownership attached.
    AwaitingDocuments,
    /// Signed with a bill: waiting for the submission PR.
    Ready,
    /// Submitted, waiting for the carrier.
    Submitted,
    /// Rejected, waiting for the customer.
    Rejected,
    /// Rejected for a reason the LOA does not carry (an FOC, an open order), resubmitted.
    ResubmittedSameLoa,
    /// Rejected for LOA data, corrected, signed again and resubmitted.
    ResubmittedFixedLoa,
    /// FOC received.
    Scheduled,
    /// FOC received, then moved by the carrier.
    Rescheduled,
    /// Ported.
    Completed,
    /// Rejected for LOA data, corrected, signed again, resubmitted and ported.
    CompletedAfterFix,
    /// Ported; an FOC typed wrong was voided and recorded again on the way.
    CompletedWithVoid,
    /// Withdrawn before signing.
    CancelledUnsigned,
    /// Withdrawn after signing.
    CancelledSigned,
    /// Withdrawn after a rejection.
    CancelledRejected,
}

/// How often each fate occurs, per thousand ports. The mix is a desk with a large open
/// book, tuned so that 10,000 ports make about as many commits as the reference repo of
/// the performance targets (26,879 with the default seed; the reference has 26,340).
pub const FATES: &[(Fate, u32)] = &[
    (Fate::AwaitingSignature, 200),
    (Fate::AwaitingDocuments, 30),
    (Fate::Ready, 70),
    (Fate::Submitted, 60),
    (Fate::Rejected, 25),
    (Fate::ResubmittedSameLoa, 10),
    (Fate::ResubmittedFixedLoa, 10),
    (Fate::Scheduled, 50),
    (Fate::Rescheduled, 10),
    (Fate::Completed, 100),
    (Fate::CompletedAfterFix, 15),
    (Fate::CompletedWithVoid, 5),
    (Fate::CancelledUnsigned, 320),
    (Fate::CancelledSigned, 70),
    (Fate::CancelledRejected, 25),
];

impl Fate {
    /// The stage `portflow status` shows for a port with this fate.
    pub fn stage(self) -> &'static str {
        match self {
            Fate::AwaitingSignature => "awaiting-signature",
            Fate::AwaitingDocuments => "awaiting-documents",
            Fate::Ready => "ready",
            Fate::Submitted | Fate::ResubmittedSameLoa | Fate::ResubmittedFixedLoa => "submitted",
            Fate::Rejected => "rejected",
            Fate::Scheduled | Fate::Rescheduled => "scheduled",
            Fate::Completed | Fate::CompletedAfterFix | Fate::CompletedWithVoid => "completed",
            Fate::CancelledUnsigned | Fate::CancelledSigned | Fate::CancelledRejected => {
                "cancelled"
            }
        }
    }

    /// Whether the port is still being worked on (so it is recent).
    fn is_open(self) -> bool {
        !matches!(self.stage(), "completed" | "cancelled")
    }

    /// Whether document ages are judged today (as warnings): before submission and while
    /// rejected. Such ports are kept young enough that their papers are fresh.
    fn judged_today(self) -> bool {
        matches!(
            self,
            Fate::AwaitingSignature | Fate::AwaitingDocuments | Fate::Ready | Fate::Rejected
        )
    }
}

/// A rejection reason the generator uses, and what resolving it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    NameMismatch,
    AddressMismatch,
    AccountNumberMismatch,
    FocRejected,
    PendingOrder,
    CarrierUnresponsive,
    PinExpired,
}

impl Reason {
    fn code(self) -> &'static str {
        match self {
            Reason::NameMismatch => "name-mismatch",
            Reason::AddressMismatch => "address-mismatch",
            Reason::AccountNumberMismatch => "account-number-mismatch",
            Reason::FocRejected => "foc-rejected",
            Reason::PendingOrder => "pending-order",
            Reason::CarrierUnresponsive => "losing-carrier-unresponsive",
            Reason::PinExpired => "pin-expired",
        }
    }

    /// Whether resolving it changes LOA data (so the customer signs again).
    fn changes_loa(self) -> bool {
        matches!(
            self,
            Reason::NameMismatch | Reason::AddressMismatch | Reason::AccountNumberMismatch
        )
    }
}

/// One step of a fate, with its gap in business days after the step before.
#[derive(Debug, Clone, Copy)]
enum Step {
    Create,
    Sign {
        after: u32,
    },
    /// `extra`: business days past the earliest FOC the lead time allows.
    Submit {
        after: u32,
        extra: u32,
    },
    Reject {
        after: u32,
        reason: Reason,
    },
    /// Correct the LOA data the carrier rejected and have it signed again.
    FixAndSign {
        after: u32,
    },
    /// `slip`: business days the carrier's FOC is after the requested one.
    Schedule {
        after: u32,
        slip: u32,
    },
    Reschedule {
        after: u32,
        slip: u32,
    },
    /// An FOC recorded with the wrong month, voided and recorded again the same day.
    MistypedSchedule {
        after: u32,
        slip: u32,
    },
    /// On the FOC date.
    Complete,
    Cancel {
        after: u32,
    },
}

/// What happens on a day of a port's life: one commit each.
#[derive(Debug, Clone, Copy)]
enum Act {
    Create,
    Sign,
    Submit { requested_foc: Date },
    Reject(Reason),
    FixAndSign,
    Schedule { foc: Date, moved: bool },
    ScheduleMistyped { foc: Date },
    Void,
    Complete,
    Cancel,
}

/// What the generated repo holds, for the measurements and for people profiling it.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub ports: usize,
    /// Commits on `main`, the set-up commit included.
    pub commits: usize,
    pub events: usize,
    pub numbers: usize,
    /// Ports per stage.
    pub stages: BTreeMap<&'static str, usize>,
    /// A port with one of the longest event logs, for `portflow history`.
    pub history_port: String,
    /// Port ids in creation order, for `portflow render`.
    pub port_ids: Vec<String>,
    /// The ports the pull request branch touches.
    pub pr_ports: Vec<String>,
}

/// The synthetic desk: planned in memory, then written as a git repository.
pub struct Desk {
    generator: Generator,
    main: Vec<Commit>,
    pr: Vec<Commit>,
    pub summary: Summary,
}

impl Desk {
    /// Plans a desk of `ports` ports whose last day is `today`; the same seed gives the
    /// same repo, byte for byte.
    pub fn plan(ports: usize, seed: u64, today: Date) -> Result<Desk> {
        let mut generator = Generator::new(seed, today)?;
        let mut main = vec![generator.setup_commit()?];
        let mut summary = Summary {
            ports,
            ..Summary::default()
        };
        let mut live = Vec::with_capacity(ports);
        for _ in 0..ports {
            let fate = generator.pick_fate();
            let (port, commits) = generator.port(fate)?;
            *summary.stages.entry(fate.stage()).or_default() += 1;
            summary.events += port.events;
            summary.numbers += port.numbers.len();
            summary.port_ids.push(port.id.clone());
            main.extend(commits);
            live.push((fate, port));
        }
        // Commits are made in time order; one port's commits are already in order, and a
        // stable sort keeps them so when two share a second.
        main.sort_by_key(|c| c.utc);
        summary.commits = main.len();
        summary.history_port = live
            .iter()
            .max_by_key(|(_, p)| p.events)
            .map(|(_, p)| p.id.clone())
            .unwrap_or_default();
        let last = main.last().map_or(0, |c| c.utc);
        let pr = generator.pull_request(&mut live, last, &mut summary)?;
        Ok(Desk {
            generator,
            main,
            pr,
            summary,
        })
    }

    /// Writes the repository into `dir` (which must not exist or be empty): `main` checked
    /// out, and the pull request branch beside it. The planned commits are dropped
    /// afterwards.
    pub fn write(&mut self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir)?;
        if std::fs::read_dir(dir)?.next().is_some() {
            return Err(format!("{} is not empty", dir.display()).into());
        }
        run(git(dir).args(["init", "-q", "-b", MAIN]))?;
        let mut import = FastImport::start(dir)?;
        let mut tip = String::new();
        for commit in &self.main {
            tip = import.commit(MAIN, None, commit)?;
        }
        let mut from = Some(tip);
        for commit in &self.pr {
            import.commit(PR_BRANCH, from.take().as_deref(), commit)?;
        }
        import.finish()?;
        run(git(dir).args(["reset", "-q", "--hard"]))?;
        self.generator.last_utc = self
            .main
            .iter()
            .chain(&self.pr)
            .map(|c| c.utc)
            .max()
            .unwrap_or(0);
        self.main = Vec::new();
        self.pr = Vec::new();
        Ok(())
    }

    /// Adds one commit to the checked-out branch of a written repo: a new port awaiting
    /// signature, created today (the "one new commit" of the warm measurements).
    pub fn commit_new_port(&mut self, dir: &Path) -> Result<String> {
        let (port, mut commits) = self.generator.port_created_today()?;
        let mut commit = commits.remove(0);
        commit.utc = self.generator.last_utc + 120;
        self.generator.last_utc = commit.utc;
        for (path, bytes) in &commit.files {
            let path = dir.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, bytes)?;
        }
        let (name, email, _) = STAFF[commit.staff];
        let date = commit.raw_date();
        run(git(dir).args(["add", "--", &format!("ports/{}", port.id)]))?;
        run(git(dir)
            .args(["commit", "-q", "-m", &commit.message])
            .env("GIT_AUTHOR_NAME", name)
            .env("GIT_AUTHOR_EMAIL", email)
            .env("GIT_COMMITTER_NAME", name)
            .env("GIT_COMMITTER_EMAIL", email)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date))?;
        Ok(port.id)
    }
}

/// Business days, numbers, names and the random source.
struct Generator {
    rng: fastrand::Rng,
    policy: Policy,
    project: PathBuf,
    today: Date,
    opened: Date,
    us: NumberPool,
    ca: NumberPool,
    toll_free: NumberPool,
    ids: HashSet<String>,
    /// Carrier order ids are `PC-<n>`.
    orders: u32,
    /// Account numbers are distinct too.
    accounts: u32,
    /// The age-encrypted PIN every mobile port carries (see [`example_pin`]).
    pin: String,
    /// The latest commit time written, for commits added afterwards.
    last_utc: i64,
}

/// A port as the generator keeps it while writing its history.
#[derive(Debug, Clone)]
struct Port {
    id: String,
    country: &'static str,
    owner: usize,
    account: String,
    requested_by: String,
    losing_carrier: String,
    port_type: PortType,
    residential: bool,
    /// The name, street and account number the losing carrier has; the request may start
    /// with a flawed one (see `flaw`).
    name: String,
    street: String,
    extended: Option<String>,
    locality: &'static str,
    region: &'static str,
    postal_code: &'static str,
    authorized_person: String,
    title: Option<&'static str>,
    signer_email: String,
    btn: String,
    account_number: Option<String>,
    /// Mobile ports: the encrypted PIN and the day the customer got it.
    pin: Option<(String, Date)>,
    /// The LOA data the request has wrong until a rejection gets it fixed.
    flaw: Option<Reason>,
    /// Numbers of the account that stay with the losing carrier (partial ports).
    kept: Vec<String>,
    csr: Option<Vec<String>>,
    numbers: Vec<Number>,
    documents: Vec<Doc>,
    events: usize,
    /// The latest submission's requested FOC and carrier order.
    requested_foc: Option<Date>,
    order: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortType {
    Full,
    /// `keep` or `disconnect`, and the new BTN when the BTN itself is ported.
    Partial {
        remaining: &'static str,
        new_btn: Option<String>,
    },
}

#[derive(Debug, Clone)]
struct Number {
    number: String,
    kind: &'static str,
    tracking_source: &'static str,
    receiving_number: String,
    target_number: Option<String>,
}

#[derive(Debug, Clone)]
struct Doc {
    kind: &'static str,
    path: String,
    dated: Date,
    description: Option<String>,
}

impl Generator {
    fn new(seed: u64, today: Date) -> Result<Generator> {
        let project = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(project.join("porting.toml"))?;
        let policy: Policy = parse_toml("porting.toml", &text)?;
        let pin = example_pin(&project, &policy)?;
        let (y, m, d) = DESK_OPENED;
        let opened = Date::new(y, m, d).ok_or("bad opening date")?;
        if today <= opened {
            return Err(format!("--today must be after {opened}").into());
        }
        Ok(Generator {
            rng: fastrand::Rng::with_seed(seed),
            policy,
            project,
            today,
            opened,
            us: NumberPool::geographic("US"),
            ca: NumberPool::geographic("CA"),
            toll_free: NumberPool::toll_free(),
            ids: HashSet::new(),
            orders: 20_000,
            accounts: 0,
            pin,
            last_utc: 0,
        })
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.rng.usize(..items.len())]
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.u32(0..100) < percent
    }

    fn pick_fate(&mut self) -> Fate {
        let total: u32 = FATES.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.u32(0..total);
        for &(fate, weight) in FATES {
            if roll < weight {
                return fate;
            }
            roll -= weight;
        }
        Fate::Completed
    }

    /// The repo's own files: policy, schemas, templates, a README.
    fn setup_commit(&mut self) -> Result<Commit> {
        let mut files = Vec::new();
        for rel in [
            "porting.toml",
            "schemas/request.schema.json",
            "schemas/event.schema.json",
            "schemas/porting.schema.json",
        ] {
            files.push((rel.to_owned(), std::fs::read(self.project.join(rel))?));
        }
        for entry in walkdir::WalkDir::new(self.project.join("templates")).sort_by_file_name() {
            let entry = entry?;
            if entry.file_type().is_file() {
                let rel = entry.path().strip_prefix(&self.project)?;
                files.push((
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(entry.path())?,
                ));
            }
        }
        files.push((
            "README.md".to_owned(),
            b"# Synthetic porting desk\n\nGenerated by portflow's `benches/desk` benchmark \
              (`cargo bench --bench desk -- --generate DIR`). Every organization, person and \
              number in it is fictional.\n"
                .to_vec(),
        ));
        let day = self.opened.add_days(-3).ok_or("date out of range")?;
        Ok(Commit {
            utc: utc(day, 9 * 60, STAFF[0].2),
            staff: 0,
            message: "Set up the ports repo: policy, schemas and templates".to_owned(),
            files,
        })
    }

    // ── Dates ─────────────────────────────────────────────────────────────────

    fn is_business_day(&self, country: &str, date: Date) -> bool {
        self.policy.is_business_day(country, date)
    }

    /// The `n`th business day after `date` (`date` itself when `n` is 0).
    fn add_business_days(&self, country: &str, date: Date, n: u32) -> Date {
        let mut day = date;
        let mut counted = 0;
        while counted < n {
            day = day.add_days(1).unwrap_or(day);
            if self.is_business_day(country, day) {
                counted += 1;
            }
        }
        day
    }

    /// The latest business day on or before `date`.
    fn business_day_back(&self, country: &str, date: Date) -> Date {
        let mut day = date;
        while !self.is_business_day(country, day) {
            day = day.add_days(-1).unwrap_or(day);
        }
        day
    }

    // ── Fates to dated acts ───────────────────────────────────────────────────

    /// The steps of a fate, with gaps drawn at random.
    fn steps(&mut self, fate: Fate, mobile: bool) -> Vec<Step> {
        let sign = Step::Sign {
            after: self.rng.u32(1..=4),
        };
        let submit = |g: &mut Generator| Step::Submit {
            after: g.rng.u32(0..=2),
            extra: g.rng.u32(0..=6),
        };
        let schedule = |g: &mut Generator| Step::Schedule {
            after: g.rng.u32(1..=4),
            slip: if g.chance(80) { 0 } else { g.rng.u32(1..=3) },
        };
        let loa_reason = |g: &mut Generator| {
            g.pick(&[
                Reason::NameMismatch,
                Reason::AddressMismatch,
                Reason::AccountNumberMismatch,
            ])
        };
        let other_reason = |g: &mut Generator| {
            if mobile && g.chance(40) {
                Reason::PinExpired
            } else {
                g.pick(&[
                    Reason::FocRejected,
                    Reason::PendingOrder,
                    Reason::CarrierUnresponsive,
                ])
            }
        };
        let reject = |g: &mut Generator, reason: Reason| Step::Reject {
            after: g.rng.u32(2..=5),
            reason,
        };
        let fix = |g: &mut Generator| Step::FixAndSign {
            after: g.rng.u32(1..=3),
        };
        let cancel = |g: &mut Generator| Step::Cancel {
            after: g.rng.u32(1..=10),
        };
        let mut steps = vec![Step::Create];
        match fate {
            Fate::AwaitingSignature => {}
            Fate::AwaitingDocuments | Fate::Ready => steps.push(sign),
            Fate::Submitted => steps.extend([sign, submit(self)]),
            Fate::Rejected => {
                let reason = if self.chance(50) {
                    loa_reason(self)
                } else {
                    other_reason(self)
                };
                steps.extend([sign, submit(self), reject(self, reason)]);
            }
            Fate::ResubmittedSameLoa => {
                let reason = other_reason(self);
                steps.extend([sign, submit(self), reject(self, reason), submit(self)]);
            }
            Fate::ResubmittedFixedLoa => {
                let reason = loa_reason(self);
                steps.extend([sign, submit(self), reject(self, reason), fix(self)]);
                steps.push(submit(self));
            }
            Fate::Scheduled => steps.extend([sign, submit(self), schedule(self)]),
            Fate::Rescheduled => {
                let moved = Step::Reschedule {
                    after: self.rng.u32(1..=3),
                    slip: self.rng.u32(1..=5),
                };
                steps.extend([sign, submit(self), schedule(self), moved]);
            }
            Fate::Completed => steps.extend([sign, submit(self), schedule(self), Step::Complete]),
            Fate::CompletedAfterFix => {
                let reason = loa_reason(self);
                steps.extend([sign, submit(self), reject(self, reason), fix(self)]);
                steps.extend([submit(self), schedule(self), Step::Complete]);
            }
            Fate::CompletedWithVoid => {
                let mistyped = Step::MistypedSchedule {
                    after: self.rng.u32(1..=4),
                    slip: 0,
                };
                steps.extend([sign, submit(self), mistyped, Step::Complete]);
            }
            Fate::CancelledUnsigned => steps.push(cancel(self)),
            Fate::CancelledSigned => steps.extend([sign, cancel(self)]),
            Fate::CancelledRejected => {
                let reason = other_reason(self);
                steps.extend([sign, submit(self), reject(self, reason), cancel(self)]);
            }
        }
        steps
    }

    /// The acts of a port created on `d0`, with their dates.
    fn lay_out(&self, country: &'static str, steps: &[Step], d0: Date) -> Vec<(Date, Act)> {
        let lead = self
            .policy
            .country(country)
            .and_then(|c| c.min_lead_business_days)
            .unwrap_or(0);
        let mut day = d0;
        let mut requested = d0;
        let mut foc = d0;
        let mut acts = Vec::new();
        for step in steps {
            match *step {
                Step::Create => acts.push((d0, Act::Create)),
                Step::Sign { after } => {
                    day = self.add_business_days(country, day, after);
                    acts.push((day, Act::Sign));
                }
                Step::Submit { after, extra } => {
                    day = self.add_business_days(country, day, after);
                    requested = self.add_business_days(country, day, lead + extra);
                    acts.push((
                        day,
                        Act::Submit {
                            requested_foc: requested,
                        },
                    ));
                }
                Step::Reject { after, reason } => {
                    day = self.add_business_days(country, day, after);
                    acts.push((day, Act::Reject(reason)));
                }
                Step::FixAndSign { after } => {
                    day = self.add_business_days(country, day, after);
                    acts.push((day, Act::FixAndSign));
                }
                Step::Schedule { after, slip } => {
                    day = self.add_business_days(country, day, after);
                    foc = self.add_business_days(country, requested, slip);
                    acts.push((day, Act::Schedule { foc, moved: false }));
                }
                Step::Reschedule { after, slip } => {
                    day = self.add_business_days(country, day, after);
                    foc = self.add_business_days(country, foc, slip);
                    acts.push((day, Act::Schedule { foc, moved: true }));
                }
                Step::MistypedSchedule { after, slip } => {
                    day = self.add_business_days(country, day, after);
                    foc = self.add_business_days(country, requested, slip);
                    let wrong = foc.add_days(28).unwrap_or(foc);
                    acts.push((day, Act::ScheduleMistyped { foc: wrong }));
                    acts.push((day, Act::Void));
                    acts.push((day, Act::Schedule { foc, moved: false }));
                }
                Step::Complete => {
                    day = day.max(foc);
                    acts.push((day, Act::Complete));
                }
                Step::Cancel { after } => {
                    day = self.add_business_days(country, day, after);
                    acts.push((day, Act::Cancel));
                }
            }
        }
        acts
    }

    /// Places a port in the desk's history: open ports in the last weeks before today,
    /// finished ones anywhere; the last act is never after today.
    fn place(&mut self, fate: Fate, country: &'static str, steps: &[Step]) -> Vec<(Date, Act)> {
        let today = self.today;
        let span = {
            let acts = self.lay_out(country, steps, today);
            acts.last().map_or(0, |(d, _)| d.days_since_epoch()) - today.days_since_epoch()
        };
        let mut d0 = if fate.is_open() {
            // Open ports started recently: up to a week before the shortest possible start.
            today.add_days(-span - self.rng.i64(0..=7))
        } else {
            let days = today.days_since_epoch() - self.opened.days_since_epoch();
            self.opened.add_days(self.rng.i64(0..=days))
        }
        .unwrap_or(today);
        d0 = self.business_day_back(country, d0.max(self.opened));
        loop {
            let acts = self.lay_out(country, steps, d0);
            let last = acts.last().map_or(d0, |(d, _)| *d);
            if last <= today {
                return acts;
            }
            let over = last.days_since_epoch() - today.days_since_epoch();
            d0 = self.business_day_back(country, d0.add_days(-over).unwrap_or(d0));
        }
    }

    // ── Ports ─────────────────────────────────────────────────────────────────

    /// A port with the given fate: its final state and its commits.
    fn port(&mut self, fate: Fate) -> Result<(Port, Vec<Commit>)> {
        let country = if self.chance(85) { "US" } else { "CA" };
        let toll_free = country == "US" && self.chance(4);
        let mut mobile = !toll_free && self.chance(15);
        let steps = self.steps(fate, mobile);
        let acts = self.place(fate, country, &steps);
        let d0 = acts[0].0;
        // A transfer PIN lives a week: a port that is judged today keeps one only when it
        // was obtained within the week (submissions refresh it, see `submit`).
        if mobile
            && fate.judged_today()
            && self.today.days_since_epoch() - d0.days_since_epoch() > 7
        {
            mobile = false;
        }
        // A PIN-expired rejection needs a PIN; other ports get another reason.
        let steps: Vec<Step> = steps
            .into_iter()
            .map(|s| match s {
                Step::Reject {
                    after,
                    reason: Reason::PinExpired,
                } if !mobile => Step::Reject {
                    after,
                    reason: Reason::PendingOrder,
                },
                s => s,
            })
            .collect();
        let acts = self.lay_out(country, &steps, d0);
        let flaw = steps.iter().find_map(|s| match s {
            Step::Reject { reason, .. } if reason.changes_loa() => Some(*reason),
            _ => None,
        });
        let proof = fate != Fate::AwaitingDocuments;
        let mut port = self.new_port(country, d0, toll_free, mobile, flaw, proof)?;
        let mut commits = Vec::new();
        let mut clock = Clock::default();
        for (on, act) in acts {
            let staff = if self.chance(80) {
                port.owner
            } else {
                self.rng.usize(..STAFF.len())
            };
            let minute = clock.next(&mut self.rng, on, staff);
            let (message, files) = self.act(&mut port, on, act, staff)?;
            commits.push(Commit {
                utc: minute,
                staff,
                message,
                files,
            });
        }
        Ok((port, commits))
    }

    /// A new port awaiting signature, created today.
    fn port_created_today(&mut self) -> Result<(Port, Vec<Commit>)> {
        let mut port = self.new_port("US", self.today, false, false, None, true)?;
        let owner = port.owner;
        let (message, files) = self.act(&mut port, self.today, Act::Create, owner)?;
        let commit = Commit {
            utc: 0,
            staff: port.owner,
            message,
            files,
        };
        Ok((port, vec![commit]))
    }

    /// `count` distinct numbers: toll-free, or geographic numbers of the country.
    fn draw(&mut self, toll_free: bool, country: &str, count: usize) -> Vec<String> {
        match (toll_free, country) {
            (true, _) => self.toll_free.block(count),
            (false, "CA") => self.ca.block(count),
            (false, _) => self.us.block(count),
        }
    }

    /// A new port's request data, as first typed.
    fn new_port(
        &mut self,
        country: &'static str,
        d0: Date,
        toll_free: bool,
        mobile: bool,
        flaw: Option<Reason>,
        proof: bool,
    ) -> Result<Port> {
        let residential = !toll_free && self.chance(if mobile { 60 } else { 10 });
        // Port orders carry at most 15 characters of the authorized person and 25 of the
        // end user name (`loa::field-too-long`): people and businesses are drawn until
        // they fit, as staff would abbreviate them.
        let (first, last) = loop {
            let (first, last) = (self.pick(FIRST_NAMES), self.pick(LAST_NAMES));
            if first.len() + 1 + last.len() <= 15 {
                break (first, last);
            }
        };
        let person = format!("{first} {last}");
        let (name, slug) = if residential {
            (
                person.clone(),
                format!("{}-{}", slugify(first), slugify(last)),
            )
        } else {
            let (a, b, suffix) = loop {
                let a = self.pick(BUSINESS_FIRST);
                let (b, suffix) = self.pick(BUSINESS_KIND);
                if a.len() + b.len() + suffix.len() + 2 <= 25 {
                    break (a, b, suffix);
                }
            };
            (
                format!("{a} {b} {suffix}"),
                format!("{}-{}", slugify(a), slugify(b)),
            )
        };
        let mut id = format!("{}-{:02}-{slug}", d0.year(), d0.month());
        let mut n = 2;
        while self.ids.contains(&id) {
            id = format!("{}-{:02}-{slug}-{n}", d0.year(), d0.month());
            n += 1;
        }
        self.ids.insert(id.clone());
        let domain = format!("{slug}.example");
        let count = if mobile {
            self.rng.usize(1..=3)
        } else if toll_free {
            self.rng.usize(1..=5)
        } else if residential {
            self.rng.usize(1..=2)
        } else {
            match self.rng.u32(0..100) {
                0..45 => self.rng.usize(1..=3),
                45..75 => self.rng.usize(4..=8),
                _ => self.rng.usize(9..=20),
            }
        };
        let ported = self.draw(toll_free, country, count);
        // The partial ports keep some of the account's numbers at the losing carrier.
        let partial = !toll_free && !residential && count >= 2 && self.chance(20);
        let mut kept = Vec::new();
        let (port_type, btn) = if partial {
            let n = self.rng.usize(1..=3);
            kept.extend(self.draw(false, country, n));
            match self.rng.u32(0..100) {
                // The BTN stays behind with the kept numbers.
                0..70 => (
                    PortType::Partial {
                        remaining: "keep",
                        new_btn: None,
                    },
                    kept[0].clone(),
                ),
                // The BTN is ported: one of the kept numbers becomes the new BTN.
                70..85 => (
                    PortType::Partial {
                        remaining: "keep",
                        new_btn: Some(kept[0].clone()),
                    },
                    ported[0].clone(),
                ),
                _ => (
                    PortType::Partial {
                        remaining: "disconnect",
                        new_btn: None,
                    },
                    ported[0].clone(),
                ),
            }
        } else {
            (PortType::Full, ported[0].clone())
        };
        let receiving = self.draw(false, country, 1).remove(0);
        let kind = if toll_free {
            "toll-free"
        } else if mobile {
            "mobile"
        } else if self.chance(70) {
            "landline"
        } else {
            "voip"
        };
        let mut numbers = Vec::with_capacity(count);
        for number in ported {
            let target_number = self
                .chance(5)
                .then(|| self.draw(false, country, 1).remove(0));
            numbers.push(Number {
                number,
                kind,
                tracking_source: self.pick(TRACKING_SOURCES),
                receiving_number: receiving.clone(),
                target_number,
            });
        }
        let losing_carrier = match (toll_free, mobile, country) {
            (true, _, _) => self.pick(TOLL_FREE_CARRIERS),
            (false, true, "CA") => self.pick(CA_MOBILE_CARRIERS),
            (false, true, _) => self.pick(US_MOBILE_CARRIERS),
            (false, false, "CA") => self.pick(CA_CARRIERS),
            (false, false, _) => self.pick(US_CARRIERS),
        };
        let (locality, region, postal_code) = if country == "CA" {
            self.pick(CA_PLACES)
        } else {
            self.pick(US_PLACES)
        };
        let street = format!(
            "{} {} {}",
            self.rng.u32(1..=9800),
            self.pick(STREETS),
            self.pick(STREET_KINDS)
        );
        let extended =
            (!residential && self.chance(30)).then(|| format!("Suite {}", self.rng.u32(100..=990)));
        self.accounts += 1;
        let needs_account = mobile || flaw == Some(Reason::AccountNumberMismatch);
        let account_number = (needs_account || self.chance(70)).then(|| {
            let n = self.accounts;
            format!(
                "{:04}-{:04}-{:02}",
                1000 + n % 9000,
                n / 9000 % 10_000,
                n % 97
            )
        });
        let pin = mobile.then(|| (self.pin.clone(), d0));
        let account = if self.chance(30) {
            format!(
                "{}-agency/{slug}",
                self.pick(BUSINESS_FIRST).to_lowercase().replace(' ', "-")
            )
        } else {
            slug.clone()
        };
        let mut documents = Vec::new();
        if proof {
            let receipt = mobile && residential && self.chance(50);
            let dated = if receipt {
                d0.add_days(-self.rng.i64(30..=400))
            } else {
                d0.add_days(-self.rng.i64(1..=8))
            }
            .unwrap_or(d0);
            let kind = if receipt { "receipt" } else { "bill" };
            documents.push(Doc {
                kind,
                path: format!("documents/{kind}-{dated}.pdf"),
                dated,
                description: None,
            });
        }
        // A CSR is the best evidence of what the carrier has on file; the ports whose LOA
        // data the carrier rejects did not have one (it would have caught the mistake).
        let csr = (flaw.is_none() && !residential && self.chance(25)).then(|| {
            let mut all: Vec<String> = numbers.iter().map(|n| n.number.clone()).collect();
            all.extend(kept.iter().cloned());
            all
        });
        if csr.is_some() && self.chance(50) {
            documents.push(Doc {
                kind: "csr",
                path: format!("documents/csr-{d0}.pdf"),
                dated: d0,
                description: Some(format!("CSR from {losing_carrier}")),
            });
        }
        let owner = self.rng.usize(..STAFF.len());
        Ok(Port {
            id,
            country,
            owner,
            account,
            requested_by: format!("{}.{}@{domain}", slugify(first), slugify(last)),
            losing_carrier: losing_carrier.to_owned(),
            port_type,
            residential,
            name,
            street,
            extended,
            locality,
            region,
            postal_code,
            authorized_person: person,
            title: (!residential).then(|| self.pick(TITLES)),
            signer_email: format!("{}@{domain}", slugify(first)),
            btn,
            account_number,
            pin,
            flaw,
            kept,
            csr,
            numbers,
            documents,
            events: 0,
            requested_foc: None,
            order: None,
        })
    }

    // ── Acts to files ─────────────────────────────────────────────────────────

    /// The commit message and files of one act, updating the port.
    fn act(
        &mut self,
        port: &mut Port,
        on: Date,
        act: Act,
        staff: usize,
    ) -> Result<(String, Files)> {
        let by = STAFF[staff].1;
        let dir = format!("ports/{}", port.id);
        let mut files = Vec::new();
        let message = match act {
            Act::Create => {
                for doc in &port.documents {
                    files.push((format!("{dir}/{}", doc.path), document_pdf(port, doc)?));
                }
                files.push((
                    format!("{dir}/request.toml"),
                    request_toml(port).into_bytes(),
                ));
                let numbers = count(port.numbers.len(), "number");
                format!(
                    "{}: new request, {numbers} from {}",
                    port.id, port.losing_carrier
                )
            }
            Act::Sign | Act::FixAndSign => {
                let fixed = matches!(act, Act::FixAndSign);
                if fixed {
                    if let Some(csr) = self.fix(port, on) {
                        files.push((format!("{dir}/{}", csr.path), document_pdf(port, &csr)?));
                    }
                }
                let digest = self.digest(port)?;
                let e_sign = self.chance(70);
                let mut path = format!("documents/loa-signed-{on}.pdf");
                let mut n = 2;
                while port.documents.iter().any(|d| d.path == path) {
                    path = format!("documents/loa-signed-{on}-{n}.pdf");
                    n += 1;
                }
                let pdf = signed_pdf(port, on, e_sign.then_some(digest.as_str()))?;
                let method = if e_sign { "e-sign" } else { "wet-ink" };
                let mut body = format!(
                    "signer = {}\nmethod = \"{method}\"\ndocument = \"{path}\"\nloa_digest = \"{digest}\"\n",
                    quoted(&port.authorized_person)
                );
                if !e_sign {
                    body.push_str(&format!("document_sha256 = \"{}\"\n", sha256_hex(&pdf)));
                }
                port.documents.push(Doc {
                    kind: "signed-loa",
                    path: path.clone(),
                    dated: on,
                    description: Some(format!(
                        "LOA signed by {} ({method})",
                        port.authorized_person
                    )),
                });
                files.push((format!("{dir}/{path}"), pdf));
                files.push((
                    format!("{dir}/request.toml"),
                    request_toml(port).into_bytes(),
                ));
                let comment = if fixed {
                    format!("{} signed the corrected LOA.", port.authorized_person)
                } else if e_sign {
                    format!("{} e-signed the LOA.", port.authorized_person)
                } else {
                    format!(
                        "{} signed the LOA in ink; scanned to PDF.",
                        port.authorized_person
                    )
                };
                files.push(self.event(port, "signed", &comment, on, by, &body));
                if fixed {
                    format!("{}: LOA corrected and signed again", port.id)
                } else {
                    format!("{}: signed ({method})", port.id)
                }
            }
            Act::Submit { requested_foc } => {
                let first = port.requested_foc.is_none();
                // Papers must be fresh at submission: a newer bill, a new PIN.
                if let Some(new_docs) = self.refresh_papers(port, on) {
                    for doc in &new_docs {
                        files.push((format!("{dir}/{}", doc.path), document_pdf(port, doc)?));
                    }
                    files.push((
                        format!("{dir}/request.toml"),
                        request_toml(port).into_bytes(),
                    ));
                }
                self.orders += 1;
                let order = format!("PC-{}", self.orders);
                port.requested_foc = Some(requested_foc);
                port.order = Some(order.clone());
                let body = format!(
                    "carrier = \"Partner Carrier\"\ncarrier_order_id = \"{order}\"\nrequested_foc = {requested_foc}\n"
                );
                let comment = if first {
                    "Submitted to Partner Carrier (approved in review)."
                } else {
                    "Resubmitted to Partner Carrier (approved in review)."
                };
                files.push(self.event(port, "submitted", comment, on, by, &body));
                format!(
                    "{}: submitted to Partner Carrier, FOC {requested_foc} requested",
                    port.id
                )
            }
            Act::Reject(reason) => {
                let (detail, instructions) = rejection_text(port, reason);
                let body = format!(
                    "instructions = {}\n\n[[reasons]]\ncode = \"{}\"\ndetail = {}\n",
                    quoted(&instructions),
                    reason.code(),
                    quoted(&detail)
                );
                let comment = format!("Partner Carrier rejected the port: {}.", reason.code());
                files.push(self.event(port, "rejected", &comment, on, by, &body));
                format!("{}: rejected ({})", port.id, reason.code())
            }
            Act::Schedule { foc, .. } | Act::ScheduleMistyped { foc } => {
                let mistyped = matches!(act, Act::ScheduleMistyped { .. });
                let moved = matches!(act, Act::Schedule { moved: true, .. });
                let mut body = format!("foc = {foc}\n");
                if self.chance(50) && !mistyped {
                    let zone = match (port.country, STAFF[port.owner].2) {
                        ("CA", _) => "America/Toronto",
                        (_, -360) => "America/Chicago",
                        (_, -420) => "America/Denver",
                        (_, -480) => "America/Los_Angeles",
                        _ => "America/New_York",
                    };
                    body.push_str(&format!(
                        "foc_time = \"{:02}:00\"\nfoc_timezone = \"{zone}\"\n",
                        self.rng.u32(8..=11)
                    ));
                }
                if let Some(order) = &port.order {
                    body.push_str(&format!("carrier_order_id = \"{order}\"\n"));
                }
                let comment = if mistyped {
                    "Firm Order Confirmation recorded with the month mistyped (voided by the next event).".to_owned()
                } else if moved {
                    format!("The carrier moved the port date: a new FOC for {foc}.")
                } else {
                    format!("Firm Order Confirmation received: the port is set for {foc}.")
                };
                files.push(self.event(port, "scheduled", &comment, on, by, &body));
                format!("{}: FOC {foc}", port.id)
            }
            Act::Void => {
                let voids = format!("{:03}", port.events);
                let body = format!(
                    "voids = \"{voids}\"\nreason = \"FOC typed with the wrong month; the carrier's confirmation says otherwise\"\n"
                );
                files.push(self.event(
                    port,
                    "void",
                    &format!("Event {voids} was recorded in error."),
                    on,
                    by,
                    &body,
                ));
                format!("{}: void event {voids}", port.id)
            }
            Act::Complete => {
                let comment = "All numbers ported on the FOC date; test calls passed.";
                files.push(self.event(port, "completed", comment, on, by, ""));
                format!("{}: completed", port.id)
            }
            Act::Cancel => {
                let reason = self.pick(CANCEL_REASONS);
                let body = format!("reason = {}\n", quoted(reason));
                files.push(self.event(port, "cancelled", "The port was withdrawn.", on, by, &body));
                format!("{}: cancelled", port.id)
            }
        };
        Ok((message, files))
    }

    /// The next event file of a port.
    fn event(
        &self,
        port: &mut Port,
        kind: &str,
        comment: &str,
        on: Date,
        by: &str,
        body: &str,
    ) -> (String, Vec<u8>) {
        port.events += 1;
        let path = format!("ports/{}/events/{:03}-{kind}.toml", port.id, port.events);
        let text = format!(
            "# {comment}\n#:schema ../../../schemas/event.schema.json\nkind = \"{kind}\"\non = {on}\nby = \"{by}\"\n{body}"
        );
        (path, text.into_bytes())
    }

    /// Corrects the LOA data the carrier rejected; sometimes the CSR obtained to fix it is
    /// added too, and returned.
    fn fix(&mut self, port: &mut Port, on: Date) -> Option<Doc> {
        port.flaw = None;
        if !port.residential && self.chance(50) {
            let mut all: Vec<String> = port.numbers.iter().map(|n| n.number.clone()).collect();
            all.extend(port.kept.iter().cloned());
            port.csr = Some(all);
            let doc = Doc {
                kind: "csr",
                path: format!("documents/csr-{on}.pdf"),
                dated: on,
                description: Some(format!("CSR from {}", port.losing_carrier)),
            };
            port.documents.push(doc.clone());
            return Some(doc);
        }
        None
    }

    /// Attaches a newer bill and a new PIN when the ones on file would be too old at a
    /// submission on `on`. `None` when nothing changed, else the documents added.
    fn refresh_papers(&mut self, port: &mut Port, on: Date) -> Option<Vec<Doc>> {
        let age = |d: Date| on.days_since_epoch() - d.days_since_epoch();
        let max_bill = i64::from(self.policy.documents.bill_max_age_days);
        let max_pin = i64::from(self.policy.documents.pin_max_age_days);
        let mut changed = false;
        let mut added = Vec::new();
        let bills: Vec<Date> = port
            .documents
            .iter()
            .filter(|d| d.kind == "bill")
            .map(|d| d.dated)
            .collect();
        if !bills.is_empty() && bills.iter().all(|d| age(*d) > max_bill) {
            let dated = on.add_days(-1).unwrap_or(on);
            let bill = Doc {
                kind: "bill",
                path: format!("documents/bill-{dated}.pdf"),
                dated,
                description: Some("the latest statement, for the resubmission".to_owned()),
            };
            port.documents.push(bill.clone());
            added.push(bill);
            changed = true;
        }
        // The customer asked the carrier for a new PIN the day before.
        if let Some((pin, obtained)) = &mut port.pin {
            if age(*obtained) > max_pin {
                *pin = self.pin.clone();
                *obtained = on.add_days(-1).unwrap_or(on);
                changed = true;
            }
        }
        changed.then_some(added)
    }

    /// The LOA digest of the port's request as it is now, computed by portflow itself.
    fn digest(&self, port: &Port) -> Result<String> {
        let request: Request = parse_toml("request.toml", &request_toml(port))?;
        Ok(digest(&LoaData::new(&self.policy, &port.id, &request)))
    }

    /// The pull request: three ports move on, one event each, dated today.
    fn pull_request(
        &mut self,
        live: &mut [(Fate, Port)],
        after: i64,
        summary: &mut Summary,
    ) -> Result<Vec<Commit>> {
        let mut commits = Vec::new();
        let wanted = [
            (Fate::AwaitingSignature, Act::Sign),
            (
                Fate::Ready,
                Act::Submit {
                    requested_foc: self.today,
                },
            ),
            (Fate::Submitted, Act::Reject(Reason::PendingOrder)),
        ];
        for (i, (fate, act)) in wanted.into_iter().enumerate() {
            let Some((_, port)) = live.iter_mut().rev().find(|(f, _)| *f == fate) else {
                continue;
            };
            let act = match act {
                Act::Submit { .. } => {
                    let lead = self
                        .policy
                        .country(port.country)
                        .and_then(|c| c.min_lead_business_days)
                        .unwrap_or(0);
                    Act::Submit {
                        requested_foc: self.add_business_days(port.country, self.today, lead + 2),
                    }
                }
                act => act,
            };
            let staff = port.owner;
            let (message, files) = self.act(port, self.today, act, staff)?;
            summary.pr_ports.push(port.id.clone());
            commits.push(Commit {
                utc: after + 600 * (i as i64 + 1),
                staff,
                message,
                files,
            });
        }
        Ok(commits)
    }
}

/// Commit times of one port: working hours on the day of each act, later than the
/// port's previous commit.
#[derive(Default)]
struct Clock {
    last: i64,
}

impl Clock {
    fn next(&mut self, rng: &mut fastrand::Rng, on: Date, staff: usize) -> i64 {
        let offset = STAFF[staff].2;
        let mut at = utc(on, 9 * 60 + rng.i32(0..8 * 60), offset);
        if at <= self.last {
            at = self.last + 60 * rng.i64(3..=40);
        }
        self.last = at;
        at
    }
}

/// Seconds since the epoch of a local time on a day, at a UTC offset in minutes.
fn utc(day: Date, minute_of_day: i32, offset: i32) -> i64 {
    day.days_since_epoch() * 86_400 + i64::from(minute_of_day - offset) * 60
}

/// Valid, distinct numbers of one kind, in blocks of consecutive lines.
///
/// Lines are the 555-01XX range (fictional, reserved for entertainment use) of every area
/// code libphonenumber gives to the country; a desk of more than a few thousand ports needs
/// more, and takes the 01XX lines of exchanges 554, 553, … of the same area codes (as
/// `benches/repo.rs` does). Each candidate is checked with libphonenumber ([`fits`]).
struct NumberPool {
    areas: Vec<u16>,
    country: Option<&'static str>,
    area: usize,
    exchange: u16,
    line: u16,
}

/// NANP toll-free area codes.
const TOLL_FREE_AREAS: &[u16] = &[800, 833, 844, 855, 866, 877, 888];

impl NumberPool {
    fn geographic(country: &'static str) -> NumberPool {
        let areas = (201..=989)
            .filter(|a| fits(Some(country), &format!("+1{a}5550100")))
            .collect();
        NumberPool {
            areas,
            country: Some(country),
            area: 0,
            exchange: 555,
            line: 0,
        }
    }

    fn toll_free() -> NumberPool {
        NumberPool {
            areas: TOLL_FREE_AREAS.to_vec(),
            country: None,
            area: 0,
            exchange: 555,
            line: 0,
        }
    }

    /// `count` (at most 100) valid numbers, consecutive when they can be.
    fn block(&mut self, count: usize) -> Vec<String> {
        if usize::from(100 - self.line) < count {
            self.next_area();
        }
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            if self.line == 100 {
                self.next_area();
            }
            let number = format!(
                "+1{}{:03}01{:02}",
                self.areas[self.area], self.exchange, self.line
            );
            self.line += 1;
            if fits(self.country, &number) {
                out.push(number);
            }
        }
        out
    }

    fn next_area(&mut self) {
        self.line = 0;
        self.area += 1;
        if self.area == self.areas.len() {
            self.area = 0;
            self.exchange -= 1;
        }
    }
}

/// Whether a number is valid and of the kind a pool hands out, read by portflow's own
/// numbering plan (libphonenumber's verdicts; the `phonenumber` crate's own type lookup
/// departs from them): a geographic number of the country, which fits every type a port
/// declares for it (landline, mobile or VoIP), or a toll-free number. Other types would
/// contradict the declared type (`number::type-mismatch`): Canada's non-geographic 600
/// numbers, for one, are VoIP.
fn fits(country: Option<&str>, text: &str) -> bool {
    use portflow::numbering::{self, Type};
    let Some(reading) = numbering::read(text) else {
        return false;
    };
    match country {
        Some(c) => reading.region == Some(c) && reading.kind == Type::FixedLineOrMobile,
        None => reading.kind == Type::TollFree,
    }
}

// ── File contents ─────────────────────────────────────────────────────────────

/// A TOML basic string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// `3 numbers`, `1 number`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn slugify(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The request as staff would have typed it (with its flaw, until fixed).
fn request_toml(p: &Port) -> String {
    let mut t = String::from("#:schema ../../schemas/request.schema.json\n");
    let kind = p.numbers.first().map_or("", |n| n.kind);
    let port_type = match p.port_type {
        PortType::Full => "full",
        PortType::Partial { .. } => "partial",
    };
    t.push_str(&format!(
        "# {} port of {} {kind} from {}.\n",
        if port_type == "full" {
            "Full"
        } else {
            "Partial"
        },
        count(p.numbers.len(), "number"),
        p.losing_carrier
    ));
    t.push_str(&format!("account = \"{}\"\n", p.account));
    t.push_str(&format!("requested_by = \"{}\"\n", p.requested_by));
    t.push_str(&format!("country = \"{}\"\n", p.country));
    t.push_str(&format!("losing_carrier = {}\n", quoted(&p.losing_carrier)));
    t.push_str(&format!("port_type = \"{port_type}\"\n"));
    if let PortType::Partial { remaining, new_btn } = &p.port_type {
        t.push_str(&format!(
            "\n[partial]\nremaining_numbers = \"{remaining}\"\n"
        ));
        if let Some(new) = new_btn {
            t.push_str(&format!("new_billing_number = \"{new}\"\n"));
        }
    }
    let (name, street, account_number) = flawed(p);
    t.push_str("\n[end_user]\n");
    t.push_str(&format!(
        "type = \"{}\"\n",
        if p.residential {
            "residential"
        } else {
            "business"
        }
    ));
    t.push_str(&format!("name = {}\n", quoted(&name)));
    t.push_str(&format!(
        "authorized_person = {}\n",
        quoted(&p.authorized_person)
    ));
    if let Some(title) = p.title {
        t.push_str(&format!("authorized_title = \"{title}\"\n"));
    }
    t.push_str(&format!("signer_email = \"{}\"\n", p.signer_email));
    t.push_str(&format!("billing_number = \"{}\"\n", p.btn));
    if let Some(account) = &account_number {
        t.push_str(&format!("account_number = \"{account}\"\n"));
    }
    if let Some((pin, obtained)) = &p.pin {
        let body = pin.lines().collect::<Vec<_>>().join("\n");
        t.push_str(&format!(
            "pin = \"\"\"{body}\"\"\"\npin_obtained_on = {obtained}\n"
        ));
    }
    t.push_str("\n[end_user.service_address]\n");
    t.push_str(&format!("street = {}\n", quoted(&street)));
    if let Some(extended) = &p.extended {
        t.push_str(&format!("extended = \"{extended}\"\n"));
    }
    t.push_str(&format!(
        "locality = \"{}\"\nregion = \"{}\"\npostal_code = \"{}\"\ncountry = \"{}\"\n",
        p.locality, p.region, p.postal_code, p.country
    ));
    if let Some(csr) = &p.csr {
        t.push_str("\n[csr]\n");
        t.push_str(&format!("name = {}\n", quoted(&p.name.to_uppercase())));
        let street = match &p.extended {
            Some(ext) => format!("{} {ext}", p.street),
            None => p.street.clone(),
        };
        t.push_str(&format!("street = {}\n", quoted(&street.to_uppercase())));
        t.push_str(&format!("postal_code = \"{}\"\n", p.postal_code));
        t.push_str(&format!("billing_number = \"{}\"\n", p.btn));
        if let Some(account) = &p.account_number {
            t.push_str(&format!("account_number = \"{account}\"\n"));
        }
        let list: Vec<String> = csr.iter().map(|n| format!("\"{n}\"")).collect();
        t.push_str(&format!("numbers = [{}]\n", list.join(", ")));
    }
    for n in &p.numbers {
        t.push_str(&format!(
            "\n[[numbers]]\nnumber = \"{}\"\ntype = \"{}\"\ntracking_source = \"{}\"\nreceiving_number = \"{}\"\n",
            n.number, n.kind, n.tracking_source, n.receiving_number
        ));
        if let Some(target) = &n.target_number {
            t.push_str(&format!("target_number = \"{target}\"\n"));
        }
    }
    for d in &p.documents {
        t.push_str(&format!(
            "\n[[documents]]\nkind = \"{}\"\npath = \"{}\"\ndated = {}\n",
            d.kind, d.path, d.dated
        ));
        if let Some(description) = &d.description {
            t.push_str(&format!("description = {}\n", quoted(description)));
        }
    }
    t
}

/// The name, street and account number the request has: with the port's flaw until it is
/// fixed (a legal suffix left off, a letter dropped, two digits swapped).
fn flawed(p: &Port) -> (String, String, Option<String>) {
    let mut name = p.name.clone();
    let mut street = p.street.clone();
    let mut account = p.account_number.clone();
    match p.flaw {
        Some(Reason::NameMismatch) => {
            name = match name.rsplit_once(' ') {
                Some((rest, _)) if !p.residential => rest.to_owned(),
                _ => format!("{name}e"),
            };
        }
        Some(Reason::AddressMismatch) => {
            // A letter dropped from the street name: "480 Lanternfield Ave" -> "480 Lanernfield Ave".
            let mut words: Vec<String> = street.split(' ').map(str::to_owned).collect();
            if let Some(word) = words.get_mut(1).filter(|w| w.len() > 4) {
                word.remove(3);
            }
            street = words.join(" ");
        }
        Some(Reason::AccountNumberMismatch) => {
            // Two digits swapped: "1234-…" -> "2134-…" (a trailing 0 when they are equal).
            if let Some(a) = &mut account {
                let swapped: String = a[1..2].to_owned() + &a[..1] + &a[2..];
                *a = if swapped == *a {
                    format!("{a}0")
                } else {
                    swapped
                };
            }
        }
        _ => {}
    }
    (name, street, account)
}

/// What the carrier said and what the customer is asked to do.
fn rejection_text(p: &Port, reason: Reason) -> (String, String) {
    let (name, street, account) = flawed(p);
    match reason {
        Reason::NameMismatch => (
            format!("End user name {} does not match customer record", name.to_uppercase()),
            format!("{} could not match the name on your authorization, \"{name}\", to your account. Please confirm the exact name on your bill; we will correct the authorization and send it to you to sign again.", p.losing_carrier),
        ),
        Reason::AddressMismatch => (
            format!("Service address {} does not match customer record", street.to_uppercase()),
            format!("{} could not match the service address \"{street}\" to your account. We have corrected it to match your bill; please sign the corrected authorization and we will resubmit.", p.losing_carrier),
        ),
        Reason::AccountNumberMismatch => (
            format!("Account number {} not found", account.unwrap_or_default()),
            format!("{} does not recognize the account number on your authorization. Please send us the account number printed on your latest bill; you will then sign the corrected authorization.", p.losing_carrier),
        ),
        Reason::FocRejected => (
            "Requested due date not available".to_owned(),
            "The losing carrier cannot port your numbers on the date we asked for. Nothing is needed from you: we will resubmit with a later date.".to_owned(),
        ),
        Reason::PendingOrder => (
            "Open order on the account; port cannot proceed until it closes".to_owned(),
            format!("{} has an open order on your account. Please ask them to complete or cancel it and tell us when it is closed; you do not need to sign again.", p.losing_carrier),
        ),
        Reason::CarrierUnresponsive => (
            "No response from the losing carrier within the allowed interval".to_owned(),
            "The losing carrier did not answer our request in time. Nothing is needed from you: we will resubmit.".to_owned(),
        ),
        Reason::PinExpired => (
            "Transfer PIN expired".to_owned(),
            format!("The transfer PIN from {} has expired. Please request a new one and send it to us; we will resubmit the same day.", p.losing_carrier),
        ),
    }
}

/// A one-page PDF with lines of text (ASCII).
fn pdf(lines: &[String]) -> Result<Vec<u8>> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document as Pdf, Object, Stream, dictionary};
    let mut doc = Pdf::with_version("1.5");
    let pages = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let mut ops = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 10.into()]),
        Operation::new("TL", vec![14.into()]),
        Operation::new("Td", vec![60.into(), 740.into()]),
    ];
    for line in lines {
        let ascii: String = line.chars().filter(char::is_ascii).collect();
        ops.push(Operation::new("Tj", vec![Object::string_literal(ascii)]));
        ops.push(Operation::new("T*", vec![]));
    }
    ops.push(Operation::new("ET", vec![]));
    let content = Content { operations: ops }.encode()?;
    let contents = doc.add_object(Stream::new(dictionary! {}, content));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "Contents" => contents,
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    Ok(out)
}

/// A bill, receipt or CSR of the port.
fn document_pdf(p: &Port, d: &Doc) -> Result<Vec<u8>> {
    let title = match d.kind {
        "bill" => "Statement",
        "receipt" => "Receipt of purchase",
        _ => "Customer Service Record",
    };
    let mut lines = vec![
        p.losing_carrier.clone(),
        format!("{title} - {}", d.dated),
        p.name.clone(),
        format!(
            "{}, {} {} {}",
            p.street, p.locality, p.region, p.postal_code
        ),
        format!("Billing telephone number {}", p.btn),
    ];
    lines.extend(
        p.numbers
            .iter()
            .map(|n| format!("{}  {}", n.number, n.kind)),
    );
    pdf(&lines)
}

/// A signed LOA: an e-signed copy prints the digest it was rendered with; a scan of an ink
/// signature prints none that can be read.
fn signed_pdf(p: &Port, on: Date, digest: Option<&str>) -> Result<Vec<u8>> {
    let mut lines = vec![
        "Letter of Authorization".to_owned(),
        p.name.clone(),
        format!("Authorized person: {}", p.authorized_person),
    ];
    match digest {
        Some(digest) => {
            lines.push(format!("Electronically signed on {on}"));
            lines.push(format!("Port {} - LOA digest {digest}", p.id));
        }
        None => lines.push(format!("Scanned copy - signed in ink on {on}")),
    }
    pdf(&lines)
}

/// Parses TOML the way portflow does (span-preserving, dates as strings) into a model type.
fn parse_toml<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T> {
    let (file, _) = SourceFile::from_bytes(name, text.as_bytes(), ALWAYS_SECRET_KEYS);
    let doc = Document::parse(file).map_err(|f| format!("{name}: {}", f.message))?;
    Ok(serde_json::from_value(doc.to_json())?)
}

/// The encrypted PIN of the bundled mobile example, reused by every mobile port: age
/// encryption is randomized, and one fixed ciphertext keeps the repo the same for the same
/// seed. A fresh one is made when the example is gone.
fn example_pin(project: &Path, policy: &Policy) -> Result<String> {
    let example = project.join("ports/2026-11-okafor-prepaid/request.toml");
    let found = std::fs::read_to_string(example).ok().and_then(|text| {
        let table: toml::Table = toml::from_str(&text).ok()?;
        let pin = table.get("end_user")?.get("pin")?.as_str()?;
        portflow::secret::is_age_armored(pin).then(|| pin.trim().to_owned())
    });
    match found {
        Some(pin) => Ok(pin),
        None => {
            let recipients = portflow::secret::recipients(policy).map_err(|e| e.to_string())?;
            let pin = age::secrecy::SecretString::from("4921".to_owned());
            Ok(portflow::secret::encrypt(&recipients, &pin).map_err(|e| e.to_string())?)
        }
    }
}
