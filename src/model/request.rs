//! The port request (`ports/<id>/request.toml`), mirroring `schemas/request.schema.json`.
//!
//! Almost everything is optional: an incomplete request is still a request (the port is in
//! `draft`), and the `loa::*` rules say what is missing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Date;

/// One port request: account, end user, numbers and documents.
///
/// Its `Debug` lists the `[requirements]` keys, never their values (a PAC is one).
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Our customer account, `account` or `agency/sub-account`.
    pub account: String,
    /// E-mail of the requester; receives the notices.
    pub requested_by: String,
    /// ISO 3166-1 alpha-2 code of every number in the request.
    pub country: String,
    /// The current carrier, as printed on the bill.
    pub losing_carrier: Option<String>,
    /// Full or partial port.
    pub port_type: Option<PortType>,
    /// The port date the customer would like.
    pub desired_foc: Option<Date>,
    /// Port id of the request this one was split off from.
    pub split_from: Option<String>,
    /// Settings of a partial port.
    pub partial: Option<Partial>,
    /// The end user as the losing carrier has them; printed on the LOA.
    pub end_user: Option<EndUser>,
    /// The losing carrier's Customer Service Record.
    pub csr: Option<Csr>,
    /// The customer's acceptance of the porting fee.
    pub fee: Option<Fee>,
    /// Country-specific values named by porting.toml, by key, and the days values that
    /// expire were obtained (`<key>_obtained_on`, checked to be dates; see
    /// [`Request::obtained_on`]).
    #[serde(default, deserialize_with = "requirements_with_dates")]
    pub requirements: BTreeMap<String, String>,
    /// The numbers to port, in file order.
    #[serde(default)]
    pub numbers: Vec<PortNumber>,
    /// The documents kept in the port folder, in file order.
    #[serde(default)]
    pub documents: Vec<Document>,
}

/// The suffix of a `[requirements]` key that holds the day another key's value was obtained.
pub const OBTAINED_ON: &str = "_obtained_on";

impl Request {
    /// The day the value of requirement `key` was obtained (`<key>_obtained_on`), if given.
    pub fn obtained_on(&self, key: &str) -> Option<Date> {
        self.requirements
            .get(&format!("{key}{OBTAINED_ON}"))
            .and_then(|text| text.parse().ok())
    }
}

/// Deserializes `[requirements]`, refusing a `<key>_obtained_on` that is not a date (as the
/// schema does), so [`Request::obtained_on`] never meets one.
fn requirements_with_dates<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let values = BTreeMap::<String, String>::deserialize(deserializer)?;
    for (key, value) in &values {
        if key.ends_with(OBTAINED_ON) {
            value
                .parse::<Date>()
                .map_err(|err| serde::de::Error::custom(format!("requirements.{key}: {err}")))?;
        }
    }
    Ok(values)
}

/// Settings of a partial port (`[partial]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partial {
    /// What happens to the account's numbers that are not ported.
    pub remaining_numbers: Option<RemainingNumbers>,
    /// A number that stays on the losing account as its new BTN, in E.164.
    pub new_billing_number: Option<String>,
}

/// The end user as the losing carrier has them on record (`[end_user]`).
///
/// Its `Debug` says whether a PIN is set, never the PIN.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndUser {
    /// Business or residential account (`type` in the file).
    #[serde(rename = "type")]
    pub kind: Option<EndUserType>,
    /// Business name or the resident's full name.
    pub name: Option<String>,
    /// The person authorized to sign the LOA.
    pub authorized_person: Option<String>,
    /// The authorized person's job title.
    pub authorized_title: Option<String>,
    /// Where an e-mailed LOA is sent for signature.
    pub signer_email: Option<String>,
    /// The billing telephone number (BTN), in E.164.
    pub billing_number: Option<String>,
    /// The account number at the losing carrier.
    pub account_number: Option<String>,
    /// The transfer PIN, age-encrypted.
    pub pin: Option<String>,
    /// When the PIN was obtained.
    pub pin_obtained_on: Option<Date>,
    /// The physical service address.
    pub service_address: Option<ServiceAddress>,
}

