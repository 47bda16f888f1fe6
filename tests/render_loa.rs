//! `portflow render` LOAs, read back from the PDF: every value printed, fonts, page
//! numbering, paper, escaping of markup in values, the PIN, and ports that are refused.

mod common;
mod render_support;

use std::path::Path;
use std::str::FromStr;

use common::{TempRepo, project_root};
use portflow::Exit;
use render_support::{fonts, page_sizes, pages, request, text};

const TODAY: &str = "2026-11-25";

fn render(repo: &TempRepo, out: &Path, extra: &[&str]) -> portflow::Output {
    let out = out.to_string_lossy().into_owned();
    let mut args = vec!["render", "--today", TODAY, "--out", out.as_str()];
    args.extend_from_slice(extra);
    repo.run(&args)
}

fn digest_of(repo: &TempRepo, port: &str) -> String {
    let out = repo.run(&["digest", port, "--today", TODAY]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    out.stdout
        .split_whitespace()
        .nth(1)
        .expect("a digest")
        .to_owned()
}

#[test]
fn loa_prints_every_value_in_helvetica_under_30_kb() {
    let repo = TempRepo::new();
    let numbers = [
        ("+12065550143", "landline"),
        ("+12065550144", "voip"),
        ("+12065550145", "landline"),
    ];
    repo.write(
        "ports/2026-11-acme/request.toml",
        request(
            "Acme Dental LLC",
            "Maria Lopez",
            "1200 Lakeside Ave",
            &numbers,
        ),
    );
    // The default output folder is target/portflow/render under the repo root.
    let out = repo.run(&["render", "--today", TODAY]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let path = repo
        .path()
        .join("target/portflow/render/2026-11-acme/loa.pdf");
    assert!(
        out.stdout
            .contains("wrote target/portflow/render/2026-11-acme/loa.pdf (1 page, "),
        "{}",
        out.stdout
    );
    let bytes = std::fs::read(&path).expect("loa.pdf");
    assert!(bytes.len() <= 30 * 1024, "{} bytes", bytes.len());
    let text = text(&bytes);
    for expected in [
        "Letter of Authorization",
        "Acme Dental LLC",
        "Maria Lopez, Owner",
        "1200 Lakeside Ave",
        "Seattle, WA 98101",
        "Comcast Business",
        "Example Telecom",
        "1 Example Plaza, Austin, TX 78701",
        "Port 2026-11-acme",
        "Page 1 of 1",
        "+12065550143",
        "+12065550144",
        "+12065550145",
        "voip",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }
    let digest = digest_of(&repo, "2026-11-acme");
    assert!(text.contains(&format!("LOA digest {digest}")), "{text}");
    assert_eq!(fonts(&bytes), ["Helvetica", "Helvetica-Bold"]);
    assert_eq!(page_sizes(&bytes), [(612.0, 792.0)]);
    // No PIN on this request, so no PIN line.
    assert!(!text.contains("Transfer PIN"));
}

#[test]
fn names_outside_win_ansi_embed_a_subset_of_dejavu_under_200_kb() {
    let repo = TempRepo::new();
    let names = [
        ("Łukasz Żółć", "Příliš Žluťoučký", "Ulica Świętokrzyska 12"),
        ("İğdır Şirketi", "Ελένη Παπαδοπούλου", "Дмитрий Иванов 7"),
    ];
    for (i, (name, person, street)) in names.iter().enumerate() {
        let number = format!("+1206555014{i}");
        repo.write(
            &format!("ports/2026-11-intl-{i}/request.toml"),
            request(name, person, street, &[(number.as_str(), "landline")]),
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("DejaVu Sans embedded"),
        "{}",
        out.stdout
    );
    for (i, (name, person, street)) in names.iter().enumerate() {
        let bytes =
            std::fs::read(dir.path().join(format!("2026-11-intl-{i}/loa.pdf"))).expect("loa.pdf");
        assert!(bytes.len() <= 200 * 1024, "{} bytes", bytes.len());
        let text = text(&bytes);
        for expected in [*name, *person, *street, "Example Telecom", "Page 1 of 1"] {
            assert!(
                text.contains(expected),
                "`{expected}` missing from:\n{text}"
            );
        }
        let fonts = fonts(&bytes);
        assert_eq!(fonts.len(), 2, "{fonts:?}");
        assert!(fonts[0].ends_with("+DejaVuSans"), "{fonts:?}");
        assert!(fonts[1].ends_with("+DejaVuSans-Bold"), "{fonts:?}");
    }
}

#[test]
fn a_150_number_loa_numbers_every_page_and_repeats_the_table_header() {
    let repo = TempRepo::new();
    let numbers: Vec<(String, &str)> = (0..100)
        .map(|i| (format!("+1206555{:04}", 100 + i), "landline"))
        .chain((0..50).map(|i| (format!("+1425555{:04}", 100 + i), "voip")))
        .collect();
    let refs: Vec<(&str, &str)> = numbers.iter().map(|(n, t)| (n.as_str(), *t)).collect();
    repo.write(
        "ports/2026-11-big/request.toml",
        request("Big Call Center Inc", "Ada Park", "400 Pine St", &refs),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes = std::fs::read(dir.path().join("2026-11-big/loa.pdf")).expect("loa.pdf");
    let pages = pages(&bytes);
    let total = pages.len();
    assert!(total >= 3, "{total} pages");
    let mut seen = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("Page {} of {total}", i + 1)),
            "page {} lacks its number:\n{page}",
            i + 1
        );
        assert!(page.contains("Port 2026-11-big"), "page {}", i + 1);
        // Table rows read `<index>+1…<type>`.
        let rows: Vec<&str> = page
            .lines()
            .filter(|l| {
                let index = l.split('+').next().unwrap_or_default();
                !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) && l.contains('+')
            })
            .collect();
        if !rows.is_empty() {
            assert_eq!(
                page.lines()
                    .filter(|l| *l == "#Telephone numberType")
                    .count(),
                1,
                "the table header heads page {}",
                i + 1
            );
        }
        seen.extend(rows.iter().map(|l| l.to_string()));
    }
    assert_eq!(seen.len(), 150, "{seen:?}");
    for (index, (number, kind)) in numbers.iter().enumerate() {
        let row = format!("{}{number}{kind}", index + 1);
        assert_eq!(seen.iter().filter(|l| **l == row).count(), 1, "row `{row}`");
    }
    assert!(text(&bytes).contains("Telephone numbers to port (150)"));
}

