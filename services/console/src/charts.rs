//! The statistics as charts: SVG drawn on the server, no script, each with its figures as CSV.
//!
//! The figures are the edition's statistics (`GET /editions/{edition}/statistics`, the
//! `statistics` read model). [`charts`] turns them into [`Chart`]s, a pure function: each chart
//! has bars (a label, a value, the value as text) and a table (columns and rows) that is both its
//! CSV download and its accessible description. A chart is an `<svg role="img">` with a
//! `<title>` and a `<desc>`, and every bar is labelled with its value in text, so nothing is told
//! by colour alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use proto::values::EditionId;
use views::EditionStatistics;
use views::statistics::Reached;

use crate::login::SignedIn;
use crate::page::{self as shell, Failure, day_fr, label, ok, raw, time_fr};
use crate::routes::Console;

/// One chart and its figures.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Its id in the CSV's address (`par-jour`).
    pub id: &'static str,
    /// Its title.
    pub title: String,
    /// The bars: label, value, value as shown.
    pub bars: Vec<(String, f64, String)>,
    /// The largest value of the scale (the bars' maximum when `None`).
    pub scale: Option<f64>,
    /// The CSV's columns.
    pub columns: Vec<&'static str>,
    /// The CSV's rows.
    pub rows: Vec<Vec<String>>,
}

fn reached_chart(
    id: &'static str,
    title: &str,
    figures: &BTreeMap<String, Reached>,
    key: &'static str,
) -> Chart {
    let mut sorted: Vec<(&String, &Reached)> = figures.iter().collect();
    sorted.sort_by(|a, b| b.1.people.cmp(&a.1.people).then(a.0.cmp(b.0)));
    Chart {
        id,
        title: title.to_owned(),
        bars: sorted
            .iter()
            .map(|(name, r)| {
                (
                    label(name),
                    f64::from(r.people),
                    format!("{} personne(s)", r.people),
                )
            })
            .collect(),
        scale: None,
        columns: vec![key, "label", "registrations", "people", "present"],
        rows: sorted
            .iter()
            .map(|(name, r)| {
                vec![
                    (*name).clone(),
                    label(name),
                    r.registrations.to_string(),
                    r.people.to_string(),
                    r.present.to_string(),
                ]
            })
            .collect(),
    }
}

