//! Messages are written in Markdown (CommonMark with GitHub's tables and
//! strikethrough) and rendered on the server by `pulldown-cmark`, which parses in
//! linear time, so no body, however hostile, costs more than its length.
//!
//! What is typed never reaches the page as markup: raw HTML is turned into text
//! (shown as typed), links and images keep only `http`, `https` and `mailto`
//! addresses (others become their text), every link opens in a new tab with
//! `rel="noopener noreferrer"`, images become links (a message never loads a file
//! from elsewhere), and bare addresses become links (`linkify`). Headings start at
//! `<h3>` so a message never outranks the page's own headings. A line break in the
//! text is a line break on the page, as people expect of a message box.

use linkify::{LinkFinder, LinkKind};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use pulldown_cmark_escape::escape_href;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// The address of a link when it is one a message may carry.
pub fn safe_href(href: &str) -> Option<String> {
    let href = href.trim();
    let scheme = href.split_once(':')?.0.to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https" | "mailto").then(|| href.to_string())
}

fn anchor(href: &str) -> String {
    let mut out = String::from("<a href=\"");
    // Writing to a String cannot fail.
    let _ = escape_href(&mut out, href);
    out.push_str("\" rel=\"noopener noreferrer\" target=\"_blank\">");
    out
}

/// `text` with every bare web or email address made a link.
fn linkified<'a>(text: CowStr<'a>, finder: &LinkFinder, out: &mut Vec<Event<'a>>) {
    if !text.contains(['.', '@', ':']) {
        out.push(Event::Text(text));
        return;
    }
    for span in finder.spans(&text) {
        let piece = span.as_str().to_string();
        let href = match span.kind() {
            Some(LinkKind::Url) => safe_href(&piece),
            Some(LinkKind::Email) => Some(format!("mailto:{piece}")),
            _ => None,
        };
        match href {
            Some(href) => {
                out.push(Event::Html(anchor(&href).into()));
                out.push(Event::Text(piece.into()));
                out.push(Event::Html("</a>".into()));
            }
            None => out.push(Event::Text(piece.into())),
        }
    }
}

fn shifted(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

/// The parser's events made safe to render (see the module's notes).
fn safe_events(source: &str) -> Vec<Event<'_>> {
    let finder = LinkFinder::new();
    let mut out = Vec::new();
    // For each open link or image: whether its `<a>` was written.
    let mut links: Vec<bool> = Vec::new();
    let mut in_code_block = false;
    for event in Parser::new_ext(source, options()) {
        match event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                let href = safe_href(&dest_url);
                if let Some(href) = &href {
                    out.push(Event::Html(anchor(href).into()));
                }
                links.push(href.is_some());
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
                if links.pop() == Some(true) {
                    out.push(Event::Html("</a>".into()));
                }
            }
            Event::Start(Tag::Heading { level, .. }) => out.push(Event::Start(Tag::Heading {
                level: shifted(level),
                id: None,
                classes: Vec::new(),
                attrs: Vec::new(),
            })),
            Event::End(TagEnd::Heading(level)) => {
                out.push(Event::End(TagEnd::Heading(shifted(level))))
            }
            // Typed HTML is shown as the text it is; a block of it as a paragraph.
            Event::Start(Tag::HtmlBlock) => out.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => out.push(Event::End(TagEnd::Paragraph)),
            Event::Html(html) => {
                let mut lines = html.lines().peekable();
                while let Some(line) = lines.next() {
                    out.push(Event::Text(line.to_string().into()));
                    if lines.peek().is_some() {
                        out.push(Event::HardBreak);
                    }
                }
            }
            Event::InlineHtml(html) => out.push(Event::Text(html)),
            Event::SoftBreak => out.push(Event::HardBreak),
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code_block = true;
                out.push(Event::Start(Tag::CodeBlock(kind)));
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                out.push(Event::End(TagEnd::CodeBlock));
            }
            Event::Text(text) if links.is_empty() && !in_code_block => {
                linkified(text, &finder, &mut out)
            }
            other => out.push(other),
        }
    }
    out
}

/// A message body as HTML: safe to place with `inner_html` (see the module's notes).
pub fn to_html(source: &str) -> String {
    let mut html = String::with_capacity(source.len() + source.len() / 2);
    pulldown_cmark::html::push_html(&mut html, safe_events(source).into_iter());
    html
}

