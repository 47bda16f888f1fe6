//! `portflow site`: the desk's board as static HTML pages. The board (also narrowed by
//! stage, country and account, one page each), this week's FOC dates, a page per port and
//! the charts; no script and nothing fetched, so it works from `file://` as from GitHub
//! Pages. The pages come from the minijinja templates in `assets/site/` (built in), which escape
//! every value; nothing secret is ever handed to them.

use std::collections::BTreeMap;

use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;

use super::charts::{self, Spread, WeekCounts, stage_label};
use super::status::Row;
use super::text::fmt_utc_minutes;
use crate::diag::Finding;
use crate::model::Date;
use crate::model::analytics::Analytics;
use crate::model::eta::{days_up, percentile};
use crate::model::request::Request;
use crate::model::timeline::{CommitInfo, DAY, PortTimeline, end_of};
use crate::plural::count;
use crate::stage::Stage;

/// A template value of anything serde can serialize.
fn v<T: Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// One port as the site shows it: its board row and what its own page adds.
#[derive(Debug)]
pub struct PortInput<'a> {
    /// Its row on the board (times and estimate included).
    pub row: &'a Row,
    /// Its request, when valid. Only fields that are not secret are shown.
    pub request: Option<&'a Request>,
    /// Its timeline from git.
    pub timeline: Option<&'a PortTimeline>,
    /// Its findings, each with the line it points at.
    pub findings: Vec<(&'a Finding, Option<usize>)>,
}

/// Everything the site is made from.
#[derive(Debug)]
pub struct SiteInput<'a> {
    /// The `--today` of the run.
    pub today: Date,
    /// Every port, in folder order.
    pub ports: Vec<PortInput<'a>>,
    /// The desk analytics (rejection reasons).
    pub analytics: &'a Analytics,
    /// A commit link with `{commit}` where the id goes, e.g.
    /// `https://github.com/acme/ports/commit/{commit}`.
    pub commit_link: Option<&'a str>,
}

/// A rendered page: its path in the site and its HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Path relative to the site's folder, `/`-separated.
    pub path: String,
    /// The HTML.
    pub html: String,
}

/// Failures of the templates: a bug in portflow, never in the user's files.
#[derive(Debug, thiserror::Error)]
#[error("the status site's template `{template}` failed: {source}")]
pub struct SiteError {
    template: String,
    #[source]
    source: minijinja::Error,
}

const TEMPLATES: [(&str, &str); 5] = [
    ("layout.html", include_str!("../../assets/site/layout.html")),
    ("board.html", include_str!("../../assets/site/board.html")),
    ("port.html", include_str!("../../assets/site/port.html")),
    ("charts.html", include_str!("../../assets/site/charts.html")),
    (
        "accounts.html",
        include_str!("../../assets/site/accounts.html"),
    ),
];

/// The stages a desk still works on, in lifecycle order.
fn open_stages() -> Vec<Stage> {
    Stage::ALL
        .iter()
        .copied()
        .filter(|s| !s.is_terminal())
        .collect()
}