/// The service address on the losing carrier's account (`[end_user.service_address]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceAddress {
    /// House number and street.
    pub street: Option<String>,
    /// Suite, floor, unit or building.
    pub extended: Option<String>,
    /// City or town.
    pub locality: Option<String>,
    /// State, province or county.
    pub region: Option<String>,
    /// ZIP or postal code.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 code of the address's country.
    pub country: Option<String>,
}

/// The losing carrier's Customer Service Record (`[csr]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Csr {
    /// Account name on the CSR.
    pub name: Option<String>,
    /// Service street address on the CSR.
    pub street: Option<String>,
    /// Postal code on the CSR.
    pub postal_code: Option<String>,
    /// BTN on the CSR, in E.164.
    pub billing_number: Option<String>,
    /// Account number on the CSR.
    pub account_number: Option<String>,
    /// Every number on the losing account, in E.164; empty when not given.
    #[serde(default)]
    pub numbers: Vec<String>,
}

/// The customer's acceptance of the per-number fee (`[fee]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// E-mail of the customer who accepted.
    pub accepted_by: String,
    /// When the fee was accepted.
    pub accepted_on: Date,
}

/// One number to port and its routing once ported (`[[numbers]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortNumber {
    /// The number, in E.164.
    pub number: String,
    /// Landline, mobile, VoIP or toll-free (`type` in the file).
    #[serde(rename = "type")]
    pub kind: Option<NumberType>,
    /// Routing: the marketing source this number tracks.
    pub tracking_source: Option<String>,
    /// Routing: the number that rings, in E.164.
    pub receiving_number: Option<String>,
    /// Routing: the final destination, in E.164.
    pub target_number: Option<String>,
}

/// One document in the port folder (`[[documents]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// What the document is.
    pub kind: DocumentKind,
    /// Path relative to the port folder, e.g. `documents/bill-2026-10.pdf`.
    pub path: String,
    /// The date printed on the document.
    pub dated: Option<Date>,
    /// Free-text note about the document.
    pub description: Option<String>,
}

/// Full or partial port (`port_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PortType {
    /// Every number on the losing account moves; the account closes.
    Full,
    /// Only some numbers move.
    Partial,
}

impl PortType {
    /// Every variant, in schema order.
    pub const ALL: [PortType; 2] = [PortType::Full, PortType::Partial];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            PortType::Full => "full",
            PortType::Partial => "partial",
        }
    }
}

/// What happens to the numbers left on the losing account (`partial.remaining_numbers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RemainingNumbers {
    /// They stay active with the losing carrier.
    Keep,
    /// They are disconnected.
    Disconnect,
}

impl RemainingNumbers {
    /// Every variant, in schema order.
    pub const ALL: [RemainingNumbers; 2] = [RemainingNumbers::Keep, RemainingNumbers::Disconnect];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            RemainingNumbers::Keep => "keep",
            RemainingNumbers::Disconnect => "disconnect",
        }
    }
}

/// Business or residential account (`end_user.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndUserType {
    /// A business account.
    Business,
    /// A residential account.
    Residential,
}

impl EndUserType {
    /// Every variant, in schema order.
    pub const ALL: [EndUserType; 2] = [EndUserType::Business, EndUserType::Residential];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            EndUserType::Business => "business",
            EndUserType::Residential => "residential",
        }
    }
}

/// The kind of a number (`numbers[].type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NumberType {
    /// A fixed line.
    Landline,
    /// A mobile number; needs account number and PIN.
    Mobile,
    /// A VoIP number.
    Voip,
    /// A toll-free number.
    TollFree,
}

impl NumberType {
    /// Every variant, in schema order.
    pub const ALL: [NumberType; 4] = [
        NumberType::Landline,
        NumberType::Mobile,
        NumberType::Voip,
        NumberType::TollFree,
    ];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::Landline => "landline",
            NumberType::Mobile => "mobile",
            NumberType::Voip => "voip",
            NumberType::TollFree => "toll-free",
        }
    }
}

