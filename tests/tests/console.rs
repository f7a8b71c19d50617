//! The console in front of a running week, driven as a browser would (a cookie jar, forms with
//! their hidden fields), in the process: signing in with an API key sets a session cookie that
//! is `HttpOnly`, `Secure`, `SameSite=Strict` and holds no key; every form is refused without
//! its CSRF token; an organiser's grid shows a session requested, then confirmed and open once
//! the venue confirmed it on its page; the venue checks a registered person in at the door; a
//! key sees only what its scope covers, and bad input gives a page, never a 500; the statistics
//! are SVG charts with CSV downloads; a programme's CSV with a bad row is previewed with the
//! row's error and nothing stored, then, fixed, imported once, and a retry duplicates nothing.
//! An organiser creates an event and a session through forms (a refused form shows each error
//! next to its field and records nothing), sees them in the grid and amends the event; the pages
//! before cancelling or moving a session count its registrations and name the two partners that
//! made them, record nothing, and once confirmed the partners read their registrations cancelled
//! (with the reason) or kept at the new time; venues imported from CSV are previewed with a bad
//! row's error and nothing stored, then imported once, and a retry stores nothing more. A
//! signed-in user is served by a second instance over the same NATS and by a restarted one;
//! signing out on one ends the session on the other, a revoked key's session is refused, and
//! the sessions' bucket holds neither a secret nor a cookie's value. Sign-ins are limited per
//! client address (refused ones too) and per key: beyond, a French page, `429` and
//! `Retry-After`, and once that wait is over the right key works.

use std::net::SocketAddr;
use std::time::Duration;

use console::limits::{PER_ADDRESS, PER_KEY};
use futures_util::TryStreamExt;
use gateway::Role;
use gateway::keys::Editions;
use gateway::stack::axum::Router;
use gateway::stack::axum::body::Body;
use gateway::stack::axum::extract::ConnectInfo;
use gateway::stack::axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gateway::stack::tower::ServiceExt;
use proto::taxonomy::Audience;
use proto::values::VenueId;
use tests::desk::{Desk, request, send};

/// A browser's view of the console: a cookie jar of one cookie, and the instance it is sent to.
/// A clone is a second tab of the same browser: the same cookie, the same instance.
#[derive(Clone)]
struct Browser {
    router: Router,
    cookie: Option<String>,
    /// The client address its requests come from (as the gateway's `ConnectInfo` gives it),
    /// or none, as for every request sent within the process.
    address: Option<SocketAddr>,
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

    /// The value of the first hidden field named `name`; an error when the page has none.
    fn field(&self, name: &str) -> anyhow::Result<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let value = self.text.find(&marker).and_then(|start| {
            let start = start + marker.len();
            let end = self.text[start..].find('"')?;
            Some(self.text[start..start + end].to_owned())
        });
        value.ok_or_else(|| anyhow::anyhow!("no hidden field {name} in {self:?}"))
    }

    /// Asserts that the page holds `wanted`, showing the page when it does not.
    #[track_caller]
    fn assert_shows(&self, wanted: &str) {
        assert!(
            self.text.contains(wanted),
            "{wanted:?} not in {}",
            self.text
        );
    }

    /// Asserts that this answer to a form sent again is a retry of the `first` answer: the
    /// same redirect, to the page of the first's commit.
    #[track_caller]
    fn assert_retry_of(&self, first: &Page) {
        self.assert_status(StatusCode::SEE_OTHER);
        assert_eq!(
            self.location(),
            first.location(),
            "a resent form is a retry"
        );
    }

    /// Asserts the page's status, showing the page when it is another.
    #[track_caller]
    fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{self:?}");
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

impl Browser {
    fn new(desk: &Desk) -> Self {
        Self {
            router: desk.router.clone(),
            cookie: None,
            address: None,
        }
    }

    /// A browser on another machine, at `address`.
    fn at(desk: &Desk, address: &str) -> anyhow::Result<Self> {
        Ok(Self {
            address: Some(address.parse()?),
            ..Self::new(desk)
        })
    }