#[derive(Debug, Clone, Serialize)]
struct SlaView {
    text: String,
    state: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct EtaView {
    text: String,
    detail: String,
}

#[derive(Debug, Clone, Serialize)]
struct BoardRow {
    port: String,
    href: String,
    account: Option<String>,
    country: Option<String>,
    carrier: Option<String>,
    numbers: usize,
    stage: Stage,
    stage_label: String,
    in_stage: Option<String>,
    foc: Option<String>,
    foc_note: Option<String>,
    sla: Option<SlaView>,
    eta: Option<EtaView>,
    owner: Option<String>,
    next_action: String,
    findings: Option<String>,
    errors: usize,
    #[serde(skip)]
    in_stage_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
struct Group {
    stage: &'static str,
    label: String,
    /// How many ports are in the stage.
    count: usize,
    /// The rows shown: on the full board, only the latest of a finished stage.
    rows: Vec<BoardRow>,
    /// The stage's own page, when not every row is shown here.
    more: Option<String>,
}

/// On the full board, a finished stage shows its latest ports only; its page has them all.
const FINISHED_ON_BOARD: usize = 20;

#[derive(Debug, Clone, Serialize)]
struct Link {
    label: String,
    href: String,
    count: usize,
    current: bool,
}

#[derive(Debug, Clone, Serialize)]
struct Filters {
    stages: Vec<Link>,
    countries: Vec<Link>,
    /// How many accounts and agencies have a page (listed on `accounts.html`).
    accounts: usize,
    /// The account of this page, when it is one.
    account: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct WeekItem {
    date: String,
    when: String,
    late: bool,
    row: BoardRow,
}

/// Where a board page's ports come from.
enum Narrowing<'a> {
    All,
    Stage(Stage),
    Country(&'a str),
    Account(&'a str),
}

fn slug(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        out.push('-');
    }
    out
}

/// Hands out page names: a name already taken (two texts that slug alike) gets a number.
#[derive(Default)]
struct Names(BTreeMap<String, String>, std::collections::BTreeSet<String>);

impl Names {
    fn name(&mut self, folder: &str, text: &str) -> String {
        let key = format!("{folder}\u{0}{text}");
        if let Some(name) = self.0.get(&key) {
            return name.clone();
        }
        let base = slug(text);
        let mut name = format!("{folder}/{base}.html");
        let mut n = 2;
        while self.1.contains(&name) {
            name = format!("{folder}/{base}-{n}.html");
            n += 1;
        }
        self.1.insert(name.clone());
        self.0.insert(key, name.clone());
        name
    }
}

fn board_row(row: &Row, href: &str) -> BoardRow {
    let times = row.times.as_ref();
    BoardRow {
        port: row.port.clone(),
        href: href.to_owned(),
        account: row.account.clone(),
        country: row.country.clone(),
        carrier: row.losing_carrier.clone(),
        numbers: row.numbers,
        stage: row.stage,
        stage_label: stage_label(row.stage),
        in_stage: times
            .and_then(|t| t.in_stage_days)
            .map(|d| count(d, "day", "days")),
        foc: row.foc.map(|d| d.to_string()),
        foc_note: row.days_to_foc.map(|d| match d {
            0 => "today".to_owned(),
            d if d > 0 => format!("in {}", count(d, "day", "days")),
            d => format!("{} ago", count(-d, "day", "days")),
        }),
        sla: times.and_then(|t| t.sla.as_ref()).map(|s| SlaView {
            text: format!("{} of {} days", s.elapsed_days, s.max_days),
            state: s.state,
        }),
        eta: row.eta.as_ref().map(|e| EtaView {
            text: if e.p50_date == e.p90_date {
                e.p50_date.clone()
            } else {
                format!("{} – {}", e.p50_date, e.p90_date)
            },
            detail: format!(
                "p50 in {}, p90 in {}, from {} ({})",
                count(e.p50_days, "day", "days"),
                count(e.p90_days, "day", "days"),
                count(
                    e.completed_ports as i64,
                    "completed port",
                    "completed ports"
                ),
                if e.basis == "country" {
                    "same country, any carrier"
                } else {
                    "same country and carrier"
                }
            ),
        }),
        owner: times.and_then(|t| t.owner.as_ref()).map(|o| o.name.clone()),
        next_action: row.next_action.clone(),
        findings: match (row.errors, row.warnings) {
            (0, 0) => None,
            (e, 0) => Some(count(e as i64, "error", "errors")),
            (0, w) => Some(count(w as i64, "warning", "warnings")),
            (e, w) => Some(format!(
                "{}, {}",
                count(e as i64, "error", "errors"),
                count(w as i64, "warning", "warnings")
            )),
        },
        errors: row.errors,
        in_stage_days: times.and_then(|t| t.in_stage_days),
    }
}

fn commit_view(commit: &CommitInfo, link: Option<&str>) -> Value {
    v(serde_json::json!({
        "short": commit.id.get(..8).unwrap_or(&commit.id),
        "id": commit.id,
        "href": link.map(|l| l.replace("{commit}", &commit.id)),
        "time": fmt_utc_minutes(commit.time),
        "author": commit.author.name,
    }))
}

/// The request's fields a reviewer reads, none of them secret: no PIN, no account number,
/// no country requirement (a PAC is one).
fn request_view(q: &Request) -> Value {
    let mut fields: Vec<(&str, String)> = vec![
        ("Account", q.account.clone()),
        ("Requested by", q.requested_by.clone()),
        ("Country", q.country.clone()),
    ];
    let mut push = |label: &'static str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            fields.push((label, v));
        }
    };
    push("Losing carrier", q.losing_carrier.clone());
    push("Port type", q.port_type.map(|t| t.as_str().to_owned()));
    push("Desired FOC", q.desired_foc.map(|d| d.to_string()));
    if let Some(user) = &q.end_user {
        push("End user type", user.kind.map(|k| k.as_str().to_owned()));
        push("End user", user.name.clone());
        push(
            "Authorized person",
            match (&user.authorized_person, &user.authorized_title) {
                (Some(p), Some(t)) => Some(format!("{p}, {t}")),
                (Some(p), None) => Some(p.clone()),
                _ => None,
            },
        );
        push("Billing telephone number", user.billing_number.clone());
        push(
            "Service address",
            user.service_address.as_ref().map(|a| {
                [
                    &a.street,
                    &a.extended,
                    &a.locality,
                    &a.region,
                    &a.postal_code,
                    &a.country,
                ]
                .iter()
                .filter_map(|p| p.as_deref())
                .filter(|p| !p.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
            }),
        );
    }
    let numbers: Vec<Value> = q
        .numbers
        .iter()
        .map(|n| {
            v(serde_json::json!({
                "number": n.number,
                "kind": n.kind.map(|k| k.as_str()),
                "routing": n.receiving_number.as_ref().or(n.target_number.as_ref()),
                "source": n.tracking_source,
            }))
        })
        .collect();
    let documents: Vec<Value> = q
        .documents
        .iter()
        .map(|d| {
            v(serde_json::json!({
                "kind": d.kind.as_str(),
                "path": d.path,
                "dated": d.dated.map(|x| x.to_string()),
                "description": d.description,
            }))
        })
        .collect();
    let fields: Vec<Value> = fields
        .into_iter()
        .map(|(label, value)| v(serde_json::json!([label, value])))
        .collect();
    v(serde_json::json!({
        "fields": fields,
        "numbers": numbers,
        "documents": documents,
    }))
}

/// Text with `backticked` parts as code, the way messages and next actions quote values;
/// everything escaped.
fn ticks(text: &str) -> Value {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        let part = crate::notice::html_escape(part);
        // An odd part sits between two backticks; a lone last backtick stays as typed.
        if i % 2 == 1 && text.split('`').count() > i + 1 {
            out.push_str(&format!("<code>{part}</code>"));
        } else {
            if i % 2 == 1 {
                out.push('`');
            }
            out.push_str(&part);
        }
    }
    Value::from_safe_string(out)
}

/// The whole site, page by page.
pub fn render(input: &SiteInput<'_>) -> Result<Vec<Page>, SiteError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_filter("ticks", ticks);
    for (name, text) in TEMPLATES {
        env.add_template(name, text).map_err(|source| SiteError {
            template: name.to_owned(),
            source,
        })?;
    }
    let mut names = Names::default();
    let hrefs: Vec<String> = input
        .ports
        .iter()
        .map(|p| names.name("ports", &p.row.port))
        .collect();
    let rows: Vec<BoardRow> = input
        .ports
        .iter()
        .zip(&hrefs)
        .map(|(p, href)| board_row(p.row, href))
        .collect();

    // The filter pages: every stage, country and account (and agency) that has a port.
    let mut countries: BTreeMap<String, usize> = BTreeMap::new();
    let mut accounts: BTreeMap<String, usize> = BTreeMap::new();
    for p in &input.ports {
        if let Some(c) = &p.row.country {
            *countries.entry(c.clone()).or_default() += 1;
        }
        if let Some(a) = &p.row.account {
            *accounts.entry(a.clone()).or_default() += 1;
        }
        if let Some(a) = &p.row.agency {
            *accounts.entry(a.clone()).or_default() += 1;
        }
    }
    let mut stage_counts: BTreeMap<Stage, usize> = BTreeMap::new();
    for p in &input.ports {
        *stage_counts.entry(p.row.stage).or_default() += 1;
    }
    let stage_pages: Vec<(Stage, String)> = Stage::ALL
        .iter()
        .filter(|s| stage_counts.contains_key(s))
        .map(|s| (*s, format!("stage/{}.html", s.as_str())))
        .collect();
    let country_pages: Vec<(String, String)> = countries
        .keys()
        .map(|c| (c.clone(), names.name("country", c)))
        .collect();
    let account_pages: Vec<(String, String)> = accounts
        .keys()
        .map(|a| (a.clone(), names.name("account", a)))
        .collect();

    let filters = |current: &str| Filters {
        stages: stage_pages
            .iter()
            .map(|(s, href)| Link {
                label: stage_label(*s),
                href: href.clone(),
                count: stage_counts.get(s).copied().unwrap_or(0),
                current: href == current,
            })
            .collect(),
        countries: country_pages
            .iter()
            .map(|(c, href)| Link {
                label: c.clone(),
                href: href.clone(),
                count: countries.get(c).copied().unwrap_or(0),
                current: href == current,
            })
            .collect(),
        accounts: account_pages.len(),
        account: account_pages
            .iter()
            .find(|(_, href)| href == current)
            .map(|(a, _)| a.clone()),
    };

    let render_page = |template: &str, path: &str, ctx: Value| -> Result<Page, SiteError> {
        let root = "../".repeat(path.matches('/').count());
        let ctx = minijinja::context! {
            root => root,
            path => path,
            today => input.today.to_string(),
            ..ctx
        };
        let html = env
            .get_template(template)
            .and_then(|t| t.render(ctx))
            .map_err(|source| SiteError {
                template: template.to_owned(),
                source,
            })?;
        Ok(Page {
            path: path.to_owned(),
            html,
        })
    };

    let mut pages = Vec::new();
    let board = |path: &str, narrowing: Narrowing<'_>| -> Result<Page, SiteError> {
        let keep = |p: &PortInput<'_>| match &narrowing {
            Narrowing::All => true,
            Narrowing::Stage(s) => p.row.stage == *s,
            Narrowing::Country(c) => p.row.country.as_deref() == Some(c),
            Narrowing::Account(a) => {
                p.row.account.as_deref() == Some(a) || p.row.agency.as_deref() == Some(a)
            }
        };
        let kept: Vec<&BoardRow> = input
            .ports
            .iter()
            .zip(&rows)
            .filter(|(p, _)| keep(p))
            .map(|(_, r)| r)
            .collect();
        let groups: Vec<Group> = Stage::ALL
            .iter()
            .filter_map(|stage| {
                let mut rows: Vec<BoardRow> = kept
                    .iter()
                    .filter(|r| r.stage == *stage)
                    .map(|r| (*r).clone())
                    .collect();
                if rows.is_empty() {
                    return None;
                }
                // An open stage: the longest waiting first. A finished one: the latest first.
                let days = |r: &BoardRow| r.in_stage_days.unwrap_or(-1);
                if stage.is_terminal() {
                    rows.sort_by_key(|r| (r.in_stage_days.is_none(), days(r)));
                } else {
                    rows.sort_by_key(|r| std::cmp::Reverse(days(r)));
                }
                let count = rows.len();
                let more = (matches!(narrowing, Narrowing::All)
                    && stage.is_terminal()
                    && count > FINISHED_ON_BOARD)
                    .then(|| format!("stage/{}.html", stage.as_str()));
                if more.is_some() {
                    rows.truncate(FINISHED_ON_BOARD);
                }
                Some(Group {
                    stage: stage.as_str(),
                    label: stage_label(*stage),
                    count,
                    rows,
                    more,
                })
            })
            .collect();
        let (heading, title) = match &narrowing {
            Narrowing::All => ("Porting desk board".to_owned(), "Board".to_owned()),
            Narrowing::Stage(s) => (
                format!("Ports {}", stage_label(*s).to_lowercase()),
                stage_label(*s),
            ),
            Narrowing::Country(c) => (format!("Ports in {c}"), format!("Country {c}")),
            Narrowing::Account(a) => (format!("Ports of {a}"), format!("Account {a}")),
        };
        let week = match narrowing {
            Narrowing::All => Some(this_week(input, &rows)),
            _ => None,
        };
        let open: usize = kept.iter().filter(|r| !r.stage.is_terminal()).count();
        render_page(
            "board.html",
            path,
            minijinja::context! {
                title => title,
                heading => heading,
                total => kept.len(),
                open => open,
                groups => v(groups),
                filters => v(filters(path)),
                week => v(week),
                narrowed => !matches!(narrowing, Narrowing::All),
            },
        )
    };
    pages.push(board("index.html", Narrowing::All)?);
    for (stage, path) in &stage_pages {
        pages.push(board(path, Narrowing::Stage(*stage))?);
    }
    for (country, path) in &country_pages {
        pages.push(board(path, Narrowing::Country(country))?);
    }
    for (account, path) in &account_pages {
        pages.push(board(path, Narrowing::Account(account))?);
    }

    for ((port, href), row) in input.ports.iter().zip(&hrefs).zip(&rows) {
        pages.push(render_page(
            "port.html",
            href,
            port_context(input, port, row),
        )?);
    }
    pages.push(render_page(
        "charts.html",
        "charts.html",
        charts_context(input),
    )?);
    let account_links: Vec<Link> = account_pages
        .iter()
        .map(|(a, href)| Link {
            label: a.clone(),
            href: href.clone(),
            count: accounts.get(a).copied().unwrap_or(0),
            current: false,
        })
        .collect();
    pages.push(render_page(
        "accounts.html",
        "accounts.html",
        minijinja::context! {
            title => "Accounts",
            accounts => v(account_links),
        },
    )?);
    Ok(pages)
}

