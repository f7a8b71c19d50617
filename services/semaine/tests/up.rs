//! The binary, driven as an operator drives it: `semaine up` in a fresh data directory, stopped
//! with SIGTERM; `semaine rebuild` and `semaine projections`, which start, report and exit.
//!
//! Each test runs the real binary with its own temporary data directory, so its own local
//! nats-server on a free port: they run in parallel. The nats-server is the one
//! `nats_local::NatsServerBinary::locate` finds from this crate's directory (`.tools/bin` of the
//! workspace, where `scripts/ensure-nats-server` puts it).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

/// How long `semaine up` may take to print its banner (a cold nats-server included).
const BANNER_WAIT: Duration = Duration::from_secs(60);

/// How long `semaine up` may take to stop after SIGTERM.
const EXIT_WAIT: Duration = Duration::from_secs(30);

/// The environment variables the binary reads; the tests set what they mean through flags.
const SEMAINE_VARS: [&str; 8] = [
    "SEMAINE_DATA_DIR",
    "SEMAINE_LOG_FORMAT",
    "SEMAINE_NATS_URL",
    "SEMAINE_REPLICAS",
    "SEMAINE_NO_SYNC_ALWAYS",
    "SEMAINE_DEMO",
    "SEMAINE_HTTP",
    "SEMAINE_ONLY",
];

/// `semaine --data-dir <data_dir> <args>`, with none of the operator's environment.
fn semaine(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_semaine"));
    for var in SEMAINE_VARS {
        command.env_remove(var);
    }
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--http", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null());
    command
}

/// Runs a command that exits by itself, and returns what it did.
fn run_to_end(data_dir: &Path, args: &[&str]) -> Result<Output> {
    semaine(data_dir, args)
        .output()
        .with_context(|| format!("cannot run semaine {args:?}"))
}

/// `semaine <args>` run to its end on a new, empty data directory, which must succeed: its
/// stdout (an error shows the exit, the stdout and the stderr).
fn succeeded(args: &[&str]) -> Result<String> {
    let data_dir = tempfile::tempdir()?;
    let output = run_to_end(data_dir.path(), args)?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.success(),
        "semaine {} exited with {}; stdout:\n{stdout}\nstderr:\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}

/// A running `semaine up`: its stdout line by line, its stderr kept for failure messages.
/// Dropped before it exited (a failed assertion), it is stopped: SIGTERM, then SIGKILL.
struct Up {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: Option<JoinHandle<String>>,
    seen: Vec<String>,
}

impl Up {
    fn start(data_dir: &Path) -> Result<Self> {
        Self::start_with(data_dir, &["up"])
    }

    fn start_with(data_dir: &Path, args: &[&str]) -> Result<Self> {
        let mut child = semaine(data_dir, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start semaine up")?;
        let stdout = child.stdout.take().context("no stdout pipe")?;
        let mut stderr = child.stderr.take().context("no stderr pipe")?;
        let (lines, stdout_lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            stderr.read_to_string(&mut text).ok();
            text
        });
        Ok(Self {
            child,
            stdout: stdout_lines,
            stderr: Some(stderr),
            seen: Vec::new(),
        })
    }

    /// Reads stdout until a line contains `needle`, for at most `wait`.
    fn wait_for_line(&mut self, needle: &str, wait: Duration) -> Result<String> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return Ok(line);
                    }
                }
                Err(e) => {
                    let status = self.child.try_wait().ok().flatten();
                    bail!(
                        "no line with `{needle}` on stdout ({e}; exit status {status:?}); \
                         stdout so far:\n{}\nstderr:\n{}",
                        self.seen.join("\n"),
                        self.stop_and_collect_stderr()
                    );
                }
            }
        }
    }

    /// Sends SIGTERM, as a service manager does.
    fn terminate(&self) -> Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .context("cannot run kill")?;
        ensure!(status.success(), "kill -TERM failed: {status}");
        Ok(())
    }

    /// Waits for the process to exit, for at most `wait`.
    fn wait_for_exit(&mut self, wait: Duration) -> Result<Option<ExitStatus>> {
        let deadline = Instant::now() + wait;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(None)
    }

    /// Everything the process wrote on stdout after the lines already seen, once it exited.
    fn rest_of_stdout(&mut self) -> Vec<String> {
        self.stdout.iter().collect()
    }

    /// Sends SIGTERM and expects a clean exit within [`EXIT_WAIT`]; an error names `what` and
    /// shows the exit and the stderr otherwise.
    fn stop_cleanly(&mut self, what: &str) -> Result<()> {
        self.terminate()?;
        let status = self.wait_for_exit(EXIT_WAIT)?;
        ensure!(
            status.is_some_and(|s| s.success()),
            "{what}: exit {status:?}; stderr:\n{}",
            self.stop_and_collect_stderr()
        );
        Ok(())
    }

    /// Its stderr, once it exited (stopping it first if it has not).
    fn stop_and_collect_stderr(&mut self) -> String {
        if self.child.try_wait().ok().flatten().is_none() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
        self.stderr
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Up {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.terminate().ok();
            if self
                .wait_for_exit(Duration::from_secs(15))
                .ok()
                .flatten()
                .is_none()
            {
                self.child.kill().ok();
                self.child.wait().ok();
            }
        }
    }
}

