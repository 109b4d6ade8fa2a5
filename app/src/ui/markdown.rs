//! The small Markdown that messages are written in: paragraphs, line breaks, lists,
//! links, bold, italic, inline code and code blocks.
//!
//! Text is parsed into a tree ([`Block`], [`Inline`]) and the tree is rendered with
//! `view!`, which escapes every text node: no HTML typed by anyone ever reaches the page
//! as markup (there is no `inner_html` here). Links are kept only for `http`, `https`
//! and `mailto` addresses and always get `rel="noopener noreferrer"`.

use leptos::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
    Code(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Code(String),
    Link { href: String, text: Vec<Inline> },
    Break,
}

/// Parses a message body. Never fails: anything that is not recognised stays text.
pub fn parse(source: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<(bool, Vec<Vec<&str>>)> = None;
    let mut lines = source.lines();

    fn flush(
        blocks: &mut Vec<Block>,
        paragraph: &mut Vec<&str>,
        list: &mut Option<(bool, Vec<Vec<&str>>)>,
    ) {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(inline_lines(paragraph)));
            paragraph.clear();
        }
        if let Some((ordered, items)) = list.take() {
            let items = items.iter().map(|lines| inline_lines(lines)).collect();
            blocks.push(Block::List { ordered, items });
        }
    }

    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            flush(&mut blocks, &mut paragraph, &mut list);
            let mut code = Vec::new();
            for inner in lines.by_ref() {
                if inner.trim_start().starts_with("```") {
                    break;
                }
                code.push(inner);
            }
            blocks.push(Block::Code(code.join("\n")));
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut blocks, &mut paragraph, &mut list);
            continue;
        }
        if let Some((ordered, rest)) = list_item(trimmed) {
            if !paragraph.is_empty() || list.as_ref().is_some_and(|(o, _)| *o != ordered) {
                flush(&mut blocks, &mut paragraph, &mut list);
            }
            list.get_or_insert_with(|| (ordered, Vec::new()))
                .1
                .push(vec![rest]);
            continue;
        }
        match list.as_mut().and_then(|(_, items)| items.last_mut()) {
            // A line under a list item continues that item.
            Some(item) if line.starts_with(' ') || line.starts_with('\t') => item.push(trimmed),
            _ => {
                if list.is_some() {
                    flush(&mut blocks, &mut paragraph, &mut list);
                }
                paragraph.push(trimmed);
            }
        }
    }
    flush(&mut blocks, &mut paragraph, &mut list);
    blocks
}

/// `- x`, `* x`, `+ x` (unordered) or `1. x`, `1) x` (ordered).
fn list_item(line: &str) -> Option<(bool, &str)> {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some((false, rest.trim_start()));
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((true, rest.trim_start()));
        }
    }
    None
}

/// The lines of one paragraph or list item, joined by line breaks.
fn inline_lines(lines: &[&str]) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push(Inline::Break);
        }
        out.extend(inlines(line));
    }
    out
}