/// The charts of an edition's statistics.
pub fn charts(stats: &EditionStatistics) -> Vec<Chart> {
    let per_day = Chart {
        id: "par-jour",
        title: "Inscriptions par jour".to_owned(),
        bars: stats
            .registrations_per_day
            .iter()
            .map(|d| {
                (
                    day_fr(d.day),
                    f64::from(d.registrations),
                    format!("{} (cumul {})", d.registrations, d.cumulative),
                )
            })
            .collect(),
        scale: None,
        columns: vec!["day", "registrations", "people", "cumulative"],
        rows: stats
            .registrations_per_day
            .iter()
            .map(|d| {
                vec![
                    d.day.to_string(),
                    d.registrations.to_string(),
                    d.people.to_string(),
                    d.cumulative.to_string(),
                ]
            })
            .collect(),
    };
    let session_name = |s: &views::statistics::SessionFigures| {
        let when = s
            .starts_local
            .map(|at| format!("{} {}", day_fr(at.date()), time_fr(at)))
            .unwrap_or_default();
        format!("{} — {when}", s.title.as_deref().unwrap_or("Séance"))
    };
    let fill = Chart {
        id: "remplissage",
        title: "Taux de remplissage par séance".to_owned(),
        bars: stats
            .sessions
            .iter()
            .filter(|s| !s.cancelled)
            .map(|s| {
                let rate = s.fill_rate.unwrap_or(0.0);
                let shown = match s.capacity {
                    Some(capacity) => {
                        format!("{:.0} % ({} / {capacity})", rate * 100.0, s.confirmed_seats)
                    }
                    None => "capacité à confirmer".to_owned(),
                };
                (session_name(s), rate * 100.0, shown)
            })
            .collect(),
        scale: Some(100.0),
        columns: vec![
            "session",
            "title",
            "starts",
            "town",
            "capacity",
            "confirmed_seats",
            "fill_rate",
            "waiting_seats",
            "present",
            "no_shows",
        ],
        rows: stats
            .sessions
            .iter()
            .map(|s| {
                vec![
                    s.session.to_string(),
                    s.title.clone().unwrap_or_default(),
                    s.starts_local.map(|t| t.to_string()).unwrap_or_default(),
                    s.town.clone().unwrap_or_default(),
                    s.capacity.map(|c| c.to_string()).unwrap_or_default(),
                    s.confirmed_seats.to_string(),
                    s.fill_rate.map(|r| format!("{r:.3}")).unwrap_or_default(),
                    s.waiting_seats.to_string(),
                    s.present.to_string(),
                    s.no_shows.to_string(),
                ]
            })
            .collect(),
    };
    let no_shows = Chart {
        id: "absences",
        title: "Absences par séance (inscriptions confirmées sans personne pointée)".to_owned(),
        bars: stats
            .sessions
            .iter()
            .filter(|s| s.ended)
            .map(|s| {
                (
                    session_name(s),
                    f64::from(s.no_shows),
                    format!("{} absence(s), {} présent(s)", s.no_shows, s.present),
                )
            })
            .collect(),
        scale: None,
        columns: vec!["session", "title", "starts", "present", "no_shows"],
        rows: stats
            .sessions
            .iter()
            .filter(|s| s.ended)
            .map(|s| {
                vec![
                    s.session.to_string(),
                    s.title.clone().unwrap_or_default(),
                    s.starts_local.map(|t| t.to_string()).unwrap_or_default(),
                    s.present.to_string(),
                    s.no_shows.to_string(),
                ]
            })
            .collect(),
    };
    let o = &stats.job_dating.outcomes;
    let outcomes = [
        ("met", "Entretiens sans suite", o.met),
        ("second_interview", "Second entretien", o.second_interviews),
        ("hired", "Embauches", o.hired),
        ("no_show", "Candidats absents", o.no_shows),
        ("pending", "Sans résultat saisi", o.pending),
    ];
    let job_dating = Chart {
        id: "job-dating",
        title: format!(
            "Job-dating : résultats des {} entretien(s)",
            stats.job_dating.outcomes.interviews
        ),
        bars: outcomes
            .iter()
            .map(|(_, name, n)| ((*name).to_owned(), f64::from(*n), n.to_string()))
            .collect(),
        scale: None,
        columns: vec!["outcome", "label", "interviews"],
        rows: outcomes
            .iter()
            .map(|(wire, name, n)| vec![(*wire).to_owned(), (*name).to_owned(), n.to_string()])
            .collect(),
    };
    vec![
        per_day,
        reached_chart(
            "publics",
            "Personnes touchées par public",
            &stats.by_audience,
            "audience",
        ),
        reached_chart(
            "themes",
            "Personnes touchées par thème",
            &stats.by_theme,
            "theme",
        ),
        reached_chart(
            "communes",
            "Personnes touchées par commune",
            &stats.by_town,
            "town",
        ),
        fill,
        no_shows,
        job_dating,
    ]
}

/// Text for SVG and XML: `&`, `<`, `>`, `"` escaped.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A chart as horizontal bars in SVG: one row per bar, its label above it and its value at its
/// end.
pub fn svg(chart: &Chart) -> String {
    const WIDTH: f64 = 720.0;
    const ROW: f64 = 44.0;
    const BAR_WIDTH: f64 = 520.0;
    let max = chart
        .scale
        .unwrap_or_else(|| chart.bars.iter().map(|b| b.1).fold(0.0, f64::max))
        .max(1.0);
    let height = (chart.bars.len().max(1) as f64) * ROW + 16.0;
    let mut out = String::new();
    let id = chart.id;
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" aria-labelledby="svg-{id}-t svg-{id}-d"><title id="svg-{id}-t">{}</title><desc id="svg-{id}-d">"##,
        xml(&chart.title)
    );
    let desc: Vec<String> = chart
        .bars
        .iter()
        .map(|(name, _, shown)| format!("{name} : {shown}"))
        .collect();
    out.push_str(&xml(&desc.join(" ; ")));
    out.push_str("</desc>");
    if chart.bars.is_empty() {
        out.push_str(
            r##"<text x="0" y="24" font-size="15" fill="#4a4a4a">Pas encore de données.</text>"##,
        );
    }
    for (i, (name, value, shown)) in chart.bars.iter().enumerate() {
        let y = i as f64 * ROW + 4.0;
        let width = (value / max * BAR_WIDTH).clamp(0.0, BAR_WIDTH);
        let _ = write!(
            out,
            r##"<text x="0" y="{ty}" font-size="13" fill="#1b1b1b">{}</text><rect x="0" y="{by}" width="{width:.1}" height="18" fill="#0b4f8a"/><text x="{tx:.1}" y="{vy}" font-size="13" fill="#1b1b1b">{}</text>"##,
            xml(name),
            xml(shown),
            ty = y + 12.0,
            by = y + 18.0,
            tx = width + 6.0,
            vy = y + 32.0,
        );
    }
    out.push_str("</svg>");
    out
}

