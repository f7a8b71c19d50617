//! NATS behind credentials: the production profile of one nats-server
//! (`deploy/single-node/nats-server.conf`), run as written (only its port, store and monitoring
//! moved to the test's), lets semaine's user do a week's work (streams, atomic batches, direct
//! gets, consumers, key-value buckets, the processes) and nobody else in; semaine's user may not
//! publish outside semaine's subjects.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use nats_local::NatsServerBinary;
use proto::taxonomy::Audience;
use tests::week::{Week, tuesday};
use tests::{Servers, nats_handshake};

/// A nats-server running the deployed single-node configuration.
struct Deployed {
    child: Child,
    address: SocketAddr,
    password: String,
    _dir: tempfile::TempDir,
}

impl Drop for Deployed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Deployed {
    fn start() -> anyhow::Result<Self> {
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let deployed =
            std::fs::read_to_string(workspace.join("deploy/single-node/nats-server.conf"))?;
        let dir = tempfile::tempdir()?;
        let store = dir.path().join("store");
        let config = deployed
            .replace(
                "listen: \"127.0.0.1:4222\"",
                &format!(
                    "listen: \"127.0.0.1:-1\"\nports_file_dir: {:?}",
                    dir.path().display().to_string()
                ),
            )
            .replace("http: \"127.0.0.1:8222\"\n", "")
            .replace(
                "\"/var/lib/semaine/nats\"",
                &format!("{:?}", store.display().to_string()),
            );
        ensure!(config != deployed, "the deployed configuration has moved");
        let path = dir.path().join("nats-server.conf");
        std::fs::write(&path, config)?;
        let binary = NatsServerBinary::locate(&[workspace.join(".tools/bin")])?;
        let password = nats_local::Credentials::ensure(&dir.path().join("credentials"))?.password;
        let child = Command::new(&binary.path)
            .arg("-c")
            .arg(&path)
            .env("SEMAINE_NATS_PASSWORD", &password)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let ports_file = dir.path().join(format!(
            "{}_{}.ports",
            binary
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("nats-server"),
            child.id()
        ));
        let mut server = Self {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            password,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("the deployed nats-server exited: {status}");
            }
            // A ports file that does not parse yet is still being written: wait for it.
            if let Some(ports) = std::fs::read_to_string(&ports_file)
                .ok()
                .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            {
                let url = ports["nats"][0].as_str().context("a client URL")?;
                let port = url.rsplit(':').next().context("a port")?.parse::<u16>()?;
                server.address = SocketAddr::from(([127, 0, 0, 1], port));
                return Ok(server);
            }
            ensure!(Instant::now() < deadline, "no ports file in 30 s");
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Servers for Deployed {
    async fn client(&self) -> anyhow::Result<async_nats::Client> {
        Ok(eventlog::client::connect_options("semaine-tests")
            .user_and_password("semaine".into(), self.password.clone())
            .connect(format!("nats://{}", self.address))
            .await?)
    }

    fn replicas(&self) -> usize {
        1
    }

    fn nats_settings(&self) -> anyhow::Result<semaine::configuration::NatsSettings> {
        tests::remote(
            &[format!("nats://{}", self.address)],
            semaine::configuration::RemoteAccess {
                user: Some(nats_local::Credentials {
                    user: "semaine".into(),
                    password: self.password.clone(),
                }),
                tls_ca: None,
            },
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployed_profile_lets_semaine_work_and_nobody_else_in() -> anyhow::Result<()> {
    let deployed = Deployed::start()?;
    let address = deployed.address;
    let password = deployed.password.clone();

    let anonymous = nats_handshake(address, "{\"verbose\":false}", "")?;
    ensure!(anonymous.contains("Authorization Violation"), "{anonymous}");
    let wrong = nats_handshake(address, "{\"user\":\"semaine\",\"pass\":\"guess\"}", "")?;
    ensure!(wrong.contains("Authorization Violation"), "{wrong}");
    let semaine = format!("{{\"user\":\"semaine\",\"pass\":\"{password}\",\"verbose\":false}}");
    let elsewhere = nats_handshake(address, &semaine, "PUB other.things 2\r\nhi\r\n")?;
    ensure!(
        elsewhere.contains("Permissions Violation"),
        "semaine's user publishes on semaine's subjects only: {elsewhere}"
    );
    let listening = nats_handshake(address, &semaine, "SUB reg.> 1\r\n")?;
    ensure!(
        listening.contains("Permissions Violation"),
        "nor listens to the log's subjects directly: {listening}"
    );

    // A week's work through that user: the services, their processes, the buckets.
    let week = Week::start_on(deployed).await?;
    let (_, _, session) = week.open_session(5, tuesday(9, 0), tuesday(10, 0)).await?;
    week.declare_partner("mission-locale-gap").await?;
    week.register(
        "mission-locale-gap",
        "ml-0042",
        session,
        Audience::YoungPeople,
        "ml-0042-open-door",
    )
    .await?;
    week.wait_for_seats(session, |seats| seats.confirmed_seats() == 1)
        .await?;
    Ok(())
}
