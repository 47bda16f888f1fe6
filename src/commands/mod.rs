//! One file per subcommand: the only code that sees the command line's types, the
//! [`Environment`](crate::Environment) and the [`Output`](crate::Output) of a run. Each
//! `run` loads what it needs through the engine and git layers and hands the result to a
//! report.

pub mod check;
pub mod completions;
pub mod digest;
pub mod find;
pub mod history;
pub mod init;
pub mod new;
pub mod notify;
pub mod record;
pub mod render;
pub mod report;
pub mod schema;
pub mod secret;
pub mod site;
pub mod status;
pub mod summary;

use crate::git::GitError;
use crate::model::Date;
use crate::model::event::EventBody;
use crate::repo::{Port, RepoError};
use crate::rules::events::resolve_voids;

/// Failures of the commands that read the repo (and git) to report on it: `status`,
/// `digest`, `history`, `report` and `summary`. Findings are their output, not failures.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The repo could not be read.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Git could not be read.
    #[error(transparent)]
    Git(#[from] GitError),
    /// A port id or folder that the repo does not have.
    #[error("no port `{0}` in this repo (see `portflow status`)")]
    UnknownPort(String),
    /// porting.toml does not parse or fails its schema, so no port can be judged.
    #[error(
        "porting.toml does not pass its checks, so no port's stage can be judged: run `portflow check porting.toml` and fix it first"
    )]
    PolicyInvalid,
}

/// What `status` and `report` read from a port's live events (voided ones left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EventFacts {
    /// The FOC of the latest `scheduled` event, while it stands: a later submission,
    /// rejection or cancellation withdraws it; a completion keeps it (the day it ported).
    pub foc: Option<Date>,
    /// Every reason code of every rejection, one per reason.
    pub rejection_codes: Vec<String>,
    /// The reason codes of the latest rejection.
    pub latest_rejection: Vec<String>,
    /// The partner carrier of the latest submission.
    pub carrier: Option<String>,
}

impl EventFacts {
    /// Reads a port's live events in NNN order.
    pub(crate) fn of(port: &Port) -> EventFacts {
        let mut facts = EventFacts::default();
        let (live, _) = resolve_voids(port);
        for e in live {
            match &e.event.body {
                EventBody::Submitted { carrier, .. } => {
                    facts.carrier = Some(carrier.clone());
                    facts.foc = None;
                }
                EventBody::Rejected { reasons, .. } => {
                    facts.latest_rejection = reasons.iter().map(|r| r.code.clone()).collect();
                    facts
                        .rejection_codes
                        .extend(facts.latest_rejection.iter().cloned());
                    facts.foc = None;
                }
                EventBody::Scheduled { foc, .. } => facts.foc = Some(*foc),
                EventBody::Cancelled { .. } => facts.foc = None,
                EventBody::Signed { .. } | EventBody::Completed { .. } | EventBody::Void { .. } => {
                }
            }
        }
        facts
    }
}
