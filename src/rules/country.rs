//! Country rules: eligibility, the assisted channel and its fee, country-specific requirements.

use crate::diag::Finding;
use crate::rules::{Ctx, PortView, Progress};

/// Stage-independent country rules.
pub fn check(_ctx: &Ctx<'_>, _view: &PortView<'_>, _out: &mut Vec<Finding>) {}

/// Whether a required country field is missing (the LOA is then incomplete).
pub fn fields_missing(_ctx: &Ctx<'_>, _view: &PortView<'_>) -> bool {
    false
}

/// Country rules that depend on the stage (the fee must be accepted before submission).
pub fn check_progress(
    _ctx: &Ctx<'_>,
    _view: &PortView<'_>,
    _progress: &Progress,
    _out: &mut Vec<Finding>,
) {
}