/// The FOC dates of the next seven days, and the FOCs that passed without a completion.
fn this_week(input: &SiteInput<'_>, rows: &[BoardRow]) -> Vec<WeekItem> {
    let mut items: Vec<WeekItem> = input
        .ports
        .iter()
        .zip(rows)
        .filter_map(|(p, row)| {
            let foc = p.row.foc?;
            let days = p.row.days_to_foc?;
            let late = days < 0 && p.row.stage == Stage::Scheduled;
            if !(late || (0..7).contains(&days)) {
                return None;
            }
            let weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
                .get(usize::from(foc.weekday()))
                .copied()
                .unwrap_or("");
            Some(WeekItem {
                date: foc.to_string(),
                when: format!("{weekday} {}", row.foc_note.clone().unwrap_or_default()),
                late,
                row: row.clone(),
            })
        })
        .collect();
    items.sort_by(|a, b| (&a.date, &a.row.port).cmp(&(&b.date, &b.row.port)));
    items
}

fn port_context(input: &SiteInput<'_>, port: &PortInput<'_>, row: &BoardRow) -> Value {
    let link = input.commit_link;
    let line = port.timeline;
    let events: Vec<Value> = line
        .map(|l| l.events.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|e| {
            v(serde_json::json!({
                "file": e.file,
                "kind": e.kind.map(|k| k.as_str()),
                "on": e.on.map(|d| d.to_string()),
                "voided": e.voided,
                "landed": e.landed.as_ref().map(|c| commit_view(c, link)),
                "recorded_by": e.created.as_ref().map(|c| c.author.name.clone()),
                "disagree": e.dates_disagree(),
            }))
        })
        .collect();
    let periods: Vec<Value> = line
        .map(|l| l.periods.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|p| {
            v(serde_json::json!({
                "stage": p.stage.as_str(),
                "label": stage_label(p.stage),
                "from": commit_view(&p.from, link),
                "to": p.to.as_ref().map(|c| commit_view(c, link)),
                "days": format!("{:.1}", p.seconds as f64 / DAY as f64),
            }))
        })
        .collect();
    let sla = line
        .and_then(|l| l.sla.as_ref())
        .map(super::timeline::sla_sentence);
    let findings: Vec<Value> = port
        .findings
        .iter()
        .map(|(f, line)| {
            v(serde_json::json!({
                "severity": f.severity.as_str(),
                "code": f.code.as_str(),
                "file": f.file.to_string_lossy(),
                "line": line,
                "message": f.message,
                "help": f.help,
            }))
        })
        .collect();
    minijinja::context! {
        title => format!("Port {}", row.port),
        port => v(row.clone()),
        dir => port.row.dir.clone(),
        request => port.request.map(request_view),
        events => v(events),
        periods => v(periods),
        sla => sla,
        uncommitted => line.is_some_and(|l| l.uncommitted_stage),
        findings => v(findings),
    }
}