/// The `host:port` of the first `nats://…` in a banner line.
fn nats_address(line: &str) -> Result<SocketAddr> {
    let url = line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("nats://"))
        .with_context(|| format!("no nats:// URL in `{line}`"))?;
    let host_port = url.trim_end_matches([',', ')', ';']);
    host_port
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve `{host_port}`"))?
        .next()
        .with_context(|| format!("`{host_port}` resolves to nothing"))
}

fn accepts_connections(address: SocketAddr) -> bool {
    TcpStream::connect_timeout(&address, Duration::from_secs(1)).is_ok()
}

#[test]
fn up_runs_until_sigterm_then_stops_its_nats_server() -> Result<()> {
    let data_dir = tempfile::tempdir()?;
    let mut up = Up::start(data_dir.path())?;

    let nats_line = up.wait_for_line("nats://", BANNER_WAIT)?;
    let nats = nats_address(&nats_line)?;
    ensure!(
        accepts_connections(nats),
        "the banner names {nats}, which accepts no connection"
    );
    // The banner names what runs: every read model among them.
    let projections = up.wait_for_line("projections", Duration::from_secs(5))?;
    for name in [
        "catalogue",
        "partner-view",
        "venue-view",
        "statistics",
        "jobdating-view",
    ] {
        ensure!(projections.contains(name), "{projections}");
    }

    // The local nats-server lets in semaine's one user only, whose password is in a file of the
    // data directory that its owner alone reads; semaine, connected with it, is running.
    let credentials_file = data_dir.path().join("nats-credentials");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&credentials_file)?.permissions(),
    );
    ensure!(
        mode & 0o777 == 0o600,
        "credentials' mode {:o}",
        mode & 0o777
    );
    let credentials = std::fs::read_to_string(&credentials_file)?;
    let (user, password) = credentials
        .trim_end()
        .split_once(':')
        .context("user:password")?;
    let anonymous = tests::nats_handshake(nats, "{\"verbose\":false}", "")?;
    ensure!(
        anonymous.contains("Authorization Violation"),
        "a client without credentials is refused: {anonymous}"
    );
    let wrong = tests::nats_handshake(
        nats,
        &format!("{{\"user\":\"{user}\",\"pass\":\"not-it\"}}"),
        "",
    )?;
    ensure!(
        wrong.contains("Authorization Violation"),
        "a wrong password too: {wrong}"
    );
    let semaines = tests::nats_handshake(
        nats,
        &format!("{{\"user\":\"{user}\",\"pass\":\"{password}\"}}"),
        "",
    )?;
    ensure!(
        semaines.contains("PONG"),
        "semaine's credentials are let in: {semaines}"
    );
    let config = std::fs::read_dir(data_dir.path())?
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("nats-server.conf"))
        .find(|path| path.exists())
        .context("the local nats-server's configuration")?;
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&config)?.permissions());
    ensure!(
        mode & 0o077 == 0,
        "its configuration holds the password: mode {:o}",
        mode & 0o777
    );

    // While it runs, the data directory is its own: a second semaine is refused before it
    // starts a second nats-server on the same store.
    let second = run_to_end(data_dir.path(), &["projections"])?;
    ensure!(
        !second.status.success(),
        "a second semaine ran on a data directory in use"
    );
    let refusal = String::from_utf8_lossy(&second.stderr);
    ensure!(
        refusal.contains("another semaine"),
        "unexpected refusal: {refusal}"
    );

    up.terminate()?;
    let Some(status) = up.wait_for_exit(EXIT_WAIT)? else {
        bail!(
            "semaine up still runs {EXIT_WAIT:?} after SIGTERM; stderr:\n{}",
            up.stop_and_collect_stderr()
        );
    };
    let stderr = up.stop_and_collect_stderr();
    ensure!(
        status.success(),
        "semaine up exited with {status} after SIGTERM; stderr:\n{stderr}"
    );
    let rest = up.rest_of_stdout();
    ensure!(
        rest.iter().any(|line| line.contains("semaine stopped")),
        "no farewell on stdout: {rest:?}"
    );
    ensure!(
        !accepts_connections(nats),
        "the nats-server it started still listens on {nats}"
    );
    Ok(())
}

