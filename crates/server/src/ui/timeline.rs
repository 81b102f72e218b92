//! The case's timeline chart, drawn on the server as inline SVG (no script needed to
//! read it): a date axis in the case's time zone; every event as a marker whose shape
//! says what it was (discovery, notification, the regulator learning of it, fix,
//! publication, risk warning, sanction); every obligation as a bar from its start to
//! its deadline, coloured by status and named in words beside it, with a mark where it
//! was met or where "now" is; and the regulator's blind window shaded and labelled.
//!
//! Each marker and bar is focusable, with its details as its accessible name and its
//! `<title>` (the hover tip); the script repeats the details of the item in focus in a
//! live line under the chart. The chart keeps a minimum width and scrolls inside its
//! own container on a phone. When "now" lies far beyond the story, the axis is broken
//! so the story keeps its room and "now" still shows at the right end.
//!
//! The interval statistics get their bar chart here too, with axes, values and a legend.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde_json::Value;
use vulnrelay_domain::{Case, EventKind, EventType, Role};
use vulnrelay_policy::{Finding, Status};
use vulnrelay_publish::charts::status_colour;

use crate::ui::i18n::Lang;
use crate::ui::view::{Precision, duration, local, status_badge};

/// The drawing's width (the SVG scales to its box, never below its minimum width).
const WIDTH: f64 = 1000.0;
/// Where the plot starts: the labels of the rows are left of it.
const PLOT_LEFT: f64 = 280.0;
/// Where the plot ends.
const PLOT_RIGHT: f64 = WIDTH - 24.0;
/// Room taken by a broken axis at the right end (the gap and the far part).
const FAR: f64 = 70.0;
/// The height of one obligation row.
const ROW: f64 = 34.0;
/// The height of one line of event markers.
const LANE: f64 = 18.0;
/// The most lines of event markers; markers beyond share the last line.
const LANES: usize = 5;

/// What a marker stands for: one shape and colour each, named in the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Discovery or awareness.
    Discovery,
    /// A notification to a party that is not a regulator platform.
    Notice,
    /// A notification reaching a regulator platform: the end of its blind window.
    Regulator,
    /// A fix made available.
    Fix,
    /// Publication, or approval of it.
    Publication,
    /// A risk warning issued to industry units.
    Warning,
    /// A membership suspended or restored.
    Sanction,
    /// Anything else.
    Other,
}

impl Mark {
    /// Every kind of marker, in the legend's order.
    pub const ALL: [Mark; 8] = [
        Mark::Discovery,
        Mark::Notice,
        Mark::Regulator,
        Mark::Fix,
        Mark::Publication,
        Mark::Warning,
        Mark::Sanction,
        Mark::Other,
    ];