    /// A request to the console as this browser sends it: its host, and its cookie if any.
    fn request(&self, method: Method, path: &str) -> gateway::stack::axum::http::request::Builder {
        let builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "console.test");
        match &self.cookie {
            Some(cookie) => builder.header(header::COOKIE, cookie),
            None => builder,
        }
    }

    /// Sends `request` from the browser's address, keeps the cookie the answer sets (or forgets
    /// it when the answer clears it); the page that came back.
    async fn exchange(&mut self, mut request: Request<Body>) -> anyhow::Result<Page> {
        if let Some(address) = self.address {
            request.extensions_mut().insert(ConnectInfo(address));
        }
        let response = self.router.clone().oneshot(request).await?;
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
        let request = self.request(Method::GET, path).body(Body::empty())?;
        self.exchange(request).await
    }

    /// Posts `form` URL-encoded, as a browser posts a form.
    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> anyhow::Result<Page> {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = self
            .request(Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))?;
        self.exchange(request).await
    }

    /// Posts `fields` as `multipart/form-data`, as a browser posts a file's form.
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
        let request = self
            .request(Method::POST, path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))?;
        self.exchange(request).await
    }

    /// Gets `path` in another tab, again and again (bounded), until the page holds `wanted`:
    /// what a command changes reaches the pages a moment later.
    async fn page_with(&self, path: &str, wanted: &str) -> anyhow::Result<Page> {
        until(&format!("{path} showing {wanted}"), || {
            let mut tab = self.clone();
            async move {
                let page = tab.get(path).await?;
                anyhow::ensure!(page.text.contains(wanted), "not yet: {page:?}");
                Ok(page)
            }
        })
        .await
    }

    /// Follows the redirect a form's answer is (`303`): the page it sends to.
    async fn follow(&mut self, redirect: &Page) -> anyhow::Result<Page> {
        redirect.assert_status(StatusCode::SEE_OTHER);
        self.get(redirect.location()).await
    }

    /// A new browser signed in with a new key of `role` (the console sends it on, `303`).
    async fn signed_in(desk: &Desk, role: Role) -> anyhow::Result<Self> {
        let mut browser = Self::new(desk);
        let signed = browser.sign_in(&desk.key(role).await?).await?;
        signed.assert_status(StatusCode::SEE_OTHER);
        Ok(browser)
    }

    async fn sign_in(&mut self, secret: &str) -> anyhow::Result<Page> {
        self.post("/console/login", &[("key", secret)]).await
    }
}

