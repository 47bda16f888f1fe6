//! The stage model: a pure fold of a port's state and its events; no I/O, no clock.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::event::{Event, EventBody, EventKind};

/// Where a port is. Computed, never written by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// An event file failed to parse or its schema: the log cannot be read whole.
    pub events_invalid: bool,
    /// LOA data is complete (no `loa::*`, `number::*` or country field errors).
    pub loa_complete: bool,
    /// Proof of ownership and every country-required document are present.
    pub documents_complete: bool,
    /// The digest of the current LOA data.
    pub digest: String,
    /// Every number of the request (E.164), for partial completions.
    pub numbers: Vec<String>,
    /// Document paths that are not usable files (missing, outside, wrong type): a
    /// `signed` event whose signed LOA is one of them does not count as a signature.
    pub unusable_documents: Vec<String>,
}

/// One step of the fold: an event (not voided) and its number.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// The event's NNN.
    pub number: u32,
    /// The event.
    pub event: &'a Event,
}

/// Whether an event's place in the log is allowed. Order is a fact of the log alone: it
/// never depends on today's request or policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Fine.
    Legal,
    /// Allowed but unusual (a warning).
    Unusual(String),
    /// Not allowed (an error).
    Illegal(String),
}

/// The submission the carrier has not answered yet, and the signature it submitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Index (into the steps) of the `submitted` event.
    pub submission: usize,
    /// Index of the latest `signed` event before it: the LOA the carrier got.
    pub signature: Option<usize>,
}

/// The result of folding a port's events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// The stage now.
    pub stage: Stage,
    /// What the next submission needs, judged on today's files: `draft` …
    /// `ready` (`invalid` when a file fails its schema). Before the first submission this
    /// is the stage; for a rejected port it is what the resubmission needs.
    pub readiness: Stage,
    /// The stage each step was applied in (parallel to the steps).
    pub before: Vec<Stage>,
    /// What each step's order means (parallel to the steps).
    pub verdicts: Vec<Verdict>,
    /// Whether a `signed` event covers the current LOA digest.
    pub signed_current: bool,
    /// Index (into the steps) of the latest `submitted` event.
    pub last_submission: Option<usize>,
    /// The latest submission, while the carrier has not answered it.
    pub pending: Option<Pending>,
}

