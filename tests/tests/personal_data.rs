//! No personal data in the logs: everything semaine traces during a whole run — the services,
//! the four processes, the three views, the gateway, the webhooks (subscription, the process
//! that makes the deliveries and its dispatcher, the HTTP client, a receiver) — is captured at
//! the most verbose level (`trace`, every crate, the NATS client, axum and hyper included), while
//! partners subscribe a webhook and register seeded people through HTTP (names, emails, phones),
//! retry, send malformed bodies that carry an email in the wrong field, read their registrations
//! and their webhook deliveries back (identities opened), and erase one. The captured text must
//! hold none of the seeded names, emails or phones.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gateway::Role;
use gateway::stack::axum::body::{Body, Bytes};
use gateway::stack::axum::http::{Method, Request, StatusCode, header};
use gateway::stack::axum::routing::post;
use gateway::stack::axum::{self, Router};
use gateway::stack::tower::ServiceExt;
use serde_json::{Value, json};
use tests::desk::Desk;
use tests::week::{eventually, partner_id, tuesday};

/// What the subscriber wrote, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut all) = self.0.lock() {
            all.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|all| String::from_utf8_lossy(&all).into_owned())
            .unwrap_or_default()
    }
}

/// A webhook receiver on a free loopback port: keeps every body it is sent, answers 204.
async fn serve_receiver() -> anyhow::Result<(String, Arc<Mutex<Vec<Bytes>>>)> {
    let received = Arc::new(Mutex::new(Vec::new()));
    let keep = received.clone();
    let app = Router::new().route(
        "/hooks",
        post(move |body: Bytes| {
            let keep = keep.clone();
            async move {
                if let Ok(mut all) = keep.lock() {
                    all.push(body);
                }
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, received))
}

/// A seeded person: what must never reach a log line.
struct Seeded {
    first_name: String,
    last_name: String,
    email: String,
    phone: String,
}

fn seeded(n: usize) -> Seeded {
    Seeded {
        first_name: format!("Ombeline{n}x"),
        last_name: format!("Quenneville{n}q"),
        email: format!("ombeline.quenneville{n}@courriel-test.fr"),
        phone: format!("06 71 42 {n:02} 93"),
    }
}

async fn send(
    app: &Router,
    method: Method,
    path: &str,
    secret: &str,
    body: Option<&Value>,
    key: &str,
) -> anyhow::Result<(StatusCode, Value)> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {secret}"))
        .header("idempotency-key", key);
    let request = match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))?,
        None => {
            builder = builder.header(header::ACCEPT, "application/json");
            builder.body(Body::empty())?
        }
    };
    let response = app.clone().oneshot(request).await?;
    let status = response.status();
    let bytes = gateway::stack::axum::body::to_bytes(response.into_body(), 1 << 20).await?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_run_logs_no_name_email_or_phone() -> anyhow::Result<()> {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init()
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    // The whole application as `semaine up` runs it: the webhooks' deliveries are allowed to
    // the loopback receiver.
    let desk = Desk::start().await?;
    let (week, state, app) = (&desk.week, &desk.state, &desk.router);
    let progress = |name: &str| {
        state
            .projections
            .get(name)
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("the application runs {name}"))
    };
    let mut partners_progress = progress(views::PartnerView::NAME)?;
    let mut hooks_progress = progress(gateway::routes::webhooks::DELIVERIES)?;
    let (receiver_url, received) = serve_receiver().await?;

    let (_, _, session) = week.open_session(5, tuesday(10, 0), tuesday(11, 0)).await?;
    week.declare_partner("mission-locale-gap").await?;
    let (_, secret) = state
        .keys
        .create(Role::Partner(partner_id("mission-locale-gap")))
        .await?;
    let secret = secret.expose().to_owned();

    // The partner subscribes; deliveries start once the process has read the subscription.
    let (status, subscribed) = send(
        app,
        Method::POST,
        "/webhooks",
        &secret,
        Some(&json!({
            "url": receiver_url,
            "kinds": ["registration.confirmed", "registration.cancelled"],
        })),
        "subscribe",
    )
    .await?;
    assert_eq!(status, StatusCode::CREATED, "{subscribed}");
    let subscription = subscribed["subscription"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let subscribed_at = subscribed["seq"].as_u64().unwrap_or(u64::MAX);
    tokio::time::timeout(
        Duration::from_secs(10),
        hooks_progress.wait_for(|p| {
            p.checkpoints
                .get(webhooks::STREAM.name)
                .is_some_and(|c| *c >= subscribed_at)
        }),
    )
    .await??;

    let people: Vec<Seeded> = (0..8).map(seeded).collect();
    let mut participants = Vec::new();
    for (n, person) in people.iter().enumerate() {
        let body = json!({
            "session": session,
            "reference": format!("ml-{n}"),
            "attendee": { "kind": "person" },
            "profile": { "audience": "young_people", "age_band": "from16_to25", "town": "05061" },
            "identity": {
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "phone": person.phone,
            },
        });
        let key = format!("register-{n}");
        for _attempt in 0..2 {
            let (status, answer) = send(
                app,
                Method::POST,
                "/registrations",
                &secret,
                Some(&body),
                &key,
            )
            .await?;
            assert_eq!(status, StatusCode::CREATED, "{answer}");
            participants.push(
                answer["participant"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        // The same person sent with an email where a town or an audience goes: refused, 4xx.
        for bad in [
            json!({ "audience": person.email, "age_band": "from16_to25" }),
            json!({ "audience": "young_people", "age_band": "from16_to25", "town": person.email }),
        ] {
            let mut wrong = body.clone();
            wrong["profile"] = bad;
            let (status, _) = send(
                app,
                Method::POST,
                "/registrations",
                &secret,
                Some(&wrong),
                &format!("{key}-bad-{}", uuid::Uuid::now_v7()),
            )
            .await?;
            assert!(status.is_client_error(), "{status}");
        }
    }

    // Read back, identities opened, once the partners' view has them all.
    let last = week.log.last_sequence(registration::STREAM.name).await?;
    tokio::time::timeout(
        Duration::from_secs(10),
        partners_progress.wait_for(|p| {
            p.checkpoints
                .get(registration::STREAM.name)
                .copied()
                .unwrap_or(0)
                >= last
        }),
    )
    .await??;
    let (status, listed) = send(app, Method::GET, "/registrations", &secret, None, "").await?;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(
        listed.to_string().contains(&people[0].email),
        "the partner reads its people back"
    );
    for participant in participants.iter().step_by(2) {
        let (status, _) = send(
            app,
            Method::GET,
            &format!("/participants/{participant}"),
            &secret,
            None,
            "",
        )
        .await?;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, erased) = send(
        app,
        Method::POST,
        &format!("/participants/{}/erase", participants[0]),
        &secret,
        None,
        "erase-0",
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{erased}");

    // Every registration was delivered to the receiver (5 seats: 5 confirmed, 3 waiting), and
    // the partner reads its delivery log back.
    eventually("the deliveries of the confirmed registrations", || async {
        Ok((received.lock().map(|r| r.len()).unwrap_or(0) >= 5).then_some(()))
    })
    .await?;
    let (status, deliveries) = send(
        app,
        Method::GET,
        &format!("/webhooks/{subscription}/deliveries"),
        &secret,
        None,
        "",
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{deliveries}");
    assert_eq!(
        deliveries["items"].as_array().map(Vec::len),
        Some(5),
        "{deliveries}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(desk);

    let logs = captured.text();
    assert!(
        logs.contains("projection running") && logs.len() > 10_000,
        "the capture holds the run's logs ({} bytes)",
        logs.len()
    );
    assert!(
        logs.contains("webhooks::") && logs.contains("hyper"),
        "the capture holds the webhooks' logs and their HTTP client's"
    );
    println!(
        "personal data: {} people registered (each sent twice) through HTTP with names, emails \
         and phones, {} malformed bodies carrying an email, reads, an erasure and {} webhook \
         deliveries; {} log lines ({} bytes) captured at trace level",
        people.len(),
        people.len() * 2,
        received.lock().map(|r| r.len()).unwrap_or(0),
        logs.lines().count(),
        logs.len()
    );
    let mut leaks = Vec::new();
    for person in &people {
        for value in [
            &person.first_name,
            &person.last_name,
            &person.email,
            &person.phone,
        ] {
            if let Some(line) = logs.lines().find(|line| line.contains(value.as_str())) {
                leaks.push(format!(
                    "`{value}` in: {}",
                    line.chars().take(400).collect::<String>()
                ));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "personal data in the logs ({} bytes captured):\n{}",
        logs.len(),
        leaks.join("\n")
    );
    Ok(())
}