/// The venue's form confirming `capacity` seats for the first request to host a session.
fn capacity_form<'a>(
    csrf: &'a str,
    nonce: &'a str,
    capacity: &'a str,
) -> [(&'static str, &'a str); 4] {
    [
        ("csrf", csrf),
        ("nonce", nonce),
        ("request", "1"),
        ("capacity", capacity),
    ]
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_sets_a_strict_cookie_and_signing_out_ends_the_session() -> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let organiser = desk.key(Role::Organiser(Editions::All)).await?;
    let partner = desk
        .key(Role::parse("partner", "mission-locale-gap")?)
        .await?;
    let mut browser = Browser::new(&desk);

    let home = browser.get("/console").await?;
    home.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(home.location(), "/console/login");
    let login = browser.get("/console/login").await?;
    assert_eq!(login.status, StatusCode::OK);
    login.assert_shows("<html lang=\"fr\">");
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
    signed.assert_status(StatusCode::SEE_OTHER);
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
    home.assert_status(StatusCode::OK);
    home.assert_shows("Vos éditions");
    // Pages are private: kept by no cache, framed by no other site, running nothing foreign.
    for page in [&home, &login] {
        let header = |name: header::HeaderName| {
            page.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert_eq!(header(header::CACHE_CONTROL), "no-store", "{page:?}");
        let policy = header(header::CONTENT_SECURITY_POLICY);
        for directive in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(policy.contains(directive), "{policy}");
        }
        assert_eq!(header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    }
    let csrf = home.field("csrf")?;

    // Signing out needs the token.
    let forged = browser
        .post("/console/logout", &[("csrf", "forged")])
        .await?;
    forged.assert_status(StatusCode::FORBIDDEN);
    let missing = browser.post("/console/logout", &[]).await?;
    missing.assert_status(StatusCode::FORBIDDEN);
    assert_eq!(browser.get("/console").await?.status, StatusCode::OK);

    let out = browser.post("/console/logout", &[("csrf", &csrf)]).await?;
    out.assert_status(StatusCode::SEE_OTHER);
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

/// The `Retry-After` of a page, in seconds.
fn retry_after(page: &Page) -> Option<u64> {
    page.headers
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_are_limited_per_address_and_per_key_and_the_page_says_how_long_to_wait()
-> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let organiser = desk.key(Role::Organiser(Editions::All)).await?;

    // A guesser at one address: every refused key counts, up to the burst...
    let mut guesser = Browser::at(&desk, "192.0.2.7:50123")?;
    for n in 0..PER_ADDRESS.burst {
        let refused = guesser.sign_in(&format!("semaine_guess{n}")).await?;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    // ...then even the right key waits, on a French page that says how long.
    let limited = guesser.sign_in(&organiser).await?;
    limited.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&limited).ok_or_else(|| anyhow::anyhow!("no Retry-After"))?;
    assert_eq!(wait, 2, "one attempt every 2 s");
    limited.assert_shows("<html lang=\"fr\">");
    limited.assert_shows("Trop de tentatives de connexion : réessayez dans 2 secondes.");
    limited.assert_shows("role=\"alert\"");
    assert!(guesser.cookie.is_none(), "no session while limited");

    // Another machine is not slowed by the guesser.
    let mut colleague = Browser::at(&desk, "198.51.100.20:40000")?;
    let signed = colleague.sign_in(&organiser).await?;
    signed.assert_status(StatusCode::SEE_OTHER);

    // Once the wait is over, the right key signs in from the guesser's address too.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let signed = guesser.sign_in(&organiser).await?;
    signed.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(signed.location(), "/console");
    assert!(guesser.cookie.is_some());
    let home = guesser.get("/console").await?;
    home.assert_status(StatusCode::OK);

    // The key, sent from ever new addresses, opens no more sessions than its own burst (two
    // are open already), whatever the addresses' allowances.
    for n in 2..PER_KEY.burst {
        let mut elsewhere = Browser::at(&desk, &format!("203.0.113.{n}:443"))?;
        let signed = elsewhere.sign_in(&organiser).await?;
        assert_eq!(
            signed.status,
            StatusCode::SEE_OTHER,
            "session {n}: {signed:?}"
        );
    }
    let mut one_more = Browser::at(&desk, "203.0.113.200:443")?;
    let limited = one_more.sign_in(&organiser).await?;
    limited.assert_status(StatusCode::TOO_MANY_REQUESTS);
    // One session a minute: the first was opened a few seconds ago.
    let wait = retry_after(&limited);
    assert!(matches!(wait, Some(50..=60)), "{wait:?}");
    assert!(one_more.cookie.is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_served_by_every_instance_survives_a_restart_and_ends_with_its_key()
-> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let (key_id, secret) = desk
        .state
        .keys
        .create(Role::Organiser(Editions::All))
        .await?;
    let secret = secret.expose().to_owned();
    let mut first = Browser::new(&desk);
    let signed = first.sign_in(&secret).await?;
    signed.assert_status(StatusCode::SEE_OTHER);
    let cookie = first.cookie.clone().unwrap_or_default();
    let id = cookie.split_once('=').map(|(_, id)| id).unwrap_or("");
    let home = first.get("/console").await?;
    home.assert_status(StatusCode::OK);
    let csrf = home.field("csrf")?;

    // What the bucket holds lets no reader act as the user: no secret, no cookie's value.
    let js = async_nats::jetstream::new(desk.week.nats.client().await?);
    let bucket = js.get_key_value(console::login::LOGINS_BUCKET).await?;
    let names: Vec<String> = bucket.keys().await?.try_collect().await?;
    assert_eq!(names.len(), 1, "one session: {names:?}");
    let stored = bucket.get(&names[0]).await?.unwrap_or_default();
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains(key_id.as_str()), "{stored}");
    for secret_part in [secret.as_str(), &secret[8..24], id] {
        assert!(!stored.contains(secret_part), "{stored}");
        assert!(!names[0].contains(secret_part), "{}", names[0]);
    }

    // A second instance over the same NATS serves the same session, with the same token.
    let mut second = Browser {
        router: Box::pin(desk.instance()).await?,
        cookie: first.cookie.clone(),
        address: None,
    };
    let there = second.get("/console").await?;
    there.assert_status(StatusCode::OK);
    there.assert_shows("Vos éditions");
    assert_eq!(there.field("csrf")?, csrf);

    // The first instance restarted: still signed in.
    first.router = Box::pin(desk.instance()).await?;
    let restarted = first.get("/console").await?;
    restarted.assert_status(StatusCode::OK);

    // Signing out on the second ends the session on the first.
    let out = second.post("/console/logout", &[("csrf", &csrf)]).await?;
    out.assert_status(StatusCode::SEE_OTHER);
    let ended = first.get("/console").await?;
    ended.assert_status(StatusCode::SEE_OTHER);
    assert_eq!(ended.location(), "/console/login");

    // A revoked key's session is refused on every instance, at its next request.
    let again = first.sign_in(&secret).await?;
    again.assert_status(StatusCode::SEE_OTHER);
    second.cookie = first.cookie.clone();
    assert_eq!(second.get("/console").await?.status, StatusCode::OK);
    assert!(desk.state.keys.revoke(&key_id).await?);
    for browser in [&mut first, &mut second] {
        let refused = browser.get("/console").await?;
        refused.assert_status(StatusCode::SEE_OTHER);
        assert_eq!(refused.location(), "/console/login");
    }
    let names: Vec<String> = bucket.keys().await?.try_collect().await?;
    assert!(
        names.is_empty(),
        "the revoked key's session is deleted: {names:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_confirms_on_its_page_and_the_grid_shows_the_session_open() -> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let (edition, venue, session) = desk.requested_session().await?;

    let mut organiser = Browser::signed_in(&desk, Role::Organiser(Editions::One(edition))).await?;
    let grid_path = format!("/console/editions/{edition}");
    let grid = organiser
        .page_with(&grid_path, &session.to_string())
        .await?;
    grid.assert_status(StatusCode::OK);
    grid.assert_shows("data-status=\"requested\"");
    grid.assert_shows("capacité à confirmer");
    assert!(grid.text.contains("Gap"), "the town is a row");
    assert!(grid.text.contains("mardi 13 avril"), "the day is a column");

    let mut door = Browser::signed_in(&desk, Role::Venue(venue)).await?;
    let home = door.get("/console").await?;
    assert_eq!(
        home.location(),
        "/console/venue",
        "a venue lands on its requests"
    );
    let confirm = format!("/console/venue/hosting/{session}/confirm");
    let requests = door.page_with("/console/venue", &confirm).await?;
    let csrf = requests.field("csrf")?;
    let nonce = requests.field("nonce")?;

    // Without the right token nothing is recorded.
    let before = desk.week.messages_in_log().await;
    let forged = door
        .post(&confirm, &capacity_form("forged", &nonce, "30"))
        .await?;
    forged.assert_status(StatusCode::FORBIDDEN);
    // Nor with a capacity that is no number (a page, not a 500).
    let bad = door
        .post(&confirm, &capacity_form(&csrf, &nonce, "trente"))
        .await?;
    bad.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_shows("role=\"alert\"");
    // Above the room's maximum: the venue service's refusal, shown.
    let above = door
        .post(&confirm, &capacity_form(&csrf, "n-above", "400"))
        .await?;
    assert!(above.status.is_client_error(), "{above:?}");
    assert_eq!(
        desk.week.messages_in_log().await,
        before,
        "nothing recorded"
    );

    let confirmed = door
        .post(&confirm, &capacity_form(&csrf, &nonce, "30"))
        .await?;
    confirmed.assert_status(StatusCode::SEE_OTHER);
    assert!(
        confirmed
            .location()
            .starts_with("/console/venue?min_seq=VENUES:"),
        "{}",
        confirmed.location()
    );
    // The same form sent twice is recorded once: the second answer names the first's commit.
    let again = door
        .post(&confirm, &capacity_form(&csrf, &nonce, "30"))
        .await?;
    again.assert_retry_of(&confirmed);
    let shown = door.follow(&confirmed).await?;
    shown.assert_status(StatusCode::OK);
    shown.assert_shows("Accueil confirmé.");
    shown.assert_shows(&format!("/console/venue/sessions/{session}"));

    // The organiser's grid shows it confirmed and open.
    let grid = organiser
        .page_with(&grid_path, "data-open=\"true\"")
        .await?;
    grid.assert_shows("data-status=\"confirmed\"");
    grid.assert_shows("0 / 30 places");

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
    let list = door.page_with(&list_path, "Prénom-ml-0042 N.").await?;
    assert!(!list.text.contains("exemple.fr"), "no email at the door");
    assert!(list.text.contains("width=device-width"), "made for a phone");
    let registration = list.field("registration")?;
    let nonce = list.field("nonce")?;
    let present = [
        ("csrf", csrf.as_str()),
        ("nonce", &nonce),
        ("registration", &registration),
        ("present", "1"),
    ];
    let checked = door
        .post(&format!("{list_path}/check-in"), &present)
        .await?;
    let list = door.follow(&checked).await?;
    list.assert_shows("1 présent(s) sur 1 place(s)");
    let csv = door.get(&format!("{list_path}/attendance.csv")).await?;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.text.starts_with("registration,name,"), "{}", csv.text);

    // The organiser's statistics: charts drawn as SVG, each with its CSV.
    let stats_path = format!("/console/editions/{edition}/statistics");
    let stats = organiser
        .page_with(&stats_path, "Jeunes (16-25 ans) : 1 personne(s)")
        .await?;
    assert_eq!(stats.text.matches("<svg ").count(), 7, "seven charts");
    stats.assert_shows("role=\"img\"");
    let audiences = organiser.get(&format!("{stats_path}/publics.csv")).await?;
    assert_eq!(audiences.status, StatusCode::OK);
    audiences.assert_shows("young_people,Jeunes (16-25 ans),1,1,");
    let fill = organiser
        .get(&format!("{stats_path}/remplissage.csv"))
        .await?;
    fill.assert_shows(",30,1,0.033,");
    let unknown = organiser.get(&format!("{stats_path}/nope.csv")).await?;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_sees_only_its_scope_and_bad_input_is_a_page() -> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let (edition, venue, session) = desk.requested_session().await?;
    let other_edition = desk.week.create_edition().await?;

    let mut browser =
        Browser::signed_in(&desk, Role::Organiser(Editions::One(other_edition))).await?;
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
    let mut stranger = Browser::signed_in(&desk, Role::Venue(VenueId::generate())).await?;
    let requests = stranger.get("/console/venue").await?;
    assert_eq!(requests.status, StatusCode::OK);
    assert!(!requests.text.contains(&session.to_string()));
    let list = stranger
        .get(&format!("/console/venue/sessions/{session}"))
        .await?;
    assert!(list.status.is_client_error(), "{list:?}");
    // The venue's own key cannot read an edition's grid.
    let mut door = Browser::signed_in(&desk, Role::Venue(venue)).await?;
    let grid = door.get(&format!("/console/editions/{edition}")).await?;
    assert!(grid.status.is_client_error(), "{grid:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_programme_is_imported_all_or_nothing_and_a_retry_duplicates_nothing()
-> anyhow::Result<()> {
    // The programme's file: a good row, a row that ends before it starts, and that row fixed.
    let header = "date;début;fin;commune;lieu;type;titre;thèmes;publics;places\n";
    let good = "13/04/2027;9h00;12h00;Gap;EHPAD Les Marronniers;Portes ouvertes;Visite de l'EHPAD;Grand âge et autonomie;Tout public|Jeunes (16-25 ans);30\n";
    let bad = "14/04/2027;14h00;13h00;Gap;EHPAD Les Marronniers;Atelier;Atelier soin;Soin;Demandeurs d'emploi;12\n";
    let fixed = "14/04/2027;14h00;16h00;Gap;EHPAD Les Marronniers;Atelier;Atelier soin;Soin;Demandeurs d'emploi;12\n";
    let desk = Desk::start().await?;
    desk.week.register_venue(40).await?;
    let edition = desk.week.create_edition().await?;
    let mut organiser = Browser::signed_in(&desk, Role::Organiser(Editions::One(edition))).await?;
    let path = format!("/console/editions/{edition}/import");
    let form = organiser.page_with(&path, "name=\"csrf\"").await?;
    form.assert_status(StatusCode::OK);
    let csrf = form.field("csrf")?;

    let before = desk.week.messages_in_log().await;
    let preview = until("the venue is known to the catalogue", || {
        let mut browser = organiser.clone();
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
    preview.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    preview.assert_shows("La fin doit être après le début");
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
    preview.assert_status(StatusCode::OK);
    preview.assert_shows("2 séance(s) dans 2 événement(s), sans erreur");
    let commit = format!("{path}/commit");
    let imported = organiser
        .post(&commit, &[("csrf", &csrf), ("text", &text)])
        .await?;
    let grid = organiser.follow(&imported).await?;
    grid.assert_shows("2 séance(s) importée(s).");
    assert!(
        grid.text.contains("Visite de l&#39;EHPAD") || grid.text.contains("Visite de l'EHPAD"),
        "{}",
        grid.text
    );
    grid.assert_shows("Atelier soin");
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
    let grid = organiser.follow(&again).await?;
    assert_eq!(
        grid.text.matches("data-session=").count(),
        2,
        "{}",
        grid.text
    );
    Ok(())
}

/// `GET path` on the API with `key`: the answer's JSON.
async fn api_get(desk: &Desk, key: &str, path: &str) -> anyhow::Result<serde_json::Value> {
    let answer = send(&desk.router, request(Method::GET, path, Some(key), None)?).await?;
    anyhow::ensure!(answer.status.is_success(), "{path}: {}", answer.status);
    Ok(answer.json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organiser_creates_an_event_and_a_session_through_forms_and_amends_it()
-> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let venue = desk.week.register_venue(40).await?;
    let edition = desk.week.create_edition().await?;
    let mut organiser = Browser::signed_in(&desk, Role::Organiser(Editions::One(edition))).await?;
    let new = organiser
        .page_with(
            &format!("/console/editions/{edition}/events/new"),
            "Nouvel événement",
        )
        .await?;
    let csrf = new.field("csrf")?;
    let nonce = new.field("nonce")?;
    assert!(
        new.text.contains("<label for=\"title\">"),
        "every input has a label"
    );
    assert!(
        new.text.contains("<legend>Thèmes"),
        "checkbox groups have a legend"
    );
    let create = format!("/console/editions/{edition}/events");

    // Refused: every error next to its field, announced, and nothing recorded.
    let before = desk.week.messages_in_log().await;
    let refused = organiser
        .post(
            &create,
            &[("csrf", &csrf), ("nonce", &nonce), ("kind", "workshop")],
        )
        .await?;
    refused.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    refused.assert_shows("role=\"alert\"");
    refused.assert_shows("id=\"err-title\"");
    refused.assert_shows("aria-describedby=\"err-title\"");
    refused.assert_shows("aria-invalid=\"true\"");
    refused.assert_shows("Cochez au moins un thème.");
    assert!(
        refused.text.contains("value=\"workshop\" selected"),
        "what was filled stays"
    );
    assert_eq!(
        desk.week.messages_in_log().await,
        before,
        "nothing recorded"
    );

    let fields = [
        ("csrf", csrf.as_str()),
        ("nonce", nonce.as_str()),
        ("kind", "workshop"),
        ("title", "Atelier aide-soignant"),
        ("themes", "health_care"),
        ("audiences", "job_seekers"),
        ("audiences", "young_people"),
    ];
    let created = organiser.post(&create, &fields).await?;
    created.assert_status(StatusCode::SEE_OTHER);
    let event_path = created
        .location()
        .split('?')
        .next()
        .unwrap_or("")
        .to_owned();
    assert!(
        event_path.starts_with(&format!("{create}/")),
        "{event_path}"
    );
    let again = organiser.post(&create, &fields).await?;
    again.assert_retry_of(&created);
    let event_page = organiser.follow(&created).await?;
    event_page.assert_status(StatusCode::OK);
    event_page.assert_shows("Événement créé.");
    event_page.assert_shows("<h1>Atelier aide-soignant</h1>");

    // A session at the venue, chosen from the directory.
    let place = format!("{venue}/salle-polyvalente");
    let event_page = organiser.page_with(&event_path, &place).await?;
    let nonce = event_page.field("nonce")?;
    let sessions = format!("{event_path}/sessions");
    let late = organiser
        .post(
            &sessions,
            &[
                ("csrf", &csrf),
                ("nonce", &nonce),
                ("date", "2027-05-13"),
                ("start", "09:00"),
                ("end", "12:00"),
                ("place", &place),
                ("capacity", "20"),
            ],
        )
        .await?;
    late.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    late.assert_shows("id=\"err-date\"");
    let added = organiser
        .post(
            &sessions,
            &[
                ("csrf", &csrf),
                ("nonce", &nonce),
                ("date", "2027-04-13"),
                ("start", "09:00"),
                ("end", "12:00"),
                ("place", &place),
                ("capacity", "20"),
            ],
        )
        .await?;
    let event_page = organiser.follow(&added).await?;
    event_page.assert_shows("Séance ajoutée");
    assert_eq!(event_page.text.matches("data-event-session=").count(), 1);
    let grid_path = format!("/console/editions/{edition}");
    let grid = organiser
        .page_with(&grid_path, "Atelier aide-soignant")
        .await?;
    assert_eq!(
        grid.text.matches("data-session=").count(),
        1,
        "{}",
        grid.text
    );
    grid.assert_shows("data-status=\"requested\"");

    // Amended: the new title everywhere.
    let nonce = event_page.field("nonce")?;
    let amended = organiser
        .post(
            &format!("{event_path}/amend"),
            &[
                ("csrf", &csrf),
                ("nonce", &nonce),
                ("kind", "workshop"),
                ("title", "Atelier découverte du soin"),
                ("description", "Avec des aides-soignantes de l'EHPAD."),
                ("themes", "health_care"),
                ("audiences", "job_seekers"),
            ],
        )
        .await?;
    let event_page = organiser.follow(&amended).await?;
    event_page.assert_shows("<h1>Atelier découverte du soin</h1>");
    event_page.assert_shows("Avec des aides-soignantes");
    let grid = organiser
        .page_with(&grid_path, "Atelier découverte du soin")
        .await?;
    assert_eq!(grid.text.matches("data-session=").count(), 1);
    assert!(!grid.text.contains("Atelier aide-soignant"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_session_shows_who_it_affects_first_then_cancels_their_registrations()
-> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let mission_locale = desk
        .key(Role::parse("partner", "mission-locale-gap")?)
        .await?;
    let (edition, session) = desk.session_with_two_partners(2).await?;
    let mut organiser = Browser::signed_in(&desk, Role::Organiser(Editions::One(edition))).await?;
    let base = format!("/console/editions/{edition}/sessions/{session}");
    let before = desk.week.messages_in_log().await;
    let confirm = organiser
        .page_with(&format!("{base}/cancel"), "1 inscription(s) en liste d")
        .await?;
    confirm.assert_shows("2 inscription(s) confirmée(s), 2 personne(s)");
    assert!(
        confirm.text.contains("Partenaire mission-locale-gap"),
        "names the partners"
    );
    confirm.assert_shows("data-partners=\"2\"");
    confirm.assert_shows("data-partner=\"mission-locale-gap\"");
    confirm.assert_shows("data-partner=\"college-gap\"");
    assert!(
        confirm
            .text
            .contains("2 confirmée(s) (2 place(s)), 0 en attente")
    );
    assert!(
        confirm
            .text
            .contains("0 confirmée(s) (0 place(s)), 1 en attente")
    );
    assert_eq!(
        desk.week.messages_in_log().await,
        before,
        "showing changes nothing"
    );
    let csrf = confirm.field("csrf")?;
    let nonce = confirm.field("nonce")?;

    let no_reason = organiser
        .post(
            &format!("{base}/cancel"),
            &[("csrf", &csrf), ("nonce", &nonce), ("reason", " ")],
        )
        .await?;
    no_reason.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    no_reason.assert_shows("aria-describedby=\"err-reason\"");
    let forged = organiser
        .post(
            &format!("{base}/cancel"),
            &[("csrf", "forged"), ("nonce", &nonce), ("reason", "Travaux")],
        )
        .await?;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        desk.week.messages_in_log().await,
        before,
        "nothing recorded"
    );

    let cancelled = organiser
        .post(
            &format!("{base}/cancel"),
            &[
                ("csrf", &csrf),
                ("nonce", &nonce),
                ("reason", "Travaux dans la salle"),
            ],
        )
        .await?;
    cancelled.assert_status(StatusCode::SEE_OTHER);
    assert!(
        cancelled
            .location()
            .starts_with(&format!("{base}?min_seq=SCHEDULING:"))
    );
    let shown = organiser.follow(&cancelled).await?;
    shown.assert_shows("Séance annulée");
    shown.assert_shows("data-status=\"cancelled\"");
    assert!(
        !shown.text.contains("/cancel\""),
        "no second cancellation offered"
    );

    // The partner reads its registrations cancelled, by the organiser.
    let registrations = until("the mission locale's registrations cancelled", || {
        let (desk, key) = (&desk, mission_locale.clone());
        async move {
            let page = api_get(desk, &key, &format!("/registrations?session={session}")).await?;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            anyhow::ensure!(items.len() == 2, "{page}");
            anyhow::ensure!(
                items.iter().all(|r| r["status"] == "cancelled"),
                "not yet: {page}"
            );
            Ok(items)
        }
    })
    .await?;
    for registration in &registrations {
        let history = registration["history"].to_string();
        assert!(
            history.contains("Travaux dans la salle"),
            "the partner reads why: {history}"
        );
    }
    let shown = organiser.page_with(&base, "data-cancelled=\"1\"").await?;
    shown.assert_shows("data-cancelled=\"2\"");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_a_session_shows_who_it_affects_first_then_tells_their_partners()
-> anyhow::Result<()> {
    let desk = Desk::start().await?;
    let (edition, session) = desk.session_with_two_partners(30).await?;
    let college = desk.key(Role::parse("partner", "college-gap")?).await?;
    let mut organiser = Browser::signed_in(&desk, Role::Organiser(Editions::One(edition))).await?;
    let base = format!("/console/editions/{edition}/sessions/{session}");
    let form = organiser.get(&format!("{base}/move")).await?;
    form.assert_status(StatusCode::OK);
    assert!(
        form.text.contains("value=\"09:00\""),
        "the current times fill the form"
    );
    let csrf = form.field("csrf")?;
    let place = form
        .text
        .split("<option value=\"")
        .nth(2)
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("a place"))?
        .to_owned();
    let moved = [
        ("csrf", csrf.as_str()),
        ("date", "2027-04-14"),
        ("start", "14:00"),
        ("end", "16:00"),
        ("place", place.as_str()),
    ];
    let before = desk.week.messages_in_log().await;
    let unchanged = organiser
        .post(
            &format!("{base}/move"),
            &[
                ("csrf", &csrf),
                ("date", "2027-04-13"),
                ("start", "09:00"),
                ("end", "12:00"),
                ("place", &place),
            ],
        )
        .await?;
    unchanged.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    unchanged.assert_shows("rien ne change");
    let preview = until("the move's consequences", || {
        let mut browser = organiser.clone();
        let path = format!("{base}/move");
        async move {
            let page = browser.post(&path, &moved).await?;
            anyhow::ensure!(
                page.text
                    .contains("3 inscription(s) confirmée(s), 3 personne(s)"),
                "not yet: {page:?}"
            );
            Ok(page)
        }
    })
    .await?;
    assert_eq!(preview.status, StatusCode::OK);
    preview.assert_shows("mercredi 14 avril · 14 h 00–16 h 00");
    preview.assert_shows("data-partners=\"2\"");
    preview.assert_shows("Partenaire college-gap");
    assert_eq!(
        desk.week.messages_in_log().await,
        before,
        "showing changes nothing"
    );
    let nonce = preview.field("nonce")?;
    let mut confirm: Vec<(&str, &str)> = moved.to_vec();
    confirm.push(("nonce", &nonce));
    let done = organiser
        .post(&format!("{base}/move/confirm"), &confirm)
        .await?;
    let shown = organiser.follow(&done).await?;
    shown.assert_shows("Séance déplacée");
    shown.assert_shows("mercredi 14 avril");
    assert!(
        shown.text.contains("data-status=\"requested\""),
        "the venue is asked again"
    );

    // The collège reads its registration kept, at the new time.
    until("the collège's registration moved", || {
        let (desk, key) = (&desk, college.clone());
        async move {
            let page = api_get(desk, &key, &format!("/registrations?session={session}")).await?;
            let item = &page["items"][0];
            anyhow::ensure!(item["status"] == "confirmed", "{page}");
            anyhow::ensure!(
                item["session"]["starts_local"] == "2027-04-14T14:00:00",
                "not yet: {page}"
            );
            Ok(())
        }
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn venues_are_imported_all_or_nothing_and_a_retry_stores_nothing_more() -> anyhow::Result<()>
{
    let desk = Desk::start().await?;
    let mut organiser = Browser::signed_in(&desk, Role::Organiser(Editions::All)).await?;
    let form = organiser.get("/console/venues/import").await?;
    form.assert_status(StatusCode::OK);
    let csrf = form.field("csrf")?;
    let header = "nom;type;adresse;code postal;commune;code insee;contact;capacité max;horaires;salle;accessibilité\n";
    let creche = "Crèche Les Lutins;Crèche;3 rue du Moulin;05000;Gap;05061;Mme Martin;25;lun-ven 8h-18h;;plain-pied\n";
    let bad = "Mairie d'Embrun;Mairie;Place Barthelon;5200;Embrun;05046;Accueil;80;lun-ven 9h-17h;Salle des fêtes;\n";
    let fixed = "Mairie d'Embrun;Mairie;Place Barthelon;05200;Embrun;05046;Accueil;80;lun-ven 9h-17h;Salle des fêtes;\n";
    let path = "/console/venues/import";

    let before = desk.week.messages_in_log().await;
    let preview = organiser
        .post_multipart(
            path,
            &[("csrf", &csrf), ("text", &format!("{header}{creche}{bad}"))],
        )
        .await?;
    preview.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    preview.assert_shows("Code postal illisible");
    preview.assert_shows("data-line=\"3\"");
    assert!(
        !preview.text.contains("/import/commit"),
        "no import offered"
    );
    assert_eq!(desk.week.messages_in_log().await, before, "nothing stored");

    let text = format!("{header}{creche}{fixed}");
    let preview = organiser
        .post_multipart(path, &[("csrf", &csrf), ("text", &text)])
        .await?;
    preview.assert_status(StatusCode::OK);
    preview.assert_shows("2 lieu(x) à enregistrer");
    let commit = "/console/venues/import/commit";
    let form = [("csrf", csrf.as_str()), ("text", text.as_str())];
    let imported = organiser.post(commit, &form).await?;
    imported.assert_status(StatusCode::OK);
    imported.assert_shows("2 lieu(x) enregistré(s).");
    let stored = desk.week.messages_in_log().await;
    assert!(stored > before);

    // Sent again (a retry): answered from what was recorded, nothing more stored.
    let again = organiser.post(commit, &form).await?;
    again.assert_status(StatusCode::OK);
    assert_eq!(
        desk.week.messages_in_log().await,
        stored,
        "nothing duplicated"
    );
    let catalogue = desk
        .state
        .catalogue
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the catalogue"))?;
    let venues = until("the catalogue reads both venues", || {
        let db = catalogue.clone();
        async move {
            let venues = catalogue::venues(&db);
            anyhow::ensure!(venues.len() == 2, "not yet: {venues:?}");
            Ok(venues)
        }
    })
    .await?;
    assert!(
        venues
            .iter()
            .any(|v| v.name == "Mairie d'Embrun" && v.rooms[0].0 == "salle-des-fetes")
    );
    // Once known, the same file registers nothing: every row is already there.
    let known = organiser
        .post_multipart(path, &[("csrf", &csrf), ("text", &text)])
        .await?;
    known.assert_shows("0 lieu(x) à enregistrer, 2 déjà enregistré(s)");
    assert!(!known.text.contains("/import/commit"));
    Ok(())
}
