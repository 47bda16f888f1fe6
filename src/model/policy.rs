//! The porting policy (`porting.toml`), mirroring `schemas/porting.schema.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::Date;
use super::request::NumberType;

/// The porting desk's policy: organization, SLAs, limits, countries, carriers, holidays.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The gaining party, printed on LOAs.
    pub organization: Organization,
    /// Expected durations; defaults when absent.
    #[serde(default)]
    pub sla: Sla,
    /// Document and credential limits; defaults when absent.
    #[serde(default)]
    pub documents: DocumentPolicy,
    /// Encryption recipients; none when absent.
    #[serde(default)]
    pub secrets: Secrets,
    /// Countries we port from, by ISO 3166-1 alpha-2 code.
    #[serde(default, deserialize_with = "countries_with_codes")]
    pub countries: BTreeMap<String, Country>,
    /// Carriers by name.
    #[serde(default)]
    pub carriers: BTreeMap<String, Carrier>,
    /// Non-business days by country code.
    #[serde(default)]
    pub holidays: BTreeMap<String, Vec<Date>>,
    /// The customer notices `portflow notify` sends; none when absent.
    #[serde(default)]
    pub notices: Option<Notices>,
}

impl Policy {
    /// The country with this ISO code, when we port from it.
    pub fn country(&self, code: &str) -> Option<&Country> {
        self.countries.get(code)
    }

    /// The `[requirements]` keys stored age-encrypted (`secret = true`) in any country, as
    /// masking treats them: a key secret anywhere is secret everywhere.
    pub fn secret_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .countries
            .values()
            .flat_map(|c| c.requirements.iter())
            .filter(|r| r.secret)
            .map(|r| r.key.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The holidays of a country; empty when none are listed.
    pub fn holidays_of(&self, code: &str) -> &[Date] {
        self.holidays.get(code).map_or(&[], Vec::as_slice)
    }

    /// Whether ports can happen on `date` in the country: a weekday that is not one of its
    /// holidays.
    pub fn is_business_day(&self, code: &str, date: Date) -> bool {
        !date.is_weekend() && !self.holidays_of(code).contains(&date)
    }

    /// The first business day of the country on or after `date`.
    pub fn business_day_from(&self, code: &str, date: Date) -> Date {
        let mut day = date;
        // Holidays are a finite list, so a few weeks always reach a business day.
        for _ in 0..366 {
            if self.is_business_day(code, day) {
                return day;
            }
            match day.add_days(1) {
                Some(next) => day = next,
                None => break,
            }
        }
        date
    }
}

/// Deserializes `[countries]` and tells each country its own code.
fn countries_with_codes<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Country>, D::Error> {
    let mut countries = BTreeMap::<String, Country>::deserialize(deserializer)?;
    for (code, country) in &mut countries {
        country.code.clone_from(code);
    }
    Ok(countries)
}

/// The gaining party (`[organization]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Legal name.
    pub name: String,
    /// Postal address on one line.
    pub address: String,
}

impl Organization {
    /// The name `portflow init` writes, for the desk to replace with its own.
    pub const PLACEHOLDER_NAME: &'static str = "Your Company";
    /// The address `portflow init` writes, for the desk to replace with its own.
    pub const PLACEHOLDER_ADDRESS: &'static str = "1 Main Street, Springfield, ST 00000";
}

/// Expected days from first submission to completion, `[min, max]`, and how long a port
/// may wait on the customer or the carrier before `report` lists it (`[sla]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// Domestic (self-serve) countries; default `[14, 28]`.
    #[serde(default = "Sla::default_domestic")]
    pub domestic: [u32; 2],
    /// Other (assisted) countries; default `[28, 42]`.
    #[serde(default = "Sla::default_international")]
    pub international: [u32; 2],
    /// Days a `rejected` port may wait on the customer before `report` lists it; default 5.
    #[serde(default = "Sla::default_customer_wait_days")]
    pub customer_wait_days: u32,
    /// Days a `submitted` port may wait for the carrier's answer before `report` lists it;
    /// default 10.
    #[serde(default = "Sla::default_carrier_wait_days")]
    pub carrier_wait_days: u32,
}

