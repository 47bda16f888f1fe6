//! Findings: the stable rule codes, severities and the data every report renders.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;

/// Where the rule reference lives; each code is an anchor in it.
pub const DOCS_BASE: &str = "https://github.com/portflow/portflow/blob/main/docs/rules.md";

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth fixing, never blocks unless `--deny-warnings`.
    Warning,
    /// Blocks the change.
    Error,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $name:literal, $sev:ident, $summary:literal; )*) => {
        /// A stable rule code. The names are an interface: users grep them and docs explain them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $summary]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable kebab-case name, e.g. `number::invalid`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }

            /// The severity a finding of this code has.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev),* }
            }

            /// One line saying what the rule checks.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary),* }
            }
        }
    };
}

codes! {
    TomlSyntax = "toml::syntax", Error, "the file is not valid TOML (or UTF-8), or holds a value JSON cannot represent";
    SchemaViolation = "schema::violation", Error, "the file does not match its JSON Schema";
    SchemaDrift = "schema::drift", Warning, "a schema copy under schemas/ differs from the one built into portflow";
    RepoDuplicatePort = "repo::duplicate-port", Error, "two port folders share one port id";
    RepoStray = "repo::stray", Warning, "a folder under ports/ that is neither a port nor a year folder";
    RepoPortId = "repo::port-id", Error, "a port folder whose name is not a valid port id";
    RepoSchemaDirective = "repo::schema-directive", Warning, "the `#:schema` directive is missing or does not reach the schema";
    RepoNotAFile = "repo::not-a-file", Error, "a symbolic link, FIFO, device or folder where portflow reads a regular file";
    RepoTooLarge = "repo::too-large", Error, "a request or event file larger than porting.toml allows";
    PolicyInvalid = "policy::invalid", Error, "a porting.toml value that cannot work: a window whose minimum exceeds its maximum, a pattern that is not a regex";
    PolicyPlaceholder = "policy::placeholder", Warning, "porting.toml still names the placeholder organization `portflow init` wrote, which every LOA would print";
    NumberInvalid = "number::invalid", Error, "the number is not valid for its region";
    NumberCountryMismatch = "number::country-mismatch", Error, "the number's region is not one of the request country's regions";
    NumberDuplicate = "number::duplicate", Error, "the number is listed twice in one request";
    NumberInOtherPort = "number::in-other-port", Error, "the number is also in another port that is still open";
    NumberTypeMismatch = "number::type-mismatch", Warning, "the declared number type contradicts the numbering plan";
    NumberTooMany = "number::too-many", Error, "more than 1000 numbers in one request";
    NumberMixedTollFree = "number::mixed-toll-free", Error, "toll-free and geographic numbers in one request";
    LoaMissingField = "loa::missing-field", Error, "a field the LOA prints is missing";
    LoaWirelessCredentials = "loa::wireless-credentials", Error, "mobile numbers lack the credentials their country asks for (by default the losing carrier's account number and PIN)";
    LoaPartialBtn = "loa::partial-btn", Error, "a partial port keeps the other numbers but ports the BTN without a new BTN";
    LoaBtnInvalid = "loa::btn-invalid", Error, "the billing telephone number is not a valid number of the country";
    LoaPostalCode = "loa::postal-code", Error, "the postal code does not have the country's format";
    LoaPoBox = "loa::po-box", Warning, "the service address is a PO box, not a physical location";
    LoaFieldTooLong = "loa::field-too-long", Warning, "a field is longer than carriers accept";
    LoaCsrMismatch = "loa::csr-mismatch", Error, "LOA data differs from the losing carrier's Customer Service Record";
    LoaPortType = "loa::port-type", Error, "a full port while the CSR lists numbers that are not being ported";
    CountryIneligible = "country::ineligible", Error, "the country is not configured in porting.toml";
    CountryRequirementMissing = "country::requirement-missing", Error, "a country-specific field or document is missing or malformed";
    CountryFeeNotAccepted = "country::fee-not-accepted", Error, "the per-number fee has not been accepted by the customer";
    CountryAssisted = "country::assisted", Warning, "the country is assisted: handled by e-mail exchange, may carry a fee";
    DocumentMissing = "document::missing", Error, "a listed document does not exist";
    DocumentOutsidePort = "document::outside-port", Error, "a document path escapes the port folder or is a link";
    DocumentBadType = "document::bad-type", Error, "a document is not a PDF, PNG or JPEG";
    DocumentTooLarge = "document::too-large", Error, "a document is larger than porting.toml allows";
    DocumentLfsPointer = "document::lfs-pointer", Error, "a document is a Git LFS pointer, not its content";
    DocumentNoProof = "document::no-proof", Error, "no proof of ownership (bill, receipt or tracking screenshot)";
    DocumentStale = "document::stale", Error, "a bill, signature, PIN or expiring country code (a PAC) is too old at submission";
    DocumentFutureDate = "document::future-date", Error, "a document is dated after today, or after the pending submission that used it";
    DocumentLoaMismatch = "document::loa-mismatch", Error, "the signed LOA file is not the LOA its signature records";
    DocumentScreenshotNotAllowed = "document::screenshot-not-allowed", Error, "a tracking screenshot is proof only when the numbers come from a call-tracking service";
    EventBadName = "event::bad-name", Error, "an event file name is not `NNN-<kind>.toml`";
    EventSequence = "event::sequence", Error, "event numbers have a gap or a repeat";
    EventIllegal = "event::illegal", Error, "the event is not allowed in the stage the port has reached";
    EventUnusualOrder = "event::unusual-order", Warning, "a carrier event in an unusual order";
    EventStaleSignature = "event::stale-signature", Error, "the signature does not cover the current LOA";
    EventSignerMismatch = "event::signer-mismatch", Error, "the signer is not the end user's authorized person";
    EventDate = "event::date", Error, "an event date is in the future or before the previous event";
    EventFocDate = "event::foc-date", Error, "an FOC on a weekend or holiday, or a requested FOC inside the lead time";
    EventUnknownReason = "event::unknown-reason", Error, "a rejection reason code that is not in the list";
    EventUnknownCarrier = "event::unknown-carrier", Error, "the submission's carrier is not a partner in porting.toml";
    RoutingMissing = "routing::missing", Error, "a number lacks its tracking source or receiving number";
    HistoryRewritten = "history::rewritten", Error, "an event that was merged has been changed or removed";
    HistoryPortDeleted = "history::port-deleted", Error, "a port folder was deleted";
    HistoryTerminalChanged = "history::terminal-changed", Error, "a file of a completed or cancelled port changed";
    HistoryLoaChanged = "history::loa-changed", Error, "LOA data changed after submission while not rejected";
    HistoryShallow = "history::shallow", Error, "git history is unavailable: the clone is shallow";
    SecretPlaintext = "secret::plaintext", Error, "a PIN or secret requirement that is not age-encrypted";
}

