//! Number rules: validity, region, duplicates, type, counts, and numbers in two open ports.

use crate::diag::Finding;
use crate::rules::{Ctx, PortView};
use crate::stage::Stage;

/// Rules on one request's numbers.
pub fn check(_ctx: &Ctx<'_>, _view: &PortView<'_>, _out: &mut Vec<Finding>) {}

/// `number::in-other-port` across every open port.
pub fn check_across(_open: &[(PortView<'_>, Stage)], _out: &mut Vec<Finding>) {}