impl Sla {
    // SPEC §1: 2–4 weeks domestic, 4–6 weeks international.
    fn default_domestic() -> [u32; 2] {
        [14, 28]
    }

    fn default_international() -> [u32; 2] {
        [28, 42]
    }

    // A week of business days: a customer who has not fixed a rejection by then needs a
    // reminder, and the SLA clock is paused meanwhile, so nothing else flags it.
    fn default_customer_wait_days() -> u32 {
        5
    }

    // Partner carriers answer a submission (FOC or rejection) within a few business days;
    // two weeks of silence means the order needs chasing.
    fn default_carrier_wait_days() -> u32 {
        10
    }
}

impl Default for Sla {
    fn default() -> Sla {
        Sla {
            domestic: Sla::default_domestic(),
            international: Sla::default_international(),
            customer_wait_days: Sla::default_customer_wait_days(),
            carrier_wait_days: Sla::default_carrier_wait_days(),
        }
    }
}

/// Limits on documents and credentials (`[documents]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentPolicy {
    /// Maximum age of a bill at submission, in days; default 30.
    #[serde(default = "DocumentPolicy::default_bill_max_age_days")]
    pub bill_max_age_days: u32,
    /// Maximum age of the LOA signature at submission, in days; default 90.
    #[serde(default = "DocumentPolicy::default_signature_max_age_days")]
    pub signature_max_age_days: u32,
    /// Maximum age of a transfer PIN at submission, in days; default 7.
    #[serde(default = "DocumentPolicy::default_pin_max_age_days")]
    pub pin_max_age_days: u32,
    /// Maximum size of one document, in bytes; default 20 000 000.
    #[serde(default = "DocumentPolicy::default_max_document_bytes")]
    pub max_document_bytes: u64,
    /// Maximum size of one request or event file, in bytes; default 2 097 152.
    #[serde(default = "DocumentPolicy::default_max_toml_bytes")]
    pub max_toml_bytes: u64,
}

impl DocumentPolicy {
    fn default_bill_max_age_days() -> u32 {
        30
    }

    fn default_signature_max_age_days() -> u32 {
        90
    }

    fn default_pin_max_age_days() -> u32 {
        7
    }

    /// The default cap on one document's size, in bytes.
    pub fn default_max_document_bytes() -> u64 {
        20_000_000
    }

    /// 2 MiB: a request with the 1000 numbers allowed is about 150 kB.
    pub fn default_max_toml_bytes() -> u64 {
        2 << 20
    }
}

impl Default for DocumentPolicy {
    fn default() -> DocumentPolicy {
        DocumentPolicy {
            bill_max_age_days: DocumentPolicy::default_bill_max_age_days(),
            signature_max_age_days: DocumentPolicy::default_signature_max_age_days(),
            pin_max_age_days: DocumentPolicy::default_pin_max_age_days(),
            max_document_bytes: DocumentPolicy::default_max_document_bytes(),
            max_toml_bytes: DocumentPolicy::default_max_toml_bytes(),
        }
    }
}

/// Who can decrypt PINs and secret requirement values (`[secrets]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Secrets {
    /// age public keys (`age1…`).
    pub recipients: Vec<String>,
}

/// The notices sent to customers (`[notices]`): the desk's mailbox and which kinds go out.
/// The SMTP server is never here: it comes from the environment (`PORTFLOW_SMTP_URL`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notices {
    /// The desk's mailbox every notice is from, e.g. `Porting desk <porting@example.com>`.
    pub from: String,
    /// Where replies go, when not to `from`.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Blind copies of every notice (the desk's archive).
    #[serde(default)]
    pub bcc: Vec<String>,
    /// The kinds sent; all of them when absent.
    #[serde(default = "NoticeKind::all")]
    pub send: Vec<NoticeKind>,
}

