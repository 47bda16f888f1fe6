//! Event rules: names and numbering, voids, order, dates, signers, carriers and reasons.

use crate::diag::Finding;
use crate::repo::Port;
use crate::rules::{Ctx, EventRef, PortView};
use crate::stage::Fold;

/// `event::bad-name` and `event::sequence`: they run on every port, even an invalid one.
pub fn check_names(_port: &Port) -> Vec<Finding> {
    Vec::new()
}

/// The valid events that are not voided, in NNN order, and findings about the voids.
pub fn resolve_voids(_port: &Port) -> (Vec<EventRef<'_>>, Vec<Finding>) {
    (Vec::new(), Vec::new())
}

/// The rules on events of a port with a valid request.
pub fn check(
    _ctx: &Ctx<'_>,
    _view: &PortView<'_>,
    _fold: &Fold,
    _digest: &str,
    _out: &mut Vec<Finding>,
) {
}
