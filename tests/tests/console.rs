//! The console in front of a running week, driven as a browser would (a cookie jar, forms with
//! their hidden fields), in the process: signing in with an API key sets a session cookie that
//! is `HttpOnly`, `Secure`, `SameSite=Strict` and holds no key; every form is refused without
//! its CSRF token; an organiser's grid shows a session requested, then confirmed and open once
//! the venue confirmed it on its page; the venue checks a registered person in at the door; a
//! key sees only what its scope covers, and bad input gives a page, never a 500; the statistics
//! are SVG charts with CSV downloads; a programme's CSV with a bad row is previewed with the
//! row's error and nothing stored, then, fixed, imported once, and a retry duplicates nothing.

use gateway::Role;
use gateway::keys::Editions;
use gateway::stack::axum::body::Body;
use gateway::stack::axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gateway::stack::tower::ServiceExt;
use proto::taxonomy::Audience;
use proto::values::{EditionId, SessionId, VenueId};
use tests::desk::Desk;
use tests::week::tuesday;

/// A browser's view of the console: a cookie jar of one cookie.
struct Browser<'a> {
    desk: &'a Desk,
    cookie: Option<String>,
}

/// What came back.
#[derive(Debug)]
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of the first hidden field named `name`.
    fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.text.find(&marker)? + marker.len();
        let end = self.text[start..].find('"')?;
        Some(self.text[start..start + end].to_owned())
    }
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl<'a> Browser<'a> {
    fn new(desk: &'a Desk) -> Self {
        Self { desk, cookie: None }
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> anyhow::Result<Page> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "console.test");
        if let Some(cookie) = &self.cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        let request = match form {
            Some(fields) => {
                let body = fields
                    .iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                builder
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))?
            }
            None => builder.body(Body::empty())?,
        };
        let response = self.desk.router.clone().oneshot(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        if let Some(set) = headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
        {
            let pair = set.split(';').next().unwrap_or("").to_owned();
            self.cookie = if pair.ends_with('=') {
                None
            } else {
                Some(pair)
            };
        }
        let bytes = gateway::stack::axum::body::to_bytes(response.into_body(), 1 << 22).await?;
        Ok(Page {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<Page> {
        self.send(Method::GET, path, None).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> anyhow::Result<Page> {
        self.send(Method::POST, path, Some(form)).await
    }

    async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<Page> {
        let boundary = "console-test-boundary";
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::HOST, "console.test")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            );
        if let Some(cookie) = &self.cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        let response = self
            .desk
            .router
            .clone()
            .oneshot(builder.body(Body::from(body))?)
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = gateway::stack::axum::body::to_bytes(response.into_body(), 1 << 22).await?;
        Ok(Page {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    async fn sign_in(&mut self, secret: &str) -> anyhow::Result<Page> {
        self.post("/console/login", &[("key", secret)]).await
    }
}

/// Asks `look` every 25 ms, for at most ten seconds, until it answers without an error.
async fn until<T, F, Fut>(what: &str, look: F) -> anyhow::Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut last = None;
    for _ in 0..400 {
        match look().await {
            Ok(found) => return Ok(found),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    anyhow::bail!("gave up waiting for {what}: {last:?}")
}

/// An edition with one open door in Gap, whose venue has been asked to host it.
async fn requested_session(desk: &Desk) -> anyhow::Result<(EditionId, VenueId, SessionId)> {
    let week = &desk.week;
    let venue = week.register_venue(40).await?;
    let edition = week.create_edition().await?;
    let event = week.add_open_door(edition).await?;
    let session = week
        .schedule_session(event, venue, tuesday(9, 0), tuesday(12, 0), 30)
        .await?;
    week.wait_for_request(venue, session).await?;
    Ok((edition, venue, session))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_sets_a_strict_cookie_and_signing_out_ends_the_session() -> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let organiser = desk.key(Role::Organiser(Editions::All)).await?;
    let partner = desk
        .key(Role::parse("partner", "mission-locale-gap")?)
        .await?;
    let mut browser = Browser::new(&desk);

    let home = browser.get("/console").await?;
    assert_eq!(home.status, StatusCode::SEE_OTHER, "{home:?}");
    assert_eq!(home.location(), "/console/login");
    let login = browser.get("/console/login").await?;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text.contains("<html lang=\"fr\">"), "{}", login.text);
    assert!(
        login.text.contains("<label for=\"key\">"),
        "the key has a label"
    );

    for (secret, why) in [
        ("semaine_nope", "unknown key"),
        ("", "empty key"),
        (partner.as_str(), "a partner's key"),
    ] {
        let refused = browser.sign_in(secret).await?;
        assert_eq!(
            refused.status,
            StatusCode::UNAUTHORIZED,
            "{why}: {refused:?}"
        );
        assert!(refused.text.contains("role=\"alert\""), "{why}");
        assert!(browser.cookie.is_none(), "{why}: no session");
    }

    let signed = browser.sign_in(&organiser).await?;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{signed:?}");
    let set_cookie = signed
        .headers
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
        assert!(set_cookie.contains(part), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains(&organiser),
        "the key is not in the cookie"
    );
    assert!(
        !set_cookie.contains(&organiser[8..24]),
        "nor any part of it"
    );

    let home = browser.get("/console").await?;
    assert_eq!(home.status, StatusCode::OK, "{home:?}");
    assert!(home.text.contains("Vos éditions"));
    let csrf = home
        .field("csrf")
        .ok_or_else(|| anyhow::anyhow!("a CSRF token"))?;

    // Signing out needs the token.
    let forged = browser
        .post("/console/logout", &[("csrf", "forged")])
        .await?;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
    let missing = browser.post("/console/logout", &[]).await?;
    assert_eq!(missing.status, StatusCode::FORBIDDEN, "{missing:?}");
    assert_eq!(browser.get("/console").await?.status, StatusCode::OK);

    let out = browser.post("/console/logout", &[("csrf", &csrf)]).await?;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{out:?}");
    assert!(browser.cookie.is_none(), "the cookie is forgotten");
    // Even a stolen cookie is dead once signed out.
    let cookie = set_cookie.split(';').next().unwrap_or("").to_owned();
    browser.cookie = Some(cookie);
    let after = browser.get("/console").await?;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert_eq!(after.location(), "/console/login");

    // A form posted from another site is refused before anything.
    let request = Request::builder()
        .method(Method::POST)
        .uri("/console/login")
        .header(header::HOST, "console.test")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("key={}", encode(&organiser))))?;
    let response = desk.router.clone().oneshot(request).await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_confirms_on_its_page_and_the_grid_shows_the_session_open() -> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let (edition, venue, session) = requested_session(&desk).await?;
    let organiser_key = desk.key(Role::Organiser(Editions::One(edition))).await?;
    let venue_key = desk.key(Role::Venue(venue)).await?;

    let mut organiser = Browser::new(&desk);
    assert_eq!(
        organiser.sign_in(&organiser_key).await?.status,
        StatusCode::SEE_OTHER
    );
    let grid_path = format!("/console/editions/{edition}");
    let grid = until("the grid shows the session requested", || {
        let path = grid_path.clone();
        let mut browser = Browser {
            desk: &desk,
            cookie: organiser.cookie.clone(),
        };
        async move {
            let page = browser.get(&path).await?;
            anyhow::ensure!(page.status == StatusCode::OK, "{page:?}");
            anyhow::ensure!(page.text.contains(&session.to_string()), "not yet");
            Ok(page)
        }
    })
    .await?;
    assert!(
        grid.text.contains("data-status=\"requested\""),
        "{}",
        grid.text
    );
    assert!(grid.text.contains("capacité à confirmer"));
    assert!(grid.text.contains("Gap"), "the town is a row");
    assert!(grid.text.contains("mardi 13 avril"), "the day is a column");

    let mut door = Browser::new(&desk);
    assert_eq!(
        door.sign_in(&venue_key).await?.status,
        StatusCode::SEE_OTHER
    );
    let home = door.get("/console").await?;
    assert_eq!(
        home.location(),
        "/console/venue",
        "a venue lands on its requests"
    );
    let requests = until("the venue sees the request", || {
        let mut browser = Browser {
            desk: &desk,
            cookie: door.cookie.clone(),
        };
        async move {
            let page = browser.get("/console/venue").await?;
            anyhow::ensure!(
                page.text
                    .contains(&format!("/console/venue/hosting/{session}/confirm")),
                "not yet: {}",
                page.text
            );
            Ok(page)
        }
    })
    .await?;
    let csrf = requests
        .field("csrf")
        .ok_or_else(|| anyhow::anyhow!("csrf"))?;
    let nonce = requests
        .field("nonce")
        .ok_or_else(|| anyhow::anyhow!("nonce"))?;
    let confirm = format!("/console/venue/hosting/{session}/confirm");

    // Without the right token nothing is recorded.
    let before = desk.week.messages_in_log().await;
    let forged = door
        .post(
            &confirm,
            &[
                ("csrf", "forged"),
                ("nonce", &nonce),
                ("request", "1"),
                ("capacity", "30"),
            ],
        )
        .await?;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{forged:?}");
    // Nor with a capacity that is no number (a page, not a 500).
    let bad = door
        .post(
            &confirm,
            &[
                ("csrf", &csrf),
                ("nonce", &nonce),
                ("request", "1"),
                ("capacity", "trente"),
            ],
        )
        .await?;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
    assert!(bad.text.contains("role=\"alert\""));
    // Above the room's maximum: the venue service's refusal, shown.
    let above = door
        .post(
            &confirm,
            &[
                ("csrf", &csrf),
                ("nonce", "n-above"),
                ("request", "1"),
                ("capacity", "400"),
            ],
        )
        .await?;
    assert!(above.status.is_client_error(), "{above:?}");
    assert_eq!(
        desk.week.messages_in_log().await,
        before,
        "nothing recorded"
    );

    let confirmed = door
        .post(
            &confirm,
            &[
                ("csrf", &csrf),
                ("nonce", &nonce),
                ("request", "1"),
                ("capacity", "30"),
            ],
        )
        .await?;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{confirmed:?}");
    assert!(
        confirmed
            .location()
            .starts_with("/console/venue?min_seq=VENUES:"),
        "{}",
        confirmed.location()
    );
    // The same form sent twice is recorded once: the second answer names the first's commit.
    let again = door
        .post(
            &confirm,
            &[
                ("csrf", &csrf),
                ("nonce", &nonce),
                ("request", "1"),
                ("capacity", "30"),
            ],
        )
        .await?;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{again:?}");
    assert_eq!(
        again.location(),
        confirmed.location(),
        "a resent form is a retry"
    );
    let shown = door.get(confirmed.location()).await?;
    assert_eq!(shown.status, StatusCode::OK, "{shown:?}");
    assert!(shown.text.contains("Accueil confirmé."));
    assert!(
        shown
            .text
            .contains(&format!("/console/venue/sessions/{session}"))
    );

    // The organiser's grid shows it confirmed and open.
    let grid = until("the grid shows the session open", || {
        let path = grid_path.clone();
        let mut browser = Browser {
            desk: &desk,
            cookie: organiser.cookie.clone(),
        };
        async move {
            let page = browser.get(&path).await?;
            anyhow::ensure!(page.text.contains("data-open=\"true\""), "not yet");
            Ok(page)
        }
    })
    .await?;
    assert!(grid.text.contains("data-status=\"confirmed\""));
    assert!(grid.text.contains("0 / 30 places"), "{}", grid.text);

    // A person registers; the venue checks them in at the door.
    desk.week
        .register(
            "mission-locale-gap",
            "ml-0042",
            session,
            Audience::YoungPeople,
            "ml-0042-key",
        )
        .await?;
    let list_path = format!("/console/venue/sessions/{session}");
    let list = until("the attendance list shows the person", || {
        let path = list_path.clone();
        let mut browser = Browser {
            desk: &desk,
            cookie: door.cookie.clone(),
        };
        async move {
            let page = browser.get(&path).await?;
            anyhow::ensure!(page.text.contains("Prénom-ml-0042 N."), "not yet: {page:?}");
            Ok(page)
        }
    })
    .await?;
    assert!(!list.text.contains("exemple.fr"), "no email at the door");
    assert!(list.text.contains("width=device-width"), "made for a phone");
    let registration = list
        .field("registration")
        .ok_or_else(|| anyhow::anyhow!("a line"))?;
    let nonce = list
        .field("nonce")
        .ok_or_else(|| anyhow::anyhow!("nonce"))?;
    let checked = door
        .post(
            &format!("{list_path}/check-in"),
            &[
                ("csrf", &csrf),
                ("nonce", &nonce),
                ("registration", &registration),
                ("present", "1"),
            ],
        )
        .await?;
    assert_eq!(checked.status, StatusCode::SEE_OTHER, "{checked:?}");
    let list = door.get(checked.location()).await?;
    assert!(
        list.text.contains("1 présent(s) sur 1 place(s)"),
        "{}",
        list.text
    );
    let csv = door.get(&format!("{list_path}/attendance.csv")).await?;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text.starts_with("registration,name,"), "{}", csv.text);

    // The organiser's statistics: charts drawn as SVG, each with its CSV.
    let stats_path = format!("/console/editions/{edition}/statistics");
    let stats = until("the statistics count the registration", || {
        let path = stats_path.clone();
        let mut browser = Browser {
            desk: &desk,
            cookie: organiser.cookie.clone(),
        };
        async move {
            let page = browser.get(&path).await?;
            anyhow::ensure!(
                page.text.contains("Jeunes (16-25 ans) : 1 personne(s)"),
                "not yet: {page:?}"
            );
            Ok(page)
        }
    })
    .await?;
    assert_eq!(stats.text.matches("<svg ").count(), 7, "seven charts");
    assert!(stats.text.contains("role=\"img\""));
    let audiences = organiser.get(&format!("{stats_path}/publics.csv")).await?;
    assert_eq!(audiences.status, StatusCode::OK);
    assert!(
        audiences
            .text
            .contains("young_people,Jeunes (16-25 ans),1,1,"),
        "{}",
        audiences.text
    );
    let fill = organiser
        .get(&format!("{stats_path}/remplissage.csv"))
        .await?;
    assert!(fill.text.contains(",30,1,0.033,"), "{}", fill.text);
    let unknown = organiser.get(&format!("{stats_path}/nope.csv")).await?;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_sees_only_its_scope_and_bad_input_is_a_page() -> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let (edition, venue, session) = requested_session(&desk).await?;
    let other_edition = desk.week.create_edition().await?;
    let other = desk
        .key(Role::Organiser(Editions::One(other_edition)))
        .await?;
    let venue_key = desk.key(Role::Venue(venue)).await?;
    let other_venue = desk.key(Role::Venue(VenueId::generate())).await?;

    let mut browser = Browser::new(&desk);
    browser.sign_in(&other).await?;
    let grid = browser.get(&format!("/console/editions/{edition}")).await?;
    assert!(
        grid.status == StatusCode::NOT_FOUND || grid.status == StatusCode::FORBIDDEN,
        "{grid:?}"
    );
    assert!(!grid.text.contains(&session.to_string()));
    for path in [
        "/console/editions/not-an-id",
        "/console/editions/not-an-id/statistics",
        "/console/venue",
        "/console/venue/sessions/nope",
    ] {
        let page = browser.get(path).await?;
        assert!(page.status.is_client_error(), "{path}: {page:?}");
        assert!(
            page.text.contains("<html lang=\"fr\">"),
            "{path}: an HTML page"
        );
    }

    // Another venue's key sees neither the request nor the attendance list.
    let mut stranger = Browser::new(&desk);
    stranger.sign_in(&other_venue).await?;
    let requests = stranger.get("/console/venue").await?;
    assert_eq!(requests.status, StatusCode::OK);
    assert!(!requests.text.contains(&session.to_string()));
    let list = stranger
        .get(&format!("/console/venue/sessions/{session}"))
        .await?;
    assert!(list.status.is_client_error(), "{list:?}");
    // The venue's own key cannot read an edition's grid.
    let mut door = Browser::new(&desk);
    door.sign_in(&venue_key).await?;
    let grid = door.get(&format!("/console/editions/{edition}")).await?;
    assert!(grid.status.is_client_error(), "{grid:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_programme_is_imported_all_or_nothing_and_a_retry_duplicates_nothing()
-> anyhow::Result<()> {
    let desk = Desk::start().await?;
    desk.week.register_venue(40).await?;
    let edition = desk.week.create_edition().await?;
    let key = desk.key(Role::Organiser(Editions::One(edition))).await?;
    let mut organiser = Browser::new(&desk);
    organiser.sign_in(&key).await?;
    let form = until("the import form", || {
        let mut browser = Browser {
            desk: &desk,
            cookie: organiser.cookie.clone(),
        };
        async move {
            let page = browser
                .get(&format!("/console/editions/{edition}/import"))
                .await?;
            anyhow::ensure!(page.status == StatusCode::OK, "{page:?}");
            Ok(page)
        }
    })
    .await?;
    let csrf = form.field("csrf").ok_or_else(|| anyhow::anyhow!("csrf"))?;
    let header = "date;début;fin;commune;lieu;type;titre;thèmes;publics;places\n";
    let good = "13/04/2027;9h00;12h00;Gap;EHPAD Les Marronniers;Portes ouvertes;Visite de l'EHPAD;Grand âge et autonomie;Tout public|Jeunes (16-25 ans);30\n";
    let bad = "14/04/2027;14h00;13h00;Gap;EHPAD Les Marronniers;Atelier;Atelier soin;Soin;Demandeurs d'emploi;12\n";
    let fixed = "14/04/2027;14h00;16h00;Gap;EHPAD Les Marronniers;Atelier;Atelier soin;Soin;Demandeurs d'emploi;12\n";
    let path = format!("/console/editions/{edition}/import");

    let before = desk.week.messages_in_log().await;
    let preview = until("the venue is known to the catalogue", || {
        let mut browser = Browser {
            desk: &desk,
            cookie: organiser.cookie.clone(),
        };
        let (path, csrf) = (path.clone(), csrf.clone());
        let text = format!("{header}{good}{bad}");
        async move {
            let page = browser
                .post_multipart(&path, &[("csrf", &csrf), ("text", &text)])
                .await?;
            anyhow::ensure!(!page.text.contains("Lieu inconnu"), "not yet");
            Ok(page)
        }
    })
    .await?;
    assert_eq!(
        preview.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{preview:?}"
    );
    assert!(
        preview.text.contains("La fin doit être après le début"),
        "{}",
        preview.text
    );
    assert!(
        preview.text.contains("data-line=\"3\""),
        "the row is named by its line"
    );
    assert!(
        !preview.text.contains("/import/commit"),
        "no import offered"
    );
    let forged = organiser
        .post_multipart(
            &path,
            &[("csrf", "forged"), ("text", &format!("{header}{good}"))],
        )
        .await?;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(desk.week.messages_in_log().await, before, "nothing stored");

    let text = format!("{header}{good}{fixed}");
    let preview = organiser
        .post_multipart(&path, &[("csrf", &csrf), ("text", &text)])
        .await?;
    assert_eq!(preview.status, StatusCode::OK, "{preview:?}");
    assert!(
        preview
            .text
            .contains("2 séance(s) dans 2 événement(s), sans erreur"),
        "{}",
        preview.text
    );
    let commit = format!("{path}/commit");
    let imported = organiser
        .post(&commit, &[("csrf", &csrf), ("text", &text)])
        .await?;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{imported:?}");
    let grid = organiser.get(imported.location()).await?;
    assert!(
        grid.text.contains("2 séance(s) importée(s)."),
        "{}",
        grid.text
    );
    assert!(
        grid.text.contains("Visite de l&#39;EHPAD") || grid.text.contains("Visite de l'EHPAD"),
        "{}",
        grid.text
    );
    assert!(grid.text.contains("Atelier soin"));
    assert_eq!(
        grid.text.matches("data-session=").count(),
        2,
        "{}",
        grid.text
    );

    // Sent again (a retry): the same events and sessions, nothing more.
    let again = organiser
        .post(&commit, &[("csrf", &csrf), ("text", &text)])
        .await?;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{again:?}");
    let grid = organiser.get(again.location()).await?;
    assert_eq!(
        grid.text.matches("data-session=").count(),
        2,
        "{}",
        grid.text
    );
    Ok(())
}