#[test]
fn rebuild_all_replays_every_projection_and_exits() -> Result<()> {
    let stdout = succeeded(&["rebuild", "all"])?;
    ensure!(
        stdout.contains("messages applied"),
        "no count of applied messages: {stdout}"
    );
    Ok(())
}

#[test]
fn rebuilding_an_unknown_projection_is_refused_by_name() -> Result<()> {
    let data_dir = tempfile::tempdir()?;
    let output = run_to_end(data_dir.path(), &["rebuild", "no-such-view"])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(
        !output.status.success(),
        "rebuilding an unknown projection succeeded"
    );
    ensure!(
        stderr.contains("no-such-view"),
        "the refusal does not name it: {stderr}"
    );
    Ok(())
}

#[test]
fn projections_lists_what_is_registered_and_exits() -> Result<()> {
    succeeded(&["projections"])?;
    Ok(())
}

/// The README's first command loads the demo week: its venues confirm every session, and loading
/// it again on the same data directory changes nothing.
#[test]
fn up_with_the_demo_shows_a_week_with_confirmed_venues() -> Result<()> {
    let data_dir = tempfile::tempdir()?;
    for run in ["first", "second"] {
        let mut up = Up::start_with(data_dir.path(), &["up", "--demo"])?;
        let http = http_address(&up.wait_for_line("HTTP", BANNER_WAIT)?)?;
        up.wait_for_line("demo edition:", Duration::from_secs(60))?;
        let mut sessions = Vec::new();
        for _ in 0..9 {
            sessions.push(up.wait_for_line("lieu confirmé", Duration::from_secs(5))?);
        }
        for town in ["Gap", "Embrun", "Laragne-Montéglin", "Veynes"] {
            ensure!(
                sessions
                    .iter()
                    .any(|s| s.contains(town) && s.contains("Job-dating")),
                "{run} run: no job-dating in {town}: {sessions:#?}"
            );
        }
        ensure!(
            sessions.iter().any(|s| s.contains("Cérémonie de clôture")),
            "{run} run: no closing ceremony"
        );
        // `--http 127.0.0.1:0`: the console's address is the port the gateway listens on.
        let console = up.wait_for_line("console: http://", Duration::from_secs(5))?;
        ensure!(
            console.contains(&format!("http://{http}/console/editions/")),
            "{run} run: the console is announced at {console:?}, the gateway listens on {http}"
        );
        up.stop_cleanly(&format!("{run} run"))?;
    }
    Ok(())
}

/// `semaine keys create` prints a secret once; `list` shows the key without it; `revoke` ends it.
#[test]
fn keys_are_shown_once_listed_without_their_secret_and_revoked() -> Result<()> {
    let data_dir = tempfile::tempdir()?;
    let created = run_to_end(
        data_dir.path(),
        &[
            "keys",
            "create",
            "--role",
            "partner",
            "--scope",
            "mission-locale-gap",
        ],
    )?;
    let stdout = String::from_utf8_lossy(&created.stdout).into_owned();
    ensure!(created.status.success(), "create failed: {stdout}");
    let secret = stdout
        .split_whitespace()
        .find(|word| word.starts_with("semaine_"))
        .context("no secret printed")?
        .to_owned();
    let key_id = stdout
        .split_whitespace()
        .nth(1)
        .context("no key id printed")?
        .to_owned();
    let listed = run_to_end(data_dir.path(), &["keys", "list"])?;
    let listing = String::from_utf8_lossy(&listed.stdout);
    ensure!(
        listed.status.success() && listing.contains(&key_id),
        "{listing}"
    );
    ensure!(!listing.contains(&secret), "the listing shows the secret");
    let refused = run_to_end(
        data_dir.path(),
        &["keys", "create", "--role", "astronaut", "--scope", "*"],
    )?;
    ensure!(!refused.status.success(), "an unknown role was accepted");
    // For scripts: one JSON object.
    let json = run_to_end(
        data_dir.path(),
        &[
            "keys",
            "create",
            "--role",
            "venue",
            "--scope",
            "01962f00-0000-7000-8000-000000007e01",
            "--json",
        ],
    )?;
    ensure!(json.status.success(), "create --json failed");
    let made: serde_json::Value = serde_json::from_slice(&json.stdout)?;
    ensure!(
        made["secret"]
            .as_str()
            .is_some_and(|s| s.starts_with("semaine_"))
            && made["role"] == "venue"
            && made["key"].is_string(),
        "{made}"
    );
    let revoked = run_to_end(data_dir.path(), &["keys", "revoke", &key_id])?;
    ensure!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    Ok(())
}

