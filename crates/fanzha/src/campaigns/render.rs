//! Markdown of articles to safe HTML. Sanitising by construction: raw HTML in the source is shown
//! as text (never passed through), and links and images keep only `http(s):`, `mailto:` and
//! site-relative targets. Links can be rewritten through the click-recording redirect.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

/// Rendered HTML and the link targets in order of appearance.
pub struct Rendered {
    pub html: String,
    pub links: Vec<String>,
}

fn safe_target(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    u.starts_with("http://")
        || u.starts_with("https://")
        || u.starts_with("mailto:")
        || (u.starts_with('/') && !u.starts_with("//"))
}

/// Renders `md`. With `redirect = Some(prefix)`, link number `n` becomes `{prefix}{n}` so a click
/// is recorded before the reader is sent on.
pub fn render(md: &str, redirect: Option<&str>) -> Rendered {
    let mut links = Vec::new();
    let events = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .map(|ev| match ev {
            Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest: CowStr = if !safe_target(&dest_url) {
                    "#".into()
                } else if let Some(prefix) = redirect {
                    links.push(dest_url.to_string());
                    format!("{prefix}{}", links.len() - 1).into()
                } else {
                    links.push(dest_url.to_string());
                    dest_url
                };
                Event::Start(Tag::Link {
                    link_type,
                    dest_url: dest,
                    title,
                    id,
                })
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => Event::Start(Tag::Image {
                link_type,
                dest_url: if safe_target(&dest_url) {
                    dest_url
                } else {
                    "#".into()
                },
                title,
                id,
            }),
            other => other,
        })
        .collect::<Vec<_>>();
    let mut out = String::with_capacity(md.len() * 2);
    html::push_html(&mut out, events.into_iter());
    Rendered { html: out, links }
}

/// The link targets of `md`, in the numbering `render` uses.
pub fn links(md: &str) -> Vec<String> {
    render(md, None).links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_and_script_links_are_neutralised() {
        let r = render(
            "# 提醒\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> [ok](https://110.cn/a)",
            None,
        );
        assert!(r.html.contains("<h1>提醒</h1>"));
        assert!(!r.html.contains("<script"), "{}", r.html);
        assert!(!r.html.contains("<img"), "{}", r.html);
        assert!(r.html.contains("&lt;script&gt;"));
        assert!(!r.html.contains("javascript:"), "{}", r.html);
        assert_eq!(r.links, vec!["https://110.cn/a".to_string()]);
    }

    #[test]
    fn links_go_through_the_redirect() {
        let r = render("[a](https://a.cn) and [b](/x)", Some("/campaigns/d/5/go/"));
        assert!(r.html.contains("href=\"/campaigns/d/5/go/0\""));
        assert!(r.html.contains("href=\"/campaigns/d/5/go/1\""));
        assert_eq!(r.links, vec!["https://a.cn", "/x"]);
    }
}
