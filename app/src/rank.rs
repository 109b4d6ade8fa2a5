//! Order of cards inside a stage, as strings that sort byte-wise (SQLite's default,
//! Postgres with `COLLATE "C"`). A move computes one new rank between its new
//! neighbours, so only the moved ticket is written.
//!
//! Digits are `0-9a-z` (base 36, ASCII order). Ranks that open or close a column
//! step a fixed-width 8-digit number, so millions of cards added at the top or the
//! bottom keep 8 characters; a card dropped between two neighbours takes a midpoint,
//! which grows by about one character per five drops into the very same gap.

const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
const WIDTH: usize = 8;
/// The distance between ranks added at either end: leaves room for ~15 midpoint
/// drops between two such neighbours before a rank gets longer.
const STEP: u64 = 36 * 36 * 36;

fn digit(c: u8) -> Option<u8> {
    DIGITS.iter().position(|&d| d == c).map(|p| p as u8)
}

fn digits(s: &str) -> Option<Vec<u8>> {
    s.bytes().map(digit).collect()
}

fn render(ds: &[u8]) -> String {
    ds.iter().map(|&d| DIGITS[d as usize] as char).collect()
}

/// The first `width` digits as a number (missing digits count as 0).
fn head_value(ds: &[u8], width: usize) -> u128 {
    (0..width).fold(0u128, |acc, i| {
        acc * 36 + u128::from(ds.get(i).copied().unwrap_or(0))
    })
}

fn from_value(mut v: u128, width: usize) -> Vec<u8> {
    let mut out = vec![0u8; width];
    for slot in out.iter_mut().rev() {
        *slot = (v % 36) as u8;
        v /= 36;
    }
    out
}

fn max_value(width: usize) -> u128 {
    36u128.pow(width as u32)
}

/// The widths an end-of-column rank may take: 8 digits, and 16 or 24 once a column's
/// end has come near the edge of the space (after tens of millions of cards added
/// there, or ranks made elsewhere that start near it), so ranks there grow by eight
/// digits per tens of millions of cards instead of by one digit per few cards.
const WIDTHS: [usize; 3] = [WIDTH, 2 * WIDTH, 3 * WIDTH];

/// The rank of the only card in an empty stage.
pub fn first() -> String {
    render(&from_value(max_value(WIDTH) / 2, WIDTH))
}

/// A rank strictly between `lo` and `hi` (`None` = the open end of the column), or
/// `None` when there is none: `lo >= hi`, or either is not a rank.
pub fn between(lo: Option<&str>, hi: Option<&str>) -> Option<String> {
    let lo_d = match lo {
        Some(s) => Some(digits(s)?),
        None => None,
    };
    let hi_d = match hi {
        Some(s) => Some(digits(s)?),
        None => None,
    };
    let step = u128::from(STEP);
    match (&lo_d, &hi_d) {
        (None, None) => Some(first()),
        (Some(l), None) => {
            for width in WIDTHS {
                let v = head_value(l, width) + step;
                if v < max_value(width) {
                    let cand = from_value(v, width);
                    if cand.as_slice() > l.as_slice() {
                        return Some(render(&cand));
                    }
                }
            }
            midpoint(l, None).map(|d| render(&d))
        }
        (None, Some(h)) => {
            // Step down only when the result stays strictly below `hi` and is not
            // all zeros (nothing could ever go before an all-zero rank).
            for width in WIDTHS {
                let hv = head_value(h, width);
                if hv > step {
                    let cand = from_value(hv - step, width);
                    if cand.as_slice() < h.as_slice() {
                        return Some(render(&cand));
                    }
                }
            }
            midpoint(&[], Some(h)).map(|d| render(&d))
        }
        (Some(l), Some(h)) => {
            if l >= h {
                return None;
            }
            midpoint(l, Some(h)).map(|d| render(&d))
        }
    }
}