    fn key(self) -> &'static str {
        match self {
            Mark::Discovery => "discovery",
            Mark::Notice => "notice",
            Mark::Regulator => "regulator",
            Mark::Fix => "fix",
            Mark::Publication => "publication",
            Mark::Warning => "warning",
            Mark::Sanction => "sanction",
            Mark::Other => "other",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            Mark::Discovery => "#37474f",
            Mark::Notice => "#1565c0",
            Mark::Regulator => "#c62828",
            Mark::Fix => "#2e7d32",
            Mark::Publication => "#6a1b9a",
            Mark::Warning => "#b26a00",
            Mark::Sanction => "#000000",
            Mark::Other => "#757575",
        }
    }

    /// The marker's shape centred on (`x`, `y`).
    fn shape(self, x: f64, y: f64) -> Markup {
        let c = self.colour();
        match self {
            Mark::Discovery => html! { circle cx=(f(x)) cy=(f(y)) r="6" fill=(c) {} },
            Mark::Notice => {
                html! { polygon points=(format!("{},{} {},{} {},{}", f(x), f(y - 7.0), f(x + 7.0), f(y + 6.0), f(x - 7.0), f(y + 6.0))) fill=(c) {} }
            }
            Mark::Regulator => {
                let points: Vec<String> = (0..10)
                    .map(|i| {
                        let r = if i % 2 == 0 { 8.0 } else { 3.5 };
                        let a = std::f64::consts::PI * (i as f64) / 5.0 - std::f64::consts::FRAC_PI_2;
                        format!("{},{}", f(x + r * a.cos()), f(y + r * a.sin()))
                    })
                    .collect();
                html! { polygon points=(points.join(" ")) fill=(c) {} }
            }
            Mark::Fix => html! { rect x=(f(x - 5.5)) y=(f(y - 5.5)) width="11" height="11" fill=(c) {} },
            Mark::Publication => {
                html! { polygon points=(format!("{},{} {},{} {},{} {},{}", f(x), f(y - 7.0), f(x + 7.0), f(y), f(x), f(y + 7.0), f(x - 7.0), f(y))) fill=(c) {} }
            }
            Mark::Warning => {
                html! { polygon points=(format!("{},{} {},{} {},{}", f(x - 7.0), f(y - 6.0), f(x + 7.0), f(y - 6.0), f(x), f(y + 7.0))) fill=(c) {} }
            }
            Mark::Sanction => html! {
                path d=(format!("M{} {} L{} {} M{} {} L{} {}", f(x - 5.5), f(y - 5.5), f(x + 5.5), f(y + 5.5), f(x + 5.5), f(y - 5.5), f(x - 5.5), f(y + 5.5))) stroke=(c) stroke-width="3" {}
            },
            Mark::Other => {
                html! { circle cx=(f(x)) cy=(f(y)) r="4" fill="#fff" stroke=(c) stroke-width="2" {} }
            }
        }
    }

    /// The marker of an event of `case`.
    pub fn of(case: &Case, kind: &EventKind) -> Mark {
        match kind.event_type() {
            EventType::Discovered | EventType::Aware => Mark::Discovery,
            EventType::Notified => match kind {
                EventKind::Notified { to, .. }
                    if case.party(to).is_some_and(|p| p.has_role(Role::RegulatorPlatform)) =>
                {
                    Mark::Regulator
                }
                _ => Mark::Notice,
            },
            EventType::FixAvailable => Mark::Fix,
            EventType::Published | EventType::PublicationApproved => Mark::Publication,
            EventType::MembershipSuspended | EventType::MembershipRestored => Mark::Sanction,
            _ => Mark::Other,
        }
    }
}

/// A number for an SVG attribute, to a tenth.
fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// One marker on the chart: when, what kind, and its details in words.
#[derive(Debug, Clone)]
pub struct Marker {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Its kind.
    pub mark: Mark,
    /// Its details in words (type, party, what it said).
    pub words: String,
}

/// The regulator's blind window: from discovery until a regulator platform learned of
/// it, or until now while none has.
#[derive(Debug, Clone, Copy)]
pub struct BlindWindow {
    /// Discovery.
    pub start: DateTime<Utc>,
    /// When a regulator platform learned of it; `None` while none has.
    pub end: Option<DateTime<Utc>>,
}

/// What the chart shows.
pub struct Chart<'a> {
    /// The case.
    pub case: &'a Case,
    /// The findings; those with a start and a deadline become bars.
    pub findings: &'a [Finding<'a>],
    /// The events (and warnings) to mark.
    pub markers: Vec<Marker>,
    /// The blind window, if the case has a discovery.
    pub blind: Option<BlindWindow>,
    /// The evaluation time.
    pub now: DateTime<Utc>,
    /// The case's time zone.
    pub tz: Tz,
}

/// The mapping from time to the horizontal axis, with a break when "now" is far past
/// the story.
struct Axis {
    start: DateTime<Utc>,
    /// The end of the evenly drawn part.
    end: DateTime<Utc>,
    /// "Now", drawn after the break when it lies beyond `end`.
    far: Option<DateTime<Utc>>,
}