/// A message body as plain text, for excerpts: the words without their formatting,
/// blocks and lines joined by single spaces.
pub fn plain_text(source: &str) -> String {
    let mut out = String::new();
    for event in Parser::new_ext(source, options()) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::Item
                | TagEnd::TableCell
                | TagEnd::HtmlBlock,
            ) => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_quotes_headings_nested_lists_and_code_blocks_render() {
        let html = to_html(
            "# Title\n\n**bold** *it* ~~gone~~ `x < y`\n\n> quoted\n\n- one\n  - nested\n- two\n\n1. first\n\n```\nlet a = 1;\n```",
        );
        assert!(html.contains("<h3>Title</h3>"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("<em>it</em>"), "{html}");
        assert!(html.contains("<del>gone</del>"), "{html}");
        assert!(html.contains("<code>x &lt; y</code>"), "{html}");
        assert!(html.contains("<blockquote>\n<p>quoted</p>"), "{html}");
        assert!(html.contains("<li>one\n<ul>\n<li>nested</li>"), "{html}");
        assert!(html.contains("<ol>\n<li>first</li>"), "{html}");
        assert!(
            html.contains("<pre><code>let a = 1;\n</code></pre>"),
            "{html}"
        );
    }

    #[test]
    fn typed_html_is_shown_as_text() {
        let html =
            to_html("<script>window.pwned = 1</script>\n\nhi <img src=x onerror=alert(1)> there");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("&lt;script&gt;window.pwned = 1&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("hi &lt;img src=x onerror=alert(1)&gt; there"),
            "{html}"
        );
    }

    #[test]
    fn only_web_and_mail_links_are_links_and_they_open_safely() {
        let html = to_html("[bad](javascript:alert(1)) [data](data:text/html,x) [good](https://example.com/a?b=1&c=2) [mail](mailto:a@b.c)");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("href=\"data:"), "{html}");
        assert!(
            html.contains("bad"),
            "the text of a refused link stays: {html}"
        );
        assert!(html.contains(
            "<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer\" target=\"_blank\">good</a>"
        ), "{html}");
        assert!(html.contains("<a href=\"mailto:a@b.c\""), "{html}");
    }

    #[test]
    fn images_become_links_and_never_load() {
        let html = to_html("![the logo](https://tracker.example/pixel.png)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("<a href=\"https://tracker.example/pixel.png\""),
            "{html}"
        );
        assert!(html.contains("the logo</a>"), "{html}");
    }

    #[test]
    fn bare_addresses_become_links_without_trailing_punctuation() {
        let html = to_html("see https://example.com/x. or write to help@example.com");
        assert!(html.contains(
            "see <a href=\"https://example.com/x\" rel=\"noopener noreferrer\" target=\"_blank\">https://example.com/x</a>."
        ), "{html}");
        assert!(
            html.contains("<a href=\"mailto:help@example.com\""),
            "{html}"
        );
        // Not inside code.
        let code = to_html("`https://example.com` and\n\n```\nhttps://example.com\n```");
        assert!(!code.contains("<a "), "{code}");
    }

    #[test]
    fn line_breaks_are_kept_and_snake_case_stays_text() {
        assert_eq!(to_html("one\ntwo"), "<p>one<br />\ntwo</p>\n");
        assert_eq!(
            to_html("my_var_name 2 * 3 * 4"),
            "<p>my_var_name 2 * 3 * 4</p>\n"
        );
    }

    #[test]
    fn a_hostile_body_renders_in_linear_time() {
        // 200 kB of unclosed emphasis, links and brackets: quadratic parsers take
        // minutes on these; this one must stay well under a second for each.
        for body in [
            "*".repeat(200_000),
            "*a ".repeat(70_000),
            "[".repeat(200_000),
            "> ".repeat(100_000),
            "`".repeat(200_000),
        ] {
            let started = std::time::Instant::now();
            let html = to_html(&body);
            assert!(!html.is_empty());
            let took = started.elapsed();
            assert!(
                took < std::time::Duration::from_secs(2),
                "{} bytes took {took:?}",
                body.len()
            );
        }
    }

    #[test]
    fn plain_text_keeps_only_the_words() {
        assert_eq!(
            plain_text("**Hi** [there](https://x.y)\n\n- a\n- b"),
            "Hi there a b"
        );
    }
}
