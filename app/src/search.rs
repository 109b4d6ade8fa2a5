//! Full-text search: what people type (`refund print`, `"card declined"`, `-spam`),
//! read once into a [`SearchQuery`] and turned into each database's own full-text
//! syntax (FTS5 on SQLite, `tsquery` on Postgres), and the highlighted snippets of
//! what matched. The indexes are the migrations' (`0016_search.sql`), kept by the
//! database in the writing transaction.
//!
//! The query reader and the highlighter are written here: each engine has its own
//! syntax (no crate speaks both), and highlighting in Rust gives the same snippet on
//! both databases as plain text segments the page renders as text (no HTML from the
//! database).

pub mod api;
pub mod page;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How many terms of a query count (the rest are ignored): enough for any real
/// search, and a bound on the SQL one search builds.
const MAX_TERMS: usize = 8;

/// One thing to find: a word, or several words in a row (a quoted phrase, or an
/// address like `ann@example.com`, which the indexes hold as `ann example com`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Lower-case letters and digits only: nothing in them is syntax to either engine.
    pub words: Vec<String>,
    /// Whether the last word also matches longer words: only the query's last word,
    /// when it is typed unquoted (the word being typed). Other words, phrases and
    /// exclusions match whole words.
    pub prefix: bool,
}

/// A search: every `include` term must match, no `exclude` term may.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub include: Vec<Term>,
    pub exclude: Vec<Term>,
}

/// The words of `text` as the indexes split it: runs of letters and digits,
/// lower-cased (SQLite's unicode61 tokenizer and the Postgres migration's
/// `search_words` split the same way).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl SearchQuery {
    /// Reads what was typed: words separated by spaces, `"quoted phrases"`, and `-`
    /// before a word or phrase to exclude it. Never fails: anything that is not a
    /// letter or digit separates words, an unclosed quote runs to the end.
    pub fn parse(text: &str) -> SearchQuery {
        let mut query = SearchQuery::default();
        let mut rest = text.trim();
        let mut last_is_open_word = false;
        while !rest.is_empty() {
            let (negated, after_sign) = match rest.strip_prefix('-') {
                Some(r) if r.starts_with(|c: char| c == '"' || c.is_alphanumeric()) => (true, r),
                _ => (false, rest),
            };
            let (chunk, quoted, next) = match after_sign.strip_prefix('"') {
                Some(inner) => match inner.find('"') {
                    Some(end) => (&inner[..end], true, &inner[end + 1..]),
                    None => (inner, true, ""),
                },
                None => {
                    let end = after_sign
                        .find(char::is_whitespace)
                        .unwrap_or(after_sign.len());
                    (&after_sign[..end], false, &after_sign[end..])
                }
            };
            let words = words(chunk);
            if !words.is_empty() {
                last_is_open_word = !quoted && !negated;
            }
            if !words.is_empty() && query.include.len() + query.exclude.len() < MAX_TERMS {
                let term = Term {
                    words,
                    prefix: false,
                };
                if negated {
                    query.exclude.push(term);
                } else if !query.include.contains(&term) {
                    query.include.push(term);
                }
            }
            rest = next.trim_start();
        }
        // The last word is the one being typed: it also matches longer words. Only
        // that one: every prefix makes the engines gather all the words it begins.
        if last_is_open_word {
            if let Some(term) = query.include.last_mut() {
                term.prefix = true;
            }
        }
        query
    }

    /// Whether nothing searchable was typed.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// The query as one FTS5 expression, limited to `columns` (`{title public}`;
    /// empty: every column), and whether its matches are the rows to leave out: FTS5
    /// has no unary NOT, so a query of exclusions only gives the rows that hold any of
    /// them. `None` for an empty query.
    pub fn fts5(&self, columns: &str) -> Option<(String, bool)> {
        let join =
            |terms: &[Term], op: &str| terms.iter().map(Term::fts5).collect::<Vec<_>>().join(op);
        let (expr, leave_out) = if self.include.is_empty() {
            (join(&self.exclude, " OR "), true)
        } else {
            let mut expr = format!("({})", join(&self.include, " AND "));
            for term in &self.exclude {
                expr.push_str(" NOT ");
                expr.push_str(&term.fts5());
            }
            (expr, false)
        };
        match (expr.is_empty(), columns.is_empty()) {
            (true, _) => None,
            (false, true) => Some((expr, leave_out)),
            (false, false) => Some((format!("{columns} : ({expr})"), leave_out)),
        }
    }

    /// The query in Postgres' `tsquery` syntax: every included term and no excluded
    /// one (empty for an empty query).
    pub fn tsquery(&self) -> String {
        self.include
            .iter()
            .map(Term::tsquery)
            .chain(self.exclude.iter().map(|t| format!("!{}", t.tsquery())))
            .collect::<Vec<_>>()
            .join(" & ")
    }

    /// Whether the text of one record holds every included term and no excluded one,
    /// as the index would decide (used to rank and to choose what to highlight).
    pub fn matches_all(&self, text: &str) -> bool {
        let w = words(text);
        self.include.iter().all(|t| t.found_in(&w)) && !self.exclude.iter().any(|t| t.found_in(&w))
    }

    /// How many of the included terms `text` holds.
    pub fn hits(&self, text: &str) -> usize {
        let w = words(text);
        self.include.iter().filter(|t| t.found_in(&w)).count()
    }
}