impl Axis {
    fn new(times: &[DateTime<Utc>], now: DateTime<Utc>) -> Axis {
        let mut all: Vec<DateTime<Utc>> = times.iter().copied().chain([now]).collect();
        all.sort_unstable();
        let first = all[0];
        let latest = all[all.len() - 1];
        // The story is everything before the longest empty span; what follows it ("now",
        // and events recorded long after the story, such as vendors added when a demo
        // loads) is drawn after a break when that span is long, both in itself (two
        // months) and against the story's own length (three times it).
        let (last, after) =
            all.windows(2).map(|w| (w[0], w[1])).max_by_key(|(a, b)| *b - *a).unwrap_or((latest, latest));
        let story = (last - first).max(TimeDelta::days(1));
        if after - last <= (story * 3).max(TimeDelta::days(60)) {
            let pad = (latest - first).max(TimeDelta::days(1)) / 25;
            Axis { start: first - pad, end: latest + pad, far: None }
        } else {
            let pad = story / 25;
            Axis { start: first - pad, end: last + pad, far: Some(latest) }
        }
    }

    fn right(&self) -> f64 {
        if self.far.is_some() { PLOT_RIGHT - FAR } else { PLOT_RIGHT }
    }

    fn x(&self, t: DateTime<Utc>) -> f64 {
        let span = (self.end - self.start).num_seconds().max(1) as f64;
        match self.far {
            Some(far) if t > self.end => {
                // After the break: the rest of the time up to "now" in the last 40 units.
                let rest = (far - self.end).num_seconds().max(1) as f64;
                let part = ((t - self.end).num_seconds() as f64 / rest).clamp(0.0, 1.0);
                PLOT_RIGHT - 40.0 + 40.0 * part
            }
            _ => {
                let part = ((t - self.start).num_seconds() as f64 / span).clamp(0.0, 1.0);
                PLOT_LEFT + (self.right() - PLOT_LEFT) * part
            }
        }
    }

    /// The ticks of the evenly drawn part: local midnights in `tz`, with their labels.
    fn ticks(&self, tz: Tz) -> Vec<(DateTime<Utc>, String)> {
        let days = (self.end - self.start).num_days().max(1);
        // Steps in days (then months), the smallest that keeps about ten ticks.
        let (step_days, step_months) = match days {
            0..=12 => (1, 0),
            13..=24 => (2, 0),
            25..=80 => (7, 0),
            81..=160 => (14, 0),
            161..=330 => (0, 1),
            331..=700 => (0, 2),
            701..=1000 => (0, 3),
            1001..=2000 => (0, 6),
            _ => (0, 12),
        };
        let first_day = self.start.with_timezone(&tz).date_naive();
        let mut day = if step_months > 0 {
            NaiveDate::from_ymd_opt(first_day.year(), first_day.month(), 1).unwrap_or(first_day)
        } else if step_days == 7 || step_days == 14 {
            first_day - Days::new(u64::from(first_day.weekday().num_days_from_monday()))
        } else {
            first_day
        };
        let mut ticks = Vec::new();
        let mut last_year = None;
        while ticks.len() < 40 {
            let Some(at) = day.and_hms_opt(0, 0, 0).and_then(|m| tz.from_local_datetime(&m).earliest())
            else {
                break;
            };
            let at = at.with_timezone(&Utc);
            if at > self.end {
                break;
            }
            if at >= self.start {
                let label = if step_months > 0 {
                    day.format("%Y-%m").to_string()
                } else if last_year != Some(day.year()) {
                    day.format("%Y-%m-%d").to_string()
                } else {
                    day.format("%m-%d").to_string()
                };
                last_year = Some(day.year());
                ticks.push((at, label));
            }
            let next = if step_months > 0 {
                day.checked_add_months(Months::new(step_months))
            } else {
                day.checked_add_days(Days::new(step_days))
            };
            match next {
                Some(next) => day = next,
                None => break,
            }
        }
        ticks
    }
}

/// Text shortened to `max` characters, with an ellipsis when cut.
fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

/// A label's width budget in characters: CJK characters are about twice as wide.
fn budget(lang: Lang, latin: usize) -> usize {
    if lang == Lang::Zh { latin / 2 + 2 } else { latin }
}

