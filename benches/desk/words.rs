//! Word lists for the synthetic desk: fictional businesses, people, places and staff.
//!
//! Everything here is made up. Streets use invented names, e-mail domains end in the
//! reserved `.example` top-level domain, and staff write from `example.com`.

/// First words of business names.
pub const BUSINESS_FIRST: &[&str] = &[
    "Lakeside",
    "Copperleaf",
    "Pinecrest",
    "Bayview",
    "Summit",
    "Riverbend",
    "Maplewood",
    "Harborlight",
    "Northgate",
    "Stonebridge",
    "Willowbrook",
    "Cedar Hollow",
    "Brightwater",
    "Foxglove",
    "Ironwood",
    "Silverline",
    "Bluebell",
    "Oakridge",
    "Redfern",
    "Sandpiper",
    "Thistle",
    "Juniper",
    "Larkspur",
    "Moonrise",
    "Granite Peak",
    "Hollowell",
    "Kestrel",
    "Marigold",
    "Quarry Hill",
    "Saltmarsh",
    "Tamarack",
    "Westbrook",
    "Amberly",
    "Birchwood",
    "Clearwater",
    "Driftwood",
    "Elmstead",
    "Fairhaven",
    "Goldcrest",
    "Heronsgate",
];

/// Second words of business names, with the legal suffix the losing carrier has on file.
pub const BUSINESS_KIND: &[(&str, &str)] = &[
    ("Dental", "LLC"),
    ("Law Group", "LLP"),
    ("Plumbing", "Inc"),
    ("Physio", "Inc"),
    ("Roofing", "LLC"),
    ("Bistro", "LLC"),
    ("Veterinary Clinic", "PC"),
    ("Realty", "Inc"),
    ("Auto Repair", "LLC"),
    ("Insurance Agency", "Inc"),
    ("Chiropractic", "PC"),
    ("Yoga Studio", "LLC"),
    ("Hardware", "Co"),
    ("Bakery", "LLC"),
    ("HVAC Services", "Inc"),
    ("Landscaping", "LLC"),
    ("Accounting", "LLP"),
    ("Pet Grooming", "LLC"),
    ("Moving Co", "Inc"),
    ("Pharmacy", "Inc"),
    ("Medical Group", "PC"),
    ("Outdoor Supply", "Inc"),
    ("Marketing", "LLC"),
    ("Electric", "Inc"),
];

/// Given names.
pub const FIRST_NAMES: &[&str] = &[
    "Maria", "Priya", "Ben", "Adaeze", "Kim", "Nadia", "Marisol", "Jordan", "Alex", "Sam",
    "Taylor", "Morgan", "Chen", "Fatima", "Olu", "Ingrid", "Mateo", "Hana", "Ravi", "Lucia",
    "Tomas", "Grace", "Emeka", "Sofia", "Daniel", "Aisha", "Kenji", "Elena", "Marcus", "Leah",
    "Owen", "Zara", "Felix", "Rosa", "Nikhil", "Claire", "Diego", "Yara", "Isaac", "Mei",
];

/// Family names.
pub const LAST_NAMES: &[&str] = &[
    "Lopez",
    "Raman",
    "Okoro",
    "Okafor",
    "Arendt",
    "Kowalczyk",
    "Vega",
    "Rivera",
    "Nguyen",
    "Tremblay",
    "Haddad",
    "Lindqvist",
    "Moreau",
    "Sato",
    "Mensah",
    "Novak",
    "Castillo",
    "Brennan",
    "Farouk",
    "Petrov",
    "Adeyemi",
    "Larsen",
    "Quinn",
    "Delgado",
    "Whitfield",
    "Osei",
    "Marchetti",
    "Kaur",
    "Baptiste",
    "Holm",
    "Abernathy",
    "Ferreira",
    "Yilmaz",
    "Duchamp",
    "Mbeki",
    "Sorensen",
    "Valdez",
    "Kovacs",
    "Ashby",
    "Nakamura",
];

/// Titles of the person who signs for a business.
pub const TITLES: &[&str] = &[
    "Owner",
    "Office Manager",
    "Managing Partner",
    "Operations Director",
    "President",
    "Practice Manager",
    "General Manager",
    "Controller",
    "IT Manager",
    "VP Operations",
];

/// Invented street names.
pub const STREETS: &[&str] = &[
    "Quillfeather",
    "Lanternfield",
    "Wrenhollow",
    "Marigold",
    "Granite Ridge",
    "Saltbrook",
    "Thornbury",
    "Kettleworth",
    "Ashcombe",
    "Bellmoor",
    "Cinderlane",
    "Dovecote",
    "Emberly",
    "Fernhallow",
    "Glenmarrow",
    "Hazelmere",
    "Ivydene",
    "Juniperhill",
    "Kingfisher",
    "Larchmont",
    "Meadowlark",
    "Nettlefold",
    "Orchardine",
    "Pebblestone",
];