impl Term {
    /// Whether word `word` (lower case) is the `i`th word of the term.
    fn word_matches(&self, i: usize, word: &str) -> bool {
        let want = &self.words[i];
        word == want
            || (self.prefix && i + 1 == self.words.len() && word.starts_with(want.as_str()))
    }

    /// Whether the term occurs in `words` (a phrase: its words in a row).
    fn found_in(&self, words: &[String]) -> bool {
        let n = self.words.len();
        words.len() >= n
            && (0..=words.len() - n)
                .any(|start| (0..n).all(|i| self.word_matches(i, &words[start + i])))
    }

    /// The term in FTS5's syntax: a quoted string (the words hold no quote), with
    /// `*` for a prefix.
    pub fn fts5(&self) -> String {
        format!(
            "\"{}\"{}",
            self.words.join(" "),
            if self.prefix { "*" } else { "" }
        )
    }

    /// The term in Postgres' `tsquery` syntax: quoted lexemes followed one by the next
    /// (`<->`), `:*` for a prefix.
    pub fn tsquery(&self) -> String {
        let last = self.words.len() - 1;
        let parts: Vec<String> = self
            .words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let star = if self.prefix && i == last { ":*" } else { "" };
                format!("'{w}'{star}")
            })
            .collect();
        format!("({})", parts.join(" <-> "))
    }
}

