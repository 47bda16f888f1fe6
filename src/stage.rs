//! The stage model: a pure fold of a port's state and its events; no I/O, no clock.

use std::fmt;

use serde::Serialize;

use crate::model::event::{Event, EventBody, EventKind};

/// Where a port is. Computed, never written by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// The request or an event does not parse or fails its schema.
    Invalid,
    /// LOA data is incomplete.
    Draft,
    /// LOA complete, no signature of the current LOA.
    AwaitingSignature,
    /// Signed, but proof of ownership or a country-required document is missing.
    AwaitingDocuments,
    /// Signed with documents; the next step is a reviewed submission.
    Ready,
    /// Submitted to the carrier.
    Submitted,
    /// Rejected by the carrier; action required.
    Rejected,
    /// FOC received.
    Scheduled,
    /// Ported. Terminal.
    Completed,
    /// Abandoned. Terminal.
    Cancelled,
}

impl Stage {
    /// Every stage, in lifecycle order.
    pub const ALL: [Stage; 10] = [
        Stage::Invalid,
        Stage::Draft,
        Stage::AwaitingSignature,
        Stage::AwaitingDocuments,
        Stage::Ready,
        Stage::Submitted,
        Stage::Rejected,
        Stage::Scheduled,
        Stage::Completed,
        Stage::Cancelled,
    ];

    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Invalid => "invalid",
            Stage::Draft => "draft",
            Stage::AwaitingSignature => "awaiting-signature",
            Stage::AwaitingDocuments => "awaiting-documents",
            Stage::Ready => "ready",
            Stage::Submitted => "submitted",
            Stage::Rejected => "rejected",
            Stage::Scheduled => "scheduled",
            Stage::Completed => "completed",
            Stage::Cancelled => "cancelled",
        }
    }

    /// Completed or cancelled: nothing may change any more.
    pub fn is_terminal(self) -> bool {
        matches!(self, Stage::Completed | Stage::Cancelled)
    }

    /// Whether the port has been submitted at least once (and so carrier events are legal).
    pub fn is_after_submission(self) -> bool {
        matches!(
            self,
            Stage::Submitted | Stage::Rejected | Stage::Scheduled | Stage::Completed
        )
    }

    /// What staff should do next, in a few words.
    pub fn next_action(self) -> &'static str {
        match self {
            Stage::Invalid => "fix the files so they parse and pass the schema",
            Stage::Draft => "complete the LOA data",
            Stage::AwaitingSignature => "have the authorized person sign the LOA",
            Stage::AwaitingDocuments => "attach proof of ownership and required documents",
            Stage::Ready => "open a PR with a `submitted` event for review",
            Stage::Submitted => "wait for the carrier's FOC or rejection",
            Stage::Rejected => "resolve the rejection with the customer, then resubmit",
            Stage::Scheduled => "confirm completion on the FOC date",
            Stage::Completed => "none",
            Stage::Cancelled => "none",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the fold needs besides the events: facts about the port's files now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// A file failed to parse or its schema.
    pub invalid: bool,
    /// LOA data is complete (no `loa::*`, `number::*` or country field errors).
    pub loa_complete: bool,
    /// Proof of ownership and every country-required document are present.
    pub documents_complete: bool,
    /// The digest of the current LOA data.
    pub digest: String,
    /// Every number of the request (E.164), for partial completions.
    pub numbers: Vec<String>,
}

/// One step of the fold: an event (not voided) and its number.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// The event's NNN.
    pub number: u32,
    /// The event.
    pub event: &'a Event,
}

/// Why an event is out of place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Fine.
    Legal,
    /// Allowed but unusual (a warning).
    Unusual(String),
    /// Not allowed (an error).
    Illegal(String),
    /// A submission whose latest signature does not cover the current LOA.
    StaleSignature(String),
}

/// The result of folding a port's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// The stage now.
    pub stage: Stage,
    /// The stage each step was applied in (parallel to the steps).
    pub before: Vec<Stage>,
    /// What each step's order means (parallel to the steps).
    pub verdicts: Vec<Verdict>,
    /// Whether a `signed` event covers the current LOA digest.
    pub signed_current: bool,
    /// Index (into the steps) of the latest `submitted` event.
    pub last_submission: Option<usize>,
}

/// The stage a port would have with no lifecycle event.
fn pre_submission(facts: &Facts, signed_current: bool) -> Stage {
    if facts.invalid {
        Stage::Invalid
    } else if !facts.loa_complete {
        Stage::Draft
    } else if !signed_current {
        Stage::AwaitingSignature
    } else if !facts.documents_complete {
        Stage::AwaitingDocuments
    } else {
        Stage::Ready
    }
}

