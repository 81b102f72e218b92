//! SVG charts, drawn as text (no script, no external resource): the clocks of a case —
//! one bar per obligation from its anchor to its deadline, marked where it was met or
//! where "now" is, coloured by status — and the quarterly summary of an interval.

use std::fmt::Write;

use vulnrelay_domain::{Case, QuarterStats, Timestamp};
use vulnrelay_policy::{Finding, Status};

use crate::Lang;
use crate::feed::xml;

/// The fill colour of a status: green met, amber late or incomplete, blue pending, red overdue or
/// violated, purple conflict, grey not started, teal needs review.
pub fn status_colour(status: Status) -> &'static str {
    match status {
        Status::Met => "#2e7d32",
        Status::MetIncomplete | Status::MetLate => "#b26a00",
        Status::Pending => "#1565c0",
        Status::Overdue | Status::Violated => "#c62828",
        Status::Conflict => "#6a1b9a",
        Status::NotStarted => "#757575",
        Status::NeedsReview => "#00838f",
    }
}

fn status_label(status: Status, lang: Lang) -> &'static str {
    match (status, lang) {
        (Status::Met, Lang::En) => "met",
        (Status::MetIncomplete, Lang::En) => "met, content missing",
        (Status::MetLate, Lang::En) => "met late",
        (Status::Pending, Lang::En) => "pending",
        (Status::Overdue, Lang::En) => "overdue",
        (Status::Violated, Lang::En) => "violated",
        (Status::Conflict, Lang::En) => "conflict",
        (Status::NotStarted, Lang::En) => "not started",
        (Status::NeedsReview, Lang::En) => "needs review",
        (Status::Met, Lang::Zh) => "已履行",
        (Status::MetIncomplete, Lang::Zh) => "已履行但内容不全",
        (Status::MetLate, Lang::Zh) => "逾期履行",
        (Status::Pending, Lang::Zh) => "待履行",
        (Status::Overdue, Lang::Zh) => "已逾期",
        (Status::Violated, Lang::Zh) => "违反",
        (Status::Conflict, Lang::Zh) => "冲突",
        (Status::NotStarted, Lang::Zh) => "未起算",
        (Status::NeedsReview, Lang::Zh) => "需复核",
    }
}

const WIDTH: f64 = 760.0;
const LABEL: f64 = 300.0;
const ROW: f64 = 28.0;

/// The clock chart of a case's obligations (findings with a clock), as of `now`.
pub fn clock_chart(case: &Case, findings: &[Finding<'_>], now: Timestamp, lang: Lang) -> String {
    let rows: Vec<&Finding<'_>> =
        findings.iter().filter(|f| f.anchor_at.is_some() && f.due_at.is_some()).collect();
    let title = match lang {
        Lang::En => format!("Clocks of {}", case.title()),
        Lang::Zh => format!("{} 的时限", case.title()),
    };
    let height = 40.0 + ROW * rows.len().max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        t = xml(&title)
    );
    if rows.is_empty() {
        let empty = match lang {
            Lang::En => "No clock is running.",
            Lang::Zh => "没有正在计时的义务。",
        };
        let _ = write!(svg, "<text x=\"10\" y=\"30\" font-size=\"14\">{empty}</text></svg>");
        return svg;
    }
    let start = rows.iter().filter_map(|f| f.anchor_at).min().unwrap_or(now);
    let end =
        rows.iter().flat_map(|f| [f.due_at, f.satisfied_at]).flatten().chain([now]).max().unwrap_or(now);
    let span = (end - start).num_seconds().max(1) as f64;
    let x = |t: Timestamp| LABEL + (WIDTH - LABEL - 20.0) * ((t - start).num_seconds() as f64 / span);
    for (i, f) in rows.iter().enumerate() {
        let y = 30.0 + ROW * i as f64;
        let (anchor, due) = (f.anchor_at.unwrap_or(start), f.due_at.unwrap_or(end));
        let colour = status_colour(f.status);
        let label = format!("{} · {} — {}", f.rule.id, f.party, status_label(f.status, lang));
        let _ = write!(
            svg,
            "<g><title>{tip}</title><text x=\"8\" y=\"{ty}\" font-size=\"12\">{label}</text>\
             <rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"14\" fill=\"{colour}\" fill-opacity=\"0.35\" stroke=\"{colour}\"/>",
            tip = xml(&f.message(case).pick(lang)),
            ty = y + 11.0,
            label = xml(&label),
            x0 = x(anchor),
            w = (x(due) - x(anchor)).max(1.0),
        );
        let marker = f.satisfied_at.unwrap_or(now);
        // Lateness: from the deadline to when it was met, or to now while it is not.
        if marker > due {
            let _ = write!(
                svg,
                "<line x1=\"{d:.1}\" x2=\"{m:.1}\" y1=\"{ym:.1}\" y2=\"{ym:.1}\" stroke=\"{colour}\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>",
                d = x(due),
                m = x(marker),
                ym = y + 7.0,
            );
        }
        let _ = write!(
            svg,
            "<line x1=\"{m:.1}\" x2=\"{m:.1}\" y1=\"{y0:.1}\" y2=\"{y1:.1}\" stroke=\"{colour}\" stroke-width=\"3\"/></g>",
            m = x(marker),
            y0 = y - 3.0,
            y1 = y + 17.0,
        );
    }
    let now_label = match lang {
        Lang::En => "now",
        Lang::Zh => "当前",
    };
    let _ = write!(
        svg,
        "<line x1=\"{n:.1}\" x2=\"{n:.1}\" y1=\"18\" y2=\"{h:.1}\" stroke=\"#000\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{n:.1}\" y=\"14\" font-size=\"11\" text-anchor=\"middle\">{now_label}</text></svg>",
        n = x(now.min(end)),
        h = height - 4.0,
    );
    svg
}

trait Pick {
    fn pick(&self, lang: Lang) -> String;
}

impl Pick for vulnrelay_policy::Text {
    fn pick(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.en.clone(),
            Lang::Zh => self.zh.clone(),
        }
    }
}

/// A bar chart of the median (filled) and worst (outlined) days per quarter.
pub fn quarter_chart(stats: &[QuarterStats], title: &str) -> String {
    let height = 220.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{t}\"><title>{t}</title>",
        t = xml(title)
    );
    let worst = stats.iter().filter_map(|s| s.worst_days).fold(1.0_f64, f64::max);
    let slot = (WIDTH - 60.0) / stats.len().max(1) as f64;
    let scale = |days: f64| (height - 50.0) * days / worst;
    for (i, s) in stats.iter().enumerate() {
        let x = 50.0 + slot * i as f64;
        let base = height - 30.0;
        if let Some(w) = s.worst_days {
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{h:.1}\" fill=\"none\" stroke=\"#c62828\"><title>worst {w:.1} d</title></rect>",
                y = base - scale(w),
                bw = slot * 0.6,
                h = scale(w),
            );
        }
        if let Some(m) = s.median_days {
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{h:.1}\" fill=\"#1565c0\"><title>median {m:.1} d</title></rect>",
                y = base - scale(m),
                bw = slot * 0.6,
                h = scale(m),
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"11\" text-anchor=\"middle\">{}Q{} ({}+{})</text>",
            s.year,
            s.quarter,
            s.closed,
            s.open,
            tx = x + slot * 0.3,
            ty = height - 12.0,
        );
    }
    svg.push_str("</svg>");
    svg
}