/// The chart, with its legend and the live details line.
pub fn render(lang: Lang, chart: &Chart<'_>) -> Markup {
    let Chart { case, findings, markers, blind, now, tz } = chart;
    let (now, tz) = (*now, *tz);
    let rows: Vec<&Finding<'_>> =
        findings.iter().filter(|f| f.anchor_at.is_some() && f.due_at.is_some()).collect();
    let mut times: Vec<DateTime<Utc>> = markers.iter().map(|m| m.at).collect();
    for f in &rows {
        times.extend([f.anchor_at, f.due_at, f.satisfied_at].into_iter().flatten());
    }
    if let Some(b) = blind {
        times.extend([Some(b.start), b.end].into_iter().flatten());
    }
    let axis = Axis::new(&times, now);

    // Markers close together go on separate lines of the events lane.
    let mut order: Vec<&Marker> = markers.iter().collect();
    order.sort_by_key(|m| m.at);
    let mut lane_ends = [f64::MIN; LANES];
    let placed: Vec<(&Marker, f64, usize)> = order
        .into_iter()
        .map(|m| {
            let x = axis.x(m.at);
            let lane = lane_ends.iter().position(|end| x - end >= 16.0).unwrap_or(LANES - 1);
            lane_ends[lane] = x;
            (m, x, lane)
        })
        .collect();
    let lanes = placed.iter().map(|(_, _, l)| l + 1).max().unwrap_or(1);

    let top = 58.0;
    let events_y = top + 22.0;
    let rows_y = events_y + LANE * lanes as f64 + 14.0;
    let height = rows_y + ROW * rows.len() as f64 + 16.0;
    let bottom = height - 10.0;
    let party_name = |id: &vulnrelay_domain::PartyId| {
        case.party(id).map_or_else(|| id.0.clone(), |p| p.name_in(lang.chinese()).to_owned())
    };
    let title = lang.tf("timeline.title", &[("case", case.title())]);
    let zone = lang.tf("timeline.zone", &[("zone", tz.name())]);
    let now_x = axis.x(now);

    html! {
        div class="timeline-chart" {
            div class="chart-scroll" role="region" tabindex="0" aria-label=(lang.t("timeline.scroll")) {
                svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {}", f(height))) role="group" aria-labelledby="tl-title tl-zone" {
                    title id="tl-title" { (title) }
                    desc id="tl-zone" { (zone) }
                    // The blind window, behind everything.
                    @if let Some(b) = blind {
                        @let end = b.end.unwrap_or(now);
                        @let days = duration(lang, end - b.start, Precision::Two);
                        @let words = if b.end.is_some() { lang.tf("timeline.blind", &[("length", &days)]) } else { lang.tf("timeline.blind_open", &[("length", &days)]) };
                        g class="blind" tabindex="0" role="img" aria-label=(words) data-tip=(words) {
                            title { (words) }
                            rect x=(f(axis.x(b.start))) y=(f(top - 12.0)) width=(f((axis.x(end) - axis.x(b.start)).max(2.0))) height=(f(bottom - top + 12.0)) fill="#fbc02d" fill-opacity="0.22" stroke="#f9a825" stroke-dasharray="3 3" {}
                            text x=(f(axis.x(b.start) + 4.0)) y=(f(top + 6.0)) font-size="12" font-weight="bold" fill="#5d4037" { (words) }
                        }
                    }
                    // The axis: ticks at local midnights, with grid lines.
                    text x="8" y="20" font-size="12" fill="#444" { (zone) }
                    line x1=(f(PLOT_LEFT)) x2=(f(PLOT_RIGHT)) y1=(f(top - 14.0)) y2=(f(top - 14.0)) stroke="#666" {}
                    @for (at, label) in axis.ticks(tz).into_iter().filter(|(at, _)| axis.far.is_none() || axis.x(*at) < axis.right() - 10.0) {
                        @let x = axis.x(at);
                        line x1=(f(x)) x2=(f(x)) y1=(f(top - 18.0)) y2=(f(bottom)) stroke="#ddd" {}
                        line x1=(f(x)) x2=(f(x)) y1=(f(top - 18.0)) y2=(f(top - 10.0)) stroke="#666" {}
                        text x=(f(x)) y=(f(top - 22.0)) font-size="11" text-anchor="middle" fill="#333" { (label) }
                    }
                    @if let Some(far) = axis.far {
                        @let bx = PLOT_RIGHT - FAR + 12.0;
                        @let skipped = duration(lang, far - axis.end, Precision::Two);
                        path d=(format!("M{} {} l6 -8 M{} {} l6 -8", f(bx), f(top - 10.0), f(bx + 6.0), f(top - 10.0))) stroke="#666" stroke-width="1.5" {}
                        text x=(f(PLOT_RIGHT)) y=(f(top - 36.0)) font-size="10" text-anchor="end" fill="#555" { "+" (skipped) }
                        rect x=(f(bx - 2.0)) y=(f(top - 6.0)) width="14" height=(f(bottom - top + 6.0)) fill="url(#tl-gap)" fill-opacity="0.5" {}
                        defs {
                            pattern id="tl-gap" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                                line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="2" {}
                            }
                        }
                    }
                    // The events lane.
                    text x="8" y=(f(events_y + 4.0)) font-size="12" font-weight="bold" { (lang.t("timeline.events")) }
                    @for (m, x, lane) in &placed {
                        @let y = events_y + LANE * *lane as f64;
                        @let words = if m.mark == Mark::Regulator {
                            format!("{} — {} — {}", local(m.at, tz), lang.t("timeline.mark.regulator"), m.words)
                        } else {
                            format!("{} — {}", local(m.at, tz), m.words)
                        };
                        g class="ev" tabindex="0" role="img" aria-label=(words) data-tip=(words) {
                            title { (words) }
                            (m.mark.shape(*x, y))
                        }
                    }
                    // One row per obligation.
                    @for (i, fi) in rows.iter().enumerate() {
                        @let y = rows_y + ROW * i as f64;
                        @let (anchor, due) = (fi.anchor_at.unwrap_or(now), fi.due_at.unwrap_or(now));
                        @let colour = status_colour(fi.status);
                        @let rule = if lang == Lang::Zh { &fi.rule.title.zh } else { &fi.rule.title.en };
                        @let status = lang.t(&format!("status.{}", fi.status.as_str()));
                        @let met = fi.satisfied_at;
                        @let mark_at = met.unwrap_or(now);
                        @let details = {
                            let mut d = vec![
                                format!("{rule} — {} — {status}", party_name(fi.party)),
                                lang.tf("timeline.started", &[("time", &local(anchor, tz))]),
                                lang.tf("timeline.due", &[("time", &local(due, tz))]),
                            ];
                            match met {
                                Some(m) => d.push(lang.tf("timeline.met", &[("time", &local(m, tz))])),
                                None if now > due => d.push(lang.tf("timeline.overdue", &[("length", &duration(lang, now - due, Precision::Two))])),
                                None => d.push(lang.tf("timeline.left", &[("length", &duration(lang, due - now, Precision::Two))])),
                            }
                            d.join(" · ")
                        };
                        g class=(format!("ob status-{}", fi.status.as_str())) tabindex="0" role="img" aria-label=(details) data-tip=(details) {
                            title { (details) }
                            text x="8" y=(f(y + 12.0)) font-size="12" { (short(rule, budget(lang, 44))) }
                            text x="8" y=(f(y + 26.0)) font-size="11" fill="#444" {
                                tspan translate="no" { (short(&party_name(fi.party), budget(lang, 26))) } " · "
                                tspan font-weight="bold" fill=(colour) { (status) }
                            }
                            rect x=(f(axis.x(anchor))) y=(f(y + 6.0)) width=(f((axis.x(due) - axis.x(anchor)).max(2.0))) height="14" fill=(colour) fill-opacity="0.3" stroke=(colour) {}
                            @if mark_at > due {
                                line x1=(f(axis.x(due))) x2=(f(axis.x(mark_at))) y1=(f(y + 13.0)) y2=(f(y + 13.0)) stroke=(colour) stroke-width="2.5" stroke-dasharray="6 3" {}
                            }
                            @if met.is_some() {
                                // Met: a solid bar across the row with a tick.
                                line x1=(f(axis.x(mark_at))) x2=(f(axis.x(mark_at))) y1=(f(y + 2.0)) y2=(f(y + 24.0)) stroke=(colour) stroke-width="3" {}
                                path d=(format!("M{} {} l3 3 l6 -7", f(axis.x(mark_at) + 3.0), f(y + 4.0))) stroke=(colour) stroke-width="2" fill="none" {}
                            } @else {
                                // Not met: an open arrow head at "now".
                                path d=(format!("M{} {} l-7 -5 M{} {} l-7 5", f(axis.x(mark_at)), f(y + 13.0), f(axis.x(mark_at)), f(y + 13.0))) stroke=(colour) stroke-width="2.5" fill="none" {}
                            }
                        }
                    }
                    @if rows.is_empty() {
                        text x="8" y=(f(rows_y + 14.0)) font-size="12" { (lang.t("timeline.no_clocks")) }
                    }
                    // "Now".
                    g class="now" {
                        line x1=(f(now_x)) x2=(f(now_x)) y1=(f(top - 14.0)) y2=(f(bottom)) stroke="#000" stroke-dasharray="4 3" {}
                        @let (nx, anchor) = if now_x > (PLOT_LEFT + PLOT_RIGHT) / 2.0 { (now_x - 3.0, "end") } else { (now_x + 3.0, "start") };
                        text x=(f(nx)) y=(f(bottom + 8.0)) font-size="11" text-anchor=(anchor) font-weight="bold" {
                            (lang.tf("timeline.now", &[("time", &local(now, tz))]))
                        }
                    }
                }
            }
            p class="chart-detail" aria-live="polite" data-empty=(lang.t("timeline.detail_help")) { (lang.t("timeline.detail_help")) }
            (legend(lang))
        }
    }
}

