//! The console in a real headless Chromium, over real HTTP, in front of the real stack (a
//! nats-server, the services and their processes, the read models, the gateway and the console
//! served on a free port): an organiser signs in, uploads a programme's CSV with one bad row, sees
//! the row's error in the preview with nothing stored, fixes the row in the form and imports;
//! the venue signs in and confirms a capacity; the organiser's grid then shows the session
//! confirmed and open; the charts page draws its charts. At a phone's size (390 × 844), the
//! venue checks a person in at the door. An organiser cancels a session in which two partners
//! registered people: the confirmation page shows the counts and both partners with nothing
//! stored, then the session's page and the grid show it cancelled.
//!
//! Every run writes screenshots (PNG) of the grid, the charts, the phone's attendance list and
//! the cancellation's confirmation page under the cargo target directory
//! (`console-screenshots/`, printed by the tests).
//!
//! Needs Chromium and chromedriver (`scripts/ensure-browser`); without them the test fails.

use std::path::{Path, PathBuf};

use fantoccini::Locator;
use gateway::Role;
use gateway::keys::Editions;
use proto::taxonomy::Audience;
use tests::browser::{Browser, BrowserBinaries};
use tests::desk::Desk;

/// The programme's header and rows, as in the console's in-process test: the second row ends
/// before it starts.
const HEADER: &str = "date;début;fin;commune;lieu;type;titre;thèmes;publics;places\n";
const VISIT: &str = "13/04/2027;9h00;12h00;Gap;EHPAD Les Marronniers;Portes ouvertes;Visite de l'EHPAD;Grand âge et autonomie;Tout public|Jeunes (16-25 ans);30\n";
const BAD: &str = "14/04/2027;14h00;13h00;Gap;EHPAD Les Marronniers;Atelier;Atelier soin;Soin;Demandeurs d'emploi;12\n";
const FIXED: &str = "14/04/2027;14h00;16h00;Gap;EHPAD Les Marronniers;Atelier;Atelier soin;Soin;Demandeurs d'emploi;12\n";

/// Where the screenshots go: under the cargo target directory, kept after the run.
fn screenshots() -> anyhow::Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Saves a screenshot of the whole current page (at least 1000 px wide) in `dir` as `name`,
/// once the page passes axe-core's WCAG 2.1 AA rules: every page a test looks at is checked.
async fn save_page(browser: &Browser, dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    browser.assert_accessible(name).await?;
    save_png(dir, name, &browser.screenshot_page().await?, 1000)
}

/// Writes a PNG after checking it is one, of at least `min_width` pixels and more than a blank
/// page's bytes; its path.
fn save_png(dir: &Path, name: &str, png: &[u8], min_width: u32) -> anyhow::Result<PathBuf> {
    anyhow::ensure!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: not a PNG");
    anyhow::ensure!(png.len() > 10_000, "{name}: {} bytes only", png.len());
    let width = png
        .get(16..20)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| anyhow::anyhow!("{name}: no IHDR"))?;
    anyhow::ensure!(width >= min_width, "{name}: {width} px wide");
    let path = dir.join(name);
    std::fs::write(&path, png)?;
    let written = std::fs::metadata(&path)?.len();
    anyhow::ensure!(written == png.len() as u64, "{name}: written whole");
    Ok(path)
}

/// Types a key into the sign-in form and sends it; waits for a signed-in page.
async fn sign_in(browser: &Browser, base: &str, key: &str) -> anyhow::Result<()> {
    browser.client.goto(&format!("{base}/console")).await?;
    let field = browser
        .wait_for("form[action='/console/login'] input#key")
        .await?;
    browser.assert_accessible("the sign-in page").await?;
    field.send_keys(key).await?;
    browser
        .follow("form[action='/console/login'] button[type=submit]")
        .await?;
    browser.wait_for("form.logout").await?;
    Ok(())
}