/// Weekly counts of ports per stage, from each port's committed stages: the end of each
/// week back from `--today`, as far as the history goes (at most a year).
fn weeks(input: &SiteInput<'_>) -> Vec<WeekCounts> {
    let lines: Vec<&PortTimeline> = input.ports.iter().filter_map(|p| p.timeline).collect();
    let Some(first) = lines
        .iter()
        .filter_map(|l| l.periods.first())
        .map(|p| p.from.time)
        .min()
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for back in 0..53 {
        let Some(date) = input.today.add_days(-7 * back) else {
            break;
        };
        let at = end_of(date);
        let mut counts = vec![0usize; Stage::ALL.len()];
        for line in &lines {
            let stage = line
                .periods
                .iter()
                .rev()
                .find(|p| p.from.time < at)
                .map(|p| p.stage);
            if let Some(stage) = stage
                && let Some(i) = Stage::ALL.iter().position(|s| *s == stage)
            {
                counts[i] += 1;
            }
        }
        out.push(WeekCounts {
            date: date.to_string(),
            counts,
        });
        if at <= first {
            break;
        }
    }
    out.reverse();
    out
}

/// Days from each completed port's first commit to its completion, by country.
fn completion_by_country(input: &SiteInput<'_>) -> Vec<Spread> {
    let mut by_country: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for p in &input.ports {
        let (Some(line), Some(country)) = (p.timeline, &p.row.country) else {
            continue;
        };
        if line.stage != Stage::Completed {
            continue;
        }
        let start = line.periods.first().map(|p| p.from.time);
        let done = line
            .periods
            .iter()
            .find(|p| p.stage == Stage::Completed)
            .map(|p| p.from.time);
        if let (Some(start), Some(done)) = (start, done) {
            by_country
                .entry(country.clone())
                .or_default()
                .push(done - start);
        }
    }
    by_country
        .into_iter()
        .map(|(country, mut took)| {
            took.sort_unstable();
            Spread {
                label: country,
                p50: days_up(percentile(&took, 50)),
                p90: days_up(percentile(&took, 90)),
                ports: took.len(),
            }
        })
        .collect()
}