impl Fold {
    /// What staff should do next: for a rejected port, what the resubmission needs.
    pub fn next_action(&self) -> String {
        if self.stage != Stage::Rejected {
            return self.stage.next_action().to_owned();
        }
        match self.readiness {
            Stage::Ready => {
                "resubmit: open a PR with a new `submitted` event for review".to_owned()
            }
            Stage::AwaitingSignature => {
                "have the authorized person sign the corrected LOA, then resubmit".to_owned()
            }
            other => format!("{}, then resubmit", other.next_action()),
        }
    }
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
///
/// Before the first submission the stage comes from today's files (`draft` … `ready`);
/// from the first `submitted` event on it is the last lifecycle event's, whatever the
/// files say now. Whether a submission was backed by a current signature is judged by the
/// rules, against the data of the submission's own time; the fold only judges order.
pub fn fold(facts: &Facts, steps: &[Step<'_>]) -> Fold {
    let covers = |e: &Event| {
        matches!(&e.body, EventBody::Signed { loa_digest, document, .. }
            if *loa_digest == facts.digest && !facts.unusable_documents.contains(document))
    };
    let signed_current = steps.iter().any(|s| covers(s.event));
    let readiness = pre_submission(facts, signed_current);
    let last_submission = steps
        .iter()
        .rposition(|s| s.event.kind() == EventKind::Submitted);
    if facts.events_invalid {
        return Fold {
            stage: Stage::Invalid,
            readiness,
            before: vec![Stage::Invalid; steps.len()],
            verdicts: vec![Verdict::Legal; steps.len()],
            signed_current,
            last_submission,
            pending: None,
        };
    }

    let mut lifecycle: Option<Stage> = None;
    let mut signed_now = false;
    let mut last_signature: Option<usize> = None;
    let mut pending: Option<Pending> = None;
    let mut completed: Vec<&str> = Vec::new();
    let mut since_submission_rejected = false;
    let mut since_submission_scheduled = false;
    let mut latest_foc: Option<crate::model::Date> = None;
    let mut before = Vec::with_capacity(steps.len());
    let mut verdicts = Vec::with_capacity(steps.len());

    for (i, step) in steps.iter().enumerate() {
        let current = lifecycle.unwrap_or_else(|| pre_submission(facts, signed_now));
        before.push(current);
        let terminal = current.is_terminal();
        let kind = step.event.kind();
        if matches!(
            kind,
            EventKind::Rejected
                | EventKind::Scheduled
                | EventKind::Completed
                | EventKind::Cancelled
        ) {
            // The carrier's answer (or a cancellation) ends the pending submission.
            pending = None;
        }
        let verdict = match &step.event.body {
            _ if terminal && kind != EventKind::Void => Illegal(format!(
                "the port is {current}: nothing may follow a terminal event"
            )),
            EventBody::Void { .. } => Legal,
            EventBody::Signed { .. } => {
                signed_now |= covers(step.event);
                last_signature = Some(i);
                Legal
            }
            EventBody::Submitted { .. } => {
                let verdict = match lifecycle {
                    Some(Stage::Submitted | Stage::Scheduled) => Illegal(format!(
                        "the port is already {current}; record the carrier's answer first"
                    )),
                    Some(Stage::Rejected) if last_signature.is_none() => {
                        Illegal("a resubmission needs a signed LOA".to_owned())
                    }
                    _ if last_signature.is_none() => Illegal(format!(
                        "a port is submitted only from `ready`, and this one is {current}"
                    )),
                    _ => Legal,
                };
                if verdict == Legal {
                    lifecycle = Some(Stage::Submitted);
                    pending = Some(Pending {
                        submission: i,
                        signature: last_signature,
                    });
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
            EventBody::Scheduled { foc, .. } => {
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
                    latest_foc = Some(*foc);
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
                    } else if let Some(foc) = latest_foc.filter(|foc| step.event.on < *foc) {
                        Unusual(format!(
                            "a completion on {} before the FOC date {foc}",
                            step.event.on
                        ))
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
    Fold {
        stage: lifecycle.unwrap_or(readiness),
        readiness,
        before,
        verdicts,
        signed_current,
        last_submission,
        pending,
    }
}

use Verdict::{Illegal, Legal, Unusual};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Date;
    use crate::model::event::{RejectReason, SignMethod};

    const DIGEST: &str = "sha256:aaaa";

    fn facts() -> Facts {
        Facts {
            invalid: false,
            events_invalid: false,
            loa_complete: true,
            documents_complete: true,
            digest: DIGEST.to_owned(),
            numbers: vec!["+12065550143".to_owned(), "+12065550144".to_owned()],
            unusable_documents: Vec::new(),
        }
    }

    fn ev(body: EventBody) -> Event {
        Event {
            on: Date::new(2026, 11, 20).unwrap(),
            by: "ops@example.com".to_owned(),
            note: None,
            body,
        }
    }

    fn signed(digest: &str) -> Event {
        ev(EventBody::Signed {
            signer: "Maria Lopez".to_owned(),
            method: SignMethod::ESign,
            document: "documents/loa.pdf".to_owned(),
            loa_digest: digest.to_owned(),
            document_sha256: None,
        })
    }

    fn submitted() -> Event {
        ev(EventBody::Submitted {
            carrier: "Partner Carrier".to_owned(),
            carrier_order_id: None,
            requested_foc: Date::new(2026, 12, 15).unwrap(),
        })
    }

    fn rejected() -> Event {
        ev(EventBody::Rejected {
            reasons: vec![RejectReason {
                code: "btn-mismatch".to_owned(),
                detail: "BTN does not match".to_owned(),
                numbers: None,
            }],
            instructions: "send a recent bill".to_owned(),
        })
    }

    fn scheduled() -> Event {
        ev(EventBody::Scheduled {
            foc: Date::new(2026, 12, 15).unwrap(),
            foc_time: None,
            foc_timezone: None,
            carrier_order_id: None,
            numbers: None,
        })
    }

    fn completed(numbers: Option<Vec<&str>>) -> Event {
        let mut e = ev(EventBody::Completed {
            numbers: numbers.map(|n| n.into_iter().map(str::to_owned).collect()),
        });
        e.on = Date::new(2026, 12, 15).unwrap();
        e
    }

    fn cancelled() -> Event {
        ev(EventBody::Cancelled {
            reason: "customer withdrew".to_owned(),
        })
    }

    fn run(facts: &Facts, events: &[Event]) -> Fold {
        let steps: Vec<Step<'_>> = events
            .iter()
            .enumerate()
            .map(|(i, e)| Step {
                number: i as u32 + 1,
                event: e,
            })
            .collect();
        fold(facts, &steps)
    }

    fn all_legal(fold: &Fold) -> bool {
        fold.verdicts.iter().all(|v| *v == Verdict::Legal)
    }

    #[test]
    fn invalid_when_a_file_fails_its_schema() {
        let f = Facts {
            invalid: true,
            events_invalid: true,
            ..facts()
        };
        assert_eq!(
            run(&f, &[signed(DIGEST), submitted()]).stage,
            Stage::Invalid
        );
        // A request that fails its schema makes an unsubmitted port invalid, but once
        // submitted the stage is the last lifecycle event's.
        let request_only = Facts {
            invalid: true,
            ..facts()
        };
        assert_eq!(run(&request_only, &[signed(DIGEST)]).stage, Stage::Invalid);
        assert_eq!(
            run(&request_only, &[signed(DIGEST), submitted(), scheduled()]).stage,
            Stage::Scheduled
        );
    }

    #[test]
    fn draft_when_loa_incomplete() {
        let f = Facts {
            loa_complete: false,
            ..facts()
        };
        assert_eq!(run(&f, &[]).stage, Stage::Draft);
        // A signature does not make an incomplete LOA signable.
        assert_eq!(run(&f, &[signed(DIGEST)]).stage, Stage::Draft);
    }

    #[test]
    fn awaiting_signature_until_the_current_loa_is_signed() {
        assert_eq!(run(&facts(), &[]).stage, Stage::AwaitingSignature);
        assert_eq!(
            run(&facts(), &[signed("sha256:old")]).stage,
            Stage::AwaitingSignature
        );
        assert!(!run(&facts(), &[signed("sha256:old")]).signed_current);
    }

    #[test]
    fn awaiting_documents_when_signed_without_proof() {
        let f = Facts {
            documents_complete: false,
            ..facts()
        };
        assert_eq!(run(&f, &[signed(DIGEST)]).stage, Stage::AwaitingDocuments);
    }

    #[test]
    fn ready_when_signed_with_documents() {
        assert_eq!(run(&facts(), &[signed(DIGEST)]).stage, Stage::Ready);
        // A later stale signature does not undo a current one.
        assert_eq!(
            run(&facts(), &[signed(DIGEST), signed("sha256:old")]).stage,
            Stage::Ready
        );
    }

    #[test]
    fn lifecycle_stages_follow_the_last_lifecycle_event() {
        let f = facts();
        let fold = run(&f, &[signed(DIGEST), submitted()]);
        assert_eq!(fold.stage, Stage::Submitted);
        assert!(all_legal(&fold));
        assert_eq!(
            run(&f, &[signed(DIGEST), submitted(), rejected()]).stage,
            Stage::Rejected
        );
        let fold = run(&f, &[signed(DIGEST), submitted(), scheduled()]);
        assert_eq!(fold.stage, Stage::Scheduled);
        assert!(all_legal(&fold));
        let fold = run(
            &f,
            &[signed(DIGEST), submitted(), scheduled(), completed(None)],
        );
        assert_eq!(fold.stage, Stage::Completed);
        assert!(all_legal(&fold));
        assert_eq!(run(&f, &[cancelled()]).stage, Stage::Cancelled);
        assert_eq!(
            run(&f, &[signed(DIGEST), submitted(), cancelled()]).stage,
            Stage::Cancelled
        );
    }

    #[test]
    fn resubmission_after_rejection_with_a_new_signature() {
        let f = facts();
        let events = [
            signed("sha256:old"),
            submitted(),
            rejected(),
            signed(DIGEST),
            submitted(),
            scheduled(),
            scheduled(),
            completed(None),
        ];
        let fold = run(&f, &events);
        assert!(all_legal(&fold), "{:?}", fold.verdicts);
        assert_eq!(fold.stage, Stage::Completed);
        assert_eq!(fold.last_submission, Some(4));
    }

    #[test]
    fn rejected_port_may_edit_its_loa_before_resubmitting() {
        // The signature of the first submission no longer covers the edited LOA: no finding.
        let fold = run(&facts(), &[signed("sha256:old"), submitted(), rejected()]);
        assert!(all_legal(&fold), "{:?}", fold.verdicts);
        assert_eq!(fold.stage, Stage::Rejected);
    }

    #[test]
    fn a_submission_pins_the_signature_before_it_until_answered() {
        let fold = run(&facts(), &[signed("sha256:old"), submitted()]);
        assert_eq!(
            fold.pending,
            Some(Pending {
                submission: 1,
                signature: Some(0)
            })
        );
        assert!(all_legal(&fold));
        assert_eq!(fold.stage, Stage::Submitted);
        let fold = run(
            &facts(),
            &[
                signed("sha256:old"),
                submitted(),
                rejected(),
                signed(DIGEST),
                submitted(),
            ],
        );
        assert_eq!(
            fold.pending,
            Some(Pending {
                submission: 4,
                signature: Some(3)
            })
        );
        for answer in [rejected(), scheduled(), cancelled()] {
            let fold = run(&facts(), &[signed(DIGEST), submitted(), answer]);
            assert_eq!(fold.pending, None);
        }
    }

    #[test]
    fn after_the_first_submission_the_stage_ignores_todays_files() {
        // A typo on a scheduled port makes the LOA incomplete today; the port stays scheduled
        // and the rejection-free history stays legal.
        let typo = Facts {
            loa_complete: false,
            ..facts()
        };
        let fold = run(&typo, &[signed(DIGEST), submitted(), scheduled()]);
        assert_eq!(fold.stage, Stage::Scheduled);
        assert!(all_legal(&fold), "{:?}", fold.verdicts);
        assert_eq!(fold.readiness, Stage::Draft);
        // A policy change made every signature stale: still scheduled.
        let fold = run(&facts(), &[signed("sha256:old"), submitted(), scheduled()]);
        assert_eq!(fold.stage, Stage::Scheduled);
        assert!(all_legal(&fold));
    }

    #[test]
    fn a_rejected_port_says_what_the_resubmission_needs() {
        let fold = run(&facts(), &[signed("sha256:old"), submitted(), rejected()]);
        assert_eq!(fold.stage, Stage::Rejected);
        assert_eq!(fold.readiness, Stage::AwaitingSignature);
        assert!(
            fold.next_action().contains("sign the corrected LOA"),
            "{}",
            fold.next_action()
        );
        let fold = run(
            &facts(),
            &[
                signed("sha256:old"),
                submitted(),
                rejected(),
                signed(DIGEST),
            ],
        );
        assert_eq!(fold.readiness, Stage::Ready);
        assert!(fold.next_action().starts_with("resubmit"));
    }

    #[test]
    fn illegal_orders() {
        let f = facts();
        // Submitted with no signature before it.
        assert!(matches!(
            run(&f, &[submitted()]).verdicts[0],
            Verdict::Illegal(_)
        ));
        // Submitting twice without a carrier answer.
        assert!(matches!(
            run(&f, &[signed(DIGEST), submitted(), submitted()]).verdicts[2],
            Verdict::Illegal(_)
        ));
        // Carrier events before any submission.
        for e in [rejected(), scheduled(), completed(None)] {
            let fold = run(&f, &[signed(DIGEST), e]);
            assert!(
                matches!(fold.verdicts[1], Verdict::Illegal(_)),
                "{:?}",
                fold.verdicts
            );
            assert_eq!(fold.stage, Stage::Ready);
        }
        // Anything after a terminal event.
        for e in [
            signed(DIGEST),
            submitted(),
            rejected(),
            scheduled(),
            completed(None),
            cancelled(),
        ] {
            let fold = run(&f, &[cancelled(), e]);
            assert!(matches!(fold.verdicts[1], Verdict::Illegal(_)));
            assert_eq!(fold.stage, Stage::Cancelled);
        }
        let fold = run(
            &f,
            &[
                signed(DIGEST),
                submitted(),
                scheduled(),
                completed(None),
                rejected(),
            ],
        );
        assert!(matches!(fold.verdicts[4], Verdict::Illegal(_)));
        assert_eq!(fold.stage, Stage::Completed);
    }

    #[test]
    fn unusual_carrier_orders_warn() {
        let f = facts();
        let fold = run(&f, &[signed(DIGEST), submitted(), rejected(), scheduled()]);
        assert!(matches!(fold.verdicts[3], Verdict::Unusual(_)));
        assert_eq!(fold.stage, Stage::Scheduled);
        let fold = run(&f, &[signed(DIGEST), submitted(), completed(None)]);
        assert!(matches!(fold.verdicts[2], Verdict::Unusual(_)));
        assert_eq!(fold.stage, Stage::Completed);
        let fold = run(&f, &[signed(DIGEST), submitted(), rejected(), rejected()]);
        assert!(matches!(fold.verdicts[3], Verdict::Unusual(_)));
    }

    #[test]
    fn a_signature_without_its_signed_loa_file_does_not_count() {
        let f = Facts {
            unusable_documents: vec!["documents/loa.pdf".to_owned()],
            ..facts()
        };
        assert_eq!(run(&f, &[signed(DIGEST)]).stage, Stage::AwaitingSignature);
    }

    #[test]
    fn completion_before_the_foc_date_is_unusual() {
        let mut done = completed(None);
        done.on = Date::new(2026, 12, 1).unwrap();
        let fold = run(&facts(), &[signed(DIGEST), submitted(), scheduled(), done]);
        assert!(
            matches!(fold.verdicts[3], Verdict::Unusual(_)),
            "{:?}",
            fold.verdicts
        );
        assert_eq!(fold.stage, Stage::Completed);
    }

    #[test]
    fn partial_completion_keeps_the_port_scheduled() {
        let f = facts();
        let fold = run(
            &f,
            &[
                signed(DIGEST),
                submitted(),
                scheduled(),
                completed(Some(vec!["+12065550143"])),
            ],
        );
        assert_eq!(fold.stage, Stage::Scheduled);
        let fold = run(
            &f,
            &[
                signed(DIGEST),
                submitted(),
                scheduled(),
                completed(Some(vec!["+12065550143"])),
                completed(Some(vec!["+12065550144"])),
            ],
        );
        assert_eq!(fold.stage, Stage::Completed);
    }
}
