//! Charts drawn on the server as inline SVG: they need no script, print as they are and scale to
//! the width of a phone (a `viewBox` and `width="100%"`). Labels are escaped here.

use std::fmt::Write as _;

/// Escapes text for SVG content and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A compact number for the axis, which shows the maximum only: the exact figures are in the
/// table beside each chart.
fn short(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if v >= 10_000.0 {
        format!("{:.0}k", v / 1_000.0)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// One series of a month chart: drawn as bars (the first) or as a line (the others).
pub struct Line<'a> {
    pub name: &'a str,
    pub values: &'a [f64],
    pub class: &'a str,
}

/// Bars of the first series with the other series as lines over the same months; `labels` are
/// "YYYY-MM" months (only the month number is written under each bar).
pub fn months(id: &str, title: &str, labels: &[String], series: &[Line<'_>]) -> String {
    let (w, h, left, bottom, top) = (360.0, 200.0, 34.0, 22.0, 26.0);
    let n = labels.len().max(1) as f64;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let plot_h = h - bottom - top;
    let step = (w - left - 4.0) / n;
    let y = |v: f64| top + plot_h - v / max * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="fz-svg" id="{id}" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    // Axis: the maximum and zero.
    let _ = write!(
        s,
        r#"<text x="{x}" y="{yt}" class="fz-svg-axis" text-anchor="end">{m}</text><text x="{x}" y="{yb}" class="fz-svg-axis" text-anchor="end">0</text><line x1="{left}" y1="{yb0}" x2="{w}" y2="{yb0}" class="fz-svg-base"/>"#,
        x = left - 4.0,
        yt = top + 4.0,
        yb = top + plot_h,
        yb0 = top + plot_h,
        m = short(max),
    );
    // Legend.
    let mut lx = left;
    for (i, sr) in series.iter().enumerate() {
        let _ = write!(
            s,
            r#"<rect x="{lx}" y="4" width="10" height="10" class="{c}{k}"/><text x="{tx}" y="13" class="fz-svg-legend">{name}</text>"#,
            c = sr.class,
            k = if i == 0 { "" } else { " fz-svg-key-line" },
            tx = lx + 13.0,
            name = esc(sr.name),
        );
        lx += 20.0 + sr.name.chars().count() as f64 * 9.0;
    }
    if let Some(first) = series.first() {
        for (i, v) in first.values.iter().enumerate() {
            let x = left + step * i as f64 + step * 0.15;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{yy:.1}" width="{bw:.1}" height="{bh:.1}" class="{c}"><title>{lab}: {v}</title></rect>"#,
                yy = y(*v),
                bw = step * 0.7,
                bh = (top + plot_h - y(*v)).max(0.0),
                c = first.class,
                lab = esc(labels.get(i).map_or("", |l| l.as_str())),
            );
        }
    }
    for sr in series.iter().skip(1) {
        let pts: Vec<String> = sr
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{:.1},{:.1}", left + step * (i as f64 + 0.5), y(*v)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline points="{}" class="{}" fill="none"/>"#,
            pts.join(" "),
            sr.class
        );
    }
    for (i, l) in labels.iter().enumerate() {
        let m = l.rsplit('-').next().unwrap_or(l).trim_start_matches('0');
        let _ = write!(
            s,
            r#"<text x="{x:.1}" y="{yy}" class="fz-svg-axis" text-anchor="middle">{m}</text>"#,
            x = left + step * (i as f64 + 0.5),
            yy = h - 6.0,
            m = esc(m),
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars of percentages, one row per label; `None` is written as `no_data`.
pub fn percent_bars(
    id: &str,
    title: &str,
    rows: &[(String, Option<f64>)],
    no_data: &str,
) -> String {
    let (w, row_h, label_w) = (360.0, 22.0, 150.0);
    let h = row_h * rows.len().max(1) as f64 + 4.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="fz-svg" id="{id}" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    let bar_w = w - label_w - 50.0;
    for (i, (label, v)) in rows.iter().enumerate() {
        let y0 = 2.0 + row_h * i as f64;
        let name: String = if label.chars().count() > 12 {
            label.chars().take(11).chain(std::iter::once('…')).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            s,
            r#"<text x="0" y="{ty:.1}" class="fz-svg-label">{n}</text><rect x="{label_w}" y="{ry:.1}" width="{bar_w}" height="{bh}" class="fz-svg-track"/>"#,
            ty = y0 + 15.0,
            n = esc(&name),
            ry = y0 + 4.0,
            bh = row_h - 8.0,
        );
        match v {
            Some(p) => {
                let _ = write!(
                    s,
                    r#"<rect x="{label_w}" y="{ry:.1}" width="{bw:.1}" height="{bh}" class="fz-svg-bar{cls}"><title>{lab}: {p:.1}%</title></rect><text x="{tx}" y="{ty:.1}" class="fz-svg-value">{p:.1}%</text>"#,
                    ry = y0 + 4.0,
                    bw = bar_w * p.clamp(0.0, 100.0) / 100.0,
                    bh = row_h - 8.0,
                    cls = if *p >= 80.0 {
                        " fz-svg-good"
                    } else if *p >= 50.0 {
                        " fz-svg-mid"
                    } else {
                        " fz-svg-low"
                    },
                    lab = esc(label),
                    tx = label_w + bar_w + 4.0,
                    ty = y0 + 15.0,
                );
            }
            None => {
                let _ = write!(
                    s,
                    r#"<text x="{tx}" y="{ty:.1}" class="fz-svg-value fz-svg-none">{nd}</text>"#,
                    tx = label_w + 4.0,
                    ty = y0 + 15.0,
                    nd = esc(no_data),
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_no_data_is_written() {
        let s = percent_bars(
            "x",
            "a<b",
            &[("<script>".into(), None), ("甲".into(), Some(50.0))],
            "无数据",
        );
        assert!(!s.contains("<script>"));
        assert!(s.contains("&lt;script&gt;"));
        assert!(s.contains("无数据"));
        assert!(s.contains("50.0%"));
        let m = months(
            "m",
            "t",
            &["2025-01".into(), "2025-12".into()],
            &[Line {
                name: "n",
                values: &[1.0, 3.0],
                class: "c",
            }],
        );
        assert!(m.contains(">12<") && m.contains(">1<"), "{m}");
    }
}