/// The digit-wise midpoint of `lo < hi` (hi `None`: unbounded above). Never ends
/// in the zero digit, so there is always room below the result.
fn midpoint(lo: &[u8], hi: Option<&[u8]>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut upper_open = hi.is_none();
    for i in 0.. {
        if i > 4096 {
            return None;
        }
        let l = lo.get(i).copied().unwrap_or(0);
        let h = if upper_open {
            36
        } else {
            // Past the end of `hi` with an equal prefix means lo >= hi.
            *hi.and_then(|h| h.get(i))?
        };
        if l == h {
            out.push(l);
            continue;
        }
        if l > h {
            return None;
        }
        if h - l >= 2 {
            out.push((l + h) / 2);
            return Some(out);
        }
        // Adjacent digits: keep lo's digit; anything after it is below hi.
        out.push(l);
        upper_open = true;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(v: &[String]) -> bool {
        v.windows(2).all(|w| w[0] < w[1])
    }

    #[test]
    fn an_empty_stage_starts_in_the_middle() {
        assert_eq!(between(None, None).unwrap(), first());
        assert_eq!(first().len(), 8);
    }

    #[test]
    fn a_million_cards_added_at_the_bottom_keep_eight_characters() {
        let mut r = first();
        for _ in 0..1_000_000 {
            let next = between(Some(&r), None).unwrap();
            assert!(next > r);
            r = next;
        }
        assert!(r.len() <= 9, "{r}");
    }

    #[test]
    fn cards_added_at_the_top_stay_ordered_and_short() {
        let mut r = first();
        for _ in 0..100_000 {
            let next = between(None, Some(&r)).unwrap();
            assert!(next < r, "{next} < {r}");
            r = next;
        }
        assert!(r.len() <= 10, "{r}");
    }

    #[test]
    fn repeated_drops_into_one_gap_stay_between_the_neighbours() {
        let lo = first();
        let hi = between(Some(&lo), None).unwrap();
        let mut upper = hi.clone();
        for _ in 0..200 {
            let m = between(Some(&lo), Some(&upper)).unwrap();
            assert!(lo < m && m < upper, "{lo} < {m} < {upper}");
            upper = m;
        }
        let mut lower = lo.clone();
        for _ in 0..200 {
            let m = between(Some(&lower), Some(&hi)).unwrap();
            assert!(lower < m && m < hi);
            lower = m;
        }
    }

    #[test]
    fn cards_added_at_an_end_near_the_edge_of_the_space_grow_by_steps_not_digits() {
        // Ranks made elsewhere (an import, an old seed) may start close to an edge:
        // 100,000 cards added there stay ordered and at most 24 characters long (one
        // digit per five cards, as a midpoint would take, is 20,000 characters).
        for start in ["00000001", "0000b640", "000000000i"] {
            let mut r = start.to_string();
            for _ in 0..100_000 {
                let next = between(None, Some(&r)).unwrap();
                assert!(next < r, "{next} < {r}");
                r = next;
            }
            assert!(r.len() <= 24, "{start}: {r}");
        }
        for start in ["zzzzzzzy", "zzzzzzzzzzk"] {
            let mut r = start.to_string();
            for _ in 0..100_000 {
                let next = between(Some(&r), None).unwrap();
                assert!(next > r, "{next} > {r}");
                r = next;
            }
            assert!(r.len() <= 24, "{start}: {r}");
        }
    }

    #[test]
    fn there_is_always_room_at_the_very_top() {
        // Even below a rank made of the smallest digits.
        for hi in ["1", "01", "001", "0001"] {
            let r = between(None, Some(hi)).unwrap();
            assert!(r.as_str() < hi, "{r} < {hi}");
        }
    }

    #[test]
    fn equal_or_reversed_neighbours_have_no_rank_between() {
        assert_eq!(between(Some("i0000000"), Some("i0000000")), None);
        assert_eq!(between(Some("j"), Some("i")), None);
        assert_eq!(between(Some("NOT A RANK"), None), None);
    }

    #[test]
    fn random_moves_keep_a_column_sorted() {
        // A deterministic pseudo-random sequence of inserts at any position.
        let mut column = vec![first()];
        let mut seed: u64 = 42;
        for _ in 0..5_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pos = (seed >> 33) as usize % (column.len() + 1);
            let lo = pos.checked_sub(1).map(|i| column[i].as_str());
            let hi = column.get(pos).map(String::as_str);
            let r = between(lo, hi).unwrap();
            column.insert(pos, r);
        }
        assert!(ordered(&column));
        assert!(column.iter().all(|r| r.len() < 40));
    }
}
