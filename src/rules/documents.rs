//! Document rules: files exist inside the port, have an allowed type and size, and proof is fresh.

use crate::diag::Finding;
use crate::rules::{Ctx, PortView, Progress};

/// Rules on the document files themselves.
pub fn check_files(_ctx: &Ctx<'_>, _view: &PortView<'_>, _out: &mut Vec<Finding>) {}

/// Whether proof of ownership and every country-required document are present and usable.
pub fn complete(_ctx: &Ctx<'_>, _view: &PortView<'_>) -> bool {
    true
}

/// Rules that depend on the stage: proof from submission on, ages at submission.
pub fn check_progress(
    _ctx: &Ctx<'_>,
    _view: &PortView<'_>,
    _progress: &Progress,
    _out: &mut Vec<Finding>,
) {
}
