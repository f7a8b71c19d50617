//! A local nats-server, for the one-process `semaine up`, the test harness and the benchmarks.
//!
//! semaine needs nats-server 2.11 or newer: older servers refuse `sync_interval`, and without it
//! JetStream acknowledges writes before they reach the disk (see
//! `docs/adr/0002-nats-server-2.11.md`). [`NatsServerBinary::locate`] finds one;
//! [`LocalNatsServer::start`] runs it with JetStream, its store in a given directory, on a free
//! loopback port, and waits until JetStream answers. The server is killed when the handle drops.
//!
//! # Layout
//! - [`NatsServerBinary`]: where the executable is and which version it is.
//! - [`LocalNatsConfig`]: what to run: store, port, durability, the one user it lets in.
//! - [`Credentials`]: a user and its password, made once and kept in a file only its owner reads.
//! - [`LocalNatsServer`]: the running process: its URL; kill, stop, restart on the same store.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The oldest nats-server semaine runs on: the first with `sync_interval`.
pub const MINIMUM_VERSION: (u32, u32) = (2, 11);

/// The environment variable that names the nats-server executable to use.
pub const BINARY_ENV: &str = "SEMAINE_NATS_SERVER";

/// Why a local nats-server could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LocalNatsError {
    /// None was found.
    #[error(
        "cannot find nats-server {}.{} or newer: run `scripts/ensure-nats-server` (it installs the pinned release into .tools/), put one on PATH, set {BINARY_ENV}, or give --nats-url",
        MINIMUM_VERSION.0, MINIMUM_VERSION.1
    )]
    NotFound,
    /// One was found but it is too old.
    #[error("{path} is nats-server {version}; semaine needs {}.{} or newer (for `sync_interval`): run `scripts/ensure-nats-server`", MINIMUM_VERSION.0, MINIMUM_VERSION.1)]
    TooOld {
        /// Where it is.
        path: PathBuf,
        /// What it says it is.
        version: String,
    },
    /// It could not be started or did not become ready.
    #[error("cannot start nats-server: {reason}")]
    Start {
        /// What went wrong, with the end of the server's log.
        reason: String,
    },
    /// A file could not be written or read.
    #[error("cannot prepare nats-server's files: {0}")]
    Io(#[from] std::io::Error),
    /// The credentials' file is unsafe or unreadable.
    #[error("cannot use the NATS credentials: {0}")]
    Credentials(String),
}

/// A nats-server executable recent enough for semaine.
#[derive(Debug, Clone)]
pub struct NatsServerBinary {
    /// Its path.
    pub path: PathBuf,
    /// The version it reports, e.g. `2.15.1`.
    pub version: String,
}

impl NatsServerBinary {
    /// Finds nats-server: `$SEMAINE_NATS_SERVER`, then `PATH`, then `.tools/bin/nats-server` in the
    /// current directory or any of its parents (where `scripts/ensure-nats-server` installs it),
    /// then in `extra_dirs`. The first recent enough one is used; `$SEMAINE_NATS_SERVER`, when
    /// set, must be.
    pub fn locate(extra_dirs: &[PathBuf]) -> Result<Self, LocalNatsError> {
        if let Some(explicit) = std::env::var_os(BINARY_ENV) {
            return Self::at(&PathBuf::from(explicit));
        }
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path).map(|dir| dir.join("nats-server")));
        }
        if let Ok(cwd) = std::env::current_dir() {
            candidates.extend(
                cwd.ancestors()
                    .map(|dir| dir.join(".tools/bin/nats-server")),
            );
        }
        candidates.extend(extra_dirs.iter().map(|dir| dir.join("nats-server")));

        let mut too_old = None;
        for path in candidates.into_iter().filter(|p| p.is_file()) {
            match Self::at(&path) {
                Ok(found) => return Ok(found),
                Err(e @ LocalNatsError::TooOld { .. }) => too_old = too_old.or(Some(e)),
                Err(_) => continue,
            }
        }
        Err(too_old.unwrap_or(LocalNatsError::NotFound))
    }

    /// Checks the nats-server at `path`.
    pub fn at(path: &Path) -> Result<Self, LocalNatsError> {
        let output = Command::new(path).arg("--version").output()?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr);
        let version = parse_version(&text).ok_or_else(|| LocalNatsError::Start {
            reason: format!("{} --version said `{}`", path.display(), text.trim()),
        })?;
        if !is_recent_enough(&version) {
            return Err(LocalNatsError::TooOld {
                path: path.to_owned(),
                version,
            });
        }
        Ok(Self {
            path: path.to_owned(),
            version,
        })
    }
}