async fn statistics(
    console: &Console,
    signed_in: &SignedIn,
    edition: &str,
) -> Result<EditionStatistics, Failure> {
    let login = &signed_in.login;
    login.organiser()?;
    let edition = crate::address::parse::<EditionId>(edition)?;
    Ok(console
        .api
        .get(&login.principal, &format!("/editions/{edition}/statistics"))
        .await?)
}

/// `GET /console/editions/{edition}/statistics`: every chart, with its CSV link.
pub async fn page(
    State(console): State<Console>,
    signed_in: SignedIn,
    Path(edition): Path<String>,
) -> Result<Response, Failure> {
    let stats = statistics(&console, &signed_in, &edition).await?;
    let t = &stats.totals;
    let body = html! {
        p { a href={ "/console/editions/" (stats.edition) } { "Retour au programme" } }
        p {
            (t.sessions) " séance(s) · " (t.registrations_made) " inscription(s) faites · "
            (t.reached.people) " personne(s) inscrite(s) aujourd'hui, dont " (t.reached.present)
            " venue(s) · " (t.waiting) " en attente · " (t.no_shows) " absence(s)"
        }
        @for chart in charts(&stats) {
            figure id=(chart.id) {
                figcaption { (chart.title) }
                (raw(svg(&chart)))
                p.small {
                    a href={ "/console/editions/" (stats.edition) "/statistics/" (chart.id) ".csv" } {
                        "Télécharger « " (chart.title) " » (CSV)"
                    }
                }
            }
        }
    };
    Ok(ok(shell::page(
        &format!("Statistiques — {}", stats.name),
        Some(&signed_in.login),
        body,
    )))
}

/// `GET /console/editions/{edition}/statistics/{chart}.csv`: one chart's figures.
pub async fn csv(
    State(console): State<Console>,
    signed_in: SignedIn,
    Path((edition, file)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let stats = statistics(&console, &signed_in, &edition).await?;
    let id = file.strip_suffix(".csv").unwrap_or(&file);
    let chart = charts(&stats)
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| Failure::new(StatusCode::NOT_FOUND, "Ce graphique n'existe pas."))?;
    let table = views::csv::table(&chart.columns, chart.rows);
    let mut response = table.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-{}.csv\"",
        chart.id, stats.edition
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_an_accessible_svg_whose_text_is_escaped() {
        let chart = Chart {
            id: "publics",
            title: "Personnes <touchées>".to_owned(),
            bars: vec![
                ("Jeunes & co".to_owned(), 30.0, "30 personne(s)".to_owned()),
                ("Élèves".to_owned(), 15.0, "15 personne(s)".to_owned()),
            ],
            scale: None,
            columns: vec!["audience"],
            rows: Vec::new(),
        };
        let svg = svg(&chart);
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("<title id=\"svg-publics-t\">Personnes &lt;touchées&gt;</title>"));
        assert!(svg.contains("Jeunes &amp; co"));
        assert!(svg.contains("width=\"520.0\""), "the largest bar is full");
        assert!(svg.contains("width=\"260.0\""), "half of it is half");
        assert!(svg.ends_with("</svg>"));
    }
}
