//! [`Browser`]: a real headless Chromium, driven through its own chromedriver (WebDriver) with
//! fantoccini, for the console's end-to-end tests.
//!
//! Each [`Browser`] starts a chromedriver on a free port (`--port=0`, the port read from what it
//! prints), in a process group of its own, and one Chromium session with a fresh temporary
//! profile. Dropping it kills the group (chromedriver and the Chromium it started) and removes
//! the profile; [`Browser::close`] ends the session politely first.
//!
//! The binaries are Debian's `chromium` and `chromium-driver` (`scripts/ensure-browser` installs
//! them), or `$SEMAINE_CHROMIUM` and `$SEMAINE_CHROMEDRIVER`. Without them [`Browser::open`]
//! fails, saying so: a browser test never passes without a browser.
//!
//! [`Browser::assert_accessible`] runs axe-core's WCAG 2.1 A and AA rules in the current page:
//! `$SEMAINE_AXE`, else the pinned release `scripts/ensure-axe` installs (and downloads when it
//! is missing).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a wait for an element or a page lasts before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// Chromium's switches: headless, and quiet on the network. Without the background-networking
/// switches Chromium keeps calling home (updates, sync, safe browsing), which a closed network
/// refuses and a test has no use for.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--lang=fr-FR",
];

/// The axe-core rules a page must pass: WCAG 2.0 and 2.1, levels A and AA (what RGAA 4 asks).
const AXE_TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// Runs axe in the page: its first argument is the tags, the last the callback WebDriver gives an
/// asynchronous script. Answers each violation's rule, impact, help and elements.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: "tag", values: arguments[0] }, resultTypes: ["violations"] })
  .then((result) => done(result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")),
  }))))
  .catch((error) => done([{ id: "axe-failed", impact: "critical", help: String(error), nodes: [] }]));
"#;

/// One rule a page breaks, as axe tells it.
#[derive(Debug, serde::Deserialize)]
struct Violation {
    /// The rule (`color-contrast`, `label`…).
    id: String,
    /// How bad: minor, moderate, serious, critical.
    impact: Option<String>,
    /// What the rule asks.
    help: String,
    /// The elements that break it, as CSS selectors.
    nodes: Vec<String>,
}

/// axe-core's script, read once: `$SEMAINE_AXE`, else what `scripts/ensure-axe` prints.
fn axe_script() -> anyhow::Result<&'static str> {
    static SCRIPT: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    let found = SCRIPT.get_or_init(|| {
        let path = match std::env::var_os("SEMAINE_AXE") {
            Some(path) => PathBuf::from(path),
            None => {
                let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/ensure-axe");
                let output = std::process::Command::new(&script)
                    .stderr(Stdio::inherit())
                    .output()
                    .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
                if !output.status.success() {
                    return Err(format!("{} failed", script.display()));
                }
                PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
            }
        };
        std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read axe-core at {}: {e} (run scripts/ensure-axe, or set SEMAINE_AXE)",
                path.display()
            )
        })
    });
    found.as_deref().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Where the browser and its driver are.
#[derive(Debug, Clone)]
pub struct BrowserBinaries {
    /// The Chromium executable (Debian's launcher script is fine).
    pub chromium: PathBuf,
    /// The chromedriver executable of the same version.
    pub chromedriver: PathBuf,
}

impl BrowserBinaries {
    /// `$SEMAINE_CHROMIUM` and `$SEMAINE_CHROMEDRIVER`, else Debian's paths; an error that says
    /// to run `scripts/ensure-browser` when either is missing.
    pub fn locate() -> anyhow::Result<Self> {
        let chromium = std::env::var_os("SEMAINE_CHROMIUM")
            .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
        let chromedriver = std::env::var_os("SEMAINE_CHROMEDRIVER")
            .map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from);
        for binary in [&chromium, &chromedriver] {
            anyhow::ensure!(
                binary.is_file(),
                "{} is missing: the console's browser tests need Chromium and chromedriver; run \
                 scripts/ensure-browser (it installs Debian's chromium and chromium-driver), or \
                 set SEMAINE_CHROMIUM and SEMAINE_CHROMEDRIVER",
                binary.display()
            );
        }
        Ok(Self {
            chromium,
            chromedriver,
        })
    }
}