impl Code {
    /// The rule's anchor in docs/rules.md (`number::invalid` -> `number-invalid`).
    pub fn anchor(self) -> String {
        self.as_str().replace("::", "-")
    }

    /// The link to the rule's documentation.
    pub fn docs_url(self) -> String {
        format!("{DOCS_BASE}#{}", self.anchor())
    }

    /// Looks a code up by its stable name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secondary place a finding points at ("first listed here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// Repo-relative path of the file.
    pub file: PathBuf,
    /// Byte span in that file.
    pub span: Range<usize>,
    /// What this place is.
    pub label: String,
}

/// One problem found in the user's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that fired.
    pub code: Code,
    /// Its severity (usually the code's own).
    pub severity: Severity,
    /// Repo-relative path of the file the finding is about.
    pub file: PathBuf,
    /// Byte span of the bad value (empty for whole-file findings).
    pub span: Range<usize>,
    /// What is wrong, lowercase, values in backticks.
    pub message: String,
    /// Text of the primary label on the span.
    pub label: String,
    /// What to do about it.
    pub help: String,
    /// Other places that explain the finding.
    pub related: Vec<Related>,
    /// Whether the finding fails the run. Only a check against a base (`--base`) clears it:
    /// for a finding already on the base, in a port the change does not touch.
    pub blocking: bool,
}

impl Finding {
    /// A finding with the code's own severity and a label equal to its message.
    pub fn new(
        code: Code,
        file: impl Into<PathBuf>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        Finding {
            code,
            severity: code.severity(),
            file: file.into(),
            span,
            label: String::new(),
            message,
            help: String::new(),
            related: Vec::new(),
            blocking: true,
        }
    }

    /// Sets the primary label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    /// Adds a related place.
    pub fn related(
        mut self,
        file: impl Into<PathBuf>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        self.related.push(Related {
            file: file.into(),
            span,
            label: label.into(),
        });
        self
    }

    /// Overrides the severity (e.g. `document::stale` is a warning before submission).
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// Sorts findings by file, position and code so every output is deterministic.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.file, a.span.start, a.span.end, a.code, &a.message).cmp(&(
            &b.file,
            b.span.start,
            b.span.end,
            b.code,
            &b.message,
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            let (family, rule) = code.as_str().split_once("::").expect("family::rule");
            assert!(!family.is_empty() && !rule.is_empty());
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == ':' || c == '-'),
                "{code}"
            );
            assert_eq!(Code::from_name(code.as_str()), Some(*code));
        }
    }
}
