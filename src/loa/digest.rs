//! `LoaData`: everything the LOA prints, in one versioned value, and its sha256 digest over
//! RFC 8785 canonical JSON. Routing, documents and the PIN are not part of it.

use std::collections::BTreeMap;

use crate::signed::sha256_hex;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::model::policy::{Policy, RequirementType};
use crate::model::request::Request;

/// The version of the `LoaData` layout; a change to the layout bumps it.
pub const LOA_FORMAT: u32 = 1;

/// Everything the LOA prints. Optional values are omitted when absent, so adding an optional
/// field to a later format does not change earlier digests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoaData {
    /// Layout version.
    pub format: u32,
    /// The port id (printed in the footer).
    pub port: String,
    /// The gaining party.
    pub organization: Organization,
    /// ISO country of the numbers.
    pub country: String,
    /// The losing carrier as printed on the bill.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub losing_carrier: Option<String>,
    /// `full` or `partial`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_type: Option<String>,
    /// Partial-port settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Partial>,
    /// The end user as the losing carrier knows them.
    pub end_user: EndUser,
    /// Country requirement values that the LOA prints (secret ones never are).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub requirements: BTreeMap<String, String>,
    /// The numbers, sorted by E.164, with their type.
    pub numbers: Vec<Number>,
}

/// The gaining party, from porting.toml.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organization {
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
}

/// Partial-port settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Partial {
    /// `keep` or `disconnect`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_numbers: Option<String>,
    /// The BTN that stays on the losing account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_billing_number: Option<String>,
}

/// The end user block.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EndUser {
    /// `business` or `residential`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Business name or the resident's full name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Who authorizes the port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorized_person: Option<String>,
    /// Their title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorized_title: Option<String>,
    /// The billing telephone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_number: Option<String>,
    /// The losing-carrier account number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    /// The service address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_address: Option<Address>,
}

/// The service address.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Address {
    /// Street and number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Suite, floor, unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State, province or county.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// One number on the LOA.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Number {
    /// E.164.
    pub number: String,
    /// landline, mobile, voip or toll-free.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

fn nfc_opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(nfc)
}

impl LoaData {
    /// Builds the LOA data of a request under a policy.
    pub fn new(policy: &Policy, port_id: &str, request: &Request) -> LoaData {
        let end_user = request
            .end_user
            .as_ref()
            .map(|u| EndUser {
                kind: u.kind.map(|k| k.as_str().to_owned()),
                name: nfc_opt(&u.name),
                authorized_person: nfc_opt(&u.authorized_person),
                authorized_title: nfc_opt(&u.authorized_title),
                billing_number: u.billing_number.clone(),
                account_number: nfc_opt(&u.account_number),
                service_address: u.service_address.as_ref().map(|a| Address {
                    street: nfc_opt(&a.street),
                    extended: nfc_opt(&a.extended),
                    locality: nfc_opt(&a.locality),
                    region: nfc_opt(&a.region),
                    postal_code: nfc_opt(&a.postal_code),
                    country: a.country.clone(),
                }),
            })
            .unwrap_or_default();
        let printed: Vec<&str> = policy
            .country(&request.country)
            .map(|c| {
                c.requirements
                    .iter()
                    .filter(|r| r.kind == RequirementType::Field && !r.secret)
                    .map(|r| r.key.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let requirements = request
            .requirements
            .iter()
            .filter(|(k, _)| printed.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), nfc(v)))
            .collect();
        let mut numbers: Vec<Number> = request
            .numbers
            .iter()
            .map(|n| Number {
                number: n.number.clone(),
                kind: n.kind.map(|k| k.as_str().to_owned()),
            })
            .collect();
        numbers.sort();
        LoaData {
            format: LOA_FORMAT,
            port: port_id.to_owned(),
            organization: Organization {
                name: nfc(&policy.organization.name),
                address: nfc(&policy.organization.address),
            },
            country: request.country.clone(),
            losing_carrier: nfc_opt(&request.losing_carrier),
            port_type: request.port_type.map(|t| t.as_str().to_owned()),
            partial: request.partial.as_ref().map(|p| Partial {
                remaining_numbers: p.remaining_numbers.map(|r| r.as_str().to_owned()),
                new_billing_number: p.new_billing_number.clone(),
            }),
            end_user,
            requirements,
            numbers,
        }
    }

    /// The RFC 8785 canonical JSON of the data.
    pub fn canonical_json(&self) -> String {
        // Serializing plain strings, integers and maps cannot fail.
        serde_json_canonicalizer::to_string(self).unwrap_or_default()
    }
}

/// `sha256:<hex>` of the canonical JSON.
pub fn digest(data: &LoaData) -> String {
    format!("sha256:{}", sha256_hex(data.canonical_json().as_bytes()))
}