/// `GET <path>` on `address` over plain HTTP/1.0: the status code and the body.
fn http_get(address: SocketAddr, path: &str) -> Result<(u16, String)> {
    use std::io::Write;
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .with_context(|| format!("no status in `{answer}`"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// The `host:port` of the `http://…` in the banner's HTTP line.
fn http_address(line: &str) -> Result<SocketAddr> {
    let url = line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("http://"))
        .with_context(|| format!("no http:// URL in `{line}`"))?;
    Ok(url.parse()?)
}

/// A read model's store damaged, another's deleted, with semaine stopped: at the next start the
/// damaged store is moved aside, both are replayed from the log, `/readyz` answers ready once they
/// caught up (lag 0), and semaine keeps running: no crash loop.
#[test]
fn a_damaged_or_deleted_read_model_is_replayed_at_start() -> Result<()> {
    let data_dir = tempfile::tempdir()?;
    let mut up = Up::start_with(data_dir.path(), &["up", "--demo"])?;
    up.wait_for_line("demo edition:", Duration::from_secs(60))?;
    for _ in 0..9 {
        up.wait_for_line("lieu confirmé", Duration::from_secs(5))?;
    }
    up.stop_cleanly("the first run")?;

    let projections = data_dir.path().join("projections");
    for file in ["conf", "db"] {
        std::fs::write(projections.join("catalogue").join(file), vec![0xA5u8; 4096])?;
    }
    std::fs::remove_dir_all(projections.join("statistics"))?;

    let mut up = Up::start(data_dir.path())?;
    let http = http_address(&up.wait_for_line("HTTP", BANNER_WAIT)?)?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = http_get(http, "/readyz")?;
        if status == 200 {
            break;
        }
        ensure!(status == 503, "/readyz answered {status}: {body}");
        ensure!(
            Instant::now() < deadline,
            "/readyz still not ready after 30 s: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, metrics) = http_get(http, "/metrics")?;
    for name in ["catalogue", "statistics"] {
        let line = format!("semaine_projection_lag{{projection=\"{name}\"}} 0");
        ensure!(metrics.contains(&line), "no `{line}` in:\n{metrics}");
    }
    let set_aside = std::fs::read_dir(&projections)?
        .filter_map(Result::ok)
        .any(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("catalogue.corrupt-")
        });
    ensure!(set_aside, "the damaged catalogue store was not kept aside");
    ensure!(up.child.try_wait()?.is_none(), "semaine stopped on its own");
    up.stop_cleanly("semaine up")?;
    Ok(())
}

/// `up --only` runs parts of semaine as separate processes: a gateway alone opens no read
/// model's store and answers ready; the processes alone serve no HTTP.
#[test]
fn up_only_runs_the_parts_it_is_given() -> Result<()> {
    let data_dir = tempfile::tempdir()?;
    let mut gateway = Up::start_with(data_dir.path(), &["up", "--only", "gateway"])?;
    let first = gateway.wait_for_line("semaine is up", BANNER_WAIT)?;
    ensure!(first.contains("only gateway"), "{first}");
    let http = http_address(&gateway.wait_for_line("HTTP", Duration::from_secs(5))?)?;
    let processes = gateway.wait_for_line("processes", Duration::from_secs(5))?;
    ensure!(processes.contains("none yet"), "{processes}");
    let (status, body) = http_get(http, "/readyz")?;
    ensure!(status == 200, "/readyz: {status} {body}");
    ensure!(
        !data_dir.path().join("projections").exists(),
        "a gateway alone opened the read models' stores"
    );
    gateway.stop_cleanly("the gateway")?;

    let mut processes = Up::start_with(data_dir.path(), &["up", "--only", "processes"])?;
    let http = processes.wait_for_line("HTTP", BANNER_WAIT)?;
    ensure!(http.contains("not served"), "{http}");
    let running = processes.wait_for_line("processes", Duration::from_secs(5))?;
    ensure!(running.contains("agenda-keeper"), "{running}");
    let projections = processes.wait_for_line("projections", Duration::from_secs(5))?;
    ensure!(projections.contains("none yet"), "{projections}");
    processes.stop_cleanly("the processes")?;
    Ok(())
}