#[test]
fn gb_ports_use_the_gb_template_on_a4_unless_paper_is_given() {
    let repo = TempRepo::new();
    repo.copy_port("ports/2026-11-thameside-gallery");
    let a4 = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, a4.path(), &[]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes = std::fs::read(a4.path().join("2026-11-thameside-gallery/loa.pdf")).expect("pdf");
    assert_eq!(page_sizes(&bytes), [(595.28, 841.89)]);
    let text = text(&bytes);
    for expected in [
        "Letter of Authority",
        "Thameside Gallery Ltd",
        "14 Kingfisher Wharf Row",
        "EC1A 1BB",
        "+442079460123",
        "+442079460124",
        "Initials",
        "Page 1 of 1",
        "Date (DD/MM/YYYY)",
    ] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }
    let letter = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, letter.path(), &["--paper", "letter"]);
    assert_eq!(out.exit, Exit::Clean, "{}", out.stderr);
    let bytes =
        std::fs::read(letter.path().join("2026-11-thameside-gallery/loa.pdf")).expect("pdf");
    assert_eq!(page_sizes(&bytes), [(612.0, 792.0)]);
}

#[test]
fn markup_and_template_syntax_in_values_print_as_text() {
    let repo = TempRepo::new();
    let hostile = r"Evil | *Corp* @pagebreak {{ doc.pin }} {% if %} \ @title X";
    repo.write(
        "ports/2026-11-evil/request.toml",
        request(
            hostile,
            "Mallory *Bold*",
            "@pagebreak 1 Main St",
            &[("+12065550143", "landline")],
        ),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes = std::fs::read(dir.path().join("2026-11-evil/loa.pdf")).expect("loa.pdf");
    let pages = pages(&bytes);
    assert_eq!(pages.len(), 1, "an escaped `@pagebreak` adds no page");
    let text = text(&bytes);
    for expected in [hostile, "Mallory *Bold*, Owner", "@pagebreak 1 Main St"] {
        assert!(
            text.contains(expected),
            "`{expected}` missing from:\n{text}"
        );
    }
    assert_eq!(text.matches("Letter of Authorization").count(), 1);
}

// A name ending in a period ends the template's sentence without a second one ("Inc..").
#[test]
fn a_name_ending_in_a_period_never_doubles_the_sentence_period() {
    let repo = TempRepo::new();
    repo.write(
        "ports/2026-11-acme/request.toml",
        request(
            "Acme Inc.",
            "Maria Lopez",
            "1200 Lakeside Ave",
            &[("+12065550143", "landline")],
        ),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes = std::fs::read(dir.path().join("2026-11-acme/loa.pdf")).expect("loa.pdf");
    let text = text(&bytes);
    assert!(
        text.contains("I am authorized to sign it for Acme Inc. Signature"),
        "{text}"
    );
    assert!(!text.contains(".."), "{text}");
}

#[test]
fn a_port_with_errors_is_not_rendered_and_the_findings_say_why() {
    let repo = TempRepo::new();
    let good = request(
        "Acme",
        "Maria Lopez",
        "1 Main St",
        &[("+12065550143", "landline")],
    );
    repo.write("ports/2026-11-good/request.toml", &good);
    repo.write(
        "ports/2026-11-bad/request.toml",
        good.replace("name = \"Acme\"\n", "")
            .replace("+12065550143", "+12065550144"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Findings, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.starts_with(
            "`2026-11-bad` not rendered: its files have 1 error (see `portflow check ports/2026-11-bad`)\n  loa::missing-field ports/2026-11-bad/request.toml:"
        ),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("2026-11-bad").exists());
    assert!(dir.path().join("2026-11-good/loa.pdf").is_file());
    assert!(
        out.stdout.ends_with("; 1 port not rendered\n"),
        "{}",
        out.stdout
    );

    // Asking for a port that does not exist is a usage error.
    let out = render(&repo, dir.path(), &["2026-11-nope"]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(
        out.stderr.contains("no port `2026-11-nope`"),
        "{}",
        out.stderr
    );
}

#[test]
fn template_errors_name_the_repo_template_and_line() {
    let repo = TempRepo::new();
    repo.write(
        "ports/2026-11-acme/request.toml",
        request(
            "Acme",
            "Maria Lopez",
            "1 Main St",
            &[("+12065550143", "landline")],
        ),
    );
    repo.write(
        "templates/loa/default.j2",
        "@title LOA\n\n@field Name | {{ end_user.nmae }}\n",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Failure, "{}", out.stdout);
    assert!(
        out.stderr
            .starts_with("error: `2026-11-acme`: templates/loa/default.j2 line 3: undefined value"),
        "{}",
        out.stderr
    );

    // Markup the layout cannot read is located in the template that produced it.
    repo.write("templates/loa/default.j2", "@title LOA\n@tabel A | B\n");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(
        out.stderr.contains(
            "templates/loa/default.j2: line 2 of the rendered markup: unknown directive `@tabel`"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn right_to_left_text_is_refused_rather_than_printed_wrong() {
    let repo = TempRepo::new();
    repo.write(
        "ports/2026-11-rtl/request.toml",
        request(
            "שלום בע״מ",
            "Dana Levi",
            "1 Main St",
            &[("+12065550143", "landline")],
        ),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(
        out.stderr.contains("right-to-left or Indic text"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("2026-11-rtl/loa.pdf").exists());
}

/// A mobile request whose PIN is encrypted to the demo key of the bundled porting.toml.
fn mobile_repo(pin: &str) -> TempRepo {
    let recipient = age::x25519::Recipient::from_str(
        "age1z5tqqflgnp4slj8xvgsgwm5arw3nrd0ehydphpjkc2snf2tpagls6rl4ch",
    )
    .expect("recipient");
    let armored = age::encrypt_and_armor(&recipient, pin.as_bytes()).expect("encrypt");
    let repo = TempRepo::new();
    let text = request("Pine Co", "Dale Whitcomb", "1 Main St", &[("+13035550170", "mobile")])
        .replace(
            "billing_number = \"+13035550170\"\n",
            &format!(
                "billing_number = \"+13035550170\"\naccount_number = \"672014853-00001\"\npin = \"\"\"{}\"\"\"\npin_obtained_on = 2026-11-23\n",
                armored.trim()
            ),
        );
    repo.write("ports/2026-11-pine/request.toml", text);
    repo
}

#[test]
fn the_pin_never_appears_without_an_identity() {
    let pin = "739146";
    let repo = mobile_repo(pin);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes = std::fs::read(dir.path().join("2026-11-pine/loa.pdf")).expect("loa.pdf");
    let text = text(&bytes);
    assert!(text.contains("Transfer PIN"), "{text}");
    assert!(text.contains("•••••• (withheld from this copy"), "{text}");
    assert!(!text.contains(pin));
    assert!(!bytes.windows(pin.len()).any(|w| w == pin.as_bytes()));
    assert!(!out.stdout.contains(pin) && !out.stderr.contains(pin));
}

#[test]
fn the_carrier_copy_prints_the_pin_only_outside_the_repo() {
    let pin = "739146";
    let repo = mobile_repo(pin);
    let identity = project_root().join("keys/demo-identity.txt");
    let identity = identity.to_string_lossy().into_owned();

    // Inside the repo (the default output folder, or an explicit one) is refused.
    let out = repo.run(&["render", "--today", TODAY, "--identity", &identity]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(
        out.stderr.contains("must not be written inside the repo"),
        "{}",
        out.stderr
    );
    let out = repo.run(&[
        "render",
        "--today",
        TODAY,
        "--identity",
        &identity,
        "--out",
        "x/../copies",
    ]);
    assert_eq!(out.exit, Exit::Failure);
    assert!(!repo.path().join("copies").exists());

    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &["--identity", &identity]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes =
        std::fs::read(dir.path().join("2026-11-pine/loa-carrier-copy.pdf")).expect("carrier copy");
    let text = text(&bytes);
    assert!(
        text.contains(&format!("Transfer PIN{pin}\n"))
            || text.contains(&format!("Transfer PIN{pin} ")),
        "{text}"
    );
    assert!(!text.contains("withheld"));
    assert!(!dir.path().join("2026-11-pine/loa.pdf").exists());
    assert!(!out.stdout.contains(pin) && !out.stderr.contains(pin));
}

#[test]
fn a_country_template_can_extend_the_default_one() {
    let repo = TempRepo::new();
    repo.write(
        "ports/2026-11-acme/request.toml",
        request(
            "Acme",
            "Maria Lopez",
            "1 Main St",
            &[("+12065550143", "landline")],
        ),
    );
    let default = std::fs::read_to_string(project_root().join("templates/loa/default.j2"))
        .expect("default.j2");
    repo.write("templates/loa/default.j2", default);
    repo.write(
        "templates/loa/US.j2",
        "{% extends \"default.j2\" %}\n{% block title %}\n@title Carta de autorización\n{% endblock %}\n",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes = std::fs::read(dir.path().join("2026-11-acme/loa.pdf")).expect("loa.pdf");
    let text = text(&bytes);
    assert!(
        text.starts_with("Carta de autorización Authorization"),
        "{text}"
    );
    assert!(text.contains("+12065550143") && text.contains("Signature of Maria Lopez"));
}

#[test]
fn secret_country_values_are_masked_like_the_pin_and_shown_on_the_carrier_copy() {
    let recipient = age::x25519::Recipient::from_str(
        "age1z5tqqflgnp4slj8xvgsgwm5arw3nrd0ehydphpjkc2snf2tpagls6rl4ch",
    )
    .expect("recipient");
    let seal = |plain: &str| {
        age::encrypt_and_armor(&recipient, plain.as_bytes())
            .expect("encrypt")
            .trim()
            .to_owned()
    };
    let repo = TempRepo::new();
    // A secret field requirement for US mobile ports, like GB's PAC code.
    let policy = std::fs::read_to_string(repo.path().join("porting.toml")).expect("policy");
    repo.write(
        "porting.toml",
        format!(
            "{policy}\n[[countries.US.requirements]]\nkey = \"port_out_code\"\ntype = \"field\"\napplies_to = [\"mobile\"]\nsecret = true\ndescription = \"Port-out code from the losing network\"\n"
        ),
    );
    let toml = request("Pine Co", "Dale Whitcomb", "1 Main St", &[("+13035550170", "mobile")])
        .replace(
            "billing_number = \"+13035550170\"\n",
            &format!(
                "billing_number = \"+13035550170\"\naccount_number = \"672014853-00001\"\npin = \"\"\"{}\"\"\"\npin_obtained_on = 2026-11-23\n",
                seal("4821")
            ),
        )
        .replace(
            "\n[[numbers]]",
            &format!("\n[requirements]\nport_out_code = \"\"\"{}\"\"\"\n\n[[numbers]]", seal("ABC123456")),
        );
    repo.write("ports/2026-11-pine/request.toml", toml);
    let masked = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, masked.path(), &[]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes = std::fs::read(masked.path().join("2026-11-pine/loa.pdf")).expect("pdf");
    let shown = text(&bytes);
    assert!(shown.contains("PORT OUT CODE•••••• (withheld"), "{shown}");
    assert!(
        !shown.contains("ABC123456") && !shown.contains("4821"),
        "{shown}"
    );

    let identity = project_root().join("keys/demo-identity.txt");
    let copy = tempfile::tempdir().expect("tempdir");
    let out = render(
        &repo,
        copy.path(),
        &["--identity", identity.to_str().expect("utf-8 path")],
    );
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes = std::fs::read(copy.path().join("2026-11-pine/loa-carrier-copy.pdf")).expect("pdf");
    let text = text(&bytes);
    assert!(text.contains("PORT OUT CODEABC123456"), "{text}");
    assert!(text.contains("Transfer PIN4821"), "{text}");
}

// Regression: a long name and title on the signature line used to be cut after its first
// wrapped line; every word must be on the page.
#[test]
fn a_long_signature_label_wraps_instead_of_being_cut() {
    let repo = TempRepo::new();
    let title = "Vice President of Finance and Administration";
    let text = request(
        "Acme Dental LLC",
        "Alexandra Smith",
        "1 Main St",
        &[("+12065550143", "landline")],
    )
    .replace(
        "authorized_title = \"Owner\"",
        &format!("authorized_title = \"{title}\""),
    );
    assert!(text.contains(title), "the fixture sets the title");
    repo.write("ports/2026-11-long-title/request.toml", text);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = render(&repo, dir.path(), &[]);
    assert_eq!(out.exit, Exit::Clean, "{}{}", out.stdout, out.stderr);
    let bytes = std::fs::read(dir.path().join("2026-11-long-title/loa.pdf")).expect("loa.pdf");
    let words: String = render_support::text(&bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // The label wraps onto a second line under the signature rule (text order in the PDF
    // puts the date column's label between the two lines).
    let signature = words
        .split("Signature of Alexandra Smith, ")
        .nth(1)
        .expect("the signature label");
    assert!(
        signature.starts_with("Vice President of Finance"),
        "{words}"
    );
    assert!(signature.contains("and Administration"), "{words}");
}

// The default folder replaces portflow's own earlier output, never a file the user edited.
#[test]
fn rendering_into_the_default_folder_refuses_to_replace_an_edited_file_without_force() {
    let repo = TempRepo::new();
    let numbers = [("+12065550143", "landline")];
    let request_path = "ports/2026-11-acme/request.toml";
    repo.write(
        request_path,
        request(
            "Acme Dental LLC",
            "Maria Lopez",
            "1200 Lakeside Ave",
            &numbers,
        ),
    );
    let render = |extra: &[&str]| {
        let mut args = vec!["render", "--today", TODAY];
        args.extend_from_slice(extra);
        repo.run(&args)
    };
    let first = render(&[]);
    assert_eq!(first.exit, Exit::Clean, "{}{}", first.stdout, first.stderr);
    let pdf = repo
        .path()
        .join("target/portflow/render/2026-11-acme/loa.pdf");

    // The request changes: the new LOA replaces portflow's own earlier one.
    repo.write(
        request_path,
        request(
            "Acme Dental PLLC",
            "Maria Lopez",
            "1200 Lakeside Ave",
            &numbers,
        ),
    );
    let second = render(&[]);
    assert_eq!(
        second.exit,
        Exit::Clean,
        "{}{}",
        second.stdout,
        second.stderr
    );
    assert!(
        second
            .stdout
            .contains("replaced target/portflow/render/2026-11-acme/loa.pdf"),
        "{}",
        second.stdout
    );
    assert!(text(&std::fs::read(&pdf).expect("pdf")).contains("Acme Dental PLLC"));

    // The user edits the rendered file: the next render leaves it and says why.
    std::fs::write(&pdf, b"my annotated copy").expect("edit");
    let refused = render(&[]);
    assert_eq!(refused.exit, Exit::Failure, "{}", refused.stdout);
    assert!(
        refused
            .stderr
            .contains("target/portflow/render/2026-11-acme/loa.pdf")
            && refused
                .stderr
                .contains("was changed since portflow rendered it")
            && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read(&pdf).expect("pdf"), b"my annotated copy");

    // With --force it is replaced, and later renders are quiet again.
    let forced = render(&["--force"]);
    assert_eq!(
        forced.exit,
        Exit::Clean,
        "{}{}",
        forced.stdout,
        forced.stderr
    );
    assert!(std::fs::read(&pdf).expect("pdf").starts_with(b"%PDF"));
    let again = render(&[]);
    assert_eq!(again.exit, Exit::Clean, "{}{}", again.stdout, again.stderr);
    assert!(
        again
            .stdout
            .contains("unchanged target/portflow/render/2026-11-acme/loa.pdf")
    );
}
