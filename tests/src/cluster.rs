//! [`TestCluster`]: three nats-server processes on loopback ports forming one JetStream cluster,
//! for the tests of what semaine does when a node (a stream's leader, say) dies.
//!
//! Each node has its own client, cluster (route) and monitoring ports, chosen free, and its own
//! temporary store with `sync_interval: always` (the production profile of
//! `deploy/cluster/`). [`TestCluster::start`] starts the three and waits until JetStream answers
//! on every node and the meta group has a leader. A node can be SIGKILLed and restarted on the
//! same ports and store; [`TestCluster::stream_leader`] says which node leads a stream (from
//! `$JS.API.STREAM.INFO`), and [`TestCluster::node_last_sequence`] what one node holds of it
//! (from its own monitoring endpoint, `/jsz`), to see a restarted node catch up. Every process
//! is killed when the cluster is dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use eventlog::{EventLog, LogConfig};
use nats_local::NatsServerBinary;

use crate::Servers;

/// How many nodes the cluster has.
pub const NODES: usize = 3;

/// How long a start (or a restart) may take before it is a failure.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// One node of the cluster: its ports, its files, its process while it runs.
struct Node {
    /// `n0`, `n1`, `n2`: the server name JetStream reports leaders by.
    name: String,
    /// Where clients connect.
    client_port: u16,
    /// Where its monitoring endpoint (`/jsz`) answers.
    monitor_port: u16,
    /// Its configuration file, written once, used at every (re)start.
    config: PathBuf,
    /// Its log file: stdout and stderr of every run, appended.
    log: PathBuf,
    /// The running process; `None` once killed.
    child: Option<Child>,
}

impl Node {
    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.client_port)
    }

    fn spawn(&mut self, binary: &Path) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(binary)
            .arg("-c")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start node {}", self.name))?;
        self.child = Some(child);
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The end of its log, for failure messages.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// Three nats-server processes forming one JetStream cluster.
pub struct TestCluster {
    binary: NatsServerBinary,
    nodes: Vec<tokio::sync::Mutex<Node>>,
    /// The nodes' names and client URLs, fixed at start.
    urls: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.get_mut().kill();
        }
    }
}

/// `count` free loopback ports, all distinct (each held until all are found).
fn free_ports(count: usize) -> anyhow::Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<Vec<_>, _>>()?)
}

fn quoted(path: &Path) -> String {
    serde_json::to_string(&path.to_string_lossy()).unwrap_or_else(|_| "\"\"".into())
}

