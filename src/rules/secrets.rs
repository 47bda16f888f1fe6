//! Secret rules: PINs and secret requirements are age-encrypted, never plaintext.

use crate::diag::Finding;
use crate::rules::{Ctx, PortView};

/// `secret::plaintext`.
pub fn check(_ctx: &Ctx<'_>, _view: &PortView<'_>, _out: &mut Vec<Finding>) {}