/// A chromedriver process in its own process group; the whole group is killed when dropped.
struct Driver {
    /// The chromedriver process, leader of its group.
    child: Child,
    /// Where it listens for WebDriver commands.
    url: String,
}

impl Driver {
    async fn start(binary: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child
            .stdout
            .take()
            .context("chromedriver's standard output")?;
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(PATIENCE, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(port) = started_on(&line) {
                    return Ok(port);
                }
            }
            anyhow::bail!("chromedriver stopped before saying it started")
        })
        .await
        .context("chromedriver did not start in time")??;
        // Keep reading what it prints, so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        })
    }
}

/// The port of chromedriver's "ChromeDriver was started successfully on port 36673." line.
fn started_on(line: &str) -> Option<u16> {
    let (_, rest) = line.split_once("started successfully on port ")?;
    rest.trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group holds chromedriver and every Chromium process it started.
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A headless Chromium session.
pub struct Browser {
    /// The WebDriver client of the session.
    pub client: Client,
    /// The driver; dropped (killed) before the profile is removed.
    driver: Driver,
    /// The fresh profile (`--user-data-dir`).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose viewport is `width` × `height`.
    pub async fn open(binaries: &BrowserBinaries, width: u32, height: u32) -> anyhow::Result<Self> {
        let driver = Driver::start(&binaries.chromedriver).await?;
        let profile = tempfile::tempdir()?;
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binaries.chromium,
                "args": args,
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            anyhow::bail!("capabilities are an object");
        };
        let client = tokio::time::timeout(
            PATIENCE,
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities)
                .connect(&driver.url),
        )
        .await
        .context("Chromium did not start in time")?
        .context("cannot open a Chromium session through chromedriver")?;
        client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                None,
                Some(PATIENCE),
                Some(Duration::ZERO),
            ))
            .await?;
        let browser = Self {
            client,
            driver,
            _profile: profile,
        };
        browser.set_viewport(width, height).await?;
        Ok(browser)
    }

    /// Waits (at most [`PATIENCE`]) for an element on the current page.
    pub async fn wait_for(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(found) => Ok(found),
            Err(e) => {
                Err(anyhow::Error::new(e)
                    .context(format!("no `{css}` on {}", self.describe().await)))
            }
        }
    }

    /// Waits (at most [`PATIENCE`]) for an element on the current page: its text.
    pub async fn text_of(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.wait_for(css).await?.text().await?)
    }

    /// Asserts that the element `css` on the current page (waited for) shows `wanted`, showing
    /// its text when it does not.
    pub async fn assert_shows(&self, css: &str, wanted: &str) -> anyhow::Result<()> {
        let text = self.text_of(css).await?;
        assert!(text.contains(wanted), "{css}: {wanted:?} not in {text}");
        Ok(())
    }

    /// Waits for `css` (a link or a form's button), clicks it and waits, at most [`PATIENCE`],
    /// until the page it leads to has loaded: a mark left on the current document is gone from
    /// the new one. Without it a lookup right after the click can find the old page's element,
    /// which goes stale as the new page replaces it.
    pub async fn follow(&self, css: &str) -> anyhow::Result<()> {
        const MARK: &str = "window.semaineLeaving = true; return null;";
        const ARRIVED: &str =
            "return window.semaineLeaving !== true && document.readyState === 'complete';";
        let element = self.wait_for(css).await?;
        self.client.execute(MARK, vec![]).await?;
        element.click().await?;
        let deadline = Instant::now() + PATIENCE;
        loop {
            // While the new page loads, a script may fail: not yet.
            if let Ok(serde_json::Value::Bool(true)) = self.client.execute(ARRIVED, vec![]).await {
                return Ok(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the click led to no new page in {PATIENCE:?}: {}",
                self.describe().await
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Reloads the page until `css` is on it, for at most [`PATIENCE`]: for what a read model
    /// shows a moment after the command that causes it.
    pub async fn reload_until(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(found) = self.client.find(Locator::Css(css)).await {
                return Ok(found);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "no `{css}` on {} after reloading for {PATIENCE:?}",
                self.describe().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            self.client.refresh().await?;
        }
    }

    /// The current URL and the page's text, for a failure's message.
    async fn describe(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map_or_else(|e| e.to_string(), |u| u.to_string());
        let text = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => e.to_string(),
        };
        format!("{url}:\n{text}")
    }

    /// The page's viewport (`window.innerWidth`, `window.innerHeight`), in CSS pixels.
    pub async fn viewport(&self) -> anyhow::Result<(u32, u32)> {
        let size = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await?;
        let side = |i: usize| {
            size.get(i)
                .and_then(serde_json::Value::as_u64)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| anyhow::anyhow!("a viewport size: {size}"))
        };
        Ok((side(0)?, side(1)?))
    }

    /// Sizes the window so that the viewport is `width` × `height` (a window is larger than its
    /// viewport by its frame, even headless).
    pub async fn set_viewport(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.client.set_window_size(width, height).await?;
        let (inner_width, inner_height) = self.viewport().await?;
        let frame = (
            width.saturating_sub(inner_width),
            height.saturating_sub(inner_height),
        );
        if frame != (0, 0) {
            self.client
                .set_window_size(width + frame.0, height + frame.1)
                .await?;
        }
        let now = self.viewport().await?;
        anyhow::ensure!(
            now == (width, height),
            "asked a {width} × {height} viewport, got {now:?}"
        );
        Ok(())
    }

    /// The PNG of the whole page: the viewport is made as tall as the page (at most 8,000
    /// pixels) for the shot, then given back its size.
    pub async fn screenshot_page(&self) -> anyhow::Result<Vec<u8>> {
        let (width, height) = self.viewport().await?;
        let page_height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await?
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(height);
        self.set_viewport(width, page_height.clamp(height, 8000))
            .await?;
        let png = self.client.screenshot().await;
        self.set_viewport(width, height).await?;
        Ok(png?)
    }

    /// Runs axe-core's WCAG 2.1 A and AA rules in the current page, named `page` in the error
    /// that lists every rule it breaks (with its elements).
    pub async fn assert_accessible(&self, page: &str) -> anyhow::Result<()> {
        self.client.execute(axe_script()?, vec![]).await?;
        let answer = self
            .client
            .execute_async(AXE_RUN, vec![json!(AXE_TAGS)])
            .await
            .with_context(|| format!("{page}: axe did not run"))?;
        let violations: Vec<Violation> =
            serde_json::from_value(answer).with_context(|| format!("{page}: axe's answer"))?;
        anyhow::ensure!(
            violations.is_empty(),
            "{page} breaks {} accessibility rule(s):\n{}",
            violations.len(),
            violations
                .iter()
                .map(|v| format!(
                    "- {} ({}): {} — {}",
                    v.id,
                    v.impact.as_deref().unwrap_or("?"),
                    v.help,
                    v.nodes.join(", ")
                ))
                .collect::<Vec<_>>()
                .join("\n")
        );
        Ok(())
    }

    /// Ends the session (Chromium quits), then the driver.
    pub async fn close(self) -> anyhow::Result<()> {
        self.client.close().await?;
        drop(self.driver);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_is_read_from_chromedriver_s_greeting() {
        assert_eq!(
            started_on("ChromeDriver was started successfully on port 36673."),
            Some(36673)
        );
        assert_eq!(started_on("Only local connections are allowed."), None);
    }
}