/// Reads `2.15.1` out of `nats-server: v2.15.1`.
fn parse_version(text: &str) -> Option<String> {
    let start = text
        .char_indices()
        .find(|&(i, c)| c == 'v' && text[i + 1..].starts_with(|d: char| d.is_ascii_digit()))?
        .0
        + 1;
    let version: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    (version.split('.').count() >= 2).then_some(version)
}

fn is_recent_enough(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) >= MINIMUM_VERSION
}

/// A NATS user and its password: the only client a local server lets in when it has them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user's name.
    pub user: String,
    /// Its password: 256 random bits, base64url, never logged (see the `Debug` impl).
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"…")
            .finish()
    }
}

impl Credentials {
    /// The user semaine connects as.
    pub const USER: &'static str = "semaine";

    /// The credentials kept in `path` (`user:password`, one line), made there with new random
    /// ones when the file does not exist; the file is created readable and writable by its owner
    /// only, and one found readable by others is refused.
    pub fn ensure(path: &Path) -> Result<Self, LocalNatsError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    return Err(LocalNatsError::Credentials(format!(
                        "{} is readable by others (mode {:o}); `chmod 600` it",
                        path.display(),
                        mode & 0o777
                    )));
                }
                Self::parse(text.trim_end()).ok_or_else(|| {
                    LocalNatsError::Credentials(format!(
                        "{} does not hold `user:password`",
                        path.display()
                    ))
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let made = Self {
                    user: Self::USER.to_owned(),
                    password: random_password()?,
                };
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)?;
                writeln!(file, "{}:{}", made.user, made.password)?;
                file.sync_all()?;
                Ok(made)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `options` that connect as this user.
    pub fn apply(&self, options: async_nats::ConnectOptions) -> async_nats::ConnectOptions {
        options.user_and_password(self.user.clone(), self.password.clone())
    }

    /// `user:password`, as the file holds them; both must be non-empty and safe to quote.
    fn parse(line: &str) -> Option<Self> {
        let (user, password) = line.split_once(':')?;
        let safe = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (safe(user) && safe(password)).then(|| Self {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }
}

/// 256 bits from the operating system's generator, base64url without padding (43 characters).
fn random_password() -> Result<String, LocalNatsError> {
    let mut bytes = [0u8; 32];
    let mut random = std::fs::File::open("/dev/urandom")?;
    std::io::Read::read_exact(&mut random, &mut bytes)?;
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(43);
    let mut bits: u32 = 0;
    let mut count = 0;
    for byte in bytes {
        bits = (bits << 8) | u32::from(byte);
        count += 8;
        while count >= 6 {
            count -= 6;
            out.push(char::from(ALPHABET[((bits >> count) & 0x3f) as usize]));
        }
    }
    if count > 0 {
        out.push(char::from(
            ALPHABET[((bits << (6 - count)) & 0x3f) as usize],
        ));
    }
    Ok(out)
}

/// How to run a local nats-server.
#[derive(Debug, Clone)]
pub struct LocalNatsConfig {
    /// JetStream's store directory; kept across restarts.
    pub store_dir: PathBuf,
    /// The loopback port; `None` picks a free one.
    pub port: Option<u16>,
    /// `sync_interval: always`: fsync every write before acknowledging it. The production profile
    /// on one node; without it an acknowledged write can be lost on power failure.
    pub sync_always: bool,
    /// How long to wait for JetStream to answer after the start.
    pub ready_timeout: Duration,
    /// The one user it lets in; `None`: anyone who reaches the port (the tests' servers).
    pub credentials: Option<Credentials>,
}

impl LocalNatsConfig {
    /// The production profile on one node: durable writes, a free port.
    pub fn durable(store_dir: impl Into<PathBuf>) -> Self {
        Self {
            store_dir: store_dir.into(),
            port: None,
            sync_always: true,
            ready_timeout: Duration::from_secs(30),
            credentials: None,
        }
    }
}

/// A running local nats-server. Dropping it kills the process.
#[derive(Debug)]
pub struct LocalNatsServer {
    binary: NatsServerBinary,
    config: LocalNatsConfig,
    child: Option<Child>,
    port: u16,
}

impl LocalNatsServer {
    /// Starts nats-server with JetStream and waits until JetStream answers.
    pub async fn start(
        binary: NatsServerBinary,
        config: LocalNatsConfig,
    ) -> Result<Self, LocalNatsError> {
        let mut server = Self {
            binary,
            config,
            child: None,
            port: 0,
        };
        server.spawn_and_wait().await?;
        Ok(server)
    }

    /// The client URL, `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The store directory.
    pub fn store_dir(&self) -> &Path {
        &self.config.store_dir
    }

    /// Whether it fsyncs every write before acknowledging it (`sync_interval: always`).
    pub fn sync_always(&self) -> bool {
        self.config.sync_always
    }

    /// The user it lets in, if it lets in only one.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.config.credentials.as_ref()
    }

    /// The options a client connects to it with: its credentials, when it has them.
    pub fn connect_options(
        &self,
        options: async_nats::ConnectOptions,
    ) -> async_nats::ConnectOptions {
        match &self.config.credentials {
            Some(credentials) => credentials.apply(options),
            None => options,
        }
    }

    /// The version of the running binary.
    pub fn version(&self) -> &str {
        &self.binary.version
    }

    /// SIGKILLs the server, as a crash or a power cut would (with `sync_always`, every
    /// acknowledged write is on disk).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server gracefully (SIGTERM), waiting up to ten seconds before killing it.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts the server again on the same port and store, after [`Self::kill`] or
    /// [`Self::stop`].
    pub async fn restart(&mut self) -> Result<(), LocalNatsError> {
        self.kill();
        self.config.port = Some(self.port);
        self.spawn_and_wait().await
    }

    fn run_dir(&self) -> PathBuf {
        let mut dir = self.config.store_dir.clone().into_os_string();
        dir.push(".run");
        PathBuf::from(dir)
    }

    async fn spawn_and_wait(&mut self) -> Result<(), LocalNatsError> {
        let run_dir = self.run_dir();
        std::fs::create_dir_all(&self.config.store_dir)?;
        std::fs::create_dir_all(&run_dir)?;
        for stale in std::fs::read_dir(&run_dir)? {
            let stale = stale?.path();
            if stale.extension().is_some_and(|e| e == "ports") {
                std::fs::remove_file(stale)?;
            }
        }
        // The configuration holds the password: its owner only reads it, as the directory.
        std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(0o700))?;
        let config_path = run_dir.join("nats-server.conf");
        let _ = std::fs::remove_file(&config_path);
        let mut config_file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&config_path)?;
        config_file.write_all(self.config_text(&run_dir).as_bytes())?;
        drop(config_file);
        let log_path = run_dir.join("nats-server.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        // Its own process group: a Ctrl-C in the terminal reaches semaine, which drains its
        // projections before it stops the server, rather than both at once.
        let child = Command::new(&self.binary.path)
            .process_group(0)
            .arg("-c")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let pid = child.id();
        self.child = Some(child);

        let deadline = Instant::now() + self.config.ready_timeout;
        let ports_file = run_dir.join(format!(
            "{}_{pid}.ports",
            self.binary
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("nats-server")
        ));
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(start_error(format!("it exited with {status}"), &log_path));
            }
            if self.port == 0 || self.config.port.is_none() {
                if let Some(port) = read_client_port(&ports_file) {
                    self.port = port;
                }
            } else if let Some(port) = self.config.port {
                self.port = port;
            }
            if self.port != 0
                && jetstream_answers(&self.url(), self.config.credentials.as_ref()).await
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(start_error(
                    format!(
                        "JetStream did not answer within {:?}",
                        self.config.ready_timeout
                    ),
                    &log_path,
                ));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    fn config_text(&self, run_dir: &Path) -> String {
        let port = self.config.port.map_or(-1, i32::from);
        let sync = if self.config.sync_always {
            "\n  sync_interval: always"
        } else {
            ""
        };
        // The user and password are base64url (checked when read): quoted as JSON strings.
        let authorization = self
            .config
            .credentials
            .as_ref()
            .map_or_else(String::new, |c| {
                format!(
                    "authorization {{\n  user: {}\n  password: {}\n}}\n",
                    quoted(Path::new(&c.user)),
                    quoted(Path::new(&c.password))
                )
            });
        format!(
            "# written by semaine for a local nats-server; see docs/operations.md\n\
             listen: \"127.0.0.1:{port}\"\n\
             server_name: semaine_local\n\
             ports_file_dir: {run}\n\
             {authorization}\
             jetstream {{\n  store_dir: {store}{sync}\n}}\n",
            run = quoted(run_dir),
            store = quoted(&self.config.store_dir),
        )
    }
}