impl Notices {
    /// Whether notices of this kind are sent.
    pub fn sends(&self, kind: NoticeKind) -> bool {
        self.send.contains(&kind)
    }
}

/// A kind of customer notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// The LOA to sign, when a port reaches `awaiting-signature`.
    SignatureRequest,
    /// An assisted country's port: the opening message of the e-mail exchange, with the
    /// country's requirements and fee.
    Assisted,
    /// The FOC date, and again whenever it changes.
    Scheduled,
    /// A rejection, with the customer's instructions.
    Rejected,
    /// Numbers moved.
    Completed,
}

impl NoticeKind {
    /// Every kind, in the order a port meets them.
    pub fn all() -> Vec<NoticeKind> {
        vec![
            NoticeKind::SignatureRequest,
            NoticeKind::Assisted,
            NoticeKind::Scheduled,
            NoticeKind::Rejected,
            NoticeKind::Completed,
        ]
    }

    /// The kebab-case name, as in porting.toml.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::SignatureRequest => "signature-request",
            NoticeKind::Assisted => "assisted",
            NoticeKind::Scheduled => "scheduled",
            NoticeKind::Rejected => "rejected",
            NoticeKind::Completed => "completed",
        }
    }
}

/// How ports from one country are handled (`[countries.XX]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Country {
    /// The country's ISO code: the key of its table, filled in by [`Policy`].
    #[serde(skip)]
    pub code: String,
    /// Self-serve or assisted.
    pub channel: Channel,
    /// Fee per ported number; `None` means free.
    pub fee_per_number: Option<f64>,
    /// ISO 4217 currency of the fee.
    pub currency: Option<String>,
    /// Minimum business days from submission to the requested FOC.
    pub min_lead_business_days: Option<u32>,
    /// Numbering regions that port like this country, as written; see [`Country::regions`].
    pub regions: Option<Vec<String>>,
    /// The porting desk's e-mail for assisted countries.
    pub contact: Option<String>,
    /// What a mobile port needs in `[end_user]`, as written; see [`Country::credentials`].
    pub mobile_credentials: Option<Vec<Credential>>,
    /// Extra fields and documents the country needs.
    #[serde(default)]
    pub requirements: Vec<Requirement>,
}

impl Country {
    /// The numbering regions whose numbers fit this country: `regions`, or just its own code.
    pub fn regions(&self) -> &[String] {
        self.regions
            .as_deref()
            .unwrap_or(std::slice::from_ref(&self.code))
    }

    /// What a mobile port from this country needs in `[end_user]`: `mobile_credentials`, or
    /// the account number and transfer PIN (how US and Canadian carriers port mobiles).
    pub fn credentials(&self) -> &[Credential] {
        self.mobile_credentials
            .as_deref()
            .unwrap_or(&Credential::ALL)
    }

    /// Whether a mobile port from this country needs this credential.
    pub fn needs(&self, credential: Credential) -> bool {
        self.credentials().contains(&credential)
    }

    /// Whether ports from this country charge a fee.
    pub fn has_fee(&self) -> bool {
        self.fee_per_number.is_some_and(|fee| fee > 0.0)
    }
}

/// One extra field or document a country needs (`[[countries.XX.requirements]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// A `[requirements]` key in request.toml, or a document kind.
    pub key: String,
    /// Field or document (`type` in the file).
    #[serde(rename = "type")]
    pub kind: RequirementType,
    /// The number types that need it; `None` means all.
    pub applies_to: Option<Vec<NumberType>>,
    /// A regular expression a field's value must match.
    pub pattern: Option<String>,
    /// Whether a field's value is stored age-encrypted.
    #[serde(default)]
    pub secret: bool,
    /// How many days a field's value stays valid after `<key>_obtained_on`; `None` means
    /// it never expires.
    pub max_age_days: Option<u32>,
    /// What to collect, in words for staff and customers.
    pub description: String,
}

