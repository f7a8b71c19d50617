//! semaine's test harness: real parts on free ports, and helpers that speak the domain.
//!
//! Every integration test starts its own nats-server ([`TestNats`]: a free loopback port, a
//! temporary store, `sync_interval: always`, killed when dropped), opens real sled stores in
//! temporary directories, and drives the services through the same code the binary runs.
//!
//! # Layout
//! - [`TestNats`]: one nats-server for one test; kill it (SIGKILL) and restart it on its store.
//! - [`cluster`]: [`TestCluster`], three nats-server processes forming a JetStream cluster; kill
//!   and restart a node, find a stream's leader, see a node catch up.
//! - [`Servers`]: what a [`week::Week`] runs on, one node or the cluster.
//! - [`week`]: [`week::Week`], the application started as `semaine up` starts it (its services
//!   and processes by default), and verbs to drive it: register a venue, create an edition, add
//!   an open door, schedule a session, confirm it, register a person.
//! - [`desk`]: [`desk::Desk`], a week running the whole application (the gateway, the console and
//!   every read model), called in the process (`get`, `read`, `post`, a venue's `check_in`…) or
//!   on its loopback port for a browser; the HTTP tests' [`desk::Answer`], with its assertions,
//!   and [`desk::send`].
//! - [`browser`]: [`browser::Browser`], a headless Chromium driven through its own chromedriver
//!   (WebDriver), for the console's end-to-end tests.
//! - [`workshop`]: a small aggregate and its read model, in the domain's words, that exercise the
//!   event log and the projection engine before the real services use them.
//! - [`nats_handshake`]: a NATS client's first words, to see what a server lets in.
//! - [`dump()`]: a sled store's whole content, to compare a view with a clean rebuild byte for byte.

pub mod browser;
pub mod cluster;
pub mod desk;
pub mod week;
pub mod workshop;

pub use cluster::TestCluster;

use std::path::PathBuf;

use eventlog::{EventLog, LogConfig, StreamSpec};
use nats_local::{LocalNatsConfig, LocalNatsServer, NatsServerBinary};

/// A nats-server for one test. It can be killed and restarted while clients share it.
pub struct TestNats {
    server: tokio::sync::Mutex<LocalNatsServer>,
    url: String,
    _store: tempfile::TempDir,
}

impl TestNats {
    /// Starts a durable (`sync_interval: always`) nats-server with JetStream on a free port.
    pub async fn start() -> anyhow::Result<Self> {
        let store = tempfile::tempdir()?;
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let binary = NatsServerBinary::locate(&[workspace.join(".tools/bin")])?;
        let server =
            LocalNatsServer::start(binary, LocalNatsConfig::durable(store.path().join("js")))
                .await?;
        Ok(Self {
            url: server.url(),
            server: tokio::sync::Mutex::new(server),
            _store: store,
        })
    }

    /// Its client URL (the same across restarts).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// A new client connection that keeps trying to reconnect forever (as the services do).
    pub async fn client(&self) -> anyhow::Result<async_nats::Client> {
        Ok(eventlog::client::connect_options("semaine-tests")
            .connect(self.url())
            .await?)
    }

    /// SIGKILLs the server, as a crash would.
    pub async fn kill(&self) {
        self.server.lock().await.kill();
    }

    /// Starts it again on the same port and store.
    pub async fn restart(&self) -> anyhow::Result<()> {
        Ok(self.server.lock().await.restart().await?)
    }

    /// Opens the event log on this server with the given streams and tunables.
    pub async fn open_log(&self, config: LogConfig) -> anyhow::Result<EventLog> {
        Ok(EventLog::open(self.client().await?, config).await?)
    }
}

impl Servers for TestNats {
    async fn client(&self) -> anyhow::Result<async_nats::Client> {
        TestNats::client(self).await
    }

    fn replicas(&self) -> usize {
        1
    }

    fn nats_settings(&self) -> anyhow::Result<semaine::configuration::NatsSettings> {
        remote(
            &[self.url()],
            semaine::configuration::RemoteAccess::default(),
        )
    }
}

/// The settings of an application that connects to the servers at `urls` with `access`.
pub fn remote(
    urls: &[String],
    access: semaine::configuration::RemoteAccess,
) -> anyhow::Result<semaine::configuration::NatsSettings> {
    Ok(semaine::configuration::NatsSettings::Remote {
        servers: urls
            .iter()
            .map(|url| url.parse())
            .collect::<Result<_, _>>()?,
        access,
    })
}

/// The NATS a [`week::Week`] runs on: one node ([`TestNats`]) or a cluster ([`TestCluster`]).
pub trait Servers: Send + Sync + 'static {
    /// A new client connection that keeps trying to reconnect forever (as the services do).
    fn client(&self) -> impl Future<Output = anyhow::Result<async_nats::Client>> + Send;

    /// How many replicas each stream and bucket keeps on these servers.
    fn replicas(&self) -> usize;

    /// How the application reaches these servers.
    fn nats_settings(&self) -> anyhow::Result<semaine::configuration::NatsSettings>;
}

/// The stream the harness's own aggregates live in.
pub const WORKSHOPS: StreamSpec = StreamSpec {
    name: "TESTWORKSHOPS",
    subjects: "test.>",
    description: "workshops of the test harness",
};

/// A log configuration with the harness's stream.
pub fn log_config() -> LogConfig {
    LogConfig::new(vec![WORKSHOPS])
}

/// A sled store's whole content: each tree's name with its rows, in order.
pub type StoreDump = Vec<(Vec<u8>, Vec<(Vec<u8>, Vec<u8>)>)>;

/// Every tree of a sled store with its keys and values, in order.
pub fn dump(db: &sled::Db) -> anyhow::Result<StoreDump> {
    let mut names = db.tree_names();
    names.sort();
    let mut all = Vec::new();
    for name in names {
        let tree = db.open_tree(&name)?;
        let mut rows = Vec::new();
        for row in tree.iter() {
            let (k, v) = row?;
            rows.push((k.to_vec(), v.to_vec()));
        }
        all.push((name.to_vec(), rows));
    }
    Ok(all)
}

/// Speaks the NATS protocol's first words to the server at `address`: reads its `INFO`, sends
/// `CONNECT` with `options`, then `then` (raw protocol lines), then a `PING`, and returns the
/// first answer that is not `+OK` (`PONG`, or `-ERR …`): what the server lets that client do.
pub fn nats_handshake(
    address: std::net::SocketAddr,
    options: &str,
    then: &str,
) -> anyhow::Result<String> {
    use std::io::{BufRead, BufReader, Write};
    let mut stream =
        std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_secs(2))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(2)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut info = String::new();
    reader.read_line(&mut info)?;
    anyhow::ensure!(info.starts_with("INFO"), "no INFO from {address}: {info}");
    write!(stream, "CONNECT {options}\r\n{then}PING\r\n")?;
    loop {
        let mut answer = String::new();
        reader.read_line(&mut answer)?;
        if !answer.starts_with("+OK") {
            return Ok(answer);
        }
    }
}