/// The legend: each marker's shape and meaning, and the statuses in words.
fn legend(lang: Lang) -> Markup {
    html! {
        ul class="legend" aria-label=(lang.t("case.legend")) {
            @for mark in Mark::ALL {
                li {
                    svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false" { (mark.shape(8.0, 8.0)) }
                    " " (lang.t(&format!("timeline.mark.{}", mark.key())))
                }
            }
            li { span class="swatch blind" aria-hidden="true" {} " " (lang.t("timeline.blind_legend")) }
            @for s in Status::ALL { li { (status_badge(lang, s)) } }
        }
    }
}

/// The quarterly chart of one interval: median (filled) and worst (outlined) days per
/// quarter, with a day axis, the values written on the bars and a legend.
pub fn quarters(lang: Lang, name: &str, quarters: &Value) -> Markup {
    let rows: Vec<&Value> = quarters.as_array().into_iter().flatten().collect();
    let days = |q: &Value, key: &str| q[key].as_f64();
    let most = rows
        .iter()
        .flat_map(|q| [days(q, "worst_days"), days(q, "median_days")])
        .flatten()
        .fold(0.0, f64::max);
    // A round top for the axis: 1, 2 or 5 times a power of ten.
    let top = {
        let mut step = 1.0_f64;
        while step * 5.0 < most.max(1.0) {
            step *= 10.0;
        }
        [step, step * 2.0, step * 5.0, step * 10.0]
            .into_iter()
            .find(|t| *t >= most.max(1.0))
            .unwrap_or(step * 10.0)
    };
    let (left, right, base, height) = (60.0, 720.0, 190.0, 240.0);
    let y = |d: f64| base - (base - 30.0) * d / top;
    let slot = (right - left) / rows.len().max(1) as f64;
    html! {
        figure class="chart" {
            div class="chart-scroll" tabindex="0" {
                svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {} {height}", right + 20.0)) role="img" aria-label=(name) {
                    title { (name) }
                    @for i in 0..=4 {
                        @let d = top * f64::from(i) / 4.0;
                        line x1=(f(left)) x2=(f(right)) y1=(f(y(d))) y2=(f(y(d))) stroke=(if i == 0 { "#666" } else { "#e0e0e0" }) {}
                        text x=(f(left - 6.0)) y=(f(y(d) + 4.0)) font-size="11" text-anchor="end" { (format!("{d:.0}")) }
                    }
                    line x1=(f(left)) x2=(f(left)) y1="30" y2=(f(base)) stroke="#666" {}
                    text x="14" y=(f((base + 30.0) / 2.0)) font-size="11" transform=(format!("rotate(-90 14 {})", f((base + 30.0) / 2.0))) text-anchor="middle" { (lang.t("stats.axis_days")) }
                    @if rows.is_empty() {
                        text x=(f(left + 10.0)) y="110" font-size="12" { (lang.t("stats.no_data")) }
                    }
                    @for (i, q) in rows.iter().enumerate() {
                        @let x = left + slot * i as f64 + slot * 0.15;
                        @let w = slot * 0.7;
                        @if let Some(worst) = days(q, "worst_days") {
                            rect x=(f(x)) y=(f(y(worst))) width=(f(w)) height=(f(base - y(worst))) fill="none" stroke="#c62828" stroke-width="2" stroke-dasharray="5 2" {}
                            text x=(f(x + w / 2.0)) y=(f(y(worst) - 4.0)) font-size="11" text-anchor="middle" fill="#c62828" { (format!("{worst:.1}")) }
                        }
                        @if let Some(median) = days(q, "median_days") {
                            rect x=(f(x + w * 0.2)) y=(f(y(median))) width=(f(w * 0.6)) height=(f(base - y(median))) fill="#1565c0" {}
                            text x=(f(x + w / 2.0)) y=(f((y(median) + 14.0).min(base - 2.0))) font-size="11" text-anchor="middle" fill="#fff" { (format!("{median:.1}")) }
                        }
                        text x=(f(x + w / 2.0)) y=(f(base + 16.0)) font-size="11" text-anchor="middle" {
                            (q["quarter"].as_str().unwrap_or_default())
                        }
                        text x=(f(x + w / 2.0)) y=(f(base + 30.0)) font-size="10" text-anchor="middle" fill="#555" {
                            (lang.tf("stats.counts", &[("closed", &q["closed"].to_string()), ("open", &q["open"].to_string())]))
                        }
                    }
                }
            }
            figcaption {
                ul class="legend" {
                    li { span class="swatch median" aria-hidden="true" {} " " (lang.t("stats.legend_median")) }
                    li { span class="swatch worst" aria-hidden="true" {} " " (lang.t("stats.legend_worst")) }
                }
            }
        }
    }
}