impl Requirement {
    /// Whether a number of this type needs the requirement.
    pub fn applies(&self, number_type: NumberType) -> bool {
        self.applies_to
            .as_ref()
            .is_none_or(|types| types.contains(&number_type))
    }
}

/// A wireless credential a mobile port may need in `[end_user]` (`mobile_credentials`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// `end_user.account_number`: the account number at the losing carrier.
    AccountNumber,
    /// `end_user.pin` with `pin_obtained_on`: the transfer PIN and the day it was obtained.
    Pin,
}

impl Credential {
    /// Every variant, in schema order; also what a country needs when it says nothing.
    pub const ALL: [Credential; 2] = [Credential::AccountNumber, Credential::Pin];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Credential::AccountNumber => "account_number",
            Credential::Pin => "pin",
        }
    }
}

/// A carrier (`[carriers."Name"]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Carrier {
    /// Partner or call-tracking service.
    pub kind: CarrierKind,
    /// The carrier's porting contact e-mail.
    pub contact: Option<String>,
}

/// How a country's ports are handled (`channel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// Submitted by us directly, free.
    SelfServe,
    /// Handled by e-mail exchange; may carry a fee.
    Assisted,
}

impl Channel {
    /// Every variant, in schema order.
    pub const ALL: [Channel; 2] = [Channel::SelfServe, Channel::Assisted];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::SelfServe => "self-serve",
            Channel::Assisted => "assisted",
        }
    }
}

/// What a carrier is to us (`kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CarrierKind {
    /// A carrier we submit ports to.
    Partner,
    /// A call-tracking service; its screenshot may prove ownership.
    CallTracking,
}

impl CarrierKind {
    /// Every variant, in schema order.
    pub const ALL: [CarrierKind; 2] = [CarrierKind::Partner, CarrierKind::CallTracking];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            CarrierKind::Partner => "partner",
            CarrierKind::CallTracking => "call-tracking",
        }
    }
}

/// Whether a requirement is a value or a document (`type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementType {
    /// A value under `[requirements]` in request.toml.
    Field,
    /// A `[[documents]]` entry whose kind is the requirement's key.
    Document,
}

impl RequirementType {
    /// Every variant, in schema order.
    pub const ALL: [RequirementType; 2] = [RequirementType::Field, RequirementType::Document];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementType::Field => "field",
            RequirementType::Document => "document",
        }
    }
}