/// Parses emphasis, code, links and bare web addresses in one line.
pub fn inlines(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let before = plain.chars().last().or_else(|| last_char(&out));
        if let Some((node, used)) = inline_at(rest, before) {
            if !plain.is_empty() {
                out.push(Inline::Text(std::mem::take(&mut plain)));
            }
            out.push(node);
            rest = &rest[used..];
            continue;
        }
        if c == '\\' {
            if let Some(next) = rest[1..]
                .chars()
                .next()
                .filter(|n| n.is_ascii_punctuation())
            {
                plain.push(next);
                rest = &rest[1 + next.len_utf8()..];
                continue;
            }
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
    out
}

fn last_char(nodes: &[Inline]) -> Option<char> {
    match nodes.last() {
        Some(Inline::Text(t)) => t.chars().last(),
        Some(_) => Some('x'),
        None => None,
    }
}

/// The inline element starting at `s`, with the bytes it used.
fn inline_at(s: &str, before: Option<char>) -> Option<(Inline, usize)> {
    let word_before = before.is_some_and(|c| c.is_alphanumeric());
    if let Some(body) = s.strip_prefix('`') {
        let end = body.find('`')?;
        if end == 0 {
            return None;
        }
        return Some((Inline::Code(body[..end].to_string()), end + 2));
    }
    for (mark, strong) in [("**", true), ("__", true), ("*", false), ("_", false)] {
        if !s.starts_with(mark) || (mark.starts_with('_') && word_before) {
            continue;
        }
        let body = &s[mark.len()..];
        // Not an opener when followed by a space ("2 * 3 * 4").
        if body.starts_with(char::is_whitespace) || body.is_empty() {
            continue;
        }
        if let Some(end) = closing(body, mark) {
            let inner = inlines(&body[..end]);
            let node = if strong {
                Inline::Strong(inner)
            } else {
                Inline::Emphasis(inner)
            };
            return Some((node, mark.len() * 2 + end));
        }
    }
    if let Some(body) = s.strip_prefix('[') {
        let close = body.find("](")?;
        let after = &body[close + 2..];
        let end = after.find(')')?;
        let href = after[..end].trim();
        if let Some(href) = safe_href(href) {
            let text = inlines(&body[..close]);
            return Some((Inline::Link { href, text }, 1 + close + 2 + end + 1));
        }
        return None;
    }
    if !word_before && (s.starts_with("https://") || s.starts_with("http://")) {
        let mut end = s
            .find(|c: char| c.is_whitespace() || c == '<' || c == '>' || c == '"')
            .unwrap_or(s.len());
        while end > 0 && s[..end].ends_with(['.', ',', ';', ':', '!', '?', ')', '\'']) {
            end -= 1;
        }
        let url = &s[..end];
        if url.len() > "https://".len() {
            if let Some(href) = safe_href(url) {
                return Some((
                    Inline::Link {
                        href,
                        text: vec![Inline::Text(url.to_string())],
                    },
                    end,
                ));
            }
        }
    }
    None
}

/// Where the closing `mark` of an emphasis is: not after a space, and (for `_`) not
/// inside a word.
fn closing(body: &str, mark: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = body[from..].find(mark) {
        let at = from + i;
        let prev = body[..at].chars().last();
        let next = body[at + mark.len()..].chars().next();
        let single_star_in_double = mark == "*" && next == Some('*');
        let inside_word = mark.starts_with('_') && next.is_some_and(|c| c.is_alphanumeric());
        if at > 0
            && !prev.is_some_and(char::is_whitespace)
            && !single_star_in_double
            && !inside_word
        {
            return Some(at);
        }
        from = at + mark.len();
        if single_star_in_double {
            from += 1;
        }
    }
    None
}

/// The link target if it is one people can safely follow: web and mail addresses only
/// (no `javascript:`, `data:` or relative tricks).
pub fn safe_href(href: &str) -> Option<String> {
    let lower = href.to_ascii_lowercase();
    let allowed = ["https://", "http://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p) && lower.len() > p.len());
    let clean = !href.chars().any(|c| c.is_whitespace() || c.is_control());
    (allowed && clean).then(|| href.to_string())
}

/// The plain text of a body, for previews and the audit trail.
pub fn plain_text(source: &str) -> String {
    fn walk(nodes: &[Inline], out: &mut String) {
        for n in nodes {
            match n {
                Inline::Text(t) | Inline::Code(t) => out.push_str(t),
                Inline::Strong(c) | Inline::Emphasis(c) => walk(c, out),
                Inline::Link { text, .. } => walk(text, out),
                Inline::Break => out.push(' '),
            }
        }
    }
    let mut out = String::new();
    for b in parse(source) {
        if !out.is_empty() {
            out.push(' ');
        }
        match b {
            Block::Paragraph(p) => walk(&p, &mut out),
            Block::List { items, .. } => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    walk(item, &mut out);
                }
            }
            Block::Code(c) => out.push_str(&c),
        }
    }
    out
}

/// A message body as HTML, rendered on the server from the tree above with every
/// text node escaped (the browser places it as it is: the bundle then carries no
/// Markdown code, and what reaches the page was built here, never typed by anyone).
#[cfg(feature = "ssr")]
pub fn to_html(source: &str) -> String {
    use leptos::tachys::view::RenderHtml;
    parse(source)
        .into_iter()
        .map(render_block)
        .collect::<Vec<_>>()
        .to_html()
}

/// A message body rendered from its Markdown.
#[component]
pub fn Markdown(#[prop(into)] source: String) -> impl IntoView {
    parse(&source).into_iter().map(render_block).collect_view()
}