impl TestCluster {
    /// Starts three nodes and waits until JetStream answers on each, with a meta leader.
    pub async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let binary = NatsServerBinary::locate(&[workspace.join(".tools/bin")])?;
        let ports = free_ports(NODES * 3)?;
        let routes: Vec<String> = (0..NODES)
            .map(|i| format!("\"nats-route://127.0.0.1:{}\"", ports[NODES + i]))
            .collect();
        let mut nodes = Vec::new();
        for i in 0..NODES {
            let name = format!("n{i}");
            let store = dir.path().join(&name).join("js");
            std::fs::create_dir_all(&store)?;
            let config = dir.path().join(&name).join("nats-server.conf");
            let text = format!(
                "# a node of the test cluster; see deploy/cluster/ for production\n\
                 server_name: {name}\n\
                 listen: \"127.0.0.1:{client}\"\n\
                 http: \"127.0.0.1:{monitor}\"\n\
                 jetstream {{\n  store_dir: {store}\n  sync_interval: always\n}}\n\
                 cluster {{\n  name: semaine_test\n  listen: \"127.0.0.1:{cluster}\"\n  \
                 routes: [{routes}]\n}}\n",
                client = ports[i],
                cluster = ports[NODES + i],
                monitor = ports[2 * NODES + i],
                store = quoted(&store),
                routes = routes.join(", "),
            );
            std::fs::write(&config, text)?;
            nodes.push(Node {
                name,
                client_port: ports[i],
                monitor_port: ports[2 * NODES + i],
                config,
                log: dir.path().join(format!("n{i}.log")),
                child: None,
            });
        }
        let urls = nodes.iter().map(Node::url).collect();
        let cluster = Self {
            binary,
            nodes: nodes.into_iter().map(tokio::sync::Mutex::new).collect(),
            urls,
            _dir: dir,
        };
        for node in &cluster.nodes {
            node.lock().await.spawn(&cluster.binary.path)?;
        }
        for index in 0..NODES {
            cluster.wait_until_ready(index).await?;
        }
        Ok(cluster)
    }

    /// The client URLs of the three nodes.
    pub fn urls(&self) -> Vec<String> {
        self.urls.clone()
    }

    /// The name JetStream gives node `index` (`n0`…).
    pub fn node_name(index: usize) -> String {
        format!("n{index}")
    }

    /// SIGKILLs node `index`, as a crash would.
    pub async fn kill(&self, index: usize) {
        self.nodes[index].lock().await.kill();
    }

    /// Starts node `index` again on its ports and store, and waits until it answers.
    pub async fn restart(&self, index: usize) -> anyhow::Result<()> {
        {
            let mut node = self.nodes[index].lock().await;
            node.kill();
            node.spawn(&self.binary.path)?;
        }
        self.wait_until_ready(index).await
    }

    /// Waits until node `index` answers JetStream requests and knows a meta leader.
    async fn wait_until_ready(&self, index: usize) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let url = self.urls[index].clone();
        loop {
            let answers = async {
                let client = async_nats::connect(&url).await.ok()?;
                async_nats::jetstream::new(client)
                    .query_account()
                    .await
                    .ok()
            };
            let js_ok = matches!(
                tokio::time::timeout(Duration::from_secs(2), answers).await,
                Ok(Some(_))
            );
            if js_ok && self.meta_leader_seen_by(index).await.is_some() {
                return Ok(());
            }
            if Instant::now() > deadline {
                let node = self.nodes[index].lock().await;
                bail!(
                    "node {} did not become ready within {READY_TIMEOUT:?}; its log ends with:\n{}",
                    node.name,
                    node.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A client connected to all three nodes, that keeps reconnecting forever (as the services
    /// do); it moves to another node when its own dies.
    pub async fn connect(&self) -> anyhow::Result<async_nats::Client> {
        Ok(eventlog::client::connect_options("semaine-tests")
            .connect(self.urls.as_slice())
            .await?)
    }

    /// Opens the event log on the cluster with three replicas per stream.
    pub async fn open_log(&self, mut config: LogConfig) -> anyhow::Result<EventLog> {
        config.replicas = NODES;
        Ok(EventLog::open(self.connect().await?, config).await?)
    }

    /// Which node leads `stream` now, as `$JS.API.STREAM.INFO` reports it; `None` during an
    /// election or while JetStream does not answer.
    pub async fn stream_leader(&self, client: &async_nats::Client, stream: &str) -> Option<usize> {
        let js = async_nats::jetstream::new(client.clone());
        let ask = async {
            let mut handle = js.get_stream(stream).await.ok()?;
            let info = handle.info().await.ok()?;
            info.cluster.as_ref()?.leader.clone()
        };
        let leader = tokio::time::timeout(Duration::from_secs(5), ask)
            .await
            .ok()
            .flatten()?;
        (0..NODES).find(|&i| Self::node_name(i) == leader)
    }

    /// The meta group's leader as node `index` sees it (its `/jsz`), if it sees one.
    pub async fn meta_leader_seen_by(&self, index: usize) -> Option<String> {
        let jsz = self.jsz(index, "").await.ok()?;
        let leader = jsz.get("meta_cluster")?.get("leader")?.as_str()?;
        (!leader.is_empty()).then(|| leader.to_owned())
    }

    /// The last sequence of `stream` in node `index`'s own store, from its monitoring endpoint;
    /// `None` when the node does not answer or holds no replica of the stream.
    pub async fn node_last_sequence(&self, index: usize, stream: &str) -> Option<u64> {
        let jsz = self.jsz(index, "?accounts=true&streams=true").await.ok()?;
        jsz.get("account_details")?
            .as_array()?
            .iter()
            .filter_map(|account| account.get("stream_detail")?.as_array())
            .flatten()
            .find(|detail| detail.get("name").and_then(|n| n.as_str()) == Some(stream))?
            .get("state")?
            .get("last_seq")?
            .as_u64()
    }

    /// `GET /jsz<query>` on node `index`'s monitoring port, as JSON.
    async fn jsz(&self, index: usize, query: &str) -> anyhow::Result<serde_json::Value> {
        let port = self.nodes[index].lock().await.monitor_port;
        let path = format!("/jsz{query}");
        tokio::task::spawn_blocking(move || http_get_json(port, &path)).await?
    }
}

impl Servers for TestCluster {
    async fn client(&self) -> anyhow::Result<async_nats::Client> {
        self.connect().await
    }

    fn replicas(&self) -> usize {
        NODES
    }

    fn nats_settings(&self) -> anyhow::Result<semaine::configuration::NatsSettings> {
        crate::remote(&self.urls, semaine::configuration::RemoteAccess::default())
    }
}

/// A plain HTTP/1.0 GET on a loopback port, its body read as JSON (the monitoring endpoint of
/// nats-server answers one request per connection).
fn http_get_json(port: u16, path: &str) -> anyhow::Result<serde_json::Value> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("an HTTP answer without a body")?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        bail!(
            "GET {path} answered {}",
            head.lines().next().unwrap_or_default()
        );
    }
    Ok(serde_json::from_str(body)?)
}
