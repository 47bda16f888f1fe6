//! LOA rules: every printed field present and plausible, wireless credentials, partial BTN, CSR match.

use crate::diag::Finding;
use crate::rules::{Ctx, PortView};

/// Rules on the LOA data of one request.
pub fn check(_ctx: &Ctx<'_>, _view: &PortView<'_>, _out: &mut Vec<Finding>) {}