/// What a document is (`documents[].kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// A bill from the losing carrier; proof of ownership.
    Bill,
    /// A receipt of purchase; proof of ownership.
    Receipt,
    /// A screenshot of the tracking-number list in a call-tracking service; proof of ownership.
    TrackingScreenshot,
    /// The losing carrier's Customer Service Record.
    Csr,
    /// An identity document.
    Id,
    /// A company registration extract.
    CompanyRegistration,
    /// The signed LOA.
    SignedLoa,
    /// Anything else.
    Other,
}

impl DocumentKind {
    /// Every variant, in schema order.
    pub const ALL: [DocumentKind; 8] = [
        DocumentKind::Bill,
        DocumentKind::Receipt,
        DocumentKind::TrackingScreenshot,
        DocumentKind::Csr,
        DocumentKind::Id,
        DocumentKind::CompanyRegistration,
        DocumentKind::SignedLoa,
        DocumentKind::Other,
    ];

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Bill => "bill",
            DocumentKind::Receipt => "receipt",
            DocumentKind::TrackingScreenshot => "tracking-screenshot",
            DocumentKind::Csr => "csr",
            DocumentKind::Id => "id",
            DocumentKind::CompanyRegistration => "company-registration",
            DocumentKind::SignedLoa => "signed-loa",
            DocumentKind::Other => "other",
        }
    }
}

display_as_str!(
    PortType,
    RemainingNumbers,
    EndUserType,
    NumberType,
    DocumentKind
);

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("account", &self.account)
            .field("requested_by", &self.requested_by)
            .field("country", &self.country)
            .field("losing_carrier", &self.losing_carrier)
            .field("port_type", &self.port_type)
            .field("desired_foc", &self.desired_foc)
            .field("split_from", &self.split_from)
            .field("partial", &self.partial)
            .field("end_user", &self.end_user)
            .field("csr", &self.csr)
            .field("fee", &self.fee)
            .field(
                "requirements",
                &self.requirements.keys().collect::<Vec<_>>(),
            )
            .field("numbers", &self.numbers)
            .field("documents", &self.documents)
            .finish()
    }
}