display_as_str!(Channel, CarrierKind, RequirementType, Credential);

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// The porting.toml example of SPEC §6, with a well-formed age key for its `age1...`.
    fn spec_example() -> Value {
        json!({
            "organization": { "name": "Example Telecom", "address": "1 Example Plaza, Austin, TX 78701" },
            "sla": { "domestic": [14, 28], "international": [28, 42] },
            "documents": {
                "bill_max_age_days": 30,
                "signature_max_age_days": 90,
                "pin_max_age_days": 7,
                "max_document_bytes": 20_000_000
            },
            "secrets": { "recipients": [format!("age1{}", "q".repeat(58))] },
            "countries": {
                "US": {
                    "channel": "self-serve",
                    "fee_per_number": 0,
                    "min_lead_business_days": 7,
                    "regions": ["US", "PR", "VI", "GU", "MP", "AS"]
                },
                "GB": {
                    "channel": "assisted",
                    "fee_per_number": 25.0,
                    "currency": "USD",
                    "mobile_credentials": [],
                    "requirements": [{
                        "key": "pac_code",
                        "type": "field",
                        "applies_to": ["mobile"],
                        "pattern": "^[A-Z]{3}[0-9]{6}$",
                        "secret": true,
                        "max_age_days": 30,
                        "description": "Porting Authorisation Code from the losing mobile network"
                    }]
                }
            },
            "carriers": {
                "Partner Carrier": { "kind": "partner" },
                "CallRail": { "kind": "call-tracking" }
            },
            "holidays": { "US": ["2026-11-26", "2026-12-25"] }
        })
    }

    fn parse(value: Value) -> Result<Policy, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn reads_the_spec_example() {
        let policy = parse(spec_example()).unwrap();
        assert_eq!(policy.organization.name, "Example Telecom");
        assert_eq!(policy.sla.international, [28, 42]);
        assert_eq!(policy.documents.max_document_bytes, 20_000_000);
        let us = policy.country("US").unwrap();
        assert_eq!(us.code, "US");
        assert_eq!(us.channel, Channel::SelfServe);
        assert!(!us.has_fee());
        assert_eq!(us.regions(), ["US", "PR", "VI", "GU", "MP", "AS"]);
        let gb = policy.country("GB").unwrap();
        assert_eq!(gb.regions(), ["GB"]);
        assert!(gb.has_fee());
        assert_eq!(gb.currency.as_deref(), Some("USD"));
        assert_eq!(us.credentials(), Credential::ALL);
        assert_eq!(gb.credentials(), []);
        assert!(!gb.needs(Credential::Pin));
        let pac = &gb.requirements[0];
        assert_eq!(pac.max_age_days, Some(30));
        assert_eq!(pac.kind, RequirementType::Field);
        assert!(pac.secret);
        assert!(pac.applies(NumberType::Mobile));
        assert!(!pac.applies(NumberType::Landline));
        assert_eq!(policy.country("FR"), None);
        assert_eq!(policy.carriers["CallRail"].kind, CarrierKind::CallTracking);
        assert_eq!(policy.holidays_of("US")[0], "2026-11-26".parse().unwrap());
        assert!(policy.holidays_of("GB").is_empty());
        let names: Vec<&String> = policy.carriers.keys().collect();
        assert_eq!(names, ["CallRail", "Partner Carrier"]);
    }

    #[test]
    fn fills_in_defaults() {
        let policy = parse(json!({
            "organization": { "name": "Example Telecom", "address": "1 Example Plaza" },
            "documents": { "pin_max_age_days": 3 }
        }))
        .unwrap();
        assert_eq!(policy.sla, Sla::default());
        assert_eq!(policy.sla.domestic, [14, 28]);
        assert_eq!(policy.sla.customer_wait_days, 5);
        assert_eq!(policy.sla.carrier_wait_days, 10);
        assert_eq!(
            policy.documents,
            DocumentPolicy {
                pin_max_age_days: 3,
                ..DocumentPolicy::default()
            }
        );
        assert_eq!(DocumentPolicy::default().bill_max_age_days, 30);
        assert_eq!(DocumentPolicy::default().signature_max_age_days, 90);
        assert!(policy.secrets.recipients.is_empty());
        assert!(policy.countries.is_empty());
    }

    #[test]
    fn rejects_unknown_keys() {
        let mut top = spec_example();
        top["extra"] = json!({});
        assert!(
            parse(top)
                .unwrap_err()
                .to_string()
                .contains("unknown field `extra`")
        );

        let mut country = spec_example();
        country["countries"]["US"]["fee"] = json!(0);
        assert!(parse(country).is_err());

        let mut requirement = spec_example();
        requirement["countries"]["GB"]["requirements"][0]["optional"] = json!(true);
        assert!(parse(requirement).is_err());
    }

    #[test]
    fn rejects_wrong_shapes() {
        let mut sla = spec_example();
        sla["sla"]["domestic"] = json!([14]);
        assert!(parse(sla).is_err());
        let mut channel = spec_example();
        channel["countries"]["US"]["channel"] = json!("email");
        assert!(parse(channel).is_err());
    }

    #[test]
    fn agrees_with_the_schema() {
        use crate::model::request::DocumentKind;
        use crate::model::testing::{PORTING_SCHEMA, names, schema_enum, schema_errors};

        let mut full = spec_example();
        full["sla"]["customer_wait_days"] = json!(3);
        full["sla"]["carrier_wait_days"] = json!(0);
        full["countries"]["GB"]["contact"] = json!("porting@desk.example");
        full["carriers"]["Partner Carrier"]["contact"] = json!("ports@partner.example");
        full["countries"]["GB"]["requirements"]
            .as_array_mut()
            .unwrap()
            .push(json!({ "key": "company-registration", "type": "document", "description": "Companies House extract" }));
        let minimal =
            json!({ "organization": { "name": "Example Telecom", "address": "1 Example Plaza" } });
        for valid in [spec_example(), full.clone(), minimal] {
            assert_eq!(schema_errors(PORTING_SCHEMA, &valid), Vec::<String>::new());
            parse(valid).unwrap();
        }
        let sla = parse(full).unwrap().sla;
        assert_eq!((sla.customer_wait_days, sla.carrier_wait_days), (3, 0));

        // Structurally wrong: both the schema and the model refuse it.
        let mutations: [fn(&mut Value); 10] = [
            |p| p["extra"] = json!(1),
            |p| p["sla"]["domestic"] = json!([14]),
            |p| p["countries"]["US"]["channel"] = json!("email"),
            |p| p["holidays"]["US"][0] = json!("2026-11-31"),
            |p| p["carriers"]["CallRail"]["kind"] = json!("reseller"),
            |p| p["documents"]["pin_max_age_days"] = json!("7"),
            |p| p["countries"]["GB"]["mobile_credentials"] = json!(["pac_code"]),
            |p| p["countries"]["GB"]["requirements"][0]["max_age_days"] = json!("30"),
            |p| p["sla"]["customer_wait_days"] = json!(-1),
            |p| p["sla"]["carrier_wait_day"] = json!(10),
        ];
        for (i, mutate) in mutations.into_iter().enumerate() {
            let mut instance = spec_example();
            mutate(&mut instance);
            assert!(
                !schema_errors(PORTING_SCHEMA, &instance).is_empty(),
                "schema takes mutation {i}"
            );
            assert!(parse(instance).is_err(), "model takes mutation {i}");
        }

        let country = "/properties/countries/additionalProperties";
        let requirement = format!("{country}/properties/requirements/items");
        for (pointer, all) in [
            (
                format!("{country}/properties/channel/enum"),
                names(&Channel::ALL, Channel::as_str),
            ),
            (
                format!("{requirement}/properties/type/enum"),
                names(&RequirementType::ALL, RequirementType::as_str),
            ),
            (
                format!("{requirement}/properties/applies_to/items/enum"),
                names(&NumberType::ALL, NumberType::as_str),
            ),
            (
                format!("{requirement}/allOf/0/then/properties/key/enum"),
                names(&DocumentKind::ALL, DocumentKind::as_str),
            ),
            (
                format!("{country}/properties/mobile_credentials/items/enum"),
                names(&Credential::ALL, Credential::as_str),
            ),
            (
                "/properties/carriers/additionalProperties/properties/kind/enum".to_owned(),
                names(&CarrierKind::ALL, CarrierKind::as_str),
            ),
        ] {
            assert_eq!(schema_enum(PORTING_SCHEMA, &pointer), all, "{pointer}");
        }
    }

    #[test]
    fn enum_names_match_serde() {
        fn check<T: Serialize + Copy>(all: &[T], as_str: fn(T) -> &'static str) {
            for &v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), json!(as_str(v)));
            }
        }
        check(&Channel::ALL, Channel::as_str);
        check(&CarrierKind::ALL, CarrierKind::as_str);
        check(&RequirementType::ALL, RequirementType::as_str);
        check(&Credential::ALL, Credential::as_str);
    }
}
