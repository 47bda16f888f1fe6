//! Secret rules: PINs and secret requirements are age-encrypted, never plaintext.

use crate::diag::{Code, Finding};
use crate::rules::{Ctx, PortView};
use crate::secret::is_age_armored;

/// `secret::plaintext`.
pub fn check(ctx: &Ctx<'_>, view: &PortView<'_>, out: &mut Vec<Finding>) {
    let help = |what: &str, cmd: &str| {
        format!(
            "encrypt it with `portflow secret set {} {cmd}`, which stores it age-encrypted to porting.toml `[secrets] recipients`; \
             if this {what} was ever pushed, have the customer change it with the losing carrier, because git history keeps the old value",
            view.port.id
        )
    };
    if let Some(pin) = view
        .request
        .end_user
        .as_ref()
        .and_then(|u| u.pin.as_deref())
    {
        if !is_age_armored(pin) {
            out.push(
                view.at(
                    Code::SecretPlaintext,
                    "/end_user/pin",
                    "`end_user.pin` is not age-encrypted",
                )
                .label("plaintext secret (masked here)")
                .help(help("PIN", "pin")),
            );
        }
    }
    let secret_keys = ctx.policy.secret_keys();
    for (key, value) in &view.request.requirements {
        if secret_keys.contains(&key.as_str()) && !is_age_armored(value) {
            out.push(
                view.at(
                    Code::SecretPlaintext,
                    &format!("/requirements/{key}"),
                    format!("`requirements.{key}` is secret but not age-encrypted"),
                )
                .label("plaintext secret (masked here)")
                .help(help("code", key)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_and_fake_armor_are_not_age() {
        assert!(!is_age_armored("1234"));
        assert!(!is_age_armored(
            "-----BEGIN AGE ENCRYPTED FILE-----\n1234\n-----END AGE ENCRYPTED FILE-----"
        ));
    }

    #[test]
    fn bundled_pins_are_age() {
        let text = include_str!("../../ports/2026-11-pinecrest-plumbing/request.toml");
        let table: toml::Table = toml::from_str(text).expect("parses");
        let pin = table["end_user"]["pin"].as_str().expect("pin");
        assert!(is_age_armored(pin));
    }
}