impl std::fmt::Debug for EndUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndUser")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("authorized_person", &self.authorized_person)
            .field("authorized_title", &self.authorized_title)
            .field("signer_email", &self.signer_email)
            .field("billing_number", &self.billing_number)
            .field("account_number", &self.account_number)
            .field("pin", &self.pin.as_ref().map(|_| "(set)"))
            .field("pin_obtained_on", &self.pin_obtained_on)
            .field("service_address", &self.service_address)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::model::testing::names;

    /// The request.toml example of SPEC §3, as the validator hands it over (dates as strings).
    fn spec_example() -> Value {
        json!({
            "account": "northwind-agency/lakeside-dental",
            "requested_by": "maria.lopez@northwind.example",
            "country": "US",
            "losing_carrier": "Comcast Business",
            "port_type": "partial",
            "desired_foc": "2026-12-15",
            "split_from": "2026-11-lakeside-main",
            "partial": { "remaining_numbers": "keep", "new_billing_number": "+12065550188" },
            "end_user": {
                "type": "business",
                "name": "Lakeside Dental LLC",
                "authorized_person": "Maria Lopez",
                "authorized_title": "Office Manager",
                "signer_email": "maria@lakeside.example",
                "billing_number": "+12065550143",
                "account_number": "8812-5521",
                "pin": "-----BEGIN AGE ENCRYPTED FILE-----\n...\n-----END AGE ENCRYPTED FILE-----",
                "pin_obtained_on": "2026-11-20",
                "service_address": {
                    "street": "1200 Lakeside Ave",
                    "extended": "Suite 4",
                    "locality": "Seattle",
                    "region": "WA",
                    "postal_code": "98101",
                    "country": "US"
                }
            },
            "csr": {
                "name": "LAKESIDE DENTAL LLC",
                "street": "1200 LAKESIDE AVE STE 4",
                "postal_code": "98101",
                "billing_number": "+12065550143",
                "account_number": "8812-5521",
                "numbers": ["+12065550143", "+12065550144", "+12065550145"]
            },
            "fee": { "accepted_by": "maria@lakeside.example", "accepted_on": "2026-11-19" },
            "requirements": {},
            "numbers": [{
                "number": "+12065550143",
                "type": "landline",
                "tracking_source": "Google Ads",
                "receiving_number": "+12065550100",
                "target_number": "+12065550101"
            }],
            "documents": [{
                "kind": "bill",
                "path": "documents/bill-2026-10.pdf",
                "dated": "2026-10-28"
            }]
        })
    }

    fn parse(value: Value) -> Result<Request, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn reads_the_spec_example() {
        let request = parse(spec_example()).unwrap();
        assert_eq!(request.account, "northwind-agency/lakeside-dental");
        assert_eq!(request.port_type, Some(PortType::Partial));
        assert_eq!(request.desired_foc, Some("2026-12-15".parse().unwrap()));
        let partial = request.partial.unwrap();
        assert_eq!(partial.remaining_numbers, Some(RemainingNumbers::Keep));
        let end_user = request.end_user.unwrap();
        assert_eq!(end_user.kind, Some(EndUserType::Business));
        assert_eq!(
            end_user.pin_obtained_on,
            Some("2026-11-20".parse().unwrap())
        );
        let address = end_user.service_address.unwrap();
        assert_eq!(address.extended.as_deref(), Some("Suite 4"));
        assert_eq!(request.csr.unwrap().numbers.len(), 3);
        assert_eq!(
            request.fee.unwrap().accepted_on,
            "2026-11-19".parse().unwrap()
        );
        assert_eq!(request.numbers[0].kind, Some(NumberType::Landline));
        assert_eq!(
            request.numbers[0].target_number.as_deref(),
            Some("+12065550101")
        );
        assert_eq!(request.documents[0].kind, DocumentKind::Bill);
        assert_eq!(
            request.documents[0].dated,
            Some("2026-10-28".parse().unwrap())
        );
    }

    #[test]
    fn an_incomplete_request_is_still_a_request() {
        let request = parse(json!({
            "account": "lakeside-dental",
            "requested_by": "maria@lakeside.example",
            "country": "GB",
            "requirements": { "pac_code": "-----BEGIN AGE ENCRYPTED FILE-----" },
            "numbers": [{ "number": "+447700900123" }]
        }))
        .unwrap();
        assert_eq!(request.end_user, None);
        assert_eq!(request.numbers[0].kind, None);
        assert!(request.documents.is_empty());
        assert_eq!(
            request.requirements.keys().collect::<Vec<_>>(),
            ["pac_code"]
        );
    }

    #[test]
    fn rejects_unknown_keys_at_every_level() {
        let mut top = spec_example();
        top["colour"] = json!("red");
        assert!(
            parse(top)
                .unwrap_err()
                .to_string()
                .contains("unknown field `colour`")
        );

        let mut address = spec_example();
        address["end_user"]["service_address"]["zip"] = json!("98101");
        assert!(
            parse(address)
                .unwrap_err()
                .to_string()
                .contains("unknown field `zip`")
        );

        let mut number = spec_example();
        number["numbers"][0]["carrier"] = json!("x");
        assert!(parse(number).is_err());
    }

    #[test]
    fn rejects_unknown_enum_values_and_bad_dates() {
        let mut kind = spec_example();
        kind["numbers"][0]["type"] = json!("cell");
        assert!(parse(kind).is_err());
        let mut date = spec_example();
        date["desired_foc"] = json!("2026-02-30");
        assert!(parse(date).is_err());
    }

    #[test]
    fn agrees_with_the_schema() {
        use crate::model::testing::{REQUEST_SCHEMA, schema_enum, schema_errors};

        let mut full = spec_example();
        full["documents"][0]["description"] = json!("October statement");
        full["requirements"] = json!({
            "pac_code": "-----BEGIN AGE ENCRYPTED FILE-----",
            "pac_code_obtained_on": "2026-11-20"
        });
        assert_eq!(
            parse(full.clone()).unwrap().obtained_on("pac_code"),
            Some("2026-11-20".parse().unwrap())
        );
        let minimal =
            json!({ "account": "acme", "requested_by": "ops@example.com", "country": "US" });
        for valid in [spec_example(), full, minimal] {
            assert_eq!(schema_errors(REQUEST_SCHEMA, &valid), Vec::<String>::new());
            parse(valid).unwrap();
        }

        // Structurally wrong: both the schema and the model refuse it.
        let invalid: [(&str, Value); 8] = [
            ("/colour", json!("red")),
            ("/numbers/0/type", json!("cell")),
            ("/desired_foc", json!("2026-02-30")),
            ("/port_type", json!(1)),
            ("/end_user/service_address/zip", json!("98101")),
            ("/documents/0/kind", json!("selfie")),
            ("/fee/accepted_on", Value::Null),
            ("/requirements/pac_code_obtained_on", json!("2026-11-31")),
        ];
        for (pointer, value) in invalid {
            let mut instance = spec_example();
            set(&mut instance, pointer, value);
            assert!(
                !schema_errors(REQUEST_SCHEMA, &instance).is_empty(),
                "schema takes {pointer}"
            );
            assert!(parse(instance).is_err(), "model takes {pointer}");
        }
        for (pointer, all) in [
            (
                "/properties/port_type/enum",
                names(&PortType::ALL, PortType::as_str),
            ),
            (
                "/properties/partial/properties/remaining_numbers/enum",
                names(&RemainingNumbers::ALL, RemainingNumbers::as_str),
            ),
            (
                "/properties/end_user/properties/type/enum",
                names(&EndUserType::ALL, EndUserType::as_str),
            ),
            (
                "/properties/numbers/items/properties/type/enum",
                names(&NumberType::ALL, NumberType::as_str),
            ),
            (
                "/properties/documents/items/properties/kind/enum",
                names(&DocumentKind::ALL, DocumentKind::as_str),
            ),
        ] {
            assert_eq!(schema_enum(REQUEST_SCHEMA, pointer), all, "{pointer}");
        }
    }

    /// Sets the value at a JSON pointer, creating the last key; `null` removes it.
    fn set(instance: &mut Value, pointer: &str, value: Value) {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let object = instance
            .pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap();
        if value.is_null() {
            object.remove(key);
        } else {
            object.insert(key.to_owned(), value);
        }
    }

    #[test]
    fn enum_names_match_serde() {
        fn check<T: Serialize + Copy>(all: &[T], as_str: fn(T) -> &'static str) {
            for &v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), json!(as_str(v)));
            }
        }
        check(&PortType::ALL, PortType::as_str);
        check(&RemainingNumbers::ALL, RemainingNumbers::as_str);
        check(&EndUserType::ALL, EndUserType::as_str);
        check(&NumberType::ALL, NumberType::as_str);
        check(&DocumentKind::ALL, DocumentKind::as_str);
        assert_eq!(NumberType::TollFree.to_string(), "toll-free");
    }

    #[test]
    fn debug_output_never_prints_a_pin_or_a_requirement_value() {
        let mut value = spec_example();
        value["end_user"]["pin"] = json!("4821");
        value["requirements"] = json!({ "pac_code": "PAC 123456" });
        let request: Request = serde_json::from_value(value).unwrap();
        let shown = format!("{request:?}");
        assert!(
            shown.contains("pac_code") && shown.contains("(set)"),
            "{shown}"
        );
        assert!(
            !shown.contains("4821") && !shown.contains("123456"),
            "{shown}"
        );
    }
}