fn charts_context(input: &SiteInput<'_>) -> Value {
    let weeks = weeks(input);
    let open = open_stages();
    let stages_svg = (!weeks.is_empty()).then(|| {
        charts::stages_over_time(
            "stages",
            "Open ports per stage at the end of each week",
            &weeks,
            &open,
        )
    });
    let week_rows: Vec<Value> = weeks
        .iter()
        .map(|w| v(serde_json::json!({"date": w.date, "counts": w.counts})))
        .collect();
    let completion = completion_by_country(input);
    let completion_svg = (!completion.is_empty()).then(|| {
        charts::spreads(
            "completion",
            "Days from a port's first commit to its completion, by country: median (p50) and 90th percentile (p90)",
            &completion,
        )
    });
    let completion_rows: Vec<Value> = completion
        .iter()
        .map(|s| {
            v(serde_json::json!({
                "country": s.label, "p50": s.p50, "p90": s.p90, "ports": s.ports,
            }))
        })
        .collect();
    let reasons = &input.analytics.reasons;
    let reasons_svg = (!reasons.is_empty())
        .then(|| charts::counts("reasons", "Rejection reasons by frequency", reasons));
    let stage_labels: Vec<String> = Stage::ALL.iter().map(|s| stage_label(*s)).collect();
    minijinja::context! {
        title => "Charts",
        stages_svg => stages_svg.map(Value::from_safe_string),
        weeks => v(week_rows),
        stage_labels => v(stage_labels),
        completion_svg => completion_svg.map(Value::from_safe_string),
        completion => v(completion_rows),
        reasons_svg => reasons_svg.map(Value::from_safe_string),
        reasons => v(reasons.iter().map(|(c, n)| (c.clone(), *n)).collect::<Vec<_>>()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_names_are_slugs_and_never_collide() {
        let mut names = Names::default();
        assert_eq!(
            names.name("account", "northwind-agency/lakeside"),
            "account/northwind-agency-lakeside.html"
        );
        assert_eq!(
            names.name("account", "northwind-agency-lakeside"),
            "account/northwind-agency-lakeside-2.html"
        );
        assert_eq!(
            names.name("account", "northwind-agency/lakeside"),
            "account/northwind-agency-lakeside.html"
        );
        assert_eq!(names.name("country", "../x"), "country/---x.html");
    }

    #[test]
    fn backticked_text_becomes_code_and_the_rest_is_escaped() {
        assert_eq!(
            ticks("open a PR with a `submitted` <event>").to_string(),
            "open a PR with a <code>submitted</code> &lt;event&gt;"
        );
        assert_eq!(ticks("a `b").to_string(), "a `b");
    }
}