impl Drop for LocalNatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn quoted(path: &Path) -> String {
    serde_json::to_string(&path.to_string_lossy()).unwrap_or_else(|_| "\"\"".into())
}

fn read_client_port(ports_file: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(ports_file).ok()?;
    let ports: serde_json::Value = serde_json::from_str(&text).ok()?;
    let url = ports.get("nats")?.get(0)?.as_str()?;
    url.rsplit(':').next()?.parse().ok()
}

async fn jetstream_answers(url: &str, credentials: Option<&Credentials>) -> bool {
    let attempt = async {
        let options = match credentials {
            Some(credentials) => credentials.apply(async_nats::ConnectOptions::new()),
            None => async_nats::ConnectOptions::new(),
        };
        let client = options.connect(url).await.ok()?;
        let js = async_nats::jetstream::new(client);
        js.query_account().await.ok()
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Some(_))
    )
}

fn start_error(what: String, log_path: &Path) -> LocalNatsError {
    let log = std::fs::read_to_string(log_path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    LocalNatsError::Start {
        reason: format!(
            "{what}; its log ({}) ends with:\n{}",
            log_path.display(),
            tail.join("\n")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_made_once_for_the_owner_only_and_kept() {
        let dir = std::env::temp_dir().join(format!("nats-local-creds-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("nats-credentials");
        let made = Credentials::ensure(&path).expect("made");
        assert_eq!(made.user, Credentials::USER);
        assert_eq!(made.password.len(), 43);
        let mode = std::fs::metadata(&path)
            .expect("written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(Credentials::ensure(&path).expect("read"), made, "kept");
        assert!(
            !format!("{made:?}").contains(&made.password),
            "never printed"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(
            Credentials::ensure(&path).is_err(),
            "refused once others can read it"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::fs::write(&path, "semaine:\n").expect("written");
        assert!(Credentials::ensure(&path).is_err(), "no password");
        let other = Credentials::ensure(&dir.join("again")).expect("made");
        assert_ne!(other.password, made.password, "random");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn versions_are_read_and_compared() {
        assert_eq!(
            parse_version("nats-server: v2.15.1\n").as_deref(),
            Some("2.15.1")
        );
        assert!(is_recent_enough("2.11.0"));
        assert!(is_recent_enough("2.15.1"));
        assert!(is_recent_enough("3.0.0"));
        assert!(!is_recent_enough("2.9.10"));
        assert!(!is_recent_enough("2.10.26"));
    }
}