/// Signs out with the page's own form; waits for the sign-in page.
async fn sign_out(browser: &Browser) -> anyhow::Result<()> {
    browser.follow("form.logout button[type=submit]").await?;
    browser.wait_for("input#key").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_programme_confirmed_by_its_venue_shows_open_on_the_grid_in_chromium()
-> anyhow::Result<()> {
    let binaries = BrowserBinaries::locate()?;
    let desk = Desk::start().await?;
    let venue = desk.week.register_venue(40).await?;
    let edition = desk.week.create_edition().await?;
    let organiser_key = desk.key(Role::Organiser(Editions::One(edition))).await?;
    let venue_key = desk.key(Role::Venue(venue)).await?;
    let address = desk.address()?;
    let base = format!("http://127.0.0.1:{}", address.port());
    desk.wait_for_catalogue(edition, venue).await?;
    let shots = screenshots()?;
    println!("screenshots in {}", shots.display());
    let browser = Browser::open(&binaries, 1280, 900).await?;

    // The organiser signs in: the session cookie is kept on http://127.0.0.1 (a secure
    // context) with its Secure, HttpOnly and SameSite=Strict attributes.
    sign_in(&browser, &base, &organiser_key).await?;
    let cookie = browser.client.get_named_cookie("semaine_console").await?;
    assert_eq!(cookie.secure(), Some(true), "{cookie:?}");
    assert_eq!(cookie.http_only(), Some(true), "{cookie:?}");
    assert_eq!(
        format!("{:?}", cookie.same_site()),
        "Some(Strict)",
        "{cookie:?}"
    );
    assert!(
        !cookie.value().contains(&organiser_key[8..24]),
        "no key in it"
    );
    browser.assert_shows("main", "Vos éditions").await?;

    // From the edition's grid to the import form.
    browser
        .follow(&format!("a[href='/console/editions/{edition}']"))
        .await?;
    browser
        .follow(&format!("a[href='/console/editions/{edition}/import']"))
        .await?;

    // A file with a bad row: the preview names the row and its error, and stores nothing.
    let files = tempfile::tempdir()?;
    let bad_file = files.path().join("programme.csv");
    std::fs::write(&bad_file, format!("{HEADER}{VISIT}{BAD}"))?;
    let before = desk.week.messages_in_log().await;
    browser
        .wait_for("input#file")
        .await?
        .send_keys(&bad_file.display().to_string())
        .await?;
    browser
        .follow("form[enctype='multipart/form-data'] button[type=submit]")
        .await?;
    browser
        .assert_shows("#import-errors", "Rien n'a été enregistré")
        .await?;
    browser
        .assert_accessible("the import's preview, with its errors")
        .await?;
    let row = browser.text_of("tr[data-line='3']").await?;
    assert!(row.contains("La fin doit être après le début"), "{row}");
    let good_row = browser.text_of("tr[data-line='2']").await?;
    assert!(!good_row.contains("La fin"), "{good_row}");
    assert!(
        browser
            .client
            .find_all(Locator::Css("form[action$='/import/commit']"))
            .await?
            .is_empty(),
        "no import offered"
    );
    assert_eq!(desk.week.messages_in_log().await, before, "nothing stored");

    // The organiser fixes the row in the form (the file's text is there), checks, imports.
    let text = browser.wait_for("textarea#text").await?;
    let shown = text.prop("value").await?.unwrap_or_default();
    assert!(shown.contains("14h00;13h00"), "the file's text: {shown}");
    text.clear().await?;
    text.send_keys(&format!("{HEADER}{VISIT}{FIXED}")).await?;
    browser
        .follow("form[enctype='multipart/form-data'] button[type=submit]")
        .await?;
    browser
        .assert_shows("div.notice", "2 séance(s) dans 2 événement(s), sans erreur")
        .await?;
    assert_eq!(desk.week.messages_in_log().await, before, "still nothing");
    browser
        .follow("form[action$='/import/commit'] button[type=submit]")
        .await?;
    browser
        .assert_shows("div.notice", "2 séance(s) importée(s).")
        .await?;
    let mut visit = None;
    for card in browser
        .client
        .find_all(Locator::Css("table.grid [data-session]"))
        .await?
    {
        if card.text().await?.contains("Visite de l'EHPAD") {
            visit = card.attr("data-session").await?;
        }
    }
    let session = visit.ok_or_else(|| anyhow::anyhow!("the visit is on the grid"))?;
    let card = format!("table.grid [data-session='{session}']");
    browser.assert_shows(&card, "capacité à confirmer").await?;
    sign_out(&browser).await?;
    assert!(
        browser
            .client
            .get_named_cookie("semaine_console")
            .await
            .is_err(),
        "the cookie is gone"
    );

    // The venue signs in, lands on its requests and confirms 25 seats for the visit.
    sign_in(&browser, &base, &venue_key).await?;
    let confirm_form = format!("section.card[data-session='{session}'] form[action$='/confirm']");
    let capacity = browser
        .reload_until(&format!("{confirm_form} input[name=capacity]"))
        .await?;
    browser
        .assert_accessible("the venue's requests to answer")
        .await?;
    capacity.clear().await?;
    capacity.send_keys("25").await?;
    browser
        .follow(&format!("{confirm_form} button[type=submit]"))
        .await?;
    browser
        .assert_shows("div.notice", "Accueil confirmé.")
        .await?;
    browser
        .assert_shows(
            &format!("section.card[data-session='{session}']"),
            "capacité 25",
        )
        .await?;
    sign_out(&browser).await?;

    // The organiser's grid shows the visit confirmed and open, with its 25 seats.
    sign_in(&browser, &base, &organiser_key).await?;
    browser
        .client
        .goto(&format!("{base}/console/editions/{edition}"))
        .await?;
    browser
        .reload_until(&format!("{card} [data-open='true']"))
        .await?;
    let cell = browser.text_of(&card).await?;
    for expected in [
        "Visite de l'EHPAD",
        "Confirmé",
        "Inscriptions ouvertes",
        "0 / 25 places",
    ] {
        assert!(cell.contains(expected), "{expected}: {cell}");
    }
    let status = browser
        .wait_for(&format!("{card} [data-status]"))
        .await?
        .attr("data-status")
        .await?;
    assert_eq!(status.as_deref(), Some("confirmed"));
    let grid = save_page(&browser, &shots, "grid.png").await?;

    // A person registers through a partner; the charts page draws it: seven SVG charts, the
    // audiences' one with a full bar for the young people.
    let session_id = proto::values::SessionId(uuid::Uuid::parse_str(&session)?);
    desk.week
        .register(
            "mission-locale-gap",
            "ml-0042",
            session_id,
            Audience::YoungPeople,
            "ml-0042-key",
        )
        .await?;
    browser
        .follow(&format!("a[href='/console/editions/{edition}/statistics']"))
        .await?;
    let bar = browser.reload_until("figure#publics svg rect").await?;
    let (_, _, bar_width, bar_height) = bar.rectangle().await?;
    assert!(
        bar_width > 400.0 && bar_height > 10.0,
        "the largest bar is drawn full: {bar_width} × {bar_height}"
    );
    browser
        .assert_shows("figure#publics", "Jeunes (16-25 ans)")
        .await?;
    let charts = browser.client.find_all(Locator::Css("figure svg")).await?;
    assert_eq!(charts.len(), 7, "seven charts");
    let charts = save_page(&browser, &shots, "charts.png").await?;
    sign_out(&browser).await?;

    // At a phone's size, the venue checks the person in at the door.
    browser.set_viewport(390, 844).await?;
    sign_in(&browser, &base, &venue_key).await?;
    browser
        .follow(&format!("a[href='/console/venue/sessions/{session}']"))
        .await?;
    let button = browser
        .reload_until("button[aria-label='Pointer présent : Prénom-ml-0042 N.']")
        .await?;
    let (width, _) = browser.viewport().await?;
    assert_eq!(width, 390, "a phone's viewport");
    let overflow = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await?
        .as_f64()
        .unwrap_or(f64::MAX);
    assert!(
        overflow <= 0.0,
        "nothing wider than the phone: {overflow} px"
    );
    assert!(button.is_displayed().await?, "the button is visible");
    let (x, _, button_width, button_height) = button.rectangle().await?;
    assert!(
        x >= 0.0 && x + button_width <= f64::from(width),
        "the button fits: x {x}, width {button_width}"
    );
    assert!(button_height >= 44.0, "a finger's size: {button_height}");
    browser
        .assert_accessible("the attendance list on a phone")
        .await?;
    let phone = save_png(
        &shots,
        "attendance-phone.png",
        &browser.client.screenshot().await?,
        390,
    )?;
    browser
        .follow("button[aria-label='Pointer présent : Prénom-ml-0042 N.']")
        .await?;
    let badge = browser.text_of("table.attendance .badge.confirmed").await?;
    assert_eq!(badge, "1 présent(s)");
    browser
        .assert_shows("main", "1 présent(s) sur 1 place(s)")
        .await?;

    browser.close().await?;
    for shot in [grid, charts, phone] {
        println!("screenshot: {}", shot.display());
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_session_shows_its_counts_and_partners_first_in_chromium() -> anyhow::Result<()>
{
    let binaries = BrowserBinaries::locate()?;
    let desk = Desk::start().await?;
    // Two seats: the mission locale's two people confirmed, the collège's one waiting.
    let (edition, session) = desk.session_with_two_partners(2).await?;
    let organiser_key = desk.key(Role::Organiser(Editions::One(edition))).await?;
    let address = desk.address()?;
    let base = format!("http://127.0.0.1:{}", address.port());
    let shots = screenshots()?;
    let browser = Browser::open(&binaries, 1280, 900).await?;
    sign_in(&browser, &base, &organiser_key).await?;

    // The session's page, once the partners' view has read the three registrations.
    let page = format!("{base}/console/editions/{edition}/sessions/{session}");
    browser.client.goto(&page).await?;
    browser
        .reload_until("tr[data-partner='college-gap']")
        .await?;
    browser
        .reload_until("tr[data-partner='mission-locale-gap']")
        .await?;
    let before = desk.week.messages_in_log().await;
    browser
        .follow(&format!(
            "a[href='/console/editions/{edition}/sessions/{session}/cancel']"
        ))
        .await?;

    // The confirmation page: the counts and both partners, and nothing stored.
    browser
        .assert_shows(
            "li[data-count='confirmed']",
            "2 inscription(s) confirmée(s), 2 personne(s)",
        )
        .await?;
    let waiting = browser.text_of("li[data-count='waiting']").await?;
    assert!(
        waiting.starts_with("1 inscription(s) en liste d'attente"),
        "{waiting}"
    );
    browser.wait_for("ul[data-partners='2']").await?;
    let mission_locale = browser
        .text_of("li[data-partner='mission-locale-gap']")
        .await?;
    assert!(
        mission_locale.contains("2 confirmée(s) (2 place(s)), 0 en attente"),
        "{mission_locale}"
    );
    let college = browser.text_of("li[data-partner='college-gap']").await?;
    assert!(
        college.contains("0 confirmée(s) (0 place(s)), 1 en attente"),
        "{college}"
    );
    let confirmation = save_page(&browser, &shots, "cancel-confirmation.png").await?;
    assert_eq!(
        desk.week.messages_in_log().await,
        before,
        "nothing stored before the button"
    );

    // Confirmed with a reason: the session's page says it is cancelled, then its registrations.
    browser
        .wait_for("input#reason")
        .await?
        .send_keys("Travaux dans la salle")
        .await?;
    browser.follow("button.danger[type=submit]").await?;
    browser.assert_shows("div.notice", "Séance annulée").await?;
    browser.wait_for("[data-status='cancelled']").await?;
    assert!(
        desk.week.messages_in_log().await > before,
        "the cancellation is stored"
    );
    browser
        .reload_until("tr[data-partner='mission-locale-gap'] td[data-cancelled='2']")
        .await?;
    browser
        .reload_until("tr[data-partner='college-gap'] td[data-cancelled='1']")
        .await?;

    // The grid shows it cancelled.
    browser
        .client
        .goto(&format!("{base}/console/editions/{edition}"))
        .await?;
    let card = browser
        .reload_until(&format!(
            "table.grid .session.cancelled[data-session='{session}']"
        ))
        .await?
        .text()
        .await?;
    assert!(card.contains("Annulée"), "{card}");

    browser.close().await?;
    println!("screenshot: {}", confirmation.display());
    Ok(())
}

/// The accessibility check is not vacuous: a page that breaks a rule fails it, naming the rule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_breaks_an_accessibility_rule_fails_the_check() -> anyhow::Result<()> {
    let binaries = BrowserBinaries::locate()?;
    let browser = Browser::open(&binaries, 800, 600).await?;
    browser
        .client
        .goto("data:text/html,<html lang=fr><head><title>t</title></head><body><main><img src=x></main></body></html>")
        .await?;
    let refused = browser
        .assert_accessible("a page with an image without text")
        .await;
    let message = format!(
        "{:#}",
        refused
            .err()
            .ok_or_else(|| anyhow::anyhow!("the check passed"))?
    );
    assert!(message.contains("image-alt"), "{message}");
    browser.close().await?;
    Ok(())
}
