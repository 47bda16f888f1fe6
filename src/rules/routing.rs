//! Routing rules: every number knows where it goes once ported.

use crate::diag::Finding;
use crate::rules::{Ctx, PortView, Progress};

/// `routing::missing`: a warning from submission on, an error once scheduled.
pub fn check(_ctx: &Ctx<'_>, _view: &PortView<'_>, _progress: &Progress, _out: &mut Vec<Finding>) {}