/// The length of an interval in the one duration format.
pub fn interval_length(lang: Lang, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    duration(lang, to - from, Precision::Two)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_far_now_breaks_the_axis_and_keeps_the_story_wide() {
        let times = [at("2021-11-24T00:00:00Z"), at("2021-12-27T00:00:00Z")];
        let axis = Axis::new(&times, at("2026-12-04T00:00:00Z"));
        assert!(axis.far.is_some());
        // The story takes most of the plot; "now" is at the right end.
        assert!(axis.x(times[1]) - axis.x(times[0]) > (PLOT_RIGHT - PLOT_LEFT) * 0.8);
        assert!((axis.x(at("2026-12-04T00:00:00Z")) - PLOT_RIGHT).abs() < 0.01);
        // A near now: no break.
        let near = Axis::new(&times, at("2021-12-30T00:00:00Z"));
        assert!(near.far.is_none());
        assert!(near.x(at("2021-12-30T00:00:00Z")) <= PLOT_RIGHT);
        // Events recorded years later, next to "now", go after the break with it.
        let late = at("2026-12-03T20:00:00Z");
        let axis = Axis::new(&[times[0], times[1], late], at("2026-12-04T00:00:00Z"));
        assert!(axis.far.is_some());
        assert!(axis.x(times[1]) - axis.x(times[0]) > (PLOT_RIGHT - PLOT_LEFT) * 0.8);
        assert!(axis.x(late) > PLOT_RIGHT - 40.0);
    }

    #[test]
    fn ticks_fall_on_local_midnights_with_the_year_once() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let axis =
            Axis::new(&[at("2021-11-24T00:00:00Z"), at("2021-12-27T00:00:00Z")], at("2021-12-27T00:00:00Z"));
        let ticks = axis.ticks(tz);
        assert!(ticks.len() >= 4 && ticks.len() <= 12, "{ticks:?}");
        for (t, _) in &ticks {
            assert_eq!(t.with_timezone(&tz).format("%H:%M").to_string(), "00:00");
        }
        assert_eq!(ticks.iter().filter(|(_, l)| l.starts_with("2021-")).count(), 1, "{ticks:?}");
    }
}