/// Street suffixes as written on bills.
pub const STREET_KINDS: &[&str] = &["Ave", "St", "Rd", "Blvd", "Dr", "Ln", "Way", "Pkwy"];

/// US places: locality, state, ZIP code.
pub const US_PLACES: &[(&str, &str, &str)] = &[
    ("Seattle", "WA", "98101"),
    ("Chicago", "IL", "60601"),
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Boulder", "CO", "80301"),
    ("Somerville", "MA", "02144"),
    ("Portland", "OR", "97204"),
    ("Atlanta", "GA", "30303"),
    ("Phoenix", "AZ", "85004"),
    ("Nashville", "TN", "37203"),
    ("Columbus", "OH", "43215"),
    ("Madison", "WI", "53703"),
    ("Raleigh", "NC", "27601"),
    ("Tampa", "FL", "33602"),
    ("Sacramento", "CA", "95814"),
    ("Minneapolis", "MN", "55401"),
    ("Richmond", "VA", "23219"),
    ("Albuquerque", "NM", "87102"),
    ("Omaha", "NE", "68102"),
    ("Burlington", "VT", "05401"),
];

/// Canadian places: locality, province, postal code.
pub const CA_PLACES: &[(&str, &str, &str)] = &[
    ("Toronto", "ON", "M5V 2T6"),
    ("Ottawa", "ON", "K1P 5J9"),
    ("Montreal", "QC", "H2Y 1C6"),
    ("Vancouver", "BC", "V6B 1A1"),
    ("Calgary", "AB", "T2P 1J9"),
    ("Edmonton", "AB", "T5J 0N3"),
    ("Winnipeg", "MB", "R3C 0V8"),
    ("Halifax", "NS", "B3J 1S9"),
    ("Victoria", "BC", "V8W 1P6"),
    ("Quebec City", "QC", "G1R 4P5"),
];

/// Losing carriers of landline and VoIP numbers, by country.
pub const US_CARRIERS: &[&str] = &[
    "Comcast Business",
    "AT&T",
    "Lumen",
    "Verizon Business",
    "Spectrum Business",
    "Frontier",
    "Windstream",
    "Cox Business",
];
pub const CA_CARRIERS: &[&str] = &["Bell Canada", "Rogers", "TELUS", "Shaw Business", "Cogeco"];

/// Losing carriers of mobile numbers, by country.
pub const US_MOBILE_CARRIERS: &[&str] = &[
    "T-Mobile",
    "Verizon Wireless",
    "AT&T Mobility",
    "Mint Mobile",
];
pub const CA_MOBILE_CARRIERS: &[&str] =
    &["Rogers Wireless", "Bell Mobility", "TELUS Mobility", "Fido"];

/// Losing carriers of toll-free numbers (RespOrgs).
pub const TOLL_FREE_CARRIERS: &[&str] = &["Lumen", "AT&T", "Verizon Business"];

/// Where calls to a ported number come from, for `tracking_source`.
pub const TRACKING_SOURCES: &[&str] = &[
    "Main line",
    "Google Ads",
    "Bing Ads",
    "Facebook Ads",
    "Yelp listing",
    "Direct mail",
    "Radio spot",
    "Billboard",
    "Website header",
    "Google Business Profile",
    "Email newsletter",
    "Trade show",
    "Referral partners",
    "Print catalog",
    "Fax line",
    "After-hours line",
];

/// The desk's staff: name, e-mail and UTC offset in minutes (they record events and commit).
pub const STAFF: &[(&str, &str, i32)] = &[
    ("Ana Souza", "ana.souza@example.com", -300),
    ("Ben Okoro", "ben.okoro@example.com", -360),
    ("Jordan Rivera", "jordan.rivera@example.com", -300),
    ("Claire Tremblay", "claire.tremblay@example.com", -300),
    ("Devon Marsh", "devon.marsh@example.com", -480),
    ("Hiro Tanaka", "hiro.tanaka@example.com", -480),
    ("Imani Clarke", "imani.clarke@example.com", -360),
    ("Lena Fischer", "lena.fischer@example.com", -420),
];

/// Why customers withdraw a port.
pub const CANCEL_REASONS: &[&str] = &[
    "The customer renewed the contract with the losing carrier and keeps the numbers there",
    "The customer closed the location; the numbers will be disconnected instead",
    "The customer asked to wait until next quarter and will start a new request then",
    "Duplicate of another request for the same account",
    "The agency lost the client before the port was submitted",
    "The customer could not get the account holder to authorize the port",
];