/// What one search found, for the search page: the best tickets, customers and
/// companies, each with its matches marked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub tickets: Vec<TicketResult>,
    /// More tickets matched than are shown: words to narrow the search would help.
    pub more_tickets: bool,
    pub customers: Vec<CustomerResult>,
    pub companies: Vec<CompanyResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketResult {
    pub number: i64,
    pub title: Vec<Segment>,
    /// Where the words were found: the latest matching message, or the description.
    pub snippet: Vec<Segment>,
    pub team: String,
    pub stage: String,
    pub done: bool,
    pub customer: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerResult {
    pub id: i64,
    pub name: Vec<Segment>,
    pub email: String,
    pub company: Option<String>,
    /// The notes, when they hold a match.
    pub snippet: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyResult {
    pub id: i64,
    pub name: String,
    pub marked: Vec<Segment>,
    pub customers: i64,
}

/// A piece of a snippet: text, and whether it is a match to highlight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// Segments as the page shows them: matches in `<mark>`, all of it as text.
#[component]
pub fn Highlighted(segments: Vec<Segment>) -> impl IntoView {
    segments
        .into_iter()
        .map(|s| {
            if s.hit {
                view! { <mark>{s.text}</mark> }.into_any()
            } else {
                s.text.into_any()
            }
        })
        .collect_view()
}

/// About `max_chars` of `text` around its first match of `query`, its whitespace
/// collapsed, with every matching word marked and `…` where text was left out. Text
/// without a match gives its start, unmarked.
pub fn highlight(text: &str, query: &SearchQuery, max_chars: usize) -> Vec<Segment> {
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // The words of the text with their byte ranges.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    let lower: Vec<String> = spans
        .iter()
        .map(|&(s, e)| text[s..e].to_lowercase())
        .collect();
    // A word is marked when it is part of an included term found at that place.
    let mut marked = vec![false; spans.len()];
    for term in &query.include {
        let n = term.words.len();
        if lower.len() < n {
            continue;
        }
        for at in 0..=lower.len() - n {
            if (0..n).all(|i| term.word_matches(i, &lower[at + i])) {
                marked[at..at + n].iter_mut().for_each(|m| *m = true);
            }
        }
    }
    // The window: from a few words before the first mark, about max_chars long.
    let first = marked.iter().position(|m| *m);
    let from = match first {
        Some(i) if spans[i].0 > max_chars / 3 => spans[i.saturating_sub(4)].0,
        _ => 0,
    };
    let mut to = text.len();
    if to - from > max_chars {
        to = spans
            .iter()
            .map(|&(_, e)| e)
            .filter(|&e| e > from && e - from <= max_chars)
            .max()
            .unwrap_or_else(|| {
                // One word longer than the window: cut it at a character boundary.
                let mut cut = from + max_chars;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                cut
            });
    }
    let mut segments: Vec<Segment> = Vec::new();
    let mut push = |s: &str, hit: bool| {
        if s.is_empty() {
            return;
        }
        match segments.last_mut() {
            Some(last) if last.hit == hit => last.text.push_str(s),
            _ => segments.push(Segment {
                text: s.to_string(),
                hit,
            }),
        }
    };
    if from > 0 {
        push("…", false);
    }
    let mut at = from;
    for (i, &(s, e)) in spans.iter().enumerate() {
        if s < from || e > to || !marked[i] {
            continue;
        }
        push(&text[at..s], false);
        push(&text[s..e], true);
        at = e;
    }
    push(&text[at..to], false);
    if to < text.len() {
        push("…", false);
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(words: &[&str], prefix: bool) -> Term {
        Term {
            words: words.iter().map(|w| w.to_string()).collect(),
            prefix,
        }
    }

    #[test]
    fn the_last_word_is_a_prefix_phrases_are_exact_and_a_minus_excludes() {
        let q = SearchQuery::parse(r#"Refund "card declined" -spam ann@example.com"#);
        assert_eq!(
            q.include,
            vec![
                term(&["refund"], false),
                term(&["card", "declined"], false),
                term(&["ann", "example", "com"], true)
            ]
        );
        assert_eq!(q.exclude, vec![term(&["spam"], false)]);
        // Ending in a phrase or an exclusion, nothing is being typed.
        assert!(!SearchQuery::parse("refund -spam").include[0].prefix);
        assert!(!SearchQuery::parse("refund \"card\"").include[1].prefix);
        assert!(SearchQuery::parse("  refu ").include[0].prefix);
    }

    #[test]
    fn a_query_reads_as_one_expression_in_each_engine() {
        let q = SearchQuery::parse(r#"card "paper jam" -spam -"bad toner" refu"#);
        assert_eq!(
            q.fts5(""),
            Some((
                r#"("card" AND "paper jam" AND "refu"*) NOT "spam" NOT "bad toner""#.to_string(),
                false
            ))
        );
        assert_eq!(
            q.tsquery(),
            "('card') & ('paper' <-> 'jam') & ('refu':*) & !('spam') & !('bad' <-> 'toner')"
        );
        // Exclusions only: the rows to leave out.
        let q = SearchQuery::parse("-spam -ham");
        assert_eq!(
            q.fts5("{title public}"),
            Some((r#"{title public} : ("spam" OR "ham")"#.to_string(), true))
        );
        assert_eq!(SearchQuery::parse(" ").fts5(""), None);
    }

    #[test]
    fn punctuation_and_stray_quotes_never_reach_the_engines() {
        let q = SearchQuery::parse(r#"  "unclosed phrase  O'Brien* -  -"x" (a OR b) "#);
        assert_eq!(
            q.include,
            vec![
                term(&["unclosed", "phrase", "o", "brien"], false),
                term(&["x"], false),
                term(&["a"], false),
                term(&["or"], false),
                term(&["b"], true)
            ]
        );
        let q = SearchQuery::parse(r#"it's NEAR(x) a:b - -- ""#);
        assert_eq!(q.include[0].fts5(), "\"it s\"");
        assert_eq!(q.include[1].tsquery(), "('near' <-> 'x')");
        assert_eq!(q.include[2].tsquery(), "('a' <-> 'b':*)");
        assert_eq!(q.include.len(), 3);
        assert!(q.exclude.is_empty());
        assert!(SearchQuery::parse("  - ... \"\" ").is_empty());
    }

    #[test]
    fn a_query_has_at_most_eight_terms() {
        let q = SearchQuery::parse("a b c d e f g h i j k");
        assert_eq!(q.include.len(), 8);
    }

    #[test]
    fn terms_read_the_same_in_both_engines() {
        let t = term(&["card", "decl"], true);
        assert_eq!(t.fts5(), "\"card decl\"*");
        assert_eq!(t.tsquery(), "('card' <-> 'decl':*)");
        assert_eq!(term(&["x"], false).tsquery(), "('x')");
    }

    #[test]
    fn matching_follows_the_index_rules() {
        let q = SearchQuery::parse(r#""paper jam" -laser print"#);
        assert!(q.matches_all("The Printer says: PAPER jam!"));
        assert!(!q.matches_all("printer paper, then a jam"));
        assert!(!q.matches_all("laser printer: paper jam"));
        assert_eq!(q.hits("printer only"), 1);
    }

    #[test]
    fn a_snippet_marks_every_match_around_the_first() {
        let q = SearchQuery::parse("refund");
        let s = highlight("We sent the refund.\n\nRefunds take   a week.", &q, 200);
        assert_eq!(
            s,
            vec![
                Segment {
                    text: "We sent the ".into(),
                    hit: false
                },
                Segment {
                    text: "refund".into(),
                    hit: true
                },
                Segment {
                    text: ". ".into(),
                    hit: false
                },
                Segment {
                    text: "Refunds".into(),
                    hit: true
                },
                Segment {
                    text: " take a week.".into(),
                    hit: false
                },
            ]
        );
    }

    #[test]
    fn a_long_text_is_cut_around_its_match() {
        let q = SearchQuery::parse("needle");
        let text = format!("{} needle {}", "hay ".repeat(100), "straw ".repeat(100));
        let s = highlight(&text, &q, 60);
        let joined: String = s.iter().map(|x| x.text.as_str()).collect();
        assert!(joined.starts_with('…') && joined.ends_with('…'), "{joined}");
        assert!(joined.chars().count() <= 62, "{joined}");
        assert!(s.iter().any(|x| x.hit && x.text == "needle"));
        // No match: the start, unmarked.
        let none = highlight("ÄÖÜ äöü ".repeat(50).as_str(), &q, 20);
        assert!(none.iter().all(|x| !x.hit));
    }
}