/// Folds the events (voided ones already removed, in NNN order) over the port's facts.
pub fn fold(facts: &Facts, steps: &[Step<'_>]) -> Fold {
    let signed_current = steps.iter().any(|s| {
        matches!(&s.event.body, EventBody::Signed { loa_digest, .. } if *loa_digest == facts.digest)
    });
    let last_submission = steps
        .iter()
        .rposition(|s| s.event.kind() == EventKind::Submitted);
    if facts.invalid {
        return Fold {
            stage: Stage::Invalid,
            before: vec![Stage::Invalid; steps.len()],
            verdicts: vec![Verdict::Legal; steps.len()],
            signed_current,
            last_submission,
        };
    }

    // LOA edits are legitimate while rejected, so a submission followed by a rejection (or a
    // cancellation) is not judged against today's LOA.
    let last_submission_answered = last_submission.is_some_and(|last| {
        steps[last + 1..]
            .iter()
            .any(|s| matches!(s.event.kind(), EventKind::Rejected | EventKind::Cancelled))
    });
    let mut lifecycle: Option<Stage> = None;
    let mut signed_any = false;
    let mut signed_now = false;
    let mut completed: Vec<&str> = Vec::new();
    let mut since_submission_rejected = false;
    let mut since_submission_scheduled = false;
    let mut before = Vec::with_capacity(steps.len());
    let mut verdicts = Vec::with_capacity(steps.len());

    for (i, step) in steps.iter().enumerate() {
        let current = lifecycle.unwrap_or_else(|| pre_submission(facts, signed_now));
        before.push(current);
        let terminal = current.is_terminal();
        let verdict = match &step.event.body {
            _ if terminal && step.event.kind() != EventKind::Void => Illegal(format!(
                "the port is {current}: nothing may follow a terminal event"
            )),
            EventBody::Void { .. } => Legal,
            EventBody::Signed { loa_digest, .. } => {
                signed_any = true;
                signed_now |= *loa_digest == facts.digest;
                Legal
            }
            EventBody::Submitted { .. } => {
                let is_last = Some(i) == last_submission;
                let verdict = match current {
                    Stage::Ready => Legal,
                    Stage::Rejected if signed_any => Legal,
                    Stage::Rejected => Illegal("a resubmission needs a signed LOA".to_owned()),
                    Stage::Submitted | Stage::Scheduled => Illegal(format!(
                        "the port is already {current}; record the carrier's answer first"
                    )),
                    // Before the first submission only the latest one is judged on today's
                    // files; earlier ones were followed by carrier events and stand.
                    _ if !is_last && signed_any => Legal,
                    other => Illegal(format!(
                        "a port is submitted only from `ready`, and this one is {other}"
                    )),
                };
                let verdict =
                    if is_last && verdict == Legal && !signed_now && !last_submission_answered {
                        StaleSignature(
                            "no signature covers the current LOA data: it changed after signing"
                                .to_owned(),
                        )
                    } else {
                        verdict
                    };
                if matches!(verdict, Legal | StaleSignature(_)) {
                    lifecycle = Some(Stage::Submitted);
                    since_submission_rejected = false;
                    since_submission_scheduled = false;
                }
                verdict
            }
            EventBody::Rejected { .. } => {
                if !current.is_after_submission() {
                    Illegal(format!(
                        "a rejection is recorded only after a submission, and the port is {current}"
                    ))
                } else {
                    let verdict = if since_submission_rejected {
                        Unusual("a second rejection without a resubmission in between".to_owned())
                    } else {
                        Legal
                    };
                    since_submission_rejected = true;
                    lifecycle = Some(Stage::Rejected);
                    verdict
                }
            }
            EventBody::Scheduled { .. } => {
                if !current.is_after_submission() {
                    Illegal(format!(
                        "an FOC is recorded only after a submission, and the port is {current}"
                    ))
                } else {
                    let verdict = if current == Stage::Rejected {
                        Unusual("an FOC after a rejection without a resubmission".to_owned())
                    } else {
                        Legal
                    };
                    since_submission_scheduled = true;
                    lifecycle = Some(Stage::Scheduled);
                    verdict
                }
            }
            EventBody::Completed { numbers } => {
                if !current.is_after_submission() {
                    Illegal(format!(
                        "a completion is recorded only after a submission, and the port is {current}"
                    ))
                } else {
                    let verdict = if !since_submission_scheduled {
                        Unusual("a completion without an FOC".to_owned())
                    } else if current == Stage::Rejected {
                        Unusual("a completion after a rejection without a resubmission".to_owned())
                    } else {
                        Legal
                    };
                    match numbers {
                        Some(subset) => completed.extend(subset.iter().map(String::as_str)),
                        None => completed.extend(facts.numbers.iter().map(String::as_str)),
                    }
                    let all_done = facts
                        .numbers
                        .iter()
                        .all(|n| completed.contains(&n.as_str()));
                    lifecycle = Some(if all_done {
                        Stage::Completed
                    } else {
                        Stage::Scheduled
                    });
                    verdict
                }
            }
            EventBody::Cancelled { .. } => {
                lifecycle = Some(Stage::Cancelled);
                Legal
            }
        };
        verdicts.push(verdict);
    }
    let stage = lifecycle.unwrap_or_else(|| pre_submission(facts, signed_current));
    Fold {
        stage,
        before,
        verdicts,
        signed_current,
        last_submission,
    }
}

use Verdict::{Illegal, Legal, StaleSignature, Unusual};