fn render_block(block: Block) -> AnyView {
    match block {
        Block::Paragraph(nodes) => view! { <p>{render_inlines(nodes)}</p> }.into_any(),
        Block::List { ordered, items } => {
            let items = items
                .into_iter()
                .map(|item| view! { <li>{render_inlines(item)}</li> })
                .collect_view();
            if ordered {
                view! { <ol>{items}</ol> }.into_any()
            } else {
                view! { <ul>{items}</ul> }.into_any()
            }
        }
        Block::Code(code) => view! { <pre><code>{code}</code></pre> }.into_any(),
    }
}

fn render_inlines(nodes: Vec<Inline>) -> Vec<AnyView> {
    nodes.into_iter().map(render_inline).collect()
}

fn render_inline(node: Inline) -> AnyView {
    match node {
        Inline::Text(t) => t.into_any(),
        Inline::Strong(c) => view! { <strong>{render_inlines(c)}</strong> }.into_any(),
        Inline::Emphasis(c) => view! { <em>{render_inlines(c)}</em> }.into_any(),
        Inline::Code(c) => view! { <code>{c}</code> }.into_any(),
        Inline::Link { href, text } => view! {
            <a href=href rel="noopener noreferrer" target="_blank">{render_inlines(text)}</a>
        }
        .into_any(),
        Inline::Break => view! { <br/> }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn paragraphs_are_split_by_blank_lines_and_lines_keep_their_breaks() {
        assert_eq!(
            parse("one\ntwo\n\nthree"),
            vec![
                Block::Paragraph(vec![text("one"), Inline::Break, text("two")]),
                Block::Paragraph(vec![text("three")]),
            ]
        );
    }

    #[test]
    fn lists_are_recognised_ordered_and_not() {
        assert_eq!(
            parse("Steps:\n1. open\n2. close\n\n- a\n- b"),
            vec![
                Block::Paragraph(vec![text("Steps:")]),
                Block::List {
                    ordered: true,
                    items: vec![vec![text("open")], vec![text("close")]]
                },
                Block::List {
                    ordered: false,
                    items: vec![vec![text("a")], vec![text("b")]]
                },
            ]
        );
    }

    #[test]
    fn emphasis_code_and_links_are_parsed() {
        assert_eq!(
            inlines("**bold** and *it* with `x < y` at [docs](https://example.com/a)"),
            vec![
                Inline::Strong(vec![text("bold")]),
                text(" and "),
                Inline::Emphasis(vec![text("it")]),
                text(" with "),
                Inline::Code("x < y".into()),
                text(" at "),
                Inline::Link {
                    href: "https://example.com/a".into(),
                    text: vec![text("docs")]
                },
            ]
        );
    }

    #[test]
    fn snake_case_and_lone_stars_stay_text() {
        assert_eq!(inlines("my_var_name"), vec![text("my_var_name")]);
        assert_eq!(inlines("2 * 3 * 4"), vec![text("2 * 3 * 4")]);
        assert_eq!(inlines("\\*not\\*"), vec![text("*not*")]);
    }

    #[test]
    fn script_links_are_not_links() {
        assert_eq!(
            inlines("[click](javascript:alert(1))"),
            vec![text("[click](javascript:alert(1))")]
        );
        assert_eq!(safe_href("data:text/html,x"), None);
        assert_eq!(safe_href("JAVASCRIPT:x"), None);
        assert!(safe_href("mailto:a@b.c").is_some());
    }

    #[test]
    fn bare_addresses_become_links_without_trailing_punctuation() {
        assert_eq!(
            inlines("see https://example.com/x."),
            vec![
                text("see "),
                Inline::Link {
                    href: "https://example.com/x".into(),
                    text: vec![text("https://example.com/x")]
                },
                text("."),
            ]
        );
    }

    #[test]
    fn code_blocks_keep_their_text_verbatim() {
        assert_eq!(
            parse("```\n<b>*x*</b>\n```"),
            vec![Block::Code("<b>*x*</b>".into())]
        );
    }

    #[test]
    fn markup_is_only_text_in_the_tree() {
        assert_eq!(
            parse("<script>alert(1)</script>"),
            vec![Block::Paragraph(vec![text("<script>alert(1)</script>")])]
        );
        assert_eq!(plain_text("**Hi** [there](https://x.y)"), "Hi there");
    }
}
